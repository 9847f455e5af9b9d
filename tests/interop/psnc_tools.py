#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""psnc against socat or OpenBSD nc, both ways: psnc client -> tool server,
tool client -> psnc -l, 1 MiB files compared byte for byte, half-close in
both directions.
Usage: psnc_tools.py socat|nc PSNC-COMMAND...
Exits 77 (CTest: skipped) when the tool is not installed."""
import hashlib
import shutil
import sys

sys.dont_write_bytecode = True  # keep the source tree clean
from interop_common import SKIP, Proc, Suite, find_openbsd_nc, pattern

MB = 1 << 20


def psnc_listen(t, data_path):
    """Starts psnc -l -v on 127.0.0.1 port 0 and reads the port it logs."""
    return tool_listen(t, t.cmd + ["-l", "-v", "127.0.0.1", "0"],
                       r"listening on .*:(\d+)$", data_path)


def tool_listen(t, argv, regex, data_path):
    """Starts a tool listening on port 0 and reads the port it logs. The
    Proc is ended (killed if still running) if reading the port raises."""
    p = Proc(argv, data_path)
    try:
        m = p.wait_stderr(regex, t.timeout)
    except BaseException:
        p.kill()
        raise
    return p, (int(m[1]) if m else None)


def socat_tests(t, socat):
    log = r"listening on AF=2 127\.0\.0\.1:(\d+)"
    a, b = pattern(MB, 11), pattern(MB, 12)
    fa, fb = t.file("a", a), t.file("b", b)
    empty = t.file("empty", b"")
    # -t 30: after one direction ends socat waits up to 30 s (not 0.5) for
    # the other, so a slow Wine peer loses nothing.
    base = [socat, "-d", "-d", "-t", "30"]

    # psnc client -> socat echo server (cat): 1 MiB out and back.
    srv, port = tool_listen(t, base + ["TCP-LISTEN:0,bind=127.0.0.1", "EXEC:cat"],
                            log, empty)
    with srv:
        if t.check(port is not None, "socat echo server logs its port"):
            with Proc(t.cmd + ["127.0.0.1", str(port)], fa) as p:
                rc, out, err, secs = p.finish(t.timeout)
            t.check(rc == 0 and out == a,
                    f"psnc -> socat echo (cat): {len(a)} B out and back, byte for "
                    f"byte ({secs:.2f} s)", f"rc={rc} got {len(out)} B err={err!r}")
        srv.finish(t.timeout)

    # Half-close: socat's sha256sum answers only after end of stream.
    srv, port = tool_listen(t, base + ["TCP-LISTEN:0,bind=127.0.0.1", "EXEC:sha256sum"],
                            log, empty)
    with srv:
        if t.check(port is not None, "socat sha256sum server logs its port"):
            with Proc(t.cmd + ["127.0.0.1", str(port)], fa) as p:
                rc, out, err, secs = p.finish(t.timeout)
            want = hashlib.sha256(a).hexdigest()
            t.check(rc == 0 and out.split()[:1] == [want.encode()],
                    f"psnc half-close -> socat sha256sum replies after EOF "
                    f"({secs:.2f} s)", f"rc={rc} out={out!r} err={err!r}")
        srv.finish(t.timeout)

    # socat client -> psnc -l: 1 MiB each way; socat half-closes at the end
    # of its file, psnc at the end of its own.
    p, port = psnc_listen(t, fb)
    with p:
        if not t.check(port is not None, "psnc -l -v prints its port"):
            return
        with Proc([socat, "-t", "30", "STDIO", f"TCP:127.0.0.1:{port}"], fa) as cli:
            crc, cout, cerr, secs = cli.finish(t.timeout)
        rc, out, err, _ = p.finish(t.timeout)
        t.check(rc == 0 and crc == 0 and out == a and cout == b,
                f"socat -> psnc -l: {len(a)} B each way, byte for byte ({secs:.2f} s)",
                f"psnc rc={rc} out {len(out)} B err={err!r}; socat rc={crc} "
                f"out {len(cout)} B err={cerr!r}")


def nc_tests(t, nc):
    a, b = pattern(MB, 21), pattern(MB, 22)
    fa, fb = t.file("a", a), t.file("b", b)
    empty = t.file("empty", b"")

    # psnc client -> nc -l: nc's input is empty, so with -N it half-closes
    # first; psnc must still send all of its 1 MiB, then half-close, which
    # ends nc.
    srv, port = tool_listen(t, [nc, "-l", "-v", "-N", "127.0.0.1", "0"],
                            r"Listening on \S+ (\d+)", empty)
    with srv:
        if t.check(port is not None, "nc -l -v logs its port"):
            with Proc(t.cmd + ["127.0.0.1", str(port)], fa) as p:
                rc, out, err, secs = p.finish(t.timeout)
            src, sout, serr, _ = srv.finish(t.timeout)
            t.check(rc == 0 and src == 0 and sout == a and out == b"",
                    f"psnc -> nc -l: {len(a)} B byte for byte after nc half-closed "
                    f"first ({secs:.2f} s)",
                    f"psnc rc={rc} err={err!r}; nc rc={src} got {len(sout)} B "
                    f"err={serr!r}")

    # nc client -> psnc -l: nc -N half-closes at the end of its file and
    # still reads psnc's 1 MiB; psnc half-closes at the end of its own.
    p, port = psnc_listen(t, fb)
    with p:
        if not t.check(port is not None, "psnc -l -v prints its port"):
            return
        with Proc([nc, "-N", "127.0.0.1", str(port)], fa) as cli:
            crc, cout, cerr, secs = cli.finish(t.timeout)
        rc, out, err, _ = p.finish(t.timeout)
        t.check(rc == 0 and crc == 0 and out == a and cout == b,
                f"nc -N -> psnc -l: {len(a)} B each way, byte for byte ({secs:.2f} s)",
                f"psnc rc={rc} out {len(out)} B err={err!r}; nc rc={crc} "
                f"out {len(cout)} B err={cerr!r}")


def main():
    if len(sys.argv) < 3 or sys.argv[1] not in ("socat", "nc"):
        print(__doc__)
        return 2
    tool = sys.argv[1]
    path = shutil.which("socat") if tool == "socat" else find_openbsd_nc()
    if not path:
        pkg = "socat" if tool == "socat" else "netcat-openbsd"
        print(f"SKIP: {tool} not found (Debian package {pkg}; ci/test.sh installs it)")
        return SKIP
    t = Suite(f"psnc_{tool}", sys.argv[2:])
    try:
        (socat_tests if tool == "socat" else nc_tests)(t, path)
    except Exception as e:  # a broken exchange is a failure, not a crash
        t.check(False, f"{tool} tests", f"{type(e).__name__}: {e}")
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
