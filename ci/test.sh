#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Every test leg of portsock: gcc, clang, ASan+UBSan, ThreadSanitizer,
# valgrind memcheck, the poll() poller backend, MinGW x86_64 under Wine,
# MinGW i686 under 32-bit Wine, clang for Windows under Wine, portsock_tls on
# a MinGW OpenSSL under Wine (ci/openssl-mingw.sh), 32-bit Linux,
# s390x and armhf under qemu-user, static musl, static analysis
# (ci/static.sh), the reference documentation (ci/docs.sh: Doxygen with no
# warnings, man pages) and a libFuzzer smoke (fuzz/). Installs what a fresh
# Debian needs.
# Usage: ci/test.sh [leg...]   (default: all legs run here)
# Legs: gcc-debug clang-debug asan tsan valgrind static docs poll-backend release mingw64 wine32
# clang-mingw mingw-openssl linux32 s390x armhf musl package demo bench fuzz; mingw32 (the
# i686 build without running it); for the hosted workflow msvc and msys2. PS_CI_NO_INSTALL=1 skips apt-get
# (macOS, Windows, or a machine set up by hand).
set -u -o pipefail
# A stray setting must not turn failures into passes.
unset CRITERION_ALWAYS_SUCCEED
cd "$(dirname "$0")/.."

all_legs="gcc-debug clang-debug asan tsan valgrind static docs poll-backend mingw64 wine32 clang-mingw mingw-openssl linux32 s390x armhf musl package demo bench fuzz"
legs="${*:-$all_legs}"

need_install() {
    for cmd in cmake pkg-config gcc clang x86_64-w64-mingw32-gcc i686-w64-mingw32-gcc python3 socat nc ncat curl; do
        command -v "$cmd" >/dev/null 2>&1 || return 0
    done
    pkg-config --exists criterion || return 0
    # portsock_tls and its tests: OpenSSL 3's headers and the openssl command.
    pkg-config --exists 'openssl >= 3' || return 0
    command -v openssl >/dev/null 2>&1 || return 0
    # The nc tests need OpenBSD's nc (-N), not another netcat named nc.
    if command -v dpkg >/dev/null 2>&1; then
        dpkg -s netcat-openbsd >/dev/null 2>&1 || return 0
    fi
    [ -x /usr/lib/wine/wine64 ] || command -v wine64 >/dev/null 2>&1 || return 0
    return 1
}

if [ -z "${PS_CI_NO_INSTALL:-}" ] && need_install; then
    echo "== installing build and test dependencies"
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -q >/dev/null || exit 1
    $sudo apt-get install -y -q --no-install-recommends \
        cmake make pkg-config gcc clang libc6-dev libcriterion-dev libssl-dev openssl \
        gcc-mingw-w64-x86-64 gcc-mingw-w64-i686 wine64 python3 socat netcat-openbsd ncat curl >/dev/null || exit 1
fi

summary=()
failed_legs=0
total_pass=0
total_fail=0

# Sums Criterion's (and minicrit's) per-program synthesis lines in a log.
# Sums the per-program results in ctest -V logs. With a retry log after the
# first, the programs that failed and were run again count from the retry.
count_cases() {
    python3 - "$@" <<'PY'
import re, sys
p = f = s = 0
logs = sys.argv[1:]
for n, path in enumerate(logs):
    lines = open(path, errors="replace").read().splitlines()
    # The runner's self-test fails on purpose; its summary is not a result.
    skip_ids = {m[1] for l in lines
                if (m := re.match(r"(\d+): Test command: .*minicrit_selftest", l))}
    if n + 1 < len(logs):
        skip_ids |= {m[1] for l in lines
                     if (m := re.search(r"Test +#(\d+): \S+ \.*\*\*\*", l))}
    for line in lines:
        m = re.match(r"(\d+): ", line)
        if m and m[1] in skip_ids:
            continue
        # Only "N: "-prefixed lines are a program's own output under ctest
        # -V; an unprefixed copy is --output-on-failure repeating a failure.
        m = re.match(r"\d+: .*Synthesis: Tested: (\d+) \| Passing: (\d+) \| Failing: (\d+) \| Crashing: (\d+)", line)
        if m:
            p += int(m[2]); f += int(m[3])  # Failing already counts crashes
        # Script tests (interop, examples) print "[name: ]N passed, N failed".
        m = re.match(r"\d+: (?:[\w-]+: )?(\d+) passed, (\d+) failed\s*$", line)
        if m:
            p += int(m[1]); f += int(m[2])
        m = re.match(r"\d+: .*\[====\] Skipped: (\d+)", line)
        if m:
            s += int(m[1])
print(p, f, s)
PY
}

# Legs that are scripts of their own: they print their result and exit 0/1.
run_script_leg() {
    local leg=$1 script=$2 log="build/$1.log"
    echo "== leg $leg: $script"
    if bash "$script" >"$log" 2>&1; then
        tail -15 "$log"
        summary+=("$leg: ok — $(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -1)")
        read -r p f < <(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -1 | sed -E 's/([0-9]+) passed, ([0-9]+) failed.*/\1 \2/')
        total_pass=$((total_pass + ${p:-0}))
    else
        tail -40 "$log"
        summary+=("$leg: FAILED (see $log)")
        failed_legs=$((failed_legs + 1))
        total_fail=$((total_fail + 1))
    fi
}

# Figures, not a test: portsock vs raw system calls, Release builds, run
# natively and (the MinGW x86_64 build) under Wine. Fails only when a
# benchmark does not build or does not run to its end.
bench_programs="bench_overhead bench_frames bench_connect bench_connector bench_accept bench_conn"
# The ps_poller figures: the echo benchmark (bench/run_echo.py drives the
# servers and the Linux load generator), the wait cost by registered count
# and the pipe wake-up. libuv and libevent are benchmark-only dependencies.
bench_native="loadgen echo_epoll echo_ps_poller echo_ps_select bench_poller_wait bench_pipe_wake bench_timers"
bench_windows="echo_ps_poller echo_ps_select bench_pipe_wake"
bench_echo_secs=2
# The chat broadcast (bench/run_chat.py --quick, docs/chat.md): portsock's
# examples/chat_server (once it exists) against libevent and libuv servers,
# driven by chat_loadgen, which checks every line it receives.
bench_chat="chat_loadgen"
# TLS (with portsock_tls, OpenSSL 3): bench/run_tls.py --quick, bench_tls
# against raw OpenSSL and the TLS echo at 1,000 connections against
# libevent's bufferevent_openssl (libevent_openssl, from libevent-dev).
bench_tls="bench_tls echo_ps_poller_tls loadgen_tls bench_tls_server"
# UDP at line rate (issue 19): bench_udp --quick, natively (with libuv as
# the peer where found) and the MinGW build under Wine (the fallback
# against plain ps_sendto), about 15 s and 25 s.
bench_udp="bench_udp"

# apt_add WHAT PACKAGE...: a leg's own dependencies, installed when the leg
# finds them missing (after an index update if the first try fails).
apt_add() {
    local what=$1 sudo=""
    shift
    [ -n "${PS_CI_NO_INSTALL:-}" ] && return 1
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "== installing $what"
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "$@" >/dev/null ||
        { $sudo apt-get update -q >/dev/null &&
          DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "$@" >/dev/null; }
}

# The bench leg's own dependencies (libuv, libevent), installed when missing;
# without them the bench runs without those two contenders.
bench_install() {
    pkg-config --exists libuv libevent 2>/dev/null && return 0
    [ -n "${PS_CI_NO_INSTALL:-}" ] && return 0
    apt_add "the benchmark's libuv and libevent" libuv1-dev libevent-dev
}

# The wineserver a MinGW build tree's tests use (PS_WINESERVER in its cache).
wineserver_of() {
    sed -n 's/^PS_WINESERVER:FILEPATH=//p' "$1/CMakeCache.txt" 2>/dev/null
}

# boot_wine_prefix BUILD_DIR WINE: a new prefix in BUILD_DIR, booted.
# Called twice: a boot once died here with "could not load kernel32.dll"
# and never again in repeated tries, so a failed boot starts over from an
# empty prefix.
boot_wine_prefix() {
    local prefix server
    prefix="$(pwd)/$1/wineprefix"
    server=$(wineserver_of "$1")
    echo "-- booting the Wine prefix"
    [ -n "$server" ] && WINEPREFIX="$prefix" "$server" -k 2>/dev/null
    rm -rf "$prefix"
    timeout 120 env WINEDEBUG=-all WINEPREFIX="$prefix" "$2" wineboot --init
}

# run_bench_one DIR PROGRAM [EMULATOR...]: bench_connect needs race.test to
# resolve to ::1 then 127.0.0.1, so it runs in a mount namespace with
# bench/race.hosts (it says so and skips where that is not allowed).
run_bench_one() {
    local dir=$1 prog=$2
    shift 2
    local ns=()
    if [ "$prog" = bench_connect ]; then
        ns=(sh tests/ns/ns_run.sh --bind bench/race.hosts /etc/hosts
            --bind bench/race.nsswitch.conf /etc/nsswitch.conf --)
    fi
    local exe="$dir/bench/$prog"
    [ -f "$exe.exe" ] && exe="$exe.exe"
    echo "-- $prog ($dir)"
    timeout 120 "${ns[@]}" "$@" "$exe"
}

# The Schannel client against the MinGW OpenSSL one under Wine
# (bench/run_tls_wine.py --quick, about 10 s): in the trees the mingw64 and
# mingw-openssl legs left (they run before this one), only when both exist.
run_tls_wine_smoke() {
    local t missing=""
    for t in build/mingw64 build/mingw64-openssl; do
        [ -f "$t/CMakeCache.txt" ] || missing="$missing $t"
    done
    if [ -n "$missing" ]; then
        echo "-- run_tls_wine.py skipped: no build tree$missing (the mingw64 and mingw-openssl legs make them)" | tee -a "$log"
        return 0
    fi
    echo "-- run_tls_wine.py --quick (build/mingw64 Schannel vs build/mingw64-openssl under Wine)" | tee -a "$log"
    for t in build/mingw64 build/mingw64-openssl; do
        cmake --build "$t" -j 2 --target bench_tls_client >>"$log" 2>&1 || return 1
    done
    timeout 120 python3 bench/run_tls_wine.py --bindir build/release/bench --quick \
        --timeout 60 2>&1 | tee -a "$log"
}

run_bench() {
    local log="build/bench.log" ok=1 prog native
    mkdir -p build
    : >"$log"
    bench_install >>"$log" 2>&1 || echo "libuv/libevent could not be installed: left out" | tee -a "$log"
    native="$bench_programs $bench_native $bench_udp"
    native="$native $bench_chat"
    [ -f examples/chat_server.c ] && native="$native chat_server"
    pkg-config --exists libuv 2>/dev/null && native="$native echo_libuv chat_libuv"
    pkg-config --exists libevent 2>/dev/null && native="$native echo_libevent chat_libevent"
    local tls=0
    if pkg-config --exists 'openssl >= 3' 2>/dev/null; then
        tls=1
        native="$native $bench_tls"
        pkg-config --exists libevent_openssl 2>/dev/null && native="$native echo_libevent_tls"
    fi
    echo "== leg bench: release builds, $bench_programs, ps_poller figures"
    # shellcheck disable=SC2086
    if { cmake --preset release && cmake --build --preset release -j 2 --target $native; } >>"$log" 2>&1; then
        for prog in $bench_programs bench_poller_wait bench_pipe_wake; do
            run_bench_one build/release "$prog" 2>&1 | tee -a "$log" || ok=0
        done
        # Timers against libuv and libevent, a few seconds.
        echo "-- bench_timers --quick (build/release)" | tee -a "$log"
        timeout 120 build/release/bench/bench_timers --quick 2>&1 | tee -a "$log" || ok=0
        echo "-- bench_udp --quick (build/release)" | tee -a "$log"
        timeout 120 build/release/bench/bench_udp --quick 2>&1 | tee -a "$log" || ok=0
        echo "-- run_echo.py (build/release)" | tee -a "$log"
        timeout 900 python3 bench/run_echo.py --bindir build/release/bench \
            --secs "$bench_echo_secs" --rounds 3 2>&1 | tee -a "$log" || ok=0
        echo "-- run_chat.py --quick (build/release)" | tee -a "$log"
        timeout 120 python3 bench/run_chat.py --bindir build/release/bench \
            --exdir build/release/examples --quick 2>&1 | tee -a "$log" || ok=0
        # chat_loadgen's checks themselves: a spoiled delivery must fail it.
        echo "-- check_chat_loadgen.py (build/release)" | tee -a "$log"
        timeout 120 python3 bench/check_chat_loadgen.py --bindir build/release/bench \
            2>&1 | tee -a "$log" || ok=0
        if [ $tls -eq 1 ]; then
            echo "-- run_tls.py --quick (build/release)" | tee -a "$log"
            timeout 300 python3 bench/run_tls.py --bindir build/release/bench \
                --quick 2>&1 | tee -a "$log" || ok=0
            run_tls_wine_smoke || ok=0
        else
            echo "no OpenSSL 3: the TLS benchmarks left out" | tee -a "$log"
        fi
    else
        tail -20 "$log"
        ok=0
    fi
    # The Windows build under Wine, in a Release MinGW tree of its own with
    # a Wine prefix inside it (as the mingw64 preset's tests have).
    local wdir=build/mingw64-release wine
    # shellcheck disable=SC2086
    if { cmake -S . -B "$wdir" -DCMAKE_TOOLCHAIN_FILE=cmake/mingw-x86_64.cmake \
            -DCMAKE_BUILD_TYPE=Release -DPS_WERROR=ON -DPS_BUILD_TESTS=OFF \
            -DPS_BUILD_EXAMPLES=OFF -DPS_INSTALL=OFF &&
         cmake --build "$wdir" -j 2 --target $bench_programs $bench_windows $bench_udp; } >>"$log" 2>&1; then
        wine=$(sed -n 's/^PS_WINE:FILEPATH=//p' "$wdir/CMakeCache.txt")
        if [ -z "$wine" ] || [ ! -x "$wine" ]; then
            echo "no Wine found: the Windows benchmarks were built, not run" | tee -a "$log"
        elif ! { boot_wine_prefix "$wdir" "$wine" ||
                 boot_wine_prefix "$wdir" "$wine"; } >>"$log" 2>&1; then
            echo "the Wine prefix in $wdir did not boot"
            ok=0
        else
            for prog in $bench_programs bench_pipe_wake; do
                run_bench_one "$wdir" "$prog" env WINEDEBUG=-all \
                    WINEPREFIX="$(pwd)/$wdir/wineprefix" "$wine" 2>&1 | tee -a "$log" || ok=0
            done
            echo "-- bench_udp --quick ($wdir under Wine)" | tee -a "$log"
            timeout 180 env WINEDEBUG=-all WINEPREFIX="$(pwd)/$wdir/wineprefix" \
                "$wine" "$wdir/bench/bench_udp.exe" --quick 2>&1 | tee -a "$log" || ok=0
            # The Windows echo servers against the native load generator.
            if [ -x build/release/bench/loadgen ]; then
                echo "-- run_echo.py ($wdir under Wine)" | tee -a "$log"
                timeout 300 python3 bench/run_echo.py --bindir build/release/bench \
                    --secs 3 --wine "$wine" --winbindir "$wdir/bench" \
                    --winepre "$wdir/wineprefix" 2>&1 | tee -a "$log" || ok=0
            fi
        fi
    else
        tail -20 "$log"
        ok=0
    fi
    if [ $ok -eq 1 ]; then
        summary+=("bench: ran (figures above; not pass/fail)")
    else
        summary+=("bench: FAILED to build or run (see $log)")
        failed_legs=$((failed_legs + 1))
        total_fail=$((total_fail + 1))
    fi
}

# The fuzz smoke: each libFuzzer target of fuzz/ for PS_FUZZ_SECS (30 s)
# from the committed seeds (fuzz_tls_server, built with portsock_tls: from
# ClientHellos captured at run time), in a scratch copy of the corpus. Any crash,
# failed check, leak or hang fails the leg (fuzz/campaign.sh does the runs).
fuzz_secs=${PS_FUZZ_SECS:-30}

# libFuzzer is a separate package on Debian (libclang-rt-N-dev, only a
# Recommends of clang): installed when clang cannot link -fsanitize=fuzzer.
fuzz_can_link() {
    local dir rc
    dir=$(mktemp -d) || return 1
    printf '%s\n' '#include <stddef.h>' '#include <stdint.h>' \
        'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }' \
        >"$dir/t.c"
    clang -fsanitize=fuzzer "$dir/t.c" -o "$dir/t" >/dev/null 2>&1
    rc=$?
    rm -rf "$dir"
    return $rc
}

fuzz_install() {
    fuzz_can_link && return 0
    local pkg
    pkg="libclang-rt-$(clang -dumpversion | cut -d. -f1)-dev"
    apt_add "libFuzzer ($pkg)" "$pkg" || return 1
    fuzz_can_link
}

run_fuzz() {
    local log=build/fuzz.log scratch p f
    mkdir -p build
    echo "== leg fuzz: libFuzzer targets, $fuzz_secs s each"
    if ! fuzz_install >"$log" 2>&1; then
        tail -20 "$log"
        summary+=("fuzz: FAILED — clang cannot link -fsanitize=fuzzer (see $log)")
        failed_legs=$((failed_legs + 1))
        total_fail=$((total_fail + 1))
        return
    fi
    scratch=$(mktemp -d)
    if bash fuzz/campaign.sh -t "$fuzz_secs" -c "$scratch" -o build/fuzz-smoke >>"$log" 2>&1; then
        sed -n '/^== fuzz summary/,$p' "$log"
        read -r p f < <(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -1 | sed -E 's/([0-9]+) passed, ([0-9]+) failed.*/\1 \2/')
        summary+=("fuzz: ok — ${p:-0} targets, $(sed -n 's/^  total: //p' "$log")")
        total_pass=$((total_pass + ${p:-0}))
    else
        grep -vE '^INFO|^#' "$log" | tail -60
        read -r p f < <(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -1 | sed -E 's/([0-9]+) passed, ([0-9]+) failed.*/\1 \2/')
        summary+=("fuzz: FAILED — ${f:-1} of $(( ${p:-0} + ${f:-1} )) targets (see $log and build/fuzz-smoke)")
        failed_legs=$((failed_legs + 1))
        total_pass=$((total_pass + ${p:-0}))
        total_fail=$((total_fail + ${f:-1}))
    fi
    rm -rf "$scratch"
}

# The valgrind leg's own dependency, installed when missing.
valgrind_install() {
    command -v valgrind >/dev/null 2>&1 && return 0
    apt_add valgrind valgrind
}

# The docs leg's own dependencies (doxygen; groff and man to check the man
# pages), installed when missing.
docs_install() {
    command -v doxygen >/dev/null 2>&1 && command -v groff >/dev/null 2>&1 &&
        command -v man >/dev/null 2>&1 && return 0
    apt_add "doxygen, groff and man" doxygen groff-base man-db
}

# The platform legs' own packages, installed when missing (Debian packages
# only). gcc-12-multilib, not gcc-multilib, which conflicts with the cross
# compilers; cmake/linux-i686.cmake makes up for its missing asm link.
platform_install() {
    case "$1" in
        wine32)
            [ -x /usr/lib/wine/wine ] && return 0
            [ -n "${PS_CI_NO_INSTALL:-}" ] && return 1
            local sudo=""
            [ "$(id -u)" -eq 0 ] || sudo="sudo"
            dpkg --print-foreign-architectures | grep -qx i386 ||
                { $sudo dpkg --add-architecture i386 && $sudo apt-get update -q >/dev/null; } || return 1
            apt_add "32-bit Wine" wine32:i386 ;;
        linux32)
            [ -e /usr/lib/gcc/x86_64-linux-gnu/12/32/libgcc.a ] || apt_add "gcc -m32" gcc-12-multilib ;;
        s390x)
            command -v s390x-linux-gnu-gcc >/dev/null 2>&1 && command -v qemu-s390x >/dev/null 2>&1 ||
                apt_add "the s390x cross compiler and qemu-user" gcc-s390x-linux-gnu libc6-dev-s390x-cross qemu-user ;;
        armhf)
            command -v arm-linux-gnueabihf-gcc >/dev/null 2>&1 && command -v qemu-arm >/dev/null 2>&1 ||
                apt_add "the armhf cross compiler and qemu-user" gcc-arm-linux-gnueabihf libc6-dev-armhf-cross qemu-user ;;
        musl)
            command -v musl-gcc >/dev/null 2>&1 || apt_add "musl-gcc" musl-tools ;;
        mingw-openssl)
            # ci/openssl-mingw.sh's build of OpenSSL (its Configure is Perl).
            { command -v perl && command -v make && perl -MFile::Copy -MIPC::Cmd -e1; } >/dev/null 2>&1 ||
                apt_add "perl and make" perl make ;;
        package)
            # ci/consumers.sh's cross-s390x-defaults: an s390x build with the
            # host's libuv and libevent in pkg-config's way.
            { command -v s390x-linux-gnu-gcc && pkg-config --exists libuv libevent; } >/dev/null 2>&1 ||
                apt_add "the s390x cross compiler, libuv and libevent" gcc-s390x-linux-gnu \
                    libc6-dev-s390x-cross libuv1-dev libevent-dev ;;
        *) return 0 ;;
    esac
}

# A leg's CMake preset: wine32 runs the mingw32 build.
preset_of() {
    case "$1" in
        wine32) echo mingw32 ;;
        mingw-openssl) echo mingw64-openssl ;;
        *) echo "$1" ;;
    esac
}

run_leg() {
    local leg=$1 log="build/$1.log" preset
    preset=$(preset_of "$1")
    mkdir -p build
    if ! platform_install "$leg" >"$log.install" 2>&1; then
        tail -20 "$log.install"
        echo "== leg $leg: its packages could not be installed"
        summary+=("$leg: FAILED (its packages could not be installed; see $log.install)")
        failed_legs=$((failed_legs + 1))
        total_fail=$((total_fail + 1))
        return
    fi
    if [ "$leg" = docs ] && ! docs_install; then
        echo "== leg docs: no doxygen, groff or man, and they could not be installed"
        summary+=("docs: FAILED (no doxygen, groff or man)")
        failed_legs=$((failed_legs + 1))
        total_fail=$((total_fail + 1))
        return
    fi
    if [ "$leg" = valgrind ] && ! valgrind_install; then
        echo "== leg valgrind: no valgrind, and it could not be installed"
        summary+=("valgrind: FAILED (no valgrind)")
        failed_legs=$((failed_legs + 1))
        total_fail=$((total_fail + 1))
        return
    fi
    case "$leg" in
        package) run_script_leg package ci/consumers.sh; return ;;
        demo) run_script_leg demo ci/demo.sh; return ;;
        static) run_script_leg static ci/static.sh; return ;;
        docs) run_script_leg docs ci/docs.sh; return ;;
        bench) run_bench; return ;;
        fuzz) run_fuzz; return ;;
    esac
    # mingw-openssl: OpenSSL for MinGW from ci/openssl-mingw.sh's cache (built
    # there once), then only portsock_tls's programs: the mingw64 leg runs
    # the rest of the suite on the same MinGW build.
    local cfg_args=() build_args=() test_args=()
    if [ "$leg" = mingw-openssl ]; then
        local ossl ossl_start=$SECONDS
        echo "== leg $leg: OpenSSL for MinGW (ci/openssl-mingw.sh)"
        if ! ossl=$(bash ci/openssl-mingw.sh 2>"$log.openssl"); then
            tail -30 "$log.openssl"
            summary+=("$leg: FAILED (no MinGW OpenSSL; see $log.openssl)")
            failed_legs=$((failed_legs + 1))
            total_fail=$((total_fail + 1))
            return
        fi
        echo "-- $ossl ($((SECONDS - ossl_start)) s)"
        cfg_args=(-DOPENSSL_ROOT_DIR="$ossl")
        build_args=(--target test_tls test_tls_poller test_tls_system_store test_tls_conn psnc psnc_small_reads)
        test_args=(-R "^(test_tls|psnc_tls$)")
    fi
    echo "== leg $leg: configure and build"
    if ! { cmake --preset "$preset" "${cfg_args[@]}" &&
           cmake --build --preset "$preset" -j 2 "${build_args[@]}"; } >"$log" 2>&1; then
        tail -40 "$log"
        summary+=("$leg: BUILD FAILED (see $log)")
        failed_legs=$((failed_legs + 1))
        total_fail=$((total_fail + 1))
        return
    fi
    case "$leg" in
        mingw32) summary+=("$leg: compiled clean (library, tests, examples); not run"); return ;;
        msvc) summary+=("$leg: compiled (library, examples); tests need Criterion"); return ;;
    esac
    echo "== leg $leg: tests"
    local rc=0
    ctest --preset "$preset" -V "${test_args[@]}" >"$log.tests" 2>&1 || rc=$?
    local logs=("$log.tests")
    if [ $rc -ne 0 ] && case "$leg" in mingw64 | wine32 | clang-mingw | mingw-openssl) true ;; *) false ;; esac; then
        # Seen here once in many runs: a Wine process that stalls at start-up
        # for a minute. Programs that failed are run once more; the retry is
        # shown, and a program that fails twice fails the leg.
        echo "== leg $leg: retrying the failed test programs once (Wine)"
        grep -E "Test +#[0-9]+: .*\*\*\*" "$log.tests"
        rc=0
        ctest --preset "$preset" -V --rerun-failed "${test_args[@]}" >"$log.retry" 2>&1 || rc=$?
        logs+=("$log.retry")
    fi
    # A Wine leg's server (and any socket a killed program left in it) must
    # not outlive the leg: later legs bind the same loopback ports.
    local server
    server=$(wineserver_of "build/$preset")
    [ -n "$server" ] && WINEPREFIX="$(pwd)/build/$preset/wineprefix" "$server" -k 2>/dev/null
    # Status lines, per-program summaries and skip reasons (not the minicrit
    # self-test's own, whose suite is named "skip").
    grep -E "tests passed|Test +#|Synthesis|\[SKIP\]" "$log.tests" | grep -v "skip::" | tail -60
    read -r pass fail skip < <(count_cases "${logs[@]}")
    local progs
    local last=${logs[${#logs[@]}-1]}
    progs=$(grep -E "tests passed, [0-9]+ tests failed out of" "$log.tests" | tail -1)
    if [ "$last" != "$log.tests" ]; then
        progs="$progs; retry: $(grep -E "tests passed, [0-9]+ tests failed out of" "$last" | tail -1)"
    fi
    # Where this script installed every tool, a test that skipped itself
    # (a missing socat or nc, say) is a failure too.
    local skipped_tests
    skipped_tests=$(grep -cE "\*\*\*Skipped|\*\*\*Not Run" "$last" || true)
    if [ -z "${PS_CI_NO_INSTALL:-}" ] && [ "$skipped_tests" -gt 0 ]; then
        grep -E "\*\*\*Skipped|\*\*\*Not Run" "$last"
        rc=1
    fi
    if [ "$rc" -eq 0 ] && [ "${fail:-0}" -gt 0 ]; then
        rc=1
    fi
    # Criterion runs each test in a child process whose sanitizer report
    # does not fail the test, and ThreadSanitizer reports without failing:
    # a report anywhere in the log fails the leg. So does a failed check of
    # tests/valgrind/memcheck.sh (also where a test's pass does not follow
    # its exit status, as for the minicrit self-test).
    local reports="ERROR: (LeakSanitizer|AddressSanitizer)|runtime error:|WARNING: ThreadSanitizer"
    local reported=0
    if grep -qE "$reports" "$last"; then
        grep -E -A12 "$reports" "$last" | head -60
        reported=1
    fi
    if grep -q "memcheck: FAILED" "$last"; then
        # memcheck.sh's summary of its findings, then its verdicts.
        grep -E "^[0-9]+: memcheck: (\||FAILED)" "$last" | head -80
        reported=1
    fi
    if [ $reported -eq 1 ]; then
        echo "== leg $leg: sanitizer or memcheck report in the test log"
        rc=1
        fail=$((${fail:-0} + 1))
    fi
    # Every test of the valgrind leg (label "wrapped") must have run under
    # memcheck and been found clean: one "memcheck: clean" line each. The
    # fixtures ctest adds (the TLS certificates' script) are not programs
    # of ours under memcheck.
    if [ "$leg" = valgrind ]; then
        local wrapped clean
        wrapped=$(ctest --test-dir "build/$preset" -L wrapped --show-only=json-v1 | python3 -c '
import json, sys
tests = json.load(sys.stdin)["tests"]
print(sum(1 for t in tests for p in t.get("properties", [])
          if p["name"] == "LABELS" and "wrapped" in p["value"]))')
        clean=$(grep -cE "^[0-9]+: memcheck: clean" "$last" || true)
        echo "== leg valgrind: $clean of ${wrapped:-0} test programs clean under memcheck"
        if [ "${wrapped:-0}" -eq 0 ] || [ "$clean" -ne "$wrapped" ]; then
            rc=1
            [ $reported -eq 1 ] || fail=$((${fail:-0} + 1))
        fi
    fi
    if [ $rc -ne 0 ]; then
        grep -E "Failed|\*\*\*|FAIL|fail" "$log.tests" | head -40
        failed_legs=$((failed_legs + 1))
        summary+=("$leg: FAILED — $pass cases passed, $fail failed, $skip skipped; ctest: $progs")
    else
        summary+=("$leg: ok — $pass cases passed, $fail failed, $skip skipped; ctest: $progs")
    fi
    total_pass=$((total_pass + pass))
    total_fail=$((total_fail + fail))
}

# Each leg adds one summary line; its wall time is appended to it.
ci_start=$SECONDS
for leg in $legs; do
    leg_start=$SECONDS
    run_leg "$leg"
    last=$((${#summary[@]} - 1))
    [ "$last" -ge 0 ] && summary[last]="${summary[last]} [$((SECONDS - leg_start)) s]"
done

echo
echo "== summary"
for line in "${summary[@]}"; do
    echo "  $line"
done
# Wine leaves its server running; stop it so CI exits promptly.
for prefix in build/*/wineprefix; do
    server=$(wineserver_of "${prefix%/wineprefix}")
    [ -n "$server" ] && WINEPREFIX="$(pwd)/$prefix" "$server" -k 2>/dev/null
done
if [ $failed_legs -ne 0 ] && [ $total_fail -eq 0 ]; then
    total_fail=$failed_legs
fi
echo "  all legs: $((SECONDS - ci_start)) s; set-up before them: $((ci_start)) s"
echo "$total_pass passed, $total_fail failed"
[ $failed_legs -eq 0 ]
