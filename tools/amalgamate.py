#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Generates the single-file build: portsock.c (every source of src/, both
platforms, the platform and the POSIX poller backend chosen by the
preprocessor) and a copy of include/portsock.h beside it.

Usage: tools/amalgamate.py OUTDIR

The sources are read as they are at generation time (src/*.c, src/posix/*.c,
src/win32/*.c, without portsock_tls's tls_*.c), so a new file is picked up without touching this script. What
makes the separate files one translation unit:

- Private headers (src/*.h, src/posix/*.h, src/win32/*.h) are inlined once,
  at the start of the section (common, POSIX, Windows) whose files include
  them; the files' own #include "..." of them are dropped. portsock.h stays
  an #include, so it is found beside portsock.c or on the include path.
- What CMake passes with -D (PS_BUILDING, the POSIX feature macros,
  _WIN32_WINNT) is defined at the top, and so is whatever a source sets
  before its first #include (e.g. _DARWIN_UNLIMITED_SELECT): in one
  translation unit those must precede every system header.
- A file-scope name (static function or variable, struct/union/enum tag,
  typedef, enum constant) defined by two files that meet in one build is
  renamed in each of those files to ps__<dir>_<file>_<name>. The rename is
  done on the file's tokens, not with a macro, so headers, comments,
  strings and member accesses (.name, ->name) are untouched.
- Macros a source file #defines are #undef'd after it, so they stay
  file-local (except a fallback definition under #ifndef of the same name,
  which stands in for a system header's and may be needed later).

The result is checked by ci/consumers.sh: built with gcc, clang and MinGW
(-Wall -Wextra -Wpedantic -Werror -std=c11) and run.
"""
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SRC = os.path.join(ROOT, "src")

# What CMakeLists.txt gives the library with target_compile_definitions;
# check_cmake_definitions() fails if it names anything not listed here.
COMMON_DEFS = [("PS_BUILDING", "1")]
POSIX_DEFS = [("_DEFAULT_SOURCE", "1"), ("_GNU_SOURCE", "1"), ("_DARWIN_C_SOURCE", "1")]
WIN32_DEFS = [("WIN32_LEAN_AND_MEAN", "1")]
WIN32_WINNT = "0x0601"

# The POSIX poller backends and when each is compiled: as CMakeLists.txt's
# "auto" (epoll on Linux, kqueue on macOS and the BSDs with EVFILT_USER,
# poll() elsewhere); PS_AMALG_USE_POLL picks poll() everywhere.
KQUEUE_SYSTEMS = "defined(__APPLE__) || defined(__FreeBSD__) || defined(__NetBSD__) || defined(__DragonFly__)"
POLLER_COND = {
    "epoll": "defined(__linux__) && !defined(PS_AMALG_USE_POLL)",
    "kqueue": "!defined(__linux__) && (%s) && !defined(PS_AMALG_USE_POLL)" % KQUEUE_SYSTEMS,
    "poll": "defined(PS_AMALG_USE_POLL) || (!defined(__linux__) && !(%s))" % KQUEUE_SYSTEMS,
}


def fail(msg):
    sys.exit("amalgamate.py: " + msg)


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def rel(path):
    return os.path.relpath(path, ROOT).replace(os.sep, "/")


def check_cmake_definitions():
    text = read(os.path.join(ROOT, "CMakeLists.txt"))
    known = {n for n, _ in COMMON_DEFS + POSIX_DEFS + WIN32_DEFS} | {"_WIN32_WINNT"}
    for m in re.finditer(r"target_compile_definitions\(\s*portsock\s+PRIVATE([^)]*)\)", text):
        for d in m.group(1).split():
            name = d.split("=")[0]
            if name not in known:
                fail("CMakeLists.txt defines %s for the library; add it to this script" % d)


# ---- tokens -----------------------------------------------------------------
TOKEN = re.compile(r"""
    (?P<comment>/\*.*?\*/|//[^\n]*)
  | (?P<string>"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*')
  | (?P<ident>[A-Za-z_]\w*)
  | (?P<other>->|.)
""", re.S | re.X)


def tokens(text):
    return [(m.lastgroup, m.group()) for m in TOKEN.finditer(text)]


def strip_comments(text):
    return "".join(t if k != "comment" else ("\n" * t.count("\n") or " ")
                   for k, t in tokens(text))


def rename(text, names):
    """Renames identifier tokens in names (a dict old -> new), except after
    . and -> (members)."""
    out = []
    prev = None  # last significant token
    for kind, tok in tokens(text):
        if kind == "ident" and tok in names and prev not in (".", "->"):
            tok = names[tok]
        out.append(tok)
        if kind != "comment" and not tok.isspace():
            prev = tok
    return "".join(out)


def file_scope_names(text):
    """File-scope names a .c file defines that could meet another file's:
    statics, tags, typedefs and enum constants (a heuristic on this
    project's layout: declarations start in column 0)."""
    code = strip_comments(text)
    names = set()
    depth = 0
    in_enum = False
    for line in code.split("\n"):
        if line.startswith("#"):
            continue
        if depth == 0:
            m = re.match(r"static\b.*?\b([A-Za-z_]\w*)\s*(\(|\[|=|;)", line)
            if m:
                names.add(m.group(1))
            m = re.match(r"(?:typedef\s+)?(?:struct|union|enum)\s+([A-Za-z_]\w*)\s*(\{|$)", line)
            if m:
                names.add(m.group(1))
            m = re.match(r"\}\s*([A-Za-z_]\w*)\s*;", line)
            if m:
                names.add(m.group(1))
            m = re.match(r"typedef\b.*?\b([A-Za-z_]\w*)\s*;", line)
            if m:
                names.add(m.group(1))
            if re.match(r"(?:typedef\s+)?enum\b", line):
                in_enum = True
        if in_enum:
            body = line.split("{", 1)[1] if "{" in line else line
            body = body.split("}", 1)[0]
            for part in body.split(","):
                m = re.match(r"\s*([A-Za-z_]\w*)\s*(=|$)", part)
                if m:
                    names.add(m.group(1))
            if "}" in line:
                in_enum = False
        depth += line.count("{") - line.count("}")
    return names


# ---- includes -----------------------------------------------------------------
INCLUDE_Q = re.compile(r'^\s*#\s*include\s+"([^"]+)"')
INCLUDE_ANY = re.compile(r"^\s*#\s*include\b")


def resolve(name, from_dir):
    for d in (from_dir, SRC):
        p = os.path.normpath(os.path.join(d, name))
        if os.path.isfile(p) and p.startswith(SRC + os.sep):
            return p
    return None  # portsock.h or a header that is not ours


def header_order(files):
    """The private headers the files include, each after its own includes."""
    order = []

    def visit(path):
        for line in read(path).split("\n"):
            m = INCLUDE_Q.match(line)
            if m:
                h = resolve(m.group(1), os.path.dirname(path))
                if h and h not in order:
                    visit(h)
                    if h not in order:
                        order.append(h)

    for f in files:
        visit(f)
    return order


def drop_private_includes(path, text):
    out = []
    for line in text.split("\n"):
        m = INCLUDE_Q.match(line)
        if m and resolve(m.group(1), os.path.dirname(path)):
            out.append("/* %s */" % line.strip())
        else:
            out.append(line)
    return "\n".join(out)


def split_preamble(text):
    """(directives before the first #include, the text without them)."""
    lines = text.split("\n")
    first = next((i for i, l in enumerate(lines) if INCLUDE_ANY.match(l)), 0)
    code = strip_comments("\n".join(lines[:first])).split("\n")
    hoisted = [l.rstrip() for l in code if l.strip().startswith("#")]
    kept = [l for i, l in enumerate(lines) if i >= first or not code[i].strip().startswith("#")]
    opened = sum(1 for l in hoisted if re.match(r"#\s*if", l))
    closed = sum(1 for l in hoisted if re.match(r"#\s*endif", l))
    if opened != closed:
        return None, text  # the first #include is conditional: the caller fails
    return hoisted, "\n".join(kept)


def local_macros(text):
    """Macros a .c file defines, without fallbacks under #ifndef NAME."""
    names = []
    prev = ""
    for line in strip_comments(text).split("\n"):
        s = line.strip()
        m = re.match(r"#\s*define\s+([A-Za-z_]\w*)", s)
        if m:
            guard = re.match(r"#\s*ifndef\s+([A-Za-z_]\w*)", prev)
            if not (guard and guard.group(1) == m.group(1)) and m.group(1) not in names:
                names.append(m.group(1))
        if s:
            prev = s
    return names


# ---- assembly -------------------------------------------------------------------
def main():
    if len(sys.argv) != 2:
        fail("usage: amalgamate.py OUTDIR")
    outdir = sys.argv[1]
    check_cmake_definitions()

    def glob(d):
        # tls_*.c: platform code of portsock_tls, not the core's (as in
        # CMakeLists.txt); the single file carries only the core.
        p = os.path.join(SRC, d) if d else SRC
        return sorted(os.path.join(p, f) for f in os.listdir(p)
                      if f.endswith(".c") and not re.match(r"tls_[a-z_]+\.c$", f))

    common, posix, win32 = glob(""), glob("posix"), glob("win32")
    # file -> the condition it is compiled under, inside its section
    cond = {}
    for f in posix:
        m = re.match(r"poller_([a-z]+)\.c$", os.path.basename(f))
        if m:
            if m.group(1) not in POLLER_COND:
                fail("%s: unknown poller backend; say in POLLER_COND when it is built" % rel(f))
            cond[f] = POLLER_COND[m.group(1)]

    # Builds that put files in one translation unit.
    builds = [common + win32]
    for backend in POLLER_COND:
        builds.append(common + [f for f in posix
                                if f not in cond or f.endswith("poller_%s.c" % backend)])
    defined = {f: file_scope_names(read(f)) for f in common + posix + win32}
    renames = {}
    for files in builds:
        seen = {}
        for f in files:
            for n in defined[f]:
                seen.setdefault(n, []).append(f)
        for n, where in seen.items():
            if len(where) > 1:
                for f in where:
                    stem = re.sub(r"\W", "_", rel(f)[len("src/"):-2])
                    renames.setdefault(f, {})[n] = "ps__%s_%s" % (stem, n)

    version = re.search(r"project\(portsock VERSION ([0-9.]+)", read(os.path.join(ROOT, "CMakeLists.txt")))
    spdx = re.search(r"SPDX-License-Identifier:\s*([^\s*]+)", read(os.path.join(ROOT, "include", "portsock.h")))
    out = []
    w = out.append
    w("/* portsock %s, single-file build: every source of the library in one file." %
      (version.group(1) if version else "?"))
    if spdx:
        w(" * SPDX-License-Identifier: %s" % spdx.group(1))
    w(" *")
    w(" * Generated by tools/amalgamate.py from src/; do not edit, change src/ and")
    w(" * generate it again. Build it with portsock.h beside it (or on the include")
    w(" * path), as C11, into your program or library:")
    w(" *   POSIX:   cc -c portsock.c, link with -pthread")
    w(" *   Windows: link ws2_32 and iphlpapi (MSVC: done by #pragma comment below)")
    w(" * The platform and, on POSIX, the ps_poller backend (epoll on Linux, kqueue")
    w(" * on macOS and FreeBSD/NetBSD/DragonFly, poll() elsewhere or when")
    w(" * PS_AMALG_USE_POLL is defined) are chosen below by the preprocessor. */")
    w("")

    def defs(pairs):
        for n, v in pairs:
            w("#ifndef %s\n#define %s %s\n#endif" % (n, n, v))

    defs(COMMON_DEFS)
    w("#if defined(_WIN32)")
    defs(WIN32_DEFS)
    w("#if !defined(_WIN32_WINNT) || _WIN32_WINNT < %s" % WIN32_WINNT)
    w("#undef _WIN32_WINNT\n#define _WIN32_WINNT %s\n#endif" % WIN32_WINNT)
    w("#if defined(_MSC_VER)")
    w('#pragma comment(lib, "ws2_32.lib")')
    w('#pragma comment(lib, "iphlpapi.lib")')
    w("#endif")
    w("#else")
    defs(POSIX_DEFS)
    w("#endif")

    # Set by a source before its first #include: before every system header.
    bodies = {}
    pre = {"common": [], "posix": [], "win32": []}
    for section, files in (("common", common), ("posix", posix), ("win32", win32)):
        for f in files:
            hoisted, body = split_preamble(read(f))
            if hoisted is None:
                fail("%s: its first #include is inside a conditional; "
                     "put the conditional after an unconditional #include" % rel(f))
            bodies[f] = body
            if hoisted:
                block = "\n".join(hoisted)
                if f in cond:
                    block = "#if %s\n%s\n#endif" % (cond[f], block)
                block = "/* from %s */\n%s" % (rel(f), block)
                pre[section].append(block)
    if pre["common"]:
        w("\n".join(pre["common"]))
    if pre["posix"] or pre["win32"]:
        w("#if defined(_WIN32)")
        w("\n".join(pre["win32"]))
        w("#else")
        w("\n".join(pre["posix"]))
        w("#endif")
    w("")

    def emit_section(files):
        for h in header_order(files):
            if h in emitted_headers:
                continue
            emitted_headers.add(h)
            w("/* ==== %s ==== */" % rel(h))
            w(drop_private_includes(h, read(h)).rstrip("\n"))
            w("")
        for f in files:
            body = rename(bodies[f], renames.get(f, {}))
            body = drop_private_includes(f, body).rstrip("\n")
            w("/* ==== %s ==== */" % rel(f))
            if f in cond:
                w("#if %s" % cond[f])
            w(body)
            for m in local_macros(body):
                w("#undef %s" % m)
            if f in cond:
                w("#endif /* %s */" % rel(f))
            w("")

    emitted_headers = set()
    emit_section(common)
    w("#if defined(_WIN32)")
    w("")
    emit_section(win32)
    w("#else /* POSIX */")
    w("")
    emit_section(posix)
    w("#endif /* _WIN32 */")

    os.makedirs(outdir, exist_ok=True)
    with open(os.path.join(outdir, "portsock.c"), "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(out) + "\n")
    with open(os.path.join(outdir, "portsock.h"), "w", encoding="utf-8", newline="\n") as f:
        f.write(read(os.path.join(ROOT, "include", "portsock.h")))
    for f, names in sorted(renames.items()):
        sys.stderr.write("amalgamate.py: %s: renamed %s\n" % (rel(f), ", ".join(sorted(names))))


if __name__ == "__main__":
    main()
