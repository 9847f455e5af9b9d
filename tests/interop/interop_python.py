#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""portsock (interop_peer) against Python's own socket module: fixed-length
messages, struct-packed frames, UDP datagrams, and peers that close or reset
in the middle. argv[1:]: the command that runs interop_peer."""
import socket
import struct
import sys
import time

sys.dont_write_bytecode = True  # keep the source tree clean
from interop_common import (Proc, in_thread, listener, pattern, recv_exact,
                            recv_to_eof, run_suite)


def fixed_client(conn, size, count):
    """Python sends each message with sendall, reads exactly size back."""
    ok = True
    for i in range(count):
        msg = pattern(size, i)
        conn.sendall(msg)
        back = recv_exact(conn, size)
        ok = ok and back == bytes(b ^ ((i + 1) & 0xFF) for b in msg)
    return ok


def test_fixed(t):
    size, count = 1000, 50
    lst, port = listener()
    with lst, Proc(t.cmd + ["fixed", "127.0.0.1", str(port), str(size),
                            str(count)]) as p:
        conn, _ = lst.accept()
        with conn:
            conn.settimeout(t.timeout)
            t0 = time.monotonic()
            ok = fixed_client(conn, size, count)
            rc, out, err, _ = p.finish(t.timeout)
    t.check(ok, f"fixed: {count} x {size} B, Python sendall -> ps_recv_all, "
            f"ps_send_all -> Python exact read ({time.monotonic() - t0:.2f} s)")
    t.check(rc == 0 and b"fixed ok 50 1000" in out, "fixed: peer reports all messages",
            f"rc={rc} out={out!r} err={err}")

    # One big message: many ps_recv_all iterations behind one call.
    size = 1 << 20
    lst, port = listener()
    with lst, Proc(t.cmd + ["fixed", "127.0.0.1", str(port), str(size),
                            "1"]) as p:
        conn, _ = lst.accept()
        with conn:
            conn.settimeout(t.timeout)
            t0 = time.monotonic()
            ok = fixed_client(conn, size, 1)
            rc, out, err, _ = p.finish(t.timeout)
    t.check(ok and rc == 0, f"fixed: one 1 MiB message each way "
            f"({time.monotonic() - t0:.2f} s)", f"rc={rc} err={err}")


def test_serve_fixed(t):
    """The portsock side listens (port 0, printed), Python connects."""
    with Proc(t.cmd + ["serve-fixed", "4096", "8"]) as p:
        m = p.wait_stdout_line(r"^port (\d+)", t.timeout)
        if not t.check(m is not None, "serve-fixed: peer prints its ephemeral port"):
            return
        with socket.create_connection(("127.0.0.1", int(m[1])),
                                      timeout=t.timeout) as conn:
            ok = fixed_client(conn, 4096, 8)
        rc, out, err, _ = p.finish(t.timeout)
    t.check(ok and rc == 0 and b"fixed ok 8 4096" in out,
            "serve-fixed: ps_listen/ps_accept with a Python client",
            f"rc={rc} out={out!r} err={err}")


def test_frames(t):
    cap = 65536
    sizes = [0, 1, 5, 4096, cap, 200_000, 70_000, 3]
    lst, port = listener()
    with lst, Proc(t.cmd + ["frames", "127.0.0.1", str(port), str(cap)]) as p:
        conn, _ = lst.accept()
        with conn:
            conn.settimeout(t.timeout)
            results = []
            for i, n in enumerate(sizes):
                payload = pattern(n, 100 + i)
                conn.sendall(struct.pack("!I", n) + payload)
                (length,) = struct.unpack("!I", recv_exact(conn, 4))
                reply = recv_exact(conn, length)
                want = b"skipped" if n > cap else payload[::-1]
                results.append(reply == want)
            conn.shutdown(socket.SHUT_WR)  # end of stream between frames
            rest = recv_to_eof(conn)
        rc, out, err, _ = p.finish(t.timeout)
    lines = out.decode().split()
    t.check(all(results), f"frames: struct.pack('!I') frames of {sizes} B "
            "read by ps_recv_frame, ps_send_frame replies read by struct.unpack",
            f"per frame {results}")
    t.check(out.decode().count("emsgsize") == 2 and "emsgsize 200000" in out.decode()
            and "emsgsize 70000" in out.decode(),
            "frames: over-cap frames give PS_EMSGSIZE with the announced length",
            repr(out))
    t.check(rc == 0 and lines[-2:] == ["frames", str(len(sizes))] and rest == b"",
            "frames: end of stream between frames is PS_ECLOSED with len 0",
            f"rc={rc} out={out!r} err={err}")


def close_midway(t, sub, arg, send, label, want):
    lst, port = listener()
    with lst, Proc(t.cmd + [sub, "127.0.0.1", str(port), str(arg)]) as p:
        conn, _ = lst.accept()
        with conn:
            conn.sendall(send)
        # Closed mid-message.
        rc, out, err, _ = p.finish(t.timeout)
    got = out.decode().strip()
    t.check(rc == 0 and got == want, f"{label}: peer prints '{want}'",
            f"rc={rc} got {got!r} err={err}")


def test_closed(t):
    close_midway(t, "recv-all", 1000, pattern(700), "close mid-message: "
                 "ps_recv_all of 1000 after 700 B", "PS_ECLOSED 700")
    close_midway(t, "recv-all", 1000, b"", "close before any byte: "
                 "ps_recv_all of 1000", "PS_ECLOSED 0")
    close_midway(t, "recv-frame", 4096, struct.pack("!I", 100) + pattern(40),
                 "close mid-frame payload: ps_recv_frame", "PS_ECLOSED")
    close_midway(t, "recv-frame", 4096, b"\x00\x00", "close mid-frame header: "
                 "ps_recv_frame", "PS_ECLOSED")


def test_reset(t):
    """Python reads a little, then resets (SO_LINGER 0): ps_send_all must
    fail with a reset/pipe error and count what went."""
    total = 64 << 20
    lst, port = listener()
    with lst, Proc(t.cmd + ["send-all", "127.0.0.1", str(port), str(total)]) as p:
        conn, _ = lst.accept()
        with conn:
            conn.settimeout(t.timeout)
            first = recv_exact(conn, 1000)
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                            struct.pack("ii", 1, 0))
        rc, out, err, _ = p.finish(t.timeout)
    parts = out.decode().split()
    ok = (rc == 0 and len(parts) == 2 and
          parts[0] in ("PS_ECONNRESET", "PS_EPIPE", "PS_ECONNABORTED") and
          1000 <= int(parts[1]) < total and len(first) == 1000)
    t.check(ok, f"reset while sending: ps_send_all of {total} B fails with "
            f"{' after '.join(parts) if len(parts) == 2 else '?'} B",
            f"rc={rc} out={out!r} err={err}")


def test_udp(t):
    # Python -> portsock -> Python; the last one is longer than the cap.
    cap = 2048
    sizes = [0, 1, 512, 2048, 3000]
    with Proc(t.cmd + ["udp-echo", str(cap), str(len(sizes))]) as p:
        m = p.wait_stdout_line(r"^port (\d+)", t.timeout)
        if not t.check(m is not None, "udp-echo: peer prints its ephemeral port"):
            return
        peer = ("127.0.0.1", int(m[1]))
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.bind(("127.0.0.1", 0))
            s.settimeout(t.timeout)
            replies = []
            for i, n in enumerate(sizes):
                d = pattern(n, 200 + i)
                s.sendto(d, peer)
                back, src = s.recvfrom(65536)
                replies.append(back == d[:cap][::-1] and src == peer)
            rc, out, err, _ = p.finish(t.timeout)
            me = "127.0.0.1:%d" % s.getsockname()[1]
    lines = [l.split() for l in out.decode().splitlines() if l.startswith("dgram")]
    t.check(all(replies), f"udp: Python sendto of {sizes} B, ps_recvfrom + "
            "ps_sendto back, Python recvfrom", f"per datagram {replies}")
    want = [["dgram", str(min(n, cap)), me, "PS_EMSGSIZE" if n > cap else "PS_OK"]
            for n in sizes]
    t.check(rc == 0 and lines == want, "udp: ps_recvfrom lengths, sender "
            "address, and PS_EMSGSIZE for the datagram over the cap",
            f"rc={rc} got {lines} want {want} err={err}")

    # portsock -> Python -> portsock.
    s, port = listener(socket.SOCK_DGRAM, t.timeout)
    count = 8

    def responder():
        n = 0
        for _ in range(count):
            d, src = s.recvfrom(65536)
            s.sendto(d[::-1], src)
            n += len(d)
        return n

    with s:
        h = in_thread(responder)
        with Proc(t.cmd + ["udp-send", f"127.0.0.1:{port}", str(count)]) as p:
            rc, out, err, _ = p.finish(t.timeout)
        try:
            moved = h.result(t.timeout)
        except Exception as e:
            moved = f"responder failed: {e}"
    t.check(rc == 0 and b"udp-send ok 8" in out,
            f"udp: ps_sendto to Python's recvfrom and back, {count} datagrams "
            f"({moved} B)", f"rc={rc} out={out!r} err={err}")


def main():
    return run_suite("interop_python", (test_fixed, test_serve_fixed, test_frames, test_closed,
                 test_reset, test_udp))


if __name__ == "__main__":
    sys.exit(main())
