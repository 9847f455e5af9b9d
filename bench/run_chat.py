#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The chat benchmark (docs/chat.md): the same line-protocol chat server on
portsock (examples/chat_server, when built), libevent (bench/chat_libevent)
and libuv (bench/chat_libuv), each driven by bench/chat_loadgen at 200 and
1,000 clients (cases interleaved, so a change in the machine's load hits
every server alike). One table: lines delivered per second (a line
received by n clients counts n), p50/p99 delivery latency, the server's CPU
time per delivered line, each server's source line count, and ratios to
the best peer (libevent or libuv, the higher lines/s in that case).
Figures, not a test; but chat_loadgen checks every line it receives (order,
no loss, no duplicate, well formed), so a run that fails is a failure.

    bench/run_chat.py --bindir build/release/bench [--exdir build/release/examples]
                      [--secs 3] [--rounds 1] [--quick]

--quick (the bench leg): 1 s per case, and at 1,000 clients only 100 of
them send (every client receives), so no case takes more than a few
seconds.

Source lines: the lines of the server's files left after removing
comments and blank lines (string literals are kept whole), counted here.
"""
import argparse
import os
import re
import sys

from benchlib import Server
from run_echo import combine, fmt_ratio, raise_nofile, run_case

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
# (name, program, directory option, source files): the peers' command line
# and summary (chat_peer.c) and libevent's listener count with them.
SERVERS = [
    ("portsock", "chat_server", "exdir", ["examples/chat_server.c"]),
    ("libevent", "chat_libevent", "bindir",
     ["bench/chat_libevent.c", "bench/libevent_listen.c", "bench/chat_peer.c"]),
    ("libuv", "chat_libuv", "bindir", ["bench/chat_libuv.c", "bench/chat_peer.c"]),
]
PEERS = ("libevent", "libuv")

CODE = re.compile(r'"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'|/\*.*?\*/|//[^\n]*', re.S)


def source_lines(paths):
    """Non-blank lines once comments are gone (a comment's newlines stay)."""
    total = 0
    for rel in paths:
        with open(os.path.join(ROOT, rel), encoding="utf-8") as f:
            text = f.read()
        code = CODE.sub(lambda m: m.group(0) if m.group(0)[0] in "\"'"
                        else "\n" * m.group(0).count("\n"), text)
        total += sum(1 for line in code.splitlines() if line.strip())
    return total


def cases(quick):
    if quick:
        return [("200 clients", ["--conns", "200"]),
                ("1,000 clients, 100 send", ["--conns", "1000", "--senders", "100"])]
    return [("200 clients", ["--conns", "200"]), ("1,000 clients", ["--conns", "1000"])]


def print_table(title, rows, lines):
    print(title)
    head = ("%-24s %-9s %10s %8s %8s %9s %6s | %7s %7s %7s %7s" %
            ("case", "server", "lines/s", "p50 ms", "p99 ms", "CPU us/l", "src",
             "lines/s", "p50", "p99", "CPU"))
    print(head)
    print("%-24s %-9s %45s | %s" % ("", "", "", "ratio to the best peer"))
    print("-" * len(head))
    for case, results in rows:
        peers = [(results[n][0], n) for n in PEERS if n in results and results[n][0]]
        best = max(peers, key=lambda p: p[0]["rps"])[0] if peers else None
        label = case
        for name, (r, err) in results.items():
            if r is None:
                print("%-24s %-9s FAILED: %s" % (label, name, (err or "?").splitlines()[-1][:80]))
            else:
                cpu = r["cpu_us_per_req"]
                print("%-24s %-9s %10.0f %8.1f %8.1f %9s %6d | %7s %7s %7s %7s" % (
                    label, name, r["rps"], r["p50_us"] / 1000, r["p99_us"] / 1000,
                    "%.2f" % cpu if cpu >= 0 else "-", lines[name],
                    fmt_ratio(r["rps"], best and best["rps"]),
                    fmt_ratio(r["p50_us"], best and best["p50_us"]),
                    fmt_ratio(r["p99_us"], best and best["p99_us"]),
                    fmt_ratio(cpu, best and best["cpu_us_per_req"])))
            label = ""


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bindir", required=True, help="the build's bench directory")
    ap.add_argument("--exdir", help="the build's examples directory (default: BINDIR/../examples)")
    ap.add_argument("--secs", type=int, default=3, help="measured seconds per case")
    ap.add_argument("--rounds", type=int, default=1, help="rounds; medians are printed")
    ap.add_argument("--quick", action="store_true", help="the bench leg's short run")
    opts = ap.parse_args()
    dirs = {"bindir": opts.bindir,
            "exdir": opts.exdir or os.path.join(opts.bindir, "..", "examples")}
    secs = 1 if opts.quick else opts.secs
    loadgen = os.path.join(opts.bindir, "chat_loadgen")
    if not os.access(loadgen, os.X_OK):
        sys.exit("run_chat: no load generator at %s" % loadgen)

    live, lines, failed = [], {}, False
    for name, prog, where, sources in SERVERS:
        exe = os.path.join(dirs[where], prog)
        if not os.access(exe, os.X_OK):
            print("run_chat: %s not built (%s), its row left out" % (exe, {
                "chat_server": "examples/chat_server.c not there yet, or not built",
            }.get(prog, "libevent or libuv not found")))
            continue
        lines[name] = source_lines(sources)
        s = Server([exe, "--port", "0"], name=name, wait=30, preexec_fn=raise_nofile,
                   prefix=b"listening on ")
        if s.port is None:
            s.stop()
            print("run_chat: %s did not start: %s" % (name, s.errors() or "no port printed"))
            failed = True
        else:
            live.append(s)

    runs = {}  # (case, server) -> [(result, error)] over the rounds
    try:
        for k in range(opts.rounds):
            for i, (label, args) in enumerate(cases(opts.quick)):
                j = (i + k) % len(live) if live else 0
                for s in live[j:] + live[:j]:
                    if s.proc.poll() is not None:
                        r, err = None, "server ended: " + (s.errors() or "?")
                    else:
                        r, err = run_case(loadgen, s, args, secs)
                    failed |= r is None
                    runs.setdefault((label, s.name), []).append((r, err))
                    print("  round %d  %-24s %-9s %s" % (k + 1, label, s.name,
                          "%.0f lines/s" % r["rps"] if r else "FAILED"), flush=True)
    finally:
        for s in live:
            s.stop()
    rows = [(label, {s.name: combine(runs[(label, s.name)]) for s in live})
            for label, _ in cases(opts.quick)]
    print()
    print_table("Chat broadcast over loopback (docs/chat.md), %d s per case, median of %d "
                "round(s); lines/s and latency are deliveries; src: non-blank, "
                "non-comment source lines" % (secs, opts.rounds), rows, lines)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
