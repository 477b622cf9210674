"""Free-threaded CPython (3.13t, 3.14t): threads that really run in parallel.

parallel4.py runs four threads, each burning CPU in its own function from
one start to one deadline, while the main thread waits in join(). On a
free-threaded build all four are running (or runnable) at every tick, so:

- each function holds 25% of the workers' samples by construction (3 pp);
- the workers' samples add up to more than 3 per tick over the whole run,
  which (pigeonhole) means ticks that sampled all four;
- the main thread, blocked in join(), is counted idle, not sampled;
- the profile names the build: python.build == "free-threaded";
- on 3.14+ each thread carries the name its Thread was given.

One class per free-threaded interpreter in tests/pythons.py; one that could
not be built here is a SKIP with the reason. (On a GIL build the same
script fails the per-tick check: threads waiting for the GIL sleep.)
"""
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

    def test_four_threads_in_parallel(self):
        script = os.path.join(WORKLOADS, "parallel4.py")
        out = os.path.join(self.tmp, "out")
        r = run_csprof(["record", "-o", out, "-f", "json", "--", *self.interp.argv, script, "3"],
                       env=self.interp.env)
        self.assertEqual(r.returncode, 0, r.stderr)
        p = Profile(os.path.join(out, "parallel4.json"))
        d = p.data
        self.assertEqual(d["python"]["build"], "free-threaded")

        per_fn, owner = {}, {}
        for fn in FUNCTIONS:
            spin = line_of(script, "SPIN-" + fn.split("_")[1])
            per_fn[fn] = sum(s["count"] for s in p.stacks
                             if p.leaf(s) and p.leaf(s)["function"] == fn
                             and p.leaf(s)["line"] in (spin - 1, spin))
            owner[fn] = {s["thread"] for s in p.stacks
                         if any(p.frames[i]["function"] == fn for i in s["frames"])}
        workers = sum(per_fn.values())
        ticks = d["samples"]["ticks"]
        self.assertGreater(ticks, 300, "too few ticks for a 3 s run")
        for fn in FUNCTIONS:
            share = 100.0 * per_fn[fn] / workers
            self.assertLess(abs(share - 25.0), SHARE_TOLERANCE,
                            f"{fn}: {share:.1f}% of the workers' samples, expected 25%")
            self.assertEqual(len(owner[fn]), 1, f"{fn} seen on threads {owner[fn]}")
        self.assertEqual(len(set().union(*owner.values())), 4, "four distinct threads")
        self.assertGreater(workers, 3 * ticks,
                           f"{workers} worker samples in {ticks} ticks: no tick sampled all four")
        # The main thread sits in join() nearly all the time: counted idle at
        # most ticks, and hardly ever sampled as running.
        self.assertGreater(d["samples"]["idle"], ticks // 2)
        self.assertLess(p.samples_in("main"), ticks // 10)
        if self.interp.version >= (3, 14):
            names = {t["name"] for t in d["threads"]}
            for fn in FUNCTIONS:
                self.assertIn(fn.replace("burn_", "w-"), names)


def _make_classes():
    for interp in pythons.all_interpreters():
        if interp.build != "free-threaded":
            continue
        name = "TestParallel_" + "".join(c if c.isalnum() else "_" for c in interp.label)
        globals()[name] = type(name, (ParallelMixin, TempDirTest), {"interp": interp})


_make_classes()


if __name__ == "__main__":
    unittest.main()
