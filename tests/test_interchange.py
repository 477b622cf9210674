"""The interchange formats read by other people's tools, and `csprof report`.

Profiles here are generated in Python from a fixed seed and saved as csprof
profile JSON; their per-function self/total counts are computed here,
independently of csprof, and compared with:
  - `go tool pprof -top` on our NAME.pb.gz (flat/cum per function, totals),
    and with csprof's own per-function statistics as its text report prints
    them (the "samples (self / total)" column);
  - speedscope's own importer (from the npm package, tests/node) on our
    NAME.speedscope.json: per-thread totals and per-frame self weights;
  - Python's gzip module and gzip(1) on the .pb.gz (the ratio is printed);
  - GitHub's Markdown renderer, cmark-gfm, on the .md summary.
A missing go, node (or its speedscope package) or cmark-gfm skips that test
with the reason printed.
"""
import gzip
import json
import os
import random
import re
import shutil
import subprocess
import unittest

from common import ROOT, TempDirTest, run_csprof

PERIOD_S = 0.01
PERIOD_NS = 10_000_000


def make_profile(seed=1, nfuncs=60, nstacks=400, nthreads=4, idle=True, hostile=False):
    """A csprof-profile v1 document with thread roots, idle stacks, native
    frames and recursion. Function names are unique (pprof aggregates by
    name)."""
    rnd = random.Random(seed)
    frames, index = [], {}

    def frame(function, file, line, first, kind="python"):
        key = (function, file, line, first, kind)
        if key not in index:
            index[key] = len(frames)
            frames.append({"function": function, "file": file, "line": line,
                           "first_line": first, "kind": kind})
        return index[key]

    funcs = []
    for i in range(nfuncs):
        kind = "native" if i % 9 == 8 else "python"
        if i % 4 == 0:
            file = f"/w/app/mod{i % 5}.py"
        elif i % 4 == 1:
            file = f"/usr/lib/python3.12/pkg{i % 3}/m.py"
        elif i % 4 == 2:
            file = f"/venv/lib/python3.12/site-packages/lib{i % 4}/core.py"
        else:
            file = f"/w/app/sub/util{i % 7}.py"
        name = f"fn_{i}"
        if i == 1:
            name = "<lambda>"
        if i == 2:
            name = "Klass.méthode_π"
        if hostile and i == 3:
            name = "a|b`c<b>*x*_y_[z](u)"
        if kind == "native":
            file = "/usr/lib/x86_64-linux-gnu/libfoo.so.1"
        first = 1 + 10 * i if kind == "python" else 0
        funcs.append((name, file, first, kind))
    module = frame("<module>", "/w/app/main.py", 3, 1)
    threads = [{"pid": 4242, "tid": 4242 + t, "name": "MainThread" if t == 0 else f"worker-{t}"}
               for t in range(nthreads)]
    roots = [frame(f"thread {t['tid']} ({t['name']})", None, 0, 0, "thread") for t in threads]
    stacks = []
    for _ in range(nstacks):
        t = rnd.randrange(nthreads)
        depth = rnd.randrange(0, 9)
        chain = [module]
        for _ in range(depth):
            name, file, first, kind = funcs[rnd.randrange(nfuncs)]
            line = first + rnd.randrange(0, 4) if kind == "python" else 0
            chain.append(frame(name, file, line, first, kind))
        if rnd.random() < 0.1 and depth:
            chain.append(chain[-1])  # direct recursion
        stacks.append({"thread": t, "idle": idle and rnd.random() < 0.08,
                       "frames": [roots[t]] + chain, "count": rnd.randrange(1, 40)})
    return {
        "schema": "csprof-profile", "schema_version": 1,
        "csprof": {"version": "0.1.0", "commit": "test"},
        "command": ["python3", "main.py"], "name": "gen", "script": "main.py",
        "cwd": "/w", "workspace": "/w", "git_commit": "0123456789abcdef",
        "python": {"version": "3.12.1", "interpreter": "/usr/bin/python3.12"},
        "start_time": "2026-11-24T19:30:00Z", "wall_seconds": 12.5, "exit_status": 0,
        "rate_hz": 100, "interval_seconds": PERIOD_S, "native": True,
        "idle_included": idle, "subprocesses": False, "note": None,
        "samples": {"ticks": 1, "taken": sum(s["count"] for s in stacks), "dropped": 3,
                    "idle": 0},
        "processes": [{"pid": 4242, "ppid": 1, "command": "python3 main.py",
                       "python_version": "3.12.1"}],
        "threads": threads, "frames": frames, "stacks": stacks,
    }


def expected_stats(doc):
    """Per function name: (self, total) sample counts, total counted once per
    sample; plus the sample total and idle leaf samples per name."""
    frames = doc["frames"]
    stats, idle_leaf, total = {}, {}, 0
    for s in doc["stacks"]:
        total += s["count"]
        real = [frames[i] for i in s["frames"] if frames[i]["kind"] in ("python", "native")]
        for name in {f["function"] for f in real}:
            st = stats.setdefault(name, [0, 0])
            st[1] += s["count"]
        if real:
            leaf = real[-1]["function"]
            stats[leaf][0] += s["count"]
            if s["idle"]:
                idle_leaf[leaf] = idle_leaf.get(leaf, 0) + s["count"]
    return stats, idle_leaf, total


def tool_env(tmp):
    env = dict(os.environ)
    env.setdefault("HOME", tmp)
    env["PPROF_TMPDIR"] = tmp
    env.setdefault("GOCACHE", os.path.join(tmp, "gocache"))
    return env


class InterchangeTest(TempDirTest):
    def save(self, doc, name="gen.json"):
        path = os.path.join(self.tmp, name)
        with open(path, "w", encoding="utf-8") as f:
            json.dump(doc, f)
        return path

    def report(self, path, *args):
        r = run_csprof(["report", path, *args])
        self.assertEqual(r.returncode, 0, r.stderr)
        return r


class TestPprof(InterchangeTest):
    def go_top(self, pb, sample_index):
        go = shutil.which("go")
        if not go:
            self.skipTest("go not found (apt-get install golang-go)")
        r = subprocess.run([go, "tool", "pprof", "-top", f"-sample_index={sample_index}",
                            "-nodefraction=0", "-edgefraction=0", "-nodecount=1000000",
                            "-unit=ns", pb],
                           capture_output=True, text=True, timeout=300, env=tool_env(self.tmp))
        self.assertEqual(r.returncode, 0, r.stderr)
        m = re.search(r"Showing nodes accounting for (\d+)(?:ns)?, [\d.]+% of (\d+)(?:ns)? total",
                      r.stdout)
        self.assertIsNotNone(m, r.stdout)
        rows = {}
        for line in r.stdout.splitlines():
            parts = line.split(None, 5)
            if len(parts) == 6 and re.fullmatch(r"\d+(ns)?", parts[0]) and parts[1].endswith("%"):
                num = lambda s: int(s[:-2]) if s.endswith("ns") else int(s)
                rows[parts[5]] = (num(parts[0]), num(parts[3]))
        return int(m.group(2)), rows, r.stdout

    def csprof_stats(self, path):
        """csprof's own prof_function_stats, as its text report prints them."""
        r = self.report(path, "-f", "text")
        stats = {}
        section = r.stdout.split("functions by total time\n", 1)[1].split("\n\n", 1)[0]
        for line in section.splitlines()[1:]:
            m = re.match(r"\s*\d+\s+(.*?)\s{2,}.*\s(\d[\d,]*) / (\d[\d,]*)\s", line)
            self.assertIsNotNone(m, line)
            stats[m.group(1)] = (int(m.group(2).replace(",", "")),
                                 int(m.group(3).replace(",", "")))
        return stats

    def test_go_pprof_top_matches_profile(self):
        doc = make_profile(seed=7)
        path = self.save(doc)
        pb = os.path.join(self.tmp, "gen.pb.gz")
        self.report(path, "-f", "pprof", "-o", pb)
        want, _, total = expected_stats(doc)

        got_total, rows, out = self.go_top(pb, "samples")
        self.assertEqual(got_total, total)
        self.assertEqual(sum(f for f, _ in rows.values()), total, out)
        for name, (self_n, tot_n) in want.items():
            self.assertIn(name, rows, out)
            self.assertEqual(rows[name], (self_n, tot_n), name)
        self.assertEqual(set(rows), set(want))

        # the cpu sample type: the same in nanoseconds
        got_ns, rows_ns, _ = self.go_top(pb, "cpu")
        self.assertEqual(got_ns, total * PERIOD_NS)
        for name, (self_n, tot_n) in want.items():
            self.assertEqual(rows_ns[name], (self_n * PERIOD_NS, tot_n * PERIOD_NS), name)

        # and csprof's own statistics (top 20 by total) agree with pprof's
        mine = self.csprof_stats(path)
        self.assertEqual(len(mine), 20)
        for name, (self_n, tot_n) in mine.items():
            self.assertEqual(rows[name], (self_n, tot_n), name)
        # pprof's top function by flat is csprof's top bottleneck
        top_flat = max(rows.items(), key=lambda kv: (kv[1][0], kv[1][1]))[0]
        md = self.report(path, "-f", "md").stdout
        first = re.search(r"^\| 1 \| `([^`]*)` \|", md, re.M)
        self.assertIsNotNone(first, md)
        self.assertEqual(rows[first.group(1)][0], rows[top_flat][0])

    def test_pprof_is_gzip_that_python_and_gzip_read(self):
        doc = make_profile(seed=3, nfuncs=400, nstacks=20000, nthreads=8)
        path = self.save(doc)
        pb = os.path.join(self.tmp, "big.pb.gz")
        self.report(path, "-f", "pprof", "-o", pb)
        raw = gzip.decompress(open(pb, "rb").read())
        self.assertEqual(subprocess.run(["gzip", "-t", pb]).returncode, 0)
        z = subprocess.run(["gzip", "-dc", pb], capture_output=True)
        self.assertEqual(z.returncode, 0)
        self.assertEqual(z.stdout, raw)
        size = os.path.getsize(pb)
        print(f"\n    pprof: {len(raw)} bytes of protobuf -> {size} bytes gzipped "
              f"(ratio {size / len(raw):.3f}) for {len(doc['stacks'])} stacks")
        self.assertLess(size, len(raw) * 0.6)  # real compression, not stored blocks
        # the gzip header: deflate, no name, mtime 0 (reproducible)
        head = open(pb, "rb").read(10)
        self.assertEqual(head[:4], b"\x1f\x8b\x08\x00")
        self.assertEqual(head[4:8], b"\0\0\0\0")


class TestSpeedscope(InterchangeTest):
    def load(self, path, totals_only=False):
        node = shutil.which("node")
        if not node:
            self.skipTest("node not found (apt-get install nodejs)")
        script = os.path.join(ROOT, "tests", "node", "speedscope_import.js")
        if not os.path.isdir(os.path.join(ROOT, "node_modules", "speedscope")):
            self.skipTest("the speedscope npm package is not installed (npm ci in the repo root)")
        args = [node, script] + (["--totals"] if totals_only else []) + [path]
        r = subprocess.run(args, capture_output=True, text=True, timeout=300)
        self.assertEqual(r.returncode, 0, r.stderr)
        return json.loads(r.stdout)

    def test_speedscope_importer_totals(self):
        doc = make_profile(seed=11, nthreads=5)
        path = self.save(doc)
        out = os.path.join(self.tmp, "gen.speedscope.json")
        self.report(path, "-f", "speedscope", "-o", out)
        group = self.load(out)
        want, idle_leaf, total = expected_stats(doc)

        # one profile per thread that has samples, named after it
        per_thread = {}
        for s in doc["stacks"]:
            per_thread[s["thread"]] = per_thread.get(s["thread"], 0) + s["count"]
        self.assertEqual(len(group["profiles"]), len(per_thread))
        by_name = {p["name"]: p for p in group["profiles"]}
        for t, n in per_thread.items():
            th = doc["threads"][t]
            name = f"thread {th['tid']} ({th['name']}), pid {th['pid']}"
            self.assertIn(name, by_name)
            self.assertEqual(by_name[name]["unit"], "nanoseconds")
            self.assertEqual(by_name[name]["totalWeight"], n * PERIOD_NS)
        self.assertEqual(sum(p["totalWeight"] for p in group["profiles"]), total * PERIOD_NS)

        # per frame self weight, summed over threads: non-idle self samples
        # of the function; idle ones are under [idle]
        self_w = {}
        for p in group["profiles"]:
            for f in p["frames"]:
                self_w[f["name"]] = self_w.get(f["name"], 0) + f["self"]
        for name, (self_n, _) in want.items():
            self.assertEqual(self_w.get(name, 0), (self_n - idle_leaf.get(name, 0)) * PERIOD_NS,
                             name)
        self.assertEqual(self_w.get("[idle]", 0), sum(idle_leaf.values()) * PERIOD_NS)
        # frames carry file and first line
        frames = {f["name"]: f for p in group["profiles"] for f in p["frames"]}
        self.assertEqual(frames["<module>"]["file"], "/w/app/main.py")
        self.assertEqual(frames["<module>"]["line"], 1)
        self.assertIn("Klass.méthode_π", frames)


class TestMarkdown(InterchangeTest):
    def render_gfm(self, md_path):
        cm = shutil.which("cmark-gfm")
        if not cm:
            self.skipTest("cmark-gfm not found (apt-get install cmark-gfm)")
        r = subprocess.run([cm, "--unsafe", "-e", "table", "-e", "autolink", "-e",
                            "strikethrough", "-e", "tagfilter", md_path],
                           capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout

    def check_tables(self, html):
        tables = re.findall(r"<table>(.*?)</table>", html, re.S)
        for t in tables:
            rows = re.findall(r"<tr>(.*?)</tr>", t, re.S)
            widths = {len(re.findall(r"<t[hd][ >]", r)) for r in rows}
            self.assertEqual(len(widths), 1, t[:2000])
        return tables

    def test_gfm_renders_tables_links_and_escapes(self):
        doc = make_profile(seed=5, hostile=True)
        # make the hostile function the top one
        hostile = next(i for i, f in enumerate(doc["frames"]) if f["function"].startswith("a|b"))
        doc["stacks"].append({"thread": 0, "idle": False, "frames": [doc["stacks"][0]["frames"][0],
                              hostile], "count": 5000})
        path = self.save(doc)
        md = os.path.join(self.tmp, "gen.md")
        env = {"GITHUB_SERVER_URL": "https://github.com", "GITHUB_REPOSITORY": "acme/app",
               "GITHUB_SHA": "feedbeef"}
        r = run_csprof(["report", path, "-f", "md", "-o", md, "--top", "5"], env=env)
        self.assertEqual(r.returncode, 0, r.stderr)
        html = self.render_gfm(md)
        tables = self.check_tables(html)
        self.assertGreaterEqual(len(tables), 3)  # top, by total, threads
        # the hostile name is one code span, its markup inert
        self.assertIn("<code>a|b`c&lt;b&gt;*x*_y_[z](u)</code>", html)
        self.assertNotIn("<b>", html)
        # the same outside tables (the hint list): no stray backslash
        self.assertRegex(html, r"<li><code>a\|b`c&lt;b&gt;\*x\*_y_\[z\]\(u\)</code> line \d+ —")
        self.assertNotIn("a\\|b", html)
        # your code links to the repository at the commit, with the line
        self.assertRegex(html, r'href="https://github.com/acme/app/blob/feedbeef/app/[^"]+\.py#L\d+"')
        self.assertNotIn("site-packages", re.findall(r'href="([^"]+)"', html).__str__())
        self.assertIn("<details>", html)
        self.assertEqual(html.count("<details>"), html.count("</details>"))

    def test_big_profile_summary_is_small_and_valid(self):
        doc = make_profile(seed=9, nfuncs=3000, nstacks=30000, nthreads=300, hostile=True)
        path = self.save(doc)
        md = os.path.join(self.tmp, "big.md")
        self.report(path, "-f", "md", "-o", md, "--top", "100")
        size = os.path.getsize(md)
        print(f"\n    markdown summary: {size} bytes for {len(doc['stacks'])} stacks, "
              f"300 threads, 100 rows asked")
        self.assertLess(size, 65536)
        self.check_tables(self.render_gfm(md))


def huge_profile(nfuncs=100_000, nthreads=1000, seed=4):
    """nfuncs distinct functions (every one a leaf somewhere), hostile long
    names and paths, nthreads threads in 3 processes, idle stacks."""
    rnd = random.Random(seed)
    frames = []
    for i in range(nfuncs):
        frames.append({
            "function": f"f{i}|`x`|``<b>*_" + ("long " * 30 if i % 7 == 0 else ""),
            "file": f"/w/src/{'very/deep/path/' * (i % 5)}m{i} | [x].py",
            "line": 1 + i % 500, "first_line": 1 + i % 400,
            "kind": "native" if i % 4 == 3 else "python"})
    threads = [{"pid": 1 + t % 3, "tid": 100 + t, "name": f"worker|{t}`"} for t in range(nthreads)]
    stacks = []
    for s in range(nfuncs):
        fr = [rnd.randrange(nfuncs) for _ in range(1 + rnd.randrange(24))]
        fr[-1] = s
        stacks.append({"thread": rnd.randrange(nthreads), "idle": rnd.random() < 0.1,
                       "frames": fr, "count": 1 + rnd.randrange(5)})
    return {"schema": "csprof-profile", "schema_version": 1, "name": "huge", "script": "huge.py",
            "workspace": "/w", "cwd": "/w", "rate_hz": 100, "interval_seconds": PERIOD_S,
            "idle_included": True, "command": ["python3", "huge.py"], "threads": threads,
            "frames": frames, "stacks": stacks, "processes": []}


class TestHugeProfile(InterchangeTest):
    """100k distinct functions: the summary stays small and valid, and every
    sample is accounted for in pprof and speedscope."""

    def test_markdown_under_64k_and_valid(self):
        path = self.save(huge_profile())
        md = os.path.join(self.tmp, "huge.md")
        self.report(path, "-f", "md", "-o", md, "--top", "100")
        size = os.path.getsize(md)
        print(f"\n    markdown: {size} bytes for 100000 functions, 1000 threads, top 100")
        self.assertLess(size, 65536)
        text = open(md, encoding="utf-8").read()
        kinds = re.search(r"^Self time by kind of code: (.*)$", text, re.M).group(1)
        self.assertAlmostEqual(sum(float(x) for x in re.findall(r"([\d.]+)%", kinds)), 100,
                               delta=0.3)
        TestMarkdown.check_tables(self, TestMarkdown.render_gfm(self, md))

    def test_pprof_and_speedscope_account_for_every_sample(self):
        # 20 threads: speedscope's importer copies every shared frame into
        # each thread's profile, so 1000 threads x 100k frames is slow there
        doc = huge_profile(nthreads=20)
        total = sum(s["count"] for s in doc["stacks"])
        path = self.save(doc)
        pb = os.path.join(self.tmp, "huge.pb.gz")
        ss = os.path.join(self.tmp, "huge.speedscope.json")
        self.report(path, "-f", "pprof", "-o", pb)
        self.report(path, "-f", "speedscope", "-o", ss)
        # pprof: decode the sample values ourselves (varints, field 2 of
        # Sample = values) so this holds without go too
        raw = gzip.decompress(open(pb, "rb").read())
        self.assertEqual(pprof_sample_total(raw), total)
        # speedscope: the weights as written, then as speedscope imports them
        data = json.load(open(ss, encoding="utf-8"))
        self.assertEqual(sum(sum(p["weights"]) for p in data["profiles"]), total * PERIOD_NS)
        group = TestSpeedscope.load(self, ss, totals_only=True)
        self.assertEqual(len(group["profiles"]), 20)
        self.assertEqual(sum(p["totalWeight"] for p in group["profiles"]), total * PERIOD_NS)


def _varint(b, i):
    v = shift = 0
    while True:
        c = b[i]
        i += 1
        v |= (c & 0x7F) << shift
        shift += 7
        if not c & 0x80:
            return v, i


def _fields(b):
    i = 0
    while i < len(b):
        key, i = _varint(b, i)
        field, wt = key >> 3, key & 7
        if wt == 0:
            v, i = _varint(b, i)
            yield field, v
        elif wt == 2:
            n, i = _varint(b, i)
            yield field, b[i:i + n]
            i += n
        else:
            raise ValueError(f"wire type {wt}")


def pprof_sample_total(raw):
    """Sum of the first value (samples/count) over all Samples."""
    total = 0
    for field, v in _fields(raw):
        if field == 2:
            for f2, v2 in _fields(v):
                if f2 == 2:
                    vals = []
                    j = 0
                    while j < len(v2):
                        x, j = _varint(v2, j)
                        vals.append(x)
                    total += vals[0]
    return total


class TestReportCli(InterchangeTest):
    def test_help_documents_options(self):
        r = run_csprof(["report", "--help"])
        self.assertEqual(r.returncode, 0)
        for opt in ("--format", "--output", "--name", "--top", "--title", "--help", "speedscope",
                    "pprof", "folded", ".pb.gz", "exit status"):
            self.assertIn(opt, r.stdout)

    def test_default_is_text_on_stdout(self):
        path = self.save(make_profile(seed=2))
        r = self.report(path)
        self.assertTrue(r.stdout.startswith("csprof: top 3 bottlenecks in main.py\n"), r.stdout)
        self.assertEqual(r.stderr, "")

    def test_several_formats_write_name_suffix(self):
        path = self.save(make_profile(seed=2))
        out = os.path.join(self.tmp, "out")
        self.report(path, "-f", "md,text,speedscope,pprof,folded,json", "-o", out)
        self.assertEqual(sorted(os.listdir(out)),
                         ["gen.folded", "gen.json", "gen.md", "gen.pb.gz", "gen.speedscope.json",
                          "gen.txt"])
        # the JSON written again reads back to the same report
        a = self.report(path, "-f", "text").stdout
        b = self.report(os.path.join(out, "gen.json"), "-f", "text").stdout
        self.assertEqual(a, b)

    def test_errors_are_one_line_with_exit_codes(self):
        path = self.save(make_profile(seed=2))
        bad = os.path.join(self.tmp, "bad.json")
        with open(bad, "w") as f:
            f.write("{not json")
        cases = [
            (["report"], 64),
            (["report", path, "--format", "nope"], 64),
            (["report", path, "--top", "0"], 64),
            (["report", path, "--bogus"], 64),
            (["report", path, "-f", "md,text", "-o", "-"], 64),
            (["report", path, "-f", "json", "-o", path], 64),
            (["report", os.path.join(self.tmp, "missing.json")], 66),
            (["report", bad], 66),
            (["report", path, "-f", "md", "-o", "/proc/no/such/dir/x.md"], 73),
        ]
        for args, code in cases:
            r = run_csprof(args)
            self.assertEqual(r.returncode, code, (args, r.stderr))
            self.assertEqual(r.stderr.count("\n"), 1, (args, r.stderr))
            self.assertTrue(r.stderr.startswith("csprof report: "), (args, r.stderr))


if __name__ == "__main__":
    unittest.main()
