#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The echo benchmark: starts one echo server per contender, runs the load
generator's cases against each (interleaved, so a change in the machine's
load hits every contender alike) and prints one table with each contender's
ratios to raw epoll. Figures, not a test: it fails only when a program is
missing, does not start, or a run does not finish.

Native (Linux):
    bench/run_echo.py --bindir build/release/bench [--secs 2]
The Windows build under Wine, against the native load generator:
    bench/run_echo.py --bindir build/release/bench --secs 3 \\
        --wine /usr/lib/wine/wine64 --winbindir build/mingw64-release/bench

Every server listens on 127.0.0.1, on an ephemeral port it prints; the load
generator reads the server's CPU time from /proc/PID (all its threads).
"""
import argparse
import os
import resource
import subprocess
import sys

from benchlib import Server, result_fields

NATIVE = ["epoll", "ps_poller", "ps_select", "libuv", "libevent"]
WINE = ["ps_poller", "ps_select"]

# (label, loadgen arguments)
CASES = [
    ("100 conns, all busy", ["--conns", "100"]),
    ("1,000 conns, all busy", ["--conns", "1000"]),
    ("1,000 conns, 10 busy", ["--conns", "1000", "--busy", "10"]),
    ("1,000 conns, 5,000 req/s", ["--conns", "1000", "--rate", "5000"]),
    ("1,000 conns, 20,000 req/s", ["--conns", "1000", "--rate", "20000"]),
    ("10,000 conns, 100 busy", ["--conns", "10000", "--busy", "100"]),
    ("10,000 conns, all busy", ["--conns", "10000"]),
]
# Wine serves a few thousand requests/s: a lower paced rate.
WINE_CASES = [CASES[0], CASES[1], CASES[2],
              ("1,000 conns, 1,000 req/s", ["--conns", "1000", "--rate", "1000"])]


def raise_nofile():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard > 65536:
        hard = 65536
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def start_server(name, argv, env=None):
    # Wine's first start of a prefix can take a while.
    return Server(argv, name=name, env=env, wait=60, preexec_fn=raise_nofile)


def wineserver_of(prefix):
    """The pid of the wineserver running for prefix, or None."""
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            if not os.readlink("/proc/%s/exe" % pid).split("/")[-1].startswith("wineserver"):
                continue
            env = open("/proc/%s/environ" % pid, "rb").read().split(b"\0")
        except OSError:
            continue
        if ("WINEPREFIX=" + prefix).encode() in env:
            return int(pid)
    return None


def run_case(loadgen, server, args, secs):
    pids = str(server.proc.pid)
    if server.helper:
        pids += ",%d" % server.helper
    argv = [loadgen, "--port", str(server.port), "--secs", str(secs),
            "--pid", pids] + args
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=secs + 90,
                             preexec_fn=raise_nofile)
    except subprocess.TimeoutExpired:
        return None, "loadgen did not finish"
    for line in out.stdout.splitlines():
        if line.startswith("result "):
            fields = result_fields(line)
            if out.returncode == 0:
                return {k: float(v) for k, v in fields.items()}, None
    return None, (out.stderr.strip() or "loadgen failed (%d)" % out.returncode)


def median(xs):
    xs = sorted(xs)
    n = len(xs)
    return xs[n // 2] if n % 2 else (xs[n // 2 - 1] + xs[n // 2]) / 2


def combine(runs):
    """One contender's runs of one case: each figure the median over the
    rounds (scheduling noise on a shared machine moves single runs of p99
    and CPU by tens of percent). Any failed round fails the case."""
    for r, err in runs:
        if r is None:
            return None, err
    if len(runs) == 1:
        return runs[0]
    merged = {}
    for key in runs[0][0]:
        vals = [r[key] for r, _ in runs]
        if key in ("p50_us", "p99_us", "cpu_us_per_req"):
            # Rounds that measured nothing (no request in the window, no CPU
            # reading) do not count for that figure.
            ok = [v for v in vals if (v > 0 if key != "cpu_us_per_req" else v >= 0)]
            merged[key] = median(ok) if ok else vals[0]
        elif key in ("late", "unanswered", "errors"):
            merged[key] = max(vals)
        else:
            merged[key] = median(vals)
    return merged, None


def fmt_ratio(x, base):
    if x is None or base is None or base <= 0 or x < 0:
        return "-"
    return "%.2fx" % (x / base)


def print_table(title, rows, baseline):
    print(title)
    head = ("%-26s %-16s %9s %9s %9s %10s | %7s %7s %7s %7s" %
            ("case", "server", "req/s", "p50 us", "p99 us", "CPU us/req",
             "req/s", "p50", "p99", "CPU"))
    print(head)
    print("%-26s %-16s %40s | %s" % ("", "", "", "ratio to " + baseline))
    print("-" * len(head))
    for case, results in rows:
        base = results.get(baseline, (None, None))[0]
        for name, (r, err) in results.items():
            label, case = case, ""
            if r is None:
                print("%-26s %-16s FAILED: %s" % (label, name, (err or "?").splitlines()[-1][:70]))
                continue
            if r["reqs"] == 0:
                print("%-26s %-16s no request answered in the window (%d unanswered)" %
                      (label, name, r["unanswered"]))
                continue
            cpu = r["cpu_us_per_req"]
            print("%-26s %-16s %9.0f %9.1f %9.1f %10s | %7s %7s %7s %7s" % (
                label, name, r["rps"], r["p50_us"], r["p99_us"],
                "%.2f" % cpu if cpu >= 0 else "-",
                fmt_ratio(r["rps"], base and base["rps"]),
                fmt_ratio(r["p50_us"], base and base["p50_us"]),
                fmt_ratio(r["p99_us"], base and base["p99_us"]),
                fmt_ratio(cpu, base and base["cpu_us_per_req"])))
            if r["late"] > 0 or r["unanswered"] > 0:
                print("%-26s %-16s   (paced sends skipped: %d, unanswered at the end: %d)" %
                      ("", "", r["late"], r["unanswered"]))


def spread(rounds, case, name, key):
    """max/min of one figure over the rounds: how far the same server
    moves between runs on this machine."""
    vals = [rd[case][name][0][key] for rd in rounds
            if rd[case][name][0] is not None and rd[case][name][0][key] > 0]
    return max(vals) / min(vals) if len(vals) > 1 else None


def goals(rows, rounds):
    """The issue's goals at 1,000 connections, as ratios, with raw epoll's
    own round-to-round spread for scale."""
    for case, results in rows:
        if not case.startswith("1,000"):
            continue
        p = results.get("ps_poller", (None,))[0]
        e = results.get("epoll", (None,))[0]
        if not p or not e:
            continue
        parts = []
        for other in ("libuv", "libevent"):
            o = results.get(other, (None,))[0]
            if o:
                parts.append("req/s %.2fx %s" % (p["rps"] / o["rps"], other))
        for key, label in (("p50_us", "p50"), ("p99_us", "p99"), ("cpu_us_per_req", "CPU")):
            if p[key] >= 0 and e[key] > 0:
                parts.append("%s %.2fx epoll" % (label, p[key] / e[key]))
        print("  ps_poller, %s: %s" % (case, ", ".join(parts)))
        noise = []
        for key, label in (("rps", "req/s"), ("p50_us", "p50"), ("p99_us", "p99"),
                           ("cpu_us_per_req", "CPU")):
            x = spread(rounds, case, "epoll", key)
            if x:
                noise.append("%s %.2fx" % (label, x))
        if noise:
            print("    (epoll against itself, max/min over the rounds: %s)" % ", ".join(noise))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bindir", required=True, help="native build's bench directory")
    ap.add_argument("--secs", type=int, default=2, help="measured seconds per case")
    ap.add_argument("--rounds", type=int, default=1,
                    help="measure every case this many times; print the medians")
    ap.add_argument("--wine", help="Wine loader: measure the Windows build instead")
    ap.add_argument("--winbindir", help="the Windows build's bench directory")
    ap.add_argument("--winepre", help="WINEPREFIX for the Windows servers")
    opts = ap.parse_args()

    loadgen = os.path.join(opts.bindir, "loadgen")
    if not os.access(loadgen, os.X_OK):
        sys.exit("run_echo: no load generator at %s" % loadgen)
    servers = []
    failed = False
    if opts.wine:
        env = dict(os.environ, WINEDEBUG="-all")
        if opts.winepre:
            env["WINEPREFIX"] = os.path.abspath(opts.winepre)
        names, cases, baseline = ["epoll"] + WINE, WINE_CASES, "epoll"
        for name in names:
            if name == "epoll":
                argv = [os.path.join(opts.bindir, "echo_epoll")]
                servers.append(start_server("epoll (Linux)", argv))
            else:
                exe = os.path.join(opts.winbindir, "echo_%s.exe" % name)
                servers.append(start_server(name + " (Wine)", [opts.wine, exe], env))
        baseline = "epoll (Linux)"
        ws = wineserver_of(env.get("WINEPREFIX", os.path.expanduser("~/.wine")))
        for s in servers[1:]:
            s.helper = ws
        print("run_echo: wineserver %s, its CPU is counted with the Windows servers'"
              % (ws or "not found"))
        title = ("Echo, 64-byte requests: the Windows build under Wine vs native epoll, "
                 "%d s per case, median of %d rounds" % (opts.secs, opts.rounds))
    else:
        cases, baseline = CASES, "epoll"
        for name in NATIVE:
            exe = os.path.join(opts.bindir, "echo_%s" % name)
            if not os.access(exe, os.X_OK):
                print("run_echo: %s not built (missing library?), left out" % exe)
                continue
            servers.append(start_server(name, [exe]))
        title = ("Echo, 64-byte requests over loopback, native, %d s per case, median of %d rounds"
                 % (opts.secs, opts.rounds))
    live = []
    for s in servers:
        if s.port is None:
            s.stop()
            print("run_echo: server %s did not start: %s" % (s.name, s.errors() or "no port printed"))
            failed = True
        else:
            live.append(s)

    # rounds[k][case label][server name] = (result, error)
    rounds = []
    try:
        for k in range(opts.rounds):
            per_case = {}
            for i, (label, args) in enumerate(cases):
                results = {}
                # Each case and round starts with another contender, so none
                # is always the first to meet a busy moment.
                j = (i + k) % len(live) if live else 0
                order = live[j:] + live[:j]
                for s in order:
                    if s.proc.poll() is not None:
                        results[s.name] = (None, "server ended: " + (s.errors() or "?"))
                        failed = True
                        continue
                    r, err = run_case(loadgen, s, args, opts.secs)
                    if r is None:
                        failed = True
                        if s.proc.poll() is not None:
                            err = "server ended: " + (s.errors() or "?")
                    results[s.name] = (r, err)
                    print("  round %d  %-26s %-16s %s" % (k + 1, label, s.name,
                          "%.0f req/s" % r["rps"] if r else "FAILED"), flush=True)
                per_case[label] = results
            rounds.append(per_case)
    finally:
        for s in servers:
            s.stop()
    rows = [(label, {s.name: combine([rd[label][s.name] for rd in rounds])
                     for s in live})
            for label, _ in cases]
    print()
    print_table(title, rows, baseline)
    if not opts.wine:
        print()
        print("Goals at 1,000 connections (req/s >= 1.0x libuv and libevent; "
              "p50, p99, CPU <= 1.05x epoll):")
        goals(rows, rounds)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
