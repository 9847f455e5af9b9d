# SPDX-License-Identifier: MIT
"""Shared helpers of the interop scripts.

Every script takes the command that runs the portsock program as its
arguments: the program alone natively, or the emulator words first for the
MinGW leg (e.g. `cmake -E env WINEPREFIX=... wine64 psnc.exe`). Wine cannot
peek a pipe that comes from a Linux process, so no Windows program can tell
when such an input has data: psnc copies it into a Windows pipe of its own
(examples/psnc_sys_win32.c) and may be given pipes; other Windows programs
get a disk file. Everything runs on 127.0.0.1 with ports the system picks,
and every wait has a deadline."""
import atexit
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

SKIP = 77  # CTest SKIP_RETURN_CODE


def under_wine(cmd):
    return any("wine" in os.path.basename(w) for w in cmd)


class Suite:
    """Counts checks; prints one line per check and a summary."""

    def __init__(self, name, cmd):
        self.name = name
        self.cmd = list(cmd)
        self.wine = under_wine(self.cmd)
        # Wine's first start in a prefix takes seconds.
        self.timeout = 90 if self.wine else 30
        self.passed = 0
        self.failed = 0
        self.tmp = tempfile.TemporaryDirectory(prefix="ps-interop-")

    def check(self, cond, what, detail=""):
        if cond:
            self.passed += 1
            print(f"ok   {what}")
        else:
            self.failed += 1
            print(f"FAIL {what}" + (f": {detail}" if detail else ""))
        sys.stdout.flush()
        return cond

    def file(self, name, data):
        path = os.path.join(self.tmp.name, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def done(self):
        print(f"{self.name}: {self.passed} passed, {self.failed} failed")
        self.tmp.cleanup()
        return 1 if self.failed or not self.passed else 0


def pattern(n, seed=0):
    """n bytes that are not periodic in any small window, reproducible."""
    out = bytearray(n)
    x = (seed * 2654435761 + 12345) & 0xFFFFFFFF
    for i in range(n):
        x = (x * 1103515245 + 12345) & 0x7FFFFFFF
        out[i] = (x >> 16) & 0xFF
    return bytes(out)


_proc_dir = None


def _proc_tmpdir():
    """One directory for every child's output files, removed at exit."""
    global _proc_dir
    if _proc_dir is None:
        _proc_dir = tempfile.mkdtemp(prefix="ps-proc-")
        atexit.register(shutil.rmtree, _proc_dir, True)
    return _proc_dir


def kill_group_if_running(p):
    """Kills the child p (a Popen started with start_new_session=True) and
    everything in its process group, such as the wine64 behind
    `cmake -E env ... wine64 prog.exe`, and reaps p. Only while p itself is
    still running: once the leader has exited, its group may still hold a
    wineserver that other Wine tests running in parallel share."""
    if p.poll() is None:
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    try:
        p.wait(10)
    except subprocess.TimeoutExpired:
        pass


_live = []  # every Proc started, so that none outlives the script


@atexit.register
def _kill_leftovers():
    for proc in _live:
        kill_group_if_running(proc.p)


class Proc:
    """A child with stdin from a file (or nothing) and stdout and stderr
    going to files. Files, not pipes: a wineserver started by a Windows
    child inherits its standard handles and lingers for seconds after the
    child exits, so a pipe's end of file would come late. The child leads
    a process group of its own, so that a kill reaches the emulator too.
    Use it in a `with` block (or call finish) so that it is always ended,
    also when the test raises."""

    _seq = 0

    def __init__(self, argv, stdin_path=None, tmpdir=None, stdin_pipe=False):
        self.t0 = time.monotonic()
        Proc._seq += 1
        self.dir = tmpdir or _proc_tmpdir()
        self.out_path = os.path.join(self.dir, f"p{Proc._seq}.out")
        self.err_path = os.path.join(self.dir, f"p{Proc._seq}.err")
        # stdin_pipe: a pipe the test writes to and keeps open (self.p.stdin;
        # native programs only, see above).
        if stdin_pipe:
            stdin = subprocess.PIPE
        else:
            stdin = open(stdin_path, "rb") if stdin_path else subprocess.DEVNULL
        with open(self.out_path, "wb") as out, open(self.err_path, "wb") as err:
            try:
                self.p = subprocess.Popen(argv, stdin=stdin, stdout=out,
                                          stderr=err, start_new_session=True)
            finally:
                if stdin_path and not stdin_pipe:
                    stdin.close()
        _live.append(self)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.kill()
        return False

    def kill(self):
        """Ends the child (and its group) at once if it is still running."""
        kill_group_if_running(self.p)
        if self.p.stdin:
            self.p.stdin.close()

    def _lines(self, path):
        with open(path, "rb") as f:
            data = f.read()
        # Complete lines only: a line still being written might not match yet.
        return data.decode(errors="replace").splitlines(True)

    def _wait_line(self, path, regex, timeout):
        end = time.monotonic() + timeout
        while True:
            exited = self.p.poll() is not None
            for line in self._lines(path):
                if line.endswith("\n") or exited:
                    m = re.search(regex, line.rstrip("\r\n"))
                    if m:
                        return m
            if exited or time.monotonic() > end:
                return None
            time.sleep(0.02)

    def wait_stderr(self, regex, timeout):
        """The first stderr line matching regex (a match object) or None."""
        return self._wait_line(self.err_path, regex, timeout)

    def wait_stdout_line(self, regex, timeout):
        return self._wait_line(self.out_path, regex, timeout)

    def finish(self, timeout):
        """(exit status, stdout bytes, stderr text, seconds); kills the
        child (and its process group) if it outlives timeout (status
        None)."""
        try:
            rc = self.p.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            rc = None
        secs = time.monotonic() - self.t0
        with open(self.out_path, "rb") as f:
            out = f.read()
        err = "".join(self._lines(self.err_path)).rstrip("\r\n")
        err = "\n".join(l.rstrip("\r") for l in err.split("\n")) if err else ""
        return rc, out, err, secs


def run(argv, stdin_path, timeout, tmpdir=None):
    with Proc(argv, stdin_path, tmpdir) as p:
        return p.finish(timeout)


def free_port(kind=socket.SOCK_STREAM, host="127.0.0.1"):
    """A port nothing uses now (the system's pick, released)."""
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, kind)
    s.bind((host, 0))
    port = s.getsockname()[1]
    s.close()
    return port


def run_suite(name, tests):
    """Runs each test(t) of a Suite named name on sys.argv[1:]: a broken
    exchange is a failed check, not a crash. Returns the exit status."""
    t = Suite(name, sys.argv[1:])
    for test in tests:
        try:
            test(t)
        except Exception as e:
            t.check(False, test.__name__, f"{type(e).__name__}: {e}")
    return t.done()


def listener(kind=socket.SOCK_STREAM, timeout=60):
    s = socket.socket(socket.AF_INET, kind)
    s.bind(("127.0.0.1", 0))
    if kind == socket.SOCK_STREAM:
        s.listen(8)
    s.settimeout(timeout)
    return s, s.getsockname()[1]


def recv_exact(conn, n):
    buf = bytearray()
    while len(buf) < n:
        b = conn.recv(min(65536, n - len(buf)))
        if not b:
            break
        buf += b
    return bytes(buf)


def recv_to_eof(conn):
    parts = []
    while True:
        b = conn.recv(65536)
        if not b:
            return b"".join(parts)
        parts.append(b)


def in_thread(fn, *args):
    """Runs fn in a daemon thread; .result() gives its value or raises."""
    box = {}

    def body():
        try:
            box["v"] = fn(*args)
        except BaseException as e:  # reported to the caller
            box["e"] = e

    t = threading.Thread(target=body, daemon=True)
    t.start()

    class Handle:
        def result(self, timeout):
            t.join(timeout)
            if t.is_alive():
                raise TimeoutError("peer thread did not finish")
            if "e" in box:
                raise box["e"]
            return box.get("v")

    return Handle()


def find_openbsd_nc():
    """OpenBSD nc (Debian netcat-openbsd), not the traditional one."""
    for name in ("nc.openbsd", "nc"):
        path = shutil.which(name)
        if not path:
            continue
        try:
            r = subprocess.run([path, "-h"], stdin=subprocess.DEVNULL,
                               capture_output=True, timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            continue
        if b"OpenBSD netcat" in r.stdout + r.stderr:
            return path
    return None
