#!/usr/bin/env python3
"""csprof next to its peer, austin 3.7.0 (`make bench-peers`). Not a test:
it prints numbers.

Both attach to the same running workload (tests/workloads/deep_calibrated.py:
60/30/10 shares at a fixed depth), for the same time at the same rate
(1000 Hz, running threads only: austin -s), interleaved round by round, on
every interpreter of tests/pythons.py. Attaching keeps the target out of
the profiler's own CPU time and peak RSS, which tests/bench/rusage.c takes
from wait4(). For each: CPU per sample (µs), samples taken /
requested, the largest share error (percentage points, against the
workload's own clock), the exact-stack rate (every frame and line as the
program had it: tests/test_torn.py's rule), peak RSS and output size, and
the csprof/austin ratios; then the interpreters austin cannot profile, with
its error.

Environment: CSPROF_BIN (default build/csprof), AUSTIN_BIN (default: built by
tests/bench/build-austin.sh), PEERS_ROUNDS (default 3), PEERS_SECONDS (2),
PEERS_DEPTH (30), PEERS_DEPTHS (depths for the 3.9/3.12 table, "10,30,100,300").
"""
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests"))
import pythons  # noqa: E402
from test_torn import stack_error  # noqa: E402

CSPROF = os.environ.get("CSPROF_BIN", os.path.join(ROOT, "build", "csprof"))
ROUNDS = int(os.environ.get("PEERS_ROUNDS", "3"))
SECONDS = int(os.environ.get("PEERS_SECONDS", "2"))  # whole seconds: austin -x
DEPTH = int(os.environ.get("PEERS_DEPTH", "30"))
DEPTHS = [int(d) for d in os.environ.get("PEERS_DEPTHS", "10,30,100,300").split(",")]
SCRIPT = os.path.join(ROOT, "tests", "workloads", "deep_calibrated.py")
RUSAGE = os.path.join(ROOT, "build", "bench", "rusage")
RATE = 1000
LEAVES = ("alpha", "beta", "gamma")
SHARES = {"alpha": 60.0, "beta": 30.0, "gamma": 10.0}  # by construction (6/3/1 slices)


def austin_bin():
    path = os.environ.get("AUSTIN_BIN")
    if path:
        return path
    r = subprocess.run(["bash", os.path.join(ROOT, "tests", "bench", "build-austin.sh")],
                       capture_output=True, text=True)
    if r.returncode:
        sys.exit(f"bench-peers: {r.stderr.strip()}")
    return r.stdout.strip()


def start_target(interp, depth):
    env = dict(os.environ)
    env.update(interp.env or {})
    p = subprocess.Popen(list(interp.argv) + [SCRIPT, str(SECONDS + 4), str(depth)],
                         stdout=subprocess.DEVNULL, env=env)
    time.sleep(1.0)  # past start-up: both profilers see the same steady workload
    return p


def run_profiler(cmd):
    """Runs cmd to completion under tests/bench/rusage.c; returns (rc, stderr,
    cpu seconds, peak RSS KiB)."""
    with tempfile.NamedTemporaryFile("r") as ru:
        p = subprocess.run([RUSAGE, ru.name] + cmd, stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, text=True)
        cpu, rss = ru.read().split()
    return p.returncode, p.stderr, float(cpu), int(rss)


def measure(stacks, depth):
    """stacks: list of (root-first [(function, file, line)], count)."""
    total = sum(c for _, c in stacks)
    exact = sum(c for st, c in stacks if stack_error(st, depth) is None)
    leaf = {fn: 0 for fn in LEAVES}
    for st, c in stacks:
        if st and st[-1][0] in leaf:
            leaf[st[-1][0]] += c
    in_leaves = sum(leaf.values())
    err = max(abs(100.0 * leaf[fn] / in_leaves - SHARES[fn]) for fn in LEAVES) if in_leaves else 100.0
    return total, (exact / total if total else 0.0), err


def run_csprof(interp, depth, tmp):
    target = start_target(interp, depth)
    try:
        out = os.path.join(tmp, "c")
        rc, err, cpu, rss = run_profiler([CSPROF, "record", "-q", "--pid", str(target.pid), "-d",
                                          str(SECONDS), "-r", str(RATE), "-o", out, "-n", "p",
                                          "-f", "json"])
    finally:
        target.kill()
        target.wait()
    if rc:
        return {"error": err.strip().splitlines()[-1] if err.strip() else f"exit {rc}"}
    path = os.path.join(out, "p.json")
    with open(path) as f:
        prof = json.load(f)
    fr = prof["frames"]
    stacks = [([(fr[i]["function"], fr[i]["file"], fr[i]["line"]) for i in s["frames"]
                if fr[i]["kind"] == "python"], s["count"]) for s in prof["stacks"]]
    total, exact, share_err = measure(stacks, depth)
    return {"cpu_us": 1e6 * cpu / max(total, 1), "taken": total / (SECONDS * RATE),
            "share_err": share_err, "exact": exact, "rss": rss, "size": os.path.getsize(path)}


def parse_austin(path):
    stacks = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            if not line.startswith("P"):
                continue
            head, _, _metric = line.rstrip("\n").rpartition(" ")
            parts = head.split(";")[2:]  # P<pid>;T<tid>;frames...
            st = []
            for fr in parts:
                file_fn, _, ln = fr.rpartition(":")
                file, _, fn = file_fn.rpartition(":")
                fn = fn.rsplit(".", 1)[-1]  # 3.11+: qualnames; ours are plain functions
                st.append((fn, file, int(ln) if ln.isdigit() else 0))
            stacks.append((st, 1))
    return stacks


def run_austin(austin, interp, depth, tmp):
    target = start_target(interp, depth)
    out = os.path.join(tmp, "a.austin")
    try:
        rc, err, cpu, rss = run_profiler([austin, "-s", "-i", f"{1000000 // RATE}us", "-x",
                                          f"{SECONDS:g}", "-p", str(target.pid), "-o", out])
    finally:
        target.kill()
        target.wait()
    stacks = parse_austin(out) if os.path.exists(out) else []
    if rc or not stacks:
        # Its message is the paragraph after the banner, without colours.
        text = re.sub(r"\x1b\[[0-9;]*m", "", err).strip().split("\n\n")[-1]
        text = " ".join(text.split())
        return {"error": f"exit {rc}: {text[:200]}" if text else f"exit {rc}, no samples"}
    total, exact, share_err = measure(stacks, depth)
    return {"cpu_us": 1e6 * cpu / max(total, 1), "taken": total / (SECONDS * RATE),
            "share_err": share_err, "exact": exact, "rss": rss, "size": os.path.getsize(out)}


def compare(jobs, tmp, austin):
    """jobs: [(label, interp, depth)] -> {(label, depth, tool): [results]}"""
    res = {}
    for rnd in range(ROUNDS):
        for label, interp, depth in jobs[rnd % len(jobs):] + jobs[:rnd % len(jobs)]:
            tools = [("csprof", run_csprof), ("austin", lambda i, d, t: run_austin(austin, i, d, t))]
            if rnd % 2:
                tools.reverse()
            for tool, fn in tools:
                res.setdefault((label, depth, tool), []).append(fn(interp, depth, tmp))
    return res


def med(rs, key):
    vals = [r[key] for r in rs if "error" not in r]
    return statistics.median(vals) if vals else None


def print_rows(res, keys):
    print(f"{'interpreter':<20}{'depth':>6}{'tool':>8}{'cpu us/sample':>14}{'taken':>8}"
          f"{'share err':>10}{'exact':>8}{'peak RSS':>10}{'output':>10}")
    cant = {}
    for label, depth in keys:
        row = {}
        for tool in ("csprof", "austin"):
            rs = res[(label, depth, tool)]
            errors = [r["error"] for r in rs if "error" in r]
            if len(errors) == len(rs):
                cant.setdefault(tool, []).append((label, errors[0]))
                continue
            row[tool] = {k: med(rs, k) for k in ("cpu_us", "taken", "share_err", "exact", "rss", "size")}
            m = row[tool]
            print(f"{label:<20}{depth:>6}{tool:>8}{m['cpu_us']:>14.1f}{100 * m['taken']:>7.1f}%"
                  f"{m['share_err']:>9.2f}p{100 * m['exact']:>7.1f}%{m['rss'] / 1024:>8.1f}MB"
                  f"{m['size'] / 1024:>8.0f}KB")
        if len(row) == 2:
            c, a = row["csprof"], row["austin"]
            print(f"{'':<20}{'':>6}{'ratio':>8}{c['cpu_us'] / a['cpu_us']:>13.2f}x"
                  f"{c['taken'] / a['taken']:>7.2f}x{'':>10}{'':>8}{c['rss'] / a['rss']:>9.2f}x"
                  f"{c['size'] / a['size']:>9.2f}x")
    return cant


def main():
    for path in (CSPROF, RUSAGE):
        if not os.path.exists(path):
            sys.exit(f"bench-peers: {path} not built (run make bench-peers)")
    austin = austin_bin()
    interps = [i for i in pythons.all_interpreters() if i.available]
    print(f"bench-peers: csprof ({CSPROF}) vs austin 3.7.0 ({austin}); attach for {SECONDS:g} s "
          f"at {RATE} Hz to deep_calibrated.py, {ROUNDS} interleaved rounds, medians; ratio = "
          f"csprof/austin")
    with tempfile.TemporaryDirectory() as tmp:
        print(f"\n1. every interpreter, depth {DEPTH}")
        jobs = [(i.label, i, DEPTH) for i in interps]
        res = compare(jobs, tmp, austin)
        cant = print_rows(res, [(j[0], DEPTH) for j in jobs])
        by_label = {i.label: i for i in interps}
        pair = [lb for lb in ("pyenv-3.9", "pyenv-3.12") if lb in by_label]
        print(f"\n2. by depth: {', '.join(pair)}")
        jobs = [(lb, by_label[lb], d) for lb in pair for d in DEPTHS]
        res2 = compare(jobs, tmp, austin)
        print_rows(res2, [(lb, d) for lb in pair for d in DEPTHS])
    for tool, rows in cant.items():
        print(f"\n{tool} cannot profile:")
        for label, err in rows:
            print(f"  {label}: {err}")


if __name__ == "__main__":
    main()
