#!/usr/bin/env python3
"""How csprof splits time between a caller and callees shorter than one of
its reads: tests/workloads/short_calls.py (run -> middle -> leaf and
run -> leaf, a few hundred nanoseconds a call), recorded at 1000 Hz four
ways, interleaved round by round, medians, csprof and the script wherever
the kernel puts them but in the last: as users run it by default (off:
every read runs while the script does, on another CPU); with --same-cpu
(auto: csprof moves to the CPU of a thread whose stack keeps changing
under its reads and reads it from there 250 times a second, each sample
standing for 4 ticks, src/target/sampler_place.c); --same-cpu=every (the
same at every tick); both pinned to one CPU (the script waits while
csprof reads: every read sees one instant). Then what each costs: the bundled example's wall
time (tests/example/validate_stochastic.py 18, ~3 s, whose json and random
calls are that short) alone and under each, interleaved; medians, and the
median of each round's ratio to the script alone (this VM's speed flips
between two levels from one run to the next: the ratio within a round is
the steadier figure).
Not a test: it prints numbers.

Usage: callbias.py [--rounds N] [--seconds S] [--cost-rounds N] [--csprof BIN] [LABEL ...]
(--rounds 0: the cost only)
LABELs pick interpreters (tests/pythons.py labels, substrings); default:
every available one.

Per interpreter and placement: the self share of leaf, middle and run among
the samples under run; "impossible", the share of those samples whose stack
holds a call the script never makes (leaf -> leaf, say: frames read from
different instants); "dropped", stacks refused and not kept. Where perf and
`python -X perf` work (3.12+), a fourth row gives perf's own sampling of the
same script (DWARF unwinding through the perf trampolines), a reference
that no reader of another process's memory is in.
"""
import argparse
import collections
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests"))
from pythons import all_interpreters  # noqa: E402

SCRIPT = os.path.join(ROOT, "tests", "workloads", "short_calls.py")
FUNCS = ("leaf", "middle", "run")
CALLS = {("<module>", "run"), ("run", "middle"), ("run", "leaf"), ("middle", "leaf")}


def shares_of(prof):
    """Self shares (percent) of FUNCS, and the impossible share, among the
    samples whose stack holds the script's run()."""
    frames = prof["frames"]
    own = collections.Counter()
    total = impossible = 0
    for st in prof["stacks"]:
        names = [frames[i]["function"] for i in st["frames"]
                 if frames[i]["file"].endswith("short_calls.py")]
        if "run" not in names:
            continue
        total += st["count"]
        own[names[-1]] += st["count"]
        if any((a, b) not in CALLS for a, b in zip(names, names[1:])):
            impossible += st["count"]
    if not total:
        return None
    out = {f: 100.0 * own[f] / total for f in FUNCS}
    out["impossible"] = 100.0 * impossible / total
    s = prof["samples"]
    out["dropped"] = 100.0 * s["dropped"] / max(s["taken"] + s["dropped"], 1)
    out["beside"] = 100.0 * s.get("beside", 0) / max(s["ticks"], 1)
    return out


def record(binary, py, seconds, cpus, opts, outdir):
    """cpus: (csprof's, the target's) for taskset, or None: wherever the
    kernel puts them, as users run it."""
    pin = (lambda c: ["taskset", "-c", c]) if cpus else (lambda c: [])
    cs, tgt = cpus or (None, None)
    cmd = pin(cs) + [binary, "record", "-q", "-r", "1000", *opts, "-o", outdir, "-n", "cb", "-f",
                     "json", "--"] + pin(tgt) + py.command(SCRIPT, str(seconds))
    subprocess.run(cmd, env=py.environ(), check=True, capture_output=True)
    with open(os.path.join(outdir, "cb.json")) as f:
        return shares_of(json.load(f))


def perf_reference(py, seconds, tmp):
    """perf's sampling of the script through the perf trampolines: the
    innermost of FUNCS on each sample's DWARF-unwound stack."""
    if not shutil.which("perf") or py.minor < (3, 12) or py.build != "default":
        return None
    data = os.path.join(tmp, "perf.data")
    r = subprocess.run(["perf", "record", "-q", "-F", "997", "-e", "cpu-clock",
                        "--call-graph", "dwarf,8192", "-o", data, "--"]
                       + py.command("-X", "perf", SCRIPT, str(seconds)),
                       env=py.environ(), capture_output=True)
    if r.returncode:
        return None
    out = subprocess.run(["perf", "script", "-i", data], capture_output=True, text=True).stdout
    own = collections.Counter()
    inner = None
    for line in out.splitlines() + [""]:
        if not line.strip():
            if inner:
                own[inner] += 1
            inner = None
            continue
        if inner is None:
            for f in FUNCS:
                if f"py::{f}:" in line and "short_calls.py" in line:
                    inner = f
                    break
    total = sum(own.values())
    if total < 100:
        return None
    return {f: 100.0 * own[f] / total for f in FUNCS}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("labels", nargs="*")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=2.0)
    ap.add_argument("--csprof", default=os.path.join(ROOT, "build", "csprof"))
    ap.add_argument("--cost-rounds", type=int, default=9)
    a = ap.parse_args()
    placements = [("off", None, []), ("auto", None, ["--same-cpu"]),
                  ("every", None, ["--same-cpu=every"]), ("one CPU", ("1", "1"), [])]
    if len(os.sched_getaffinity(0)) < 2:
        placements = placements[:1]
    pys = [p for p in all_interpreters() if p.available and a.rounds > 0
           and (not a.labels or any(lab in p.label for lab in a.labels))]
    print(f"short_calls.py, {a.seconds:g} s at 1000 Hz, {a.rounds} interleaved rounds, medians "
          f"(self shares of the samples under run(); a call takes a few hundred ns)")
    print(f"{'python':<22} {'placement':<10} {'leaf':>6} {'middle':>7} {'run':>6} "
          f"{'impossible':>11} {'dropped':>8} {'beside':>7}")
    with tempfile.TemporaryDirectory() as tmp:
        for py in pys:
            got = {name: [] for name, _, _ in placements}
            for _ in range(a.rounds):
                for name, cpus, opts in placements:
                    r = record(a.csprof, py, a.seconds, cpus, opts, tmp)
                    if r:
                        got[name].append(r)
            for name, _, _ in placements:
                rows = got[name]
                if not rows:
                    print(f"{py.label:<22} {name:<10} no samples under run()")
                    continue
                med = {k: statistics.median(r[k] for r in rows) for k in rows[0]}
                print(f"{py.label:<22} {name:<10} {med['leaf']:6.1f} {med['middle']:7.1f} "
                      f"{med['run']:6.1f} {med['impossible']:11.1f} {med['dropped']:8.1f} "
                      f"{med['beside']:7.1f}")
            ref = perf_reference(py, a.seconds, tmp)
            if ref:
                print(f"{py.label:<22} {'perf':<10} {ref['leaf']:6.1f} {ref['middle']:7.1f} "
                      f"{ref['run']:6.1f}")
    print("(percent; off: the default; auto: --same-cpu; every: --same-cpu=every; one "
          "CPU: both pinned to one, the script waits while csprof reads; impossible: stacks "
          "holding a call the script never makes; beside: ticks csprof read from the script's "
          "CPU, samples.beside; perf: perf's own sampling through python -X perf)")
    if a.cost_rounds > 0:
        cost(a.csprof, a.cost_rounds)


def cost(binary, rounds):
    """Wall time of the bundled example alone and under csprof in each
    placement, interleaved round by round; and csprof's CPU per round."""
    py = "/usr/bin/python3.11" if os.path.exists("/usr/bin/python3.11") else sys.executable
    script = os.path.join(ROOT, "tests", "example", "validate_stochastic.py")
    runs = [("alone", None), ("off", "off"), ("auto", "auto"), ("every", "every")]
    wall = {name: [] for name, _ in runs}
    extra = {name: [] for name, _ in runs}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(rounds):
            for name, when in runs:
                cmd = [py, script, "18"] if when is None else [
                    binary, "record", "-q", "-o", tmp, "-n", "ex", "-f", "json",
                    f"--same-cpu={when}", "--", py, script, "18"]
                t0 = time.monotonic()
                subprocess.run(cmd, check=True, capture_output=True)
                wall[name].append(time.monotonic() - t0)
                if when is not None:
                    with open(os.path.join(tmp, "ex.json")) as f:
                        prof = json.load(f)
                    s = prof["samples"]
                    extra[name].append((100.0 * s["beside"] / max(s["ticks"], 1),
                                        1e6 * prof["sampler_cpu_seconds"] / max(s["rounds"], 1),
                                        s["rounds"] / max(s["ticks"], 1)))
    alone = statistics.median(wall["alone"])
    print(f"\nwhat it costs: {os.path.basename(script)} on {py}, {rounds} interleaved rounds, "
          f"medians")
    print(f"{'placement':<10} {'wall s':>7} {'slower':>7} {'per round':>10} {'beside':>7} "
          f"{'rounds/tick':>12} {'cpu us/round':>13}")
    for name, _ in runs:
        w = statistics.median(wall[name])
        ratio = statistics.median(x / y for x, y in zip(wall[name], wall["alone"]))
        line = f"{name:<10} {w:7.3f} {100 * (w / alone - 1):6.1f}% {100 * (ratio - 1):9.1f}%"
        if extra[name]:
            b, c, r = (statistics.median(x[i] for x in extra[name]) for i in range(3))
            line += f" {b:6.1f}% {r:12.2f} {c:13.1f}"
        print(line)
    print("(slower: the median wall time over the script's alone; per round: the median of "
          "the rounds' own ratios; beside: ticks read from the "
          "script's CPU; rounds/tick: csprof's wake-ups per tick (a round beside the script "
          "stands for 4 ticks with auto); cpu us/round: csprof's CPU per wake-up)")


if __name__ == "__main__":
    main()
