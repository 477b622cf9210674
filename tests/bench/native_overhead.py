#!/usr/bin/env python3
"""What `csprof record --native` costs the target. Not a test: it prints numbers.

Runs, interleaved round by round so drift on a shared machine hits every
variant alike, a fixed amount of work alone, under csprof without --native
at 100 Hz, and with --native at 100 Hz and 1000 Hz, and reports medians.
Two workloads:
  - scientific: tests/workloads/native_scientific.py --rounds N on Debian's
    /usr/bin/python3.11 with python3-numpy and python3-scipy (LAPACK, numpy
    ufuncs, a pure-Python loop, L-BFGS-B): what --native costs on the kind
    of code it is for (the work's own clock, imports excluded);
  - deep: tests/bench/deep_work.py, 31 Python frames deep, on pyenv 3.8 and
    3.12: pure Python, where every sample unwinds a deep stack.
For each:
  - the target's slowdown vs alone (the work times itself);
  - how long each thread was held stopped per sample (µs), as csprof
    measures it (from the stop being seen to the detach), and the target's
    time lost per sample by its own clock: (median - median alone) / samples,
    which on a busy machine is noisier than the slowdown it explains;
  - csprof's own CPU time per tick (µs);
  - how many thread samples were merged with their C frames.

Environment: CSPROF_BIN (default build/csprof), BENCH_WORKLOADS (comma-separated,
default scientific,deep), BENCH_PYTHONS (interpreters for deep, default pyenv 3.8
and 3.12), BENCH_ROUNDS (default 7), BENCH_SECONDS (work per run alone, default 3).
"""
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CSPROF = os.environ.get("CSPROF_BIN", os.path.join(ROOT, "build", "csprof"))
PYTHONS = os.environ.get("BENCH_PYTHONS", "/root/.pyenv/versions/3.8.18/bin/python3.8,"
                         "/root/.pyenv/versions/3.12.1/bin/python3.12").split(",")
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "7"))
WORKLOADS = os.environ.get("BENCH_WORKLOADS", "scientific,deep").split(",")
SECONDS = float(os.environ.get("BENCH_SECONDS", "3"))
DEEP = os.path.join(ROOT, "tests", "bench", "deep_work.py")
DEPTH = 28
SCIENTIFIC = os.path.join(ROOT, "tests", "workloads", "native_scientific.py")
DEBIAN_PYTHON = "/usr/bin/python3.11"
VARIANTS = [("alone", None, False), ("python 100 Hz", 100, False),
            ("native 100 Hz", 100, True), ("native 1000 Hz", 1000, True)]


def run(cmd, rate, native, outdir):
    if rate is None:
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
        return {"seconds": float(out)}
    r = subprocess.run([CSPROF, "record", "-r", str(rate), "-o", outdir, "-n", "bench",
                        "-f", "json"] + (["--native"] if native else []) + ["--", *cmd],
                       capture_output=True, text=True, check=True)
    with open(os.path.join(outdir, "bench.json")) as f:
        prof = json.load(f)
    ticks = max(prof["samples"]["ticks"], 1)
    m = re.search(r"--native: (\d+) thread samples merged with their C frames, (\d+) kept",
                  r.stderr)
    held = re.search(r"held stopped (\d+) us per stop", r.stderr)
    return {"seconds": float(r.stdout), "taken": prof["samples"]["taken"],
            "held_us": float(held.group(1)) if held else None,
            "cpu_us": 1e6 * prof["sampler_cpu_seconds"] / ticks,
            "merged": (int(m.group(1)), int(m.group(2))) if m else None,
            "native_depth": max((sum(1 for i in s["frames"] if prof["frames"][i]["kind"] == "native")
                                 for s in prof["stacks"]), default=0)}


def bench(title, command, probe_units):
    """command(units) -> argv whose stdout is the seconds the work took."""
    t = run(command(probe_units), None, False, None)["seconds"]
    units = max(1, int(probe_units * SECONDS / max(t, 1e-3)))
    print(f"\n{title}: {ROUNDS} interleaved rounds, {units} work units (~{SECONDS:g} s alone)")
    results = {v[0]: [] for v in VARIANTS}
    with tempfile.TemporaryDirectory() as tmp:
        for rnd in range(ROUNDS):
            k = rnd % len(VARIANTS)
            for name, rate, native in VARIANTS[k:] + VARIANTS[:k]:
                results[name].append(run(command(units), rate, native, tmp))
    base = statistics.median(r["seconds"] for r in results["alone"])
    print(f"{'variant':<16}{'median s':>10}{'slowdown':>10}{'lost us/sample':>16}"
          f"{'held us/stop':>14}{'csprof cpu us/tick':>20}{'merged':>10}{'C frames':>10}")
    print(f"{'alone':<16}{base:>10.3f}")
    for name, rate, native in VARIANTS[1:]:
        rs = results[name]
        med = statistics.median(r["seconds"] for r in rs)
        taken = statistics.median(r["taken"] for r in rs)
        lost = 1e6 * (med - base) / taken if taken else 0.0
        cpu = statistics.median(r["cpu_us"] for r in rs)
        merged, held = "-", "-"
        if native:
            held = f"{statistics.median(r['held_us'] for r in rs):.0f}"
            ok = sum(r["merged"][0] for r in rs)
            total = ok + sum(r["merged"][1] for r in rs)
            merged = f"{100.0 * ok / total:.1f}%" if total else "n/a"
        depth = max(r["native_depth"] for r in rs)
        print(f"{name:<16}{med:>10.3f}{100 * (med / base - 1):>9.2f}%{lost:>16.1f}"
              f"{held:>14}{cpu:>20.1f}{merged:>10}{depth if native else '-':>10}")


def main():
    if not os.path.exists(CSPROF):
        sys.exit(f"native_overhead: {CSPROF} not built (run make)")
    if "scientific" in WORKLOADS:
        probe = subprocess.run([DEBIAN_PYTHON, "-c", "import numpy, scipy"], capture_output=True)
        if probe.returncode:
            print(f"native_overhead: skipping scientific: {DEBIAN_PYTHON} lacks numpy/scipy "
                  "(apt-get install python3-numpy python3-scipy)")
        else:
            bench(f"{DEBIAN_PYTHON}: numpy/SciPy (native_scientific.py)",
                  lambda units: [DEBIAN_PYTHON, SCIENTIFIC, "--rounds", str(units)], 3)
    if "deep" in WORKLOADS:
        for python in PYTHONS:
            if not os.path.exists(python):
                print(f"native_overhead: skipping {python}: not found")
                continue
            bench(f"{python}: {DEPTH + 3} Python frames deep (deep_work.py)",
                  lambda units, py=python: [py, DEEP, str(DEPTH), str(units)], 20)


if __name__ == "__main__":
    main()
