# SPDX-License-Identifier: MIT
"""What the benchmark drivers (bench/run_echo.py, bench/run_tls.py,
bench/run_chat.py) share: a server started as a child that prints its port
once it listens, and the load generators' result line."""
import os
import select
import subprocess
import tempfile


class Server:
    """A server program started with argv; port is None when it printed no
    "port N" line (prefix, then the port: the chat servers print
    "listening on N") within wait seconds. name and helper (the pid of a
    process doing part of the server's work, as Wine's wineserver) are for
    the caller."""

    def __init__(self, argv, name=None, env=None, wait=30, preexec_fn=None,
                 prefix=b"port "):
        self.name = name
        self.helper = None
        self.err = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=self.err,
                                     stdin=subprocess.DEVNULL, env=env,
                                     preexec_fn=preexec_fn)
        self.port = None
        line = b""
        while not line.endswith(b"\n"):
            ready, _, _ = select.select([self.proc.stdout], [], [], wait)
            if not ready:
                break
            c = os.read(self.proc.stdout.fileno(), 1)
            if not c:
                break
            line += c
        if line.startswith(prefix) and line[len(prefix):].strip().isdigit():
            self.port = int(line[len(prefix):])

    def errors(self):
        self.err.seek(0)
        return self.err.read().decode(errors="replace").strip()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def result_fields(line):
    """The name=value fields of a load generator's "result ..." line."""
    return dict(w.split("=", 1) for w in line.split()[1:])
