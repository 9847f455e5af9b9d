#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The TLS benchmarks, figures in one run (not a test: it fails only when a
program is missing, does not start, or a run does not finish):

1. bench_tls: portsock_tls against raw OpenSSL (bulk, 30-byte frames,
   handshakes per second), its own table.
2. The TLS echo at 1,000 connections: echo_ps_poller_tls against libevent's
   bufferevent_openssl (echo_libevent_tls), both driven by loadgen_tls (raw
   OpenSSL, the same client for both), rounds interleaved so a change in the
   machine's load hits both alike. Requests/s and the server's CPU time per
   request (its threads' /proc schedstat over the window), medians with the
   spread of the rounds, and portsock's ratio to libevent.

    bench/run_tls.py --bindir build/release/bench            # the long run
    bench/run_tls.py --bindir build/release/bench --quick    # the CI smoke

The certificates (tests/tls/make_certs.sh) go to BINDIR/tls-certs.
"""
import argparse
import os
import statistics
import subprocess
import sys

from benchlib import Server, result_fields

HERE = os.path.dirname(os.path.abspath(__file__))
MAKE_CERTS = os.path.join(HERE, "..", "tests", "tls", "make_certs.sh")
SERVERS = [("portsock ps_poller", "echo_ps_poller_tls"),
           ("libevent bufferevent_openssl", "echo_libevent_tls")]


def loadgen(bindir, server, conns, secs, ca):
    argv = [os.path.join(bindir, "loadgen_tls"), "--port", str(server.port),
            "--conns", str(conns), "--secs", str(secs), "--ca", ca,
            "--pid", str(server.proc.pid)]
    out = subprocess.run(argv, capture_output=True, text=True, timeout=secs + 120)
    if out.returncode != 0:
        raise RuntimeError("loadgen_tls failed: " + out.stderr.strip())
    fields = result_fields(out.stdout)
    return float(fields["rps"]), float(fields["cpu_us_per_req"])


def spread(values):
    med = statistics.median(values)
    lo, hi = min(values), max(values)
    return med, (lo / med - 1) * 100, (hi / med - 1) * 100


def echo(args, certs):
    present = [(label, prog) for label, prog in SERVERS
               if os.path.exists(os.path.join(args.bindir, prog))]
    if len(present) < len(SERVERS):
        missing = [p for lbl, p in SERVERS if (lbl, p) not in present]
        print(f"TLS echo: {', '.join(missing)} not built (libevent_openssl not found?)")
    if not any(p == "echo_ps_poller_tls" for _, p in present):
        return False
    ca = os.path.join(certs, "ca.pem")
    cert, key = os.path.join(certs, "server.pem"), os.path.join(certs, "server.key")
    results = {label: ([], []) for label, _ in present}
    servers = {}
    ok = True
    try:
        for label, prog in present:
            s = Server([os.path.join(args.bindir, prog), "0", cert, key])
            servers[label] = s
            if s.port is None:
                print(f"{prog} did not start: {s.errors()}")
                return False
        for r in range(args.rounds):
            order = present if r % 2 == 0 else list(reversed(present))
            for label, _ in order:
                rps, cpu = loadgen(args.bindir, servers[label], args.conns, args.secs, ca)
                results[label][0].append(rps)
                results[label][1].append(cpu)
    except (RuntimeError, subprocess.TimeoutExpired) as e:
        print(f"TLS echo failed: {e}")
        for label, s in servers.items():
            if s.errors():
                print(f"  {label}: {s.errors()}")
        ok = False
    finally:
        for s in servers.values():
            s.stop()
    if not ok:
        return False
    print(f"\nTLS echo, {args.conns:,} connections all busy (64-byte requests, one "
          f"in flight each), {args.rounds} rounds of {args.secs} s, interleaved; "
          "median (min..max of the rounds against it)")
    print(f"{'server':30} {'req/s':>28} {'server CPU us/req':>28}")
    med = {}
    for label, _ in present:
        rps, cpu = results[label]
        m1, lo1, hi1 = spread(rps)
        m2, lo2, hi2 = spread(cpu)
        med[label] = (m1, m2)
        print(f"{label:30} {m1:10.0f} ({lo1:+6.1f}%..{hi1:+6.1f}%) "
              f"{m2:10.2f} ({lo2:+6.1f}%..{hi2:+6.1f}%)")
    if len(present) == 2:
        p, l = med[present[0][0]], med[present[1][0]]
        print(f"portsock/libevent: req/s {p[0] / l[0]:.3f} (target >= 1), "
              f"CPU per request {p[1] / l[1]:.3f} (target <= 1.05)")
    return True


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bindir", required=True)
    ap.add_argument("--quick", action="store_true", help="the CI smoke's sizes")
    ap.add_argument("--rounds", type=int)
    ap.add_argument("--secs", type=int)
    ap.add_argument("--conns", type=int, default=1000)
    ap.add_argument("--no-bench-tls", action="store_true", help="the echo alone")
    args = ap.parse_args()
    args.rounds = args.rounds or (2 if args.quick else 5)
    args.secs = args.secs or (1 if args.quick else 5)
    certs = os.path.join(args.bindir, "tls-certs")
    if not os.path.exists(os.path.join(certs, "done")):
        subprocess.run(["sh", MAKE_CERTS, certs], check=True)
    ok = True
    if not args.no_bench_tls:
        argv = [os.path.join(args.bindir, "bench_tls"), "--certs", certs]
        if args.quick:
            argv.append("--quick")
        sys.stdout.flush()
        ok = subprocess.run(argv, timeout=600).returncode == 0
    sys.stdout.flush()
    ok = echo(args, certs) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
