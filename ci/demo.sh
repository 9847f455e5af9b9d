#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# portsock in two minutes: builds the library and examples (Release, into
# build/demo) and runs a short loopback session that shows them working:
#   - echo_server (one thread, ps_poller) on a free port;
#   - ~200 KB of random bytes piped through psnc to it and back, compared
#     byte for byte; the same through threaded_echo;
#   - with Wine installed: the Windows build of psnc (psnc.exe) talking to
#     the native echo_server, and frame_demo.exe;
#   - frame_demo (length-prefixed messages, PS_EMSGSIZE handling);
#   - echo_server stopped cleanly by closing its standard input.
# On a fresh Debian/Ubuntu it installs what it needs (as root, or with sudo).
# Wine is used only if already installed. Ends with "N passed, N failed";
# exit status 0 only when every step passed. Every step has a time limit.
set -u
cd "$(dirname "$0")/.." || exit 1
root=$(pwd)
demo=$root/build/demo

passed=0
failed=0
pass() { passed=$((passed + 1)); echo "[ok]   $*"; }
fail() { failed=$((failed + 1)); echo "[FAIL] $*"; }
finish() {
    echo "$passed passed, $failed failed"
    [ "$failed" -eq 0 ]
    exit $?
}

# ---- What this machine needs -------------------------------------------

wine=""
if command -v wine64 >/dev/null 2>&1; then
    wine=$(command -v wine64)
elif [ -x /usr/lib/wine/wine64 ]; then
    wine=/usr/lib/wine/wine64
fi

missing=()
for pair in cmake:cmake make:make gcc:gcc pkg-config:pkg-config \
            python3:python3 timeout:coreutils cmp:diffutils; do
    command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}")
done
[ -e /usr/include/stdio.h ] || missing+=(libc6-dev)
# The MinGW compiler only helps when Wine can run what it builds.
if [ -n "$wine" ] && ! command -v x86_64-w64-mingw32-gcc >/dev/null 2>&1; then
    missing+=(gcc-mingw-w64-x86-64)
fi
if [ ${#missing[@]} -gt 0 ]; then
    echo "== installing: ${missing[*]}"
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    export DEBIAN_FRONTEND=noninteractive
    if ! { timeout 600 $sudo apt-get update -q &&
           timeout 1200 $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"; } \
           >/dev/null; then
        fail "apt-get install ${missing[*]}"
        finish
    fi
fi

# ---- Build ----------------------------------------------------------------

mkdir -p "$demo"
tmp=$(mktemp -d)
server_pid=""
# shellcheck disable=SC2317  # run by the EXIT trap
cleanup() {
    # Only the processes this script started, by their pid.
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null
    exec 3>&-
    if [ -n "$wine" ] && [ -d "$demo/wineprefix" ]; then
        WINEPREFIX=$demo/wineprefix timeout 30 "$(dirname "$wine")/wineserver" -k 2>/dev/null
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT

targets=(echo_server threaded_echo frame_demo psnc)
echo "== building portsock and the examples (Release) in build/demo/native"
if timeout 900 cmake -S . -B "$demo/native" -DCMAKE_BUILD_TYPE=Release \
        -DPS_BUILD_TESTS=OFF >"$demo/native.log" 2>&1 &&
   timeout 900 cmake --build "$demo/native" -j 2 --target "${targets[@]}" \
        >>"$demo/native.log" 2>&1; then
    pass "native build: ${targets[*]}"
else
    tail -20 "$demo/native.log"
    fail "native build (log: build/demo/native.log)"
    finish
fi
bin=$demo/native/examples

win_ok=""
if [ -n "$wine" ]; then
    echo "== Wine found ($wine): building the Windows programs in build/demo/mingw64"
    if timeout 900 cmake -S . -B "$demo/mingw64" -DCMAKE_BUILD_TYPE=Release \
            -DPS_BUILD_TESTS=OFF -DCMAKE_TOOLCHAIN_FILE="$root/cmake/mingw-x86_64.cmake" \
            >"$demo/mingw64.log" 2>&1 &&
       timeout 900 cmake --build "$demo/mingw64" -j 2 --target psnc frame_demo \
            >>"$demo/mingw64.log" 2>&1; then
        pass "Windows build (MinGW-w64): psnc.exe frame_demo.exe"
        win_ok=1
    else
        tail -20 "$demo/mingw64.log"
        fail "Windows build (log: build/demo/mingw64.log)"
    fi
fi

# ---- The session ------------------------------------------------------------

# Prints the port from a server's first line ("listening on 127.0.0.1:PORT"),
# waiting up to 15 s for it.
read_port() {
    local out=$1 line
    for _ in $(seq 150); do
        line=$(head -n 1 "$out" 2>/dev/null)
        case "$line" in
            "listening on "*:*) echo "${line##*:}"; return 0 ;;
        esac
        sleep 0.1
    done
    return 1
}

# Waits up to $2 seconds for our background process $1 to end and sets
# $status to its exit status; fails if it is still running. Once the
# process is reaped, $server_pid no longer names it, so that nothing kills
# its pid later (the number may belong to another process by then). (Not
# run in a $(...) subshell: only this shell can wait for its children.)
status=""
wait_exit() {
    local pid=$1 limit=$2
    status="still running"
    for _ in $(seq $((limit * 10))); do
        if ! kill -0 "$pid" 2>/dev/null; then
            wait "$pid"
            status=$?
            [ "$pid" = "$server_pid" ] && server_pid=""
            return 0
        fi
        sleep 0.1
    done
    return 1
}

# Ends the server in $server_pid if wait_exit has not reaped it already
# (a step failed before or while waiting): SIGTERM, then SIGKILL if it is
# still there after 5 s.
stop_server() {
    [ -n "$server_pid" ] || return 0
    kill "$server_pid" 2>/dev/null
    if ! wait_exit "$server_pid" 5; then
        kill -9 "$server_pid" 2>/dev/null
        wait "$server_pid" 2>/dev/null
    fi
    server_pid=""
}

head -c 204800 /dev/urandom >"$tmp/data"
size=$(wc -c <"$tmp/data")

# echo_server's standard input is a FIFO that this script holds open on
# fd 3; closing fd 3 is its signal to stop (--stdin-quit). Opened read-write
# so the open cannot block even if the server never starts.
mkfifo "$tmp/ctl"
exec 3<>"$tmp/ctl"
# Children get "3>&-": any process still holding fd 3 would keep the FIFO
# open for writing, and the server would never see end of file.
"$bin/echo_server" --stdin-quit 0 <"$tmp/ctl" >"$tmp/server.out" 2>"$tmp/server.log" 3>&- &
server_pid=$!
if port=$(read_port "$tmp/server.out"); then
    pass "echo_server: $(head -n 1 "$tmp/server.out") (one thread, ps_poller)"
else
    fail "echo_server did not report its port"
    cat "$tmp/server.log"
    finish
fi

if timeout 60 "$bin/psnc" --quiet -w 30 127.0.0.1 "$port" <"$tmp/data" >"$tmp/back" 2>"$tmp/psnc.err" 3>&- &&
   cmp -s "$tmp/data" "$tmp/back"; then
    pass "psnc: $size random bytes -> echo_server -> back, identical (cmp)"
else
    fail "psnc through echo_server: sent $size bytes, got $(wc -c <"$tmp/back") back"
    cat "$tmp/psnc.err"
fi

if [ -n "$win_ok" ]; then
    echo "       (starting Wine; a new prefix takes a while the first time)"
    timeout 300 env WINEDEBUG=-all WINEPREFIX="$demo/wineprefix" "$wine" wineboot --init \
        >/dev/null 2>&1 3>&-
    # Standard input from the file, not a pipe: Wine cannot watch a pipe
    # from a Linux process with PeekNamedPipe.
    if timeout 120 env WINEDEBUG=-all WINEPREFIX="$demo/wineprefix" "$wine" \
            "$demo/mingw64/examples/psnc.exe" --quiet -w 30 127.0.0.1 "$port" \
            <"$tmp/data" >"$tmp/back.win" 2>"$tmp/psnc-win.err" 3>&- &&
       cmp -s "$tmp/data" "$tmp/back.win"; then
        pass "psnc.exe under Wine: $size bytes -> native echo_server -> back, identical"
    else
        fail "psnc.exe under Wine: sent $size bytes, got $(wc -c <"$tmp/back.win") back"
        cat "$tmp/psnc-win.err"
    fi
fi

# Stop echo_server: end of its standard input.
exec 3>&-
if wait_exit "$server_pid" 15 && [ "$status" = 0 ]; then
    served=$(grep -c ': connected' "$tmp/server.log")
    pass "echo_server stopped cleanly at end of its input (exit 0; clients served: $served)"
else
    fail "echo_server did not stop cleanly (status: $status)"
    cat "$tmp/server.log"
fi
stop_server

# threaded_echo: a thread per client; exits 0 after one client.
"$bin/threaded_echo" --exit-after 1 0 </dev/null >"$tmp/t.out" 2>"$tmp/t.log" &
server_pid=$!
status=""
if port=$(read_port "$tmp/t.out") &&
   timeout 60 "$bin/psnc" --quiet -w 30 127.0.0.1 "$port" <"$tmp/data" >"$tmp/back.t" 2>"$tmp/psnc.err" &&
   cmp -s "$tmp/data" "$tmp/back.t" &&
   wait_exit "$server_pid" 15 && [ "$status" = 0 ]; then
    pass "threaded_echo: $size bytes through psnc, identical; exit 0 after --exit-after 1"
else
    fail "threaded_echo session (status: ${status:-not waited for})"
    cat "$tmp/t.log" "$tmp/psnc.err"
fi
stop_server

if timeout 60 "$bin/frame_demo" >"$tmp/frame.log" 2>&1; then
    pass "frame_demo: $(tail -n 1 "$tmp/frame.log"); $(grep -c PS_EMSGSIZE "$tmp/frame.log") PS_EMSGSIZE cases read with a bigger buffer"
else
    fail "frame_demo"
    cat "$tmp/frame.log"
fi
if [ -n "$win_ok" ]; then
    if timeout 120 env WINEDEBUG=-all WINEPREFIX="$demo/wineprefix" "$wine" \
            "$demo/mingw64/examples/frame_demo.exe" </dev/null >"$tmp/frame-win.log" 2>&1; then
        pass "frame_demo.exe under Wine: $(tail -n 1 "$tmp/frame-win.log" | tr -d '\r')"
    else
        fail "frame_demo.exe under Wine"
        cat "$tmp/frame-win.log"
    fi
fi

finish
