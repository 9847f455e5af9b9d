#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Checks bench/chat_loadgen's own checks, which the chat benchmark's "no
line lost, duplicated or broken" rests on: a tiny chat server in Python
broadcasts faithfully, or spoils exactly one delivery in one way, and
chat_loadgen must pass the faithful run and fail (exit 1, naming the
fault) every spoiled one.

    bench/check_chat_loadgen.py --bindir build/release/bench
"""
import argparse
import os
import selectors
import socket
import subprocess
import sys
import threading

# fault -> what chat_loadgen's error may say (a line lost is seen at the
# next line of its sender, or at the end when it was the last)
FAULTS = {
    "none": None,
    "drop": ("line lost", " lines"),
    "dup": ("duplicated or reordered line",),
    "filler": ("malformed line (filler)",),
    "count": ("malformed line:",),
    "length": ("malformed line (length)",),
    "sender": ("malformed line:",),
    "no-ok": ("expected :ok first",),
}
SPOIL_AT = 50  # the delivery spoiled: late enough to be in the run


def spoil(fault, line):
    """The bytes sent instead of one faithful delivery of line."""
    head = line.split(b" ", 4)
    if fault == "drop":
        return b""
    if fault == "dup":
        return line + line
    if fault == "filler":
        return line[:-2] + (b"a" if line[-2:-1] != b"a" else b"b") + b"\n"
    if fault == "count":  # the length field no longer the line's length
        last = head[3][-1:]
        head[3] = head[3][:-1] + (b"1" if last != b"1" else b"2")
        return b" ".join(head)
    if fault == "length":  # a byte more, and the length field to match
        head[3] = str(int(head[3]) + 1).encode()
        return b" ".join(head[:4] + [head[4][:1] + head[4]])
    if fault == "sender":  # a sender that does not exist, same width
        return b" ".join([b"9" * len(head[0])] + head[1:])
    return line


class ChatServer(threading.Thread):
    """Every line read is sent to every client; delivery SPOIL_AT is
    spoiled by fault, and "no-ok" greets the second client with a line."""

    def __init__(self, fault):
        super().__init__(daemon=True)
        self.fault = fault
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.sel = selectors.DefaultSelector()
        self.clients = {}  # socket -> unfinished input
        self.deliveries = 0
        self.stopping = False

    def send(self, s, data):
        """Sends all of data; a client gone (chat_loadgen ended) is left."""
        try:
            s.setblocking(True)
            s.sendall(data)
            s.setblocking(False)
        except OSError:
            pass

    def run(self):
        self.listener.setblocking(False)
        self.sel.register(self.listener, selectors.EVENT_READ)
        while not self.stopping:
            for key, _ in self.sel.select(0.1):
                if key.fileobj is self.listener:
                    self.accept()
                else:
                    self.read(key.fileobj)

    def accept(self):
        s, _ = self.listener.accept()
        s.setblocking(False)
        greeting = b":ok\n"
        if self.fault == "no-ok" and len(self.clients) == 1:
            greeting = b"0 0 0 48 " + b"a" * 38 + b"\n"
        self.send(s, greeting)
        self.clients[s] = b""
        self.sel.register(s, selectors.EVENT_READ)

    def read(self, s):
        try:
            data = s.recv(65536)
        except ConnectionError:
            data = b""
        if not data:
            self.sel.unregister(s)
            del self.clients[s]
            s.close()
            return
        buf = self.clients[s] + data
        *lines, self.clients[s] = buf.split(b"\n")
        for line in lines:
            line += b"\n"
            for peer in list(self.clients):
                self.deliveries += 1
                out = line
                if self.deliveries == SPOIL_AT and self.fault != "no-ok":
                    out = spoil(self.fault, line)
                self.send(peer, out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bindir", required=True, help="the build's bench directory")
    opts = ap.parse_args()
    loadgen = os.path.join(opts.bindir, "chat_loadgen")
    failures = 0
    for fault, expected in FAULTS.items():
        server = ChatServer(fault)
        server.start()
        try:
            out = subprocess.run([loadgen, "--port", str(server.port), "--conns", "4",
                                  "--secs", "1"], capture_output=True, text=True,
                                 timeout=60, stdin=subprocess.DEVNULL)
        finally:
            server.stopping = True
            server.join()
        if expected is None:
            ok = out.returncode == 0 and "result " in out.stdout
        else:
            ok = out.returncode == 1 and any(e in out.stderr for e in expected)
        print("%-4s %-7s exit %d %s" % ("ok" if ok else "FAIL", fault, out.returncode,
                                        (out.stderr.strip().splitlines() or [""])[-1][:100]))
        failures += not ok
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
