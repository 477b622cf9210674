#!/usr/bin/env python3
"""Generate tests/unit/linetable_vectors.h: real line tables and the line of
every instruction offset, as each real interpreter on this machine sees them.

    python3 tests/unit/gen_linetable_vectors.py            # write the header
    python3 tests/unit/gen_linetable_vectors.py --check    # exit 1 if stale

Each interpreter runs this same file with --dump: it compiles one source
text (built below, with the line structures that stress each table format),
walks every code object in it, and prints the raw table, co_firstlineno, the
code length and the expected line per instruction. The expectation comes from
that interpreter's own API, never from our decoder:

    3.8, 3.9   dis.findlinestarts (a line start holds until the next one)
    3.10       code.co_lines() ranges
    3.11+      code.co_positions() per code unit, cross-checked against
               code.co_lines(); a disagreement aborts the generation

"No line" (None) and line 0 (3.11+ give the module prologue line 0) are both
written as 0, which is what linetable_line returns for them.

Interpreters: pyenv builds in /root/.pyenv/versions/3.N.*, plus Debian ones
unpacked under build/py/<suite>/ (run through their own ld-linux) when that
directory exists. The versions used are printed and recorded in the header.
This file must stay valid Python 3.8.
"""
import glob
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
OUT = os.path.join(HERE, "linetable_vectors.h")
PYENV = "/root/.pyenv/versions"
MINORS = range(8, 16)


# ---------------------------------------------------------------- source --

def blank(n):
    return "\n" * n


def comment_block(n):
    return "".join("    # filler %d\n" % i for i in range(n))


def build_source(minor):
    """One module whose code objects cover the awkward cases: line jumps of
    more than 127 and 255 lines both ways, ranges longer than 255 bytes,
    loops, comprehensions, exception handling, multi-line expressions, lines
    without code, a high co_firstlineno, and columns past 127."""
    s = []
    s.append('"""module docstring"""\n')
    s.append("import os\n")
    # decorator arguments spread over 300 lines, then the def far below.
    s.append("def deco(*a):\n    return lambda f: f\n")
    s.append("@deco(\n    1,\n" + blank(300) + "    2)\n")
    s.append("def decorated(x):\n    return x\n")

    s.append("""
def loops(n):
    total = 0
    for i in range(n):
        if i % 3 == 0:
            continue
        elif i > 50:
            break
        j = 0
        while j < i:
            j += 1
            if j == 7:
                break
        else:
            total += j
        total += i
    else:
        total = -total
    return total
""")

    s.append("""
def comps(xs):
    a = [x * 2 for x in xs if x]
    b = {x: [y for y in range(x)]
         for x in xs
         if x % 2}
    c = sum(x for x in xs)
    d = {
        x
        for x in xs
    }
    f = lambda q: (q +
                   1)
    return a, b, c, d, f(3)
""")

    s.append("""
def tries(x):
    try:
        y = 1 / x
    except ZeroDivisionError as e:
        y = 0
        del e
    except (TypeError,
            ValueError):
        raise
    else:
        y += 1
    finally:
        x = None
    with open(os.devnull) as fh:
        fh.read()
    try:
        pass
    finally:
        y -= 1
    return y
""")

    s.append("""
def multiline(a, b):
    r = max(
        a,
        b,
    )
    s = (a
         +
         b
         *
         r)
    t = "x".join(
        str(v) for v in (a, b)
    ).upper(
    ).lower()
    if (a and
            b or
            not r):
        return [
            r,
            s,
            t,
        ]
    return None
""")

    # Statements hundreds of lines apart: forward jumps > 127 and > 255 in
    # one step, and a loop back-edge that jumps back over them.
    s.append("\ndef gaps(n):\n    i = 0\n")
    s.append("    while i < n:\n        i += 1\n" + blank(140) + "        i += 2\n")
    s.append(comment_block(300))
    s.append("        i -= 1\n")
    s.append("    # lines without code follow\n" + blank(20))
    s.append("    return i\n")

    # A call whose arguments span 600 lines: after the last argument the
    # call itself goes back to its first line (3.11+ at least).
    s.append("\ndef backjump(a):\n    total = 0\n")
    s.append("    for k in range(a):\n        total += k\n")
    s.append(blank(400) + "        total -= 1\n")
    s.append("    return max(\n        total,\n" + blank(600) + "        a)\n")

    # One line producing far more than 255 bytes of code, and columns past
    # 127 (forces the long location form on 3.11+).
    terms = " + ".join("x" for _ in range(300))
    s.append("\ndef huge(x):\n    y = " + terms + "\n")
    s.append("    z = [" + ", ".join(str(i) for i in range(200)) + "]\n")
    s.append("    w = " + " " * 150 + "x * 2  # far right column\n")
    s.append("    return y, z, w\n")

    # A long function: one statement on each of 300 lines.
    s.append("\ndef long_body(v):\n")
    for i in range(300):
        s.append("    v = v + %d\n" % i)
    s.append("    return v\n")

    s.append("""
class Klass:
    attr = 1

    def method(self, k):
        return [k * n
                for n in range(self.attr)]

    @property
    def prop(self):
        return self.attr


def gen(n):
    for i in range(n):
        yield i
    yield from range(n)


async def agen(xs):
    async for x in xs:
        await x
""")

    if minor >= 10:
        s.append("""
def matcher(cmd):
    match cmd:
        case [x, y]:
            return x
        case {"k": v}:
            return v
        case _:
            return None
""")
    if minor >= 11:
        s.append("""
def groups():
    try:
        raise ExceptionGroup("g", [ValueError(1)])
    except* ValueError:
        r = 1
    return r
""")
    if minor >= 12:
        s.append("""
def generic[T](x: T) -> T:
    return x
""")

    # A function whose co_firstlineno is large (lines > 2000) and that lives
    # more than 255 lines after the previous one.
    s.append(blank(1200))
    s.append("def far_away(q):\n    q += 1\n" + blank(200) + "    return q\n")
    return "".join(s)


# ------------------------------------------------------------------ dump --

def code_objects(code):
    yield code
    for c in code.co_consts:
        if hasattr(c, "co_code"):
            for sub in code_objects(c):
                yield sub


def expected_lines(code):
    """Line of each instruction (offset 2*i), 0 for no line."""
    import dis
    n = len(code.co_code) // 2
    minor = sys.version_info[1]
    if minor <= 9:
        starts = dict(dis.findlinestarts(code))
        if 0 not in starts:
            raise SystemExit("%s: no line start at offset 0" % code.co_name)
        lines, cur = [], None
        for i in range(n):
            cur = starts.get(2 * i, cur)
            lines.append(cur)
        return lines

    by_lines = [None] * n
    covered = [False] * n
    for start, end, line in code.co_lines():
        if start % 2 or end % 2:
            raise SystemExit("%s: odd co_lines range %r" % (code.co_name, (start, end)))
        for i in range(start // 2, end // 2):
            by_lines[i] = 0 if line is None else line
            covered[i] = True
    if not all(covered):
        raise SystemExit("%s: co_lines leaves instructions uncovered" % code.co_name)
    if minor == 10:
        return by_lines

    positions = list(code.co_positions())
    if len(positions) != n:
        raise SystemExit("%s: %d positions for %d code units" % (code.co_name, len(positions), n))
    by_pos = [0 if p[0] is None else p[0] for p in positions]
    if by_pos != by_lines:
        raise SystemExit("%s: co_positions and co_lines disagree" % code.co_name)
    return by_pos


def dump():
    minor = sys.version_info[1]
    top = compile(build_source(minor), "<linetable-vectors>", "exec")
    cases = []
    for code in code_objects(top):
        if minor <= 9:
            table = code.co_lnotab
        else:
            table = code.co_linetable
        name = getattr(code, "co_qualname", code.co_name)
        lines = expected_lines(code)
        if any(ln is not None and ln < 0 for ln in lines):
            raise SystemExit("%s: negative line" % name)
        cases.append({
            "name": "%s@%d" % (name, code.co_firstlineno),
            "first_line": code.co_firstlineno,
            "table": list(table),
            "code_len": len(code.co_code),
            "lines": lines,
        })
    json.dump({"version": "%d.%d.%d" % sys.version_info[:3], "minor": minor,
               "cases": cases}, sys.stdout)


# ---------------------------------------------------------- interpreters --

def pyenv_interpreters():
    found = []
    for minor in MINORS:
        for d in sorted(glob.glob(os.path.join(PYENV, "3.%d.*" % minor))):
            exe = os.path.join(d, "bin", "python3")
            if os.access(exe, os.X_OK):
                found.append(("pyenv " + os.path.basename(d), [exe], None))
    return found


def debian_interpreters():
    """build/py/<suite>/usr/bin/python3.N, run through the suite's own
    dynamic loader so its libc and libpython are the ones used."""
    found = []
    for root in sorted(glob.glob(os.path.join(REPO, "build", "py", "*"))):
        loader = None
        for cand in ("lib64/ld-linux-x86-64.so.2", "lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
                     "usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", "usr/lib64/ld-linux-x86-64.so.2"):
            if os.path.exists(os.path.join(root, cand)):
                loader = os.path.join(root, cand)
                break
        if not loader:
            continue
        libpath = ":".join(os.path.join(root, p) for p in
                           ("lib/x86_64-linux-gnu", "usr/lib/x86_64-linux-gnu", "lib", "usr/lib"))
        for minor in MINORS:
            exe = os.path.join(root, "usr", "bin", "python3.%d" % minor)
            if os.path.exists(exe):
                env = {"PYTHONHOME": os.path.join(root, "usr"), "PATH": "/usr/bin:/bin"}
                found.append(("debian %s" % os.path.basename(root),
                              [loader, "--library-path", libpath, exe], env))
    return found


def run_one(label, argv, env):
    full_env = None
    if env is not None:
        full_env = dict(env)
    try:
        out = subprocess.run(argv + ["-s", os.path.abspath(__file__), "--dump"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             env=full_env, check=False, timeout=300)
    except (OSError, subprocess.TimeoutExpired) as e:
        print("  %s: cannot run (%s), skipped" % (label, e))
        return None
    if out.returncode != 0:
        # An interpreter that is here but cannot dump is a generator bug,
        # not a version to leave out quietly.
        raise SystemExit("%s: --dump failed:\n%s" % (label, out.stderr.decode(errors="replace")))
    return json.loads(out.stdout.decode())


# ---------------------------------------------------------------- header --

def c_bytes(values):
    rows = []
    for i in range(0, len(values), 16):
        rows.append("    " + ", ".join("0x%02x" % v for v in values[i:i + 16]) + ",")
    return "\n".join(rows) if rows else "    0 /* empty table */"


def c_ints(values):
    rows = []
    for i in range(0, len(values), 16):
        rows.append("    " + ", ".join(str(v) for v in values[i:i + 16]) + ",")
    return "\n".join(rows)


def render(dumps):
    o = []
    o.append("/* linetable_vectors.h -- GENERATED by tests/unit/gen_linetable_vectors.py;")
    o.append(" * do not edit. Real line tables and the line of every instruction, as")
    o.append(" * reported by each interpreter's own dis / co_lines / co_positions.")
    o.append(" * Interpreters: %s */" % ", ".join("%s (%s)" % (d["version"], d["label"]) for d in dumps))
    o.append("#ifndef CSPROF_LINETABLE_VECTORS_H")
    o.append("#define CSPROF_LINETABLE_VECTORS_H")
    o.append("#include <stddef.h>")
    o.append("#include <stdint.h>")
    o.append("")
    o.append("/* lines[i] is the line at byte offset 2*i (0 = no line); code_len is")
    o.append(" * len(co_code) in bytes, so n_lines == code_len / 2. */")
    o.append("struct lt_vector {")
    o.append("    const char *name;")
    o.append("    int first_line;")
    o.append("    const uint8_t *table;")
    o.append("    size_t table_len;")
    o.append("    int code_len;")
    o.append("    const int *lines;")
    o.append("    size_t n_lines;")
    o.append("};")
    o.append("")
    o.append("struct lt_version {")
    o.append("    int minor;")
    o.append("    const char *version;")
    o.append("    const char *source; /* which interpreter produced it */")
    o.append("    const struct lt_vector *vectors;")
    o.append("    size_t n_vectors;")
    o.append("};")
    o.append("")
    for d in dumps:
        tag = d["label_id"]
        for k, case in enumerate(d["cases"]):
            o.append("static const uint8_t lt_%s_t%d[] = {\n%s\n};" % (tag, k, c_bytes(case["table"])))
            o.append("static const int lt_%s_l%d[] = {\n%s\n};" % (tag, k, c_ints(case["lines"])))
        o.append("static const struct lt_vector lt_%s[] = {" % tag)
        for k, case in enumerate(d["cases"]):
            o.append('    {"%s", %d, lt_%s_t%d, %d, %d, lt_%s_l%d, %d},' % (
                case["name"], case["first_line"], tag, k, len(case["table"]),
                case["code_len"], tag, k, len(case["lines"])))
        o.append("};")
        o.append("")
    o.append("static const struct lt_version lt_versions[] = {")
    for d in dumps:
        tag = d["label_id"]
        o.append('    {%d, "%s", "%s", lt_%s, sizeof lt_%s / sizeof lt_%s[0]},' % (
            d["minor"], d["version"], d["label"], tag, tag, tag))
    o.append("};")
    o.append("#define LT_N_VERSIONS (sizeof lt_versions / sizeof lt_versions[0])")
    o.append("")
    o.append("#endif")
    return "\n".join(o) + "\n"


def summarize(d):
    """Print what the tables exercise, so a source edit that loses a case
    shows up here."""
    worst_back = worst_fwd = longest = 0
    for case in d["cases"]:
        prev = None
        run = 0
        for ln in case["lines"]:
            if ln and prev:
                worst_back = min(worst_back, ln - prev)
                worst_fwd = max(worst_fwd, ln - prev)
            run = run + 2 if (ln == prev) else 2
            longest = max(longest, run)
            if ln:
                prev = ln
    n = sum(len(c["lines"]) for c in d["cases"])
    print("  %-8s %-18s %3d code objects, %5d offsets; largest line step %+d / %+d, "
          "longest same-line run %d bytes"
          % (d["version"], d["label"], len(d["cases"]), n, worst_fwd, worst_back, longest))


def main():
    if "--dump" in sys.argv:
        dump()
        return 0
    interps = pyenv_interpreters() + debian_interpreters()
    if not os.path.isdir(os.path.join(REPO, "build", "py")):
        print("no build/py/: Debian interpreters skipped")
    dumps = []
    print("interpreters:")
    for label, argv, env in interps:
        d = run_one(label, argv, env)
        if d is None:
            continue
        d["label"] = label
        d["label_id"] = "".join(ch if ch.isalnum() else "_" for ch in label)
        summarize(d)
        dumps.append(d)
    if not dumps:
        print("no interpreter produced vectors")
        return 1
    have = sorted(set(d["minor"] for d in dumps))
    missing = [m for m in MINORS if m not in have]
    print("versions used: %s" % ", ".join(d["version"] for d in dumps))
    if missing:
        print("no interpreter for: %s" % ", ".join("3.%d" % m for m in missing))
    text = render(dumps)
    if "--check" in sys.argv:
        with open(OUT) as fh:
            same = fh.read() == text
        print("%s is %s" % (os.path.relpath(OUT, REPO), "up to date" if same else "STALE"))
        return 0 if same else 1
    with open(OUT, "w") as fh:
        fh.write(text)
    print("wrote %s (%d bytes)" % (os.path.relpath(OUT, REPO), len(text)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
