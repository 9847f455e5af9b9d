#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""psnc against socat or OpenBSD nc, both ways: psnc client -> tool server,
tool client -> psnc -l, 1 MiB files compared byte for byte, half-close in
both directions; then the nc flags psnc shares, each against the tool:
-k, -u both ways, -z on a range, -4/-6, -s/-p, -N and --no-shutdown, -U
(not under Wine: it has no AF_UNIX), -w as an idle timeout, -q SECONDS.
Usage: psnc_tools.py socat|nc PSNC-COMMAND...
Exits 77 (CTest: skipped) when the tool is not installed."""
import hashlib
import os
import random
import shutil
import signal
import socket
import sys

sys.dont_write_bytecode = True  # keep the source tree clean
from interop_common import (SKIP, Proc, Suite, find_openbsd_nc, free_port,
                            pattern, run)

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
    # A port number, or for a log line with no port (AF_UNIX) the text.
    return p, ((int(m[1]) if m[1].isdigit() else m[1]) if m else None)


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


# ---- The flags psnc shares with nc ------------------------------------------


def flag_tests(t, tests, *args):
    """Runs each test; one that raises is a failure, and the next runs."""
    for test in tests:
        try:
            test(t, *args)
        except Exception as e:
            t.check(False, test.__name__, f"{type(e).__name__}: {e}")


def have_ipv6():
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


def unix_skip(t, what):
    """AF_UNIX tests do not run under Wine, which has no AF_UNIX."""
    if t.wine:
        print(f"skip {what}: Wine has no AF_UNIX sockets (psnc -U needs them)")
        return True
    return False


def nc_keep(t, nc):
    """psnc -l -k serves two nc clients in sequence."""
    empty = t.file("empty", b"")
    p, port = psnc_listen_args(t, ["-k"], empty)
    with p:
        if not t.check(port is not None, "psnc -l -k -v prints its port"):
            return
        outs = []
        for i in range(2):
            f = t.file(f"k{i}", f"nc client {i}\n".encode())
            with Proc([nc, "-N", "127.0.0.1", str(port)], f) as cli:
                outs.append(cli.finish(t.timeout)[0])
            p.wait_stdout_line(rf"nc client {i}$", t.timeout)
        alive = p.p.poll() is None
        p.kill()
        rc, out, err, _ = p.finish(t.timeout)
        t.check(alive and outs == [0, 0] and out == b"nc client 0\nnc client 1\n",
                "nc -N, nc -N -> one psnc -l -k: both served, psnc still listening",
                f"alive={alive} nc rcs={outs} out={out!r} err={err!r}")


def psnc_listen_args(t, extra, data_path, regex=r"listening on .*:(\d+)$",
                     where=("127.0.0.1", "0")):
    return tool_listen(t, t.cmd + ["-l", "-v"] + extra + list(where), regex, data_path)


def nc_udp(t, nc):
    """-u both ways: psnc -u -> nc -u -l, and nc -u -> psnc -u -l, which
    answers the sender."""
    data = t.file("ud", b"datagram from psnc\n")
    srv, port = tool_listen(t, [nc, "-u", "-l", "-n", "-v", "-W", "1", "127.0.0.1", "0"],
                            r"Bound on \S+ (\d+)", t.file("empty", b""))
    with srv:
        if t.check(port is not None, "nc -u -l logs its port"):
            rc, out, err, secs = run(t.cmd + ["-u", "-w", "2", "127.0.0.1", str(port)],
                                     data, t.timeout)
            src, sout, serr, _ = srv.finish(t.timeout)
            t.check(rc == 0 and src == 0 and sout == b"datagram from psnc\n",
                    f"psnc -u -> nc -u -l: the datagram arrives ({secs:.2f} s)",
                    f"psnc rc={rc} err={err!r}; nc rc={src} out={sout!r} err={serr!r}")

    reply = t.file("ur", b"reply from psnc\n")
    p, port = psnc_listen_args(t, ["-u", "-w", "3"], reply)
    with p:
        if not t.check(port is not None, "psnc -u -l -v prints its port"):
            return
        # -W 1: nc ends after the one datagram that answers it. (With -q,
        # Debian's nc stops reading the network at the end of its input.)
        with Proc([nc, "-u", "-W", "1", "127.0.0.1", str(port)],
                  t.file("un", b"datagram from nc\n")) as cli:
            crc, cout, cerr, _ = cli.finish(t.timeout)
        rc, out, err, _ = p.finish(t.timeout)
        t.check(rc == 0 and out == b"datagram from nc\n" and cout == b"reply from psnc\n",
                "nc -u -> psnc -u -l: the datagram arrives and psnc's reply reaches nc",
                f"psnc rc={rc} out={out!r} err={err!r}; nc rc={crc} out={cout!r}")


def three_ports():
    """Three consecutive ports: the outer two held bound (closed: a connect
    is refused, and no one else can listen there meanwhile) and the middle
    one free. Below the usual ephemeral range, so no connection takes it."""
    for _ in range(200):
        base = random.randrange(20000, 30000)
        held = []
        try:
            for port in (base, base + 2):
                s = socket.socket()
                s.bind(("127.0.0.1", port))
                held.append(s)
            with socket.socket() as m:
                m.bind(("127.0.0.1", base + 1))
            return base, held
        except OSError:
            for s in held:
                s.close()
    raise RuntimeError("no three free consecutive ports")


def nc_scan(t, nc):
    """-z on a range with one open port (nc -l in the middle): status 0,
    nc's -v lines; -z on closed ports: status 1 as nc's, with psnc's one
    failure line where nc says nothing."""
    base, held = three_ports()
    try:
        srv, port = tool_listen(t, [nc, "-l", "-n", "-v", "127.0.0.1", str(base + 1)],
                                r"Listening on \S+ (\d+)", t.file("empty", b""))
        with srv:
            if not t.check(port == base + 1, f"nc -l listens on {base + 1}"):
                return
            rc, out, err, secs = run(t.cmd + ["-z", "-v", "127.0.0.1",
                                              f"{base}-{base + 2}"], None, t.timeout)
            lines = err.splitlines()
            want = [f"psnc: connect to 127.0.0.1 port {base} (tcp) failed: PS_ECONNREFUSED",
                    f"Connection to 127.0.0.1 {base + 1} port [tcp/*] succeeded!",
                    f"psnc: connect to 127.0.0.1 port {base + 2} (tcp) failed: PS_ECONNREFUSED"]
            ok = len(lines) == 3 and all(l.startswith(w) for l, w in zip(lines, want))
            t.check(rc == 0 and out == b"" and ok,
                    f"-z -v {base}-{base + 2} with nc -l on {base + 1}: status 0, "
                    f"nc's lines ({secs:.2f} s)", f"rc={rc} err={err!r}")
            src, _, _, _ = srv.finish(t.timeout)
            t.check(src == 0, "nc -l saw the scan connect and close", f"nc rc={src}")
        rc, out, err, _ = run(t.cmd + ["-z", "127.0.0.1", str(base), str(base + 2)],
                              None, t.timeout)
        nrc, _, nerr, _ = run([nc, "-z", "127.0.0.1", str(base), str(base + 2)],
                              None, t.timeout)
        lines = err.splitlines()
        t.check(rc == 1 and nrc == rc and len(lines) == 1
                and "none of 2 ports accepted" in lines[0] and "PS_ECONNREFUSED" in lines[0],
                "-z on two closed ports: status 1 as nc's, one line on stderr",
                f"rc={rc} err={err!r} nc rc={nrc} err={nerr!r}")
    finally:
        for s in held:
            s.close()


def nc_families(t, nc):
    """-6 on ::1 both ways, -4 listening on all IPv4 interfaces."""
    a = t.file("f6", b"over ipv6\n")
    if have_ipv6():
        p, port = psnc_listen_args(t, ["-6"], t.file("empty", b""),
                                   r"listening on \[::1\]:(\d+)$", ("::1", "0"))
        with p:
            if t.check(port is not None, "psnc -6 -l ::1 prints its port"):
                crc = run([nc, "-6", "-N", "::1", str(port)], a, t.timeout)[0]
                rc, out, err, _ = p.finish(t.timeout)
                t.check(rc == 0 and crc == 0 and out == b"over ipv6\n",
                        "nc -6 -> psnc -6 -l ::1", f"rc={rc} out={out!r} err={err!r}")
        srv, port = tool_listen(t, [nc, "-6", "-l", "-n", "-v", "::1", "0"],
                                r"Listening on \S+ (\d+)", t.file("empty", b""))
        with srv:
            if t.check(port is not None, "nc -6 -l logs its port"):
                rc, out, err, _ = run(t.cmd + ["-6", "-v", "::1", str(port)], a, t.timeout)
                src, sout, serr, _ = srv.finish(t.timeout)
                t.check(rc == 0 and src == 0 and sout == b"over ipv6\n"
                        and f"Connection to ::1 {port} port [tcp/*] succeeded!" in err,
                        "psnc -6 -v ::1 -> nc -6 -l: data and nc's -v line",
                        f"rc={rc} err={err!r}; nc rc={src} out={sout!r}")
    else:
        print("skip -6: this host has no IPv6 loopback")
    p, port = psnc_listen_args(t, ["-4"], t.file("empty", b""),
                               r"listening on 0\.0\.0\.0:(\d+)$", ("0",))
    with p:
        if t.check(port is not None, "psnc -4 -l 0 listens on 0.0.0.0"):
            crc = run([nc, "-4", "-N", "127.0.0.1", str(port)], a, t.timeout)[0]
            rc, out, err, _ = p.finish(t.timeout)
            t.check(rc == 0 and crc == 0 and out == b"over ipv6\n",
                    "nc -4 -> psnc -4 -l", f"rc={rc} out={out!r} err={err!r}")


def nc_source(t, nc):
    """-s/-p: nc -l -v reports the source address and port psnc chose."""
    sport = free_port()
    srv, port = tool_listen(t, [nc, "-l", "-n", "-v", "127.0.0.1", "0"],
                            r"Listening on \S+ (\d+)", t.file("empty", b""))
    with srv:
        if t.check(port is not None, "nc -l logs its port"):
            rc, out, err, _ = run(t.cmd + ["-s", "127.0.0.1", "-p", str(sport),
                                           "127.0.0.1", str(port)],
                                  t.file("s", b"from a chosen port\n"), t.timeout)
            src, sout, serr, _ = srv.finish(t.timeout)
            t.check(rc == 0 and src == 0 and sout == b"from a chosen port\n"
                    and f"Connection received on 127.0.0.1 {sport}" in serr,
                    f"psnc -s 127.0.0.1 -p {sport} -> nc -l: nc sees that source",
                    f"rc={rc} err={err!r}; nc rc={src} err={serr!r}")


def nc_shutdown(t, nc):
    """-N: nc -l (no -N, empty input) ends when it sees psnc's end of
    stream; --no-shutdown -q 1: nc sees it only when psnc quits, a second
    after the end of psnc's input; --no-shutdown -w 1: an idle timeout."""
    data = t.file("n", b"then eof\n")
    for extra, what in ((["-N"], "-N"), (["--no-shutdown", "-q", "1"], "--no-shutdown -q 1")):
        srv, port = tool_listen(t, [nc, "-l", "-n", "-v", "127.0.0.1", "0"],
                                r"Listening on \S+ (\d+)", t.file("empty", b""))
        with srv:
            if not t.check(port is not None, "nc -l logs its port"):
                return
            rc, out, err, secs = run(t.cmd + extra + ["127.0.0.1", str(port)],
                                     data, t.timeout)
            src, sout, serr, _ = srv.finish(t.timeout)
            slow = secs >= 0.9 if "-q" in extra else secs < 10
            t.check(rc == 0 and src == 0 and sout == b"then eof\n" and slow,
                    f"psnc {what} -> nc -l: nc gets the data and its end ({secs:.2f} s)",
                    f"rc={rc} err={err!r}; nc rc={src} out={sout!r} err={serr!r}")

    srv, port = tool_listen(t, [nc, "-l", "-n", "-v", "127.0.0.1", "0"],
                            r"Listening on \S+ (\d+)", t.file("empty", b""))
    with srv:
        if t.check(port is not None, "nc -l logs its port"):
            rc, out, err, secs = run(t.cmd + ["--no-shutdown", "-w", "1", "127.0.0.1",
                                              str(port)], t.file("empty", b""), t.timeout)
            srv.finish(t.timeout)
            t.check(rc == 0 and err == "" and 0.9 <= secs < 10,
                    f"psnc --no-shutdown -w 1 -> silent nc -l: idle timeout, status 0 "
                    f"as nc ({secs:.2f} s)", f"rc={rc} err={err!r}")


def nc_unix(t, nc):
    """-U: psnc -l -U <- nc -U, psnc -U -> nc -l -U; psnc removes the
    socket file it created (at exit and on SIGTERM), and refuses a file it
    did not create."""
    if unix_skip(t, "-U against nc"):
        return
    path = os.path.join(t.tmp.name, "psnc.sock")
    p, _ = tool_listen(t, t.cmd + ["-l", "-U", "-v", path], r"(listening) on ",
                       t.file("ub", b"from psnc\n"))
    with p:
        with Proc([nc, "-N", "-U", path], t.file("ua", b"from nc\n")) as cli:
            crc, cout, _, _ = cli.finish(t.timeout)
        rc, out, err, _ = p.finish(t.timeout)
        t.check(rc == 0 and crc == 0 and out == b"from nc\n" and cout == b"from psnc\n"
                and not os.path.exists(path),
                "nc -N -U -> psnc -l -U: both ways, socket file removed at exit",
                f"rc={rc} out={out!r} err={err!r}; nc rc={crc} out={cout!r} "
                f"exists={os.path.exists(path)}")

    npath = os.path.join(t.tmp.name, "nc.sock")
    srv, _ = tool_listen(t, [nc, "-l", "-U", "-v", npath], r"(Listening) on ",
                         t.file("empty", b""))
    with srv:
        rc, out, err, _ = run(t.cmd + ["-U", npath], t.file("uc", b"to nc\n"), t.timeout)
        src, sout, _, _ = srv.finish(t.timeout)
        t.check(rc == 0 and src == 0 and sout == b"to nc\n",
                "psnc -U -> nc -l -U", f"rc={rc} err={err!r}; nc rc={src} out={sout!r}")

    # SIGTERM while listening: the file goes, the signal ends psnc.
    p, _ = tool_listen(t, t.cmd + ["-l", "-U", "-v", path], r"(listening) on ",
                       t.file("empty", b""))
    with p:
        existed = os.path.exists(path)
        p.p.send_signal(signal.SIGTERM)
        rc, out, err, _ = p.finish(t.timeout)
        t.check(existed and rc == -signal.SIGTERM and not os.path.exists(path),
                "psnc -l -U, SIGTERM: socket file removed, ended by the signal",
                f"existed={existed} rc={rc} exists={os.path.exists(path)} err={err!r}")
    # The next -l on the same path is not blocked.
    p, _ = tool_listen(t, t.cmd + ["-l", "-U", "-v", path], r"(listening) on ",
                       t.file("empty", b""))
    with p:
        crc = run([nc, "-N", "-U", path], t.file("ua2", b"again\n"), t.timeout)[0]
        rc, out, err, _ = p.finish(t.timeout)
        t.check(rc == 0 and crc == 0 and out == b"again\n" and not os.path.exists(path),
                "psnc -l -U again on the same path after SIGTERM", f"rc={rc} err={err!r}")

    # A file psnc did not create is never removed.
    keep = t.file("not-a-socket", b"precious\n")
    rc, out, err, _ = run(t.cmd + ["-l", "-U", keep], None, t.timeout)
    t.check(rc == 1 and "the file exists" in err and open(keep, "rb").read() == b"precious\n",
            "psnc -l -U on an existing file: status 1, the file is left alone",
            f"rc={rc} err={err!r}")


def socat_flags(t, socat):
    """-u both ways, -6, -k, -q and -U against socat."""
    log = r"listening on AF=\d+ \S+:(\d+)"
    base = [socat, "-d", "-d", "-t", "30"]
    empty = t.file("empty", b"")

    # psnc -u -> socat UDP-RECVFROM (one datagram), on a port we pick.
    uport = free_port(socket.SOCK_DGRAM)
    srv, _ = tool_listen(t, base + ["-u", f"UDP-RECVFROM:{uport},bind=127.0.0.1", "STDOUT"],
                         r"(receiving) on", empty)
    with srv:
        rc, out, err, _ = run(t.cmd + ["-u", "-q", "1", "127.0.0.1", str(uport)],
                              t.file("su", b"datagram to socat\n"), t.timeout)
        src, sout, serr, _ = srv.finish(t.timeout)
        t.check(rc == 0 and src == 0 and sout == b"datagram to socat\n",
                "psnc -u -q 1 -> socat UDP-RECVFROM", f"rc={rc} err={err!r}; "
                f"socat rc={src} out={sout!r}")
    # socat UDP client -> psnc -u -l, which answers it.
    p, port = psnc_listen_args(t, ["-u", "-w", "3"], t.file("sr", b"psnc answers\n"))
    with p:
        if t.check(port is not None, "psnc -u -l -v prints its port"):
            with Proc([socat, "-t", "3", "STDIO", f"UDP:127.0.0.1:{port}"],
                      t.file("sq", b"socat asks\n")) as cli:
                crc, cout, _, _ = cli.finish(t.timeout)
            rc, out, err, _ = p.finish(t.timeout)
            t.check(rc == 0 and out == b"socat asks\n" and cout == b"psnc answers\n",
                    "socat UDP -> psnc -u -l: datagram in, answer out",
                    f"rc={rc} out={out!r} err={err!r}; socat rc={crc} out={cout!r}")

    # -6 client against a socat echo server on ::1.
    if have_ipv6():
        srv, port = tool_listen(t, base + ["TCP6-LISTEN:0,bind=[::1]", "EXEC:cat"],
                                log, empty)
        with srv:
            if t.check(port is not None, "socat TCP6-LISTEN logs its port"):
                rc, out, err, _ = run(t.cmd + ["-6", "::1", str(port)],
                                      t.file("s6", b"echo over ipv6\n"), t.timeout)
                t.check(rc == 0 and out == b"echo over ipv6\n",
                        "psnc -6 ::1 -> socat echo: out and back", f"rc={rc} err={err!r}")
            srv.finish(t.timeout)
    else:
        print("skip -6: this host has no IPv6 loopback")

    # -k: two socat clients in turn.
    p, port = psnc_listen_args(t, ["-k"], empty)
    with p:
        if t.check(port is not None, "psnc -l -k -v prints its port"):
            rcs = []
            for i in range(2):
                with Proc([socat, "-t", "30", "STDIO", f"TCP:127.0.0.1:{port}"],
                          t.file(f"sk{i}", f"socat {i}\n".encode())) as cli:
                    rcs.append(cli.finish(t.timeout)[0])
                p.wait_stdout_line(rf"socat {i}$", t.timeout)
            alive = p.p.poll() is None
            p.kill()
            rc, out, err, _ = p.finish(t.timeout)
            t.check(alive and rcs == [0, 0] and out == b"socat 0\nsocat 1\n",
                    "socat, socat -> one psnc -l -k", f"rcs={rcs} out={out!r} err={err!r}")

    # -q 1: socat keeps its side open for 30 s after psnc's half-close
    # (EXEC:cat would answer; this child never does); psnc quits after 1 s.
    srv, port = tool_listen(t, base + ["TCP-LISTEN:0,bind=127.0.0.1",
                                       "SYSTEM:cat >/dev/null; sleep 30"], log, empty)
    with srv:
        if t.check(port is not None, "socat server logs its port"):
            rc, out, err, secs = run(t.cmd + ["-q", "1", "127.0.0.1", str(port)],
                                     t.file("sq1", b"x\n"), t.timeout)
            t.check(rc == 0 and 0.9 <= secs < 20,
                    f"psnc -q 1 -> socat that never closes: psnc ends ({secs:.2f} s)",
                    f"rc={rc} err={err!r}")

    # -U both ways.
    if unix_skip(t, "-U against socat"):
        return
    path = os.path.join(t.tmp.name, "socat.sock")
    srv, _ = tool_listen(t, base + [f"UNIX-LISTEN:{path}", "EXEC:cat"],
                         r"(listening) on", empty)
    with srv:
        rc, out, err, _ = run(t.cmd + ["-U", path], t.file("su1", b"unix echo\n"), t.timeout)
        t.check(rc == 0 and out == b"unix echo\n", "psnc -U -> socat UNIX-LISTEN echo",
                f"rc={rc} err={err!r}")
        srv.finish(t.timeout)
    ppath = os.path.join(t.tmp.name, "psnc2.sock")
    p, _ = tool_listen(t, t.cmd + ["-l", "-U", "-v", ppath], r"(listening) on ",
                       t.file("su2", b"psnc side\n"))
    with p:
        with Proc([socat, "-t", "30", "STDIO", f"UNIX-CONNECT:{ppath}"],
                  t.file("su3", b"socat side\n")) as cli:
            crc, cout, _, _ = cli.finish(t.timeout)
        rc, out, err, _ = p.finish(t.timeout)
        t.check(rc == 0 and crc == 0 and out == b"socat side\n" and cout == b"psnc side\n"
                and not os.path.exists(ppath),
                "socat UNIX-CONNECT -> psnc -l -U: both ways, file removed",
                f"rc={rc} out={out!r} err={err!r}; socat rc={crc} out={cout!r}")


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
        if tool == "socat":
            flag_tests(t, [socat_flags], path)
        else:
            flag_tests(t, [nc_keep, nc_udp, nc_scan, nc_families, nc_source,
                           nc_shutdown, nc_unix], path)
    except Exception as e:  # a broken exchange is a failure, not a crash
        t.check(False, f"{tool} tests", f"{type(e).__name__}: {e}")
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
