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
#  - portsock(3) names every public function of portsock.h (PS_API) and
#    portsock_tls(3) every one of portsock_tls.h (PS_TLS_API), and each
#    page's .TH line carries the project's version;
#  - `cmake --install` puts the man pages in share/man/manN (a program's
#    page with the program, a library's page with the library's header:
#    portsock_tls.3 with portsock_tls) and the HTML in the doc directory;
#    a second install with -DPS_TLS=off has portsock.3 and neither
#    portsock_tls.3 nor portsock_tls.h.
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
rm -rf "$out" "$out".*.log "$out-notls"
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

# A library's page keeps up with its header: every public function (declared
# with the header's export macro) is named in it as a whole word, and its .TH
# line carries the project's version.
version=$(sed -n 's/^project(portsock VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
# page_names_api PAGE HEADER MACRO
page_names_api() {
    local page=$1 header=$2 macro=$3 label api f missing=""
    label=$(basename "$page")
    api=$(tr '\n' ' ' <"$header" | grep -oE "$macro [^;(]*\bps_[a-z0-9_]+ *\(" |
        grep -oE 'ps_[a-z0-9_]+ *\($' | tr -d ' (' | sort -u)
    if [ -z "$api" ]; then
        # An empty list would pass every page: the extraction broke.
        result "$label functions" FAILED "no $macro function found in $header"
        return
    fi
    for f in $api; do
        grep -qE "(^|[^a-z0-9_])$f([^a-z0-9_]|$)" "$page" || missing="$missing $f"
    done
    if [ -n "$missing" ]; then
        result "$label functions" FAILED "not in $page:$missing"
    else
        result "$label functions" ok "all $(echo "$api" | wc -w) public functions of $header named"
    fi
    local th
    th=$(basename "$page" | sed 's/\.[1-9]$//' | tr '[:lower:]' '[:upper:]')
    if grep -qE "^\.TH $th 3 .*\"portsock $version\"" "$page"; then
        result "$label version" ok "$version"
    else
        result "$label version" FAILED "the .TH line does not say \"portsock $version\""
    fi
}
page_names_api man/portsock.3 include/portsock.h PS_API
page_names_api man/portsock_tls.3 include/portsock_tls.h PS_TLS_API

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
        elif [ "$section" = 3 ] && [ -f "include/${name%.*}.h" ] &&
             [ ! -e "$inst/include/${name%.*}.h" ]; then
            # A library's page comes with the library (its header) only.
            [ -e "$dest" ] && bad="$bad $dest(without its library)"
        elif ! cmp -s "$page" "$dest"; then
            bad="$bad $dest"
        fi
    done
    [ -f "$inst/share/doc/portsock/html/index.html" ] || bad="$bad share/doc/portsock/html/index.html"
    if [ -e "$inst/include/portsock_tls.h" ]; then
        tls="portsock_tls.3 with portsock_tls"
    else
        tls="portsock_tls not built, so no portsock_tls.3"
    fi
    if [ -z "$bad" ]; then
        result install ok "$(find "$inst/share/man" -type f | wc -l) man pages in share/man ($tls), HTML in share/doc/portsock/html"
    else
        result install FAILED "missing or different:$bad"
    fi
else
    tail -n 20 "$out.build.log" "$out.install.log"
    result install FAILED "build or install failed (see $out.build.log, $out.install.log)"
fi

# ---- cmake --install without portsock_tls: no page for it ----------------------
notls="$out-notls"
if cmake -S . -B "$notls" -DCMAKE_BUILD_TYPE=Release -DPS_TLS=off -DPS_WERROR=ON \
        -DPS_BUILD_TESTS=OFF -DPS_BUILD_EXAMPLES=OFF -DPS_BUILD_BENCH=OFF \
        >"$out.notls.log" 2>&1 &&
   cmake --build "$notls" -j 2 >>"$out.notls.log" 2>&1 &&
   cmake --install "$notls" --prefix "$notls/inst" >>"$out.notls.log" 2>&1; then
    bad=""
    [ -e "$notls/inst/share/man/man3/portsock_tls.3" ] && bad="$bad share/man/man3/portsock_tls.3 installed"
    [ -e "$notls/inst/include/portsock_tls.h" ] && bad="$bad include/portsock_tls.h installed"
    cmp -s man/portsock.3 "$notls/inst/share/man/man3/portsock.3" || bad="$bad share/man/man3/portsock.3 missing or different"
    if [ -z "$bad" ]; then
        result "install PS_TLS=off" ok "portsock.3 installed, portsock_tls.3 not"
    else
        result "install PS_TLS=off" FAILED "$bad"
    fi
else
    tail -n 20 "$out.notls.log"
    result "install PS_TLS=off" FAILED "configure, build or install failed (see $out.notls.log)"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
