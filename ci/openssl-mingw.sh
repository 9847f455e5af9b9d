#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# OpenSSL 3 for x86_64-w64-mingw32 (static, headers and libraries only),
# built once from Debian's own source package and cached outside the clone.
#
# Prints the install directory (OPENSSL_ROOT_DIR for the mingw64-openssl
# preset) as its only line on standard output; progress goes to stderr.
#
# Cache: ${PS_CACHE:-$HOME/.cache/portsock}/openssl-VERSION-mingw64, plus the
# link openssl-mingw64 to the newest one (the preset's default path). A
# complete cache holds .complete; it is built in a temporary directory beside
# it and renamed at the end, so an interrupted run never leaves half a cache.
# A rerun that finds one skips the download and the build (PS_OPENSSL_REFRESH=1
# looks for a newer Debian version first).
#
# Source and integrity: a private deb-src list for the same suites as the
# machine's deb entries, used with its own lists directory, so the machine's
# apt configuration and lists are never touched (nothing to remove after).
# apt verifies the Release files' signatures with the suites' Signed-By
# keyring, then the Sources index against them; `apt-get source
# --download-only` checks every file against the index's SHA256. When the
# .dsc is missing from the mirror (seen for the security suite), the upstream
# tarball alone is fetched from the URI and SHA256 that apt prints from the
# same verified index, and checked here with sha256sum.
set -euo pipefail

target=mingw64
prefix=x86_64-w64-mingw32-
cache_root=${PS_CACHE:-$HOME/.cache/portsock}
link="$cache_root/openssl-$target"
log() { echo "openssl-mingw: $*" >&2; }

mkdir -p "$cache_root"

complete() { [ -f "$1/.complete" ] && [ -f "$1/lib/libssl.a" ] && [ -f "$1/lib/libcrypto.a" ]; }

newest_cache() {
    local d best=""
    # (No match: the pattern itself, which is no complete cache.)
    while IFS= read -r d; do
        complete "$d" && best=$d
    done < <(printf '%s\n' "$cache_root"/openssl-3.*-"$target" | sort -V)
    echo "$best"
}

found=$(newest_cache)
if [ -n "$found" ] && [ -z "${PS_OPENSSL_REFRESH:-}" ]; then
    ln -sfn "$(basename "$found")" "$link"
    log "cached: $found"
    echo "$found"
    exit 0
fi

for cmd in "${prefix}gcc" "${prefix}ar" make perl apt-get sha256sum; do
    command -v "$cmd" >/dev/null || { log "missing $cmd"; exit 1; }
done

# A run killed outright (SIGKILL, power) leaves its work directory: one
# over two hours old is no live run's.
find "$cache_root" -maxdepth 1 -name '.work-*' -mmin +120 -exec rm -rf {} + 2>/dev/null || true
work=$(mktemp -d "$cache_root/.work-XXXXXX")
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM

# ---- the source ----
# deb-src stanzas for the suites of the machine's deb entries (deb822 files
# and one-line sources.list both read).
apt_dir="$work/apt"
mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$apt_dir/parts"
srcs="$apt_dir/parts/portsock-src.sources"
: >"$srcs"
for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    python3 - "$f" >>"$srcs" <<'PY'
import sys
text = open(sys.argv[1]).read()
for stanza in text.split("\n\n"):
    fields = {}
    for line in stanza.splitlines():
        if line.startswith("#") or ":" not in line or line[:1].isspace():
            continue
        k, v = line.split(":", 1)
        fields[k.strip()] = v.strip()
    if "deb" not in fields.get("Types", "").split() or fields.get("Enabled", "yes") == "no":
        continue
    if "debian" not in fields.get("URIs", ""):
        continue
    out = ["Types: deb-src"] + [f"{k}: {fields[k]}" for k in ("URIs", "Suites", "Components", "Signed-By") if k in fields]
    print("\n".join(out) + "\n")
PY
done
if [ -f /etc/apt/sources.list ]; then
    sed -n 's/^deb \(.*debian.*\)/deb-src \1/p' /etc/apt/sources.list >"$apt_dir/parts/portsock-src.list"
fi
[ -s "$srcs" ] || [ -s "$apt_dir/parts/portsock-src.list" ] || { log "no Debian deb entries to mirror"; exit 1; }

apt_opts=(-o "Dir::Etc::sourcelist=/dev/null" -o "Dir::Etc::sourceparts=$apt_dir/parts"
    -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache=$apt_dir/cache"
    -o "Dir::State::status=/var/lib/dpkg/status" -o "APT::Sandbox::User=root"
    -o "Debug::NoLocking=1" -q)
log "apt-get update (private deb-src lists)"
apt-get "${apt_opts[@]}" update >&2

src="$work/src"
mkdir -p "$src"
if (cd "$src" && apt-get "${apt_opts[@]}" source --download-only openssl >&2); then
    log "downloaded through apt-get source (every file checked against the signed index)"
else
    log "apt-get source failed; fetching the upstream tarball from the signed index's URI and SHA256"
    line=$(apt-get "${apt_opts[@]}" source --print-uris openssl | grep -E "'[^']*openssl_[^']*\.orig\.tar\.gz'" | head -1)
    [ -n "$line" ] || { log "no orig tarball in the index"; exit 1; }
    uri=$(echo "$line" | sed -E "s/^'([^']*)'.*/\1/")
    name=$(echo "$line" | awk '{print $2}')
    sum=$(echo "$line" | grep -oE 'SHA256:[0-9a-f]{64}' | cut -d: -f2)
    [ -n "$sum" ] || { log "the index gives no SHA256 for $name"; exit 1; }
    # apt may have fetched (and checked) it before the .dsc failed.
    if ! echo "$sum  $src/$name" | sha256sum -c --status - 2>/dev/null; then
        if command -v curl >/dev/null; then curl -fsSL -o "$src/$name" "$uri"; else wget -q -O "$src/$name" "$uri"; fi
    fi
    echo "$sum  $src/$name" | sha256sum -c - >&2
fi
orig=$(ls "$src"/openssl_*.orig.tar.gz | head -1)
version=$(basename "$orig" | sed -E 's/^openssl_(.*)\.orig\.tar\.gz$/\1/')
case "$version" in 3.*) ;; *) log "unexpected version $version"; exit 1 ;; esac
final="$cache_root/openssl-$version-$target"
if complete "$final"; then
    ln -sfn "$(basename "$final")" "$link"
    log "cached: $final"
    echo "$final"
    exit 0
fi

# ---- the build ----
log "building OpenSSL $version for $target"
tar -xzf "$orig" -C "$work"
srcdir=$(ls -d "$work"/openssl-"$version"* | head -1)
stage="$work/install"
start=$(date +%s)
(
    cd "$srcdir"
    # no-docs is not an option in 3.0: install_dev installs no manuals.
    perl Configure "$target" --cross-compile-prefix="$prefix" no-shared no-tests \
        --prefix="$final" --libdir=lib --openssldir="$final/ssl"
    make -j"${PS_JOBS:-2}" build_libs
    make DESTDIR="$stage" install_dev
) >"$work/build.log" 2>&1 || { tail -30 "$work/build.log" >&2; log "build failed"; exit 1; }
log "built in $(($(date +%s) - start)) s"

# install_dev installs under DESTDIR+prefix: move that tree to its final
# name in one rename (same file system: the work directory is in the cache).
tree="$stage$final"
[ -f "$tree/lib/libssl.a" ] || { log "install_dev left no libssl.a"; exit 1; }
echo "openssl $version $target from $(basename "$orig")" >"$tree/.complete"
mv -T "$tree" "$final" 2>/dev/null || { complete "$final" || { log "cannot rename to $final"; exit 1; }; }
ln -sfn "$(basename "$final")" "$link"
log "installed: $final ($(du -sh "$final" | cut -f1))"
echo "$final"
