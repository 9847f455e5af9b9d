#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Formats the C sources in src/, include/ and tests/ with .clang-format.
#   tools/format.sh           rewrites every file that is not formatted
#   tools/format.sh --check   changes nothing; lists the files that are not
#                             formatted and exits 1 if there is any
#   tools/format.sh [--check] FILE...   the same, for the files named
# The style is pinned to clang-format 14 (Debian 12's): other versions lay
# some lines out differently. CLANG_FORMAT names another binary; it must
# still be version 14.
set -u -o pipefail
cd "$(dirname "$0")/.."

check=0
if [ "${1:-}" = --check ]; then
    check=1
    shift
fi

find_clang_format() {
    local c
    for c in ${CLANG_FORMAT:-} clang-format-14 clang-format; do
        command -v "$c" >/dev/null 2>&1 || continue
        if "$c" --version | grep -qE 'version 14\.'; then
            echo "$c"
            return 0
        fi
    done
    return 1
}
if ! cf=$(find_clang_format); then
    echo "format.sh: clang-format 14 not found (Debian 12: apt-get install clang-format-14)" >&2
    exit 2
fi

if [ $# -gt 0 ]; then
    files=("$@")
else
    # Tracked and new files alike, not the ignored ones (build trees).
    mapfile -t files < <(git ls-files --cached --others --exclude-standard \
        -- 'src/*.c' 'src/*.h' 'include/*.h' 'tests/*.c' 'tests/*.h' | sort -u)
fi

bad=0
for f in "${files[@]}"; do
    [ -f "$f" ] || continue
    if [ $check -eq 1 ]; then
        if ! "$cf" --style=file "$f" | cmp -s - "$f"; then
            echo "$f"
            bad=$((bad + 1))
        fi
    else
        # A few layouts settle only on a second pass (clang-format 14).
        for pass in 1 2 3; do
            "$cf" --style=file "$f" | cmp -s - "$f" && break
            "$cf" --style=file -i "$f" || exit 2
        done
    fi
done
if [ $check -eq 1 ] && [ $bad -gt 0 ]; then
    echo "format.sh: $bad of ${#files[@]} files not formatted ($cf; run tools/format.sh)" >&2
    exit 1
fi
exit 0
