#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""psnc's command line and exit statuses: --help, --version, usage errors (2),
unknown host (3), refused (4), connect/accept/idle timeouts (5), and what -q
keeps quiet. argv[1:]: the command that runs psnc."""
import os
import re
import socket
import sys
import time

sys.dont_write_bytecode = True  # keep the source tree clean
from interop_common import Proc, Suite, listener, run

HERE = os.path.dirname(os.path.abspath(__file__))


def header_version():
    text = open(os.path.join(HERE, "..", "..", "include", "portsock.h")).read()
    parts = [re.search(rf"#define PS_VERSION_{k} (\d+)", text)[1]
             for k in ("MAJOR", "MINOR", "PATCH")]
    return ".".join(parts)


def one_error_line(err, name):
    lines = [l for l in err.splitlines() if l.strip()]
    return len(lines) == 1 and name in lines[0] and lines[0].startswith("psnc: ")


def main():
    t = Suite("psnc_cli", sys.argv[1:])
    nc = t.cmd
    empty = t.file("empty", b"")
    T = t.timeout

    rc, out, err, _ = run(nc + ["--help"], empty, T)
    t.check(rc == 0 and out.startswith(b"usage: ") and b"-w SECONDS" in out
            and err == "", "--help: usage on stdout, status 0",
            f"rc={rc} out={out[:80]!r} err={err!r}")

    want = f"psnc (portsock {header_version()})"
    rc, out, err, _ = run(nc + ["--version"], empty, T)
    t.check(rc == 0 and out.decode().strip() == want and err == "",
            f"--version prints '{want}'", f"rc={rc} out={out!r}")

    for args, why in (([], "no operands"), (["-x", "h", "1"], "unknown option"),
                      (["--nope"], "unknown long option"),
                      (["127.0.0.1"], "client without PORT"),
                      (["127.0.0.1", "99999"], "port out of range"),
                      (["127.0.0.1", "http"], "port not numeric"),
                      (["127.0.0.1", "0"], "connect to port 0"),
                      (["-w", "abc", "h", "1"], "-w not a number"),
                      (["-w", "0", "h", "1"], "-w zero"),
                      (["-w"], "-w without a value"),
                      (["a", "1", "b"], "three operands")):
        rc, out, err, _ = run(nc + args, empty, T)
        t.check(rc == 2 and out == b"" and one_error_line(err, "PS_EINVAL"),
                f"usage error ({why}): status 2, one PS_EINVAL line",
                f"rc={rc} out={out!r} err={err!r}")

    # Refused: a port we hold bound but not listening, so no one else can
    # take it meanwhile.
    hold = socket.socket()
    hold.bind(("127.0.0.1", 0))
    rc, out, err, secs = run(nc + ["127.0.0.1", str(hold.getsockname()[1])], empty, T)
    hold.close()
    t.check(rc == 4 and out == b"" and one_error_line(err, "PS_ECONNREFUSED"),
            f"refused: status 4, one PS_ECONNREFUSED line ({secs:.2f} s)",
            f"rc={rc} err={err!r}")

    # A UDP peer given by name is resolved; an unknown one is status 3.
    rc, out, err, secs = run(nc + ["-u", "-w", "20", "no..such..host", "9"], empty, T)
    t.check(rc == 3 and out == b"" and one_error_line(err, "PS_ENAME"),
            f"-u unknown host: status 3, one PS_ENAME line ({secs:.2f} s)",
            f"rc={rc} err={err!r}")

    # An empty label fails inside the resolver: no query leaves the machine.
    rc, out, err, secs = run(nc + ["-w", "20", "no..such..host", "80"], empty, T)
    t.check(rc == 3 and out == b"" and one_error_line(err, "PS_ENAME"),
            f"unknown host: status 3, one PS_ENAME line ({secs:.2f} s)",
            f"rc={rc} err={err!r}")

    # Connect timeout: a listener whose accept queue is full drops new SYNs.
    lst = socket.socket()
    lst.bind(("127.0.0.1", 0))
    lst.listen(0)
    port = lst.getsockname()[1]
    fill = []
    for _ in range(3):
        c = socket.socket()
        c.setblocking(False)
        try:
            c.connect(("127.0.0.1", port))
        except BlockingIOError:
            pass
        fill.append(c)
    time.sleep(0.2)
    rc, out, err, secs = run(nc + ["-w", "1", "127.0.0.1", str(port)], empty, T)
    for c in fill:
        c.close()
    lst.close()
    t.check(rc == 5 and one_error_line(err, "PS_ETIMEDOUT") and secs >= 0.9,
            f"connect timeout -w 1: status 5, one PS_ETIMEDOUT line ({secs:.2f} s)",
            f"rc={rc} err={err!r}")

    # Idle timeout: the server accepts and stays silent; psnc's input (an
    # empty file) ends at once, so only the idle timer can end it.
    lst, port = listener()
    p = Proc(nc + ["-w", "1.5", "127.0.0.1", str(port)], empty)
    conn, _ = lst.accept()
    rc, out, err, secs = p.finish(T)
    eof = conn.recv(10)  # psnc half-closed at end of input
    conn.close()
    lst.close()
    t.check(rc == 5 and one_error_line(err, "PS_ETIMEDOUT") and eof == b""
            and secs >= 1.4, f"idle timeout -w 1.5: status 5 ({secs:.2f} s)",
            f"rc={rc} err={err!r} eof={eof!r}")

    # Accept timeout: -l -w with no client.
    rc, out, err, secs = run(nc + ["-l", "-w", "1", "127.0.0.1", "0"], empty, T)
    t.check(rc == 5 and one_error_line(err, "PS_ETIMEDOUT") and secs >= 0.9,
            f"listen -w 1 with no client: status 5 ({secs:.2f} s)",
            f"rc={rc} err={err!r}")

    # -q: -v's messages are silenced, the fatal line is not.
    lst, port = listener()
    data = t.file("q", b"quiet\n")
    p = Proc(nc + ["-q", "-v", "127.0.0.1", str(port)], data)
    conn, _ = lst.accept()
    conn.settimeout(T)
    got = conn.recv(100)
    conn.close()
    lst.close()
    rc, out, err, _ = p.finish(T)
    t.check(rc == 0 and got == b"quiet\n" and err == "",
            "-q -v: a clean session prints nothing on stderr", f"rc={rc} err={err!r}")
    rc, out, err, _ = run(nc + ["-q", "no..such..host", "80"], empty, T)
    t.check(rc == 3 and one_error_line(err, "PS_ENAME"),
            "-q: the fatal line is still printed", f"rc={rc} err={err!r}")
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
