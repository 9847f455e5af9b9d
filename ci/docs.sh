#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The reference documentation (the `docs` leg of ci/test.sh):
#  - Doxygen HTML of include/portsock.h and include/portsock_tls.h (target
#    `docs`, -DPS_BUILD_DOCS=ON)
#    with no warning at all: an undocumented declaration, parameter or
#    return value fails (docs/Doxyfile sets WARN_AS_ERROR);
#  - every enumerator of the header carries its own comment (Doxygen does
#    not warn about the values of an anonymous enum);
#  - every man page in man/ is clean under `groff -ww` and `man --warnings`;
#  - portsock(3) names every public function and the project's version;
#  - `cmake --install` puts the man pages in share/man/manN (a program's
#    page with the program) and the HTML in the doc directory.
# Needs doxygen, groff and man (ci/test.sh installs them). Prints one line
# per check and ends with "N passed, N failed".
set -u -o pipefail
cd "$(dirname "$0")/.."

out=build/docs
mkdir -p build
pass=0
fail=0
result() { # result NAME ok|FAILED [detail]
    echo "$1: $2${3:+ — $3}"
    if [ "$2" = ok ]; then pass=$((pass + 1)); else fail=$((fail + 1)); fi
}

# ---- Doxygen: configure a tree with only the library, psnc and the docs.
rm -rf "$out" "$out".*.log
if cmake -S . -B "$out" -DCMAKE_BUILD_TYPE=Release -DPS_BUILD_DOCS=ON \
        -DPS_WERROR=ON -DPS_BUILD_TESTS=OFF -DPS_BUILD_BENCH=OFF \
        >"$out.configure.log" 2>&1; then
    result configure ok
else
    tail -20 "$out.configure.log"
    result configure FAILED "see $out.configure.log"
fi

cmake --build "$out" --target docs >"$out.doxygen.log" 2>&1
rc=$?
# WARN_AS_ERROR fails the run; the log is read too, in case a Doxygen
# version reports a problem without failing.
warnings=$(grep -E "(warning|error): " "$out.doxygen.log")
if [ $rc -eq 0 ] && [ -z "$warnings" ] && [ -f "$out/docs/html/index.html" ]; then
    result doxygen ok "$(find "$out/docs/html" -name '*.html' | wc -l) HTML pages, no warnings"
else
    if [ -n "$warnings" ]; then echo "$warnings"; else tail -20 "$out.doxygen.log"; fi
    result doxygen FAILED "$(grep -cE "(warning|error): " "$out.doxygen.log") Doxygen warnings (see $out.doxygen.log)"
fi

# Doxygen is silent about an anonymous enum's undocumented values, so each
# enumerator line of the header must carry its own /**< ... */, and enums
# are written one value per line. An enum made from an X-macro list (the
# whole enum is PS_..._MAP(...)) takes its comments from the list: there
# each XX(NAME, value, "text") entry needs a text, which docs/Doxyfile turns
# into the value's comment.
bare=$(awk '
    /^[[:space:]]*enum[[:space:]]*\{[[:space:]]*PS_[A-Z0-9_]+_MAP\([A-Z0-9_]+\)[[:space:]]*\}/ { next }
    /^[[:space:]]*enum[[:space:]]*\{.*\}/ { print FILENAME ":" FNR ": one-line enum: " $0; next }
    /^[[:space:]]*enum[[:space:]]*\{/ { inenum = 1; next }
    inenum && /^[[:space:]]*\}/ { inenum = 0; next }
    inenum && /^[[:space:]]*PS_[A-Z0-9_]+_MAP\([A-Z0-9_]+\)[[:space:]]*$/ { next }
    inenum && /^[[:space:]]*PS_[A-Z0-9_]+/ && !/\/\*\*</ { print FILENAME ":" FNR ": " $0 }
    /^#[[:space:]]*define[[:space:]]+PS_[A-Z0-9_]+_MAP\(XX\)/ { inmap = 1; next }
    inmap && !/^[[:space:]]*XX\([A-Z][A-Z0-9_]*, -?[0-9]+, "[^"]+"\)[[:space:]]*\\?$/ {
        print FILENAME ":" FNR ": not XX(NAME, value, \"text\"): " $0 }
    inmap && !/\\$/ { inmap = 0 }
' include/portsock.h include/portsock_tls.h)
if [ -z "$bare" ]; then
    result enumerators ok "$(cat include/portsock.h include/portsock_tls.h | grep -cE '^[[:space:]]+PS_[A-Z0-9_]+.*/\*\*<') values, each with its comment; $(grep -cE '^[[:space:]]+XX\(' include/portsock.h) from X-macro lists, each with its text"
else
    echo "$bare"
    result enumerators FAILED "enum values without a /**< ... */ comment"
fi

# ---- Man pages -------------------------------------------------------------
# quiet_ok LABEL WHAT CMD...: ok when CMD succeeds and writes nothing to
# stderr (its stdout is thrown away).
quiet_ok() {
    local label=$1 what=$2 msg rc
    shift 2
    msg=$("$@" 2>&1 >/dev/null)
    rc=$?
    if [ $rc -eq 0 ] && [ -z "$msg" ]; then
        result "$label" ok
    else
        echo "$msg"
        result "$label" FAILED "$what reports (above)"
    fi
}

pages=$(ls man/*.[1-9] 2>/dev/null)
for page in $pages; do
    quiet_ok "groff $page" "groff -ww -z -man" groff -ww -z -man "$page"
    # man-db's own check (it runs groff with its warnings on, as man(1) would).
    quiet_ok "man $page" "man --warnings" env LC_ALL=C.UTF-8 MANROFFSEQ='' MANWIDTH=80 \
        man --warnings -E UTF-8 -l -Tutf8 "$page"
done

# portsock(3) keeps up with the header: every public function is named in it,
# and its .TH line carries the project's version.
version=$(sed -n 's/^project(portsock VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
api=$(tr '\n' ' ' <include/portsock.h | grep -oE 'PS_API [^;(]*\bps_[a-z0-9_]+ *\(' |
    grep -oE 'ps_[a-z0-9_]+ *\($' | tr -d ' (' | sort -u)
missing=""
for f in $api; do
    grep -qE "(^|[^a-z0-9_])$f([^a-z0-9_]|$)" man/portsock.3 || missing="$missing $f"
done
if [ -n "$missing" ]; then
    result "portsock.3 functions" FAILED "not in man/portsock.3:$missing"
else
    result "portsock.3 functions" ok "all $(echo "$api" | wc -w) public functions named"
fi
if grep -qE "^\.TH PORTSOCK 3 .*\"portsock $version\"" man/portsock.3; then
    result "portsock.3 version" ok "$version"
else
    result "portsock.3 version" FAILED "the .TH line does not say \"portsock $version\""
fi

# ---- cmake --install: man pages and HTML where they belong -------------------
inst="$out/inst"
if cmake --build "$out" -j 2 >"$out.build.log" 2>&1 &&
   cmake --install "$out" --prefix "$inst" >"$out.install.log" 2>&1; then
    bad=""
    for page in $pages; do
        name=$(basename "$page")
        section=${name##*.}
        dest="$inst/share/man/man$section/$name"
        if [ "$section" = 1 ] && [ ! -e "$inst/bin/${name%.*}" ]; then
            # A program's page comes with the program only.
            [ -e "$dest" ] && bad="$bad $dest(without its program)"
        elif ! cmp -s "$page" "$dest"; then
            bad="$bad $dest"
        fi
    done
    [ -f "$inst/share/doc/portsock/html/index.html" ] || bad="$bad share/doc/portsock/html/index.html"
    if [ -z "$bad" ]; then
        result install ok "$(find "$inst/share/man" -type f | wc -l) man pages in share/man, HTML in share/doc/portsock/html"
    else
        result install FAILED "missing or different:$bad"
    fi
else
    tail -n 20 "$out.build.log" "$out.install.log"
    result install FAILED "build or install failed (see $out.build.log, $out.install.log)"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
