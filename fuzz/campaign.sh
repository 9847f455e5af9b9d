#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs the libFuzzer targets one after another, one job each, and prints
# the executions each reached. Any crash, failed check, leak or per-input
# timeout fails the run; its input is kept and shown.
#
# Usage: fuzz/campaign.sh [-t SECONDS] [-n RUNS] [-c CORPUS] [-o OUT] [TARGET...]
#   -t  time per target (default 600 s)
#   -n  also stop a target after this many executions (default: time only)
#   -c  corpus directory, one subdirectory per target (default
#       build/fuzz-campaign/corpus): kept between runs, so a campaign goes
#       on where the last one stopped; the committed seeds (fuzz/corpus)
#       are copied in first, never written to
#   -o  logs and crashing inputs (default build/fuzz-campaign)
#   -B  do not configure and build (build/fuzz must be up to date)
# TARGET: fuzz_addr_parse fuzz_addr_format fuzz_recv_frame fuzz_recv_chunks
# fuzz_tls_server (default all; fuzz_tls_server only where portsock_tls is
# built, i.e. its binary exists). ci/test.sh's fuzz leg is this script with
# -t 30 and a scratch corpus.
set -u -o pipefail
cd "$(dirname "$0")/.."

secs=600
runs=""
corpus=build/fuzz-campaign/corpus
out=build/fuzz-campaign
build=1
while getopts "t:n:c:o:B" opt; do
    case $opt in
        t) secs=$OPTARG ;;
        n) runs=$OPTARG ;;
        c) corpus=$OPTARG ;;
        o) out=$OPTARG ;;
        B) build=0 ;;
        *) sed -n '2,20p' "$0"; exit 2 ;;
    esac
done
shift $((OPTIND - 1))
bindir=build/fuzz/fuzz
targets="${*:-}"

if [ "$build" -eq 1 ]; then
    echo "== building the fuzz targets (preset fuzz)"
    if ! { cmake --preset fuzz && cmake --build --preset fuzz -j 2; } >"${TMPDIR:-/tmp}/ps-fuzz-build.$$" 2>&1; then
        tail -30 "${TMPDIR:-/tmp}/ps-fuzz-build.$$"
        rm -f "${TMPDIR:-/tmp}/ps-fuzz-build.$$"
        echo "0 passed, 1 failed (the fuzz targets did not build)"
        exit 1
    fi
    rm -f "${TMPDIR:-/tmp}/ps-fuzz-build.$$"
fi
mkdir -p "$out" "$corpus" || exit 1
# The default: every target, the TLS one where it was built (PS_TLS).
if [ -z "$targets" ]; then
    targets="fuzz_addr_parse fuzz_addr_format fuzz_recv_frame fuzz_recv_chunks"
    [ -x "$bindir/fuzz_tls_server" ] && targets="$targets fuzz_tls_server"
fi

# Per-target options: the address targets take the dictionary and short
# inputs; the stream targets bound their own input size (64 KiB).
target_opts() {
    case $1 in
        fuzz_addr_parse | fuzz_addr_format) echo "-dict=fuzz/addr.dict -max_len=512" ;;
        *) echo "-max_len=8192" ;;
    esac
}

pass=0
fail=0
total_execs=0
results=()
for t in $targets; do
    bin=$bindir/$t
    if [ ! -x "$bin" ]; then
        echo "== $t: no $bin"
        results+=("$t: MISSING")
        fail=$((fail + 1))
        continue
    fi
    mkdir -p "$corpus/$t" "$out/artifacts" || exit 1
    cp -n fuzz/corpus/"$t"/* "$corpus/$t"/ 2>/dev/null
    # fuzz_tls_server's seeds are real ClientHellos, made now by a
    # portsock_tls client (no binary seed is committed).
    if [ "$t" = fuzz_tls_server ] && ! "$bindir/fuzz_tls_seeds" "$corpus/$t" >/dev/null; then
        echo "== $t: fuzz_tls_seeds failed"
        results+=("$t: FAILED (fuzz_tls_seeds could not write the seeds)")
        fail=$((fail + 1))
        continue
    fi
    log=$out/$t.log
    echo "== $t: ${secs} s${runs:+ or $runs runs}, corpus $corpus/$t"
    start=$(date +%s)
    # -timeout: an input that runs 20 s is a hang (the stream targets'
    # own timeouts are at most 5 s per call).
    # shellcheck disable=SC2046
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "$bin" -max_total_time="$secs" ${runs:+-runs=$runs} -timeout=20 \
        -print_final_stats=1 -artifact_prefix="$out/artifacts/$t-" \
        $(target_opts "$t") "$corpus/$t" >"$log" 2>&1
    rc=$?
    took=$(( $(date +%s) - start ))
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    execs=${execs:-0}
    total_execs=$((total_execs + execs))
    files=$(find "$corpus/$t" -type f | wc -l)
    rate=$(( execs / (took > 0 ? took : 1) ))
    if [ $rc -eq 0 ]; then
        line="$t: ok, $execs execs in ${took} s ($rate/s), corpus $files inputs"
        echo "   $line"
        pass=$((pass + 1))
    else
        line="$t: FAILED (exit $rc) after $execs execs in ${took} s; log $log"
        echo "   $line"
        grep -E "check failed|^  |ERROR:|SUMMARY:|Test unit written|leak" "$log" | head -20 | sed 's/^/   | /'
        for a in $(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log"); do
            echo "   input $a:"
            head -c 256 "$a" | od -A d -c | head -12 | sed 's/^/   | /'
        done
        fail=$((fail + 1))
    fi
    results+=("$line")
done

echo
echo "== fuzz summary"
for line in "${results[@]}"; do
    echo "  $line"
done
echo "  total: $total_execs execs"
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
