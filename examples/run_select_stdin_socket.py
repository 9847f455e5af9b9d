#!/usr/bin/env python3
"""Runs select_stdin_socket (argv[1:] is the command, e.g. wine64 prog.exe)
against a loopback echo server, with standard input redirected from a file,
and checks that every byte came back in order."""
import os
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
            proc = subprocess.run(cmd + ["127.0.0.1", str(port)], stdin=stdin,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  timeout=90)
    finally:
        os.unlink(path)
    t.join(10)
    sys.stderr.write(proc.stderr.decode(errors="replace"))
    if proc.returncode != 0:
        print(f"FAIL: exit status {proc.returncode}")
        return 1
    if proc.stdout != payload:
        print(f"FAIL: got {len(proc.stdout)} bytes back, sent {len(payload)}")
        return 1
    print(f"ok: {len(payload)} bytes through stdin -> socket -> stdout")
    return 0

if __name__ == "__main__":
    sys.exit(main())
