/* test_compare.c -- the statistics behind `csprof diff`. Reference values
 * were computed independently (Python's math.erfc for the z-test, the
 * textbook step-up/step-down definitions for BH and Holm, by hand). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "classify.h"
#include "compare.h"
#include "profile.h"

#define NEAR(a, b, eps) (fabs((double)(a) - (double)(b)) <= (eps))

/* ---- building profiles ---- */

/* A profile whose only thread runs main() -> one of the given leaf
 * functions; counts[i] samples end in leaf i. */
static profile *make_profile(const char *ws, double wall, size_t n, const char *const *leaves,
                             const char *const *files, const uint64_t *counts) {
    profile *p = prof_new();
    if (!p) return NULL;
    prof_meta *m = prof_meta_of(p);
    m->wall_seconds = wall;
    m->rate_hz = 1000;
    if (prof_set_str(&m->workspace, ws)) goto fail;
    int th = prof_add_thread(p, 100, 100, "MainThread");
    int root = prof_intern_frame(p, "process 100 (python x.py)", "", 0, 0, FRAME_PROCESS);
    int mainf = prof_intern_frame(p, "main", "/ws/app.py", 40, 38, FRAME_PYTHON);
    if (th < 0 || root < 0 || mainf < 0) goto fail;
    for (size_t i = 0; i < n; i++) {
        if (!counts[i]) continue;
        int leaf = prof_intern_frame(p, leaves[i], files ? files[i] : "/ws/app.py", 10 + (int)i,
                                     9 + (int)i, FRAME_PYTHON);
        if (leaf < 0) goto fail;
        uint32_t frames[3] = {(uint32_t)root, (uint32_t)mainf, (uint32_t)leaf};
        if (prof_add_stack(p, (uint32_t)th, false, frames, 3, counts[i]) < 0) goto fail;
    }
    return p;
fail:
    prof_free(p);
    return NULL;
}

static const cmp_func *find(const cmp_result *r, const char *name) {
    for (size_t i = 0; i < r->nfuncs; i++)
        if (r->funcs[i].function && !strcmp(r->funcs[i].function, name)) return &r->funcs[i];
    return NULL;
}

/* xorshift64*: a fixed-seed generator so the noise test is deterministic. */
static uint64_t rng_next(uint64_t *s) {
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 0x2545F4914F6CDD1DULL;
}

/* Draws n samples from the distribution w (sums to 1) into counts. */
static void draw(uint64_t *seed, const double *w, size_t k, uint64_t n, uint64_t *counts) {
    for (size_t i = 0; i < k; i++) counts[i] = 0;
    for (uint64_t s = 0; s < n; s++) {
        double u = (double)(rng_next(seed) >> 11) / 9007199254740992.0;
        size_t i = 0;
        double acc = w[0];
        while (u >= acc && i + 1 < k) acc += w[++i];
        counts[i]++;
    }
}

/* ---- z-test ---- */

TEST(ztest_known_values) {
    cmp_ztest t;
    CHECK_EQ_INT(cmp_two_prop(50, 100, 70, 100, &t), 0);
    CHECK(NEAR(t.z, 2.886751345948128, 1e-9));
    CHECK(NEAR(t.p, 0.0038924171227786427, 1e-9));
    CHECK(NEAR(t.diff, 0.2, 1e-12));
    CHECK(NEAR(t.lo, 0.06706877501808317, 1e-9));
    CHECK(NEAR(t.hi, 0.33293122498191674, 1e-9));

    CHECK_EQ_INT(cmp_two_prop(120, 1000, 90, 1000, &t), 0);
    CHECK(NEAR(t.z, -2.1882658846227234, 1e-9));
    CHECK(NEAR(t.p, 0.028650240398448486, 1e-9));
    CHECK(NEAR(t.lo, -0.056837912155757356, 1e-9));
    CHECK(NEAR(t.hi, -0.003162087844242642, 1e-9));
}

TEST(ztest_edges) {
    cmp_ztest t;
    CHECK(NEAR(cmp_p_two_sided(0), 1.0, 1e-12));
    CHECK(NEAR(cmp_p_two_sided(1.959963984540054), 0.05, 1e-9));
    CHECK(NEAR(cmp_p_two_sided(-3), 0.0026997960632601913, 1e-12));
    /* No variance: both zero, both all. */
    CHECK_EQ_INT(cmp_two_prop(0, 10, 0, 20, &t), 0);
    CHECK(t.z == 0 && t.p == 1.0);
    CHECK_EQ_INT(cmp_two_prop(10, 10, 20, 20, &t), 0);
    CHECK(t.z == 0 && t.p == 1.0);
    /* Invalid input is refused, not divided by zero. */
    CHECK_EQ_INT(cmp_two_prop(1, 0, 1, 10, &t), -1);
    CHECK_EQ_INT(cmp_two_prop(11, 10, 1, 10, &t), -1);
}

/* ---- multiple comparisons ---- */

TEST(bh_known_values) {
    double p[4] = {0.01, 0.04, 0.03, 0.005}, q[4];
    CHECK_EQ_INT(cmp_adjust(p, 4, CMP_BH, q), 0);
    /* sorted 0.005 0.01 0.03 0.04 -> x4/1 x4/2 x4/3 x4/4 = .02 .02 .04 .04 */
    CHECK(NEAR(q[0], 0.02, 1e-12));
    CHECK(NEAR(q[1], 0.04, 1e-12));
    CHECK(NEAR(q[2], 0.04, 1e-12));
    CHECK(NEAR(q[3], 0.02, 1e-12));
    /* The step-up minimum: a larger p can pull a smaller one's q down. */
    double p2[3] = {0.02, 0.03, 0.031}, q2[3];
    CHECK_EQ_INT(cmp_adjust(p2, 3, CMP_BH, q2), 0);
    CHECK(NEAR(q2[0], 0.031, 1e-12));
    CHECK(NEAR(q2[1], 0.031, 1e-12));
    CHECK(NEAR(q2[2], 0.031, 1e-12));
}

TEST(holm_known_values) {
    double p[4] = {0.01, 0.04, 0.03, 0.005}, q[4];
    CHECK_EQ_INT(cmp_adjust(p, 4, CMP_HOLM, q), 0);
    /* sorted 0.005 0.01 0.03 0.04 -> x4 x3 x2 x1 = .02 .03 .06 .04 -> running max */
    CHECK(NEAR(q[3], 0.02, 1e-12));
    CHECK(NEAR(q[0], 0.03, 1e-12));
    CHECK(NEAR(q[2], 0.06, 1e-12));
    CHECK(NEAR(q[1], 0.06, 1e-12));
    double big[2] = {0.6, 0.9}, qb[2];
    CHECK_EQ_INT(cmp_adjust(big, 2, CMP_HOLM, qb), 0);
    CHECK(qb[0] == 1.0 && qb[1] == 1.0);
    CHECK_EQ_INT(cmp_adjust(big, 0, CMP_BH, qb), 0);
}

/* ---- whole profiles ---- */

static const char *const names4[] = {"parse", "validate", "render", "save"};

TEST(identical_profiles_no_alarm) {
    uint64_t c[4] = {400, 300, 200, 100};
    profile *a = make_profile("/ws", 1.0, 4, names4, NULL, c);
    profile *b = make_profile("/ws", 1.0, 4, names4, NULL, c);
    CHECK(a && b);
    cmp_result r;
    CHECK_EQ_INT(cmp_profiles(a, b, NULL, &r), 0);
    CHECK_EQ_INT(r.nslower, 0);
    CHECK_EQ_INT(r.nfaster, 0);
    CHECK(!r.regressed);
    CHECK(!r.wall_slower && !r.wall_faster);
    CHECK_EQ_INT(r.base_samples, 1000);
    CHECK_EQ_INT(r.new_samples, 1000);
    CHECK_EQ_INT(r.ntested, 5);   /* 4 leaves + main */
    CHECK_EQ_INT(r.ntests, 10);
    const cmp_func *m = find(&r, "main");
    CHECK(m && m->base_total == 1000 && m->new_total == 1000 && m->base_self == 0);
    cmp_result_free(&r);
    prof_free(a);
    prof_free(b);
}

TEST(big_shift_alarms) {
    uint64_t cb[4] = {200, 300, 300, 200};   /* parse 20% of 1.0 s */
    uint64_t cn[4] = {800, 300, 300, 200};   /* parse 50% of 1.6 s: 4x the time */
    profile *a = make_profile("/ws", 1.0, 4, names4, NULL, cb);
    profile *b = make_profile("/ws", 1.6, 4, names4, NULL, cn);
    CHECK(a && b);
    cmp_result r;
    CHECK_EQ_INT(cmp_profiles(a, b, NULL, &r), 0);
    CHECK(r.regressed);
    CHECK_EQ_INT(r.nslower, 1);
    CHECK(r.wall_slower);
    CHECK(NEAR(r.wall_change_pct, 60.0, 1e-9));
    CHECK(r.nfuncs > 0 && !strcmp(r.funcs[0].function, "parse"));  /* slower first */
    const cmp_func *f = find(&r, "parse");
    CHECK(f && f->dir == CMP_SLOWER && f->self_dir == CMP_SLOWER);
    CHECK(f && NEAR(f->self.diff, 0.3, 1e-12));
    CHECK(f && f->self.lo > 0.25 && f->self.hi < 0.35);
    CHECK(f && f->self_q < 1e-6);
    CHECK(f && NEAR(f->self_time_ratio, 4.0, 1e-9));
    /* The others lost share only because parse grew; their time is the same. */
    const cmp_func *v = find(&r, "validate");
    CHECK(v && v->dir == CMP_SAME && v->self.diff < 0);
    cmp_result_free(&r);
    prof_free(a);
    prof_free(b);
}

TEST(dispersion_widens_tests_and_intervals) {
    uint64_t cb[4] = {200, 300, 300, 200};
    uint64_t cn[4] = {300, 300, 300, 200};
    profile *a = make_profile("/ws", 1.0, 4, names4, NULL, cb);
    profile *b = make_profile("/ws", 1.1, 4, names4, NULL, cn);
    cmp_opts o;
    cmp_opts_init(&o);
    CHECK(o.dispersion == 2.0);
    cmp_result r1, r2;
    CHECK(a && b);
    o.dispersion = 1.0;
    CHECK_EQ_INT(cmp_profiles(a, b, &o, &r1), 0);
    o.dispersion = 2.0;
    CHECK_EQ_INT(cmp_profiles(a, b, &o, &r2), 0);
    const cmp_func *f1 = find(&r1, "parse"), *f2 = find(&r2, "parse");
    CHECK(f1 && f2);
    if (f1 && f2) {
        cmp_ztest plain;
        CHECK_EQ_INT(cmp_two_prop(200, 1000, 300, 1100, &plain), 0);
        CHECK(NEAR(f1->self.z, plain.z, 1e-12) && NEAR(f1->self.p, plain.p, 1e-12));
        CHECK(NEAR(f2->self.z * sqrt(2.0), plain.z, 1e-9));
        CHECK(NEAR(f2->self.p, cmp_p_two_sided(plain.z / sqrt(2.0)), 1e-12));
        CHECK(NEAR((f2->self.hi - f2->self.lo), (plain.hi - plain.lo) * sqrt(2.0), 1e-9));
        CHECK(f2->self.p > f1->self.p);
    }
    cmp_result_free(&r1);
    cmp_result_free(&r2);
    prof_free(a);
    prof_free(b);
}

/* Samples that stood for several ticks each (rounds beside a thread,
 * sampler.h) are fewer draws than their counts: the design effect of each
 * profile, from its counters, widens that side's share of the variance. */
TEST(weighted_samples_widen_tests) {
    uint64_t cb[4] = {200, 300, 300, 200};
    uint64_t cn[4] = {300, 300, 300, 200};
    profile *a = make_profile("/ws", 1.0, 4, names4, NULL, cb);
    profile *b = make_profile("/ws", 1.1, 4, names4, NULL, cn);
    CHECK(a && b);
    if (!a || !b) return;
    CHECK(prof_design_effect(a) == 1.0);   /* no counters: one tick a sample */
    prof_counters *c = prof_counters_of(b);
    /* 1100 ticks, 1000 of them beside in 250 rounds of 4, 100 rounds of one */
    c->ticks = 1100;
    c->beside = 1000;
    c->rounds = 350;
    CHECK(NEAR(prof_design_effect(b), (100.0 + 1000.0 * 4) / 1100.0, 1e-12));
    CHECK(NEAR(prof_beside_every(b), 4.0, 1e-12));
    c->rounds = 100;                       /* inconsistent: no round beside */
    CHECK(prof_design_effect(b) == 1.0);
    CHECK(prof_beside_every(b) == 1.0);
    c->rounds = 1100;                      /* every beside round one tick */
    CHECK(prof_design_effect(b) == 1.0);
    cmp_opts o;
    cmp_opts_init(&o);
    o.dispersion = 1.0;
    cmp_result r1, r2;
    CHECK_EQ_INT(cmp_profiles(a, b, &o, &r1), 0);
    c->rounds = 350;
    CHECK_EQ_INT(cmp_profiles(a, b, &o, &r2), 0);
    CHECK(r1.new_deff == 1.0 && NEAR(r2.new_deff, 4100.0 / 1100.0, 1e-12) && r2.base_deff == 1.0);
    const cmp_func *f1 = find(&r1, "parse"), *f2 = find(&r2, "parse");
    CHECK(f1 && f2);
    if (f1 && f2) {
        cmp_ztest plain;
        CHECK_EQ_INT(cmp_two_prop(200, 1000, 300, 1100, &plain), 0);
        CHECK(NEAR(f1->self.z, plain.z, 1e-12));
        /* the new side's variance x deff, the base's as it was */
        double v1 = 0.2 * 0.8 / 1000, v2 = (3.0 / 11) * (8.0 / 11) / 1100, d = 4100.0 / 1100.0;
        double k = sqrt((v1 + d * v2) / (v1 + v2));
        CHECK(NEAR(f2->self.z * k, plain.z, 1e-9));
        CHECK(NEAR(f2->self.hi - f2->self.lo, (plain.hi - plain.lo) * k, 1e-9));
        CHECK(f2->self.p > f1->self.p);
    }
    cmp_result_free(&r1);
    cmp_result_free(&r2);
    prof_free(a);
    prof_free(b);
}

TEST(others_faster_is_not_a_slowdown) {
    /* render got 2x faster: every other share grows, their time does not. */
    uint64_t cb[4] = {250, 250, 500, 0};
    uint64_t cn[4] = {250, 250, 250, 0};
    const char *const leaves[3] = {"parse", "validate", "render"};
    profile *a = make_profile("/ws", 1.0, 3, leaves, NULL, cb);
    profile *b = make_profile("/ws", 0.75, 3, leaves, NULL, cn);
    cmp_result r;
    CHECK(a && b);
    CHECK_EQ_INT(cmp_profiles(a, b, NULL, &r), 0);
    CHECK(!r.regressed);
    CHECK_EQ_INT(r.nslower, 0);
    const cmp_func *p = find(&r, "parse");
    CHECK(p && p->self.diff > 0.08 && p->self_q < 0.01);    /* significant share change... */
    CHECK(p && p->dir == CMP_SAME);                          /* ...but not more time */
    const cmp_func *rd = find(&r, "render");
    CHECK(rd && rd->dir == CMP_FASTER);
    CHECK(r.wall_faster);
    cmp_result_free(&r);
    prof_free(a);
    prof_free(b);
}

TEST(uniformly_slower_runner_is_not_a_regression) {
    uint64_t c[4] = {400, 300, 200, 100};
    profile *a = make_profile("/ws", 1.0, 4, names4, NULL, c);
    profile *b = make_profile("/ws", 1.5, 4, names4, NULL, c);
    cmp_result r;
    CHECK(a && b);
    CHECK_EQ_INT(cmp_profiles(a, b, NULL, &r), 0);
    CHECK(!r.regressed);
    CHECK(r.wall_slower);
    CHECK_EQ_INT(r.nslower, 0);
    cmp_result_free(&r);
    prof_free(a);
    prof_free(b);
}

TEST(sampling_noise_rarely_alarms) {
    /* Two runs of one workload = two multinomial draws from the same
     * distribution, with wall times 5% apart either way. With the default
     * alpha of 0.01 (BH over ~22 tests) at most about 1% of such pairs may
     * report anything; the exact count is printed. */
    const char *const names[10] = {"f0", "f1", "f2", "f3", "f4", "f5", "f6", "f7", "f8", "f9"};
    const double w[10] = {0.30, 0.20, 0.12, 0.10, 0.08, 0.07, 0.05, 0.04, 0.03, 0.01};
    uint64_t seed = 0x9E3779B97F4A7C15ULL;
    int alarmed_pairs = 0, pairs = 0, raw_small_p = 0, tests = 0;
    for (int i = 0; i < 1000; i++) {
        uint64_t ca[10], cb[10];
        draw(&seed, w, 10, 3000, ca);
        draw(&seed, w, 10, 3000, cb);
        profile *a = make_profile("/ws", 3.0, 10, names, NULL, ca);
        profile *b = make_profile("/ws", 3.0 * (0.95 + 0.1 * (double)(i % 11) / 10.0), 10, names,
                                  NULL, cb);
        cmp_result r;
        if (!a || !b || cmp_profiles(a, b, NULL, &r)) {
            CHECK(0);
            prof_free(a);
            prof_free(b);
            break;
        }
        pairs++;
        alarmed_pairs += r.nslower + r.nfaster > 0;
        for (size_t k = 0; k < r.nfuncs; k++) {
            if (!r.funcs[k].tested) continue;
            tests++;
            cmp_ztest plain;   /* the binomial test, before the dispersion */
            if (!cmp_two_prop(r.funcs[k].base_self, r.base_samples, r.funcs[k].new_self,
                              r.new_samples, &plain) && plain.p < 0.05)
                raw_small_p++;
        }
        cmp_result_free(&r);
        prof_free(a);
        prof_free(b);
    }
    CHECK_EQ_INT(pairs, 1000);
    CHECK(alarmed_pairs <= 10);
    /* The unadjusted test does fire by chance (about 5% of the tests), which
     * is what the correction and the minimum effect are for. */
    CHECK(raw_small_p > tests / 40);
    printf("  noise: %d of %d unadjusted self p-values < 0.05; %d of %d pairs alarmed\n",
           raw_small_p, tests, alarmed_pairs, pairs);
}

TEST(new_function_and_min_samples) {
    const char *const leaves[3] = {"parse", "hot_new", "rare"};
    uint64_t cb[3] = {1000, 0, 2};
    uint64_t cn[3] = {1000, 600, 1};
    profile *a = make_profile("/ws", 1.0, 3, leaves, NULL, cb);
    profile *b = make_profile("/ws", 1.6, 3, leaves, NULL, cn);
    cmp_result r;
    CHECK(a && b);
    CHECK_EQ_INT(cmp_profiles(a, b, NULL, &r), 0);
    const cmp_func *h = find(&r, "hot_new");
    CHECK(h && h->base_total == 0 && h->dir == CMP_SLOWER && isinf(h->self_time_ratio));
    const cmp_func *rare = find(&r, "rare");
    CHECK(rare && !rare->tested && rare->dir == CMP_SAME && rare->self_q == 1.0);
    CHECK(r.regressed);
    cmp_result_free(&r);
    prof_free(a);
    prof_free(b);
}

TEST(matching_across_machines) {
    /* Same code, different checkout paths and Python minor versions. */
    const char *const leaves[3] = {"parse", "loads", "get"};
    const char *const fa[3] = {"/home/runner/work/r/r/app/parse.py",
                               "/usr/lib/python3.11/json/__init__.py",
                               "/opt/venv/lib/python3.11/site-packages/requests/api.py"};
    const char *const fb[3] = {"/srv/ci/r/app/parse.py", "/opt/py/lib/python3.12/json/__init__.py",
                               "/x/lib/python3.12/site-packages/requests/api.py"};
    uint64_t c[3] = {500, 300, 200};
    profile *a = make_profile("/home/runner/work/r/r", 1.0, 3, leaves, fa, c);
    profile *b = make_profile("/srv/ci/r/", 1.0, 3, leaves, fb, c);
    cmp_result r;
    CHECK(a && b);
    CHECK_EQ_INT(cmp_profiles(a, b, NULL, &r), 0);
    const cmp_func *p = find(&r, "parse");
    CHECK(p && p->base_self == 500 && p->new_self == 500);
    CHECK(p && !strcmp(p->key_file, "app/parse.py"));
    const cmp_func *l = find(&r, "loads");
    CHECK(l && l->base_self == 300 && l->new_self == 300 && !strcmp(l->key_file, "stdlib/json/__init__.py"));
    const cmp_func *g = find(&r, "get");
    CHECK(g && g->base_self == 200 && g->new_self == 200 &&
          !strcmp(g->key_file, "site-packages/requests/api.py"));
    CHECK_EQ_INT(r.nslower + r.nfaster, 0);
    cmp_result_free(&r);
    prof_free(a);
    prof_free(b);

    char *k = cmp_key_file("/ws/a.py", "/ws");
    CHECK_EQ_STR(k, "a.py");
    free(k);
    k = cmp_key_file("/wsx/a.py", "/ws");
    CHECK_EQ_STR(k, "/wsx/a.py");
    free(k);
    k = cmp_key_file("<frozen importlib._bootstrap>", "/ws");
    CHECK_EQ_STR(k, "<frozen importlib._bootstrap>");
    free(k);
    k = cmp_key_file("/usr/lib/python3.13t/x.py", NULL);
    CHECK_EQ_STR(k, "stdlib/x.py");
    free(k);
    k = cmp_key_file("/usr/lib/pythonX/x.py", NULL);
    CHECK_EQ_STR(k, "/usr/lib/pythonX/x.py");
    free(k);
}

TEST(comprehensions_belong_to_their_function) {
    char *k = cmp_key_function("parse.<locals>.<genexpr>");
    CHECK_EQ_STR(k, "parse");
    free(k);
    k = cmp_key_function("A.m.<locals>.<lambda>.<locals>.<listcomp>");
    CHECK_EQ_STR(k, "A.m");
    free(k);
    k = cmp_key_function("outer.<locals>.helper");
    CHECK_EQ_STR(k, "outer.<locals>.helper");
    free(k);
    k = cmp_key_function("<genexpr>");
    CHECK_EQ_STR(k, "<genexpr>");
    free(k);
    k = cmp_key_function("<module>");
    CHECK_EQ_STR(k, "<module>");
    free(k);
    /* The same work split differently between a function and its generator
     * expression is no change at all. */
    const char *const leaves[3] = {"parse", "parse.<locals>.<genexpr>", "save"};
    uint64_t cb[3] = {450, 50, 500};
    uint64_t cn[3] = {200, 300, 500};
    profile *a = make_profile("/ws", 1.0, 3, leaves, NULL, cb);
    profile *b = make_profile("/ws", 1.0, 3, leaves, NULL, cn);
    cmp_result r;
    CHECK(a && b);
    CHECK_EQ_INT(cmp_profiles(a, b, NULL, &r), 0);
    const cmp_func *p = find(&r, "parse");
    CHECK(p && p->base_self == 500 && p->new_self == 500);
    CHECK(p && p->first_line == 9);   /* the function's own def line, not the genexpr's */
    CHECK(find(&r, "parse.<locals>.<genexpr>") == NULL);
    CHECK_EQ_INT(r.nslower + r.nfaster, 0);
    cmp_result_free(&r);
    prof_free(a);
    prof_free(b);
}

TEST(empty_profile_is_explained) {
    uint64_t c[1] = {10};
    const char *const leaves[1] = {"f"};
    profile *a = prof_new();
    profile *b = make_profile("/ws", 1.0, 1, leaves, NULL, c);
    cmp_result r;
    CHECK(a && b);
    CHECK_EQ_INT(cmp_profiles(a, b, NULL, &r), 0);
    CHECK(r.note != NULL);
    CHECK_EQ_INT(r.ntested, 0);
    CHECK(!r.regressed);
    cmp_result_free(&r);
    prof_free(a);
    prof_free(b);
}

TEST(holm_is_stricter_than_bh) {
    /* Several moderate shifts: BH finds at least as many as Holm. */
    const char *const names[6] = {"a", "b", "c", "d", "e", "f"};
    uint64_t cb[6] = {300, 300, 100, 100, 100, 100};
    uint64_t cn[6] = {340, 340, 80, 80, 80, 80};
    profile *a = make_profile("/ws", 1.0, 6, names, NULL, cb);
    profile *b = make_profile("/ws", 1.2, 6, names, NULL, cn);
    cmp_opts o;
    cmp_opts_init(&o);
    cmp_result rb, rh;
    CHECK(a && b);
    CHECK_EQ_INT(cmp_profiles(a, b, &o, &rb), 0);
    o.correction = CMP_HOLM;
    CHECK_EQ_INT(cmp_profiles(a, b, &o, &rh), 0);
    CHECK(rb.nslower + rb.nfaster >= rh.nslower + rh.nfaster);
    for (size_t i = 0; i < rb.nfuncs; i++) {
        const cmp_func *fb = &rb.funcs[i], *fh = find(&rh, fb->function);
        CHECK(fh && fh->self_q >= fb->self_q - 1e-12);
    }
    cmp_result_free(&rb);
    cmp_result_free(&rh);
    prof_free(a);
    prof_free(b);
}

/* ---- issue #10: bands, imports, leads ---- */

TEST(band_and_judge) {
    double h[6] = {1.00, 1.10, 0.90, 1.05, 0.95, 0};   /* the 0 is unknown, skipped */
    cmp_band b;
    CHECK_EQ_INT((int)cmp_band_of(h, 6, &b), 5);
    CHECK(NEAR(b.median, 1.0, 1e-12));
    /* MAD 0.05 -> sd 0.07413 (above the 2% floor): 1 +- 0.2224 */
    CHECK(NEAR(b.hi, 1.0 + 3 * 1.4826 * 0.05, 1e-9) && NEAR(b.lo, 1.0 - 3 * 1.4826 * 0.05, 1e-9));
    CHECK_EQ_INT((int)cmp_band_of(h, 4, &b), 4);
    CHECK(b.hi == 0);   /* too few: no band */
    cmp_resource r;
    cmp_judge(&r, 1.0, 1.2, h, 6, 10);
    CHECK(r.known && r.by_history && r.level == CMP_LEVEL_WITHIN);   /* +20%, but usual */
    cmp_judge(&r, 1.0, 1.3, h, 6, 10);
    CHECK(r.level == CMP_LEVEL_ABOVE);
    cmp_judge(&r, 1.0, 1.2, h, 3, 10);
    CHECK(!r.by_history && r.level == CMP_LEVEL_ABOVE && NEAR(r.change_pct, 20, 1e-9));
    cmp_judge(&r, 0, 1.2, h, 6, 10);
    CHECK(!r.known);
    double flat[5] = {2, 2, 2, 2, 2};   /* a very steady history: the 2% floor */
    cmp_band_of(flat, 5, &b);
    CHECK(NEAR(b.hi, 2.12, 1e-9));
}

TEST(import_frames) {
    prof_frame f = {.function = "_find_and_load", .file = "<frozen importlib._bootstrap>", .type = FRAME_PYTHON};
    CHECK(classify_frame_is_import(&f));
    f.file = "/usr/lib/python3.11/importlib/_bootstrap_external.py";
    CHECK(classify_frame_is_import(&f));
    f.file = "/ws/importlib/helpers.py";
    CHECK(!classify_frame_is_import(&f));
    f.file = "<frozen importlib._bootstrap>";
    f.type = FRAME_NATIVE;
    CHECK(!classify_frame_is_import(&f));
}

/* main -> {plant | encode -> dumps -> iterencode | import of slowmod}; the
 * counts of each path given. */
static profile *app_profile(uint64_t plant, uint64_t dumps, uint64_t encode_self, uint64_t imports) {
    profile *p = prof_new();
    if (!p) return NULL;
    prof_meta *m = prof_meta_of(p);
    m->wall_seconds = (double)(plant + dumps + encode_self + imports) / 1000.0;
    m->rate_hz = 1000;
    if (prof_set_str(&m->workspace, "/ws")) goto fail;
    int th = prof_add_thread(p, 1, 1, "MainThread");
    int mod = prof_intern_frame(p, "<module>", "/ws/app.py", 1, 1, FRAME_PYTHON);
    int mainf = prof_intern_frame(p, "main", "/ws/app.py", 40, 38, FRAME_PYTHON);
    int pl = prof_intern_frame(p, "plant", "/ws/app.py", 12, 10, FRAME_PYTHON);
    int enc = prof_intern_frame(p, "encode", "/ws/app.py", 22, 20, FRAME_PYTHON);
    int du = prof_intern_frame(p, "dumps", "/usr/lib/python3.11/json/__init__.py", 231, 183, FRAME_PYTHON);
    int it = prof_intern_frame(p, "JSONEncoder.iterencode", "/usr/lib/python3.11/json/encoder.py", 258, 205, FRAME_PYTHON);
    int fl = prof_intern_frame(p, "_find_and_load", "<frozen importlib._bootstrap>", 1176, 1165, FRAME_PYTHON);
    int sm = prof_intern_frame(p, "<module>", "/ws/slowmod.py", 5, 1, FRAME_PYTHON);
    if (th < 0 || mod < 0 || mainf < 0 || pl < 0 || enc < 0 || du < 0 || it < 0 || fl < 0 || sm < 0) goto fail;
    uint32_t s1[] = {(uint32_t)mod, (uint32_t)mainf, (uint32_t)pl};
    uint32_t s2[] = {(uint32_t)mod, (uint32_t)mainf, (uint32_t)enc, (uint32_t)du, (uint32_t)it};
    uint32_t s3[] = {(uint32_t)mod, (uint32_t)mainf, (uint32_t)enc};
    uint32_t s4[] = {(uint32_t)mod, (uint32_t)fl, (uint32_t)sm};
    if ((plant && prof_add_stack(p, (uint32_t)th, false, s1, 3, plant) < 0) ||
        (dumps && prof_add_stack(p, (uint32_t)th, false, s2, 5, dumps) < 0) ||
        (encode_self && prof_add_stack(p, (uint32_t)th, false, s3, 3, encode_self) < 0) ||
        (imports && prof_add_stack(p, (uint32_t)th, false, s4, 3, imports) < 0))
        goto fail;
    return p;
fail:
    prof_free(p);
    return NULL;
}

TEST(imports_apart_and_never_a_regression) {
    profile *a = app_profile(400, 400, 200, 100), *b = app_profile(400, 400, 200, 900);
    CHECK(a && b);
    cmp_result r;
    CHECK_EQ_INT(cmp_profiles(a, b, NULL, &r), 0);
    CHECK(!r.regressed && r.nslower == 0 && r.nleads == 0);
    CHECK_EQ_INT((int)r.base_samples, 1000);   /* imports left out of the denominator */
    CHECK_EQ_INT((int)r.imports.base, 100);
    CHECK_EQ_INT((int)r.imports.new_n, 900);
    CHECK(r.imports.dir == CMP_SLOWER);
    CHECK(r.imports.top_module && !strcmp(r.imports.top_module, "slowmod"));
    const cmp_func *sm = NULL;
    for (size_t i = 0; i < r.nfuncs; i++)
        if (!strcmp(r.funcs[i].key_file, "slowmod.py")) sm = &r.funcs[i];
    CHECK(sm && sm->new_total == 0);   /* the imported module's code is import time */
    cmp_result_free(&r);
    prof_free(a);
    prof_free(b);
}

/* main -> opt -> minimize (a library) -> {its own work | cb (the user's
 * objective, called back) -> predict}: samples of each path given. */
static profile *callback_profile(uint64_t lib_self, uint64_t cb) {
    profile *p = prof_new();
    if (!p) return NULL;
    prof_meta *m = prof_meta_of(p);
    m->wall_seconds = (double)(lib_self + cb + 300) / 1000.0;
    m->rate_hz = 1000;
    if (prof_set_str(&m->workspace, "/ws")) goto fail;
    int th = prof_add_thread(p, 1, 1, "MainThread");
    int mainf = prof_intern_frame(p, "main", "/ws/bo.py", 70, 68, FRAME_PYTHON);
    int opt = prof_intern_frame(p, "optimise", "/ws/bo.py", 50, 48, FRAME_PYTHON);
    int mini = prof_intern_frame(p, "minimize", "/usr/lib/python3/dist-packages/scipy/optimize/_minimize.py",
                                 700, 45, FRAME_PYTHON);
    int cbf = prof_intern_frame(p, "neg_ei", "/ws/bo.py", 40, 38, FRAME_PYTHON);
    int pred = prof_intern_frame(p, "predict", "/usr/lib/python3/dist-packages/sklearn/gaussian_process/_gpr.py",
                                 400, 360, FRAME_PYTHON);
    int fit = prof_intern_frame(p, "fit", "/ws/bo.py", 30, 28, FRAME_PYTHON);
    if (th < 0 || mainf < 0 || opt < 0 || mini < 0 || cbf < 0 || pred < 0 || fit < 0) goto fail;
    uint32_t s1[] = {(uint32_t)mainf, (uint32_t)opt, (uint32_t)mini};
    uint32_t s2[] = {(uint32_t)mainf, (uint32_t)opt, (uint32_t)mini, (uint32_t)cbf, (uint32_t)pred};
    uint32_t s3[] = {(uint32_t)mainf, (uint32_t)fit};
    if (prof_add_stack(p, (uint32_t)th, false, s1, 3, lib_self) < 0 ||
        prof_add_stack(p, (uint32_t)th, false, s2, 5, cb) < 0 ||
        prof_add_stack(p, (uint32_t)th, false, s3, 2, 300) < 0)
        goto fail;
    return p;
fail:
    prof_free(p);
    return NULL;
}

TEST(leads_through_a_callback) {
    /* optimise calls the optimiser 3x as often: the library's own work and
     * the callback both grew, and the changed function, optimise, leads. */
    profile *a = callback_profile(100, 300), *b = callback_profile(300, 900);
    CHECK(a && b);
    cmp_result r;
    CHECK_EQ_INT(cmp_profiles(a, b, NULL, &r), 0);
    CHECK(r.regressed);
    CHECK(r.nleads >= 1 && !strcmp(r.funcs[r.leads[0].func].function, "optimise"));
    for (size_t i = 0; i < r.nleads; i++) CHECK(strcmp(r.funcs[r.leads[i].func].function, "main"));
    cmp_result_free(&r);
    prof_free(b);
    /* Only the callback got 3x slower: it leads, and optimise is not named. */
    b = callback_profile(100, 900);
    CHECK(b);
    CHECK_EQ_INT(cmp_profiles(a, b, NULL, &r), 0);
    CHECK_EQ_INT((int)r.nleads, 1);
    CHECK(r.nleads && !strcmp(r.funcs[r.leads[0].func].function, "neg_ei"));
    cmp_result_free(&r);
    prof_free(a);
    prof_free(b);
}

TEST(leads_are_innermost_user_functions) {
    /* plant does 3x the work: plant leads, not main or <module>. */
    profile *a = app_profile(300, 300, 100, 50), *b = app_profile(900, 300, 100, 50);
    CHECK(a && b);
    cmp_result r;
    CHECK_EQ_INT(cmp_profiles(a, b, NULL, &r), 0);
    CHECK(r.regressed);
    CHECK_EQ_INT((int)r.nleads, 1);
    CHECK(r.nleads && !strcmp(r.funcs[r.leads[0].func].function, "plant"));
    CHECK(r.nleads && r.leads[0].nbeneath == 0);
    cmp_result_free(&r);
    prof_free(b);
    /* encode calls dumps 3x as often: encode leads, dumps beneath it. */
    b = app_profile(300, 900, 100, 50);
    CHECK(b);
    CHECK_EQ_INT(cmp_profiles(a, b, NULL, &r), 0);
    CHECK(r.nleads >= 1 && !strcmp(r.funcs[r.leads[0].func].function, "encode"));
    CHECK(r.nleads && r.leads[0].nbeneath == 1 && !strcmp(r.funcs[r.leads[0].beneath[0].func].function, "dumps"));
    CHECK(r.nleads && NEAR(r.leads[0].beneath[0].time_ratio, 3.0, 1e-9));
    for (size_t i = 0; i < r.nleads; i++) CHECK(r.funcs[r.leads[i].func].yours);
    cmp_result_free(&r);
    prof_free(a);
    prof_free(b);
}

TEST(self_moved_to_callee_is_no_slowdown) {
    /* encode's own lines take samples from dumps beneath it: total flat. */
    profile *a = app_profile(300, 300, 20, 0), *b = app_profile(300, 220, 100, 0);
    CHECK(a && b);
    cmp_result r;
    CHECK_EQ_INT(cmp_profiles(a, b, NULL, &r), 0);
    const cmp_func *e = find(&r, "encode");
    CHECK(e && e->self_dir == CMP_SLOWER && e->dir == CMP_SAME);
    CHECK(!r.regressed);
    cmp_result_free(&r);
    prof_free(a);
    prof_free(b);
}

TEST(estimated_time_follows_cpu_time) {
    /* The same work sampled twice as often on a busy runner (threads wait
     * runnable and are sampled), the same CPU time: nothing is slower. */
    profile *a = app_profile(300, 300, 100, 0), *b = app_profile(600, 660, 200, 0);
    CHECK(a && b);
    prof_meta *ma = prof_meta_of(a), *mb = prof_meta_of(b);
    ma->rusage_known = mb->rusage_known = true;
    ma->cpu_user_seconds = mb->cpu_user_seconds = 0.7;
    cmp_result r;
    CHECK_EQ_INT(cmp_profiles(a, b, NULL, &r), 0);
    const cmp_func *d = find(&r, "dumps");
    CHECK(d && NEAR(d->total_time_ratio, (660.0 / 1460) / (300.0 / 700), 1e-9));
    CHECK(!r.regressed);
    cmp_result_free(&r);
    /* Without CPU times, samples x interval: twice the samples is slower. */
    ma->rusage_known = false;
    CHECK_EQ_INT(cmp_profiles(a, b, NULL, &r), 0);
    d = find(&r, "dumps");
    CHECK(d && d->total_time_ratio > 2.0);
    cmp_result_free(&r);
    prof_free(a);
    prof_free(b);
}

/* A profile of the given wall time, CPU time and runner load (-1 unknown). */
static profile *resource_profile(double wall, double cpu, double load) {
    const char *const names[2] = {"parse", "validate"};
    uint64_t c[2] = {300, 700};
    profile *p = make_profile("/ws", wall, 2, names, NULL, c);
    if (!p) return NULL;
    prof_meta *m = prof_meta_of(p);
    m->rusage_known = true;
    m->cpu_user_seconds = cpu;
    m->max_rss_bytes = 1e7;
    m->other_load = load;
    m->runner_cpus = 2;
    return p;
}

TEST(busier_runner_withholds_the_wall_flag) {
    /* Five quiet past runs at 10 s wall, 9 s CPU; this run took 13 s and
     * 10.5 s CPU (both above the usual spread). */
    double wall[5] = {10, 10.1, 9.9, 10.05, 9.95}, cpu[5] = {9, 9.1, 8.9, 9.05, 8.95};
    double load[5] = {0.1, 0.05, 0.2, 0.1, 0.15};
    cmp_history h = {.wall = wall, .cpu = cpu, .other_load = load, .n = 5};
    cmp_opts o;
    cmp_opts_init(&o);
    o.history = &h;
    profile *a = resource_profile(10, 9, 0.1);
    struct { double load; bool busier; } cases[] = {
        {0.2, false},    /* as quiet as usual: more work, flagged */
        {-1, false},     /* unknown: judged as before */
        {0.55, false},   /* 0.45 CPUs above the usual 0.1: under the margin */
        {0.65, true},    /* 0.55 above: busier, withheld */
        {1.9, true},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        profile *b = resource_profile(13, 10.5, cases[i].load);
        CHECK(a && b);
        cmp_result r;
        CHECK_EQ_INT(cmp_profiles(a, b, &o, &r), 0);
        CHECK(r.wall.level == CMP_LEVEL_ABOVE && r.cpu.level == CMP_LEVEL_ABOVE);
        CHECK(NEAR(r.load_usual, 0.1, 1e-12));   /* median of 5 runs and the baseline */
        CHECK_EQ_INT((int)r.load_runs, 6);
        CHECK_EQ_INT(r.busier, cases[i].busier);
        CHECK_EQ_INT(r.wall_by_busier, cases[i].busier);
        CHECK_EQ_INT(r.wall_flag, !cases[i].busier);
        cmp_result_free(&r);
        prof_free(b);
    }
    /* The margin grows with the runner: 1/8 of 16 CPUs is 2. */
    profile *b = resource_profile(13, 10.5, 1.9);
    CHECK(b);
    prof_meta_of(b)->runner_cpus = 16;
    cmp_result r;
    CHECK_EQ_INT(cmp_profiles(a, b, &o, &r), 0);
    CHECK(!r.busier && r.wall_flag);
    cmp_result_free(&r);
    /* No history: the baseline's load is the usual one. */
    o.history = NULL;
    prof_meta_of(b)->runner_cpus = 2;
    CHECK_EQ_INT(cmp_profiles(a, b, &o, &r), 0);
    CHECK(r.busier && !r.wall_flag && r.wall_by_busier && r.load_runs == 1);
    cmp_result_free(&r);
    /* A quiet run after a busy baseline is not "busier". */
    prof_meta_of(a)->other_load = 1.9;
    prof_meta_of(b)->other_load = 0.1;
    CHECK_EQ_INT(cmp_profiles(a, b, &o, &r), 0);
    CHECK(!r.busier && !r.wall_by_busier);
    cmp_result_free(&r);
    prof_free(a);
    prof_free(b);
}

TEST(runs_on_another_kind_of_runner_are_not_the_yardstick) {
    /* A hosted runner pool: five past runs on a fast CPU (10 s wall, 9 s
     * CPU), three on a slow one (14 s, 12.6 s). */
    static const char *const fast = "Fast CPU (family 25, model 1)", *const slow = "Slow CPU (family 6, model 85)";
    double wall[8] = {10, 14, 10.1, 14.2, 9.9, 13.8, 10.05, 9.95};
    double cpu[8] = {9, 12.6, 9.1, 12.8, 8.9, 12.4, 9.05, 8.95};
    const char *kind[8] = {fast, slow, fast, slow, fast, slow, fast, fast};
    int cpus[8] = {4, 4, 4, 4, 4, 4, 4, 4};
    cmp_history h = {.wall = wall, .cpu = cpu, .runner_cpu = kind, .runner_cpus = cpus, .n = 8};
    cmp_opts o;
    cmp_opts_init(&o);
    o.history = &h;
    profile *a = resource_profile(10, 9, -1), *b = resource_profile(14, 12.6, -1);
    CHECK(a && b);
    prof_set_str(&prof_meta_of(a)->runner_cpu, fast);
    prof_meta_of(a)->runner_cpus = 4;
    prof_meta_of(b)->runner_cpus = 4;
    cmp_result r;
    /* Unchanged code on a slow runner after a fast baseline: judged by its
     * three slow past runs alone (too few for a spread), so against the
     * baseline, which ran on another kind: the longer wall time is the
     * machine's, not counted. */
    prof_set_str(&prof_meta_of(b)->runner_cpu, slow);
    CHECK_EQ_INT(cmp_profiles(a, b, &o, &r), 0);
    CHECK(r.other_runner);
    CHECK_EQ_INT((int)r.runner_same_runs, 3);
    CHECK_EQ_INT((int)r.runner_other_runs, 5);
    CHECK(!r.wall.by_history && r.wall.level == CMP_LEVEL_ABOVE);
    CHECK(!r.wall_flag && r.wall_by_runner);
    cmp_result_free(&r);
    /* The same run on a fast runner took 14 s: judged by the five fast
     * runs (the slow ones would have widened the spread past it). */
    prof_set_str(&prof_meta_of(b)->runner_cpu, fast);
    CHECK_EQ_INT(cmp_profiles(a, b, &o, &r), 0);
    CHECK(!r.other_runner);
    CHECK_EQ_INT((int)r.runner_same_runs, 5);
    CHECK_EQ_INT((int)r.runner_other_runs, 3);
    CHECK(r.wall.by_history && r.wall.band.n == 5 && NEAR(r.wall.band.median, 10, 1e-9));
    CHECK(r.wall.level == CMP_LEVEL_ABOVE && r.cpu.level == CMP_LEVEL_ABOVE);
    CHECK(r.wall_flag && !r.wall_by_runner);
    cmp_result_free(&r);
    /* What the kinds prevent: the unchanged run on the slow runner, judged
     * by all eight as one spread (robust, so the fast majority sets it), is
     * called slower. */
    h.runner_cpu = NULL;
    prof_set_str(&prof_meta_of(b)->runner_cpu, slow);
    CHECK_EQ_INT(cmp_profiles(a, b, &o, &r), 0);
    CHECK(r.wall.band.n == 8 && r.wall.by_history && r.wall_flag);
    cmp_result_free(&r);
    h.runner_cpu = kind;
    prof_set_str(&prof_meta_of(b)->runner_cpu, fast);
    /* As many CPUs is part of the kind: the fast model with 8 CPUs is
     * another kind, and so is the baseline for it. */
    prof_meta_of(b)->runner_cpus = 8;
    CHECK_EQ_INT(cmp_profiles(a, b, &o, &r), 0);
    CHECK(r.other_runner && r.runner_same_runs == 0 && r.runner_other_runs == 8);
    CHECK(!r.wall_flag && r.wall_by_runner);
    cmp_result_free(&r);
    /* Unknown kinds (profiles and histories of an older csprof) change
     * nothing: all runs are the yardstick. */
    prof_meta_of(b)->runner_cpus = 4;
    free(prof_meta_of(b)->runner_cpu);
    prof_meta_of(b)->runner_cpu = NULL;
    CHECK_EQ_INT(cmp_profiles(a, b, &o, &r), 0);
    CHECK(!r.other_runner && r.runner_same_runs == 0 && r.runner_other_runs == 0 && r.wall.band.n == 8);
    cmp_result_free(&r);
    prof_free(a);
    prof_free(b);
}

TEST(runner_kind_rule) {
    CHECK(cmp_same_runner("A", 4, "A", 4));
    CHECK(cmp_same_runner("A", 0, "A", 4));    /* a count unknown: the model decides */
    CHECK(!cmp_same_runner("A", 2, "A", 4));
    CHECK(!cmp_same_runner("A", 4, "B", 4));
    CHECK(!cmp_same_runner(NULL, 4, NULL, 4)); /* unknown is never the same */
    CHECK(!cmp_same_runner("", 4, "", 4));
    const char *cpu[4] = {"A", "", "B", NULL};
    int cpus[4] = {4, 4, 4, 4};
    bool keep[4];
    size_t same;
    CHECK_EQ_INT((int)cmp_runs_on_runner(cpu, cpus, 4, "A", 4, keep, &same), 1);
    CHECK(same == 1 && keep[0] && !keep[1] && !keep[2] && !keep[3]);
    /* Nothing on another known kind: all kept. */
    const char *old[3] = {"", NULL, "A"};
    CHECK_EQ_INT((int)cmp_runs_on_runner(old, NULL, 3, "A", 4, keep, &same), 0);
    CHECK(same == 1 && keep[0] && keep[1] && keep[2]);
    /* This run's kind unknown: all kept. */
    CHECK_EQ_INT((int)cmp_runs_on_runner(cpu, cpus, 4, NULL, 4, keep, &same), 0);
    CHECK(same == 0 && keep[0] && keep[1] && keep[2] && keep[3]);
}

TEST(wall_counts_from_the_threshold_over_its_usual_median) {
    /* A steady history (10 s, spread +-0.6 s by the 2% floor): 10.8 s is
     * outside the spread but only 8% over the median, 11.2 s is 12%. */
    double wall[5] = {10, 10.1, 9.9, 10.05, 9.95}, cpu[5] = {9, 9.1, 8.9, 9.05, 8.95};
    cmp_history h = {.wall = wall, .cpu = cpu, .n = 5};
    cmp_opts o;
    cmp_opts_init(&o);
    o.history = &h;
    profile *a = resource_profile(10, 9, -1);
    struct { double wall, cpu; bool flag, small; } cases[] = {
        {10.8, 9.8, false, true}, {11.2, 10.1, true, false}, {10.3, 9.2, false, false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        profile *b = resource_profile(cases[i].wall, cases[i].cpu, -1);
        CHECK(a && b);
        cmp_result r;
        CHECK_EQ_INT(cmp_profiles(a, b, &o, &r), 0);
        CHECK_EQ_INT(r.wall.level, i < 2 ? CMP_LEVEL_ABOVE : CMP_LEVEL_WITHIN);
        CHECK_EQ_INT(r.wall_flag, cases[i].flag);
        CHECK_EQ_INT(r.wall_small, cases[i].small);
        cmp_result_free(&r);
        prof_free(b);
    }
    prof_free(a);
}

/* ---- a function against its own history ---- */

TEST(shares_of_a_run) {
    uint64_t c[4] = {500, 300, 196, 4};   /* save: 0.4%, under the cutoff */
    profile *p = make_profile("/ws", 1.0, 4, names4, NULL, c);
    CHECK(p != NULL);
    cmp_share *s = NULL;
    size_t n = 0;
    double cutoff = -1;
    CHECK_EQ_INT(cmp_shares_of(p, &s, &n, &cutoff), 0);
    CHECK_EQ_INT((int)n, 4);   /* main (total 100%), parse, validate, render */
    CHECK(NEAR(cutoff, CMP_SHARES_MIN_PCT, 1e-12));
    CHECK(n == 4 && !strcmp(s[0].function, "main") && NEAR(s[0].total_pct, 100, 1e-9) && s[0].self_pct == 0);
    CHECK(n == 4 && !strcmp(s[1].function, "parse") && NEAR(s[1].self_pct, 50, 1e-9) &&
          !strcmp(s[1].file, "app.py"));   /* keyed as the verdict matches: relative to the workspace */
    for (size_t i = 0; i < n; i++) CHECK(strcmp(s[i].function, "save") != 0);
    cmp_shares_free(s, n);
    prof_free(p);
}

TEST(share_band_counts_zeros) {
    double v[6] = {0, 0, 0, 0, 0, -1};   /* never sampled in 5 runs; -1 unknown */
    cmp_band b;
    CHECK_EQ_INT((int)cmp_share_band(v, 6, &b), 5);
    CHECK(b.median == 0 && b.hi == 0);
    CHECK_EQ_INT((int)cmp_band_of(v, 6, &b), 0);   /* for resources a 0 is unknown */
}

TEST(share_band_is_no_narrower_than_sampling_noise) {
    /* Five runs of ~400 samples that happened to agree within 0.2 points:
     * one more such run varies by sqrt(.29 x .71 / 400) = 2.3 points from
     * sampling alone, so 26% is within its usual spread. With 100000
     * samples the noise is 0.14 points and the runs' own spread decides. */
    double v[5] = {29.3, 29.4, 29.2, 29.3, 29.35};
    cmp_band b;
    CHECK_EQ_INT((int)cmp_share_band(v, 5, &b), 5);
    double lo0 = b.lo, hi0 = b.hi;
    CHECK(26.0 < lo0);
    cmp_share_band_floor(&b, 400);
    double sd = 100.0 * sqrt(0.293 * 0.707 / 400);
    CHECK(NEAR(b.lo, 29.3 - CMP_SPREAD_K * sd, 1e-9) && NEAR(b.hi, 29.3 + CMP_SPREAD_K * sd, 1e-9));
    CHECK(26.0 > b.lo);
    CHECK_EQ_INT((int)cmp_share_band(v, 5, &b), 5);
    cmp_share_band_floor(&b, 100000);
    CHECK(b.lo == lo0 && b.hi == hi0);
    /* Too short a history is left unjudged; a floor at 0%. */
    double z[5] = {0.5, 0.4, 0.6, 0.5, 0.5};
    CHECK_EQ_INT((int)cmp_share_band(z, 5, &b), 5);
    cmp_share_band_floor(&b, 50);
    CHECK(b.lo == 0 && b.hi > 2.9);
}

/* Five past runs with parse at the given shares and validate the rest;
 * shares pointed into store. */
static void five_runs(cmp_share store[5][3], cmp_run_shares runs[5], const double parse[5]) {
    for (int r = 0; r < 5; r++) {
        store[r][0] = (cmp_share){"parse", "app.py", parse[r], parse[r]};
        store[r][1] = (cmp_share){"validate", "app.py", 100 - parse[r], 100 - parse[r]};
        store[r][2] = (cmp_share){"main", "app.py", 0, 100};
        runs[r] = (cmp_run_shares){store[r], 3, CMP_SHARES_MIN_PCT, true};
    }
}

TEST(usual_spread_absorbs_an_unusual_baseline) {
    /* The baseline caught parse at 30%, the new run at 22%: significant
     * against the baseline, but 22% is parse's usual share. */
    const char *const names[2] = {"parse", "validate"};
    uint64_t cb[2] = {3000, 7000}, cn[2] = {2200, 7800};
    profile *a = make_profile("/ws", 10.0, 2, names, NULL, cb);
    profile *b = make_profile("/ws", 10.0, 2, names, NULL, cn);
    CHECK(a && b);
    cmp_share store[5][3];
    cmp_run_shares runs[5];
    five_runs(store, runs, (const double[5]){20, 22, 24, 21, 23});
    cmp_history h = {.funcs = runs, .n = 5};
    cmp_opts o;
    cmp_opts_init(&o);
    cmp_result r0, r1;
    CHECK_EQ_INT(cmp_profiles(a, b, &o, &r0), 0);
    const cmp_func *f = find(&r0, "parse");
    CHECK(f && f->dir == CMP_FASTER && !f->usual);   /* without the history: "faster" */
    o.history = &h;
    CHECK_EQ_INT(cmp_profiles(a, b, &o, &r1), 0);
    f = find(&r1, "parse");
    CHECK(f && f->dir == CMP_SAME && f->usual);
    f = find(&r1, "validate");   /* 70% -> 78%: slower against the baseline, usual too */
    CHECK(f && f->dir == CMP_SAME && f->usual);
    CHECK_EQ_INT((int)r0.nslower, 1);
    CHECK_EQ_INT((int)r1.nusual, 2);
    CHECK_EQ_INT((int)r1.nshare_history, 5);
    CHECK_EQ_INT((int)r1.nfaster + (int)r1.nslower, 0);
    CHECK(!r1.regressed);
    cmp_result_free(&r0);
    cmp_result_free(&r1);
    /* A real change (22% -> 45%) is outside the spread: still slower. */
    uint64_t cs[2] = {2200, 7800}, cx[2] = {6400, 7800};
    profile *c = make_profile("/ws", 10.0, 2, names, NULL, cs);
    profile *d = make_profile("/ws", 14.2, 2, names, NULL, cx);
    CHECK(c && d);
    CHECK_EQ_INT(cmp_profiles(c, d, &o, &r1), 0);
    f = find(&r1, "parse");
    CHECK(f && f->dir == CMP_SLOWER && !f->usual && r1.regressed);
    cmp_result_free(&r1);
    /* Records without shares (an older csprof) do not count as history. */
    for (int i = 0; i < 5; i++) runs[i].known = false;
    CHECK_EQ_INT(cmp_profiles(a, b, &o, &r1), 0);
    CHECK_EQ_INT((int)r1.nshare_history, 0);
    f = find(&r1, "parse");
    CHECK(f && f->dir == CMP_FASTER);
    cmp_result_free(&r1);
    prof_free(a);
    prof_free(b);
    prof_free(c);
    prof_free(d);
}

/* A function gone from the new run (faster against a baseline that had
 * it): absorbed when every past run lists all functions from 0.5% and none
 * listed it (its usual share is 0), kept when the lists were cut higher
 * (not listed is then unknown, and five unknowns are no spread). */
TEST(unlisted_is_zero_only_when_the_list_is_complete) {
    const char *const with[3] = {"parse", "validate", "save"};
    uint64_t cb[3] = {2200, 7000, 800}, cn[3] = {2200, 7800, 0};
    profile *a = make_profile("/ws", 10.0, 3, with, NULL, cb);
    profile *b = make_profile("/ws", 10.0, 3, with, NULL, cn);
    CHECK(a && b);
    cmp_share store[5][3];
    cmp_run_shares runs[5];
    five_runs(store, runs, (const double[5]){20, 22, 24, 21, 23});
    cmp_history h = {.funcs = runs, .n = 5};
    cmp_opts o;
    cmp_opts_init(&o);
    o.history = &h;
    cmp_result r;
    CHECK_EQ_INT(cmp_profiles(a, b, &o, &r), 0);
    const cmp_func *f = find(&r, "save");
    CHECK(f && f->dir == CMP_SAME && f->usual);
    cmp_result_free(&r);
    for (int i = 0; i < 5; i++) runs[i].cutoff_pct = 5.0;
    CHECK_EQ_INT(cmp_profiles(a, b, &o, &r), 0);
    f = find(&r, "save");
    CHECK(f && f->dir == CMP_FASTER && !f->usual);
    cmp_result_free(&r);
    prof_free(a);
    prof_free(b);
}

int main(void) {
    RUN(ztest_known_values);
    RUN(ztest_edges);
    RUN(bh_known_values);
    RUN(holm_known_values);
    RUN(identical_profiles_no_alarm);
    RUN(big_shift_alarms);
    RUN(dispersion_widens_tests_and_intervals);
    RUN(weighted_samples_widen_tests);
    RUN(others_faster_is_not_a_slowdown);
    RUN(uniformly_slower_runner_is_not_a_regression);
    RUN(sampling_noise_rarely_alarms);
    RUN(new_function_and_min_samples);
    RUN(matching_across_machines);
    RUN(comprehensions_belong_to_their_function);
    RUN(empty_profile_is_explained);
    RUN(holm_is_stricter_than_bh);
    RUN(band_and_judge);
    RUN(import_frames);
    RUN(imports_apart_and_never_a_regression);
    RUN(leads_are_innermost_user_functions);
    RUN(leads_through_a_callback);
    RUN(self_moved_to_callee_is_no_slowdown);
    RUN(estimated_time_follows_cpu_time);
    RUN(busier_runner_withholds_the_wall_flag);
    RUN(runs_on_another_kind_of_runner_are_not_the_yardstick);
    RUN(runner_kind_rule);
    RUN(wall_counts_from_the_threshold_over_its_usual_median);
    RUN(shares_of_a_run);
    RUN(share_band_counts_zeros);
    RUN(share_band_is_no_narrower_than_sampling_noise);
    RUN(usual_spread_absorbs_an_unusual_baseline);
    RUN(unlisted_is_zero_only_when_the_list_is_complete);
    return check_summary();
}
