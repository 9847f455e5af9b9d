#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""psnc --ssl against TLS programs no one here wrote, on 127.0.0.1:
openssl s_server and s_client, socat OPENSSL: and OPENSSL-LISTEN:, curl
--cacert fetching a response served by psnc -l --ssl, and ncat --ssl both
ways; psnc to psnc over -U; a Python ssl server's burst that psnc must
deliver from memory while the socket is idle (ps_tls_pending). psnc
verifies the server by default (the test CA through --ssl-trustfile); a
wrong host name fails with status 1 and the reason on
stderr; a self-signed server is refused unless --ssl-insecure. Every case
checks the bytes that arrived on each side, and how psnc ended: status 0
after the peer's close_notify; status 1 with PS_ETRUNCATED after an end
without it (ncat's client sends none).
Usage: psnc_tls.py CERT-DIR PSNC-COMMAND...
CERT-DIR holds tests/tls/make_certs.sh's files (the tls_certs fixture).
A tool that is not installed makes its cases fail, saying which: the
TLS interop leg needs them all (openssl, socat, curl, ncat)."""
import os
import shutil
import sys
import time

sys.dont_write_bytecode = True  # keep the source tree clean
from interop_common import Proc, free_port, pattern, run_suite

CERTS = None  # set by main


def cert(name):
    return os.path.join(CERTS, name)


def tool(t, name):
    path = shutil.which(name)
    t.check(path is not None, f"{name} is installed",
            f"{name} not found: install it (Debian package {name})")
    return path


def wait_out(p, data, timeout):
    """Waits until p's standard output holds data (or p exits)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        with open(p.out_path, "rb") as f:
            if data in f.read():
                return True
        if p.p.poll() is not None:
            return False
        time.sleep(0.02)
    return False


def psnc_listen(t, extra, stdin_path=None, stdin_pipe=False):
    """psnc -l --ssl with the server certificate on 127.0.0.1, port 0;
    returns the Proc and the port it logs (None if it did not)."""
    p = Proc(t.cmd + ["-l", "-v", "--ssl", "--ssl-cert", cert("server.pem"),
                      "--ssl-key", cert("server.key")] + extra + ["127.0.0.1", "0"],
             stdin_path, stdin_pipe=stdin_pipe)
    m = p.wait_stderr(r"listening on .*:(\d+)$", t.timeout)
    return p, (int(m[1]) if m else None)


def listening(port, timeout):
    """Waits until a TCP socket listens on 127.0.0.1:port (Linux: read from
    /proc/net/tcp, so that no probe connection uses up the server's one
    accept)."""
    want = f"0100007F:{port:04X}"
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        with open("/proc/net/tcp") as f:
            for line in f.readlines()[1:]:
                w = line.split()
                if w[1] == want and w[3] == "0A":  # TCP_LISTEN
                    return True
        time.sleep(0.02)
    return False


def s_server(t, openssl, port, crt, key, extra=()):
    """openssl s_server -quiet on 127.0.0.1:port for one connection, its
    standard input a pipe kept open; returns the Proc once it listens (None
    if it never does). -quiet: its standard output is only the data (its
    other output, buffered apart, may land amid the data)."""
    p = Proc([openssl, "s_server", "-quiet", "-accept", f"127.0.0.1:{port}",
              "-naccept", "1", "-cert", cert(crt), "-key", cert(key)] + list(extra),
             stdin_pipe=True)
    if not listening(port, t.timeout):
        p.kill()
        return None
    return p


def test_s_server(t):
    """psnc --ssl -> openssl s_server: verified with the test CA, data both
    ways, ALPN agreed; psnc ends its input with close_notify."""
    openssl = tool(t, "openssl")
    if not openssl:
        return
    port = free_port()
    srv = s_server(t, openssl, port, "server.pem", "server.key", ["-alpn", "h2"])
    if not t.check(srv is not None, "openssl s_server starts"):
        return
    to_srv, to_cli = pattern(20000, 1), pattern(30000, 2)
    with srv:
        srv.p.stdin.write(to_cli)
        srv.p.stdin.flush()
        with Proc(t.cmd + ["-v", "--ssl", "--ssl-trustfile", cert("ca.pem"),
                           "--ssl-alpn", "http/1.1,h2", "localhost", str(port)],
                  stdin_pipe=True) as p:
            p.p.stdin.write(to_srv)
            p.p.stdin.flush()
            got = wait_out(p, to_cli, t.timeout)
            p.p.stdin.close()  # end of input: close_notify
            rc, out, err, secs = p.finish(t.timeout)
        srv.p.stdin.close()
        src, sout, serr, _ = srv.finish(t.timeout)
    t.check(got and rc == 0 and out == to_cli and sout == to_srv,
            f"psnc --ssl -> openssl s_server: verified, {len(to_srv)} B and "
            f"{len(to_cli)} B arrived ({secs:.2f} s)",
            f"rc={rc} got {len(out)} B err={err!r}; s_server got "
            f"{len(sout)} B, rc={src}")
    t.check("ALPN h2" in err and "TLS 1.3" in err and "CN=localhost" in err,
            "psnc -v reports TLS 1.3, ALPN h2 and the server's subject", err)


def test_s_server_refused(t):
    """Verification is on by default: a certificate for another host name
    and a self-signed one are refused (status 1, the reason on stderr);
    --ssl-insecure accepts the self-signed one."""
    openssl = tool(t, "openssl")
    if not openssl:
        return
    for crt, key, why, extra in (
            ("wronghost.pem", "wronghost.key", "hostname mismatch",
             ["--ssl-trustfile", cert("ca.pem")]),
            ("self.pem", "self.key", "self-signed", [])):
        port = free_port()
        srv = s_server(t, openssl, port, crt, key)
        if not t.check(srv is not None, f"openssl s_server ({crt}) starts"):
            continue
        with srv:
            with Proc(t.cmd + ["--ssl"] + extra + ["localhost", str(port)],
                      stdin_pipe=True) as p:
                p.p.stdin.write(b"never sent\n")
                p.p.stdin.close()
                rc, out, err, _ = p.finish(t.timeout)
            srv.p.stdin.close()
            srv.finish(t.timeout)
        t.check(rc == 1 and out == b"" and "PS_ECERT" in err and why in err,
                f"psnc --ssl refuses {crt}: status 1, PS_ECERT, '{why}'",
                f"rc={rc} out={out!r} err={err!r}")

    port = free_port()
    srv = s_server(t, openssl, port, "self.pem", "self.key")
    if not t.check(srv is not None, "openssl s_server (self.pem) starts"):
        return
    data = pattern(5000, 3)
    with srv:
        srv.p.stdin.write(b"self-signed hello\n")
        srv.p.stdin.flush()
        with Proc(t.cmd + ["--ssl", "--ssl-insecure", "localhost", str(port)],
                  stdin_pipe=True) as p:
            p.p.stdin.write(data)
            p.p.stdin.flush()
            got = wait_out(p, b"self-signed hello\n", t.timeout)
            p.p.stdin.close()
            rc, out, err, _ = p.finish(t.timeout)
        srv.p.stdin.close()
        _, sout, _, _ = srv.finish(t.timeout)
    t.check(got and rc == 0 and out == b"self-signed hello\n" and sout == data,
            "psnc --ssl --ssl-insecure accepts the self-signed server, data both ways",
            f"rc={rc} out={out!r} err={err!r}")


def test_s_client(t):
    """openssl s_client -> psnc -l --ssl: data both ways, ALPN; psnc sees
    s_client's close_notify (status 0) and s_client psnc's."""
    openssl = tool(t, "openssl")
    if not openssl:
        return
    to_srv, to_cli = pattern(40000, 4), pattern(25000, 5)
    cfile = t.file("s_client.in", to_srv)
    p, port = psnc_listen(t, ["--ssl-alpn", "x-other,x-test"], stdin_pipe=True)
    with p:
        if not t.check(port is not None, "psnc -l --ssl logs its port"):
            return
        # -quiet: s_client prints only the data, and goes on after the end
        # of its input until psnc's close_notify.
        with Proc([openssl, "s_client", "-quiet", "-connect", f"127.0.0.1:{port}",
                   "-servername", "localhost", "-verify_return_error",
                   "-CAfile", cert("ca.pem"), "-alpn", "x-test"], cfile) as c:
            got = wait_out(p, to_srv, t.timeout)
            p.p.stdin.write(to_cli)
            p.p.stdin.close()  # close_notify from psnc
            crc, cout, cerr, _ = c.finish(t.timeout)
        rc, out, err, secs = p.finish(t.timeout)
    t.check(got and rc == 0 and out == to_srv and crc == 0 and cout == to_cli,
            f"openssl s_client -> psnc -l --ssl: {len(to_srv)} B and {len(to_cli)} B "
            f"arrived, close_notify both ways ({secs:.2f} s)",
            f"rc={rc} got {len(out)} B err={err!r}; s_client rc={crc} got "
            f"{len(cout)} B err={cerr!r}")
    t.check("ALPN x-test" in err, "psnc -l --ssl agrees ALPN x-test", err)


def test_s_client_cert(t):
    """psnc -l --ssl --ssl-verify requires a client certificate from the
    --ssl-trustfile CA: s_client with the test client certificate gets
    through, s_client without one is refused (status 1, the reason)."""
    openssl = tool(t, "openssl")
    if not openssl:
        return
    verify = ["--ssl-verify", "--ssl-trustfile", cert("ca.pem")]
    data = pattern(3000, 11)
    p, port = psnc_listen(t, verify, stdin_pipe=True)
    with p:
        if not t.check(port is not None, "psnc -l --ssl --ssl-verify logs its port"):
            return
        with Proc([openssl, "s_client", "-quiet", "-connect", f"127.0.0.1:{port}",
                   "-servername", "localhost", "-CAfile", cert("ca.pem"),
                   "-cert", cert("client.pem"), "-key", cert("client.key")],
                  t.file("client.in", data)) as c:
            got = wait_out(p, data, t.timeout)
            p.p.stdin.write(b"welcome\n")
            p.p.stdin.close()
            crc, cout, _, _ = c.finish(t.timeout)
        rc, out, err, _ = p.finish(t.timeout)
    t.check(got and rc == 0 and out == data and cout == b"welcome\n" and
            "CN=portsock client" in err,
            "psnc -l --ssl-verify: s_client with the CA's client certificate gets "
            "through, both ways", f"rc={rc} got {len(out)} B err={err!r}; "
            f"s_client rc={crc} out={cout!r}")

    p, port = psnc_listen(t, verify, stdin_pipe=True)
    with p:
        if not t.check(port is not None, "psnc -l --ssl --ssl-verify logs its port"):
            return
        with Proc([openssl, "s_client", "-quiet", "-connect", f"127.0.0.1:{port}",
                   "-servername", "localhost", "-CAfile", cert("ca.pem")],
                  t.file("client.in", data)) as c:
            rc, out, err, _ = p.finish(t.timeout)
            c.finish(t.timeout)
    t.check(rc == 1 and out == b"" and "TLS handshake: PS_E" in err,
            "psnc -l --ssl-verify refuses s_client without a certificate: "
            "status 1, the reason", f"rc={rc} out={out!r} err={err!r}")


def both_ways(t, what, mine, peer, to_psnc, to_peer):
    """Checks an exchange between psnc and socat from their results
    (Proc.finish's): both ended with status 0, each got what the other
    was given."""
    rc, out, err, secs = mine
    prc, pout, perr, _ = peer
    t.check(rc == 0 and out == to_psnc and prc == 0 and pout == to_peer,
            f"{what}: {len(to_peer)} B and {len(to_psnc)} B arrived ({secs:.2f} s)",
            f"rc={rc} got {len(out)} B err={err!r}; socat rc={prc} got "
            f"{len(pout)} B err={perr[-300:]!r}")


def test_socat(t):
    """socat OPENSSL: -> psnc -l --ssl and psnc --ssl -> socat
    OPENSSL-LISTEN:, 1 MiB each way."""
    socat = tool(t, "socat")
    if not socat:
        return
    a, b = pattern(1 << 20, 6), pattern(1 << 20, 7)
    fa, fb = t.file("socat.a", a), t.file("socat.b", b)

    p, port = psnc_listen(t, [], fb)
    with p:
        if t.check(port is not None, "psnc -l --ssl logs its port"):
            with Proc([socat, "-t", "30", "-",
                       f"OPENSSL:127.0.0.1:{port},cafile={cert('ca.pem')},"
                       "commonname=localhost"], fa) as c:
                peer = c.finish(t.timeout)
            both_ways(t, "socat OPENSSL: -> psnc -l --ssl", p.finish(t.timeout),
                      peer, a, b)

    port = free_port()
    with Proc([socat, "-d", "-d", "-t", "30",
               f"OPENSSL-LISTEN:{port},bind=127.0.0.1,cert={cert('server.pem')},"
               f"key={cert('server.key')},verify=0", "-"], fb) as s:
        if t.check(s.wait_stderr(r"listening on", t.timeout) is not None,
                   "socat OPENSSL-LISTEN: starts"):
            with Proc(t.cmd + ["--ssl", "--ssl-trustfile", cert("ca.pem"),
                               "localhost", str(port)], fa) as p:
                mine = p.finish(t.timeout)
            both_ways(t, "psnc --ssl -> socat OPENSSL-LISTEN:", mine,
                      s.finish(t.timeout), b, a)


def test_curl(t):
    """curl --cacert fetches an HTTP response that psnc -l --ssl serves
    from its standard input; psnc gets curl's request."""
    curl = tool(t, "curl")
    if not curl:
        return
    body = pattern(100000, 8).hex().encode()[:100000]
    resp = (b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: "
            + str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n" + body)
    p, port = psnc_listen(t, [], t.file("response", resp))
    with p:
        if not t.check(port is not None, "psnc -l --ssl logs its port"):
            return
        with Proc([curl, "-sS", "--http1.1", "--cacert", cert("ca.pem"),
                   "--max-time", "20", f"https://localhost:{port}/psnc"]) as c:
            crc, cout, cerr, _ = c.finish(t.timeout)
        rc, out, err, secs = p.finish(t.timeout)
    t.check(crc == 0 and cout == body,
            f"curl --cacert fetches {len(body)} B from psnc -l --ssl ({secs:.2f} s)",
            f"curl rc={crc} got {len(cout)} B err={cerr!r}; psnc rc={rc} err={err!r}")
    t.check(rc == 0 and out.startswith(b"GET /psnc HTTP/1.1\r\n"),
            "psnc -l --ssl got curl's request and ended cleanly",
            f"rc={rc} out={out[:80]!r} err={err!r}")


TRUNCATED = "receive: PS_ETRUNCATED"


def cross_feed(t, x, y, to_x, to_y):
    """Writes to_x and to_y to the standard input pipes of x and y, two
    connected programs, leaving the pipes open; True once each one's
    output holds what the other was given."""
    x.p.stdin.write(to_x)
    x.p.stdin.flush()
    y.p.stdin.write(to_y)
    y.p.stdin.flush()
    return wait_out(y, to_x, t.timeout) and wait_out(x, to_y, t.timeout)


def test_ncat(t):
    """ncat --ssl both ways: ncat verifying psnc -l --ssl with the test CA,
    and psnc --ssl verifying ncat -l --ssl. ncat ends the whole connection
    at the end of its input or of its peer's, so both inputs stay open
    (pipes) until every byte has arrived on both sides."""
    ncat = tool(t, "ncat")
    if not ncat:
        return
    a, b = pattern(300000, 9), pattern(200000, 10)

    p, port = psnc_listen(t, [], stdin_pipe=True)
    with p:
        if t.check(port is not None, "psnc -l --ssl logs its port"):
            with Proc([ncat, "--ssl", "--ssl-verify", "--ssl-trustfile", cert("ca.pem"),
                       "localhost", str(port)], stdin_pipe=True) as c:
                got = cross_feed(t, c, p, a, b)
                c.p.stdin.close()  # ncat ends the connection
                crc, cout, cerr, _ = c.finish(t.timeout)
            rc, out, err, secs = p.finish(t.timeout)
            # ncat closes at the end of its input without close_notify:
            # psnc cannot tell that from a cut, says so and exits 1.
            t.check(got and out == a and crc == 0 and cout == b and rc == 1
                    and TRUNCATED in err,
                    f"ncat --ssl --ssl-verify -> psnc -l --ssl: {len(a)} B and "
                    f"{len(b)} B arrived; ncat sends no close_notify, psnc "
                    f"reports PS_ETRUNCATED, status 1 ({secs:.2f} s)",
                    f"rc={rc} got {len(out)} B err={err!r}; ncat rc={crc} got "
                    f"{len(cout)} B err={cerr!r}")

    port = free_port()
    with Proc([ncat, "-v", "--ssl", "--ssl-cert", cert("server.pem"), "--ssl-key",
               cert("server.key"), "-l", "127.0.0.1", str(port)], stdin_pipe=True) as s:
        if t.check(s.wait_stderr(r"Listening on", t.timeout) is not None,
                   "ncat -l --ssl starts"):
            with Proc(t.cmd + ["--ssl", "--ssl-trustfile", cert("ca.pem"),
                               "localhost", str(port)], stdin_pipe=True) as p:
                got = cross_feed(t, p, s, a, b)
                p.p.stdin.close()
                rc, out, err, secs = p.finish(t.timeout)
            s.p.stdin.close()
            src, sout, serr, _ = s.finish(t.timeout)
            # ncat answers psnc's close_notify with its own: status 0.
            t.check(got and out == b and src == 0 and sout == a and rc == 0,
                    f"psnc --ssl -> ncat -l --ssl: {len(a)} B and {len(b)} B "
                    f"arrived, close_notify both ways ({secs:.2f} s)",
                    f"rc={rc} got {len(out)} B err={err!r}; ncat rc={src} got "
                    f"{len(sout)} B err={serr[-300:]!r}")


def test_unix(t):
    """psnc -U --ssl to psnc -l -U --ssl (AF_UNIX): verified through
    --ssl-servername, data both ways, close_notify both ways, the socket
    file removed."""
    path = os.path.join(t.tmp.name, "tls.sock")
    a, b = pattern(70000, 12), pattern(50000, 13)
    with Proc(t.cmd + ["-l", "-v", "-U", "--ssl", "--ssl-cert", cert("server.pem"),
                       "--ssl-key", cert("server.key"), path],
              t.file("unix.b", b)) as p:
        m = p.wait_stderr(r"listening on", t.timeout)
        if not t.check(m is not None, "psnc -l -U --ssl logs that it listens"):
            return
        with Proc(t.cmd + ["-U", "--ssl", "--ssl-trustfile", cert("ca.pem"),
                           "--ssl-servername", "localhost", path],
                  t.file("unix.a", a)) as c:
            crc, cout, cerr, _ = c.finish(t.timeout)
        rc, out, err, secs = p.finish(t.timeout)
    t.check(rc == 0 and crc == 0 and out == a and cout == b
            and not os.path.exists(path),
            f"psnc -U --ssl -> psnc -l -U --ssl: {len(a)} B and {len(b)} B "
            f"arrived, file removed ({secs:.2f} s)",
            f"rc={rc} got {len(out)} B err={err!r}; client rc={crc} got "
            f"{len(cout)} B err={cerr!r}")


def test_pending(t):
    """psnc's loop takes decrypted bytes held in memory before it waits
    (ps_tls_pending). psnc_small_reads is psnc built with 1,000-byte reads
    (PSNC_SMALL_READS names it), shorter than a TLS record: a Python ssl
    server sends three full 16 KiB records in one burst, then waits,
    saying nothing more and keeping the connection open. Once the kernel
    has handed the last record to OpenSSL the socket has nothing to read
    while most of that record is still in memory, so a loop that waited on
    the socket first would stall there, short of the burst, until the
    peer's next word. All of it must reach psnc's standard output before
    the peer says anything more; then both sides end with close_notify."""
    import socket
    import ssl
    small = os.environ.get("PSNC_SMALL_READS")
    if not t.check(small is not None and os.path.exists(small),
                   "psnc_small_reads is built (PSNC_SMALL_READS)",
                   f"PSNC_SMALL_READS={small!r}"):
        return
    cmd = t.cmd[:-1] + [small]
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert("server.pem"), cert("server.key"))
    burst = pattern(3 * 16384, 14)
    with socket.socket() as ls:
        ls.bind(("127.0.0.1", 0))
        ls.listen(1)
        ls.settimeout(t.timeout)
        port = ls.getsockname()[1]
        with Proc(cmd + ["--ssl", "--ssl-trustfile", cert("ca.pem"),
                         "localhost", str(port)], stdin_pipe=True) as p:
            conn, _ = ls.accept()
            conn.settimeout(t.timeout)
            s = ctx.wrap_socket(conn, server_side=True)
            s.sendall(burst)
            t0 = time.monotonic()
            got = wait_out(p, burst, 10)
            waited = time.monotonic() - t0
            with open(p.out_path, "rb") as f:
                early = f.read()
            p.p.stdin.close()  # psnc's close_notify; then ours
            s.unwrap()
            s.close()
            rc, out, err, secs = p.finish(t.timeout)
    t.check(got and early == burst and rc == 0 and out == burst,
            f"psnc (1,000-byte reads) delivers a {len(burst)} B burst of "
            f"full records while the peer waits ({waited:.2f} s), then "
            "close_notify both ways",
            f"{len(early)} of {len(burst)} B before the peer's next word "
            f"({waited:.2f} s); rc={rc} out {len(out)} B err={err!r}")


def main():
    global CERTS
    if len(sys.argv) < 3:
        print(__doc__)
        return 2
    CERTS = sys.argv.pop(1)
    return run_suite("psnc_tls", [test_s_server, test_s_server_refused,
                                  test_s_client, test_s_client_cert,
                                  test_socat, test_curl, test_ncat,
                                  test_unix, test_pending])


if __name__ == "__main__":
    sys.exit(main())
