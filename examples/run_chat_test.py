#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Checks a chat server (the protocol of docs/chat.md) from outside.

    run_chat_test.py [--clients N] [--lines L] [--hwm BYTES] [--seed S]
                     [--flood-bytes B] [--no-signal] [EMULATOR...] SERVER

Starts SERVER --port 0 --hwm BYTES --max-line 1024 (under EMULATOR, e.g.
Wine, as run_servers_test.py does), reads "listening on PORT", then:

- N clients join and each waits for ":ok"; one more, the mute client,
  joins with a small receive buffer and never reads again; one more sends
  an over-long line.
- Each client sends L lines of random length (a seeded generator), every
  line split into pieces at random offsets, sent in separate rounds, with
  one line of its own outstanding at a time (sent, not yet seen back).
- About a tenth of the clients leave mid-line after k complete lines
  (each seen back): half with a reset (SO_LINGER 0), half with an ordinary
  close, after sending part of line k.
- Every line carries its sender, its sequence number and its length, and
  its filler is a function of the two, so each receiver checks each line:
  well formed, the next of its sender, never a partial or over-long one.
  At the end of this phase every client that stayed must have received
  exactly every line of every client that stayed, and exactly the k lines
  of each client that left (docs/chat.md says why that is exact).
- The over-long client is dropped by the server (end of stream or reset).
- The clients that stayed close but four, which then flood (about
  --flood-bytes in all, each line checked at each of them) until the mute
  client's queue is far past the high-water mark; then the mute client
  reads what it has: it must end (the server cut it off) well short of
  everything that was broadcast.
- SIGINT (to the server's process group): the server exits 0 and prints
  its summary, whose counts must match (clients, lines in, one cut off, one
  over-long). Under an emulator the wrapper (cmake -E env) may die of the
  signal itself: then its status is not the server's, and the summary is
  what shows the server's orderly exit. --no-signal skips this one check
  (for an emulator that cannot deliver SIGINT) and says so.

- Then a second server with --idle-ms 1000: a silent client is dropped
  (not before 0.5 s), one sending a line every 200 ms for 3 s stays.

Every wait is bounded; exit 0 when every check passed, 1 otherwise.
"""
import argparse
import os
import random
import selectors
import signal
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run_servers_test import Failure, Server  # noqa: E402

MAX_LINE = 1024
STALL = 60  # seconds without progress before a phase fails
FLOODERS = 4


def make_line(cid, seq, length, rng_letter):
    head = b"%d %d %d " % (cid, seq, length)
    return head + bytes([rng_letter]) * (length - len(head) - 1) + b"\n"


def letter(cid, seq):
    return ord("a") + (cid * 31 + seq * 7) % 26


class Client:
    def __init__(self, cid, sock, role):
        self.id, self.sock, self.role = cid, sock, role
        self.inbuf = b""
        self.ok = False
        self.pieces = []        # what is left to send, in pieces
        self.outstanding = 0    # own lines sent, not yet seen back
        self.sent = 0           # own lines started
        self.plan = 0           # complete lines to send
        self.next_seq = {}      # per sender: the next line expected
        self.received = 0
        self.gone = False       # left (or was dropped): no longer read
        self.leave_at = None


class Room:
    def __init__(self, opts, port):
        self.opts = opts
        self.port = port
        self.rng = random.Random(opts.seed)
        self.lines = {}         # sender -> list of its lines (bytes)
        self.forbidden = set()  # (sender, seq) that must never appear
        self.sel = selectors.DefaultSelector()
        self.clients = []

    def connect(self, cid, role, rcvbuf=0):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.settimeout(STALL)
        s.connect(("127.0.0.1", self.port))
        s.setblocking(False)
        c = Client(cid, s, role)
        self.lines[cid] = []
        return c

    def new_line(self, c, length=None):
        seq = len(self.lines[c.id])
        if length is None:
            length = self.rng.randint(16, MAX_LINE)
        line = make_line(c.id, seq, length, letter(c.id, seq))
        self.lines[c.id].append(line)
        return line

    def split(self, data):
        """data in 1 to 4 pieces cut at random offsets."""
        cuts = sorted(self.rng.sample(range(1, len(data)), min(len(data) - 1, self.rng.randint(0, 3))))
        return [data[a:b] for a, b in zip([0] + cuts, cuts + [len(data)])]

    def check(self, c, line):
        """One complete line received by c."""
        parts = line.split(b" ", 3)
        try:
            sender, seq, length = int(parts[0]), int(parts[1]), int(parts[2])
        except (ValueError, IndexError):
            raise Failure(f"client {c.id}: malformed line {line[:80]!r}")
        sent = self.lines.get(sender, [])
        if seq >= len(sent) or sent[seq] != line or length != len(line):
            raise Failure(f"client {c.id}: malformed line (truncated or glued?) "
                          f"{line[:60]!r}... of {len(line)} bytes")
        if (sender, seq) in self.forbidden:
            raise Failure(f"client {c.id}: received line {seq} of client {sender}, "
                          "which was never sent complete (a partial or over-long line)")
        want = c.next_seq.get(sender, 0)
        if seq != want:
            raise Failure(f"client {c.id}: line {seq} of client {sender} where line "
                          f"{want} was due ({'duplicated' if seq < want else 'lost'})")
        c.next_seq[sender] = seq + 1
        c.received += 1
        if sender == c.id:
            c.outstanding -= 1

    def read(self, c):
        """What is there for c; False at end of stream or a reset."""
        try:
            data = c.sock.recv(65536)
        except BlockingIOError:
            return True
        except (ConnectionResetError, ConnectionAbortedError):
            return False
        if not data:
            return False
        buf = c.inbuf + data
        lines = buf.split(b"\n")
        c.inbuf = lines.pop()
        for raw in lines:
            line = raw + b"\n"
            if not c.ok:
                if line != b":ok\n":
                    raise Failure(f"client {c.id}: first line {line[:40]!r}, expected :ok")
                c.ok = True
                continue
            self.check(c, line)
        if len(c.inbuf) > MAX_LINE:
            raise Failure(f"client {c.id}: over {MAX_LINE} bytes without a newline")
        return True

    def send_piece(self, c):
        if not c.pieces:
            return
        try:
            n = c.sock.send(c.pieces[0])
        except BlockingIOError:
            return
        except OSError as e:
            raise Failure(f"client {c.id} ({c.role}): send failed: {e!r}")
        if n < len(c.pieces[0]):
            c.pieces[0] = c.pieces[0][n:]
        else:
            c.pieces.pop(0)

    def pump(self, timeout=0.005):
        """One round: read what arrived; end of stream is a failure unless
        the client is expected to be dropped (the over-long one)."""
        for key, _ in self.sel.select(timeout):
            c = key.data
            if not self.read(c):
                self.sel.unregister(c.sock)
                c.gone = True
                if c.role != "overlong":
                    raise Failure(f"client {c.id} ({c.role}): closed by the server "
                                  f"after {c.received} lines")

    def leave(self, c):
        if c.role == "killed":
            c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.sel.unregister(c.sock)
        c.sock.close()
        c.gone = True


def wait_until(room, done, what):
    start = last = time.monotonic()
    progress = None
    while not done():
        room.pump()
        now = time.monotonic()
        mark = sum(c.received for c in room.clients)
        if mark != progress:
            progress, last = mark, now
        if now - last > STALL:
            raise Failure(f"{what}: no progress for {STALL} s")
    return time.monotonic() - start


def run(opts, cmd):
    n = opts.clients
    srv = Server(cmd, ["--port", "0", "--hwm", str(opts.hwm), "--max-line", str(MAX_LINE)],
                 prefix="listening on ")
    try:
        room, mute, senders = exercise(opts, srv, n)
        for c in room.clients:
            if not c.gone:
                room.leave(c)
        mute.sock.close()
        if opts.no_signal:
            print("note: --no-signal: the exit on SIGINT and the summary were not checked")
            return
        # Let the server see the last closes, so its counts are final.
        time.sleep(0.2)
        # To its group: under an emulator the server is a grandchild.
        os.killpg(srv.proc.pid, signal.SIGINT)
        rc = srv.wait_exit()
        out = srv.proc.stdout.read().decode(errors="replace")
        # An emulator wrapper (cmake -E env) dies of the SIGINT itself; the
        # server's summary, which comes through it, shows the server's exit.
        if rc != 0 and not (len(cmd) > 1 and rc == -signal.SIGINT):
            raise Failure(f"exit status {rc} after SIGINT; stderr: {srv.log_text()[-300:]!r}")
        summary = [ln for ln in out.splitlines() if ln.startswith("summary ")]
        if len(summary) != 1:
            raise Failure(f"no summary line after SIGINT (stdout: {out[-200:]!r})")
        got = dict(w.split("=", 1) for w in summary[0].split()[1:])
        want = {"clients": n + 2, "lines_in": sum(c.sent for c in senders),
                "cut_off": 1, "overlong": 1}
        bad = {k: (got.get(k), v) for k, v in want.items() if got.get(k) != str(v)}
        if bad:
            raise Failure(f"summary {summary[0]!r}: (got, expected) {bad}")
        how = "exit 0" if rc == 0 else "the emulator's wrapper died of it"
        print(f"ok: SIGINT: {how}, {summary[0]}")
    except Failure as e:
        # The server's own account helps to tell its fault from ours.
        if srv.proc.poll() is None and not opts.no_signal:
            os.killpg(srv.proc.pid, signal.SIGINT)
            try:
                srv.proc.wait(timeout=10)
                e.args = (f"{e} [server: {srv.proc.stdout.read().decode(errors='replace').strip()!r}]",)
            except Exception:
                pass
        raise
    finally:
        srv.kill()


def exercise(opts, srv, n):
    room = Room(opts, srv.port)
    # The mute client: a small window, so the server's queue for it grows.
    mute = room.connect(n, "mute", rcvbuf=4096)
    mute.sock.setblocking(True)
    if mute.sock.recv(4) != b":ok\n":
        raise Failure("mute client: no :ok")
    mute.sock.setblocking(False)
    nleave = max(2, n // 10)
    for i in range(n):
        role = "stay" if i >= nleave else ("killed" if i % 2 == 0 else "closer")
        c = room.connect(i, role)
        room.clients.append(c)
        room.sel.register(c.sock, selectors.EVENT_READ, c)
        room.pump(0)
    over = room.connect(n + 1, "overlong")
    room.clients.append(over)
    room.sel.register(over.sock, selectors.EVENT_READ, over)
    wait_until(room, lambda: all(c.ok for c in room.clients), "joining")
    print(f"ok: {n + 2} clients joined (mute, over-long, {nleave} to leave mid-line)")

    for c in room.clients:
        if c.role == "stay":
            c.plan = opts.lines
        elif c.role in ("killed", "closer"):
            c.plan = room.rng.randint(0, opts.lines // 2)
    over.pieces = room.split(room.new_line(over, MAX_LINE + 50))
    room.forbidden.add((over.id, 0))
    senders = [c for c in room.clients if c.role != "overlong"]

    def step():
        if not over.gone:
            room.send_piece(over)
        for c in senders:
            if c.gone:
                continue
            room.send_piece(c)
            if c.pieces or c.outstanding:
                continue
            if c.sent < c.plan:
                c.pieces = room.split(room.new_line(c))
                c.sent += 1
                c.outstanding += 1
                room.send_piece(c)
            elif c.role != "stay" and c.leave_at is None:
                # Part of line k: never to be broadcast.
                line = room.new_line(c)
                room.forbidden.add((c.id, c.sent))
                c.pieces = room.split(line[:room.rng.randint(1, len(line) - 2)])
                c.leave_at = time.monotonic() + 0.05
            elif c.leave_at is not None and time.monotonic() >= c.leave_at:
                room.leave(c)

    stayers = [c for c in room.clients if c.role == "stay"]
    # What every client that stays must have received by the end.
    def expected():
        return sum(c.plan for c in senders)

    def main_done():
        step()
        return (all(c.gone for c in senders if c.role != "stay") and over.gone and
                all(c.sent == c.plan and not c.outstanding and not c.pieces for c in stayers) and
                all(c.received == expected() for c in stayers))
    secs = wait_until(room, main_done, "main phase")
    for c in stayers:
        for s in senders:
            if c.next_seq.get(s.id, 0) != s.plan:
                raise Failure(f"client {c.id}: {c.next_seq.get(s.id, 0)} lines of "
                              f"client {s.id}, expected {s.plan}")
    left = [c for c in senders if c.role != "stay"]
    print(f"ok: main phase ({secs:.1f} s): {len(stayers)} clients each received all "
          f"{expected()} lines in order; {len(left)} clients left mid-line "
          f"(lines kept: {[c.plan for c in left]}), no partial line seen; "
          "the over-long client was dropped")

    # Flood with a few clients until the mute one is far past the mark.
    flooders = stayers[:FLOODERS]
    for c in stayers[FLOODERS:]:
        room.leave(c)
    base = {c.id: c.sent for c in flooders}
    flood_sent = 0

    def flood_step():
        nonlocal flood_sent
        for c in flooders:
            room.send_piece(c)
            while flood_sent < opts.flood_bytes and c.outstanding < 4 and not c.pieces:
                line = room.new_line(c, room.rng.randint(512, MAX_LINE))
                c.pieces = room.split(line)
                c.sent += 1
                c.outstanding += 1
                flood_sent += len(line)
                room.send_piece(c)

    def flood_done():
        flood_step()
        want = {c.id: c.sent for c in flooders}
        return flood_sent >= opts.flood_bytes and all(
            c.next_seq.get(s, 0) == k for c in flooders for s, k in want.items())
    secs = wait_until(room, flood_done, "flood phase")
    sent_lines = sum(c.sent - base[c.id] for c in flooders)
    print(f"ok: flood ({secs:.1f} s): {sent_lines} lines, {flood_sent} bytes, every "
          f"one received in order by all {len(flooders)} flooders")

    # The mute client now reads: the server must have cut it off.
    total = sum(len(x) for c in senders for x in room.lines[c.id][:c.sent])
    got = 0
    mute.sock.settimeout(STALL)
    try:
        while True:
            data = mute.sock.recv(65536)
            if not data:
                break
            got += len(data)
            if got >= total:
                break
    except (ConnectionResetError, ConnectionAbortedError):
        pass
    except socket.timeout:
        raise Failure(f"mute client: still open after {got} bytes and {STALL} s: "
                      "not cut off")
    if got >= total:
        raise Failure(f"mute client: received all {got} bytes broadcast: not cut off")
    print(f"ok: the mute client was cut off after {got} of about {total} bytes")
    return room, mute, senders


def idle(opts, cmd):
    """--idle-ms 1000: a silent client is dropped, not before half that
    (bounds only a real defect breaks); a client sending a line every
    200 ms for 3 s stays, and every one of its lines comes back."""
    srv = Server(cmd, ["--port", "0", "--idle-ms", "1000"], prefix="listening on ")
    try:
        room = Room(opts, srv.port)
        silent, talker = room.connect(0, "silent"), room.connect(1, "talker")
        for c in (silent, talker):
            room.clients.append(c)
            room.sel.register(c.sock, selectors.EVENT_READ, c)
        wait_until(room, lambda: silent.ok and talker.ok, "joining")
        start = time.monotonic()
        dropped = None
        while time.monotonic() - start < 3:
            line = room.new_line(talker)
            talker.sock.sendall(line)
            talker.sent += 1
            talker.outstanding += 1
            until = time.monotonic() + 0.2
            while time.monotonic() < until:
                for key, _ in room.sel.select(0.02):
                    c = key.data
                    if not room.read(c):
                        if c is talker:
                            raise Failure("idle: the talking client was dropped")
                        room.sel.unregister(c.sock)
                        dropped = time.monotonic() - start
        if talker.next_seq.get(talker.id, 0) < talker.sent - 1:
            raise Failure(f"idle: {talker.next_seq.get(talker.id, 0)} of "
                          f"{talker.sent} lines came back")
        if dropped is None:
            silent.sock.settimeout(30)
            try:
                while silent.sock.recv(65536):
                    pass
            except (ConnectionResetError, ConnectionAbortedError):
                pass
            except socket.timeout:
                raise Failure("idle: the silent client is still open after 33 s")
            dropped = time.monotonic() - start
        if dropped < 0.5:
            raise Failure(f"idle: the silent client was dropped after {dropped:.2f} s, "
                          "under half of --idle-ms 1000")
        print(f"ok: idle: the silent client was dropped after {dropped:.1f} s, the one "
              f"sending every 200 ms stayed ({talker.sent} lines)")
    finally:
        srv.kill()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--clients", type=int, default=200)
    ap.add_argument("--lines", type=int, default=20)
    ap.add_argument("--hwm", type=int, default=512 * 1024)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--flood-bytes", type=int, default=8 * 1024 * 1024)
    ap.add_argument("--no-signal", action="store_true")
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    opts = ap.parse_args()
    if not opts.cmd or opts.clients < 10:
        ap.error("a server command is needed, and --clients of 10 or more")
    try:
        run(opts, opts.cmd)
        idle(opts, opts.cmd)
    except (Failure, OSError) as e:
        print(f"FAIL: {e}")
        return 1
    print("passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
