#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Runs console_wait (argv[1:] is the command, e.g. the emulator and the
.exe) inside a pseudo-terminal made by script(1), so that standard input is
a terminal (natively) or a real console (under Wine), for each waiter
(ps_poller, ps_select): nothing may be reported before a key is typed, and
the typed key must be reported as READ. Prints "console: N passed, N failed"."""
import os
import re
import select
import shlex
import signal
import subprocess
import sys
import time

ESCAPES = re.compile(rb"\x1b\[[0-9;?]*[A-Za-z]")


def run(cmd, mode):
    line = " ".join(shlex.quote(c) for c in cmd + [mode])
    proc = subprocess.Popen(["script", "-qefc", line, "/dev/null"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            start_new_session=True)
    raw, typed, start = b"", False, time.monotonic()
    try:
        while time.monotonic() - start < 60:
            ready, _, _ = select.select([proc.stdout], [], [], 0.2)
            if ready:
                data = os.read(proc.stdout.fileno(), 4096)
                if not data:
                    break
                raw += data
            # Wine draws the console with cursor moves: read it without them.
            if not typed and b"ready" in ESCAPES.sub(b"", raw):
                time.sleep(0.3)
                proc.stdin.write(b"x\r")
                proc.stdin.flush()
                typed = True
        status = proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        status = None
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    text = ESCAPES.sub(b"", raw).decode(errors="replace")
    ok = status == 0 and typed
    print(f"{mode}: {'ok' if ok else 'FAILED'} (status {status}, key typed: "
          f"{typed}); output: {' | '.join(text.split())}")
    return ok


def main():
    cmd = sys.argv[1:]
    results = [run(cmd, mode) for mode in ("poller", "select")]
    passed = sum(results)
    print(f"console: {passed} passed, {len(results) - passed} failed")
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
