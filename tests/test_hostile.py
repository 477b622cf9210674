"""Hostile input gets a clear error, and nothing is harmed (issue #9 item 5).

- A function name built to break out of Markdown (10 backticks, <img>, a
  link, '|', a newline, multi-byte characters past every cut) stays inside
  its code span and table cell in the summary, `diff` and `ci` (rendered with
  cmark-gfm, GitHub's renderer), and every output is valid UTF-8.
- Links planted where csprof writes (OUT/NAME.svg.tmp, OUT/summary.md,
  SAVE_DIR/NAME.json.tmp, ...) are never written through.
- A baseline or profile that is a FIFO, or absurdly large, is refused at
  once (exit 66) instead of hanging; in `csprof ci` that is a warning.
- Every value of a profile JSON is range-checked: out of range -> exit 66
  naming the field.
- `--pid` of a zombie: "has exited" (65), not a permission problem.
"""
import copy
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

from common import ROOT, WORKLOADS, TempDirTest, csprof_bin, run_csprof

PY = "/usr/bin/python3.11"   # Debian's, 3.11: names are the function object's __qualname__
HOSTILE = os.path.join(WORKLOADS, "hostile_names.py")
HOSTILE_PREFIX = ("evil" + "`" * 10 + "<img src=x onerror=alert(1)>" + "`" * 7 +
                  "|[click](https://e.example/x) ## heading")


def gfm_html(path):
    """GitHub-flavoured Markdown to HTML with cmark-gfm (installed by the test
    set-up; its absence is a failure, not a skip)."""
    cm = shutil.which("cmark-gfm")
    assert cm, "cmark-gfm is not installed (make test installs it: src/tools/packages.txt)"
    r = subprocess.run([cm, "--unsafe", "-e", "table", "-e", "autolink", "-e", "strikethrough",
                        "-e", "tagfilter", path], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return r.stdout


class MarkdownChecks:
    def assert_inert(self, html):
        """Nothing of the hostile name became markup."""
        self.assertNotIn("<img", html)
        self.assertNotIn("e.example", " ".join(re.findall(r'href="([^"]*)"', html)))
        self.assertNotRegex(html, r"<h\d>heading")
        for t in re.findall(r"<table>(.*?)</table>", html, re.S):
            rows = re.findall(r"<tr>(.*?)</tr>", t, re.S)
            widths = {len(re.findall(r"<t[hd][ >]", r)) for r in rows}
            self.assertEqual(len(widths), 1, t[:3000])
        # the name shows as itself (escaped for HTML), inside one code element
        shown = ("evil" + "`" * 10 + "&lt;img src=x onerror=alert(1)&gt;" + "`" * 7 +
                 "|[click](https://e.example/x) ## heading")
        codes = [c.replace("?", " ")   # a newline arrives as "?": see test_summary_and_every_output
                 for c in re.findall(r"<code>(.*?)</code>", html, re.S) if "evil" in c]
        self.assertTrue(codes, html[:3000])
        full = shown + "é" * 40 + "名" * 40
        for c in codes:   # cut (with "…") at a character boundary, or whole
            self.assertGreater(len(c), 40, c)
            self.assertTrue(full.startswith(c.removesuffix("…")), c)

    def assert_utf8(self, path):
        with open(path, "rb") as f:
            data = f.read()
        try:
            data.decode("utf-8", errors="strict")
        except UnicodeDecodeError as e:
            self.fail(f"{path} is not valid UTF-8: {e}")


class HostileNames(TempDirTest, MarkdownChecks):
    def record(self, out, name="hostile", seconds="0.6"):
        r = run_csprof(["record", "-o", out, "-n", name, "-f",
                        "svg,json,md,text,folded,speedscope,pprof", "--", PY, HOSTILE, seconds])
        self.assertEqual(r.returncode, 0, r.stderr)
        return os.path.join(out, name)

    def test_summary_and_every_output(self):
        stem = self.record(self.tmp)
        with open(stem + ".json", encoding="utf-8") as f:
            names = {fr["function"] for fr in json.load(f)["frames"]}
        # The reader turns control characters of a function object's name
        # into "?" (pynames.c); everything else arrives as the target had it.
        self.assertTrue(any(n.startswith(HOSTILE_PREFIX.replace(" ## heading", "?## heading"))
                            for n in names), names)
        self.assert_inert(gfm_html(stem + ".md"))
        for suffix in (".svg", ".json", ".md", ".txt", ".folded", ".speedscope.json"):
            self.assert_utf8(stem + suffix)

    def test_diff_markdown(self):
        stem = self.record(self.tmp)
        with open(stem + ".json", encoding="utf-8") as f:
            doc = json.load(f)
        # a baseline where the hostile function took a tenth of the samples
        base = copy.deepcopy(doc)
        # (imports are left out of the comparison, so the baseline also gets
        # the time beneath the hostile function's caller that it lost)
        extra = []
        for s in base["stacks"]:
            fr = s["frames"]
            k = next((j for j, i in enumerate(fr) if base["frames"][i]["function"].startswith("evil")), None)
            if k is not None and k > 0:
                extra.append({"thread": s["thread"], "idle": s.get("idle", False),
                              "frames": fr[:k], "count": s["count"]})
                s["count"] = max(1, s["count"] // 10)
        base["stacks"].extend(extra)
        # The baseline "ran on" a CPU named like the hostile function (a
        # profile file is untrusted text): the Runner line shows it inert.
        evil = next(f["function"] for f in doc["frames"] if f["function"].startswith("evil"))
        base["runner_cpu"] = evil.encode()[:200].decode(errors="ignore")
        bpath = os.path.join(self.tmp, "base.json")
        with open(bpath, "w", encoding="utf-8") as f:
            json.dump(base, f)
        out = os.path.join(self.tmp, "d.md")
        r = run_csprof(["diff", bpath, stem + ".json", "-f", "md", "-o", out])
        self.assertEqual(r.returncode, 0, r.stderr)
        html = gfm_html(out)
        self.assertIn("Slower", html)
        with open(out, encoding="utf-8") as f:
            runner = [line for line in f if line.startswith("Runner: ")]
        self.assertEqual(len(runner), 1)
        self.assertIn("; the baseline ran on " + "`" * 11 + " evil", runner[0])   # a longer fence
        self.assert_inert(html)
        self.assert_utf8(out)

    def test_ci_summary(self):
        shutil.copy(HOSTILE, os.path.join(self.tmp, "hostile_names.py"))
        env = dict(os.environ, CSPROF_OUTPUT_DIR=self.tmp, GITHUB_WORKSPACE=self.tmp,
                   CSPROF_BASELINE="none", CSPROF_SCRIPTS="hostile_names.py 0.6", CSPROF_PYTHON=PY)
        for k in ("GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY"):
            env.pop(k, None)
        r = subprocess.run([csprof_bin(), "ci"], cwd=self.tmp, env=env, capture_output=True,
                           text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        summary = os.path.join(self.tmp, "summary.md")
        self.assert_inert(gfm_html(summary))
        self.assert_utf8(summary)


class PlantedLinks(TempDirTest):
    def victim(self, name):
        path = os.path.join(self.tmp, name)
        with open(path, "w") as f:
            f.write("precious")
        return path

    def assert_untouched(self, *victims):
        for v in victims:
            with open(v) as f:
                self.assertEqual(f.read(), "precious", v)

    def test_record_and_report_never_write_through_links(self):
        out = os.path.join(self.tmp, "out")
        os.mkdir(out)
        v1, v2, v3 = self.victim("v1"), self.victim("v2"), self.victim("v3")
        os.symlink(v1, os.path.join(out, "w.svg.tmp"))
        os.symlink(v2, os.path.join(out, "w.md"))
        os.symlink(v3, os.path.join(out, "w.json.tmp"))
        r = run_csprof(["record", "-q", "-o", out, "-n", "w", "-f", "svg,md,json", "--",
                        PY, "-c", "sum(range(3000000))"])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assert_untouched(v1, v2, v3)
        for name in ("w.svg", "w.md", "w.json"):
            self.assertTrue(os.path.isfile(os.path.join(out, name)) and
                            not os.path.islink(os.path.join(out, name)), name)
        # report and diff write the same way
        os.symlink(v1, os.path.join(out, "r.svg.tmp"))
        os.symlink(v2, os.path.join(out, "d.md.tmp"))
        r = run_csprof(["report", os.path.join(out, "w.json"), "-f", "svg", "-o",
                        os.path.join(out, "r.svg")])
        self.assertEqual(r.returncode, 0, r.stderr)
        j = os.path.join(out, "w.json")
        r = run_csprof(["diff", j, j, "-f", "md", "-o", os.path.join(out, "d.md")])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assert_untouched(v1, v2, v3)

    def test_ci_summary_and_baseline_save(self):
        work, save = os.path.join(self.tmp, "work"), os.path.join(self.tmp, "save")
        os.mkdir(work)
        os.mkdir(save)
        v1, v2, v3 = self.victim("v1"), self.victim("v2"), self.victim("v3")
        os.symlink(v1, os.path.join(work, "summary.md"))
        os.symlink(v2, os.path.join(save, "job.json.tmp"))
        os.symlink(v3, os.path.join(save, "job.json"))
        with open(os.path.join(work, "job.py"), "w") as f:
            f.write("sum(range(3000000))\n")
        env = dict(os.environ, CSPROF_OUTPUT_DIR=work, GITHUB_WORKSPACE=work, CSPROF_BASELINE="none",
                   CSPROF_SCRIPTS="job.py", CSPROF_PYTHON=PY, CSPROF_BASELINE_SAVE_DIR=save)
        for k in ("GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY"):
            env.pop(k, None)
        r = subprocess.run([csprof_bin(), "ci"], cwd=work, env=env, capture_output=True, text=True,
                           timeout=120)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertNotIn("::warning", r.stdout)
        self.assert_untouched(v1, v2, v3)
        for path in (os.path.join(work, "summary.md"), os.path.join(save, "job.json")):
            self.assertTrue(os.path.isfile(path) and not os.path.islink(path), path)
        with open(os.path.join(save, "job.json"), encoding="utf-8") as f:
            self.assertEqual(json.load(f)["schema"], "csprof-profile")


GOOD = {
    "schema": "csprof-profile", "schema_version": 1, "name": "t", "command": ["python3", "x.py"],
    "start_time": "2026-11-24T20:02:22Z", "wall_seconds": 1.0, "exit_status": 0,
    "rate_hz": 1000.0, "interval_seconds": 0.001, "sampler_cpu_seconds": 0.01,
    "samples": {"ticks": 12, "taken": 12, "dropped": 0, "idle": 0},
    "processes": [{"pid": 10, "ppid": 1, "command": "python3 x.py", "python_version": "3.11.2"}],
    "threads": [{"pid": 10, "tid": 10, "name": "python3"}],
    "frames": [{"function": "main", "file": "x.py", "line": 3, "first_line": 1, "kind": "python"},
               {"function": "f", "file": "x.py", "line": 9, "first_line": 8, "kind": "python"}],
    "stacks": [{"thread": 0, "idle": False, "frames": [0, 1], "count": 10},
               {"thread": 0, "idle": False, "frames": [0], "count": 2}],
}


def mutate(doc, path, value):
    """Set doc[path...] = value; path like "stacks.0.count"."""
    keys = [int(k) if k.isdigit() else k for k in path.split(".")]
    obj = doc
    for k in keys[:-1]:
        obj = obj[k]
    obj[keys[-1]] = value


class ProfileRanges(TempDirTest):
    # (where, value, what the message must name)
    CASES = [
        ("samples.ticks", 2**63 - 1, "samples.ticks"),
        ("samples.dropped", -1, "samples.dropped"),
        ("samples.idle", 2**62, "samples.idle"),
        ("stacks.0.count", 2**63 - 1, "stacks[0].count"),
        ("stacks.0.count", 2**48 - 1, "stacks[1].count"),   # the sum overflows the bound
        ("stacks.0.thread", 7, "stacks[0].thread"),
        ("stacks.1.frames", [0, 99], "stacks[1].frames[1]"),
        ("stacks.0.idle", "yes", "stacks[0].idle"),
        ("start_time", "2300-01-01T00:00:00Z", "start_time"),
        ("start_time", "2026-13-01T00:00:00Z", "start_time"),
        ("start_time", 5, "start_time"),
        ("wall_seconds", 1e300, "wall_seconds"),
        ("wall_seconds", -2.0, "wall_seconds"),
        ("wall_seconds", "fast", "wall_seconds"),
        ("rate_hz", 1e-300, "rate_hz"),
        ("interval_seconds", 1e-300, "interval_seconds"),
        ("sampler_cpu_seconds", 1e200, "sampler_cpu_seconds"),
        ("exit_status", 99999, "exit_status"),
        ("runner_cpu", "x" * 201, "runner_cpu"),
        ("runner_cpu", "", "runner_cpu"),
        ("runner_cpu", 7, "runner_cpu"),
        ("threads.0.tid", -5, "threads[0].tid"),
        ("processes.0.pid", 2**40, "processes[0].pid"),
        ("frames.1.line", 2**40, "frames[1].line"),
        ("frames.1.first_line", -3, "frames[1].first_line"),
        ("frames.0.function", 42, "frames[0].function"),
        ("frames.0.kind", "quantum", "frames[0].kind"),
        ("command", "python3 x.py", "command"),
        ("native", "no", "native"),
    ]

    def test_good_profile_reads(self):
        path = os.path.join(self.tmp, "good.json")
        with open(path, "w") as f:
            json.dump(GOOD, f)
        for args in (["report", path, "-f", "text"], ["diff", path, path]):
            r = run_csprof(args)
            self.assertEqual(r.returncode, 0, (args, r.stderr))

    def test_out_of_range_exits_66_naming_the_field(self):
        good = os.path.join(self.tmp, "good.json")
        with open(good, "w") as f:
            json.dump(GOOD, f)
        for i, (where, value, field) in enumerate(self.CASES):
            doc = copy.deepcopy(GOOD)
            mutate(doc, where, value)
            path = os.path.join(self.tmp, f"bad{i}.json")
            with open(path, "w") as f:
                json.dump(doc, f)
            for args in (["report", path, "-f", "svg", "-o", os.path.join(self.tmp, "x.svg")],
                         ["diff", good, path, "-f", "md", "-o", os.path.join(self.tmp, "x.md")]):
                r = run_csprof(args)
                self.assertEqual(r.returncode, 66, (where, value, args, r.stderr))
                self.assertIn(field, r.stderr, (where, value))
                self.assertEqual(r.stderr.count("\n"), 1, r.stderr)


class NotAProfile(TempDirTest):
    def test_fifo_and_huge_files_are_refused_at_once(self):
        fifo = os.path.join(self.tmp, "base.json")
        os.mkfifo(fifo)
        huge = os.path.join(self.tmp, "huge.json")
        with open(huge, "wb") as f:
            f.truncate((1 << 30) + 1)   # sparse: no disk used
        good = os.path.join(self.tmp, "good.json")
        with open(good, "w") as f:
            json.dump(GOOD, f)
        for bad, why in ((fifo, "not a regular file"), (huge, "bytes")):
            for args in (["report", bad], ["diff", bad, good]):
                r = run_csprof(args, timeout=30)
                self.assertEqual(r.returncode, 66, (args, r.stderr))
                self.assertIn(why, r.stderr)

    def test_ci_with_a_fifo_baseline_warns_and_finishes(self):
        fifo = os.path.join(self.tmp, "job.json")
        os.mkfifo(fifo)
        work = os.path.join(self.tmp, "work")
        os.mkdir(work)
        with open(os.path.join(work, "job.py"), "w") as f:
            f.write("sum(range(3000000))\n")
        env = dict(os.environ, CSPROF_OUTPUT_DIR=work, GITHUB_WORKSPACE=work, CSPROF_BASELINE=fifo,
                   CSPROF_SCRIPTS="job.py", CSPROF_PYTHON=PY)
        for k in ("GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY"):
            env.pop(k, None)
        r = subprocess.run([csprof_bin(), "ci"], cwd=work, env=env, capture_output=True, text=True,
                           timeout=120)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("::warning", r.stdout)
        self.assertIn("not a regular file", r.stderr)


class ZombiePid(unittest.TestCase):
    def test_zombie_is_a_process_that_has_exited(self):
        child = subprocess.Popen([sys.executable, "-c", "pass"])
        try:
            for _ in range(500):   # until it has exited and is not yet reaped
                with open(f"/proc/{child.pid}/stat") as f:
                    if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                        break
                time.sleep(0.01)
            else:
                self.fail("the child never became a zombie")
            r = run_csprof(["record", "--pid", str(child.pid), "-d", "1", "-o",
                            tempfile.gettempdir()])
            self.assertEqual(r.returncode, 65, r.stderr)
            self.assertIn(f"process {child.pid} has exited", r.stderr)
            self.assertNotIn("another user", r.stderr)
        finally:
            child.wait()


if __name__ == "__main__":
    unittest.main()
