#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Runs the echo servers or the frame demo and checks them from outside.

    run_servers_test.py echo_server   [EMULATOR...] PROGRAM
    run_servers_test.py threaded_echo [EMULATOR...] PROGRAM
    run_servers_test.py poller_pool   [EMULATOR...] PROGRAM
    run_servers_test.py frame_demo    [EMULATOR...] PROGRAM

For a server: starts it on 127.0.0.1 port 0, reads the port from its first
line ("listening on 127.0.0.1:PORT"), then with Python sockets: several
clients at once (one streams 1 MB, the others small payloads), every echo
compared byte for byte; the command line (usage errors, --help);
--max-clients (one more client is closed at once);
a client that resets the connection with data in flight does not stop the
server; the server exits 0 after --exit-after N. echo_server also:
--stdin-quit. poller_pool also: many clients at once, each sending many
small messages, every message echoed exactly once and in order. Every wait is bounded; a Wine prefix may take a while to
start, so the timeouts are generous."""
import os
import queue
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

START_TIMEOUT = 120   # first line from the program (Wine may be slow to start)
IO_TIMEOUT = 60       # any one socket operation
EXIT_TIMEOUT = 60     # the server's exit after its last client


class Failure(Exception):
    pass


class Server:
    """The program under test, its port (from its first line: prefix, then
    the port) and its log (stderr in a file, so a chatty log can never fill
    a pipe and stall it)."""

    def __init__(self, cmd, args, stdin=subprocess.DEVNULL,
                 prefix="listening on 127.0.0.1:"):
        self.log = tempfile.TemporaryFile()
        # A session of its own, so kill() reaches the whole group: under an
        # emulator ("cmake -E env ... wine64") the program is a grandchild.
        self.proc = subprocess.Popen(cmd + args, stdin=stdin,
                                     stdout=subprocess.PIPE, stderr=self.log,
                                     start_new_session=True)
        lines = queue.Queue()
        threading.Thread(target=lambda: lines.put(self.proc.stdout.readline()),
                         daemon=True).start()
        try:
            first = lines.get(timeout=START_TIMEOUT).decode(errors="replace").strip()
        except queue.Empty:
            self.kill()
            raise Failure(f"no first line within {START_TIMEOUT} s")
        if not first.startswith(prefix):
            self.kill()
            raise Failure(f"first line is {first!r}, expected {prefix}PORT")
        self.port = int(first[len(prefix):])

    def connect(self, rcvbuf=0):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf:
            # Before connecting, so the TCP window stays small.
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        s.settimeout(IO_TIMEOUT)
        s.connect(("127.0.0.1", self.port))
        return s

    def wait_exit(self):
        try:
            return self.proc.wait(timeout=EXIT_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.kill()
            raise Failure(f"server still running {EXIT_TIMEOUT} s after its last client")

    def kill(self):
        # Only a server still running is killed: the group may also hold a
        # wineserver that other tests running in parallel are using.
        if self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        if self.proc.poll() is None:
            self.proc.wait(timeout=30)

    def log_text(self):
        self.log.seek(0)
        return self.log.read().decode(errors="replace")


def recv_exact(s, n):
    data = bytearray()
    while len(data) < n:
        chunk = s.recv(n - len(data))
        if not chunk:
            raise Failure(f"end of stream after {len(data)} of {n} bytes")
        data += chunk
    return bytes(data)


def echo_client(srv, sock, payload, results, key, slow=False):
    """Sends payload from a thread while reading the echo here (so neither
    side can stall on full buffers), half-closes, and expects exactly the
    payload back, then end of stream. A slow client reads in small pieces
    with pauses, so the server's sends to it come up short and have to wait,
    while the other clients must still be served."""
    def sender():
        try:
            view = memoryview(payload)
            for i in range(0, len(view), 32768):
                sock.sendall(view[i:i + 32768])
            sock.shutdown(socket.SHUT_WR)
        except OSError as e:
            results[key + "-send"] = f"send failed: {e!r}"
    t = threading.Thread(target=sender, daemon=True)
    t.start()
    got = bytearray()
    try:
        while True:
            chunk = sock.recv(8192 if slow else 65536)
            if not chunk:
                break
            got += chunk
            if slow:
                time.sleep(0.005)
    except OSError as e:
        results[key] = f"receive failed after {len(got)} bytes: {e!r}"
        return
    finally:
        t.join(IO_TIMEOUT)
        sock.close()
    results[key + "-done"] = time.monotonic()
    if bytes(got) != payload:
        where = next((i for i, (a, b) in enumerate(zip(got, payload)) if a != b),
                     min(len(got), len(payload)))
        results[key] = (f"echo differs: sent {len(payload)} bytes, got "
                        f"{len(got)}, first difference at byte {where}")
    else:
        results[key] = "ok"


def expect_closed(sock, what):
    """The server must close this connection (end of stream or a reset)
    without sending anything."""
    try:
        data = sock.recv(1)
    except socket.timeout:
        raise Failure(f"{what}: still open after {IO_TIMEOUT} s")
    except (ConnectionResetError, ConnectionAbortedError):
        return
    finally:
        sock.close()
    if data:
        raise Failure(f"{what}: got data {data!r}, expected the connection closed")


def test_many_clients(cmd, extra_args=()):
    """Four clients at once under --max-clients 4; a fifth is closed; the
    server exits 0 when the four are done (--exit-after 4)."""
    srv = Server(cmd, ["--max-clients", "4", "--exit-after", "4", *extra_args, "0"])
    try:
        # Client 0 streams 1 MB and reads it back slowly through a small
        # receive buffer; the others must not wait for it.
        clients = [srv.connect(rcvbuf=8192)] + [srv.connect() for _ in range(3)]
        # A round trip each: all four are now being served.
        for i, c in enumerate(clients):
            ping = f"ping {i}\n".encode()
            c.sendall(ping)
            if recv_exact(c, len(ping)) != ping:
                raise Failure(f"client {i}: ping not echoed")
        extra = srv.connect()
        expect_closed(extra, "fifth client over --max-clients 4")

        payloads = [os.urandom(1024 * 1024), b"x", os.urandom(1000),
                    os.urandom(70000)]
        results = {}
        threads = [threading.Thread(target=echo_client,
                                    args=(srv, c, p, results, f"client {i}", i == 0))
                   for i, (c, p) in enumerate(zip(clients, payloads))]
        start = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join(IO_TIMEOUT * 2)
        verdicts = {k: v for k, v in results.items() if not k.endswith("-done")}
        if verdicts != {f"client {i}": "ok" for i in range(4)}:
            raise Failure(f"echo results: {verdicts}")
        done = [results[f"client {i}-done"] - start for i in range(4)]
        if max(done[1:]) >= done[0]:
            raise Failure("the small clients finished after the slow 1 MB one "
                          f"(seconds: {[round(t, 2) for t in done]}): blocked?")
        elapsed = done[0]
        rc = srv.wait_exit()
        if rc != 0:
            raise Failure(f"exit status {rc} after --exit-after 4")
        return (f"4 clients at once ({', '.join(str(len(p)) for p in payloads)} "
                f"bytes) echoed exactly; small ones done in {max(done[1:]):.2f} s, "
                f"the slow 1 MB reader in {elapsed:.2f} s; a fifth was closed; "
                f"exit 0 after 4")
    except Exception:
        sys.stderr.write(srv.log_text())
        raise
    finally:
        srv.kill()


def test_reset_client(cmd):
    """A client that resets the connection while the server still has its
    data to echo is dropped; the server goes on serving and exits 0."""
    srv = Server(cmd, ["--exit-after", "2", "0"])
    try:
        bad = srv.connect()
        bad.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        # A round trip first, so the server has accepted it: a connection
        # reset while still in the backlog may never reach the server (and
        # then does not count towards --exit-after).
        bad.sendall(b"ping")
        if recv_exact(bad, 4) != b"ping":
            raise Failure("ping not echoed")
        # Without reading: the server's echo backs up, then we reset.
        try:
            bad.settimeout(2)
            for _ in range(64):
                bad.send(b"r" * 16384)
        except (socket.timeout, BlockingIOError):
            pass
        bad.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        bad.close()  # linger 0: a reset, not an orderly close
        good = srv.connect()
        results = {}
        echo_client(srv, good, os.urandom(100000), results, "good")
        if results.get("good") != "ok":
            raise Failure(f"client after the reset: {results}")
        rc = srv.wait_exit()
        if rc != 0:
            raise Failure(f"exit status {rc} after a reset client and a good one")
        return "a client reset with data in flight was dropped; the next one served; exit 0"
    except Exception:
        sys.stderr.write(srv.log_text())
        raise
    finally:
        srv.kill()


def test_stdin_quit_pipe(cmd):
    """--stdin-quit: closing the server's standard input (a pipe) ends it,
    with a client still connected, and exit status 0."""
    srv = Server(cmd, ["--stdin-quit", "0"], stdin=subprocess.PIPE)
    try:
        c = srv.connect()
        c.sendall(b"hi")
        if recv_exact(c, 2) != b"hi":
            raise Failure("no echo before quitting")
        srv.proc.stdin.write(b"ignored input\n")
        srv.proc.stdin.flush()
        srv.proc.stdin.close()
        rc = srv.wait_exit()
        expect_closed(c, "client of a server that quit")
        if rc != 0:
            raise Failure(f"exit status {rc} after end of standard input")
        return "--stdin-quit with a pipe: input ignored, end of file -> exit 0, client closed"
    except Exception:
        sys.stderr.write(srv.log_text())
        raise
    finally:
        srv.kill()


def test_stdin_quit_file(cmd):
    """--stdin-quit with standard input from an empty file: the server sees
    end of file at once and exits 0 (a file is always ready, as on POSIX)."""
    with tempfile.TemporaryFile() as empty:
        srv = Server(cmd, ["--stdin-quit", "0"], stdin=empty)
        try:
            rc = srv.wait_exit()
            if rc != 0:
                raise Failure(f"exit status {rc}")
            return "--stdin-quit with an empty file: exit 0 at once"
        except Exception:
            sys.stderr.write(srv.log_text())
            raise
        finally:
            srv.kill()


def test_pool_messages(cmd):
    """poller_pool with 4 threads: 32 clients at once, each sending 200
    numbered messages in separate sends (with pauses, so they arrive in
    many pieces and the clients interleave); each gets back exactly its own
    stream: every message once, in order. The server exits 0 after the 32,
    and its log says how the events were spread over its threads."""
    nclients, nmsgs = 32, 200
    srv = Server(cmd, ["--threads", "4", "--exit-after", str(nclients), "0"])
    try:
        results = {}

        def client(i):
            try:
                sock = srv.connect()
            except OSError as e:
                results[i] = f"connect failed: {e!r}"
                return
            msgs = [f"<client {i} message {j} {os.urandom(4).hex()}>\n".encode()
                    for j in range(nmsgs)]
            expected = b"".join(msgs)

            def sender():
                try:
                    for j, m in enumerate(msgs):
                        sock.sendall(m)
                        if j % 25 == 0:
                            time.sleep(0.002)
                    sock.shutdown(socket.SHUT_WR)
                except OSError as e:
                    results[f"{i}-send"] = f"send failed: {e!r}"
            t = threading.Thread(target=sender, daemon=True)
            t.start()
            got = bytearray()
            try:
                while True:
                    chunk = sock.recv(65536)
                    if not chunk:
                        break
                    got += chunk
            except OSError as e:
                results[i] = f"receive failed after {len(got)} bytes: {e!r}"
                return
            finally:
                t.join(IO_TIMEOUT)
                sock.close()
            if bytes(got) == expected:
                results[i] = "ok"
                return
            got_msgs = bytes(got).split(b"\n")
            first = next((k for k, m in enumerate(msgs)
                          if k >= len(got_msgs) or got_msgs[k] + b"\n" != m),
                         nmsgs)
            results[i] = (f"got {len(got)} bytes of {len(expected)}; the "
                          f"first message not echoed as sent is number {first}")

        threads = [threading.Thread(target=client, args=(i,), daemon=True)
                   for i in range(nclients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(IO_TIMEOUT * 2)
        bad = {k: v for k, v in results.items() if v != "ok"}
        if bad or len(results) != nclients:
            raise Failure(f"{len(results)} of {nclients} clients finished; "
                          f"failures: {bad}")
        rc = srv.wait_exit()
        if rc != 0:
            raise Failure(f"exit status {rc} after --exit-after {nclients}")
        per_thread = [int(line.split(": ")[1].split()[0])
                      for line in srv.log_text().splitlines()
                      if line.startswith("thread ") and line.endswith(" events")]
        if len(per_thread) != 4:
            raise Failure(f"log names {len(per_thread)} threads, expected 4")
        if sum(per_thread) < nclients:
            raise Failure(f"only {sum(per_thread)} events for {nclients} clients")
        return (f"{nclients} clients x {nmsgs} messages, each echoed once and "
                f"in order; events per thread: {per_thread}; exit 0")
    except Exception:
        sys.stderr.write(srv.log_text())
        raise
    finally:
        srv.kill()


def run_frame_demo(cmd):
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)
        try:
            proc.wait(timeout=START_TIMEOUT + 60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
            raise Failure("frame_demo did not finish in time")
        log.seek(0)
        out = log.read().decode(errors="replace")
    sys.stdout.write(out)
    if proc.returncode != 0:
        raise Failure(f"frame_demo exit status {proc.returncode}")
    if "PS_EMSGSIZE" not in out:
        raise Failure("frame_demo did not show the PS_EMSGSIZE case")
    return "frame_demo exit 0"


def test_command_line(cmd):
    """The shared option parser (ex_opts.c): --help is status 0; a missing
    PORT, an unknown option, an option without its value and a second
    operand are usage errors (status 2, the usage on stderr); a bad count
    is status 2 with one line that names it."""
    cases = [(["--help"], 0, "usage: "), ([], 2, "usage: "),
             (["--bogus", "0"], 2, "usage: "), (["0", "--host"], 2, "usage: "),
             (["0", "1"], 2, "usage: "),
             (["--max-clients", "0", "0"], 2, "bad --max-clients: 0")]
    for args, want_rc, want_err in cases:
        try:
            r = subprocess.run(cmd + args, stdin=subprocess.DEVNULL,
                               capture_output=True, timeout=START_TIMEOUT)
        except subprocess.TimeoutExpired:
            raise Failure(f"{args}: still running after {START_TIMEOUT} s")
        err = r.stderr.decode(errors="replace").replace("\r", "")
        if r.returncode != want_rc or not err.startswith(want_err) or r.stdout:
            raise Failure(f"{args}: status {r.returncode} (want {want_rc}), "
                          f"stderr {err[:80]!r} (want {want_err!r}...)")
    return f"{len(cases)} command lines"


def main():
    if len(sys.argv) < 3:
        print(__doc__)
        return 2
    mode, cmd = sys.argv[1], sys.argv[2:]
    under_emulator = len(cmd) > 1
    if mode == "frame_demo":
        tests = [run_frame_demo]
    else:
        tests = [test_command_line, test_many_clients, test_reset_client]
        if mode == "poller_pool":
            tests.append(test_pool_messages)
        if mode == "echo_server":
            # A small send buffer makes the server's short writes certain.
            def test_many_clients_short_writes(cmd):
                return test_many_clients(cmd, ["--sndbuf", "8192"])
            tests.append(test_many_clients_short_writes)
            # A pipe from a Linux process to a Windows program under Wine is
            # not a pipe PeekNamedPipe can watch; the file case runs there.
            if not under_emulator:
                tests.append(test_stdin_quit_pipe)
            tests.append(test_stdin_quit_file)
    passed = failed = 0
    for test in tests:
        try:
            print(f"ok: {test.__name__}: {test(cmd)}")
            passed += 1
        except (Failure, OSError) as e:
            print(f"FAIL: {test.__name__}: {e}")
            failed += 1
        sys.stdout.flush()
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
