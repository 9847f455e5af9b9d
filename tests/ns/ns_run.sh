#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs a test in a private mount namespace with test files bind-mounted over
# system files (/etc/hosts, /etc/resolv.conf, /etc/gai.conf, ...), so a name
# can resolve a chosen way without touching the machine's own files.
#
# Usage: ns_run.sh [--bind SRC DST]... -- CMD [ARG...]
#
# Inside, PS_TEST_NS=1. Where no namespace can be made (not root, no
# unshare), CMD still runs, with PS_TEST_NS set to the reason, so the test
# can skip with a clear message instead of resolving against real files.
set -u
binds=""
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
    if [ "$1" != "--bind" ] || [ $# -lt 3 ]; then
        echo "usage: ns_run.sh [--bind SRC DST]... -- CMD..." >&2
        exit 2
    fi
    [ -f "$2" ] || { echo "ns_run.sh: no file $2" >&2; exit 2; }
    binds="$binds$2|$3
"
    shift 3
done
[ $# -gt 1 ] || { echo "usage: ns_run.sh [--bind SRC DST]... -- CMD..." >&2; exit 2; }
shift

if ! command -v unshare >/dev/null 2>&1; then
    PS_TEST_NS="no unshare command" exec "$@"
fi
if ! unshare -m --propagation private true 2>/dev/null; then
    PS_TEST_NS="unshare -m not permitted (needs root)" exec "$@"
fi
PS_NS_BINDS="$binds" exec unshare -m --propagation private sh -c '
    printf "%s" "$PS_NS_BINDS" | while IFS="|" read -r src dst; do
        [ -n "$src" ] || continue
        mount --bind "$src" "$dst" || exit 97
    done || { echo "ns_run.sh: bind mount failed" >&2; exit 1; }
    unset PS_NS_BINDS
    PS_TEST_NS=1 exec "$@"' ns_run "$@"
