#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Runs console_wait (argv[1:] is the command, e.g. the emulator and the
.exe) inside a pseudo-terminal made by script(1), so that standard input is
a terminal (natively) or a real console (under Wine), for each waiter
(ps_poller, ps_select) and input mode:
 - line (a canonical terminal; a console with ENABLE_LINE_INPUT): "ab"
   typed without Enter must not be reported; after Enter the line is
   reported and ps_item_read returns "ab\\n";
 - long: as line, with 509 'x' before "ab" (511 characters: a
   512-character console read splits the line's "\r\n");
 - raw: one key typed is reported and ps_item_read returns it;
 - eof: the end-of-input key at a line's start is reported, and
   ps_item_read says end of input (Ctrl-D on a POSIX terminal). Under Wine
   Ctrl-Z then Enter must arrive as an empty line instead: Wine drops the
   0x1A, as portsock.h says (on Windows itself it is end of input).
 - busy, busyone: "ab" and Enter typed at once, next to a busy socket
   (console_busy.c): the line in every wait's result until read, or once
   for a one-shot registration; a raced read returns PS_EWOULDBLOCK.
Nothing may be reported before a key is typed. The same script checks the
POSIX terminal natively and the Windows console under Wine, so the two are
shown to behave alike. Prints "console: N passed, N failed"."""
import os
import re
import select
import shlex
import signal
import subprocess
import sys
import time

ESCAPES = re.compile(rb"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07")


def under_wine(cmd):
    return any("wine" in os.path.basename(c) for c in cmd[:-1])


def run(cmd, waiter, mode):
    line = " ".join(shlex.quote(c) for c in cmd + [waiter, mode])
    # util-linux script takes the command with -c; the BSDs' and macOS's
    # take it after the output file (and there -f means something else).
    if sys.platform.startswith("linux"):
        argv = ["script", "-qefc", line, "/dev/null"]
    else:
        argv = ["script", "-q", "/dev/null", "sh", "-c", line]
    proc = subprocess.Popen(argv,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            start_new_session=True)
    # What to type once the program printed a marker (without cursor moves:
    # Wine draws the console with them).
    if mode == "line":
        steps = [(b"ready", b"ab"), (b"enter-now", b"\r")]
    elif mode == "long":
        steps = [(b"ready", b"x" * 509 + b"ab"), (b"enter-now", b"\r")]
    elif mode.startswith("busy"):
        steps = [(b"ready", b"ab\r")]
    elif mode == "eof":
        steps = [(b"ready", b"\x1a\r" if under_wine(cmd) else b"\x04")]
    else:
        steps = [(b"ready", b"k")]
    raw, typed, start = b"", 0, time.monotonic()
    try:
        while time.monotonic() - start < 60:
            ready, _, _ = select.select([proc.stdout], [], [], 0.2)
            if ready:
                data = os.read(proc.stdout.fileno(), 4096)
                if not data:
                    break
                raw += data
            if typed < len(steps) and steps[typed][0] in ESCAPES.sub(b"", raw):
                time.sleep(0.3)
                try:
                    proc.stdin.write(steps[typed][1])
                    proc.stdin.flush()
                except OSError:
                    break  # the program already ended
                typed += 1
        status = proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        status = None
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    text = ESCAPES.sub(b"", raw).decode(errors="replace")
    ok = status == 0 and typed == len(steps) and "result-ok" in text
    if mode == "eof":
        ok = ok and ("empty-line" if under_wine(cmd) else "input-ended") in text
    print(f"{waiter} {mode}: {'ok' if ok else 'FAILED'} (status {status}, "
          f"steps typed: {typed}/{len(steps)}); output: "
          f"{' | '.join(text.split())}")
    return ok


def main():
    cmd = sys.argv[1:]
    results = [run(cmd, waiter, mode)
               for mode in ("line", "long", "raw") for waiter in ("poller", "select")]
    results.append(run(cmd, "select", "eof"))
    results += [run(cmd, waiter, "busy") for waiter in ("poller", "select")]
    results.append(run(cmd, "poller", "busyone"))
    passed = sum(results)
    print(f"console: {passed} passed, {len(results) - passed} failed")
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
