#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""psnc with its standard streams closed or dead, and signals while it is
blocked on them:
- standard input closed (`<&-`): empty input, for a client and a listener
  (no socket may take fd 0 and be read as input);
- standard output closed (`>&-`): a dead output, the peer never gets its
  own data back (no socket may take fd 1);
- standard output a pipe with no reader under -l -k: fatal, status 1 and
  one line that names the error, even with --quiet;
- -l -U blocked writing to a full standard output pipe: SIGTERM still ends
  psnc at once and removes the socket file (not under Wine: no AF_UNIX).
argv[1:]: the command that runs psnc."""
import os
import signal
import socket
import subprocess
import sys
import threading
import time

sys.dont_write_bytecode = True  # keep the source tree clean
from interop_common import (Proc, free_port, kill_group_if_running, listener,
                            recv_exact, run_suite)


def closed(cmd, redirect):
    """cmd with one standard stream closed by the shell ("<&-", ">&-"),
    as a user's shell would; exec keeps the pid, so Proc's kill reaches
    it. Under Wine the shell goes right before wine itself: `cmake -E env`
    opens /dev/null on a closed standard stream, wine does not."""
    at = next((i for i, w in enumerate(cmd)
               if "=" not in w and "wine" in os.path.basename(w)), 0)
    return cmd[:at] + ["sh", "-c", f'exec "$@" {redirect}', "sh"] + cmd[at:]


def one_line(err, *words):
    lines = [l for l in err.splitlines() if l.strip()]
    return (len(lines) == 1 and lines[0].startswith("psnc: ")
            and all(w in lines[0] for w in words))


def connect_retry(port, timeout):
    """A connection to 127.0.0.1:port once something listens there."""
    end = time.monotonic() + timeout
    while True:
        try:
            return socket.create_connection(("127.0.0.1", port), timeout=timeout)
        except OSError:
            if time.monotonic() > end:
                raise
            time.sleep(0.05)


def recv_rest(conn, timeout):
    """Everything until end of stream, or what came before a timeout."""
    conn.settimeout(timeout)
    parts = []
    try:
        while True:
            b = conn.recv(65536)
            if not b:
                break
            parts.append(b)
    except OSError:
        parts.append(b"<no end of stream>")
    return b"".join(parts)


def stdin_closed_client(t):
    """psnc HOST PORT <&-: the input is empty, so psnc half-closes at once
    and prints what the server sends. Before the fix the socket was fd 0:
    psnc read the server's data as its input and sent it back."""
    lst, port = listener()
    with lst:
        with Proc(closed(t.cmd + ["127.0.0.1", str(port)], "<&-")) as p:
            conn, _ = lst.accept()
            with conn:
                conn.sendall(b"from server\n")
                conn.shutdown(socket.SHUT_WR)
                back = recv_rest(conn, 10)
            rc, out, err, secs = p.finish(t.timeout)
    t.check(rc == 0 and out == b"from server\n" and back == b"" and err == "",
            f"psnc HOST PORT <&-: empty input, the server's data on stdout, "
            f"nothing sent back ({secs:.2f} s)",
            f"rc={rc} out={out!r} server got back {back!r} err={err!r}")


def stdin_closed_listener(t):
    """psnc -l <&- prints the peer's data, as nc -l does. Before the fix
    the listening socket was fd 0 and psnc failed with "reading standard
    input failed" (under Wine: status 1 at once)."""
    with Proc(closed(t.cmd + ["-l", "-v", "127.0.0.1", "0"], "<&-")) as p:
        m = p.wait_stderr(r"listening on .*:(\d+)$", t.timeout)
        back = None
        if m:
            try:
                with socket.create_connection(("127.0.0.1", int(m[1])),
                                              timeout=t.timeout) as c:
                    c.sendall(b"from peer\n")
                    c.shutdown(socket.SHUT_WR)
                    back = recv_rest(c, 10)
            except OSError as e:  # psnc gave up on the connection
                back = repr(e)
        rc, out, err, secs = p.finish(t.timeout)
    t.check(m is not None and rc == 0 and out == b"from peer\n" and back == b"",
            f"psnc -l <&-: the peer's data on stdout, empty input ({secs:.2f} s)",
            f"m={m} rc={rc} out={out!r} peer got {back!r} err={err!r}")


def stdout_closed_client(t):
    """psnc --no-shutdown HOST PORT >&-: a closed output is a dead one:
    status 1 and one line naming the error once the server sends; the
    server never gets its own data back. Before the fix the socket was
    fd 1 and psnc wrote the server's data into it."""
    data = t.file("to-server", b"to server\n")
    lst, port = listener()
    with lst:
        with Proc(closed(t.cmd + ["--no-shutdown", "127.0.0.1", str(port)], ">&-"),
                  data) as p:
            conn, _ = lst.accept()
            with conn:
                conn.settimeout(t.timeout)
                got = recv_exact(conn, 10)
                conn.sendall(b"from server\n")
                conn.shutdown(socket.SHUT_WR)
                back = recv_rest(conn, 10)
            rc, out, err, secs = p.finish(t.timeout)
    t.check(got == b"to server\n" and back == b"" and rc == 1
            and one_line(err, "writing standard output failed", "PS_EBADF"),
            f"psnc HOST PORT >&-: input sent, status 1 with one PS_EBADF line, "
            f"nothing sent back ({secs:.2f} s)",
            f"got={got!r} back={back!r} rc={rc} err={err!r}")


def dead_stdout_keep(t):
    """psnc --quiet -l -k with standard output a pipe nobody reads: the
    first peer's data cannot be written, so psnc ends with status 1 and
    one line naming PS_EPIPE (--quiet keeps the fatal line). Before the
    fix it printed a line without the error and went on accepting."""
    port = free_port()
    r, w = os.pipe()
    os.close(r)  # no reader: every write fails with EPIPE
    errf = open(os.path.join(t.tmp.name, "keep.err"), "w+b")
    try:
        p = subprocess.Popen(t.cmd + ["--quiet", "-l", "-k", "-p", str(port)],
                             stdin=subprocess.DEVNULL, stdout=w, stderr=errf,
                             start_new_session=True)
    finally:
        os.close(w)
    try:
        with connect_retry(port, t.timeout) as c:
            c.sendall(b"one\n")
            c.shutdown(socket.SHUT_WR)
            recv_rest(c, 10)
        try:
            rc = p.wait(10 if not t.wine else 30)
        except subprocess.TimeoutExpired:
            rc = "still running"
    finally:
        kill_group_if_running(p)
    errf.seek(0)
    err = errf.read().decode(errors="replace").replace("\r", "")
    errf.close()
    t.check(rc == 1 and one_line(err, "writing standard output failed", "PS_EPIPE"),
            "psnc --quiet -l -k, stdout a pipe with no reader: status 1, one line "
            "naming PS_EPIPE", f"rc={rc} err={err!r}")


def sleeps_in(pid):
    """Where the kernel has pid sleeping (Linux /proc/PID/wchan), or None
    when it does not say (no /proc, running, or hidden: "0")."""
    try:
        with open(f"/proc/{pid}/wchan") as f:
            w = f.read().strip()
    except OSError:
        return None
    return w if w not in ("", "0") else None


def sigterm_blocked_write(t):
    """psnc -l -U blocked writing to a full standard output pipe: SIGTERM
    ends it at once and the socket file goes. Before the fix the write was
    restarted and psnc ran on, file and all."""
    if t.wine:
        print("psnc_stdio: -l -U with SIGTERM: native only (Wine has no AF_UNIX)")
        return
    path = os.path.join(t.tmp.name, "blocked.sock")
    errf = open(os.path.join(t.tmp.name, "unix.err"), "w+b")
    p = subprocess.Popen(t.cmd + ["-l", "-U", "-v", path], stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=errf, start_new_session=True)
    sent = [0]

    def flood(c):
        chunk = b"x" * 65536
        try:
            while sent[0] < 64 << 20:
                sent[0] += c.send(chunk)
        except OSError:
            pass

    try:
        end = time.monotonic() + t.timeout
        while not os.path.exists(path) and time.monotonic() < end:
            time.sleep(0.02)
        c = socket.socket(socket.AF_UNIX)
        c.settimeout(t.timeout)
        c.connect(path)
        th = threading.Thread(target=flood, args=(c,), daemon=True)
        th.start()
        # Blocked: on Linux the kernel says psnc sleeps in a pipe write;
        # elsewhere, the sender has stalled for 0.5 s.
        last, still, blocked = -1, 0, False
        while not blocked and time.monotonic() < end:
            time.sleep(0.1)
            still = still + 1 if sent[0] == last else 0
            last = sent[0]
            wchan = sleeps_in(p.pid)
            blocked = "pipe_write" in wchan if wchan else still >= 5
        p.send_signal(signal.SIGTERM)
        try:
            rc = p.wait(5)
        except subprocess.TimeoutExpired:
            rc = "still running 5 s after SIGTERM"
        exists = os.path.exists(path)
        c.close()
    finally:
        kill_group_if_running(p)
        p.stdout.close()
        errf.close()
    t.check(blocked and rc == -signal.SIGTERM and not exists,
            f"psnc -l -U blocked writing stdout ({sent[0]} B sent): SIGTERM ends it, "
            "socket file removed", f"blocked={blocked} rc={rc} file left={exists}")


def main():
    return run_suite("psnc_stdio", (stdin_closed_client, stdin_closed_listener, stdout_closed_client,
                 dead_stdout_keep, sigterm_blocked_write))


if __name__ == "__main__":
    sys.exit(main())
