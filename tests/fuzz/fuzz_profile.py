#!/usr/bin/env python3
"""Mutation fuzzer for the profile JSON reader and everything that renders
what it read (issue #9 item 6).

    python3 tests/fuzz/fuzz_profile.py [--iterations N] [--seed S] [--jobs J]

Seeds are real profiles: small workloads recorded here with build/csprof,
plus tests/fuzz/cases/*.json (every input that ever crashed). Each mutant
(a JSON-level change of one value, key or list, or a byte-level change of
the text; a fixed seed makes the run repeatable) is given to the ASan/UBSan
build, build/csprof-asan, as `report` (every format) and as both sides of
`diff` (every format). Allowed outcomes: exit 0, or exit 66 with one line
on stderr. A sanitizer report, a signal, another status, or a run over the
time limit is a crash: the input is saved under tests/fuzz/found/ with the
reason, and the run fails. Copy a found input to tests/fuzz/cases/ (the
test in tests/test_fuzz.py replays every case there) once it is fixed.
"""
import argparse
import concurrent.futures
import copy
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
ASAN = os.path.abspath(os.environ.get("CSPROF_ASAN_BIN", os.path.join(ROOT, "build", "csprof-asan")))
RELEASE = os.path.join(ROOT, "build", "csprof")
CASES = os.path.join(HERE, "cases")
FOUND = os.path.join(HERE, "found")
WORKLOADS = os.path.join(ROOT, "tests", "workloads")
TIMEOUT = 60
ENV = dict(os.environ, ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:exitcode=99",
           UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:exitcode=98")

INTS = [0, 1, -1, 2, 255, 256, 65535, 2**31 - 1, 2**31, -2**31, 2**32, 2**48, 2**53 + 1,
        2**62, 2**63 - 1, -2**63, 4194304, 4194305]
REALS = [0.0, -0.0, 1e-320, 1e-300, 1e-7, 0.5, 1e7, 1e8 + 1, 1e300, -1e300, 1.7976931348623157e308,
         -1.0, 3600.5]
STRINGS = ["", "x" * 5000, "`" * 12 + "<img src=x>|[a](https://e.example)", "\u0000", "\n\r\t",
           "é" * 300, "名" * 300, "\ud7ff\ue000\uffff", "../../etc/passwd", "%s%n%x",
           "2262-04-12T00:00:00Z", "9999-12-31T23:59:59Z", "1969-12-31T23:59:59Z",
           "2026-02-31T25:61:61Z", "2026-11-24T20:02:22Z", "python", "native", "process", "thread"]


def seeds(tmp):
    """Real profiles: a few workloads recorded with the release build."""
    docs = []
    runs = [("recursion", [sys.executable, os.path.join(WORKLOADS, "recursion.py")]),
            ("threads", [sys.executable, os.path.join(WORKLOADS, "threads.py")])]
    for name, cmd in runs:
        r = subprocess.run([RELEASE, "record", "-q", "-o", tmp, "-n", name, "-f", "json",
                            "--subprocesses", "-d", "1.5", "--"] + cmd,
                           capture_output=True, text=True, timeout=120)
        path = os.path.join(tmp, name + ".json")
        if r.returncode != 0 or not os.path.exists(path):
            raise SystemExit(f"fuzz: could not record the seed {name}: {r.stderr.strip()}")
        with open(path, encoding="utf-8") as f:
            docs.append(f.read())
    for case in sorted(os.listdir(CASES)) if os.path.isdir(CASES) else []:
        with open(os.path.join(CASES, case), encoding="utf-8", errors="surrogateescape") as f:
            docs.append(f.read())
    return docs


def paths(node, prefix=()):
    """Every (path, value) in a JSON document."""
    yield prefix, node
    if isinstance(node, dict):
        for k, v in node.items():
            yield from paths(v, prefix + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node[:50]):   # long lists: their head is enough
            yield from paths(v, prefix + (i,))


def replace(doc, path, value):
    if not path:
        return value
    obj = doc
    for k in path[:-1]:
        obj = obj[k]
    obj[path[-1]] = value
    return doc


def new_value(rnd, old):
    kind = rnd.random()
    if isinstance(old, bool) or kind < 0.1:
        return rnd.choice([True, False, None, "true", 0, [], {}])
    if isinstance(old, int) or kind < 0.35:
        return rnd.choice(INTS) + rnd.choice([0, 0, 1, -1])
    if isinstance(old, float) or kind < 0.5:
        return rnd.choice(REALS)
    if isinstance(old, str) or kind < 0.7:
        return rnd.choice(STRINGS)
    return rnd.choice([[], {}, [[[]]], [0] * 70000, {"a": 1}, None])


def mutate_json(rnd, text):
    doc = json.loads(text)
    for _ in range(rnd.choice([1, 1, 1, 2, 3])):
        all_paths = list(paths(doc))
        path, old = rnd.choice(all_paths)
        op = rnd.random()
        parent = doc
        for k in path[:-1]:
            parent = parent[k]
        if op < 0.6 or not path:
            doc = replace(doc, path, new_value(rnd, old))
        elif op < 0.75 and isinstance(parent, dict):
            del parent[path[-1]]
        elif op < 0.85 and isinstance(parent, list):
            parent.insert(path[-1], copy.deepcopy(old))
        elif op < 0.95 and isinstance(parent, list):
            parent[path[-1]] = copy.deepcopy(rnd.choice(parent))
        else:
            doc = replace(doc, path, copy.deepcopy(rnd.choice(all_paths)[1]))
    return json.dumps(doc, ensure_ascii=rnd.random() < 0.5)


def mutate_bytes(rnd, text):
    data = bytearray(text.encode("utf-8", "surrogateescape"))
    for _ in range(rnd.randint(1, 8)):
        if not data:
            break
        i = rnd.randrange(len(data))
        op = rnd.random()
        if op < 0.4:
            data[i] = rnd.randrange(256)
        elif op < 0.6:
            del data[i:i + rnd.randint(1, 16)]
        elif op < 0.8:
            data[i:i] = rnd.choice([b"9" * 25, b"-", b"e999", b"\xff", b"\xc3", b",", b"]", b"}",
                                    b"null", b"\\u0000", b"\\ud800"])
        else:
            del data[i:]
    return bytes(data)


def mutant(rnd, seed_docs):
    text = rnd.choice(seed_docs)
    try:
        if rnd.random() < 0.85:
            return mutate_json(rnd, text).encode("utf-8", "surrogatepass")
    except (ValueError, RecursionError):
        pass
    return mutate_bytes(rnd, text)


def check(cmd, cwd):
    """None when the run ended as allowed, else the reason."""
    try:
        r = subprocess.run(cmd, cwd=cwd, capture_output=True, timeout=TIMEOUT, env=ENV)
    except subprocess.TimeoutExpired:
        return f"no result within {TIMEOUT} s"
    err = r.stderr.decode("utf-8", "replace")
    if "Sanitizer" in err or "runtime error:" in err:
        return "sanitizer: " + err[-3000:]
    if r.returncode < 0:
        return f"killed by signal {-r.returncode}: {err[-2000:]}"
    if r.returncode == 66:
        if err.count("\n") != 1:
            return f"exit 66 without exactly one line: {err[-2000:]}"
        return None
    if r.returncode != 0:
        return f"exit {r.returncode}: {err[-2000:]}"
    return None


def run_one(args):
    i, data, good = args
    with tempfile.TemporaryDirectory(prefix="csprof-fuzz-") as d:
        path = os.path.join(d, "m.json")
        with open(path, "wb") as f:
            f.write(data)
        out = os.path.join(d, "out") + "/"
        os.mkdir(out)
        cmds = [[ASAN, "report", path, "-f", "text,md,svg,speedscope,pprof,folded,json", "-o", out,
                 "-n", "r", "--top", "10"],
                [ASAN, "diff", good, path, "-f", "text,md,json,svg", "-o", os.path.join(d, "d1")],
                [ASAN, "diff", path, good, "-f", "text,md,json,svg", "-o", os.path.join(d, "d2")]]
        for cmd in cmds:
            why = check(cmd, d)
            if why:
                return i, data, " ".join(os.path.basename(c) for c in cmd[:2]), why
    return i, data, None, None


def replay(path, good):
    """Checks one saved case; returns None or the reason it still fails."""
    with open(path, "rb") as f:
        _, _, cmd, why = run_one((0, f.read(), good))
    return None if not why else f"{cmd}: {why}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--iterations", type=int, default=200)
    ap.add_argument("--seed", type=int, default=20261129)
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    for b in (ASAN, RELEASE):
        if not os.access(b, os.X_OK):
            raise SystemExit(f"fuzz: {b} is not built (make all asan)")
    rnd = random.Random(args.seed)
    tmp = tempfile.mkdtemp(prefix="csprof-fuzz-seeds-")
    try:
        docs = seeds(tmp)
        good = os.path.join(tmp, "recursion.json")
        mutants = [(i, mutant(rnd, docs), good) for i in range(args.iterations)]
        crashes = 0
        with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
            for i, data, cmd, why in pool.map(run_one, mutants):
                if not why:
                    continue
                crashes += 1
                os.makedirs(FOUND, exist_ok=True)
                name = os.path.join(FOUND, f"seed{args.seed}-{i}.json")
                with open(name, "wb") as f:
                    f.write(data)
                with open(name + ".why", "w") as f:
                    f.write(f"{cmd}: {why}\n")
                print(f"fuzz: CRASH #{i} ({cmd}): {why.splitlines()[0] if why else ''} -> {name}")
        print(f"fuzz: {args.iterations} mutants (seed {args.seed}, {len(docs)} seed profiles), "
              f"{crashes} crash(es)")
        return 1 if crashes else 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
