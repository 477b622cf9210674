"""Free-threaded CPython (3.13t, 3.14t): threads that really run in parallel.

parallel4.py runs four threads, each burning CPU in its own function from
one start to one deadline, while the main thread waits in join(). On a
free-threaded build all four are running (or runnable) at every tick, so:

- each worker thread holds its share of the workers' CPU time in their
  samples (3 pp; the script prints each worker's own CPU time). By
  construction that is about 25%, but the kernel shares two CPUs among
  four threads fairly over seconds, not exactly: 23.6-27.6% measured;
  and its samples sit at its own spin lines;
- the same with csprof and all four pinned to one CPU: that CPU ran one
  of them when csprof took it, and csprof records that one alone, not
  every one that had a turn since the last tick (which took 4 in one tick,
  and on two CPUs put the shares 0.5-3.9 pp from the CPU time's, median
  1.5; now 0.1-1.2, median 0.4); their samples stand for their CPU time;
- some tick recorded as many stacks as there are CPUs, up to four
  (samples.max_per_tick): threads waiting for a CPU are not read;
- the main thread, blocked in join(), is counted idle, not sampled;
- the profile names the build: python.build == "free-threaded";
- on 3.14+ each thread carries the name its Thread was given.

One class per free-threaded interpreter in tests/pythons.py; one that could
not be built here is a SKIP with the reason. (max_per_tick alone hardly
tells a GIL build apart: threads waiting for the GIL wake at each switch
interval and are briefly on a CPU, so a tick may catch two.)
"""
import json
import os
import unittest

from common import WORKLOADS, Profile, TempDirTest, line_of, run_csprof
import pythons

SHARE_TOLERANCE = 3.0  # percentage points, as issue 13 asks
FUNCTIONS = ("burn_north", "burn_east", "burn_south", "burn_west")


class ParallelMixin:
    interp = None  # set per generated class

    def setUp(self):
        super().setUp()
        if self.interp.skip_reason:
            self.skipTest(f"{self.interp.label}: {self.interp.skip_reason}")

    def record_parallel4(self, **kw):
        script = os.path.join(WORKLOADS, "parallel4.py")
        out = os.path.join(self.tmp, "out")
        r = run_csprof(["record", "-o", out, "-f", "json", "--", *self.interp.argv, script, "3"],
                       env=self.interp.env, **kw)
        self.assertEqual(r.returncode, 0, r.stderr)
        p = Profile(os.path.join(out, "parallel4.json"))
        self.assertEqual(p.data["python"]["build"], "free-threaded")
        return p, json.loads(r.stdout.splitlines()[-1])

    def assert_shares_follow_cpu_time(self, p, cpu):
        """Each worker thread is identified by the function it burns in; its
        share is of all the workers' samples, next to its share of their
        CPU time as the script measured it (time.thread_time() at the
        deadline). Returns the workers' samples."""
        script = os.path.join(WORKLOADS, "parallel4.py")
        cpu_total = sum(cpu[fn] for fn in FUNCTIONS)
        per_thread, at_spin, tids = {}, {}, set()
        for fn in FUNCTIONS:
            spin = line_of(script, "SPIN-" + fn.split("_")[1])
            owners = {s["thread"] for s in p.stacks
                      if any(p.frames[i]["function"] == fn for i in s["frames"])}
            self.assertEqual(len(owners), 1, f"{fn} seen on threads {owners}")
            tid = owners.pop()
            tids.add(tid)
            per_thread[fn] = sum(s["count"] for s in p.stacks if s["thread"] == tid)
            at_spin[fn] = sum(s["count"] for s in p.stacks if s["thread"] == tid and p.leaf(s)
                              and p.leaf(s)["function"] == fn and p.leaf(s)["line"] in (spin - 1, spin))
        workers = sum(per_thread.values())
        self.assertEqual(len(tids), 4, "four distinct threads")
        self.assertGreater(workers, 1000, "too few samples for 4 threads x 3 s")
        for fn in FUNCTIONS:
            share = 100.0 * per_thread[fn] / workers
            truth = 100.0 * cpu[fn] / cpu_total
            self.assertLess(abs(share - truth), SHARE_TOLERANCE,
                            f"{fn}'s thread: {share:.1f}% of the workers' samples, {truth:.1f}% of "
                            f"their CPU time ({per_thread}, {cpu})")
            # Lines are right on every thread (3.14t: each may run its own
            # copy of the bytecode).
            self.assertGreater(at_spin[fn], per_thread[fn] // 2, f"{fn}: {at_spin[fn]} at its spin lines")
        return workers

    def test_four_threads_in_parallel(self):
        p, cpu = self.record_parallel4()
        d = p.data
        workers = self.assert_shares_follow_cpu_time(p, cpu)
        # Threads ran at the same moment: a thread is read only while it is
        # on a CPU (or in csprof's own CPU queue, csprof having just taken
        # that CPU from it), so a tick records as many as CPUs were running
        # them, one more at most. Two in one tick is what a GIL build, whose
        # waiting threads sleep on the GIL, cannot show.
        self.assertGreaterEqual(d["samples"]["max_per_tick"], min(4, len(os.sched_getaffinity(0))))
        # The main thread waits in join() while they run: counted idle about
        # once per tick of the workers' run, and hardly ever sampled there.
        self.assertGreater(d["samples"]["idle"], workers // 4 // 2)
        self.assertLess(p.samples_in("Thread.join"), workers // 4 // 10)
        if self.interp.version >= (3, 14):
            names = {t["name"] for t in d["threads"]}
            for fn in FUNCTIONS:
                self.assertIn(fn.replace("burn_", "w-"), names)

    def test_four_threads_on_one_cpu(self):
        # csprof and the script (which inherits it) on one CPU: when csprof
        # wakes, all four wait in that CPU's queue, one of them just taken
        # off it by csprof, and the others may have had a turn there since
        # the last tick.
        cpu_id = min(os.sched_getaffinity(0))
        p, cpu = self.record_parallel4(preexec_fn=lambda: os.sched_setaffinity(0, {cpu_id}))
        workers = self.assert_shares_follow_cpu_time(p, cpu)
        # One thread ran at a time: one stack per tick, two or three when
        # csprof was itself preempted in the middle of a read and one or two
        # threads had a turn then (seen in 1 of 7 runs, once in its 2,300
        # ticks; 3 in 2 of 45 runs of 2026-12-01, one by each of the
        # binaries of c2f14c1 and 24a54aa). Recording every thread that had a
        # turn since the last tick took 4 in 7 of 7. On average no more
        # than one a tick: 0.96-0.98 measured (ticks where csprof ran late
        # and none of them had a turn take none).
        s = p.data["samples"]
        self.assertLessEqual(s["max_per_tick"], 3, s)
        self.assertLessEqual(s["taken"], s["ticks"], s)
        # Their samples stand for their CPU time: 0.91-0.95 measured (at
        # about one tick in eight none of them had a turn since the last
        # one, the CPU having run csprof itself, late for the tick before);
        # taking every one that had a turn gave 1.01-1.09. With another
        # process spinning on that CPU too, 0.61-0.79 (the binary that took
        # them all: 0.82), hence the wide lower bound: it is there for a
        # sampler that loses that queue's samples outright.
        ratio = workers * p.data["interval_seconds"] / sum(cpu.values())
        self.assertGreater(ratio, 0.5)
        self.assertLess(ratio, 1.2)


def _make_classes():
    for interp in pythons.all_interpreters():
        if interp.build != "free-threaded":
            continue
        name = "TestParallel_" + "".join(c if c.isalnum() else "_" for c in interp.label)
        globals()[name] = type(name, (ParallelMixin, TempDirTest), {"interp": interp})


_make_classes()


if __name__ == "__main__":
    unittest.main()
