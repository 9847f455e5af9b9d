#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Runs select_stdin_socket (argv[1:] is the command, e.g. wine64 prog.exe)
against a loopback echo server, with standard input redirected from a file,
and checks that every byte came back in order."""
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading

def echo_once(listener):
    conn, _ = listener.accept()
    with conn:
        while True:
            data = conn.recv(65536)
            if not data:
                break
            conn.sendall(data)
    # Returning closes the connection: the client sees end of stream.

def kill_group_if_running(proc):
    """Kills proc's whole process group, but only while proc itself is still
    running: after the leader exits, the group may still hold a wineserver
    that other Wine tests running in parallel share."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

def run_group(argv, stdin, timeout):
    """Runs argv as the leader of a new process group and returns (status,
    stdout, stderr). If it outlives timeout, the whole group is killed (the
    emulator too, e.g. the wine64 behind `cmake -E env ... wine64 prog.exe`)
    and the status is None."""
    proc = subprocess.Popen(argv, stdin=stdin, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
        return proc.returncode, out, err
    except subprocess.TimeoutExpired:
        kill_group_if_running(proc)
        try:
            out, err = proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            out, err = b"", b""
        err += b"run_select_stdin_socket.py: killed after %d s\n" % timeout
        return None, out, err
    except BaseException:
        kill_group_if_running(proc)
        raise
    finally:
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            pass

def main():
    cmd = sys.argv[1:]
    payload = bytes((i * 7 + i // 251) % 256 for i in range(300_000))
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.settimeout(60)
    port = listener.getsockname()[1]
    t = threading.Thread(target=echo_once, args=(listener,), daemon=True)
    t.start()
    with tempfile.NamedTemporaryFile(delete=False) as f:
        f.write(payload)
        path = f.name
    try:
        with open(path, "rb") as stdin:
            rc, out, err = run_group(cmd + ["127.0.0.1", str(port)], stdin, 90)
    finally:
        os.unlink(path)
    t.join(10)
    sys.stderr.write(err.decode(errors="replace"))
    if rc != 0:
        print(f"FAIL: exit status {rc}")
        return 1
    if out != payload:
        print(f"FAIL: got {len(out)} bytes back, sent {len(payload)}")
        return 1
    print(f"ok: {len(payload)} bytes through stdin -> socket -> stdout")
    return 0

if __name__ == "__main__":
    sys.exit(main())
