/* test_summary.c -- the bottleneck summary (Markdown and text) and the hints.
 *
 * Golden tests: small hand-made profiles rendered to exact expected text.
 * The numbers in them were checked independently (shares by hand, Wilson
 * intervals with a separate Python computation) before being frozen here.
 * Property tests: big generated profiles keep the Markdown under 64 KiB with
 * every table row well formed, and the shares add up.
 * Hint tests: each rule fires on the case it is for and names the caller. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "hints.h"
#include "output.h"
#include "classify.h"
#include "summary.h"
#include "sumfmt.h"

/* Renders with writer into a malloc'd string. */
static char *render(output_writer w, const profile *p, const output_opts *o) {
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) return NULL;
    int rc = w(p, f, o);
    fclose(f);
    if (rc) {
        free(buf);
        return NULL;
    }
    return buf;
}

/* Prints both texts and the first difference, for a failing golden test. */
static int same_text(const char *got, const char *want) {
    if (got && !strcmp(got, want)) return 1;
    if (!got) {
        fprintf(stderr, "  (no output)\n");
        return 0;
    }
    size_t i = 0, line = 1;
    while (got[i] && got[i] == want[i]) {
        if (got[i] == '\n') line++;
        i++;
    }
    fprintf(stderr, "  first difference at line %zu:\n  got:  %.120s\n  want: %.120s\n", line,
            got + i, want + i);
    fprintf(stderr, "---- got ----\n%s---- end ----\n", got);
    return 0;
}

static uint32_t fr(profile *p, const char *fn, const char *file, int line, int first,
                   frame_type t) {
    int i = prof_intern_frame(p, fn, file, line, first, t);
    return i < 0 ? 0 : (uint32_t)i;
}

/* The golden profile: a small program with your code, a hot loop, recursion,
 * json, numpy, native code, an idle thread and a name full of metacharacters.
 * Counts (214 samples):
 *   main thread: <module> > work:12 x60, <module> > work:14 > memcpy x14,
 *                <module> > fib > fib > fib x40, <module> > loads x30,
 *                <module> > work:14 > dot x20, <module> > odd x6
 *   worker:      run > wait (idle) x44 */
static profile *golden_profile(void) {
    profile *p = prof_new();
    prof_meta *m = prof_meta_of(p);
    prof_set_str(&m->script, "app.py");
    prof_set_str(&m->name, "app");
    prof_set_str(&m->cwd, "/home/u/proj");
    prof_set_str(&m->workspace, "/home/u/proj");
    prof_set_str(&m->git_commit, "0123456789abcdef0123456789abcdef01234567");
    prof_set_str(&m->python_version, "3.12.1");
    prof_set_str(&m->start_time, "2026-11-24T19:30:00Z");
    prof_set_str(&m->csprof_version, "0.1.0");
    char *argv[] = {"python3", "app.py", "--n", "3 4"};
    prof_set_argv(p, 4, argv);
    m->wall_seconds = 2.5;
    m->exit_status = 0;
    m->rate_hz = 100;
    m->interval_seconds = 0.01;
    m->idle_included = true;
    int t0 = prof_add_thread(p, 100, 100, "MainThread");
    int t1 = prof_add_thread(p, 100, 101, "worker");
    prof_add_process(p, 100, 1, "python3 app.py", "3.12.1");
    uint32_t mod = fr(p, "<module>", "app.py", 30, 1, FRAME_PYTHON);
    uint32_t work12 = fr(p, "work", "/home/u/proj/lib/work.py", 12, 10, FRAME_PYTHON);
    uint32_t work14 = fr(p, "work", "/home/u/proj/lib/work.py", 14, 10, FRAME_PYTHON);
    uint32_t fib = fr(p, "fib", "/home/u/proj/lib/work.py", 22, 20, FRAME_PYTHON);
    uint32_t loads = fr(p, "loads", "/usr/lib/python3.12/json/__init__.py", 346, 299, FRAME_PYTHON);
    uint32_t memcpy_ = fr(p, "memcpy", "/lib/x86_64-linux-gnu/libc.so.6", 0, 0, FRAME_NATIVE);
    uint32_t dot = fr(p, "dot", "/venv/lib/python3.12/site-packages/numpy/core/multiarray.py", 100,
                      90, FRAME_PYTHON);
    uint32_t odd = fr(p, "a|b`c*d_<x>", "/home/u/proj/odd [x].py", 3, 2, FRAME_PYTHON);
    uint32_t run = fr(p, "run", "/usr/lib/python3.12/threading.py", 1010, 990, FRAME_PYTHON);
    uint32_t wait = fr(p, "Condition.wait", "/usr/lib/python3.12/threading.py", 355, 320,
                       FRAME_PYTHON);
    prof_add_stack(p, (uint32_t)t0, false, (uint32_t[]){mod, work12}, 2, 60);
    prof_add_stack(p, (uint32_t)t0, false, (uint32_t[]){mod, work14, memcpy_}, 3, 14);
    prof_add_stack(p, (uint32_t)t0, false, (uint32_t[]){mod, fib, fib, fib}, 4, 40);
    prof_add_stack(p, (uint32_t)t0, false, (uint32_t[]){mod, loads}, 2, 30);
    prof_add_stack(p, (uint32_t)t0, false, (uint32_t[]){mod, work14, dot}, 3, 20);
    prof_add_stack(p, (uint32_t)t0, false, (uint32_t[]){mod, odd}, 2, 6);
    prof_add_stack(p, (uint32_t)t1, true, (uint32_t[]){run, wait}, 2, 44);
    prof_add_roots(p, false, true);
    return p;
}

static const char golden_md[] =
    "### csprof: top 5 bottlenecks in `app.py`\n"
    "\n"
    "`python3 app.py --n '3 4'` · exit status 0 · 2.50 s wall · 214 samples at 100 Hz · Python 3.12.1 · 2026-11-24 19:30 UTC · commit [`0123456789ab`](https://github.com/acme/proj/commit/0123456789abcdef0123456789abcdef01234567)\n"
    "\n"
    "| # | Your code | Line | Time (95% interval) | Spent in |\n"
    "|--:|---|---|--:|---|\n"
    "| 1 | `work` | [lib/work.py:12](https://github.com/acme/proj/blob/0123456789abcdef0123456789abcdef01234567/lib/work.py#L12) | 600 ms · 28.0% (22.4–34.4%) | the line itself 100% |\n"
    "| 2 | `fib` | [lib/work.py:22](https://github.com/acme/proj/blob/0123456789abcdef0123456789abcdef01234567/lib/work.py#L22) | 400 ms · 18.7% (14.0–24.4%) | the line itself 100% |\n"
    "| 3 | `work` | [lib/work.py:14](https://github.com/acme/proj/blob/0123456789abcdef0123456789abcdef01234567/lib/work.py#L14) | 340 ms · 15.9% (11.6–21.4%) | `dot` (numpy) 59% · `memcpy` (libc.so.6) 41% |\n"
    "| 4 | `<module>` | [app.py:30](https://github.com/acme/proj/blob/0123456789abcdef0123456789abcdef01234567/app.py#L30) | 300 ms · 14.0% (10.0–19.3%) | `loads` (stdlib) 100% |\n"
    "| 5 | `` a\\|b`c*d_<x> `` | [odd \\[x\\].py:3](https://github.com/acme/proj/blob/0123456789abcdef0123456789abcdef01234567/odd%20%5Bx%5D.py#L3) | 60 ms · 2.8% (1.3–6.0%) | the line itself 100% |\n"
    "\n"
    "Time is charged to the innermost line of your code on each sample; 20.6% of the samples had none on the stack.\n"
    "\n"
    "**What to try**\n"
    "\n"
    "1. `work` line 12 — 100% of the time of line 12 is spent on the line itself (its bytecode, or built-in and C functions it calls directly). If the line runs inside a loop, move the loop into C: vectorise with numpy, or use built-ins (sum, sorted, comprehensions, str.join); or change the algorithm (a dict or set lookup instead of a scan, no nested loops over the same data).\n"
    "2. `fib` line 22 — 100% of the time of line 22 is spent on the line itself (its bytecode, or built-in and C functions it calls directly). The advice for the line's own work under \\#1 applies to `fib` line 22 as well.\n"
    "3. `work` line 14 — 59% of the time of line 14 is linear algebra; the busiest call beneath it is `dot` (numpy) with 59%. Reuse a factorisation instead of recomputing it (cho\\_factor or lu\\_factor once, then cho\\_solve or lu\\_solve), solve systems rather than forming inverses, and batch many small products into one large one.\n"
    "4. `<module>` line 30 — 100% of the time of line 30 is JSON encoding or decoding; the busiest call beneath it is `loads` (stdlib) with 100%. Avoid encoding or parsing the same data repeatedly (parse once and keep the objects); if the volume is inherent, a faster parser such as orjson helps.\n"
    "5. `` a|b`c*d_<x> `` line 3 — 100% of the time of line 3 is spent on the line itself (its bytecode, or built-in and C functions it calls directly). The advice for the line's own work under \\#1 applies to `` a|b`c*d_<x> `` line 3 as well.\n"
    "\n"
    "**Functions by self time** (any code: where the CPU was when sampled)\n"
    "\n"
    "| # | Function | Location | Self time (95% interval) | Total | Kind | Hottest line |\n"
    "|--:|---|---|--:|--:|---|---|\n"
    "| 1 | `work` | [lib/work.py:10](https://github.com/acme/proj/blob/0123456789abcdef0123456789abcdef01234567/lib/work.py#L10) | 600 ms · 28.0% (22.4–34.4%) | 43.9% | your code | [12](https://github.com/acme/proj/blob/0123456789abcdef0123456789abcdef01234567/lib/work.py#L12) (100%) |\n"
    "| 2 | `Condition.wait` | threading.py:320 | 440 ms · 20.6% (15.7–26.5%) | 20.6% | idle | 355 (100%) |\n"
    "| 3 | `fib` | [lib/work.py:20](https://github.com/acme/proj/blob/0123456789abcdef0123456789abcdef01234567/lib/work.py#L20) | 400 ms · 18.7% (14.0–24.4%) | 18.7% | your code | [22](https://github.com/acme/proj/blob/0123456789abcdef0123456789abcdef01234567/lib/work.py#L22) (100%) |\n"
    "| 4 | `loads` | json/\\_\\_init\\_\\_.py:299 | 300 ms · 14.0% (10.0–19.3%) | 14.0% | stdlib | 346 (100%) |\n"
    "| 5 | `dot` | numpy/core/multiarray.py:90 | 200 ms · 9.3% (6.1–14.0%) | 9.3% | third-party | 100 (100%) |\n"
    "\n"
    "Self time by kind of code: your code 49.5% · stdlib 14.0% · third-party 9.3% · native 6.5% · idle 20.6%\n"
    "\n"
    "<details>\n"
    "<summary>Top 9 functions by total time</summary>\n"
    "\n"
    "| # | Function | Location | Total | Self | Samples (self / total) | Kind |\n"
    "|--:|---|---|--:|--:|--:|---|\n"
    "| 1 | `<module>` | [app.py:1](https://github.com/acme/proj/blob/0123456789abcdef0123456789abcdef01234567/app.py#L1) | 1.70 s · 79.4% | 0.0% | 0 / 170 | your code |\n"
    "| 2 | `work` | [lib/work.py:10](https://github.com/acme/proj/blob/0123456789abcdef0123456789abcdef01234567/lib/work.py#L10) | 940 ms · 43.9% | 28.0% | 60 / 94 | your code |\n"
    "| 3 | `Condition.wait` | threading.py:320 | 440 ms · 20.6% | 20.6% | 44 / 44 | idle |\n"
    "| 4 | `run` | threading.py:990 | 440 ms · 20.6% | 0.0% | 0 / 44 | stdlib |\n"
    "| 5 | `fib` | [lib/work.py:20](https://github.com/acme/proj/blob/0123456789abcdef0123456789abcdef01234567/lib/work.py#L20) | 400 ms · 18.7% | 18.7% | 40 / 40 | your code |\n"
    "| 6 | `loads` | json/\\_\\_init\\_\\_.py:299 | 300 ms · 14.0% | 14.0% | 30 / 30 | stdlib |\n"
    "| 7 | `dot` | numpy/core/multiarray.py:90 | 200 ms · 9.3% | 9.3% | 20 / 20 | third-party |\n"
    "| 8 | `memcpy` | libc.so.6 | 140 ms · 6.5% | 6.5% | 14 / 14 | native |\n"
    "| 9 | `` a\\|b`c*d_<x> `` | [odd \\[x\\].py:2](https://github.com/acme/proj/blob/0123456789abcdef0123456789abcdef01234567/odd%20%5Bx%5D.py#L2) | 60 ms · 2.8% | 2.8% | 6 / 6 | your code |\n"
    "\n"
    "</details>\n"
    "\n"
    "<details>\n"
    "<summary>Threads (2)</summary>\n"
    "\n"
    "| Thread | Samples | Share | Idle | Busiest function (self samples) |\n"
    "|---|--:|--:|--:|---|\n"
    "| 100 (MainThread) | 170 | 79.4% | 0.0% | `work` (60) |\n"
    "| 101 (worker) | 44 | 20.6% | 100.0% | `Condition.wait` (44) |\n"
    "\n"
    "</details>\n"
    "\n"
    "<details>\n"
    "<summary>Notes</summary>\n"
    "\n"
    "- Idle samples are included (--idle): rows of kind idle are threads waiting, not computing.\n"
    "- One sample stands for 10.00 ms (the measured interval between samples; requested 100 Hz).\n"
    "- 9 distinct functions in 7 distinct stacks.\n"
    "- Self time counts samples where the function itself was running; total time, samples where it was anywhere on the stack. The 95% interval (Wilson score) covers sampling noise only.\n"
    "- Recorded by csprof 0.1.0.\n"
    "\n"
    "</details>\n";

static const char golden_txt[] =
    "csprof: top 3 bottlenecks in app.py\n"
    "\n"
    "  command      python3 app.py --n '3 4'\n"
    "  exit status  0\n"
    "  wall time    2.50 s\n"
    "  samples      214 at 100 Hz\n"
    "  python       3.12.1\n"
    "  started      2026-11-24 19:30 UTC\n"
    "  commit       0123456789ab\n"
    "\n"
    "  #  your code        location    time  share  spent in\n"
    "  1  work       lib/work.py:12  600 ms  28.0%  the line itself 100%\n"
    "  2  fib        lib/work.py:22  400 ms  18.7%  the line itself 100%\n"
    "  3  work       lib/work.py:14  340 ms  15.9%  dot (numpy) 59%, memcpy (libc.so.6) 41%\n"
    "  (20.6% of the samples had no line of your code on the stack)\n"
    "\n"
    "what to try\n"
    "  1. work line 12: 100% of the time of line 12 is spent on the line itself (its bytecode, or\n"
    "     built-in and C functions it calls directly). If the line runs inside a loop, move the loop into\n"
    "     C: vectorise with numpy, or use built-ins (sum, sorted, comprehensions, str.join); or change\n"
    "     the algorithm (a dict or set lookup instead of a scan, no nested loops over the same data).\n"
    "  2. fib line 22: 100% of the time of line 22 is spent on the line itself (its bytecode, or built-in\n"
    "     and C functions it calls directly). The advice for the line's own work under #1 applies to\n"
    "     `fib` line 22 as well.\n"
    "  3. work line 14: 59% of the time of line 14 is linear algebra; the busiest call beneath it is\n"
    "     `dot` (numpy) with 59%. Reuse a factorisation instead of recomputing it (cho_factor or\n"
    "     lu_factor once, then cho_solve or lu_solve), solve systems rather than forming inverses, and\n"
    "     batch many small products into one large one.\n"
    "\n"
    "functions by self time (any code: where the CPU was when sampled)\n"
    "  #  function        location            self  share  95% interval  total  kind       hottest line\n"
    "  1  work            lib/work.py:10    600 ms  28.0%  22.4-34.4%    43.9%  your code  12 (100%)\n"
    "  2  Condition.wait  threading.py:320  440 ms  20.6%  15.7-26.5%    20.6%  idle       355 (100%)\n"
    "  3  fib             lib/work.py:20    400 ms  18.7%  14.0-24.4%    18.7%  your code  22 (100%)\n"
    "\n"
    "self time by kind of code: your code 49.5%, stdlib 14.0%, third-party 9.3%, native 6.5%, idle 20.6%\n"
    "\n"
    "top 9 functions by total time\n"
    "  #  function        location                      total  share  self share  samples (self / total)  kind\n"
    "  1  <module>        app.py:1                     1.70 s  79.4%        0.0%                 0 / 170  your code\n"
    "  2  work            lib/work.py:10               940 ms  43.9%       28.0%                 60 / 94  your code\n"
    "  3  Condition.wait  threading.py:320             440 ms  20.6%       20.6%                 44 / 44  idle\n"
    "  4  run             threading.py:990             440 ms  20.6%        0.0%                  0 / 44  stdlib\n"
    "  5  fib             lib/work.py:20               400 ms  18.7%       18.7%                 40 / 40  your code\n"
    "  6  loads           json/__init__.py:299         300 ms  14.0%       14.0%                 30 / 30  stdlib\n"
    "  7  dot             numpy/core/multiarray.py:90  200 ms   9.3%        9.3%                 20 / 20  third-party\n"
    "  8  memcpy          libc.so.6                    140 ms   6.5%        6.5%                 14 / 14  native\n"
    "  9  a|b`c*d_<x>     odd [x].py:2                  60 ms   2.8%        2.8%                   6 / 6  your code\n"
    "\n"
    "threads (2)\n"
    "  thread            samples  share    idle  busiest function (self samples)\n"
    "  100 (MainThread)      170  79.4%    0.0%  work (60)\n"
    "  101 (worker)           44  20.6%  100.0%  Condition.wait (44)\n"
    "\n"
    "notes\n"
    "  - Idle samples are included (--idle): rows of kind idle are threads waiting, not computing.\n"
    "  - One sample stands for 10.00 ms (the measured interval between samples; requested 100 Hz).\n"
    "  - 9 distinct functions in 7 distinct stacks.\n"
    "  - Self time counts samples where the function itself was running; total time, samples where it was\n"
    "    anywhere on the stack. The 95% interval (Wilson score) covers sampling noise only.\n"
    "  - Recorded by csprof 0.1.0.\n";

/* A share of samples that stood for 4 ticks each rests on a quarter of
 * the draws: the interval of 200 in 1000 is that of 50 in 250. */
TEST(wilson_counts_draws_not_samples) {
    double lo1, hi1, lo4, hi4, lo, hi;
    wilson(200, 1000, 1.0, &lo1, &hi1);
    wilson(200, 1000, 4.0, &lo4, &hi4);
    wilson(50, 250, 1.0, &lo, &hi);
    CHECK(fabs(lo4 - lo) < 1e-9 && fabs(hi4 - hi) < 1e-9);
    CHECK(lo4 < lo1 && hi4 > hi1);
    CHECK(fabs(lo1 - 17.638) < 0.001 && fabs(hi1 - 22.592) < 0.001);
    wilson(200, 1000, 0.5, &lo, &hi);   /* below 1: as 1 */
    CHECK(lo == lo1 && hi == hi1);
}

TEST(golden_markdown) {
    profile *p = golden_profile();
    output_opts o;
    output_opts_init(&o);
    o.top_n = 5;
    o.server_url = "https://github.com/";  /* a trailing slash must not double */
    o.repository = "acme/proj";
    o.sha = "0123456789abcdef0123456789abcdef01234567";
    char *md = render(write_markdown, p, &o);
    CHECK(same_text(md, golden_md));
    free(md);
    prof_free(p);
}

TEST(golden_text) {
    profile *p = golden_profile();
    output_opts o;
    output_opts_init(&o);  /* top 3, no links in text anyway */
    char *txt = render(write_text, p, &o);
    CHECK(same_text(txt, golden_txt));
    free(txt);
    prof_free(p);
}

/* Without server, repository and sha there are no links at all. */
TEST(markdown_links_need_all_three) {
    profile *p = golden_profile();
    output_opts o;
    output_opts_init(&o);
    o.server_url = "https://github.com";
    o.repository = "acme/proj";
    char *md = render(write_markdown, p, &o);
    CHECK(md && !strstr(md, "](http"));
    CHECK(md && strstr(md, "| 1 | `work` | lib/work.py:10 | 600 ms"));
    free(md);
    prof_free(p);
}

static const char empty_md[] =
    "### csprof: `job.py` failed before doing any work\n"
    "\n"
    "`python3 job.py` · exit status 137 (signal 9) · 50 ms wall · 0 samples at 250 Hz\n"
    "\n"
    "> ❌ It failed before doing any work worth ranking: exit status 137 (signal 9), with no sample in your code.\n"
    "\n"
    "<details>\n"
    "<summary>Notes</summary>\n"
    "\n"
    "- no Python stacks found: the command is not a Python program.\n"
    "- No samples were recorded, so there is nothing to rank.\n"
    "- Only running threads were sampled; time spent waiting (sleep, I/O, locks) is not counted. Record with --idle to include it.\n"
    "- 0 distinct functions in 0 distinct stacks.\n"
    "- Self time counts samples where the function itself was running; total time, samples where it was anywhere on the stack. The 95% interval (Wilson score) covers sampling noise only.\n"
    "- Recorded by csprof 0.1.0.\n"
    "\n"
    "</details>\n";

static const char empty_txt[] =
    "csprof: job.py failed before doing any work\n"
    "\n"
    "  command      python3 job.py\n"
    "  exit status  137 (signal 9)\n"
    "  wall time    50 ms\n"
    "  samples      0 at 250 Hz\n"
    "\n"
    "It failed before doing any work worth ranking: exit status 137 (signal 9), with no sample in your\n"
    "code.\n"
    "\n"
    "notes\n"
    "  - no Python stacks found: the command is not a Python program.\n"
    "  - No samples were recorded, so there is nothing to rank.\n"
    "  - Only running threads were sampled; time spent waiting (sleep, I/O, locks) is not counted. Record\n"
    "    with --idle to include it.\n"
    "  - 0 distinct functions in 0 distinct stacks.\n"
    "  - Self time counts samples where the function itself was running; total time, samples where it was\n"
    "    anywhere on the stack. The 95% interval (Wilson score) covers sampling noise only.\n"
    "  - Recorded by csprof 0.1.0.\n";

TEST(golden_no_samples) {
    profile *p = prof_new();
    prof_meta *m = prof_meta_of(p);
    prof_set_str(&m->script, "job.py");
    prof_set_str(&m->csprof_version, "0.1.0");
    prof_set_str(&m->note, "no Python stacks found: the command is not a Python program");
    char *argv[] = {"python3", "job.py"};
    prof_set_argv(p, 2, argv);
    m->exit_status = 137;
    m->wall_seconds = 0.05;
    m->rate_hz = 250;
    output_opts o;
    output_opts_init(&o);
    char *md = render(write_markdown, p, &o), *txt = render(write_text, p, &o);
    CHECK(same_text(md, empty_md));
    CHECK(same_text(txt, empty_txt));
    free(md);
    free(txt);
    prof_free(p);
}

/* GFM splits a table row on every '|' not escaped by a backslash, code spans
 * included; returns the number of such pipes in one line. */
static int unescaped_pipes(const char *line, size_t len) {
    int n = 0;
    for (size_t i = 0; i < len; i++) {
        if (line[i] == '\\') i++;
        else if (line[i] == '|') n++;
    }
    return n;
}

/* Every table line has exactly cols+1 cell separators; returns tables seen. */
static int check_tables(const char *md) {
    int tables = 0, cols = -1;
    for (const char *l = md; *l;) {
        const char *e = strchr(l, '\n');
        size_t len = e ? (size_t)(e - l) : strlen(l);
        if (len && l[0] == '|') {
            int pipes = unescaped_pipes(l, len);
            if (cols < 0) {
                cols = pipes - 1;
                tables++;
            }
            if (pipes != cols + 1) {
                fprintf(stderr, "  bad table row (%d separators, want %d): %.200s\n", pipes,
                        cols + 1, l);
                return -1;
            }
        } else {
            cols = -1;
        }
        if (!e) break;
        l = e + 1;
    }
    return tables;
}

TEST(golden_tables_are_well_formed) {
    CHECK_EQ_INT(check_tables(golden_md), 4);
}

static uint32_t rng = 2463534242u;
static uint32_t rnd(void) {
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return rng;
}

/* 20k distinct functions with long hostile names and paths, 1000 threads in
 * 3 processes, 100 rows asked for: the Markdown stays under 64 KiB, every
 * table row is well formed, and the shares by kind add up to 100%.
 * (The same with 100k functions runs against the release binary in
 * tests/test_interchange.py: under ASan, building a profile that large costs
 * minutes, because every interned frame reallocates the profile's hash array.) */
TEST(huge_profile_markdown_stays_small) {
    profile *p = prof_new();
    prof_meta *m = prof_meta_of(p);
    prof_set_str(&m->workspace, "/w");
    prof_set_str(&m->script, "big.py");
    m->rate_hz = 100;
    enum { NFUNC = 20000, NTHREAD = 1000, NSTACK = 12000 };
    uint32_t *frames = malloc(NFUNC * sizeof *frames);
    char name[400], file[300];
    static const char *const dirs[] = {"/w/src", "/usr/lib/python3.12",
                                       "/v/lib/python3.12/site-packages/pkg", "/opt/native"};
    for (int i = 0; i < NFUNC; i++) {
        /* long names with table and code metacharacters, control bytes (C0
         * and C1: U+009B is a terminal's CSI) and invalid UTF-8 */
        int n = snprintf(name, sizeof name, "f%d|`x`|``\n<b>*_\xc2\x9b[1m%s\xff", i,
                         i % 7 ? "" : "long long long long long long long long long long long "
                                      "long long long long long long long long long long long "
                                      "long long long long long long long long long long long");
        (void)n;
        int d = i % 4;
        snprintf(file, sizeof file, "%s/%s/m%d | [x].py", dirs[d],
                 i % 5 ? "a" : "very/deep/path/with/many/components/to/make/it/long/enough", i);
        frames[i] = fr(p, name, file, 1 + i % 500, 1 + i % 400,
                       d == 3 ? FRAME_NATIVE : FRAME_PYTHON);
    }
    int threads[NTHREAD];
    for (int t = 0; t < NTHREAD; t++) {
        char tn[64];
        snprintf(tn, sizeof tn, "worker|%d`", t);
        threads[t] = prof_add_thread(p, 1 + t % 3, 100 + t, tn);
    }
    uint32_t stack[24];
    for (int s = 0; s < NSTACK; s++) {
        uint32_t depth = 1 + rnd() % 24;
        for (uint32_t k = 0; k < depth; k++) stack[k] = frames[rnd() % NFUNC];
        /* every function gets to be a leaf at least once */
        if (s < NFUNC) stack[depth - 1] = frames[s];
        prof_add_stack(p, (uint32_t)threads[rnd() % NTHREAD], rnd() % 9 == 0, stack, depth,
                       1 + rnd() % 5);
    }
    for (int s = NSTACK; s < NFUNC; s++)
        prof_add_stack(p, (uint32_t)threads[s % NTHREAD], false, &frames[s], 1, 1);
    CHECK(prof_add_roots(p, true, true) == 0);
    output_opts o;
    output_opts_init(&o);
    o.top_n = 100;
    o.server_url = "https://github.com";
    o.repository = "acme/big";
    o.sha = "feedface";
    char *md = render(write_markdown, p, &o);
    CHECK(md != NULL);
    if (md) {
        size_t len = strlen(md);
        printf("     markdown: %zu bytes for %d functions, %d threads\n", len, NFUNC, NTHREAD);
        CHECK(len < 65536);
        CHECK(check_tables(md) >= 3);
        /* sections close even when rows had to be left out */
        CHECK(strstr(md, "</details>\n") != NULL);
        CHECK(strstr(md, "<summary>Notes</summary>") != NULL);
        /* no raw control bytes or invalid UTF-8 made it through */
        for (const unsigned char *u = (const unsigned char *)md; *u; u++)
            CHECK(*u >= 0x20 || *u == '\n');
        CHECK(strstr(md, "\xff") == NULL && strstr(md, "\xc2\x9b") == NULL);
        /* shares by kind add up to 100% (within rounding of 5 items) */
        const char *k = strstr(md, "Self time by kind of code: ");
        CHECK(k != NULL);
        if (k) {
            double sum = 0;
            for (const char *q = k; *q && *q != '\n'; q++) {
                if (*q == '%') {
                    const char *b = q;
                    while (b > k && ((b[-1] >= '0' && b[-1] <= '9') || b[-1] == '.')) b--;
                    sum += atof(b);
                }
            }
            CHECK(sum > 99.7 && sum < 100.3);
        }
    }
    char *txt = render(write_text, p, &o);
    CHECK(txt != NULL);
    if (txt) {
        for (const unsigned char *u = (const unsigned char *)txt; *u; u++)
            CHECK(*u >= 0x20 || *u == '\n');
        CHECK(strstr(txt, "\xc2\x9b") == NULL);
    }
    free(md);
    free(txt);
    free(frames);
    prof_free(p);
}

/* ---- hints ---- */

static hint_kind hint(const char *fn, const char *file, frame_type type, code_kind kind,
                      uint64_t self, uint64_t total, char *buf, size_t len) {
    static prof_func_stat st;
    st = (prof_func_stat){.function = fn, .file = file, .first_line = 10, .type = type,
                          .self = self, .total = total, .hot_line = 12, .hot_line_samples = self};
    hint_input in = {.stat = &st, .kind = kind, .profile_samples = 1000, .ncallees = 1,
                     .user_caller = {"handler", "app/views.py:88", total * 3 / 4},
                     .caller = {"wrapper", "lib/x.py:5", total}};
    return hint_for(&in, 1, NULL, buf, len);
}

static int has(const char *s, const char *part) { return strstr(s, part) != NULL; }

TEST(hints_by_module) {
    char b[1400];
    CHECK_EQ_INT(hint("decode", "/usr/lib/python3.11/json/decoder.py", FRAME_PYTHON, CODE_STDLIB,
                      50, 60, b, sizeof b), HINT_JSON);
    CHECK(has(b, "parse once") && has(b, "\x01handler\x02 (app/views.py:88)") && has(b, "75%"));
    CHECK_EQ_INT(hint("_compile", "/usr/lib/python3.11/re/_compiler.py", FRAME_PYTHON,
                      CODE_STDLIB, 50, 60, b, sizeof b), HINT_REGEX);
    CHECK(has(b, "Compile each once"));
    CHECK_EQ_INT(hint("_sre_SRE_Pattern_search_impl", "/usr/bin/python3.11", FRAME_NATIVE,
                      CODE_NATIVE, 50, 60, b, sizeof b), HINT_REGEX);
    CHECK(has(b, "Precompile patterns"));
    CHECK_EQ_INT(hint("Logger._log", "/usr/lib/python3.11/logging/__init__.py", FRAME_PYTHON,
                      CODE_STDLIB, 50, 60, b, sizeof b), HINT_LOGGING);
    CHECK(has(b, "isEnabledFor"));
    CHECK_EQ_INT(hint("deepcopy", "/usr/lib/python3.11/copy.py", FRAME_PYTHON, CODE_STDLIB, 50, 60,
                      b, sizeof b), HINT_COPY);
    CHECK(has(b, "Deep copies"));
    CHECK_EQ_INT(hint("save", "/usr/lib/python3.11/pickle.py", FRAME_PYTHON, CODE_STDLIB, 50, 60,
                      b, sizeof b), HINT_COPY);
    CHECK(has(b, "protocol 5"));
    CHECK_EQ_INT(hint("_find_and_load", "<frozen importlib._bootstrap>", FRAME_PYTHON,
                      CODE_STDLIB, 50, 60, b, sizeof b), HINT_IMPORT);
    CHECK_EQ_INT(hint("gc_collect_main", "/usr/bin/python3.11", FRAME_NATIVE, CODE_NATIVE, 50, 60,
                      b, sizeof b), HINT_GC);
    CHECK(has(b, "gc.freeze()"));
    CHECK_EQ_INT(hint("loads", "/v/lib/python3.11/site-packages/orjson/__init__.py",
                      FRAME_PYTHON, CODE_THIRD_PARTY, 50, 60, b, sizeof b), HINT_JSON);
}

TEST(hints_waiting) {
    char b[1400];
    CHECK_EQ_INT(hint("main", "/w/app.py", FRAME_PYTHON, CODE_IDLE, 50, 60, b, sizeof b),
                 HINT_WAITING);
    CHECK(has(b, "waiting, not computing"));
    CHECK_EQ_INT(hint("epoll_wait", "/lib/x86_64-linux-gnu/libc.so.6", FRAME_NATIVE, CODE_NATIVE,
                      50, 60, b, sizeof b), HINT_WAITING);
    CHECK_EQ_INT(hint("Condition.wait", "/usr/lib/python3.11/threading.py", FRAME_PYTHON,
                      CODE_STDLIB, 50, 60, b, sizeof b), HINT_WAITING);
    /* a function called wait elsewhere in the stdlib is not assumed to block */
    CHECK_EQ_INT(hint("wait", "/usr/lib/python3.11/somemod.py", FRAME_PYTHON, CODE_STDLIB, 50, 60,
                      b, sizeof b), HINT_LIBRARY);
}

TEST(hints_library_names_the_caller) {
    char b[1400];
    CHECK_EQ_INT(hint("DataFrame.apply", "/v/lib/python3.11/site-packages/pandas/core/frame.py",
                      FRAME_PYTHON, CODE_THIRD_PARTY, 80, 100, b, sizeof b), HINT_LIBRARY);
    CHECK(has(b, "\x01pandas\x02") && has(b, "\x01handler\x02 (app/views.py:88)") &&
          has(b, "fewer, larger calls"));
    CHECK_EQ_INT(hint("memcpy", "/lib/x86_64-linux-gnu/libc.so.6", FRAME_NATIVE, CODE_NATIVE, 80,
                      100, b, sizeof b), HINT_LIBRARY);
    CHECK(has(b, "native code (\x01libc.so.6\x02)"));
    /* no caller in your code: said so, nothing invented */
    static prof_func_stat st = {.function = "f", .file = "/v/lib/python3.11/site-packages/x.py",
                                .type = FRAME_PYTHON, .self = 5, .total = 5};
    hint_input in = {.stat = &st, .kind = CODE_THIRD_PARTY};
    CHECK_EQ_INT(hint_for(&in, 1, NULL, b, sizeof b), HINT_LIBRARY);
    CHECK(has(b, "No caller in your code was sampled") && has(b, "\x01x\x02"));
}

TEST(hints_your_code) {
    char b[1400];
    static prof_func_stat st;
    hint_input in;
    /* own lines dominate, few callees: hot loop, hottest line named */
    st = (prof_func_stat){.function = "score", .file = "/w/a.py", .self = 90, .total = 100,
                          .hot_line = 7, .hot_line_samples = 60};
    in = (hint_input){.stat = &st, .kind = CODE_YOURS, .ncallees = 2};
    CHECK_EQ_INT(hint_for(&in, 1, NULL, b, sizeof b), HINT_LOOP);
    CHECK(has(b, "90% of its time") && has(b, "line 7") && has(b, "numpy"));
    /* many callees, one call site: caching */
    st = (prof_func_stat){.function = "lookup", .file = "/w/a.py", .self = 30, .total = 100,
                          .hot_line = 3};
    in = (hint_input){.stat = &st, .kind = CODE_YOURS, .ncallees = 6,
                      .caller = {"loop", "a.py:40", 90}};
    CHECK_EQ_INT(hint_for(&in, 1, NULL, b, sizeof b), HINT_CACHE);
    CHECK(has(b, "90% of it comes through one call site, \x01loop\x02 (a.py:40)") &&
          has(b, "functools.cache"));
    /* mostly recursive: memoisation */
    in.recursive = 70;
    CHECK_EQ_INT(hint_for(&in, 1, NULL, b, sizeof b), HINT_CACHE);
    CHECK(has(b, "Recursive: 70%"));
    /* spread over callees, no dominant site */
    in = (hint_input){.stat = &st, .kind = CODE_YOURS, .ncallees = 6,
                      .caller = {"loop", "a.py:40", 50}};
    CHECK_EQ_INT(hint_for(&in, 1, NULL, b, sizeof b), HINT_GENERAL);
    CHECK(has(b, "6 functions it calls") && has(b, "line 3"));
}

TEST(hints_are_honest_and_safe) {
    char b[1400];
    /* a caller name cannot forge code markers or inject control bytes */
    static prof_func_stat st = {.function = "f", .file = "/v/lib/python3.11/site-packages/y.py",
                                .type = FRAME_PYTHON, .self = 5, .total = 10};
    hint_input in = {.stat = &st, .kind = CODE_THIRD_PARTY,
                     .user_caller = {"ev\x01il\x02\n\x1b[31m", "w.py:1", 10}};
    hint_for(&in, 1, NULL, b, sizeof b);
    int on = 0, off = 0;
    for (const char *q = b; *q; q++) {
        on += *q == HINT_CODE_ON;
        off += *q == HINT_CODE_OFF;
        CHECK(*q == HINT_CODE_ON || *q == HINT_CODE_OFF || (unsigned char)*q >= 0x20);
    }
    CHECK_EQ_INT(on, 2);  /* the package and the caller */
    CHECK_EQ_INT(off, 2);
    CHECK(has(b, "evil[31m"));
    /* a tiny buffer truncates without overflowing */
    char tiny[16];
    hint_for(&in, 1, NULL, tiny, sizeof tiny);
    CHECK_EQ_INT(strlen(tiny), 15);
    /* no rule promises a speed-up figure */
    const char *files[] = {"/w/a.py", "/usr/lib/python3.11/json/x.py", "<frozen importlib._bootstrap>",
                           "/v/lib/python3.11/site-packages/z.py"};
    for (int i = 0; i < 4; i++) {
        hint("f", files[i], FRAME_PYTHON, i == 0 ? CODE_YOURS : i == 3 ? CODE_THIRD_PARTY : CODE_STDLIB,
             10, 20, b, sizeof b);
        CHECK(!has(b, "faster by") && !has(b, "times faster") && !has(b, "x faster") &&
              !has(b, "speedup") && !has(b, "speed-up"));
    }
}

/* ---- lines of your code ---- */

/* Each sample is charged to the innermost line of your code: work:14
 * holds the dot (20) and memcpy (14) samples beneath it; the idle worker
 * thread has no line of yours. Counts by hand from golden_profile. */
TEST(lines_charge_the_innermost_line_of_your_code) {
    profile *p = golden_profile();
    output_opts o;
    output_opts_init(&o);
    o.top_n = 10;
    summary S;
    CHECK_EQ_INT(summary_analyse(&S, p, &o), 0);
    CHECK_EQ_INT(S.nlines, 5);
    CHECK_EQ_INT((int)S.user_samples, 170);
    CHECK(!S.failed_early);
    if (S.nlines == 5) {
        const user_line *L = &S.lines[2];
        CHECK(!strcmp(S.stats[L->func].function, "work") && L->line == 14);
        CHECK_EQ_INT((int)L->samples, 34);
        CHECK_EQ_INT(L->nbeneath, 2);
        CHECK(!strcmp(S.stats[L->beneath[0].func].function, "dot") && L->beneath[0].samples == 20);
        CHECK(!strcmp(S.stats[L->beneath[1].func].function, "memcpy") &&
              L->beneath[1].samples == 14);
        CHECK_EQ_INT((int)L->by_work[WORK_LINALG], 20);
        CHECK_EQ_INT((int)L->by_work[WORK_NATIVE], 14);
        CHECK_EQ_INT(L->work, WORK_LINALG);
        CHECK_EQ_INT(S.lines[0].line, 12);
        CHECK_EQ_INT((int)S.lines[0].by_work[WORK_OWN], 60);
        CHECK_EQ_INT(S.lines[3].work, WORK_JSON);   /* <module>:30 > loads */
    }
    summary_free(&S);
    prof_free(p);
}

/* Whose code a native function is: an extension module's C is its
 * package's ("numpy"), as its Python is; any other library is its file. */
TEST(owner_of_extension_module_code) {
    profile *p = golden_profile();
    const char *ext = "/usr/lib/python3/dist-packages/numpy/core/"
                      "_multiarray_umath.cpython-311-x86_64-linux-gnu.so";
    uint32_t mod = fr(p, "<module>", "app.py", 30, 1, FRAME_PYTHON);
    uint32_t group = fr(p, "[numpy.core._multiarray_umath]", ext, 0, 0, FRAME_NATIVE);
    uint32_t named = fr(p, "PyArray_Sum", ext, 0, 0, FRAME_NATIVE);
    prof_add_stack(p, 0, false, (uint32_t[]){mod, group}, 2, 30);
    prof_add_stack(p, 0, false, (uint32_t[]){mod, named}, 2, 25);
    output_opts o;
    output_opts_init(&o);
    summary S;
    CHECK_EQ_INT(summary_analyse(&S, p, &o), 0);
    int seen = 0;
    for (long i = 0; i < S.nstats; i++) {
        const char *fn = S.stats[i].function, *want = NULL;
        if (!strcmp(fn, "[numpy.core._multiarray_umath]") || !strcmp(fn, "PyArray_Sum"))
            want = "numpy";
        else if (!strcmp(fn, "memcpy"))
            want = "libc.so.6";
        if (!want) continue;
        sbuf b;
        sbuf_init(&b, 64);
        summary_owner_label(&S, i, &b);
        CHECK_EQ_STR(sbuf_str(&b), want);
        sbuf_free(&b);
        seen++;
    }
    CHECK_EQ_INT(seen, 3);
    summary_free(&S);
    prof_free(p);
}

/* Import time is its own kind: a third-party module's body and importlib's
 * own frames under an import count as "imports", not as stdlib or
 * third-party self time. */
TEST(imports_are_their_own_kind) {
    profile *p = prof_new();
    CHECK(p != NULL);
    if (!p) return;
    prof_meta *m = prof_meta_of(p);
    m->wall_seconds = 1.0;
    m->rate_hz = 100;
    CHECK_EQ_INT(prof_set_str(&m->workspace, "/ws"), 0);
    int th = prof_add_thread(p, 1, 1, "MainThread");
    int mod = prof_intern_frame(p, "<module>", "/ws/app.py", 3, 1, FRAME_PYTHON);
    int fl = prof_intern_frame(p, "_find_and_load", "<frozen importlib._bootstrap>", 1176, 1165, FRAME_PYTHON);
    int np_ = prof_intern_frame(p, "<module>", "/usr/lib/python3/dist-packages/numpy/__init__.py", 90, 1,
                                FRAME_PYTHON);
    int run = prof_intern_frame(p, "run", "/ws/app.py", 9, 8, FRAME_PYTHON);
    CHECK(th >= 0 && mod >= 0 && fl >= 0 && np_ >= 0 && run >= 0);
    uint32_t s1[] = {(uint32_t)mod, (uint32_t)fl, (uint32_t)np_};
    uint32_t s2[] = {(uint32_t)mod, (uint32_t)fl};
    uint32_t s3[] = {(uint32_t)mod, (uint32_t)run};
    CHECK(prof_add_stack(p, (uint32_t)th, false, s1, 3, 30) >= 0);
    CHECK(prof_add_stack(p, (uint32_t)th, false, s2, 2, 10) >= 0);
    CHECK(prof_add_stack(p, (uint32_t)th, false, s3, 2, 60) >= 0);
    output_opts o;
    output_opts_init(&o);
    summary S;
    CHECK_EQ_INT(summary_analyse(&S, p, &o), 0);
    CHECK_EQ_INT((int)S.import_self, 40);
    CHECK_EQ_INT((int)S.kind_self[CODE_YOURS], 60);
    CHECK_EQ_INT((int)S.kind_self[CODE_STDLIB], 0);
    CHECK_EQ_INT((int)S.kind_self[CODE_THIRD_PARTY], 0);
    sbuf k;
    sbuf_init(&k, 64);
    summary_kinds_items(&S, false, &k);
    CHECK_EQ_STR(sbuf_str(&k), "your code 60.0%, imports 40.0%");
    sbuf_free(&k);
    summary_free(&S);
    prof_free(p);
}

/* Splits text into sentences (". " boundaries, list markers dropped) and
 * fails on the first one seen twice. */
static int sentences_unique(const char *text) {
    char *copy = strdup(text), *seen[400];
    int n = 0, ok = 1;
    for (char *s = copy; s && *s && ok;) {
        char *e = strstr(s, ". ");
        char *nl = strchr(s, '\n');
        if (nl && (!e || nl < e)) e = nl;
        if (e) *e = '\0';
        while (*s == ' ' || (*s >= '0' && *s <= '9')) s++;
        if (strlen(s) > 25) {
            for (int i = 0; i < n && ok; i++)
                if (!strcmp(seen[i], s)) {
                    fprintf(stderr, "  repeated sentence: %s\n", s);
                    ok = 0;
                }
            if (n < 400) seen[n++] = s;
        }
        s = e ? e + 1 : NULL;
    }
    free(copy);
    return ok;
}

/* No sentence appears twice in a summary: the lead view here has three
 * lines of "own work" (work:12, fib:22, odd:3), and a library-only profile
 * has three library functions leading. */
TEST(no_sentence_repeats) {
    profile *p = golden_profile();
    output_opts o;
    output_opts_init(&o);
    o.top_n = 10;
    char *md = render(write_markdown, p, &o), *txt = render(write_text, p, &o);
    CHECK(md && sentences_unique(md));
    CHECK(md && strstr(md, "under \\#1 applies to `fib` line 22"));
    free(md);
    free(txt);
    prof_free(p);
    p = prof_new();
    prof_set_str(&prof_meta_of(p)->workspace, "/w");
    int t = prof_add_thread(p, 1, 1, "main");
    uint32_t a = fr(p, "solve", "/v/lib/python3.11/site-packages/numpy/linalg/linalg.py", 5, 1, FRAME_PYTHON);
    uint32_t b = fr(p, "eigh", "/v/lib/python3.11/site-packages/numpy/linalg/linalg.py", 9, 8, FRAME_PYTHON);
    uint32_t c = fr(p, "norm", "/v/lib/python3.11/site-packages/numpy/linalg/linalg.py", 20, 19, FRAME_PYTHON);
    prof_add_stack(p, (uint32_t)t, false, (uint32_t[]){a}, 1, 50);
    prof_add_stack(p, (uint32_t)t, false, (uint32_t[]){b}, 1, 30);
    prof_add_stack(p, (uint32_t)t, false, (uint32_t[]){c}, 1, 20);
    md = render(write_markdown, p, &o);
    CHECK(md && sentences_unique(md) && strstr(md, "same kind of cost as \\#1"));
    free(md);
    prof_free(p);
}

/* A script that failed before doing work: said first, with its stderr's
 * last line, and no table of interpreter start-up. */
TEST(failed_early_says_so_and_shows_no_table) {
    profile *p = prof_new();
    prof_meta *m = prof_meta_of(p);
    prof_set_str(&m->script, "nope.py");
    prof_set_str(&m->workspace, "/w");
    prof_set_str(&m->cwd, "/w");
    m->exit_status = 2;
    m->rate_hz = 1000;
    m->interval_seconds = 0.001;
    int t = prof_add_thread(p, 1, 1, "main");
    uint32_t a = fr(p, "ABCMeta.__new__", "<frozen abc>", 106, 105, FRAME_PYTHON);
    uint32_t b = fr(p, "<module>", "<frozen site>", 3, 1, FRAME_PYTHON);
    prof_add_stack(p, (uint32_t)t, false, (uint32_t[]){b, a}, 2, 30);
    output_opts o;
    output_opts_init(&o);
    o.stderr_tail = "python3: can't open file '/w/nope.py': [Errno 2] No such file or directory";
    char *md = render(write_markdown, p, &o), *txt = render(write_text, p, &o);
    CHECK(md && strstr(md, "### csprof: `nope.py` failed before doing any work\n"));
    CHECK(md && strstr(md, "exit status 2, with no sample in your code. The last line of its "
                           "stderr: python3: can't open file"));
    CHECK(md && !strstr(md, "| # |") && !strstr(md, "ABCMeta"));
    CHECK(txt && strstr(txt, "csprof: nope.py failed before doing any work\n"));
    CHECK(txt && strstr(txt, "Errno 2") && !strstr(txt, "ABCMeta"));
    free(md);
    free(txt);
    /* the same start-up with exit status 0 is ranked as usual */
    m->exit_status = 0;
    md = render(write_markdown, p, &o);
    CHECK(md && strstr(md, "ABCMeta") && !strstr(md, "failed before"));
    free(md);
    prof_free(p);
}

TEST(work_beneath_by_module_and_name) {
    CHECK_EQ_INT(work_of_frame("numpy.linalg.linalg", "solve", FRAME_PYTHON), WORK_LINALG);
    CHECK_EQ_INT(work_of_frame("numpy", "concatenate", FRAME_PYTHON), WORK_COUNT);
    CHECK_EQ_INT(work_of_frame("numpy", "dot", FRAME_PYTHON), WORK_LINALG);
    CHECK_EQ_INT(work_of_frame("scipy.linalg._decomp_cholesky", "cho_solve", FRAME_PYTHON), WORK_LINALG);
    CHECK_EQ_INT(work_of_frame("scipy.optimize._minimize", "minimize", FRAME_PYTHON), WORK_OPTIMIZE);
    CHECK_EQ_INT(work_of_frame("sklearn.gaussian_process._gpr", "GaussianProcessRegressor.fit",
                               FRAME_PYTHON), WORK_FIT);
    CHECK_EQ_INT(work_of_frame("sklearn.utils._param_validation", "wrapper", FRAME_PYTHON), WORK_COUNT);
    CHECK_EQ_INT(work_of_frame("torch.autograd", "backward", FRAME_PYTHON), WORK_NEURAL);
    CHECK_EQ_INT(work_of_frame("torch.optim.adam", "Adam.step", FRAME_PYTHON), WORK_NEURAL);
    CHECK_EQ_INT(work_of_frame("matplotlib.figure", "Figure.savefig", FRAME_PYTHON), WORK_PLOT);
    CHECK_EQ_INT(work_of_frame("importlib._bootstrap", "_find_and_load", FRAME_PYTHON), WORK_IMPORT);
    CHECK_EQ_INT(work_of_frame("json.decoder", "JSONDecoder.raw_decode", FRAME_PYTHON), WORK_JSON);
    CHECK_EQ_INT(work_of_frame("jsonschema", "validate", FRAME_PYTHON), WORK_COUNT);
    CHECK_EQ_INT(work_of_frame("re._compiler", "compile", FRAME_PYTHON), WORK_REGEX);
    CHECK_EQ_INT(work_of_frame("csv", "DictReader.__next__", FRAME_PYTHON), WORK_IO);
    CHECK_EQ_INT(work_of_frame("numpy.lib.npyio", "loadtxt", FRAME_PYTHON), WORK_IO);
    CHECK_EQ_INT(work_of_frame("threading", "Event.wait", FRAME_PYTHON), WORK_WAITING);
    CHECK_EQ_INT(work_of_frame("libopenblas64_p-r0.3.21.so", "dgemm_", FRAME_NATIVE), WORK_LINALG);
    CHECK_EQ_INT(work_of_frame("libc.so.6", "memcpy", FRAME_NATIVE), WORK_COUNT);
    /* module from the path, for frames the names module has not named */
    prof_frame f = {.function = "solve", .file = "/usr/lib/python3/dist-packages/numpy/linalg/linalg.py",
                    .type = FRAME_PYTHON};
    char mod[128];
    frame_module_from_path(&f, mod, sizeof mod);
    CHECK(!strcmp(mod, "numpy.linalg.linalg"));
    f.file = "/usr/lib/python3.11/json/__init__.py";
    frame_module_from_path(&f, mod, sizeof mod);
    CHECK(!strcmp(mod, "json"));
    f.file = "<frozen importlib._bootstrap>";
    frame_module_from_path(&f, mod, sizeof mod);
    CHECK(!strcmp(mod, "importlib._bootstrap") && classify_frame_is_import(&f));
}

int main(void) {
    RUN(wilson_counts_draws_not_samples);
    RUN(golden_markdown);
    RUN(golden_text);
    RUN(markdown_links_need_all_three);
    RUN(golden_no_samples);
    RUN(golden_tables_are_well_formed);
    RUN(hints_by_module);
    RUN(hints_waiting);
    RUN(hints_library_names_the_caller);
    RUN(hints_your_code);
    RUN(hints_are_honest_and_safe);
    RUN(lines_charge_the_innermost_line_of_your_code);
    RUN(owner_of_extension_module_code);
    RUN(no_sentence_repeats);
    RUN(imports_are_their_own_kind);
    RUN(failed_early_says_so_and_shows_no_table);
    RUN(work_beneath_by_module_and_name);
    RUN(huge_profile_markdown_stays_small);
    return check_summary();
}
