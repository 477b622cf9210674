#!/usr/bin/env python3
"""Two (or more) csprof binaries compared on section 1 of `make bench`: the
31-frame tests/bench/deep_work.py, interleaved round by round with the
machine's floor (tests/bench/floor.c), medians. Not a test: it prints numbers.

Usage: ab.py BASE_BIN OTHER_BIN [...] [--rounds N] [--rate HZ] [--workload W]
Prints per binary: CPU and read µs per tick, samples taken, CPU per tick over
the floor of the same round, and the thread states asked of the kernel per
tick; and per other binary its CPU per tick over the base's in the same round
(median and range), the figure that compares on a shared machine whose speed
drifts. The load average is printed with them. Workloads (2 s each):
  deep   tests/bench/deep_work.py, 31 frames in a tight loop (section 1)
  calls  tests/workloads/busy_calls.py calls: small calls and returns
  idle8  tests/bench/idle_threads.py 8: a busy thread beside 8 asleep
"""
import argparse
import json
import os
import statistics
import subprocess
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PYTHON = os.environ.get("BENCH_PYTHON", "/root/.pyenv/versions/3.12.1/bin/python3.12")
FLOOR = os.environ.get("BENCH_FLOOR", os.path.join(ROOT, "build", "bench", "floor"))
DEEP = os.path.join(ROOT, "tests", "bench", "deep_work.py")
DEPTH = 28  # + work, main and <module>: 31 frames
WORKLOADS = {
    "calls": [os.path.join(ROOT, "tests", "workloads", "busy_calls.py"), "calls", "2"],
    "idle8": [os.path.join(ROOT, "tests", "bench", "idle_threads.py"), "8", "2"],
}


def run_alone(units):
    return float(subprocess.run([PYTHON, DEEP, str(DEPTH), str(units)], capture_output=True,
                                text=True, check=True).stdout)


def run_csprof(binary, script, rate, outdir):
    subprocess.run([binary, "record", "-q", "-r", str(rate), "-o", outdir, "-n", "ab", "-f",
                    "json", "--", PYTHON, *script], capture_output=True, check=True)
    with open(os.path.join(outdir, "ab.json")) as f:
        prof = json.load(f)
    s = prof["samples"]
    # per wake-up: a round beside a thread stands for several ticks
    # (samples.rounds; binaries before it woke once a tick)
    ticks = max(s.get("rounds") or s["ticks"], 1)
    return (1e6 * prof["sampler_cpu_seconds"] / ticks, 1e6 * prof["sampler_work_seconds"] / ticks,
            s["ticks"] / max(s["ticks"] + s.get("missed", 0), 1), s.get("state_reads", 0) / ticks)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("bins", nargs="+")
    ap.add_argument("--rounds", type=int, default=9)
    ap.add_argument("--rate", type=int, default=1000)
    ap.add_argument("--workload", choices=["deep"] + sorted(WORKLOADS), default="deep")
    a = ap.parse_args()
    if a.workload == "deep":
        units = max(1, int(20 * 2.0 / run_alone(20)))
        script, what = [DEEP, str(DEPTH), str(units)], f"deep, {units} work units"
    else:
        script, what = WORKLOADS[a.workload], a.workload
    variants = a.bins + ["floor"]
    res = {b: [] for b in a.bins}
    floors, loads = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(a.rounds):
            loads.append(os.getloadavg()[0])
            for v in variants[r % len(variants):] + variants[:r % len(variants)]:
                if v == "floor":
                    out = subprocess.run([FLOOR, str(a.rate), "2"], capture_output=True, text=True,
                                         check=True).stdout.split()
                    floors.append(float(out[1]))
                else:
                    res[v].append(run_csprof(v, script, a.rate, tmp))
    med = statistics.median
    print(f"{a.rate} Hz, {a.rounds} rounds, {what}; load average {min(loads):.2f}-"
          f"{max(loads):.2f} (median {med(loads):.2f}); floor {med(floors):.1f} us per wake-up")
    print(f"{'binary':<40}{'cpu us':>8}{'read us':>9}{'taken':>8}{'cpu/floor':>11}{'asked':>7}")
    for b in a.bins:
        cpu = [x[0] for x in res[b]]
        ratio = med([c / f for c, f in zip(cpu, floors)])
        print(f"{b[-40:]:<40}{med(cpu):>8.1f}{med([x[1] for x in res[b]]):>9.1f}"
              f"{100 * med([x[2] for x in res[b]]):>7.1f}%{ratio:>10.2f}x"
              f"{med([x[3] for x in res[b]]):>7.2f}")
    for b in a.bins[1:]:
        rs = sorted(x[0] / y[0] for x, y in zip(res[b], res[a.bins[0]]))
        print(f"cpu per tick, {b[-30:]} / base, same round: median {med(rs):.3f} "
              f"(range {rs[0]:.3f}-{rs[-1]:.3f})")


if __name__ == "__main__":
    main()
