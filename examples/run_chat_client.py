#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Runs chat_client against chat_server (docs/chat.md).

    run_chat_client.py [EMULATOR...] SERVER CLIENT

Starts SERVER, then client B (standard input a pipe left open), waits for
B's ":ok", then client A, which connects by "localhost" too, with one line
on standard input and then end of input: A must exit 0 once its line is
sent, and B must print that line. Then SIGINT to the server: B must exit 0
when the server closes it. Every wait is bounded; exit 0 or 1.
"""
import os
import queue
import signal
import subprocess
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run_servers_test import Failure, Server  # noqa: E402

WAIT = 60  # seconds for any one step (Wine may be slow to start)


class Client:
    def __init__(self, cmd, port):
        self.proc = subprocess.Popen(cmd + ["localhost", str(port)],
                                     stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE,
                                     start_new_session=True)
        self.lines = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def expect(self, want, who):
        while True:
            try:
                line = self.lines.get(timeout=WAIT)
            except queue.Empty:
                raise Failure(f"{who}: no {want!r} within {WAIT} s")
            if line is None:
                raise Failure(f"{who}: output ended before {want!r}")
            if line == want:
                return

    def wait(self, who):
        try:
            status = self.proc.wait(timeout=WAIT)
        except subprocess.TimeoutExpired:
            raise Failure(f"{who}: still running after {WAIT} s")
        if status != 0:
            raise Failure(f"{who}: exit status {status}")

    def kill(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=30)


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    emulator, server_exe, client_exe = (sys.argv[1:-2], sys.argv[-2],
                                        sys.argv[-1])
    server = Server(emulator + [server_exe], ["--port", "0"],
                    prefix="listening on ")
    clients = []
    try:
        b = Client(emulator + [client_exe], server.port)
        clients.append(b)
        b.expect(b":ok\n", "client B")
        a = Client(emulator + [client_exe], server.port)
        clients.append(a)
        a.proc.stdin.write(b"hello from a\n")
        a.proc.stdin.close()
        b.expect(b"hello from a\n", "client B")
        a.wait("client A (end of input)")
        os.killpg(server.proc.pid, signal.SIGINT)
        b.wait("client B (server gone)")
        print("ok: a line typed in one client printed by the other")
        return 0
    except Failure as e:
        print(f"FAIL: {e}", file=sys.stderr)
        return 1
    finally:
        for c in clients:
            c.kill()
        server.kill()


if __name__ == "__main__":
    sys.exit(main())
