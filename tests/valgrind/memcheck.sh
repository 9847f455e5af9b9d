#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs one test program under valgrind's memcheck (the valgrind leg: the
# valgrind preset puts this script in front of every test program's command
# through PS_TEST_WRAPPER). The run fails, besides on the program's own
# failure, on any of:
#   - a memcheck error (invalid access, uninitialised use, bad free, ...);
#   - any heap block in use at exit, "still reachable" included (blocks a
#     memcheck.supp entry matches, each with its reason, are not counted);
#   - a descriptor open at exit that the process opened itself (anything
#     valgrind does not list as "<inherited from parent>").
# The valgrind log is printed to stderr, then the first lines of each
# finding ("memcheck: | ...") and one result line ("memcheck: clean",
# "memcheck: FAILED: ...").
#
# PS_MEMCHECK_AT_EXIT=off (set by tests/CMakeLists.txt for the one entry
# that ends its process on purpose while a lookup thread still runs) keeps
# the error check and leaves out the two at-exit checks.
#
# Usage: memcheck.sh PROGRAM [ARG...]
set -u
[ $# -ge 1 ] || { echo "usage: memcheck.sh PROGRAM [ARG...]" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
logdir=$(mktemp -d "${TMPDIR:-/tmp}/ps-memcheck.XXXXXX") || exit 2
trap 'rm -rf "$logdir"' EXIT

at_exit=yes
leaks="--leak-check=full --show-leak-kinds=all --errors-for-leak-kinds=all"
fds="--track-fds=all"
if [ "${PS_MEMCHECK_AT_EXIT:-on}" = off ]; then
    at_exit=no
    leaks="--leak-check=no"
    fds="--track-fds=no"
fi

# Tests that tell the system of more buffer than there is (on purpose, to
# test a clamp) leave that out under memcheck.
export PS_UNDER_MEMCHECK=1
# --fair-sched: threads take turns in order (valgrind runs one at a time),
# so a thread that waits on another is not starved. %p: one log per process.
# shellcheck disable=SC2086
valgrind --tool=memcheck --error-exitcode=99 $leaks $fds \
    --track-origins=yes --fair-sched=yes --num-callers=30 \
    --suppressions="$here/memcheck.supp" --gen-suppressions=all \
    --log-file="$logdir/%p.log" "$@"
rc=$?

problems=""
details=""
nlogs=0
for log in "$logdir"/*.log; do
    [ -f "$log" ] || continue
    nlogs=$((nlogs + 1))
    cat "$log" >&2
    # "problem WORD" per problem found in this log, "detail LINE" for the
    # first lines of each finding.
    found=$(awk -v at_exit="$at_exit" '
        function detail(n) { keep = n; print "detail " $0 }
        keep > 0 && /==[0-9]+==  +(at|by) / { keep--; print "detail " $0; next }
        { keep = 0 }
        /ERROR SUMMARY: / {
            summary = 1
            n = $0; sub(/.*ERROR SUMMARY: /, "", n); sub(/ .*/, "", n)
            if (n + 0 != 0) print "problem errors"
        }
        # Errors other than leaks: the kind and where.
        /==[0-9]+== (Invalid|Conditional jump|Use of uninitialised|Syscall param|Mismatched|Source and destination|Argument .* of function)/ {
            detail(8)
        }
        # Without the leak check nothing below is printed.
        /All heap blocks were freed/ { freed = 1 }
        /in loss record/ { detail(8) }
        /(definitely lost|indirectly lost|possibly lost|still reachable): / {
            n = $0; sub(/.*: /, "", n); gsub(/,/, "", n); sub(/ .*/, "", n)
            if (n + 0 != 0) heap = 1
            counted = 1
        }
        # Each open descriptor: "Open ... N: ..." then either
        # "<inherited from parent>" or the stack that opened it.
        pending {
            pending = 0
            if ($0 !~ /<inherited from parent>/) {
                fd = 1
                print "detail " open_line
                $0 = $0; detail(8); next
            }
        }
        /==[0-9]+== Open / { pending = 1; open_line = $0 }
        /FILE DESCRIPTORS: / { fdlist = 1 }
        END {
            if (!summary) print "problem no-summary"
            if (at_exit == "yes") {
                if (heap || (!freed && !counted)) print "problem heap-in-use-at-exit"
                if (fd) print "problem descriptor-left-open"
                if (!fdlist) print "problem no-descriptor-list"
            }
        }' "$log")
    for word in $(printf '%s\n' "$found" | sed -n 's/^problem //p'); do
        problems="$problems $word($(basename "$log" .log))"
    done
    details="$details$(printf '%s\n' "$found" | sed -n 's/^detail /memcheck: | /p' | head -60)
"
done
[ "$nlogs" -gt 0 ] || problems=" no-valgrind-log"

if [ -n "$problems" ]; then
    printf '%s' "$details" | grep . >&2
    echo "memcheck: FAILED:$problems (program status $rc)" >&2
    [ "$rc" -ne 0 ] && exit "$rc"
    exit 98
fi
if [ "$at_exit" = yes ]; then
    echo "memcheck: clean (0 errors, 0 bytes in use at exit, no descriptor left open; status $rc)" >&2
else
    echo "memcheck: clean (0 errors; at-exit checks off: PS_MEMCHECK_AT_EXIT=off; status $rc)" >&2
fi
exit "$rc"
