#!/usr/bin/env python3
"""False-positive rate of `csprof diff` on unchanged code (issue #10).

Records tests/action/verdict_app.py (or, with --realistic, the Bayesian-
optimisation loop tests/realistic/bo_loop.py on Debian's Python 3.11 with
scikit-learn, SciPy and numpy) once as the baseline, four more times
as its history, then N more times (default 20) with nothing changed, and
compares each of the N with the baseline and the history as the action
does. Prints, over the N comparisons, how often the verdict was a
regression (red), flagged any function (slower or faster), flagged wall
time (yellow), called imports slower, and judged wall time within the usual
spread. Nothing asserts: these are measurements of this machine.

With --neighbours K, K processes spin on a CPU during each of the N runs
(not during the baseline and history): a runner busier than usual, which
stretches wall time and, through shared caches, CPU time too.

usage: python3 tests/bench/verdict_fp.py [--runs N] [--realistic] [--neighbours K] [--bin build/csprof] [--keep DIR]
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--bin", default=os.path.join(ROOT, "build", "csprof"))
    ap.add_argument("--python", default=sys.executable)
    ap.add_argument("--keep", help="keep the profiles in this directory")
    ap.add_argument("--neighbours", type=int, default=0, help="processes spinning during the unchanged runs")
    ap.add_argument("--realistic", action="store_true",
                    help="the BO loop of tests/realistic/ on /usr/bin/python3.11")
    a = ap.parse_args()
    tmp = a.keep or tempfile.mkdtemp(prefix="csprof-fp-")
    os.makedirs(tmp, exist_ok=True)
    if a.realistic:
        src, files, script = os.path.join(ROOT, "tests", "realistic"), ("bo_loop.py", "bo_tables.py"), "bo_loop.py"
        if a.python == sys.executable:
            a.python = "/usr/bin/python3.11"
    else:
        src, files, script = os.path.join(ROOT, "tests", "action"), ("verdict_app.py", "slowmod.py"), "verdict_app.py"
    for f in files:
        shutil.copy(os.path.join(src, f), tmp)
    env = dict(os.environ, GITHUB_WORKSPACE=tmp)

    def record(name):
        subprocess.run([a.bin, "record", "-q", "-o", tmp, "-n", name, "-f", "json", "--", a.python,
                        script], cwd=tmp, env=env, check=True, stdout=subprocess.DEVNULL)
        with open(os.path.join(tmp, name + ".json")) as f:
            return json.load(f)

    hist = os.path.join(tmp, "base.history.json")
    # NAME.history.json as `csprof ci` keeps it: the baseline and 4 more
    # unchanged runs, appended by `csprof history --add` (the same record).
    for name in ["base"] + [f"h{i}" for i in range(4)]:
        record(name)
        subprocess.run([a.bin, "history", "--add", os.path.join(tmp, name + ".json"), hist], check=True,
                       stderr=subprocess.DEVNULL)
    counts = {"regressed": 0, "function flagged": 0, "wall flagged (yellow)": 0, "imports slower": 0,
              "wall within the usual spread": 0}
    spin = [sys.executable, "-c", "while True: pass"]
    for i in range(a.runs):
        neighbours = [subprocess.Popen(spin) for _ in range(a.neighbours)]
        try:
            record(f"run{i}")
        finally:
            for p in neighbours:
                p.kill()
                p.wait()
        r = subprocess.run([a.bin, "diff", os.path.join(tmp, "base.json"), os.path.join(tmp, f"run{i}.json"),
                            "-f", "json", "--history", hist], capture_output=True, text=True, check=True)
        j = json.loads(r.stdout)
        flagged = [f["function"] for f in j["slower"] + j["faster"]] + [l["function"] for l in j["leads"]]
        counts["regressed"] += j["regressed"]
        counts.setdefault("functions absorbed by their usual spread", 0)
        counts["functions absorbed by their usual spread"] += len(j["within_usual_spread"])
        counts["function flagged"] += bool(flagged)
        counts["wall flagged (yellow)"] += j["wall_flag"]
        counts["imports slower"] += j["imports"]["change"] == "slower"
        counts["wall within the usual spread"] += (j["wall"] or {}).get("level") == "within"
        # Why a wall time above its spread was not called (older csprof: absent).
        for why in ("wall_by_busier_runner", "wall_below_threshold", "wall_by_imports"):
            counts.setdefault(f"not counted: {why[5:]}", 0)
            counts[f"not counted: {why[5:]}"] += bool(j.get(why))
        runner = j.get("runner") or {}
        load, usual = runner.get("other_load"), runner.get("usual_other_load")
        print(f"run {i + 1:2d}: verdict {j['verdict']:<12} wall {j['wall']['level'] if j['wall'] else '?':<7} "
              f"cpu {(j.get('cpu_seconds') or {}).get('level', '?'):<7} other load "
              f"{'?' if load is None else f'{load:.2f}'} (usual {'?' if usual is None else f'{usual:.2f}'}) "
              f"imports {j['imports']['change']:<7} flagged {', '.join(flagged) or '-'}", flush=True)
    print(f"\nover {a.runs} unchanged runs (load average {os.getloadavg()[0]:.1f}):")
    for k, v in counts.items():
        print(f"  {k:<30} {v:2d}/{a.runs} = {100.0 * v / a.runs:.0f}%")
    if not a.keep:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
