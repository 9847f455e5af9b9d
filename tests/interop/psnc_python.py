#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""psnc against Python socket peers: 1 MiB each way at once, half-close with
a reply after end of input, the listener on all interfaces, and UDP both as
client and listener. argv[1:]: the command that runs psnc."""
import hashlib
import socket
import sys
import time

sys.dont_write_bytecode = True  # keep the source tree clean
from interop_common import (Proc, in_thread, listener, pattern, recv_to_eof,
                            run_suite)

MB = 1 << 20


def listen_port(t, p):
    """psnc -l -v prints 'psnc: listening on ADDR:PORT' on stderr."""
    m = p.wait_stderr(r"listening on .*:(\d+)$", t.timeout)
    return int(m[1]) if m else None


def test_client_both_ways(t):
    """psnc sends 1 MiB from a file while the server sends another 1 MiB:
    both flow at once, so psnc must read while its writes are pending."""
    a, b = pattern(MB, 1), pattern(MB, 2)
    src = t.file("a", a)
    lst, port = listener()

    def server():
        conn, _ = lst.accept()
        conn.settimeout(t.timeout)
        h = in_thread(conn.sendall, b)
        got = recv_to_eof(conn)  # psnc's half-close ends this
        h.result(t.timeout)
        conn.close()
        return got

    with lst:
        h = in_thread(server)
        with Proc(t.cmd + ["127.0.0.1", str(port)], src) as p:
            rc, out, err, secs = p.finish(t.timeout)
        got = h.result(t.timeout)
    t.check(rc == 0 and got == a and out == b,
            f"client: 1 MiB each way at once, byte for byte ({secs:.2f} s)",
            f"rc={rc} server got {len(got)} psnc out {len(out)} err={err!r}")


def test_half_close_reply(t):
    """A server that answers only after end of stream: psnc's half-close must
    reach it and psnc must still read the answer."""
    data = pattern(300_000, 3)
    src = t.file("h", data)
    lst, port = listener()

    def server():
        conn, _ = lst.accept()
        conn.settimeout(t.timeout)
        got = recv_to_eof(conn)
        conn.sendall(hashlib.sha256(got).hexdigest().encode() + b"\n")
        conn.close()
        return got

    with lst:
        h = in_thread(server)
        with Proc(t.cmd + ["127.0.0.1", str(port)], src) as p:
            rc, out, err, secs = p.finish(t.timeout)
        got = h.result(t.timeout)
    want = hashlib.sha256(data).hexdigest().encode() + b"\n"
    t.check(rc == 0 and got == data and out == want,
            f"half-close: server replies after EOF, psnc prints it ({secs:.2f} s)",
            f"rc={rc} out={out!r} err={err!r}")


def test_peer_half_closes_first(t):
    """The client half-closes first; psnc -l must still send all its input."""
    a, b = pattern(200_000, 4), pattern(MB, 5)
    src = t.file("b", b)
    with Proc(t.cmd + ["-l", "-v", "127.0.0.1", "0"], src) as p:
        port = listen_port(t, p)
        if not t.check(port is not None, "listener: prints its port on stderr"):
            return
        with socket.create_connection(("127.0.0.1", port),
                                      timeout=t.timeout) as conn:
            conn.sendall(a)
            conn.shutdown(socket.SHUT_WR)
            got = recv_to_eof(conn)
        rc, out, err, secs = p.finish(t.timeout)
    t.check(rc == 0 and out == a and got == b,
            f"listener: client half-closes first, psnc still sends its 1 MiB "
            f"({secs:.2f} s)", f"rc={rc} out {len(out)} got {len(got)} err={err!r}")
    t.check("connection from 127.0.0.1:" in err, "listener -v: reports the peer",
            err)


def test_listen_all_interfaces(t):
    """No HOST: all interfaces (dual-stack where possible); 127.0.0.1 works.
    The one test that listens beyond loopback, because the all-interfaces
    default is what it checks; it still connects only over 127.0.0.1, and
    psnc takes a single connection and exits."""
    with Proc(t.cmd + ["-l", "-v", "0"], t.file("hi", b"hello from psnc\n")) as p:
        port = listen_port(t, p)
        if not t.check(port is not None, "listener without HOST: prints its port"):
            return
        with socket.create_connection(("127.0.0.1", port),
                                      timeout=t.timeout) as conn:
            conn.sendall(b"hello from python\n")
            conn.shutdown(socket.SHUT_WR)
            got = recv_to_eof(conn)
        rc, out, err, _ = p.finish(t.timeout)
    t.check(rc == 0 and out == b"hello from python\n" and got == b"hello from psnc\n",
            "listener without HOST: reachable on 127.0.0.1", f"rc={rc} err={err!r}")


def test_udp_client(t):
    s, port = listener(socket.SOCK_DGRAM, t.timeout)
    msg = b"datagram from psnc\n"

    def server():
        d, src = s.recvfrom(65536)
        s.sendto(b"first reply\n", src)
        s.sendto(d[::-1], src)
        return d

    with s:
        h = in_thread(server)
        with Proc(t.cmd + ["-u", "-w", "2", "127.0.0.1", str(port)],
                  t.file("u", msg)) as p:
            rc, out, err, secs = p.finish(t.timeout)
        got = h.result(t.timeout)
    t.check(got == msg, "udp client: stdin arrives as one datagram", repr(got))
    t.check(rc == 0 and out == b"first reply\n" + msg[::-1],
            f"udp client: prints both replies, ends 0 after -w idle ({secs:.2f} s)",
            f"rc={rc} out={out!r} err={err!r}")


def test_udp_listener(t):
    reply = b"psnc answers\n"
    with Proc(t.cmd + ["-u", "-l", "-v", "-w", "3", "127.0.0.1", "0"],
              t.file("r", reply)) as p:
        port = listen_port(t, p)
        if not t.check(port is not None, "udp listener: prints its port"):
            return
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as peer, \
                socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as stranger:
            peer.bind(("127.0.0.1", 0))
            peer.settimeout(t.timeout)
            peer.sendto(b"ping\n", ("127.0.0.1", port))
            d, src = peer.recvfrom(65536)
            # Once psnc has its peer, a stranger's datagram must be dropped.
            stranger.bind(("127.0.0.1", 0))
            stranger.sendto(b"intruder\n", ("127.0.0.1", port))
            time.sleep(0.3)
            peer.sendto(b"second\n", ("127.0.0.1", port))
            rc, out, err, secs = p.finish(t.timeout)
    t.check(d == reply and src[1] == port,
            "udp listener: learns the peer from its datagram and replies", repr(d))
    t.check(rc == 0 and out == b"ping\nsecond\n" and "dropped a datagram from" in err,
            f"udp listener: prints the peer's datagrams, drops a stranger's "
            f"({secs:.2f} s)", f"rc={rc} out={out!r} err={err!r}")


def main():
    return run_suite("psnc_python", (test_client_both_ways, test_half_close_reply,
                 test_peer_half_closes_first, test_listen_all_interfaces,
                 test_udp_client, test_udp_listener))


if __name__ == "__main__":
    sys.exit(main())
