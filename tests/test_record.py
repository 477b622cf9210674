"""csprof record against every CPython we can run here.

One test class per interpreter (pyenv 3.8-3.13 with shared libpython, Debian's
static /usr/bin/python3.11, and Debian bullseye/trixie/sid builds run through
their own ld-linux). An interpreter that is not available is reported as a
SKIP line with the reason, never as a pass.
"""
import json
import os
import resource
import signal
import subprocess
import sys
import time
import unittest

from common import WORKLOADS, Profile, TempDirTest, csprof_bin, line_of, run_csprof, wrapper
import pythons

SHARE_TOLERANCE = 3.0  # percentage points, as the issue asks


def workload(name):
    return os.path.join(WORKLOADS, name)


class RecordMixin:
    interp = None  # set per generated class

    def setUp(self):
        super().setUp()
        reason = getattr(self.interp, "skip_reason", None)
        if reason:
            self.skipTest(f"{self.interp.label}: {reason}")

    def env(self):
        e = dict(getattr(self.interp, "env", None) or {})
        e["CSPROF_TEST_PYTHON"] = json.dumps(list(self.interp.argv))
        return e

    def record(self, script, *args, opts=(), expect_rc=0, name=None):
        out = os.path.join(self.tmp, "out")
        cmd = ["record", "-o", out, "-f", "json,folded", *opts, "--",
               *self.interp.argv, workload(script), *args]
        r = run_csprof(cmd, env=self.env())
        if expect_rc is not None:
            self.assertEqual(r.returncode, expect_rc, f"stdout={r.stdout}\nstderr={r.stderr}")
        stem = name or os.path.splitext(script)[0]
        path = os.path.join(out, stem + ".json")
        self.assertTrue(os.path.exists(path), f"no profile written; stderr={r.stderr}")
        return r, Profile(path)

    def test_calibrated_shares(self):
        r, p = self.record("calibrated.py", "2.5")
        truth = json.loads(r.stdout)
        wall = sum(truth.values())
        path = workload("calibrated.py")
        self.assertGreater(p.total, 500, "too few samples for a 2.5 s run at 1000 Hz")
        # The script times its main loop only; interpreter start-up (imports
        # alone take a debug build a good part of a second) is not in it.
        window = [s for s in p.stacks
                  if any(p.frames[i]["function"] == "main" and p.frames[i]["file"] == path
                         for i in s["frames"])]
        in_window = sum(s["count"] for s in window)
        self.assertGreater(in_window, 0.5 * p.total)
        for fn in ("alpha", "beta", "gamma"):
            spin = line_of(path, f"SPIN-{fn}")
            lines = {spin - 1, spin}  # the while line and its body
            expected = 100.0 * truth[fn] / wall
            got = 100.0 * sum(s["count"] for s in window
                              if p.leaf(s)["function"] == fn and p.leaf(s)["line"] in lines) / in_window
            self.assertLess(abs(got - expected), SHARE_TOLERANCE,
                            f"{fn}: {got:.1f}% sampled vs {expected:.1f}% measured")
        frame = next(f for f in p.frames if f["function"] == "alpha")
        self.assertEqual(frame["file"], path)
        self.assertEqual(frame["first_line"], line_of(path, "def alpha"))
        d = p.data
        self.assertEqual(d["python"]["version"].split(".")[:2],
                         [str(x) for x in self.interp.version[:2]])
        self.assertEqual(d["exit_status"], 0)
        self.assertEqual(d["script"], path)
        self.assertEqual(d["samples"]["taken"], p.total)
        self.assertGreaterEqual(d["samples"]["ticks"], p.total)

    def test_running_is_seen_without_asking_the_kernel(self):
        """Whether a thread is running or idle is read from its own memory
        where it can be (its current-frame pointer, its leaf frame's
        instruction, locals and stack, a read caught mid-change), and asked
        of the kernel's /proc (samples.state_reads) only when none of them
        moved. On small calls, the binary that compared the leaf's
        instruction alone asked for 0.61-0.77 of the samples on every
        version; this one for 0.16-0.38, start-up included. (A tight loop,
        0.21-0.49 before and 0.05-0.22 now on 3.11+, varies too much with
        where the allocator puts its ints to tell the two apart.)"""
        cpus = sorted(os.sched_getaffinity(0))
        self.assertGreaterEqual(len(cpus), 2, "the test machine has 2 CPUs")
        out = os.path.join(self.tmp, "calls")
        # The script on one CPU, csprof on another: csprof does not take
        # the script's CPU when it wakes, so the script runs at every sample.
        r = run_csprof(["record", "-q", "-o", out, "-n", "calls", "-f", "json", "--",
                        "taskset", "-c", str(cpus[0]), *self.interp.argv,
                        workload("busy_calls.py"), "calls", "1"],
                       env=self.env(), preexec_fn=lambda: os.sched_setaffinity(0, {cpus[1]}))
        self.assertEqual(r.returncode, 0, r.stderr)
        s = Profile(os.path.join(out, "calls.json")).data["samples"]
        asked = s["state_reads"] / max(s["taken"], 1)
        print(f"\n  the kernel asked for {asked:.2f} of {s['taken']} samples", end="")
        self.assertGreater(s["taken"], 500)
        self.assertLess(asked, 0.5)

    def test_threads(self):
        _, p = self.record("threads.py")
        path = workload("threads.py")
        for color in ("red", "green", "blue"):
            fn = f"spin_{color}"
            self.assertGreater(p.self_share(fn, {line_of(path, f"SPIN-{color}") - 1,
                                                 line_of(path, f"SPIN-{color}")}), 10.0, fn)
        threads_with_samples = {s["thread"] for s in p.stacks}
        self.assertGreaterEqual(len(threads_with_samples), 3)
        # Several threads: every stack is rooted at its thread.
        for s in p.stacks:
            self.assertEqual(p.frames[s["frames"][0]]["kind"], "thread")
        # Each spin function runs on exactly one OS thread.
        for color in ("red", "green", "blue"):
            owners = {s["thread"] for s in p.stacks
                      if any(p.frames[i]["function"] == f"spin_{color}" for i in s["frames"])}
            self.assertEqual(len(owners), 1, color)

    def test_threads_one_after_another(self):
        """Each of 12 threads, started once the last has ended, is itself:
        its samples carry its own tid, and its sleep is idle, not CPU time
        (a thread taken for the one before it, whose tid is gone, could not
        be asked the kernel whether it sleeps)."""
        r, p = self.record("relay.py")
        tids = [int(x) for x in r.stdout.split("\n") if x.isdigit()]
        self.assertEqual(len(tids), 12, r.stdout)
        spun = {}
        for s in p.stacks:
            if any(p.frames[f]["function"] == "relay_spin" for f in s["frames"]):
                tid = p.data["threads"][s["thread"]]["tid"]
                spun[tid] = spun.get(tid, 0) + s["count"]
        napped = p.samples_in("relay_nap")
        print(f"\n  spun {sorted(spun.values())}; napped {napped}", end="")
        self.assertLessEqual(set(spun), set(tids), p.data["threads"])
        # 100 ms of spinning each: about 100 samples; one may end early.
        # Taken for the first of them (pthread_t alone), they were one
        # thread of 880 samples, 26-32 of them in the sleep.
        self.assertGreaterEqual(sum(n > 40 for n in spun.values()), 11, spun)
        self.assertLess(napped, 0.02 * sum(spun.values()))

    def test_sleeping_threads_are_read_again_once_woken(self):
        """Threads found asleep at a tick are asked the kernel first at the
        next, and their stacks are not read while they sleep; once woken
        they must be sampled like any other."""
        _, p = self.record("waking.py")
        main = p.samples_in("main_work")
        woken = {}
        for s in p.stacks:
            if any(p.frames[f]["function"] == "worker" for f in s["frames"]):
                tid = p.data["threads"][s["thread"]]["tid"]
                woken[tid] = woken.get(tid, 0) + s["count"]
        print(f"\n  main_work {main}; woken workers {woken}; idle {p.data['samples']['idle']}", end="")
        # 0.6 s of work each: the main thread alone, then the two workers
        # sharing the GIL (each about half the time).
        self.assertGreater(main, 300)
        self.assertEqual(len(woken), 2, p.data["threads"])
        for name, n in woken.items():
            self.assertGreater(n, 120, name)
        # asleep 0.6 s each before the event: counted idle, not recorded
        self.assertGreater(p.data["samples"]["idle"], 600)

    def test_subprocess(self):
        _, p = self.record("parent.py", opts=["--subprocesses"])
        self.assertGreater(p.samples_in("parent_spin"), 100)
        self.assertGreater(p.samples_in("child_spin"), 100)
        pids = {proc["pid"] for proc in p.data["processes"]}
        self.assertGreaterEqual(len(pids), 2)
        for s in p.stacks:
            root = p.frames[s["frames"][0]]
            self.assertEqual(root["kind"], "process")
            self.assertRegex(root["function"], r"^process \d+ \(")
        child_roots = {p.frames[s["frames"][0]]["function"] for s in p.stacks
                       if any(p.frames[i]["function"] == "child_spin" for i in s["frames"])}
        self.assertEqual(len(child_roots), 1)
        self.assertIn("child.py", next(iter(child_roots)))

    def test_multiprocessing_pool(self):
        _, p = self.record("pool.py", opts=["--subprocesses"])
        workers = {p.frames[s["frames"][0]]["function"] for s in p.stacks
                   if any(p.frames[i]["function"] == "pool_work" for i in s["frames"])}
        self.assertGreaterEqual(len(workers), 2, "pool_work seen in fewer than 2 worker processes")
        self.assertGreater(p.samples_in("pool_work"), 500)

    def test_recursion_1000_deep(self):
        _, p = self.record("recursion.py")
        deepest = max(sum(1 for i in s["frames"] if p.frames[i]["function"] == "descend")
                      for s in p.stacks)
        self.assertEqual(deepest, 1000)
        bottom = line_of(workload("recursion.py"), "SPIN-bottom")
        self.assertGreater(p.self_share("descend", {bottom - 1, bottom}), 80.0)

    def test_non_ascii_names(self):
        script = "ünïcode_名前.py"
        _, p = self.record(script)
        self.assertIn("heiß_grün_计算", p.functions())
        if self.interp.version >= (3, 11):
            self.assertIn("Ünïcode.méthode", p.functions())
        else:
            self.assertIn("méthode", p.functions())
        files = {f["file"] for f in p.frames if f["function"] == "heiß_grün_计算"}
        self.assertEqual(files, {workload(script)})
        self.assertGreater(p.self_share("heiß_grün_计算"), 80.0)

    def test_reused_code_addresses_are_not_confused(self):
        _, p = self.record("churn.py")
        pairs = 0
        for s in p.stacks:
            names = [p.frames[i]["function"] for i in s["frames"]]
            files = [p.frames[i]["file"] for i in s["frames"]]
            outer = [n for n in names if n.startswith("outer_")]
            inner = [n for n in names if n.startswith("inner_")]
            for n, f in zip(names, files):
                if n.startswith(("outer_", "inner_")):
                    self.assertEqual(f, "<gen%s>" % n.split("_")[1], (n, f))
            if outer and inner:
                pairs += s["count"]
                self.assertEqual(outer[0].split("_")[1], inner[0].split("_")[1], names)
        self.assertGreater(pairs, 300)
        # Every 3 ms code objects are made and freed: from 3.12 the code
        # counter moves, and the sample after re-reads the code objects of
        # its stack (pyreader_int.h, code_counter), at least main's for each
        # generation K seen; before 3.12 every sample re-reads them.
        gens = {p.frames[i]["function"] for s in p.stacks for i in s["frames"]
                if p.frames[i]["function"].startswith("outer_")}
        checks = p.data["samples"]["code_checks"]
        if self.interp.minor >= (3, 12):
            self.assertGreaterEqual(checks, len(gens), p.data["samples"])
        else:
            self.assertGreaterEqual(checks, pairs, p.data["samples"])

    def test_call_heavy_library_code(self):
        # The email package calls and returns every microsecond, often from
        # C, and runs generators: the stack changes while it is read. A walk
        # that crossed a frame unlinked under it ends early (a generator that
        # yielded has no caller) or loops; such a stack must be read again
        # or dropped and counted, never kept with its callers cut off. Before
        # the walk checked where it ended, 11% (3.11), 14% (3.12), 31% (3.13)
        # and 7% (3.14) of the stacks kept here had lost their callers.
        # Measured on 2026-12-01, share of the stacks dropped: 3.11 2-3%,
        # 3.12 3%, 3.13 6-10%, 3.13d 3%, 3.13t 9-10%, 3.14 11-12%, 3.14d 4-5%,
        # 3.15 12-13%; 3.8-3.10 42-51% (a frame chain whose leaf returned
        # while it was read is refused, chainread.h; 82-89% when any change
        # refused it). Later that day (a faster machine) the same binary
        # dropped 0.8-4.7% on 3.11+ and read 6.2-10.4 times a tick (3.12
        # most: each generator's frame and shim read again into one shared
        # window). Since a try after a refused one is one speculative read
        # (pyreader.c, reread_thread) and the C stack, generators and data
        # stack have windows of their own (pywalk.c): 0.3-2.7% dropped,
        # 5.0-7.2 reads a tick.
        _, p = self.record("email_calls.py", "1.5")
        s = p.data["samples"]
        self.assertGreater(s["taken"], 100, s)
        path = workload("email_calls.py")
        inside = cut = 0
        for st in p.stacks:
            frames = [p.frames[i] for i in st["frames"]]
            if not any("/email/" in (f["file"] or "") for f in frames):
                continue
            inside += st["count"]
            names = [f["function"] for f in frames]
            if (frames[0]["function"], frames[0]["file"]) != ("<module>", path):
                cut += st["count"]
            elif "parse_and_write" in names:
                k = names.index("parse_and_write")
                self.assertEqual([(f["function"], f["file"]) for f in frames[:k + 1]],
                                 [("<module>", path), ("main", path), ("parse_and_write", path)],
                                 names)
                self.assertTrue(all(f["file"] != path for f in frames[k + 1:]), names)
        self.assertGreater(inside, 0.5 * s["taken"])
        # 3.15 keeps ~1% cut at a call from C whose entry frame was read with
        # no caller yet (0.6-1.1% measured): not mended.
        bound = 0.025 if self.interp.minor >= (3, 15) else 0.01
        self.assertLessEqual(cut, bound * inside, (cut, inside))
        share = s["dropped"] / (s["taken"] + s["dropped"])
        self.assertLess(share, 0.08 if self.interp.minor >= (3, 11) else 0.7, s)
        if self.interp.minor >= (3, 11):
            self.assertLess(s["reads"], 10 * s["ticks"], s)

    def test_calls_shorter_than_a_read(self):
        # short_calls.py calls and returns every few hundred nanoseconds,
        # faster than a read copies a stack: read while it runs on another
        # CPU, frames of different instants made stacks that leaned towards
        # callers (tests/bench/callbias.py, 2026-12-01, leaf/middle/run self
        # shares: 3.12 25-46/34-64/10-20, 3.9 35-55/3-7/39-62, 3.14 38/33/28,
        # against 72-78/6-12/15-19 with the script waiting while csprof
        # read, and 71-73/9-10/18-19 from perf through python -X perf), and
        # 3.11 kept 13-28% of them with a call the script never makes (leaf
        # -> leaf). With --same-cpu csprof reads such a thread from its own
        # CPU (sampler_place.c): at most 250 rounds a second there, each
        # standing for the ticks until the next; with --same-cpu=every at
        # every tick. Both runs, wherever the kernel puts them, must agree
        # with one where both are pinned to one CPU. By default (off) the
        # summary must say that the split leans towards the callers.
        calls = {("<module>", "run"), ("run", "middle"), ("run", "leaf"), ("middle", "leaf")}

        def shares(p):
            path = workload("short_calls.py")
            own, total, impossible = {"leaf": 0, "middle": 0, "run": 0}, 0, 0
            for st in p.stacks:
                names = [p.frames[i]["function"] for i in st["frames"]
                         if p.frames[i]["file"] == path]
                if "run" not in names:
                    continue
                total += st["count"]
                own[names[-1]] = own.get(names[-1], 0) + st["count"]
                if any(pair not in calls for pair in zip(names, names[1:])):
                    impossible += st["count"]
            self.assertGreater(total, 300, p.data["samples"])
            return {f: 100.0 * own[f] / total for f in ("leaf", "middle", "run")}, \
                100.0 * impossible / total

        cpus = sorted(os.sched_getaffinity(0))
        one = str(cpus[-1])
        out = os.path.join(self.tmp, "one")
        env = dict(os.environ, **self.env())
        r = subprocess.run(["taskset", "-c", one] + wrapper() + [csprof_bin(), "record", "-o", out, "-n", "short_calls",
                            "-f", "json", "--", "taskset", "-c", one, *self.interp.argv,
                            workload("short_calls.py"), "1.5"],
                           capture_output=True, text=True, timeout=120, env=env)
        self.assertEqual(r.returncode, 0, r.stderr)
        ref, ref_impossible = shares(Profile(os.path.join(out, "short_calls.json")))
        self.assertLessEqual(ref_impossible, 2.0, ref)
        for when in ("auto", "every"):
            opts = ("-f", "json,md", "--same-cpu" if when == "auto" else "--same-cpu=every")
            _, placed = self.record("short_calls.py", "1.5", opts=opts)
            got, impossible = shares(placed)
            self.assertLessEqual(impossible, 2.0, (when, got))
            s = placed.data["samples"]
            self.assertEqual(s["taken"], sum(st["count"] for st in placed.stacks), s)
            if len(cpus) >= 2:
                self.assertGreater(s["beside"], 0.4 * s["ticks"], (when, s))
                # Beside the thread, a round stands for 4 ticks at 1000 Hz
                # with --same-cpu (250 a second), for one with =every.
                rounds = s["ticks"] - s["beside"] + s["beside"] / (4 if when == "auto" else 1)
                self.assertLess(abs(s["rounds"] - rounds), 0.1 * s["rounds"] + 10, (when, s))
            for f in ("leaf", "middle", "run"):
                self.assertLess(abs(got[f] - ref[f]), 10.0, (when, f, got, ref))
            summary = self.summary_of()
            self.assertNotIn("changed while csprof read them", summary)
            # With --same-cpu the summary says that those samples stood
            # for 4 ticks each (and the intervals widen); at every tick,
            # nothing.
            said = "were read from the script's own CPU, as its functions returned faster"
            if when == "auto" and len(cpus) >= 2:
                self.assertIn(said, summary)
                self.assertIn("sampled one tick in 4.", summary)
            else:
                self.assertNotIn(said, summary)
        # The default reads from another CPU than the script's, so its
        # stacks change under the read (40-80% of them here), and the
        # summary says so. Unless the other CPU is busy at that moment and
        # csprof runs beside the script after all (seen once in CI: 4.7%
        # moved, and 105 ticks waiting): then the run is tried again.
        for attempt in range(3):
            r, plain = self.record("short_calls.py", "1.5", opts=("-f", "json,md"))
            s = plain.data["samples"]
            self.assertEqual(s["beside"], 0, s)
            self.assertEqual(s["rounds"], s["ticks"], s)
            warned = "changed while csprof read them" in self.summary_of()
            self.assertEqual(warned, s["moved"] * 20 > s["taken"], s)
            if warned:
                break
        self.assertGreater(s["moved"], 0.05 * s["taken"], s)

    def summary_of(self):
        with open(os.path.join(self.tmp, "out", "short_calls.md"), encoding="utf-8") as f:
            return f.read()

    def test_target_exits_at_once(self):
        # Start-up changes stacks every few microseconds (imports). A torn
        # read is refused and retried, and what still does not hold together
        # is dropped and counted, never written. On 3.8-3.10 every frame is
        # its own heap object and a leaf that changes during the read fails
        # the chain's check. Measured on 3.8-3.10 over 30 start-ups each:
        # 0.5-1.2% of reads dropped on an earlier day, 5.3-5.6% on this VM
        # on 2026-11-30 (the dist binaries of 9ac5398, 04fd8ea and c06f403
        # drop as many that day: the machine, not a change, moved); eight
        # start-ups take ~110 samples, and 3 + 5% failed 1 of 3 interpreters
        # in a CI-style run. 3.11+ drop none. On 2026-11-30 (a later, slower
        # machine: eight start-ups took ~50 samples) 30 start-ups dropped
        # 10.2% of the reads on 3.10 and 6.2% on 3.9 with the landed binary
        # of feaac80, and 8.2-11.9% and 7.7-8.0% with this one, interleaved;
        # 3 + 10% failed 3.10 in a CI-style run. The bound is on eight
        # start-ups together, at twice the worst of those rates.
        # A start-up can also end before csprof has read a stack of it: 3
        # of 600 on 3.8 on 2026-12-01 (the binaries of c2f14c1 and 24a54aa
        # alike) took 2-3 ticks and no sample, and dropped none: the end of
        # a start-up that usually takes 7-14 ticks, so most likely csprof
        # found the interpreter only as it was finishing. So at most one of the
        # eight may take none, and none may lose what it read.
        taken = dropped = 0
        empty = []
        for _ in range(8):
            r, p = self.record("instant.py")
            self.assertEqual(p.data["exit_status"], 0)
            s = p.data["samples"]
            if s["taken"] == 0:
                self.assertEqual(s["dropped"], 0, s)
                empty.append(s)
            taken += s["taken"]
            dropped += s["dropped"]
        self.assertLessEqual(len(empty), 1, empty)
        self.assertLessEqual(dropped, 3 + taken / 4, (taken, dropped))

    def test_target_killed_by_sigkill(self):
        _, p = self.record("sigkill.py", expect_rc=128 + signal.SIGKILL)
        self.assertEqual(p.data["exit_status"], 128 + signal.SIGKILL)
        self.assertGreater(p.samples_in("doomed"), 100)

    def test_deep_stack_is_read_in_one_call(self):
        # 301 frames that stay put: from 3.11 one process_vm_readv per tick
        # copies them all (the data stack's top chunk in the window, its
        # older chunks in the far pages, the C stack's entry frame as a piece
        # of its own: pyreader_int.h, spec_memo), with the checks after
        # them. Before the far pages were copied with it, 3.12 made 3-4 reads
        # a tick here. Before 3.11 a tick is two reads (the thread state,
        # then the frame chain's batch). Attached once the stack is built:
        # start-up, whose every new code object is read, is not counted.
        deep = os.path.join(os.path.dirname(WORKLOADS), "bench", "deep_work.py")
        env = dict(os.environ)
        env.update(self.env())
        target = subprocess.Popen(list(self.interp.argv) + [deep, "298", "100000"],
                                  stdout=subprocess.DEVNULL, env=env)
        try:
            time.sleep(0.5)
            out = os.path.join(self.tmp, "out")
            r = run_csprof(["record", "--pid", str(target.pid), "-d", "1", "-o", out,
                            "-f", "json", "-n", "deep"])
            self.assertEqual(r.returncode, 0, r.stderr)
        finally:
            target.kill()
            target.wait()
        p = Profile(os.path.join(out, "deep.json"))
        sm = p.data["samples"]
        self.assertGreater(sm["ticks"], 300, sm)
        self.assertGreaterEqual(max(len(s["frames"]) for s in p.stacks), 301, sm)
        most = 1.3 if self.interp.minor >= (3, 11) else 2.6
        self.assertLessEqual(sm["reads"], most * sm["ticks"], sm)

    def test_attach_pid(self):
        env = dict(os.environ)
        env.update(self.env())
        target = subprocess.Popen(list(self.interp.argv) + [workload("attach_target.py"), "20"],
                                  stdout=subprocess.PIPE, text=True, env=env)
        try:
            self.assertEqual(target.stdout.readline().strip(), "ready")
            out = os.path.join(self.tmp, "out")
            r = run_csprof(["record", "--pid", str(target.pid), "-d", "1", "-o", out,
                            "-f", "json", "-n", "attached"])
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIsNone(target.poll(), "the target must keep running after we detach")
            p = Profile(os.path.join(out, "attached.json"))
            self.assertGreater(p.self_share("waiting_for_attach"), 90.0)
            # A stack that stays put: from 3.12 the code counter proves its
            # two code objects unchanged, and they are not read again, on
            # every kind of build here (3.12's counter is a symbol pyenv's
            # libpython keeps; 3.13's offset is known for the size of this
            # interpreter's PyInterpreterState: `make offsets`). Before 3.12
            # each tick re-reads them.
            taken, checks = p.data["samples"]["taken"], p.data["samples"]["code_checks"]
            self.assertGreater(taken, 500)
            if self.interp.minor >= (3, 12):
                self.assertLess(checks, taken / 20, p.data["samples"])
            else:
                self.assertGreaterEqual(checks, taken, p.data["samples"])
            self.assertIn(target.pid, [proc["pid"] for proc in p.data["processes"]])
            # The target is not left stopped or traced.
            with open(f"/proc/{target.pid}/status") as f:
                status = f.read()
            self.assertIn("TracerPid:\t0", status)
            self.assertNotRegex(status, r"State:\s+[tT]")
        finally:
            target.kill()
            target.wait()


def soft_file_limit_1024():
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(1024, hard), hard))


class ThreadChurn(TempDirTest):
    """A program that starts a thread per task: csprof gives up what it
    kept for each thread once that thread has ended. It kept four files
    open per thread (with --subprocesses) until the process ended: 2409
    after 600 threads, and under the common soft limit of 1024 files it
    could no longer ask a new thread whether it slept and counted its
    sleep as CPU time (766 samples in the sleep against 1061 in the
    spin). Asking after every thread it ever had also cost it 24-26%
    of a CPU here, 8-9% now."""

    def test_600_threads_one_after_another(self):
        for label in ("pyenv-3.10", "pyenv-3.12"):
            interp = next(i for i in pythons.all_interpreters() if i.label == label)
            with self.subTest(label):
                self.assertIsNone(interp.skip_reason)
                out = os.path.join(self.tmp, label)
                env = dict(interp.env or {})
                r = run_csprof(["record", "--subprocesses", "-o", out, "-f", "json", "--",
                                *interp.argv, workload("relay.py"), "600", "0.003", "0.003"],
                               env=env,
                               preexec_fn=soft_file_limit_1024)
                self.assertEqual(r.returncode, 0, r.stderr)
                p = Profile(os.path.join(out, "relay.json"))
                spun, napped = p.samples_in("relay_spin"), p.samples_in("relay_nap")
                fds = int(r.stdout.split()[-1])
                print(f"\n  {label}: spun {spun}, napped {napped}; csprof held {fds} files "
                      f"after {len(p.data['threads'])} threads", end="")
                # Threads of the last 100 ms (between two looks) may hold theirs.
                self.assertLess(fds, 150)
                self.assertGreater(len(p.data["threads"]), 300)
                self.assertGreater(spun, 900)   # 600 x 3 ms
                self.assertLess(napped, 0.05 * spun)


def _make_classes():
    for interp in pythons.all_interpreters():
        name = "TestRecord_" + "".join(c if c.isalnum() else "_" for c in interp.label)
        globals()[name] = type(name, (RecordMixin, TempDirTest), {"interp": interp})


_make_classes()


if __name__ == "__main__":
    unittest.main()
