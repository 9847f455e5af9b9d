#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""psnc's command line against Python peers: --help, --version, usage errors
that name the option, exit status 1 on every failure (unknown host, refused,
connect/accept/idle timeouts), what --quiet keeps quiet, service names as
ports, -q SECONDS, --no-shutdown, -s/-p as the peer sees them, and -k.
argv[1:]: the command that runs psnc."""
import os
import re
import socket
import sys
import time

sys.dont_write_bytecode = True  # keep the source tree clean
from interop_common import (Proc, Suite, free_port, listener, recv_exact,
                            recv_to_eof, run)

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
    flags = [b"-4", b"-6", b"-k", b"-l", b"-N", b"-p PORT", b"-q SECONDS",
             b"-s ADDR", b"-U", b"-u", b"-v", b"-w SECONDS", b"-z",
             b"--no-shutdown", b"--quiet", b"--help", b"--version"]
    missing = [f.decode() for f in flags if f not in out]
    t.check(rc == 0 and out.startswith(b"usage: ") and not missing
            and err == "", "--help: usage on stdout listing every flag, status 0",
            f"rc={rc} missing={missing} err={err!r}")

    want = f"psnc (portsock {header_version()})"
    rc, out, err, _ = run(nc + ["--version"], empty, T)
    t.check(rc == 0 and out.decode().strip() == want and err == "",
            f"--version prints '{want}'", f"rc={rc} out={out!r}")

    # Usage errors: status 1 as nc, one line that names what is wrong.
    for args, text in (([], "missing HOST and PORT"),
                       (["-x", "h", "1"], "unknown option -x"),
                       (["-lvx", "1"], "unknown option -x"),
                       (["--nope"], "unknown option --nope"),
                       (["127.0.0.1"], "missing PORT"),
                       (["-l"], "missing PORT"),
                       (["127.0.0.1", "99999"], "bad port '99999'"),
                       (["127.0.0.1", "ht!tp"], "bad port 'ht!tp'"),
                       (["127.0.0.1", "0"], "cannot connect to port 0"),
                       (["127.0.0.1", "20-30"], "port range '20-30' needs -z"),
                       (["-z", "127.0.0.1", "30-20"], "bad port '30-20'"),
                       (["-w", "abc", "h", "1"],
                        "option -w needs a positive number of seconds, got 'abc'"),
                       (["-w", "0", "h", "1"],
                        "option -w needs a positive number of seconds, got '0'"),
                       (["-w"], "option -w needs a number of seconds"),
                       (["-q", "soon", "h", "1"],
                        "option -q needs a number of seconds, got 'soon'"),
                       (["-p", "x!", "h", "1"], "option -p needs a port, got 'x!'"),
                       (["-s"], "option -s needs an address"),
                       (["-lz", "1"], "options -l and -z cannot be used together"),
                       (["-k", "h", "1"], "option -k needs -l"),
                       (["-zu", "h", "1"], "option -z cannot be used with -u"),
                       (["-Uu", "/tmp/x"], "option -U cannot be used with -u"),
                       (["-U", "/tmp/x", "1"], "too many operands"),
                       (["a", "1", "b"], "too many operands")):
        rc, out, err, _ = run(nc + args, empty, T)
        t.check(rc == 1 and out == b"" and one_error_line(err, "psnc: " + text),
                f"usage error {args}: status 1, 'psnc: {text}'",
                f"rc={rc} out={out!r} err={err!r}")

    # Refused: a port we hold bound but not listening, so no one else can
    # take it meanwhile.
    hold = socket.socket()
    hold.bind(("127.0.0.1", 0))
    rc, out, err, secs = run(nc + ["127.0.0.1", str(hold.getsockname()[1])], empty, T)
    hold.close()
    t.check(rc == 1 and out == b"" and one_error_line(err, "PS_ECONNREFUSED"),
            f"refused: status 1, one PS_ECONNREFUSED line ({secs:.2f} s)",
            f"rc={rc} err={err!r}")

    # A UDP peer given by name is resolved; an unknown one is status 3.
    rc, out, err, secs = run(nc + ["-u", "-w", "20", "no..such..host", "9"], empty, T)
    t.check(rc == 1 and out == b"" and one_error_line(err, "PS_ENAME"),
            f"-u unknown host: status 1, one PS_ENAME line ({secs:.2f} s)",
            f"rc={rc} err={err!r}")

    # An empty label fails inside the resolver: no query leaves the machine.
    rc, out, err, secs = run(nc + ["-w", "20", "no..such..host", "80"], empty, T)
    t.check(rc == 1 and out == b"" and one_error_line(err, "PS_ENAME"),
            f"unknown host: status 1, one PS_ENAME line ({secs:.2f} s)",
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
    t.check(rc == 1 and one_error_line(err, "PS_ETIMEDOUT") and secs >= 0.9,
            f"connect timeout -w 1: status 1, one PS_ETIMEDOUT line ({secs:.2f} s)",
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
    t.check(rc == 0 and err == "" and eof == b"" and secs >= 1.4,
            f"idle timeout -w 1.5: the session ends silently, status 0 as nc ({secs:.2f} s)",
            f"rc={rc} err={err!r} eof={eof!r}")

    # Accept timeout: -l -w with no client.
    rc, out, err, secs = run(nc + ["-l", "-w", "1", "127.0.0.1", "0"], empty, T)
    t.check(rc == 1 and one_error_line(err, "PS_ETIMEDOUT") and secs >= 0.9,
            f"listen -w 1 with no client: status 1 ({secs:.2f} s)",
            f"rc={rc} err={err!r}")

    # --quiet: -v's messages are silenced, the fatal line is not.
    lst, port = listener()
    data = t.file("q", b"quiet\n")
    p = Proc(nc + ["--quiet", "-v", "127.0.0.1", str(port)], data)
    conn, _ = lst.accept()
    conn.settimeout(T)
    got = conn.recv(100)
    conn.close()
    lst.close()
    rc, out, err, _ = p.finish(T)
    t.check(rc == 0 and got == b"quiet\n" and err == "",
            "--quiet -v: a clean session prints nothing on stderr", f"rc={rc} err={err!r}")
    rc, out, err, _ = run(nc + ["--quiet", "no..such..host", "80"], empty, T)
    t.check(rc == 1 and one_error_line(err, "PS_ENAME"),
            "--quiet: the fatal line is still printed", f"rc={rc} err={err!r}")

    for test in (service_names, quit_after_eof, source_port, keep_listening,
                 keep_listening_stdin_open, scan_failure_line, tls_usage):
        try:
            test(t)
        except Exception as e:  # a broken exchange is a failure, not a crash
            t.check(False, test.__name__, f"{type(e).__name__}: {e}")
    return t.done()


def service_names(t):
    """A service name is a port: 'discard' (9 in /etc/services and in
    Windows' services file) as -p, the source port, which the peer sees.
    --no-shutdown with empty input lets the server close first, so the
    TIME_WAIT of port 9 is the server's, not psnc's, and the next run can
    bind it again. Without the privilege to bind port 9 the error is
    PS_EACCES, which still shows the name became a port below 1024."""
    want = socket.getservbyname("discard", "tcp")
    empty = t.file("empty", b"")
    lst, port = listener()
    with lst:
        p = Proc(t.cmd + ["--no-shutdown", "-p", "discard", "127.0.0.1", str(port)],
                 empty)
        with p:
            lst.settimeout(5)
            try:
                conn, peer = lst.accept()
                conn.close()
            except socket.timeout:
                peer = None
            rc, out, err, _ = p.finish(t.timeout)
    if peer is not None:
        t.check(rc == 0 and peer[1] == want,
                f"-p discard: the peer sees source port {peer[1]} (want {want})",
                f"rc={rc} err={err!r}")
    else:
        t.check(rc == 1 and one_error_line(err, "PS_EACCES"),
                "-p discard without privilege: PS_EACCES (the name became port 9)",
                f"rc={rc} err={err!r}")

    # A service name as the port to connect to: -z -v names it in its line
    # (refused, unless this host runs a discard server); an unknown name
    # is an error of its own.
    rc, out, err, _ = run(t.cmd + ["-z", "-v", "127.0.0.1", "discard"], empty, t.timeout)
    t.check((rc == 1 and "connect to 127.0.0.1 port discard (tcp) failed" in err)
            or (rc == 0 and f"127.0.0.1 {want} port [tcp/discard] succeeded!" in err),
            "-z -v 127.0.0.1 discard: the service name is taken as a port",
            f"rc={rc} err={err!r}")
    rc, out, err, _ = run(t.cmd + ["127.0.0.1", "no-such-service-x"], empty, t.timeout)
    t.check(rc == 1 and one_error_line(err, "PS_EINVAL"),
            "an unknown service name: status 1, PS_EINVAL from the lookup",
            f"rc={rc} err={err!r}")


def quit_after_eof(t):
    """-q SECONDS (Debian's nc): psnc ends that long after the end of its
    input although the peer keeps the connection open; -q 0 at once;
    --no-shutdown: the peer sees no end of stream while psnc runs."""
    data = t.file("qdata", b"bye\n")
    for q, lo, hi in (("1.5", 1.4, 10), ("0", 0, 5)):
        lst, port = listener()
        with lst:
            p = Proc(t.cmd + ["-q", q, "127.0.0.1", str(port)], data)
            with p:
                conn, _ = lst.accept()
                conn.settimeout(t.timeout)
                got = recv_to_eof(conn)  # the default half-close
                t0 = time.monotonic()
                rc, out, err, _ = p.finish(t.timeout)
                secs = time.monotonic() - t0
                conn.close()
        t.check(rc == 0 and got == b"bye\n" and lo <= secs < hi,
                f"-q {q}: status 0 {secs:.2f} s after end of input, peer still open",
                f"rc={rc} got={got!r} err={err!r}")

    lst, port = listener()
    with lst:
        p = Proc(t.cmd + ["--no-shutdown", "-q", "2", "127.0.0.1", str(port)], data)
        with p:
            conn, _ = lst.accept()
            conn.settimeout(t.timeout)
            got = recv_exact(conn, 4)
            conn.settimeout(1)
            try:
                early = conn.recv(10)
            except socket.timeout:
                early = None
            conn.settimeout(t.timeout)
            rc, out, err, _ = p.finish(t.timeout)
            late = conn.recv(10)
            conn.close()
    t.check(rc == 0 and got == b"bye\n" and early is None and late == b"",
            "--no-shutdown -q 2: no end of stream while psnc runs, then psnc closes",
            f"rc={rc} early={early!r} late={late!r} err={err!r}")


def source_port(t):
    """-s ADDR -p PORT: the peer sees that address and port."""
    empty = t.file("empty", b"")
    sport = free_port()
    lst, port = listener()
    with lst:
        with Proc(t.cmd + ["--no-shutdown", "-s", "127.0.0.1", "-p", str(sport),
                           "127.0.0.1", str(port)], empty) as p:
            conn, peer = lst.accept()
            conn.close()  # the server closes first: no TIME_WAIT on sport
            rc, out, err, _ = p.finish(t.timeout)
    t.check(rc == 0 and peer == ("127.0.0.1", sport),
            f"-s 127.0.0.1 -p {sport}: the peer sees {peer}", f"rc={rc} err={err!r}")

    # -4 with an IPv6 host: no address of that family.
    rc, out, err, _ = run(t.cmd + ["-4", "::1", "9"], empty, t.timeout)
    t.check(rc == 1 and one_error_line(err, "PS_EAFNOSUPPORT"),
            "-4 ::1: status 1, PS_EAFNOSUPPORT", f"rc={rc} err={err!r}")


def keep_listening(t):
    """-l -k: two clients in sequence served by one psnc; -l -p PORT
    (Debian's form) is the port to listen on."""
    empty = t.file("empty", b"")
    port = free_port()
    with Proc(t.cmd + ["-l", "-k", "-v", "-p", str(port)], empty) as p:
        got = []
        m = p.wait_stderr(r"listening on .*:(\d+)$", t.timeout)
        if t.check(m is not None and int(m[1]) == port,
                   f"-l -k -p {port}: listens on that port", f"m={m}"):
            for i in range(2):
                c = socket.create_connection(("127.0.0.1", port), timeout=t.timeout)
                c.sendall(f"client {i}\n".encode())
                c.shutdown(socket.SHUT_WR)
                got.append(recv_to_eof(c))  # psnc's input is empty: EOF
                c.close()
                p.wait_stdout_line(rf"client {i}$", t.timeout)
            alive = p.p.poll() is None
            p.kill()
            rc, out, err, _ = p.finish(t.timeout)
            t.check(alive and out == b"client 0\nclient 1\n" and got == [b"", b""]
                    and len(re.findall(r"connection from \S*127\.0\.0\.1", err)) == 2,
                    "-l -k: two clients in sequence, psnc still listening",
                    f"alive={alive} out={out!r} err={err!r}")



def keep_listening_stdin_open(t):
    """-l -k with standard input open and idle (a terminal, a pipe): each
    session ends when its peer is done, as nc -l does, so the next peer is
    served; input written between sessions goes to the next peer."""
    port = free_port()
    with Proc(t.cmd + ["-l", "-k", "-v", "-p", str(port)], stdin_pipe=True) as p:
        m = p.wait_stderr(r"listening on .*:(\d+)$", t.timeout)
        if not t.check(m is not None, "-l -k with stdin open: listening", f"m={m}"):
            return
        got = []
        for i in range(2):
            if i == 1:
                p.p.stdin.write(b"for the second\n")
                p.p.stdin.flush()
            c = socket.create_connection(("127.0.0.1", port), timeout=5)
            c.sendall(f"client {i}\n".encode())
            c.shutdown(socket.SHUT_WR)
            try:
                got.append(recv_to_eof(c))
            except OSError as e:  # a timeout: psnc kept the session open
                got.append(repr(e))
            c.close()
        alive = p.p.poll() is None
        p.kill()
        rc, out, err, _ = p.finish(t.timeout)
        t.check(alive and got == [b"", b"for the second\n"]
                and out == b"client 0\nclient 1\n",
                "-l -k, stdin open: each session ends when its peer is done; "
                "input typed between sessions goes to the next peer",
                f"alive={alive} got={got!r} out={out!r} err={err!r}")


def scan_failure_line(t):
    """-z with no port accepting: status 1 and, as every failure, one line
    on stderr (nc -z says nothing). Before the fix psnc was silent, e.g.
    for 'psnc -z 127.0.0.1 ftp-data'. Ports held bound but not listening
    refuse for sure; ftp-data (20) is refused unless this host runs a
    server there."""
    held = []
    for _ in range(2):
        h = socket.socket()
        h.bind(("127.0.0.1", 0))
        held.append(h)
    ports = [str(h.getsockname()[1]) for h in held]
    try:
        rc, out, err, _ = run(t.cmd + ["-z", "127.0.0.1", ports[0]], None, t.timeout)
        t.check(rc == 1 and out == b"" and one_error_line(
                    err, f"psnc: connect to 127.0.0.1 port {ports[0]}: PS_ECONNREFUSED"),
                "-z on a refused port: status 1, one PS_ECONNREFUSED line",
                f"rc={rc} err={err!r}")
        rc, out, err, _ = run(t.cmd + ["--quiet", "-z", "127.0.0.1"] + ports, None,
                              t.timeout)
        t.check(rc == 1 and out == b"" and one_error_line(
                    err, "psnc: scan of 127.0.0.1: none of 2 ports accepted; "
                    "last error: PS_ECONNREFUSED"),
                "--quiet -z on two refused ports: status 1, one line for both",
                f"rc={rc} err={err!r}")
    finally:
        for h in held:
            h.close()
    try:
        socket.create_connection(("127.0.0.1", 20), timeout=2).close()
        open20 = True
    except OSError:
        open20 = False
    rc, out, err, _ = run(t.cmd + ["-z", "127.0.0.1", "ftp-data"], None, t.timeout)
    t.check((rc == 0 and err == "") if open20 else
            (rc == 1 and one_error_line(err, "psnc: connect to 127.0.0.1 port ftp-data: ")),
            f"-z 127.0.0.1 ftp-data ({'open' if open20 else 'closed'} here): "
            f"status {0 if open20 else 1}" + ("" if open20 else ", one line"),
            f"rc={rc} err={err!r}")


def tls_usage(t):
    """The --ssl flags without a network: built without TLS, each fails
    with one line and status 1; built with it, --help lists them and a bad
    combination is a usage error that names it (psnc_tls.py runs them)."""
    rc, out, err, _ = run(t.cmd + ["--help"], None, t.timeout)
    if b"built without TLS" in out:
        for flag in ("--ssl", "--ssl-alpn", "--ssl-insecure"):
            args = [flag] + (["h2"] if flag == "--ssl-alpn" else [])
            rc, out, err, _ = run(t.cmd + args + ["127.0.0.1", "9"], None, t.timeout)
            t.check(rc == 1 and out == b"" and
                    err == f"psnc: option {flag}: built without TLS",
                    f"built without TLS: {flag} fails with one line, status 1",
                    f"rc={rc} err={err!r}")
        return
    flags = [b"--ssl ", b"--ssl-cert FILE", b"--ssl-key FILE",
             b"--ssl-trustfile FILE", b"--ssl-verify", b"--ssl-insecure",
             b"--ssl-servername NAME", b"--ssl-alpn LIST", b"ON BY DEFAULT"]
    missing = [f.decode() for f in flags if f not in out]
    t.check(rc == 0 and not missing, "--help lists every TLS flag and says "
            "verification is on by default", f"missing={missing}")
    for args, text in ((["-l", "--ssl", "1"], "TLS with -l needs --ssl-cert"),
                       (["--ssl", "-u", "h", "1"], "cannot be used with -u"),
                       (["--ssl-key", "k", "h", "1"], "--ssl-key needs --ssl-cert"),
                       (["--ssl-alpn"], "option --ssl-alpn needs a value"),
                       (["--ssl=yes", "h", "1"], "option --ssl takes no value"),
                       (["--ssl-nope", "h", "1"], "unknown option --ssl-nope"),
                       (["--ssl-alpn", "a,,b", "h", "1"], "--ssl-alpn needs names"),
                       (["--ssl-trustfile=/nonexistent/ca.pem", "h", "1"],
                        "psnc: --ssl-trustfile: PS_ETLS")):
        rc, out, err, _ = run(t.cmd + args, None, t.timeout)
        t.check(rc == 1 and out == b"" and one_error_line(err, text),
                f"psnc {' '.join(args)}: status 1, '{text}'", f"rc={rc} err={err!r}")


if __name__ == "__main__":
    sys.exit(main())
