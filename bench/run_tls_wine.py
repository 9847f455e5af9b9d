#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The Windows TLS figures under Wine: portsock_tls's Schannel client against
its OpenSSL client (the MinGW build on a static OpenSSL 3), both the same
program, bench_tls_client, from two MinGW build trees, against one native
server, bench_tls_server (raw OpenSSL, TLS 1.2, one cipher suite: Wine's
schannel offers TLS 1.2 at most). Not a test: it fails only when a program
is missing, does not start or a run does not finish, or when the two clients
did not agree on the same version and suite.

The clients run alternately, one process per round (a connection, then
bulk and 30-byte frame round-trip blocks, then more handshakes), so a change
in the machine's load hits both alike. Printed: medians with the spread of
the blocks (of the runs for handshakes and CPU time), and the ratio
Schannel/OpenSSL of the medians. The presets' trees are Debug builds:
portsock's own code at -O0 in both, the TLS work in optimized libraries
(Wine's schannel, i.e. GnuTLS; OpenSSL's release build).

    bench/run_tls_wine.py --bindir build/release/bench          # the long run
    bench/run_tls_wine.py --bindir build/release/bench --quick  # the CI smoke

--bindir: the native tree's bench directory (bench_tls_server; the
certificates, made by tests/tls/make_certs.sh, go to BINDIR/tls-certs).
--schannel / --openssl: the MinGW build trees (default build/mingw64 and
build/mingw64-openssl, the presets'), each run with its own Wine prefix
(TREE/wineprefix, booted when missing) and a wineserver kept running for the
run, stopped after, as their tests do (one already running is used and left).
"""
import argparse
import os
import queue
import resource
import statistics
import subprocess
import sys
import tempfile
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
MAKE_CERTS = os.path.join(ROOT, "tests", "tls", "make_certs.sh")


def cache_value(tree, name):
    try:
        with open(os.path.join(tree, "CMakeCache.txt")) as f:
            for line in f:
                if line.startswith(name + ":"):
                    return line.split("=", 1)[1].strip()
    except OSError:
        pass
    return ""


def wineserver_pid(prefix):
    """The pid of the wineserver running for prefix, or None."""
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if not os.path.basename(os.readlink(f"/proc/{pid}/exe")).startswith("wineserver"):
                continue
            with open(f"/proc/{pid}/environ", "rb") as f:
                if ("WINEPREFIX=" + prefix).encode() in f.read().split(b"\0"):
                    return int(pid)
        except OSError:
            continue
    return None


def cpu_s(pid):
    """User + system CPU seconds of a running process, from /proc."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def children_cpu_s():
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


class Tree:
    """A MinGW build tree: its bench_tls_client.exe, Wine and prefix."""

    def __init__(self, label, path):
        self.label = label
        self.path = os.path.abspath(path)
        self.exe = os.path.join(self.path, "bench", "bench_tls_client.exe")
        self.wine = cache_value(self.path, "PS_WINE")
        self.server = cache_value(self.path, "PS_WINESERVER")
        self.env = dict(os.environ, WINEDEBUG="-all",
                        WINEPREFIX=os.path.join(self.path, "wineprefix"))
        self.started = False
        self.server_pid = None

    def missing(self):
        if not os.path.exists(self.exe):
            return f"{self.exe} not built"
        if not self.wine or not os.access(self.wine, os.X_OK):
            return f"no Wine in {self.path}/CMakeCache.txt (PS_WINE)"
        return None

    def start(self):
        prefix = self.env["WINEPREFIX"]
        if not os.path.exists(os.path.join(prefix, "system.reg")):
            subprocess.run([self.wine, "wineboot", "--init"], env=self.env, timeout=180,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
            if self.server:  # wineboot's wineserver lingers a few seconds
                subprocess.run([self.server, "-w"], env=self.env, timeout=60)
        self.server_pid = wineserver_pid(prefix)
        if self.server and self.server_pid is None:
            # Persistent while the run lasts, no start-up per client, and
            # stopped after (one already running is used and left alone).
            subprocess.run([self.server, "-p"], env=self.env, check=True)
            self.started = True
            self.server_pid = wineserver_pid(prefix)
        # The first program in a prefix starts Wine's services, which keep
        # its standard handles open: a program of no output starts them.
        subprocess.run([self.wine, "cmd", "/c", "exit"], env=self.env, timeout=120,
                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)

    def stop(self):
        if self.started:
            subprocess.run([self.server, "-k"], env=self.env, stderr=subprocess.DEVNULL)
            self.started = False


class Server:
    """bench_tls_server, its output lines read by a thread into a queue."""

    def __init__(self, argv):
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     stdin=subprocess.DEVNULL, text=True)
        self.lines = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        first = self.line(30)
        self.port = int(first.split()[1]) if first and first.startswith("port ") else None

    def _read(self):
        for line in self.proc.stdout:
            self.lines.put(line.strip())
        self.lines.put(None)

    def line(self, timeout):
        try:
            return self.lines.get(timeout=timeout)
        except queue.Empty:
            return None

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        return self.proc.stderr.read().strip()


def run_client(tree, server, ca, args):
    argv = [tree.wine, tree.exe, "--port", str(server.port), "--ca", ca,
            "--mib", str(args.mib), "--frames", str(args.frames), "--blocks", str(args.blocks),
            "--handshakes", str(args.handshakes)]
    # Files, not pipes: a Wine process it starts may hold pipes open.
    # CPU time (the client's process, by wait; its wineserver's, from
    # /proc): steadier than elapsed time on a loaded machine.
    ws0 = cpu_s(tree.server_pid) if tree.server_pid else 0.0
    c0 = children_cpu_s()
    with tempfile.TemporaryFile("w+") as so, tempfile.TemporaryFile("w+") as se:
        rc = subprocess.run(argv, env=tree.env, stdin=subprocess.DEVNULL, stdout=so,
                            stderr=se, timeout=args.timeout).returncode
        so.seek(0)
        se.seek(0)
        stdout, stderr = so.read(), se.read()
    if rc != 0:
        raise RuntimeError(f"{tree.label} client failed ({rc}): "
                           f"{stderr.strip() or stdout.strip()}")
    res = {"bulk": [], "frames": [], "handshake": [], "handshakes": [], "info": "",
           "cpu": [(children_cpu_s() - c0) * 1e3],
           "wscpu": [(cpu_s(tree.server_pid) - ws0) * 1e3] if tree.server_pid else []}
    for line in stdout.splitlines():
        words = line.split()
        if not words:
            continue
        fields = dict(w.split("=", 1) for w in words[1:] if "=" in w)
        if words[0] == "tls":
            res["handshake"].append(float(fields["handshake_ms"]))
            res["info"] = f"backend {fields['backend']}, TLS {fields['version']}"
        elif words[0] == "bulk":
            res["bulk"].append(float(fields["mbps"]))
        elif words[0] == "frames":
            res["frames"].append(float(fields["us"]))
        elif words[0] == "handshakes":
            res["handshakes"].append(float(fields["ms"]))
    res["agreed"] = set()
    for _ in range(1 + args.handshakes):  # the server's line per connection
        agreed = server.line(10)
        if not agreed or not agreed.startswith("conn "):
            raise RuntimeError(f"{tree.label}: the server said {agreed!r}")
        res["agreed"].add(agreed[5:])
    return res


def spread(values):
    med = statistics.median(values)
    return med, (min(values) / med - 1) * 100, (max(values) / med - 1) * 100


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bindir", required=True, help="native bench dir (bench_tls_server)")
    ap.add_argument("--schannel", default=os.path.join(ROOT, "build", "mingw64"))
    ap.add_argument("--openssl", default=os.path.join(ROOT, "build", "mingw64-openssl"))
    ap.add_argument("--quick", action="store_true", help="the CI smoke's sizes")
    ap.add_argument("--rounds", type=int)
    ap.add_argument("--mib", type=int, help="MiB per bulk block")
    ap.add_argument("--frames", type=int, help="round trips per frame block")
    ap.add_argument("--blocks", type=int, help="blocks of each per client run")
    ap.add_argument("--handshakes", type=int, help="handshakes timed after the first, per run")
    ap.add_argument("--cipher", default="ECDHE-ECDSA-AES128-GCM-SHA256",
                    help="the server's one TLS 1.2 suite (OpenSSL name)")
    ap.add_argument("--timeout", type=int, default=300, help="seconds per client run")
    args = ap.parse_args()
    q = args.quick
    args.rounds = args.rounds or (2 if q else 7)
    args.mib = args.mib if args.mib is not None else (4 if q else 32)
    args.frames = args.frames if args.frames is not None else (200 if q else 2000)
    args.blocks = args.blocks or (1 if q else 2)
    if args.handshakes is None:
        args.handshakes = 5 if q else 20

    trees = [Tree("Schannel", args.schannel), Tree("OpenSSL", args.openssl)]
    for t in trees:
        why = t.missing()
        if why:
            print(f"run_tls_wine: {t.label}: {why}")
            return 1
    certs = os.path.join(args.bindir, "tls-certs")
    if not os.path.exists(os.path.join(certs, "done")):
        subprocess.run(["sh", MAKE_CERTS, certs], check=True)
    ca = os.path.abspath(os.path.join(certs, "ca.pem"))
    server = Server([os.path.join(args.bindir, "bench_tls_server"),
                     os.path.join(certs, "server.pem"), os.path.join(certs, "server.key"),
                     args.cipher])
    if server.port is None:
        print(f"run_tls_wine: bench_tls_server did not start: {server.stop()}")
        return 1
    keys = ("bulk", "frames", "handshake", "handshakes", "cpu", "wscpu")
    results = {t.label: dict({k: [] for k in keys}, agreed=set(), info="") for t in trees}
    ok = True
    try:
        for t in trees:
            t.start()
        for r in range(args.rounds):
            for t in (trees if r % 2 == 0 else trees[::-1]):
                res = run_client(t, server, ca, args)
                acc = results[t.label]
                for k in keys:
                    acc[k] += res[k]
                acc["agreed"] |= res["agreed"]
                acc["info"] = res["info"]
    except (RuntimeError, subprocess.SubprocessError, OSError) as e:
        print(f"run_tls_wine: {e}")
        ok = False
    finally:
        err = server.stop()
        for t in trees:
            t.stop()
    if not ok:
        if err:
            print(f"  bench_tls_server: {err}")
        return 1

    agreed = set().union(*(results[t.label]["agreed"] for t in trees))
    print(f"TLS under Wine: bench_tls_client (Windows build) -> bench_tls_server "
          f"(native raw OpenSSL, TLS 1.2, {args.cipher}), loopback; "
          f"Wine trees: {', '.join(t.label + ' ' + os.path.relpath(t.path, ROOT) for t in trees)} "
          f"({', '.join(t.label + ' ' + (cache_value(t.path, 'CMAKE_BUILD_TYPE') or '?') for t in trees)})")
    for t in trees:
        print(f"  {t.label:8} client: {results[t.label]['info']}; server agreed "
              f"{', '.join(sorted(results[t.label]['agreed']))}")
    if len(agreed) != 1:
        print("run_tls_wine: the clients did not agree on the same version and suite")
        return 1
    print(f"{args.rounds} client runs each, alternating; per run {args.blocks} x "
          f"({args.mib} MiB bulk, server to client; {args.frames} round trips of a "
          "30-byte frame); median (min..max of the blocks against it)")
    print(f"{'':17} {'Schannel':>26} {'OpenSSL':>26}  {'Sch/OSSL':>8}")
    rows = [("bulk MB/s", "bulk"), ("frame rt us", "frames"),
            ("1st handshake ms", "handshake"), ("handshake ms", "handshakes"),
            ("client CPU ms", "cpu"), ("wineserver CPU ms", "wscpu")]
    for label, key in rows:
        if not all(results[t.label][key] for t in trees):
            continue
        cells, meds = [], []
        for t in trees:
            m, lo, hi = spread(results[t.label][key])
            meds.append(m)
            cells.append(f"{m:10.2f} ({lo:+6.1f}%..{hi:+6.1f}%)")
        print(f"{label:17} {cells[0]:>26} {cells[1]:>26}  {meds[0] / meds[1]:8.3f}")
    print(f"(handshake: ps_tls_connect, TCP connect + verified TLS 1.2 handshake, no "
          f"resumption; the 1st of a run includes the backend's start-up, then "
          f"{args.handshakes} more with close_notify and close, the mean of each run; "
          "CPU: per client run, Wine's start-up included, the client's process and its "
          "prefix's wineserver)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
