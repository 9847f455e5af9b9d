#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Builds and runs tests/consumers/app.c against every way of getting portsock:
# an installed CMake package (static and shared), pkg-config (static and
# shared), add_subdirectory, FetchContent (SOURCE_DIR and a local URL), and a
# MinGW DLL cross-built and run under Wine. Also checks that shared builds
# export only the public ps_* functions, and that psnc installed with a shared
# library to a custom prefix (install preset, no Criterion) runs as installed,
# builds the single-file portsock.c (tools/amalgamate.py) with gcc, clang
# and MinGW (under Wine). Cross builds with a user's own toolchain file: an
# s390x build with the default options (the benchmarks' libuv/libevent must
# not be taken from the host), and a MinGW consumer whose toolchain file
# searches packages only under its find root (run under Wine).
# Usage: ci/consumers.sh   (prints one line per check with its time, then
# "N passed, N failed")
# PS_KEEP_WORK=1 keeps the temporary build directory for inspection.
set -u
src="$(cd "$(dirname "$0")/.." && pwd)"
consumer="$src/tests/consumers"
work="$(mktemp -d)"
pass=0
fail=0
cc="${CC:-cc}"
cflags="-Wall -Wextra -Wpedantic -Werror -std=c11"
want="ok portsock $(sed -n 's/^project(portsock VERSION \([0-9.]*\).*/\1/p' "$src/CMakeLists.txt")"

wine=""
for w in /usr/lib/wine/wine64 "$(command -v wine64 || true)" "$(command -v wine || true)"; do
    if [ -n "$w" ] && [ -x "$w" ]; then wine="$w"; break; fi
done
export WINEPREFIX="$work/wineprefix" WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="

cleanup() {
    # Wine leaves a server running for the prefix; stop only ours.
    if [ -d "$WINEPREFIX" ]; then
        for ws in /usr/lib/wine/wineserver "$(command -v wineserver || true)"; do
            if [ -n "$ws" ] && [ -x "$ws" ]; then "$ws" -k 2>/dev/null; break; fi
        done
    fi
    if [ "${PS_KEEP_WORK:-0}" = 1 ]; then echo "kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT

# check NAME COMMAND...: runs COMMAND with set -e and its output in a log;
# shows the log's tail when it fails. A command may leave a short note for
# the result line in $work/note.
check() {
    local name=$1 log="$work/$1.log" rc start=$SECONDS
    shift
    rm -f "$work/note"
    # Not inside `if`: there bash would ignore set -e in the subshell.
    ( set -e; "$@" ) >"$log" 2>&1
    rc=$?
    local note=""
    [ -f "$work/note" ] && note=" ($(cat "$work/note"))"
    if [ $rc -eq 0 ]; then
        pass=$((pass + 1))
        echo "PASS $name$note [$((SECONDS - start)) s]"
    else
        fail=$((fail + 1))
        echo "FAIL $name [$((SECONDS - start)) s]"
        tail -25 "$log" | sed 's/^/    /'
    fi
}

# none COMMAND...: fails if COMMAND succeeds (a bare `!` would not trip set -e).
none() {
    if "$@"; then echo "unexpected success: $*"; return 1; fi
}

# Fails unless "$1" (a command's output) contains the expected line.
expect_ok() { grep -qxF "$want" <<<"$1" || { echo "unexpected output: $1"; return 1; }; }

# The public functions, from the header's PS_API declarations.
header_api() {
    tr '\n' ' ' <"$src/include/portsock.h" | grep -oE 'PS_API [^;(]*\bps_[a-z0-9_]+ *\(' |
        grep -oE 'ps_[a-z0-9_]+ *\($' | tr -d ' (' | sort -u
}

# same_as_header FILE: FILE (one exported name a line) equals the header's API.
same_as_header() {
    if grep -E '^ps__|^[^p]|^p[^s]|^ps[^_]' "$1"; then
        echo "non-public symbols exported (above)"; return 1
    fi
    diff <(header_api) <(sort -u "$1") || { echo "exports differ from the header"; return 1; }
}

# build_lib DIR PREFIX [cmake args...]: builds portsock alone and installs it.
build_lib() {
    local dir=$1 prefix=$2
    shift 2
    cmake -S "$src" -B "$dir" -DCMAKE_BUILD_TYPE=Release -DPS_BUILD_TESTS=OFF \
        -DPS_BUILD_EXAMPLES=OFF "$@"
    cmake --build "$dir" -j2
    cmake --install "$dir" --prefix "$prefix"
}

# The library dir of an install prefix (lib, lib64 or lib/<multiarch>).
libdir_of() { dirname "$(dirname "$(find "$1" -name portsock.pc | head -1)")"; }

# ---- CMake package, static ------------------------------------------------
static_install() {
    build_lib "$work/b-static" "$work/static"
    local lib; lib=$(libdir_of "$work/static")
    test -f "$work/static/include/portsock.h"
    test -f "$lib/libportsock.a"
    none ls "$lib"/libportsock.so.0
    test -f "$lib/cmake/portsock/portsockConfig.cmake"
    test -f "$lib/cmake/portsock/portsockConfigVersion.cmake"
    grep -q 'find_dependency(Threads)' "$lib/cmake/portsock/portsockConfig.cmake"
    grep -qx "prefix=$work/static" "$lib/pkgconfig/portsock.pc"
    # portsock(3); no program was built, so no section 1 page.
    cmp "$src/man/portsock.3" "$work/static/share/man/man3/portsock.3"
    none ls "$work/static/share/man/man1"
}
check static-install static_install

package_static() {
    cmake -S "$consumer" -B "$work/c-static" -DCMAKE_PREFIX_PATH="$work/static"
    cmake --build "$work/c-static" -j2
    readelf -d "$work/c-static/app" >"$work/c-static/dynamic"
    none grep -q libportsock "$work/c-static/dynamic"
    local out; out=$("$work/c-static/app"); echo "$out"; expect_ok "$out"
}
check find_package-static package_static

# SameMajorVersion: asking for 1.0 must not accept 0.x. The configure must
# fail for that reason: CMake's message that it found our install but not a
# compatible version (any other failure, e.g. a broken package file, is a
# failure of this check too).
package_version() {
    local log="$work/c-v1.configure.log" msg v=${want##* }
    if cmake -S "$consumer" -B "$work/c-v1" -DCMAKE_PREFIX_PATH="$work/static" \
        -DPS_WANT_VERSION=1.0 >"$log" 2>&1; then
        cat "$log"
        echo "find_package(portsock 1.0) accepted a 0.x install"; return 1
    fi
    cat "$log"
    # CMake wraps its message: compare with the lines joined.
    msg=$(tr -s ' \n' '  ' <"$log")
    if ! grep -qF 'Could not find a configuration file for package "portsock" that is compatible with requested version "1.0"' <<<"$msg" ||
       ! grep -qF "portsock/portsockConfig.cmake, version: $v" <<<"$msg"; then
        echo "configure failed, but not because version $v is incompatible with 1.0"
        return 1
    fi
    echo "rejected: $v is not compatible with 1.0" >"$work/note"
}
check find_package-version package_version

# ---- CMake package, shared ------------------------------------------------
shared_install() {
    build_lib "$work/b-shared" "$work/shared" -DBUILD_SHARED_LIBS=ON
    local lib; lib=$(libdir_of "$work/shared")
    local v; v=${want##* }
    test -f "$lib/libportsock.so.$v"
    test -L "$lib/libportsock.so.${v%%.*}"
    test -L "$lib/libportsock.so"
    readelf -d "$lib/libportsock.so.$v" | grep -F "SONAME" | grep -qF "[libportsock.so.${v%%.*}]"
    grep -q 'PS_SHARED' "$lib/cmake/portsock/portsockTargets.cmake"
}
check shared-install shared_install

so_exports() {
    local lib; lib=$(libdir_of "$work/shared")
    nm -D --defined-only "$lib/libportsock.so" | awk '{print $NF}' >"$work/so-exports"
    cat "$work/so-exports"
    same_as_header "$work/so-exports"
    # The internal functions exist in the library but stay hidden.
    nm "$lib/libportsock.so" | grep -q ' t ps__'
    echo "$(wc -l <"$work/so-exports") exported, all public ps_*" >"$work/note"
}
check so-exports so_exports

package_shared() {
    cmake -S "$consumer" -B "$work/c-shared" -DCMAKE_PREFIX_PATH="$work/shared"
    cmake --build "$work/c-shared" -j2
    readelf -d "$work/c-shared/app" | grep NEEDED | grep -q 'libportsock.so.0'
    # No LD_LIBRARY_PATH: the build tree's RPATH must find the library.
    local out; out=$(env -u LD_LIBRARY_PATH "$work/c-shared/app"); echo "$out"; expect_ok "$out"
}
check find_package-shared package_shared

# ---- Installed psnc: shared library, custom prefix, no Criterion -------------
# The install preset (no tests, benchmarks or Criterion: pkg-config is pointed
# at an empty directory, so Criterion cannot be found) with a shared library,
# installed to a custom prefix. psnc must find libportsock.so.0 through its
# install RPATH, without LD_LIBRARY_PATH.
psnc_install() {
    mkdir -p "$work/no-pc"
    (cd "$src" && PKG_CONFIG_LIBDIR="$work/no-pc" PKG_CONFIG_PATH="" \
        cmake --preset install -B "$work/b-psnc" -DBUILD_SHARED_LIBS=ON \
            -DPS_INSTALL_AMALGAMATION=ON)
    cmake --build "$work/b-psnc" -j2
    cmake --install "$work/b-psnc" --prefix "$work/custom"
    local lib; lib=$(libdir_of "$work/custom")
    readelf -d "$work/custom/bin/psnc" | grep NEEDED | grep -q 'libportsock.so.0'
    readelf -d "$work/custom/bin/psnc" | grep -E 'RPATH|RUNPATH'
    # The loader resolves the installed library, not some other copy.
    local found; found=$(env -u LD_LIBRARY_PATH ldd "$work/custom/bin/psnc" |
        sed -n 's/^\s*libportsock\.so\.0 => \(\S*\) .*/\1/p'); echo "libportsock.so.0 => $found"
    test "$(readlink -f "$found")" = "$(readlink -f "$lib/libportsock.so.0")"
    local out; out=$(env -u LD_LIBRARY_PATH "$work/custom/bin/psnc" --help); echo "$out"
    grep -q '^usage: psnc' <<<"$out"
    # The man pages: portsock(3), and every program's page with the program.
    local page
    for page in "$src"/man/*.[1-9]; do
        cmp "$page" "$work/custom/share/man/man${page##*.}/$(basename "$page")"
    done
    echo "psnc --help ran from $(basename "$work")/custom/bin without LD_LIBRARY_PATH" >"$work/note"
}
check installed-psnc-shared psnc_install

# ---- pkg-config ---------------------------------------------------------
pc_static() {
    export PKG_CONFIG_PATH; PKG_CONFIG_PATH="$(libdir_of "$work/static")/pkgconfig"
    test "$(pkg-config --modversion portsock)" = "${want##* }"
    local flags; flags=$(pkg-config --static --cflags --libs portsock); echo "$flags"
    grep -q -- '-lpthread' <<<"$flags"
    # shellcheck disable=SC2086
    "$cc" $cflags "$consumer/app.c" $flags -o "$work/pc-static-app"
    local out; out=$("$work/pc-static-app"); echo "$out"; expect_ok "$out"
}
check pkg-config-static pc_static

pc_shared() {
    local lib; lib=$(libdir_of "$work/shared")
    export PKG_CONFIG_PATH="$lib/pkgconfig"
    local flags; flags=$(pkg-config --cflags --libs portsock); echo "$flags"
    # shellcheck disable=SC2086
    "$cc" $cflags "$consumer/app.c" $flags -o "$work/pc-shared-app"
    readelf -d "$work/pc-shared-app" | grep NEEDED | grep -q 'libportsock.so.0'
    local out; out=$(LD_LIBRARY_PATH="$lib" "$work/pc-shared-app"); echo "$out"; expect_ok "$out"
}
check pkg-config-shared pc_shared

# ---- Embedded: add_subdirectory and FetchContent ----------------------------
# embedded DIR [cmake args...]: builds the consumer with portsock inside it;
# portsock's tests, examples and install rules must stay out.
embedded() {
    local dir=$1
    shift
    cmake -S "$consumer" -B "$dir" "$@"
    cmake --build "$dir" -j2
    local out; out=$("$dir/app"); echo "$out"; expect_ok "$out"
    local targets; targets=$(cmake --build "$dir" --target help)
    if grep -E '\btest_|select_stdin_socket|minicrit' <<<"$targets"; then
        echo "portsock's tests or examples are part of the consumer build"; return 1
    fi
    grep -qw portsock <<<"$targets"
    cmake --install "$dir" --prefix "$dir/inst"
    if [ -n "$(find "$dir/inst" -name 'portsock*' 2>/dev/null)" ]; then
        echo "the consumer's install also installed portsock"; return 1
    fi
}
check add_subdirectory embedded "$work/c-subdir" -DPS_CONSUME=subdir -DPS_SOURCE="$src"
check FetchContent-SOURCE_DIR embedded "$work/c-fetch" -DPS_CONSUME=fetch -DPS_SOURCE="$src"

fetch_url() {
    # A release-style archive of the working tree (uncommitted changes
    # included), without the lead's build/ and the git metadata.
    tar -C "$src" --exclude=./build --exclude=./.git -czf "$work/portsock.tar.gz" .
    embedded "$work/c-fetch-url" -DPS_CONSUME=fetch_url -DPS_URL="file://$work/portsock.tar.gz"
}
check FetchContent-URL fetch_url

# ---- Single file: portsock.c + portsock.h (tools/amalgamate.py) ------------
# Generated into a directory of their own; the consumer is built from only
# those two files and app.c (a socketpair round trip), as one would drop them
# into another project.
amalg_generate() {
    python3 "$src/tools/amalgamate.py" "$work/amalg"
    test "$(ls "$work/amalg")" = "$(printf 'portsock.c\nportsock.h')"
    cmp "$work/amalg/portsock.h" "$src/include/portsock.h"
    # Both platforms are in it, each under the preprocessor.
    grep -q '^/\* ==== src/win32/' "$work/amalg/portsock.c"
    grep -q '^/\* ==== src/posix/' "$work/amalg/portsock.c"
    # No include of a private header is left (they are inlined).
    local left; left=$(grep -E '^\s*#\s*include\s+"' "$work/amalg/portsock.c" | grep -vF '"portsock.h"' || true)
    test -z "$left" || { echo "includes left: $left"; return 1; }
    # cmake --install with PS_INSTALL_AMALGAMATION (installed-psnc-shared)
    # ships the same two files.
    cmp "$work/amalg/portsock.c" "$work/custom/share/portsock/portsock.c"
    cmp "$work/amalg/portsock.h" "$work/custom/share/portsock/portsock.h"
    echo "$(wc -l <"$work/amalg/portsock.c") lines" >"$work/note"
}
check amalgamation-generate amalg_generate

# amalg_native CC [flags...]: builds app.c + portsock.c with CC, runs it.
amalg_native() {
    local c=$1 exe="$work/amalg-app-$1"
    shift
    command -v "$c"
    [ $# -eq 0 ] || exe="$exe-poll"
    # shellcheck disable=SC2086
    "$c" $cflags "$@" -I"$work/amalg" "$consumer/app.c" "$work/amalg/portsock.c" -pthread -o "$exe"
    local out; out=$("$exe"); echo "$out"; expect_ok "$out"
}
check amalgamation-gcc amalg_native gcc
check amalgamation-clang amalg_native clang
# The poll() backend of ps_poller, as on POSIX systems without epoll/kqueue.
check amalgamation-gcc-poll amalg_native gcc -DPS_AMALG_USE_POLL

amalg_mingw() {
    test -n "$wine" || { echo "wine64 not found"; return 1; }
    local dir="$work/amalg-w64"
    mkdir -p "$dir"
    # shellcheck disable=SC2086
    x86_64-w64-mingw32-gcc $cflags -I"$work/amalg" "$consumer/app.c" "$work/amalg/portsock.c" \
        -lws2_32 -liphlpapi -o "$dir/app.exe"
    local out; out=$(cd "$dir" && timeout 300 "$wine" ./app.exe | tr -d '\r'); echo "$out"
    expect_ok "$out"
}
check amalgamation-mingw-wine amalg_mingw

# ---- MinGW x86_64 DLL, run under Wine -----------------------------------
dll_install() {
    command -v x86_64-w64-mingw32-gcc
    build_lib "$work/b-w64" "$work/w64" -DBUILD_SHARED_LIBS=ON \
        -DCMAKE_TOOLCHAIN_FILE="$src/cmake/mingw-x86_64.cmake"
    test -f "$work/w64/bin/libportsock.dll"
    test -f "$work/w64/lib/libportsock.dll.a"
    grep -qx 'Cflags: -I${includedir} -DPS_SHARED' "$work/w64/lib/pkgconfig/portsock.pc"
    grep -qx 'Libs.private: -lws2_32 -liphlpapi' "$work/w64/lib/pkgconfig/portsock.pc"
    local dump; dump=$(x86_64-w64-mingw32-objdump -p "$work/w64/bin/libportsock.dll")
    # The DLL must run with only system DLLs beside it.
    grep 'DLL Name' <<<"$dump" >"$work/dll-imports"
    none grep -viE 'kernel32|msvcrt|ws2_32|iphlpapi' "$work/dll-imports"
    sed -n '/\[Ordinal\/Name Pointer\] Table/,/^$/p' <<<"$dump" |
        sed -n 's/^\s*\[ *[0-9]*\] \(.*\)$/\1/p' >"$work/dll-exports"
    cat "$work/dll-exports"
    test -s "$work/dll-exports"
    same_as_header "$work/dll-exports"
    echo "$(wc -l <"$work/dll-exports") exported, all public ps_*" >"$work/note"
}
check mingw-dll-install dll_install

dll_consumer() {
    test -n "$wine" || { echo "wine64 not found"; return 1; }
    local dir="$work/c-w64"
    cmake -S "$consumer" -B "$dir" -DCMAKE_TOOLCHAIN_FILE="$src/cmake/mingw-x86_64.cmake" \
        -DCMAKE_PREFIX_PATH="$work/w64"
    cmake --build "$dir" -j2
    # dllimport was used: the object calls through the import pointers.
    x86_64-w64-mingw32-nm "$dir/CMakeFiles/app.dir/app.c.obj" | grep -q ' U __imp_ps_socketpair'
    x86_64-w64-mingw32-objdump -p "$dir/app.exe" | grep -q 'DLL Name: libportsock.dll'
    cp "$work/w64/bin/libportsock.dll" "$dir/"
    local out; out=$(cd "$dir" && timeout 300 "$wine" ./app.exe | tr -d '\r'); echo "$out"
    expect_ok "$out"
}
check mingw-dll-wine dll_consumer

# ---- Cross builds with a user's own toolchain file ----------------------------
# Toolchain files as users write them, not the project's own cmake/*.cmake:
# they set the compiler and the find root, and nothing for pkg-config.

# s390x with every option at its default but the tests: pkg-config answers
# with the host's libuv and libevent (when installed here), and find_package
# with the host's OpenSSL, which the s390x compiler and linker reject. The
# benchmarks must skip them and portsock_tls be off, saying why, and build.
cross_default() {
    command -v s390x-linux-gnu-gcc
    local dir="$work/x-s390x" tc="$work/s390x-user.cmake" log="$work/x-s390x.configure.log"
    printf '%s\n' 'set(CMAKE_SYSTEM_NAME Linux)' 'set(CMAKE_SYSTEM_PROCESSOR s390x)' \
        'set(CMAKE_C_COMPILER s390x-linux-gnu-gcc)' \
        'set(CMAKE_FIND_ROOT_PATH /usr/s390x-linux-gnu)' >"$tc"
    env -u PKG_CONFIG_LIBDIR -u PKG_CONFIG_PATH \
        cmake -S "$src" -B "$dir" -DCMAKE_TOOLCHAIN_FILE="$tc" -DPS_BUILD_TESTS=OFF >"$log"
    cat "$log"
    env -u PKG_CONFIG_LIBDIR -u PKG_CONFIG_PATH cmake --build "$dir" -j2
    readelf -h "$dir/bench/bench_overhead" | grep -q 'IBM S/390'
    local peer skipped=""
    for peer in libuv libevent; do
        if env -u PKG_CONFIG_LIBDIR -u PKG_CONFIG_PATH pkg-config --exists "$peer"; then
            grep -q "portsock bench: $peer found by pkg-config (.*) does not compile and link for this target" "$log"
            none test -e "$dir/bench/echo_$peer"
            skipped="$skipped $peer"
        fi
    done
    # The host's OpenSSL: portsock_tls is off, saying why.
    if [ -e /usr/include/openssl/ssl.h ]; then
        grep -q "portsock: portsock_tls off: the OpenSSL 3 found (.*) does not compile and link for this target" "$log"
        none test -e "$dir/libportsock_tls.a"
        skipped="$skipped OpenSSL"
    fi
    if [ -n "$skipped" ]; then
        echo "the host's$skipped skipped with a message" >"$work/note"
    else
        echo "no libuv or libevent on the host: nothing to skip" >"$work/note"
    fi
}
check cross-s390x-defaults cross_default

# A MinGW consumer whose toolchain file searches packages only under its find
# root (CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY, as most cross toolchain files
# do) against the MinGW DLL installed above. CMAKE_PREFIX_PATH alone is then
# re-rooted under /usr/x86_64-w64-mingw32 and finds nothing; what works is
# portsock_DIR, or the install prefix added to CMAKE_FIND_ROOT_PATH (on the
# command line only when the toolchain file appends to it: a set() there
# overrides the cache).
mingw_user_toolchain() { # mingw_user_toolchain FILE set|list(APPEND
    local root="set(CMAKE_FIND_ROOT_PATH /usr/x86_64-w64-mingw32)"
    [ "$2" = set ] || root="list(APPEND CMAKE_FIND_ROOT_PATH /usr/x86_64-w64-mingw32)"
    printf '%s\n' 'set(CMAKE_SYSTEM_NAME Windows)' 'set(CMAKE_SYSTEM_PROCESSOR x86_64)' \
        'set(CMAKE_C_COMPILER x86_64-w64-mingw32-gcc)' \
        'set(CMAKE_RC_COMPILER x86_64-w64-mingw32-windres)' "$root" \
        'set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)' \
        'set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)' \
        'set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)' \
        'set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)' >"$1"
}

# not_found DIR [cmake args...]: the consumer's configure fails because
# find_package(portsock) finds no package file.
not_found() {
    local dir=$1 msg
    shift
    if cmake -S "$consumer" -B "$dir" "$@" >"$dir.log" 2>&1; then
        cat "$dir.log"; echo "found portsock with: $*"; return 1
    fi
    msg=$(tr -s ' \n' '  ' <"$dir.log")
    grep -qF 'Could not find a package configuration file provided by "portsock"' <<<"$msg" ||
        { cat "$dir.log"; echo "failed, but not for want of portsock's package file"; return 1; }
    echo "as expected, not found with: $*"
}

# wine_consumer DIR [cmake args...]: configures, builds and runs the consumer
# under Wine with the installed DLL beside it.
wine_consumer() {
    local dir=$1 out
    shift
    cmake -S "$consumer" -B "$dir" "$@"
    # The package found is the one installed above.
    grep -qx "portsock_DIR:[A-Z]*=$work/w64/lib/cmake/portsock" "$dir/CMakeCache.txt"
    cmake --build "$dir" -j2
    cp "$work/w64/bin/libportsock.dll" "$dir/"
    out=$(cd "$dir" && timeout 300 "$wine" ./app.exe | tr -d '\r'); echo "$out"
    expect_ok "$out"
}

mingw_package_only() {
    test -n "$wine" || { echo "wine64 not found"; return 1; }
    test -f "$work/w64/lib/cmake/portsock/portsockConfig.cmake" ||
        { echo "no MinGW install (mingw-dll-install failed)"; return 1; }
    timeout 120 "$wine" wineboot --init
    local set_tc="$work/mingw-user-set.cmake" append_tc="$work/mingw-user-append.cmake"
    mingw_user_toolchain "$set_tc" set
    mingw_user_toolchain "$append_tc" append
    # The trap: CMAKE_PREFIX_PATH alone, and CMAKE_FIND_ROOT_PATH given on the
    # command line to a toolchain file that set()s it.
    not_found "$work/c-po-prefix" -DCMAKE_TOOLCHAIN_FILE="$set_tc" -DCMAKE_PREFIX_PATH="$work/w64"
    not_found "$work/c-po-root-set" -DCMAKE_TOOLCHAIN_FILE="$set_tc" -DCMAKE_FIND_ROOT_PATH="$work/w64"
    # The ways that work.
    wine_consumer "$work/c-po-dir" -DCMAKE_TOOLCHAIN_FILE="$set_tc" \
        -Dportsock_DIR="$work/w64/lib/cmake/portsock"
    wine_consumer "$work/c-po-root" -DCMAKE_TOOLCHAIN_FILE="$append_tc" \
        -DCMAKE_FIND_ROOT_PATH="$work/w64"
    echo "portsock_DIR, and the prefix in CMAKE_FIND_ROOT_PATH; not CMAKE_PREFIX_PATH" >"$work/note"
}
check mingw-consumer-package-only mingw_package_only

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
