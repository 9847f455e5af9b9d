#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Runs tests/tls/schannel_client.c (a Windows program, under Wine) against
native OpenSSL servers on loopback: Wine 8's schannel has no server side, so
portsock_tls's Schannel client is proven against peers no one here wrote.

  openssl s_server: GOOD (handshake only), TLS11 (TLS 1.1 only), ALPN
                    (-alpn http/1.1,h2)
  Python's ssl:     ECHO (echo, then close_notify), TRUNC (data, then a bare
                    TCP close), DOWN / UP (a multi-MiB pattern each way),
                    SHUT (checks that the client's close_notify arrives),
                    SLOW (reads only after 3 s, then checks the stream),
                    (ECHO, DOWN and UP also serve the ps_conn cases),
                    GREET (TLS 1.2; its Finished and a greeting in one
                    TCP write, then awaits "ok"),
                    EXPIRED, WRONGHOST, SELF, UNKNOWNCA (the client rejects
                    them: checks that the server heard an alert),
                    SYSROOT (signed by a CA the test adds to the ROOT
                    store), CROSS (a chain with a cross-certificate)

Each server listens on an ephemeral port, passed in PS_T_<NAME>. Nothing is
generated here: the certificates are the tls_certs fixture's.

Usage: schannel_client.py CERT_DIR EMULATOR... PROGRAM [ARGS...]
"""
import os
import re
import socket
import ssl
import subprocess
import sys
import threading
import time

BULK = 4 * 1024 * 1024
# SLOW's stream: this many copies of the BULK pattern, more than loopback's
# buffers hold while the server does not read.
SLOW_COPIES = 6


def pattern(n):
    """tests/support/pattern.c's bytes 0..n."""
    out = bytearray(n)
    for i in range(n):
        x = (i * 2654435761) & 0xFFFFFFFF
        x ^= x >> 15
        out[i] = (x ^ (x >> 24)) & 0xFF
    return bytes(out)


class PyServer:
    """A TLS server of Python's ssl (OpenSSL) running job per connection."""

    def __init__(self, certs, job, name="server"):
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(os.path.join(certs, name + ".pem"),
                                 os.path.join(certs, name + ".key"))
        self.job = job
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.results = []
        threading.Thread(target=self.run, daemon=True).start()

    def run(self):
        while True:
            try:
                raw, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self.serve, args=(raw,),
                             daemon=True).start()

    def serve(self, raw):
        raw.settimeout(60)
        try:
            conn = self.ctx.wrap_socket(raw, server_side=True,
                                        suppress_ragged_eofs=False)
        except (ssl.SSLError, OSError) as e:
            self.results.append("handshake: %s" % e)
            raw.close()
            return
        try:
            self.results.append(self.job(conn))
        except (ssl.SSLError, OSError) as e:
            self.results.append("error: %s" % e)
        finally:
            try:
                conn.close()
            except OSError:
                pass


def recv_exact(conn, n):
    data = bytearray()
    while len(data) < n:
        chunk = conn.recv(min(n - len(data), 1 << 16))
        if not chunk:
            break
        data += chunk
    return bytes(data)


def job_echo(conn):
    data = conn.recv(64)
    conn.sendall(data)
    conn.unwrap()  # close_notify, and the client's if it sends one
    return "echo"


def job_trunc(conn):
    conn.sendall(b"partial")
    time.sleep(0.2)
    # A bare TCP close: no close_notify, as an attacker's cut looks.
    raw = socket.socket(fileno=conn.detach())
    raw.close()
    return "trunc"


def job_down(conn, data):
    conn.sendall(data)
    conn.unwrap()
    return "down"


def job_up(conn, data):
    got = recv_exact(conn, len(data))
    conn.sendall(b"Y" if got == data else b"N")
    return "up ok" if got == data else "up broken at %d bytes" % len(got)


def job_slow(conn, data, copies):
    # Reads nothing for a while, so that the client's send_all times out
    # with its buffers full; then the whole stream must be intact.
    time.sleep(3)
    for i in range(copies):
        if recv_exact(conn, len(data)) != data:
            conn.sendall(b"N")
            return "slow broken in copy %d" % i
    conn.sendall(b"Y")
    return "slow ok"


class GreetServer(PyServer):
    """A TLS 1.2 server that speaks first (SMTP, IMAP): its last flight
    (Finished) and a greeting leave in one TCP write, through memory BIOs,
    so that the client reads them together; then it awaits b"ok"."""

    def __init__(self, certs):
        super().__init__(certs, None)
        self.ctx.maximum_version = ssl.TLSVersion.TLSv1_2

    def serve(self, raw):
        raw.settimeout(60)
        inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
        obj = self.ctx.wrap_bio(inc, out, server_side=True)

        def step(call):
            while True:
                try:
                    return call()
                except ssl.SSLWantReadError:
                    if out.pending:
                        raw.sendall(out.read())
                    data = raw.recv(65536)
                    if not data:
                        raise OSError("end of stream")
                    inc.write(data)
        try:
            step(obj.do_handshake)
            obj.write(b"220 greeting\r\n")
            raw.sendall(out.read())
            got = step(lambda: obj.read(16))
            self.results.append("answered" if got == b"ok" else "other")
        except (ssl.SSLError, OSError) as e:
            self.results.append("error: %s" % e)
        finally:
            raw.close()


def job_none(conn):
    return "handshake completed"


def job_shut(conn):
    data = recv_exact(conn, 3)
    try:
        rest = conn.recv(16)  # b"" only at close_notify
    except ssl.SSLEOFError:
        return "truncated"
    return "close_notify" if data == b"bye" and rest == b"" else "other"


def s_server(certs, name, extra):
    """openssl s_server on an ephemeral port: (process, port)."""
    cmd = ["openssl", "s_server", "-accept", "127.0.0.1:0",
           "-cert", os.path.join(certs, name + ".pem"),
           "-key", os.path.join(certs, name + ".key")] + extra
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True)
    deadline = time.time() + 20
    while time.time() < deadline:
        line = p.stdout.readline()
        if not line:
            break
        m = re.match(r"ACCEPT .*:(\d+)$", line.strip())
        if m:
            # Its further output is drained, or it could block on a pipe.
            threading.Thread(target=p.stdout.read, daemon=True).start()
            return p, int(m.group(1))
    p.kill()
    sys.exit("openssl s_server %s did not start" % " ".join(extra))


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    certs = sys.argv[1]
    program = sys.argv[2:]
    env = dict(os.environ)
    procs = []
    try:
        for key, name, extra in [
                ("GOOD", "server", []),
                # Security level 0: OpenSSL 3 still speaks TLS 1.1 there.
                ("TLS11", "server", ["-tls1_1", "-cipher",
                                     "DEFAULT@SECLEVEL=0"]),
                ("ALPN", "server", ["-alpn", "http/1.1,h2"])]:
            p, port = s_server(certs, name, extra)
            procs.append(p)
            env["PS_T_" + key] = str(port)
        data = pattern(BULK)
        servers = {
            "ECHO": PyServer(certs, job_echo),
            "TRUNC": PyServer(certs, job_trunc),
            "DOWN": PyServer(certs, lambda c: job_down(c, data)),
            "UP": PyServer(certs, lambda c: job_up(c, data)),
            "SHUT": PyServer(certs, job_shut),
            "SLOW": PyServer(certs, lambda c: job_slow(c, data, SLOW_COPIES)),
            "GREET": GreetServer(certs),
            # Rejected by the client: each must hear its alert.
            "EXPIRED": PyServer(certs, job_none, "expired"),
            "WRONGHOST": PyServer(certs, job_none, "wronghost"),
            "SELF": PyServer(certs, job_none, "self"),
            "UNKNOWNCA": PyServer(certs, job_none),
            # sys_ca (trusted by the system store) signed SYSROOT's
            # certificate; CROSS sends a chain up to cross_ca and its
            # cross-certificate from sys_ca.
            "SYSROOT": PyServer(certs, job_none, "sys_server"),
            "CROSS": PyServer(certs, job_none, "cross_server"),
        }
        for key, srv in servers.items():
            env["PS_T_" + key] = str(srv.port)
        env["PS_T_BULK"] = str(BULK)
        env["PS_T_SLOW_COPIES"] = str(SLOW_COPIES)
        t0 = time.time()
        # sys_ca goes into the prefix's ROOT store first, by a process of
        # its own: Wine's crypt32 reads that store once per process.
        rc = subprocess.call(program + ["--filter",
                                        "schannel_client/sys_ca_is_in_the_root_store"],
                             env=env)
        if rc == 0:
            rc = subprocess.call(program, env=env)
        print("schannel_client: the program took %.1f s, exit %d"
              % (time.time() - t0, rc))
        # The client's close_notify must have reached the SHUT server.
        deadline = time.time() + 5
        while not servers["SHUT"].results and time.time() < deadline:
            time.sleep(0.05)
        shut = servers["SHUT"].results
        print("schannel_client: SHUT server saw %s" % shut)
        if rc == 0 and shut != ["close_notify"]:
            print("FAIL: the client's ps_tls_shutdown did not deliver "
                  "close_notify")
            rc = 1
        # A client that rejects the certificate tells the server (an alert
        # before its last flight), as OpenSSL's client does: the server's
        # handshake fails too, never completes.
        for key in ("EXPIRED", "WRONGHOST", "UNKNOWNCA"):
            seen = servers[key].results
            print("schannel_client: %s server saw %s" % (key, seen))
            if rc == 0 and (not seen or
                            any("alert" not in r for r in seen)):
                print("FAIL: the %s server did not hear an alert" % key)
                rc = 1
        deadline = time.time() + 5
        while not servers["GREET"].results and time.time() < deadline:
            time.sleep(0.05)
        greet = servers["GREET"].results
        if rc == 0 and greet != ["answered"]:
            print("FAIL: GREET server: %s" % greet)
            rc = 1
        up = servers["UP"].results
        # One upload by ps_tls_send_all, one through a ps_conn's queue.
        if rc == 0 and any(r != "up ok" for r in up):
            print("FAIL: UP server: %s" % up)
            rc = 1
        return rc
    finally:
        for p in procs:
            p.kill()
            p.wait()


if __name__ == "__main__":
    sys.exit(main())
