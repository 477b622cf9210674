"""Share errors on a loop that repeats at a fixed period (aliasing).

tests/action/verdict_app.py runs 1,200 rounds of tokenize, plant and
encode_records, about 0.5 ms a round: close to the 1 ms between samples at
1000 Hz. This runs a copy of it that also times each of the three functions
with time.thread_time_ns (the truth), records it with csprof several times,
and prints each run's shares against that truth, then the largest error and
its root mean square over all runs and functions, beside what sampling alone
gives (the binomial standard deviation of a share of that many samples).

    python3 tests/bench/aliasing.py [--runs N] [--csprof BIN] [--python PY]
"""
import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
APP = os.path.join(ROOT, "tests", "action", "verdict_app.py")
SLOWMOD = os.path.join(ROOT, "tests", "action", "slowmod.py")
FUNCS = ("tokenize", "plant", "encode_records")

LOOP = '''    total = 0
    for r in range(rounds):
        total += tokenize(25)
        total += plant(int(1500 * plant_scale))
        total += encode_records(int(40 * lib_scale))
        total += slowmod.lookup(r)
    print("total", total)'''

TIMED = '''    import time
    clock = time.thread_time_ns
    spent = [0, 0, 0]
    total = 0
    for r in range(rounds):
        t0 = clock()
        total += tokenize(25)
        t1 = clock()
        total += plant(int(1500 * plant_scale))
        t2 = clock()
        total += encode_records(int(40 * lib_scale))
        t3 = clock()
        spent[0] += t1 - t0
        spent[1] += t2 - t1
        spent[2] += t3 - t2
        total += slowmod.lookup(r)
    print("TRUTH", *spent)'''


def shares_of(profile):
    """Total share of each of FUNCS among the samples holding one of them."""
    with open(profile) as f:
        d = json.load(f)
    count = dict.fromkeys(FUNCS, 0)
    for s in d["stacks"]:
        names = {d["frames"][i]["function"] for i in s["frames"]}
        for fn in FUNCS:
            if fn in names:
                count[fn] += s["count"]
    n = sum(count.values())
    return {fn: 100.0 * c / n for fn, c in count.items()}, n


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=6)
    ap.add_argument("--csprof", default=os.path.join(ROOT, "build", "csprof"))
    ap.add_argument("--python", default=sys.executable)
    a = ap.parse_args()
    a.csprof = os.path.abspath(a.csprof)
    with open(APP) as f:
        src = f.read()
    if LOOP not in src:
        sys.exit("aliasing.py: verdict_app.py's loop changed; update LOOP and TIMED here")
    tmp = tempfile.mkdtemp(prefix="csprof-aliasing-")
    try:
        with open(os.path.join(tmp, "app.py"), "w") as f:
            f.write(src.replace(LOOP, TIMED))
        shutil.copy(SLOWMOD, tmp)
        env = dict(os.environ, VERDICT_LIB="3")
        errors, sizes = [], []
        print(f"{'run':>3}  " + "  ".join(f"{fn + ' csprof/truth':>28}" for fn in FUNCS))
        for run in range(a.runs):
            r = subprocess.run([a.csprof, "record", "-q", "-o", tmp, "-n", "p", "-f", "json", "--",
                                a.python, "app.py"], cwd=tmp, env=env, capture_output=True, text=True)
            line = [ln for ln in r.stdout.splitlines() if ln.startswith("TRUTH")]
            if r.returncode or not line:
                sys.exit(f"aliasing.py: the run failed: {r.stderr.strip()}")
            spent = [int(x) for x in line[0].split()[1:]]
            truth = {fn: 100.0 * t / sum(spent) for fn, t in zip(FUNCS, spent)}
            got, n = shares_of(os.path.join(tmp, "p.json"))
            sizes.append(n)
            errors += [got[fn] - truth[fn] for fn in FUNCS]
            print(f"{run + 1:>3}  " + "  ".join(f"{got[fn]:>13.1f} / {truth[fn]:<12.1f}" for fn in FUNCS))
        rms = math.sqrt(sum(e * e for e in errors) / len(errors))
        n = sorted(sizes)[len(sizes) // 2]
        binom = 100 * math.sqrt(0.25 / n)   # the widest, at a share of 50%
        print(f"largest error {max(abs(e) for e in errors):.1f} points, RMS {rms:.1f}; "
              f"sampling alone: at most {binom:.1f} (binomial SD at {n} samples)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
