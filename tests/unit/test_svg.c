/* test_svg.c -- the flamegraph writer: exact geometry on hand-made profiles,
 * escaping, dropped-frame accounting, colours, the differential mode, and a
 * property test on a big generated profile checked against an independent
 * count of call paths.
 *
 * With arguments it is the fixture maker for tests/test_svg_browser.py:
 *   test_svg --write DIR   writes DIR/demo.svg, DIR/diff.svg, DIR/big.svg and
 *                          DIR/demo.stacks (the demo's stacks, one per line:
 *                          "count idle hex(function):hex(file) ...", root first)
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../bench/bench_render.h"
#include "check.h"
#include "fmt_svg.h"
#include "output.h"
#include "profile.h"

/* ------------------------------------------------------------ helpers */

static char *render(const profile *p, const output_opts *o) {
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) return NULL;
    int rc = write_svg(p, f, o);
    if (fclose(f) != 0 || rc != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

static output_opts opts(void) {
    output_opts o;
    memset(&o, 0, sizeof o);
    o.top_n = 3;
    o.min_width_px = 0.1;
    return o;
}

typedef struct {
    char title[600];
    long long x, y, w;   /* hundredths of a pixel */
    char cls[8], fill[8];
    char label[300];
    int has_label, dark;
    /* from the script's F array */
    long long level, start, count;
} bar;

typedef struct {
    bar *v;
    size_t n;
    long long total;
} bars;

/* "12.34" -> 1234; "7" -> 700; "0.5" -> 50 */
static long long hund(const char *s) {
    long long whole = 0, frac = 0;
    int neg = *s == '-';
    if (neg) s++;
    while (*s >= '0' && *s <= '9') whole = whole * 10 + (*s++ - '0');
    if (*s == '.') {
        s++;
        for (int d = 0; d < 2; d++) frac = frac * 10 + ((*s >= '0' && *s <= '9') ? *s++ - '0' : 0);
    }
    return (neg ? -1 : 1) * (whole * 100 + frac);
}

static int attr(const char *from, const char *end, const char *name, char *out, size_t outlen) {
    char key[32];
    snprintf(key, sizeof key, " %s=\"", name);
    const char *a = memmem(from, (size_t)(end - from), key, strlen(key));
    if (!a) return 0;
    a += strlen(key);
    const char *q = strchr(a, '"');
    if (!q || (size_t)(q - a) >= outlen) return 0;
    memcpy(out, a, (size_t)(q - a));
    out[q - a] = '\0';
    return 1;
}

/* Parse every bar of an SVG written by write_svg, and the script's data. */
static int parse_bars(const char *svg, bars *out) {
    memset(out, 0, sizeof *out);
    const char *p = strstr(svg, "<g id=\"frames\">\n");
    if (!p) return -1;
    p += strlen("<g id=\"frames\">\n");
    size_t cap = 0;
    while (strncmp(p, "<g><title>", 10) == 0 || strncmp(p, "<g class=\"dk\"><title>", 21) == 0) {
        int dark = p[2] == ' ';
        if (dark) p += 11;
        const char *eol = strchr(p, '\n');
        if (!eol) return -1;
        if (out->n == cap) {
            cap = cap ? cap * 2 : 64;
            bar *nv = realloc(out->v, cap * sizeof *nv);
            if (!nv) return -1;
            out->v = nv;
        }
        bar *b = &out->v[out->n++];
        memset(b, 0, sizeof *b);
        b->dark = dark;
        const char *t0 = p + 10, *t1 = strstr(t0, "</title>");
        if (!t1 || t1 > eol || (size_t)(t1 - t0) >= sizeof b->title) return -1;
        memcpy(b->title, t0, (size_t)(t1 - t0));
        const char *r = strstr(t1, "<rect");
        char v[64];
        if (!r || !attr(r, eol, "x", v, sizeof v)) return -1;
        b->x = hund(v);
        if (!attr(r, eol, "y", v, sizeof v)) return -1;
        b->y = hund(v);
        if (!attr(r, eol, "width", v, sizeof v)) return -1;
        b->w = hund(v);
        const char *rend = strstr(r, "/>");
        attr(r, rend, "class", b->cls, sizeof b->cls);
        attr(r, rend, "fill", b->fill, sizeof b->fill);
        const char *tx = strstr(rend, "<text");
        if (tx && tx < eol) {
            const char *l0 = strchr(tx, '>') + 1, *l1 = strstr(l0, "</text>");
            if (!l1 || (size_t)(l1 - l0) >= sizeof b->label) return -1;
            memcpy(b->label, l0, (size_t)(l1 - l0));
            b->has_label = 1;
        }
        p = eol + 1;
    }
    if (strncmp(p, "</g>\n", 5) != 0) return -1;
    const char *tv = strstr(p, "var D = {");
    const char *f = tv ? strstr(tv, "\"F\":[") : NULL;
    const char *tt = tv ? strstr(tv, "\"T\":") : NULL;
    if (!f || !tt) return -1;
    out->total = strtoll(tt + 4, NULL, 10);
    f += strlen("\"F\":[");
    for (size_t i = 0; i < out->n; i++) {
        long long vals[5];
        for (int k = 0; k < 5; k++) {
            while (*f == ',' || *f == '\n') f++;
            char *e;
            vals[k] = strtoll(f, &e, 10);
            if (e == f) return -1;
            f = e;
        }
        out->v[i].level = vals[0];
        out->v[i].start = vals[1];
        out->v[i].count = vals[2];
    }
    while (*f == '\n') f++;
    return *f == ']' ? 0 : -1;
}

static const bar *find_bar(const bars *b, const char *title_prefix) {
    size_t n = strlen(title_prefix);
    for (size_t i = 0; i < b->n; i++)
        if (strncmp(b->v[i].title, title_prefix, n) == 0 &&
            (b->v[i].title[n] == '&' || b->v[i].title[n] == '\0'))
            return &b->v[i];
    return NULL;
}

static int count_str(const char *hay, const char *needle) {
    int n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle)) n++;
    return n;
}

/* One function has one first line whatever line runs (the function
 * table's identity rule includes it). */
static int fr(profile *p, const char *fn, const char *file, int line) {
    return prof_intern_frame(p, fn, file, line, line > 0 ? 1 : 0, FRAME_PYTHON);
}

static void add(profile *p, int th, bool idle, uint64_t count, int n, const int *frames) {
    uint32_t f[64];
    for (int i = 0; i < n; i++) f[i] = (uint32_t)frames[i];
    if (prof_add_stack(p, (uint32_t)th, idle, f, (uint32_t)n, count) < 0) abort();
}

/* main->a->b 6, main->a 2, main->c 2 in "app/x.py"; a is on line 5 for the
 * call into b and on line 7 for its own samples. */
static profile *small_profile(void) {
    profile *p = prof_new();
    if (!p) abort();
    prof_meta_of(p)->rate_hz = 100;
    int th = prof_add_thread(p, 1, 1, "MainThread");
    int m = fr(p, "main", "app/x.py", 3), a5 = fr(p, "a", "app/x.py", 5),
        a7 = fr(p, "a", "app/x.py", 7), b = fr(p, "b", "app/x.py", 11),
        c = fr(p, "c", "app/x.py", 20);
    add(p, th, false, 6, 3, (int[]){m, a5, b});
    add(p, th, false, 2, 2, (int[]){m, a7});
    add(p, th, false, 2, 2, (int[]){m, c});
    return p;
}

/* ------------------------------------------------------------- tests */

TEST(small_profile_exact_bars) {
    profile *p = small_profile();
    output_opts o = opts();
    char *svg = render(p, &o);
    CHECK(svg != NULL);
    bars b;
    CHECK(svg && parse_bars(svg, &b) == 0);
    CHECK_EQ_INT(b.n, 4);
    CHECK_EQ_INT(b.total, 10);
    const bar *m = find_bar(&b, "main"), *a = find_bar(&b, "a"), *bb = find_bar(&b, "b"),
              *c = find_bar(&b, "c");
    CHECK(m && a && bb && c);
    if (m && a && bb && c) {
        /* 1180 px stand for 10 samples; children left to right by name. */
        CHECK_EQ_INT(m->x, 1000);
        CHECK_EQ_INT(m->w, 118000);
        CHECK_EQ_INT(a->x, 1000);
        CHECK_EQ_INT(a->w, 94400);
        CHECK_EQ_INT(bb->x, 1000);
        CHECK_EQ_INT(bb->w, 70800);
        CHECK_EQ_INT(c->x, 1000 + 94400);
        CHECK_EQ_INT(c->w, 23600);
        /* Root at the bottom, one row (16 px) per level. */
        CHECK_EQ_INT(a->y, m->y - 1600);
        CHECK_EQ_INT(bb->y, m->y - 3200);
        CHECK_EQ_INT(c->y, a->y);
        /* Preorder data for the script. */
        CHECK_EQ_INT(m->level, 0);
        CHECK_EQ_INT(a->level, 1);
        CHECK_EQ_INT(bb->level, 2);
        CHECK_EQ_INT(c->level, 1);
        CHECK_EQ_INT(c->start, 8);
        CHECK_EQ_INT(a->count, 8);
        /* Tooltip: one bar per function, hottest line, samples, seconds, %. */
        CHECK_EQ_STR(a->title, "a&#10;app/x.py:5 (hottest line, 75% of its samples)&#10;"
                               "8 samples, 80.0 ms, 80.00%");
        CHECK_EQ_STR(m->title, "main&#10;app/x.py:3&#10;10 samples, 100.0 ms, 100.00%");
        CHECK_EQ_STR(c->title, "c&#10;app/x.py:20&#10;2 samples, 20.0 ms, 20.00%");
        CHECK_EQ_STR(m->label, "main");
        CHECK(strncmp(m->cls, "a", 1) == 0);  /* relative path: your code */
    }
    CHECK(svg && count_str(svg, "omitted") == 0);
    free(b.v);
    free(svg);
    prof_free(p);
}

TEST(root_widths_tile_the_full_width) {
    /* Seven roots with awkward counts: edges are rounded once each, so the
     * widths still add up to exactly 1180 px. */
    profile *p = prof_new();
    int th = prof_add_thread(p, 1, 1, NULL);
    static const uint64_t counts[] = {1, 3, 7, 11, 13, 17, 19};
    char name[16];
    for (int i = 0; i < 7; i++) {
        snprintf(name, sizeof name, "r%d", i);
        int f = fr(p, name, "x.py", 1);
        add(p, th, false, counts[i], 1, (int[]){f});
    }
    output_opts o = opts();
    char *svg = render(p, &o);
    bars b;
    CHECK(svg && parse_bars(svg, &b) == 0);
    CHECK_EQ_INT(b.n, 7);
    long long sum = 0, at = 1000;
    for (size_t i = 0; i < b.n; i++) {
        CHECK_EQ_INT(b.v[i].x, at);  /* no gaps, no overlaps */
        at += b.v[i].w;
        sum += b.v[i].w;
        double exact = (double)b.v[i].count * 118000.0 / 71.0;
        CHECK(b.v[i].w >= exact - 1.0 && b.v[i].w <= exact + 1.0);
    }
    CHECK_EQ_INT(sum, 118000);
    free(b.v);
    free(svg);
    prof_free(p);
}

TEST(escaping_and_invalid_utf8) {
    profile *p = prof_new();
    int th = prof_add_thread(p, 1, 1, NULL);
    prof_meta_of(p)->rate_hz = 100;
    prof_set_str(&prof_meta_of(p)->script, "odd <&> \"dir\"/run.py");
    int f1 = fr(p, "<lambda>&\"'", "a&b/<x>.py", 2);
    int f2 = fr(p, "bad\xff\xfename", "x.py", 3);        /* invalid bytes */
    int f3 = fr(p, "over\xc0\xafsur\xed\xa0\x80", "x.py", 4);  /* overlong, surrogate */
    int f4 = fr(p, "ctl\x01tab\tnl\n", "x.py", 5);       /* control characters */
    int f5 = fr(p, "caf\xc3\xa9_\xe2\x86\x92_\xf0\x9f\x94\xa5", "x.py", 6);  /* fine UTF-8 */
    int f6 = fr(p, "cut\xe2\x86", "x.py", 7);            /* truncated sequence */
    int f7 = fr(p, "js\xe2\x80\xa8sep]]>", "x.py", 8);
    int fs[] = {f1, f2, f3, f4, f5, f6, f7};
    for (int i = 0; i < 7; i++) add(p, th, false, 10, 1, (int[]){fs[i]});
    output_opts o = opts();
    char *svg = render(p, &o);
    CHECK(svg != NULL);
    if (!svg) return;
    bars b;
    CHECK(parse_bars(svg, &b) == 0);
    CHECK(find_bar(&b, "&lt;lambda&gt;&amp;&quot;&#39;") != NULL);
    CHECK(strstr(svg, "a&amp;b/&lt;x&gt;.py:2") != NULL);
    CHECK(find_bar(&b, "bad\xEF\xBF\xBD\xEF\xBF\xBDname") != NULL);
    CHECK(find_bar(&b, "over\xEF\xBF\xBD\xEF\xBF\xBDsur\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD") != NULL);
    CHECK(find_bar(&b, "ctl\xEF\xBF\xBDtab\xEF\xBF\xBDnl\xEF\xBF\xBD") != NULL);
    CHECK(find_bar(&b, "caf\xc3\xa9_\xe2\x86\x92_\xf0\x9f\x94\xa5") != NULL);
    CHECK(find_bar(&b, "cut\xEF\xBF\xBD\xEF\xBF\xBD") != NULL);
    CHECK(strstr(svg, "odd &lt;&amp;&gt; &quot;dir&quot;/run.py") != NULL);
    /* In the script: a JS string that cannot end the CDATA section. */
    CHECK(strstr(svg, "\"\\u003clambda\\u003e&\\\"'\"") != NULL);
    CHECK(strstr(svg, "\"js\\u2028sep]]\\u003e\"") != NULL);
    CHECK_EQ_INT(count_str(svg, "]]>"), 1);
    /* The whole document is well-formed UTF-8 without stray controls. */
    int ok = 1;
    for (const unsigned char *u = (const unsigned char *)svg; *u;) {
        if (*u < 0x20 && *u != '\n') ok = 0;
        if (*u < 0x80) { u++; continue; }
        int len = *u >= 0xF0 ? 4 : *u >= 0xE0 ? 3 : *u >= 0xC2 ? 2 : 0;
        if (!len) { ok = 0; break; }
        for (int k = 1; k < len; k++)
            if ((u[k] & 0xC0) != 0x80) ok = 0;
        if (!ok) break;
        u += len;
    }
    CHECK(ok);
    /* Nothing but our own markup opens a tag: every '<' starts a known one. */
    int tags_ok = 1;
    for (const char *c = strchr(svg, '<'); c && c < strstr(svg, "<script"); c = strchr(c + 1, '<')) {
        static const char *known[] = {"<?xml", "<svg", "<title>", "</title>", "<style>", "</style>",
                                      "<rect", "<text", "</text>", "<g", "</g>"};
        int k = 0;
        for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
            if (strncmp(c, known[i], strlen(known[i])) == 0) k = 1;
        if (!k) tags_ok = 0;
    }
    CHECK(tags_ok);
    free(b.v);
    free(svg);
    prof_free(p);
}

TEST(long_labels_are_cut_to_fit) {
    profile *p = prof_new();
    int th = prof_add_thread(p, 1, 1, NULL);
    int big = fr(p, "a_function_with_a_rather_long_name_that_will_not_fit", "x.py", 1);
    int small = fr(p, "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", "x.py", 2);
    int tiny = fr(p, "zz_tiny", "x.py", 3);
    /* widths: 1180*10/100 = 118 px, 1180*4/100 = 47.2 px, 1180*2/100 = 23.6 px */
    add(p, th, false, 10, 1, (int[]){big});
    add(p, th, false, 4, 1, (int[]){small});
    add(p, th, false, 2, 1, (int[]){tiny});
    add(p, th, false, 84, 1, (int[]){fr(p, "zzz_rest", "x.py", 4)});
    output_opts o = opts();
    char *svg = render(p, &o);
    bars b;
    CHECK(svg && parse_bars(svg, &b) == 0);
    const bar *x = find_bar(&b, "a_function_with_a_rather_long_name_that_will_not_fit");
    const bar *y = find_bar(&b, "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9");
    const bar *z = find_bar(&b, "zz_tiny");
    CHECK(x && y && z);
    if (x && y && z) {
        /* (118 - 6) / 7.4 = 15 characters: 13 of the name and ".." */
        CHECK_EQ_STR(x->label, "a_function_wi..");
        /* (47.2 - 6) / 7.4 = 5 code points, not bytes */
        CHECK_EQ_STR(y->label, "\xc3\xa9\xc3\xa9\xc3\xa9..");
        /* (23.6 - 6) / 7.4 = 2: too narrow for any label */
        CHECK(!z->has_label);
    }
    free(b.v);
    free(svg);
    prof_free(p);
}

TEST(narrow_frames_are_dropped_and_said_so) {
    profile *p = prof_new();
    int th = prof_add_thread(p, 1, 1, NULL);
    int m = fr(p, "main", "x.py", 1), w = fr(p, "work", "x.py", 2);
    add(p, th, false, 19996, 2, (int[]){m, w});
    /* Four one-sample stacks two deep under main: 1180/20000 = 0.059 px. */
    char name[32];
    for (int i = 0; i < 4; i++) {
        snprintf(name, sizeof name, "rare%d", i);
        int r = fr(p, name, "x.py", 10 + i);
        snprintf(name, sizeof name, "rarer%d", i);
        int rr = fr(p, name, "x.py", 20 + i);
        add(p, th, false, 1, 3, (int[]){m, r, rr});
    }
    output_opts o = opts();
    char *svg = render(p, &o);
    bars b;
    CHECK(svg && parse_bars(svg, &b) == 0);
    CHECK_EQ_INT(b.n, 2);
    CHECK(svg && strstr(svg, ">8 frames narrower than 0.1 px omitted, 0.02% of samples.") != NULL);
    free(b.v);
    free(svg);
    /* With no minimum everything is drawn and nothing is said. */
    o.min_width_px = 0;
    svg = render(p, &o);
    CHECK(svg && parse_bars(svg, &b) == 0);
    CHECK_EQ_INT(b.n, 10);
    CHECK(svg && !strstr(svg, "omitted"));
    free(b.v);
    free(svg);
    /* A minimum wider than the image drops everything, and says so. */
    o.min_width_px = 2000;
    svg = render(p, &o);
    CHECK(svg && parse_bars(svg, &b) == 0);
    CHECK_EQ_INT(b.n, 0);
    CHECK(svg && strstr(svg, ">10 frames narrower than 2000 px omitted, 100.00% of samples.") != NULL);
    free(b.v);
    free(svg);
    prof_free(p);
}

TEST(colours_follow_the_kind_of_code) {
    profile *p = prof_new();
    prof_meta *mt = prof_meta_of(p);
    prof_set_str(&mt->workspace, "/home/ci/proj");
    int th = prof_add_thread(p, 7, 7, "MainThread");
    int m = fr(p, "main", "/home/ci/proj/run.py", 1);
    int sd = fr(p, "loads", "/usr/lib/python3.12/json/__init__.py", 346);
    int tp = fr(p, "get", "/venv/lib/python3.12/site-packages/requests/api.py", 73);
    int nat = prof_intern_frame(p, "PyArray_Sum", "/venv/numpy/_umath.so", 0, 0, FRAME_NATIVE);
    int sl = fr(p, "sleep_forever", "/home/ci/proj/run.py", 9);
    add(p, th, false, 10, 2, (int[]){m, sd});
    add(p, th, false, 10, 2, (int[]){m, tp});
    add(p, th, false, 10, 2, (int[]){m, nat});
    add(p, th, true, 15, 2, (int[]){m, sl});
    add(p, th, false, 5, 2, (int[]){m, sl});
    CHECK(prof_add_roots(p, false, true) == 0);
    output_opts o = opts();
    char *svg = render(p, &o);
    bars b;
    CHECK(svg && parse_bars(svg, &b) == 0);
    const bar *root = find_bar(&b, "thread 7 (MainThread)");
    const bar *bm = find_bar(&b, "main"), *bs = find_bar(&b, "loads"), *bt = find_bar(&b, "get"),
              *bn = find_bar(&b, "PyArray_Sum"), *bi = find_bar(&b, "sleep_forever");
    CHECK(root && bm && bs && bt && bn && bi);
    if (root && bm && bs && bt && bn && bi) {
        CHECK(root->cls[0] == 'f');
        CHECK(bm->cls[0] == 'a');   /* 15 of 50 idle: not mostly idle */
        CHECK(bs->cls[0] == 'b');
        CHECK(bt->cls[0] == 'c');
        CHECK(bn->cls[0] == 'd');
        CHECK(bi->cls[0] == 'e');   /* 15 of 20 idle */
        CHECK(strstr(bi->title, "75% idle") != NULL);
        CHECK_EQ_INT(root->level, 0);
        CHECK_EQ_INT(bm->level, 1);
    }
    /* The legend names every kind with its share of leaf samples. */
    CHECK(svg && strstr(svg, ">your code 10.0%</text>"));
    CHECK(svg && strstr(svg, ">stdlib 20.0%</text>"));
    CHECK(svg && strstr(svg, ">third-party 20.0%</text>"));
    CHECK(svg && strstr(svg, ">native 20.0%</text>"));
    CHECK(svg && strstr(svg, ">idle (off CPU) 30.0%</text>"));
    CHECK(svg && strstr(svg, ">process/thread</text>"));
    free(b.v);
    free(svg);
    prof_free(p);
}

TEST(title_and_subtitle) {
    profile *p = small_profile();
    prof_meta *m = prof_meta_of(p);
    prof_set_str(&m->name, "stem");
    output_opts o = opts();
    char *svg = render(p, &o);
    CHECK(svg && strstr(svg, "<text id=\"title\" x=\"600\" y=\"24\" text-anchor=\"middle\">stem</text>"));
    free(svg);
    prof_set_str(&m->script, "tools/job.py");
    prof_set_str(&m->start_time, "2026-11-24T19:30:00Z");
    prof_set_str(&m->git_commit, "0123456789abcdef0123");
    prof_set_str(&m->python_version, "3.12.1");
    m->wall_seconds = 12.5;
    m->rate_hz = 100;
    m->interval_seconds = 0.0125;
    svg = render(p, &o);
    CHECK(svg && strstr(svg, "text-anchor=\"middle\">tools/job.py</text>"));
    CHECK(svg && strstr(svg, ">2026-11-24T19:30:00Z \xC2\xB7 commit 0123456789ab \xC2\xB7 wall 12.50 s "
                              "\xC2\xB7 10 samples \xC2\xB7 100 Hz (measured 80 Hz) \xC2\xB7 Python 3.12.1</text>"));
    /* seconds come from the measured interval */
    CHECK(svg && strstr(svg, "10 samples, 125.0 ms, 100.00%"));
    free(svg);
    o.title = "Nightly <build>";
    svg = render(p, &o);
    CHECK(svg && strstr(svg, "text-anchor=\"middle\">Nightly &lt;build&gt;</text>"));
    CHECK(svg && strstr(svg, "<title>Nightly &lt;build&gt;</title>"));
    free(svg);
    prof_free(p);
}

TEST(empty_profile_is_still_a_document) {
    profile *p = prof_new();
    prof_set_str(&prof_meta_of(p)->note, "no Python stacks found");
    output_opts o = opts();
    char *svg = render(p, &o);
    bars b;
    CHECK(svg && parse_bars(svg, &b) == 0);
    CHECK_EQ_INT(b.n, 0);
    CHECK(svg && strstr(svg, "No samples were recorded."));
    CHECK(svg && strstr(svg, "Note: no Python stacks found."));
    CHECK(svg && strstr(svg, "</svg>\n"));
    free(b.v);
    free(svg);
    /* NULL options mean defaults. */
    prof_free(p);
    p = small_profile();
    svg = render(p, NULL);
    CHECK(svg && parse_bars(svg, &b) == 0);
    CHECK_EQ_INT(b.n, 4);
    free(b.v);
    free(svg);
    prof_free(p);
}

static unsigned hexbyte(const char *h) {
    unsigned v = 0;
    sscanf(h, "%2x", &v);
    return v;
}

TEST(differential_colours_and_tooltips) {
    profile *base = prof_new(), *now = prof_new();
    int tb = prof_add_thread(base, 100, 111, "MainThread");
    int tn = prof_add_thread(now, 200, 222, "MainThread");
    int bm = fr(base, "main", "r.py", 1), ba = fr(base, "grows", "r.py", 2),
        bb = fr(base, "shrinks", "r.py", 3), bs = fr(base, "same", "r.py", 4);
    add(base, tb, false, 30, 2, (int[]){bm, ba});
    add(base, tb, false, 50, 2, (int[]){bm, bb});
    add(base, tb, false, 20, 2, (int[]){bm, bs});
    int nm = fr(now, "main", "r.py", 1), na = fr(now, "grows", "r.py", 2),
        nb = fr(now, "shrinks", "r.py", 3), ns = fr(now, "same", "r.py", 4),
        nn = fr(now, "brand_new", "r.py", 5);
    add(now, tn, false, 600, 2, (int[]){nm, na});
    add(now, tn, false, 100, 2, (int[]){nm, nb});
    add(now, tn, false, 200, 2, (int[]){nm, ns});
    add(now, tn, false, 100, 2, (int[]){nm, nn});
    CHECK(prof_add_roots(base, false, true) == 0);
    CHECK(prof_add_roots(now, false, true) == 0);
    output_opts o = opts();
    o.base = base;
    char *svg = render(now, &o);
    bars b;
    CHECK(svg && parse_bars(svg, &b) == 0);
    const bar *root = find_bar(&b, "thread 222 (MainThread)"), *m = find_bar(&b, "main"),
              *g = find_bar(&b, "grows"), *s = find_bar(&b, "shrinks"), *same = find_bar(&b, "same"),
              *nw = find_bar(&b, "brand_new");
    CHECK(root && m && g && s && same && nw);
    if (root && m && g && s && same && nw) {
        /* thread roots match across runs by name, not tid */
        CHECK(strstr(root->title, "&#10;base 100.00% \xE2\x86\x92 100.00% (+0.00 pp)") != NULL);
        CHECK(strstr(g->title, "&#10;base 30.00% \xE2\x86\x92 60.00% (+30.00 pp)") != NULL);
        CHECK(strstr(s->title, "&#10;base 50.00% \xE2\x86\x92 10.00% (-40.00 pp)") != NULL);
        CHECK(strstr(same->title, "&#10;base 20.00% \xE2\x86\x92 20.00% (+0.00 pp)") != NULL);
        CHECK(strstr(nw->title, "&#10;base 0.00% \xE2\x86\x92 10.00% (+10.00 pp), not in base") != NULL);
        /* Colours: red for growth, blue for shrinkage, neutral grey otherwise;
         * the largest change (-40 pp) is full blue. */
        unsigned gr = hexbyte(g->fill + 1), gb = hexbyte(g->fill + 5);
        unsigned sr = hexbyte(s->fill + 1), sb = hexbyte(s->fill + 5);
        CHECK(gr > gb + 100);
        CHECK(sb > sr + 100);
        CHECK_EQ_STR(s->fill, "#2166ac");
        CHECK(hexbyte(same->fill + 1) == hexbyte(same->fill + 3) &&
              hexbyte(same->fill + 3) == hexbyte(same->fill + 5));
        CHECK(hexbyte(nw->fill + 1) > hexbyte(nw->fill + 5));
        /* grows (+30) is redder than brand_new (+10) */
        CHECK(hexbyte(g->fill + 5) < hexbyte(nw->fill + 5));
        CHECK(g->cls[0] == '\0');
        /* white labels on the strong colours only */
        CHECK(s->dark && g->dark && !same->dark && !nw->dark);
    }
    CHECK(svg && strstr(svg, "change in share of all samples vs base"));
    CHECK(svg && strstr(svg, ">+40 pp or more</text>"));
    CHECK(svg && strstr(svg, ">Differential: "));
    free(b.v);
    free(svg);
    prof_free(base);
    prof_free(now);
}

TEST(write_errors_are_reported) {
    profile *p = small_profile();
    FILE *f = fopen("/dev/full", "w");
    CHECK(f != NULL);
    if (f) {
        output_opts o = opts();
        /* The error line is expected here; keep it out of the test log. */
        fflush(stderr);
        int saved = dup(2), devnull = open("/dev/null", O_WRONLY);
        if (saved >= 0 && devnull >= 0) dup2(devnull, 2);
        CHECK_EQ_INT(write_svg(p, f, &o), -1);
        if (saved >= 0) {
            dup2(saved, 2);
            close(saved);
        }
        if (devnull >= 0) close(devnull);
        fclose(f);
    }
    prof_free(p);
}

/* Independent check of the big render: count call paths (function+file
 * sequences) with a hash of each prefix, without the writer's tree. */
typedef struct {
    uint64_t h;
    uint64_t count;
} path_ent;

static uint64_t mixh(uint64_t h, const char *s) {
    for (const unsigned char *u = (const unsigned char *)(s ? s : "\x01"); *u; u++) h = (h ^ *u) * 0x100000001b3ULL;
    return (h ^ 0xff) * 0x100000001b3ULL;
}

TEST(property_big_profile) {
    profile *p = gen_big_profile(777, 1500, 20000, 200000);
    CHECK(p != NULL);
    if (!p) return;
    output_opts o = opts();
    char *svg = render(p, &o);
    bars b;
    CHECK(svg && parse_bars(svg, &b) == 0);
    CHECK(b.n > 100);
    CHECK_EQ_INT(b.total, 200000);
    /* Parents from levels in preorder. */
    size_t *stacki = calloc(GEN_MAX_DEPTH + 8, sizeof *stacki);
    long long root_sum = 0, root_count = 0;
    int bad_nest = 0, bad_width = 0, bad_sum = 0;
    long long *kid_count = calloc(b.n, sizeof *kid_count);
    for (size_t i = 0; i < b.n; i++) {
        const bar *v = &b.v[i];
        double exact = (double)v->count * 118000.0 / 200000.0;
        if (v->w < exact - 1.0 || v->w > exact + 1.0) bad_width++;
        if (v->level == 0) {
            root_sum += v->w;
            root_count += v->count;
        } else {
            const bar *par = &b.v[stacki[v->level - 1]];
            if (v->w > par->w || v->x < par->x || v->x + v->w > par->x + par->w ||
                v->y != par->y - 1600 || v->count > par->count)
                bad_nest++;
            kid_count[stacki[v->level - 1]] += v->count;
        }
        stacki[v->level] = i;
    }
    for (size_t i = 0; i < b.n; i++)
        if (kid_count[i] > b.v[i].count) bad_sum++;
    CHECK_EQ_INT(bad_nest, 0);
    CHECK_EQ_INT(bad_width, 0);
    CHECK_EQ_INT(bad_sum, 0);
    CHECK_EQ_INT(root_count, 200000);
    CHECK_EQ_INT(root_sum, 118000);

    /* Every call path at least 0.1 px wide is drawn; the others are counted
     * in the statement. */
    size_t cap = 1 << 20;
    path_ent *tab = calloc(cap, sizeof *tab);
    CHECK(tab != NULL);
    size_t npaths = 0;
    for (size_t si = 0; tab && si < prof_nstacks(p); si++) {
        const prof_stack *st = prof_stack_at(p, si);
        uint64_t h = 0xcbf29ce484222325ULL;
        for (uint32_t d = 0; d < st->depth; d++) {
            const prof_frame *f = prof_frame_at(p, st->frames[d]);
            h = mixh(mixh(h, f->function), f->file);
            h = (h ^ (uint64_t)f->type) * 0x100000001b3ULL;
            size_t pos = h & (cap - 1);
            while (tab[pos].h && tab[pos].h != h) pos = (pos + 1) & (cap - 1);
            if (!tab[pos].h) {
                tab[pos].h = h;
                npaths++;
            }
            tab[pos].count += st->count;
        }
    }
    size_t shown = 0;
    for (size_t i = 0; tab && i < cap; i++)
        if (tab[i].h && (double)tab[i].count * 1180.0 >= 0.1 * 200000.0) shown++;
    CHECK_EQ_INT(b.n, shown);
    char expect[128], num[32];
    snprintf(num, sizeof num, "%zu", npaths - shown);
    /* the statement uses thousands separators */
    char grouped[40];
    int k = 0, n = (int)strlen(num);
    for (int i = 0; i < n; i++) {
        if (i && (n - i) % 3 == 0) grouped[k++] = ',';
        grouped[k++] = num[i];
    }
    grouped[k] = '\0';
    snprintf(expect, sizeof expect, ">%s frames narrower than 0.1 px omitted", grouped);
    CHECK(svg && strstr(svg, expect) != NULL);
    free(tab);
    free(kid_count);
    free(stacki);
    free(b.v);
    free(svg);
    prof_free(p);
}

/* ----------------------------------------------------- fixture maker */

static int hexput(FILE *f, const char *s) {
    for (const unsigned char *u = (const unsigned char *)(s ? s : ""); *u; u++)
        if (fprintf(f, "%02x", *u) < 0) return -1;
    return 0;
}

/* The stacks of p for the browser test to compute its expectations from. */
static int write_stacks(const char *dir, const char *name, const profile *p) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "test_svg: cannot create %s: %s\n", path, strerror(errno));
        return -1;
    }
    int rc = 0;
    for (size_t i = 0; i < prof_nstacks(p) && rc == 0; i++) {
        const prof_stack *s = prof_stack_at(p, i);
        if (fprintf(f, "%llu %d", (unsigned long long)s->count, s->idle ? 1 : 0) < 0) rc = -1;
        for (uint32_t d = 0; d < s->depth && rc == 0; d++) {
            const prof_frame *fm = prof_frame_at(p, s->frames[d]);
            if (fputc(' ', f) == EOF || hexput(f, fm->function) || fputc(':', f) == EOF ||
                hexput(f, fm->file))
                rc = -1;
        }
        if (fputc('\n', f) == EOF) rc = -1;
    }
    if (fclose(f) != 0) rc = -1;
    if (rc) fprintf(stderr, "test_svg: cannot write %s\n", path);
    return rc;
}

static int write_file(const char *dir, const char *name, const profile *p, const output_opts *o) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "test_svg: cannot create %s: %s\n", path, strerror(errno));
        return -1;
    }
    int rc = write_svg(p, f, o);
    if (fclose(f) != 0) rc = -1;
    return rc;
}

/* A small realistic pipeline: your code, stdlib, third-party, native, an
 * idle wait, names that need escaping, and a thread root. */
static profile *demo_profile(int variant) {
    profile *p = prof_new();
    if (!p) return NULL;
    prof_meta *m = prof_meta_of(p);
    prof_set_str(&m->script, "examples/pipeline.py");
    prof_set_str(&m->name, "pipeline");
    prof_set_str(&m->python_version, "3.12.1");
    prof_set_str(&m->start_time, variant ? "2026-03-15T09:26:53Z" : "2026-03-14T09:26:53Z");
    prof_set_str(&m->git_commit, variant ? "9c1e5b7d3f2a0000" : "3f2a9c1e5b7d0000");
    prof_set_str(&m->workspace, "/home/ci/proj");
    prof_set_str(&m->csprof_version, "0.1.0");
    m->wall_seconds = 10.2;
    m->rate_hz = 100;
    m->interval_seconds = 0.0101;
    m->idle_included = true;
    int th = prof_add_thread(p, 4242, 4242 + variant, "MainThread");
    const char *me = "examples/pipeline.py";
    int mod = fr(p, "<module>", me, 40), main34 = fr(p, "main", me, 34), main35 = fr(p, "main", me, 35),
        main36 = fr(p, "main", me, 36), lr14 = fr(p, "load_records", me, 14),
        lr13 = fr(p, "load_records", me, 13),
        loads = fr(p, "loads", "/usr/lib/python3.12/json/__init__.py", 346),
        decode = fr(p, "JSONDecoder.decode", "/usr/lib/python3.12/json/decoder.py", 337),
        raw = fr(p, "JSONDecoder.raw_decode", "/usr/lib/python3.12/json/decoder.py", 353),
        tr21 = fr(p, "transform", me, 21), tr22 = fr(p, "transform", me, 22),
        tr23 = fr(p, "transform", me, 23), tr24 = fr(p, "transform", me, 24),
        apply = fr(p, "DataFrame.apply", "/venv/lib/python3.12/site-packages/pandas/core/frame.py", 10034),
        sum = prof_intern_frame(p, "PyArray_Sum",
                                "/venv/lib/python3.12/site-packages/numpy/core/_multiarray_umath.so", 0, 0,
                                FRAME_NATIVE),
        lam = fr(p, "<lambda>&\"'", me, 22), cafe = fr(p, "caf\xc3\xa9_r\xc3\xa9sum\xc3\xa9", me, 26),
        bad = fr(p, "bad\xff\xfename", me, 28), rep30 = fr(p, "report", me, 30),
        rep31 = fr(p, "report", me, 31), sleep = fr(p, "sleep", "<built-in>", 0);
    uint64_t k = variant ? 2 : 1;  /* the variant spends longer in transform */
    add(p, th, false, variant ? 150 : 300, 6, (int[]){mod, main34, lr14, loads, decode, raw});
    add(p, th, false, 50, 3, (int[]){mod, main34, lr13});
    add(p, th, false, 250 * k, 5, (int[]){mod, main35, tr21, apply, sum});
    add(p, th, false, 120, 4, (int[]){mod, main35, tr22, lam});
    add(p, th, false, 80, 4, (int[]){mod, main35, tr23, cafe});
    add(p, th, false, 40, 4, (int[]){mod, main35, tr24, bad});
    add(p, th, true, 150, 4, (int[]){mod, main36, rep31, sleep});
    add(p, th, false, 10, 3, (int[]){mod, main36, rep30});
    if (prof_add_roots(p, false, true)) {
        prof_free(p);
        return NULL;
    }
    return p;
}

/* The standalone SVG's script and the HTML report's read the same tree:
 * the standalone one declares exactly the embedded data as D, once, in its
 * CDATA section. */
TEST(standalone_and_embedded_share_the_tree) {
    profile *p = demo_profile(0);
    output_opts o = opts();
    svg_embedded e = {0};
    CHECK(p && svg_render_embedded(p, &o, &e) == 0);
    char *svg = p ? render(p, &o) : NULL;
    CHECK(svg && e.data && !strchr(e.data, '<') && !strchr(e.data, '>'));
    if (svg && e.data) {
        size_t n = strlen("var D = ") + e.data_len + 3;
        char *want = malloc(n);
        CHECK(want != NULL);
        if (want) {
            snprintf(want, n, "var D = %s;\n", e.data);
            const char *at = strstr(svg, want), *cdata = strstr(svg, "<![CDATA[\n");
            CHECK(at && cdata && at == cdata + strlen("<![CDATA[\n") && !strstr(at + 1, want));
            free(want);
        }
    }
    free(svg);
    svg_embedded_free(&e);
    prof_free(p);
}

static int make_fixtures(const char *dir) {
    profile *demo = demo_profile(0), *later = demo_profile(1);
    profile *big = gen_big_profile(12345, 4000, 100000, 1000000);
    if (!demo || !later || !big) {
        fprintf(stderr, "test_svg: out of memory\n");
        return 70;
    }
    output_opts o = opts();
    int rc = write_file(dir, "demo.svg", demo, &o);
    rc |= write_file(dir, "big.svg", big, &o);
    o.base = demo;
    rc |= write_file(dir, "diff.svg", later, &o);
    rc |= write_stacks(dir, "demo.stacks", demo);
    rc |= write_stacks(dir, "later.stacks", later);
    prof_free(demo);
    prof_free(later);
    prof_free(big);
    return rc ? 1 : 0;
}

int main(int argc, char **argv) {
    if (argc == 3 && strcmp(argv[1], "--write") == 0) return make_fixtures(argv[2]);
    RUN(small_profile_exact_bars);
    RUN(root_widths_tile_the_full_width);
    RUN(escaping_and_invalid_utf8);
    RUN(long_labels_are_cut_to_fit);
    RUN(narrow_frames_are_dropped_and_said_so);
    RUN(colours_follow_the_kind_of_code);
    RUN(title_and_subtitle);
    RUN(empty_profile_is_still_a_document);
    RUN(differential_colours_and_tooltips);
    RUN(write_errors_are_reported);
    RUN(property_big_profile);
    RUN(standalone_and_embedded_share_the_tree);
    return check_summary();
}
