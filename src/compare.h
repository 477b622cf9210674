/* compare.h -- the statistics of `csprof diff`: which functions changed
 * beyond noise between a baseline profile and a new one.
 *
 * Method (why, in short):
 *  - Runners differ in speed, so functions are compared by their SHARE of
 *    the samples (self: leaf samples; total: samples with the function
 *    anywhere on the stack), not by absolute seconds. A uniformly slower
 *    machine moves no share.
 *  - Each share change is tested with a two-proportion z-test; the p-values
 *    of all tests (self and total of every tested function) are adjusted for
 *    multiple comparisons (Benjamini-Hochberg by default, or Holm).
 *  - A significant change is reported only when it is also large: at least
 *    min_share_pp percentage points of the samples, and the function's
 *    estimated time (its samples x the time one sample stands for) moved by
 *    at least threshold_pct in the same direction. The second condition keeps
 *    "f's share grew because g got faster" from being called a slowdown of f.
 *  - The verdict follows self time (where time is spent); total-share tests
 *    are reported beside it. A total-only change is a caller of a changed
 *    function, or a phase (interpreter startup) sampled in one run only.
 *  - Samples of one run are not independent draws (a loop is sampled many
 *    times in a row, the scheduler and the sampler's timing vary between
 *    runs), so shares vary more between identical runs than binomial
 *    sampling says: 1.2-1.5x the variance, measured over repeated runs of
 *    tests/action/workload.py on a loaded 2-core machine. The variance is
 *    therefore inflated by `dispersion` (quasi-binomial; default 2) in the
 *    tests and intervals of cmp_profiles; cmp_two_prop itself is the plain
 *    textbook test. The minimum effect sizes do the rest.
 *
 * Functions are matched by (name, file, kind) with the file made comparable
 * across machines: relative to the profile's workspace, or from the
 * interpreter's stdlib / site-packages root on. Line numbers are ignored so
 * an edit above a function does not make it a new one. Generator
 * expressions, comprehensions and lambdas count as part of the function
 * that defines them ("f.<locals>.<genexpr>" is "f"): 3.12 inlines list,
 * dict and set comprehensions into their function (PEP 709) while 3.11 gives
 * them frames, and a sampler splits time between a function and the
 * generator it drives unevenly from run to run.
 *
 * Promises: no I/O, no globals; every allocation failure returns -1.
 * cmp_func.file points into the profiles, which must outlive the result;
 * cmp_func.function and key_file are owned by it.
 */
#ifndef CSPROF_COMPARE_H
#define CSPROF_COMPARE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "profile.h"

/* ---- building blocks (exposed for tests) ---- */

/* Standard normal upper-tail based two-sided p-value: P(|Z| >= |z|). */
double cmp_p_two_sided(double z);

typedef struct {
    double p1, p2;     /* the two proportions x1/n1, x2/n2 */
    double diff;       /* p2 - p1 */
    double z;          /* pooled two-proportion z statistic (0 when undefined) */
    double p;          /* two-sided p-value of z */
    double lo, hi;     /* 95% Wald interval of diff (unpooled standard error) */
} cmp_ztest;

/* Two-proportion z-test of x1/n1 against x2/n2. Returns -1 when n1 or n2 is
 * 0 or x > n (nothing filled in), else 0. */
int cmp_two_prop(uint64_t x1, uint64_t n1, uint64_t x2, uint64_t n2, cmp_ztest *out);

typedef enum { CMP_BH = 0, CMP_HOLM = 1 } cmp_correction;

/* Adjusted p-values (q) for n tests, same order as p. BH controls the false
 * discovery rate, Holm the family-wise error rate; both are monotone and
 * clamped to 1. Returns -1 on allocation failure. */
int cmp_adjust(const double *p, size_t n, cmp_correction method, double *adj);

/* ---- comparing two profiles ---- */

typedef struct {
    double threshold_pct;   /* wall time and estimated-time change that counts (10) */
    double alpha;           /* on adjusted p-values (0.01) */
    double min_share_pp;    /* smallest share change reported, percentage points (1.0) */
    uint64_t min_samples;   /* functions with fewer samples in both runs together are not tested (5) */
    double dispersion;      /* variance inflation over binomial (2): see below */
    cmp_correction correction;
} cmp_opts;

void cmp_opts_init(cmp_opts *o);

typedef enum { CMP_SAME = 0, CMP_SLOWER = 1, CMP_FASTER = -1 } cmp_direction;

typedef struct {
    char *function;         /* the matching name (owned), see cmp_key_function */
    const char *file;       /* as recorded (new first) */
    char *key_file;         /* the machine-independent file used for matching (owned) */
    frame_type type;
    int first_line, hot_line;   /* from the new profile when present, else base */
    uint64_t base_self, base_total, new_self, new_total;
    bool tested;            /* enough samples to test */
    cmp_ztest self, total;  /* share tests (valid when tested) */
    double self_q, total_q; /* adjusted p-values (1 when not tested) */
    double self_time_ratio, total_time_ratio; /* estimated time new/base (INFINITY when base 0) */
    cmp_direction self_dir, total_dir;  /* significant and large enough, else SAME */
    cmp_direction dir;      /* the verdict for this function: self_dir */
} cmp_func;

typedef struct {
    cmp_opts opts;
    double base_wall, new_wall;     /* seconds */
    double wall_change_pct;         /* (new-base)/base*100; 0 when base is 0 */
    bool wall_slower, wall_faster;  /* beyond threshold_pct */
    uint64_t base_samples, new_samples;
    cmp_func *funcs;                /* sorted: slower by effect desc, faster by effect desc, then the rest */
    size_t nfuncs;
    size_t ntested, ntests;         /* functions tested, tests in the family (2 per function) */
    size_t nslower, nfaster;
    bool regressed;                 /* some function is significantly and materially slower */
    const char *note;               /* why nothing could be tested (NULL when fine), static string */
} cmp_result;

/* Compare new against base. Returns 0 (result filled; free with
 * cmp_result_free) or -1 on allocation failure (result left empty). */
int cmp_profiles(const profile *base, const profile *new_p, const cmp_opts *o, cmp_result *out);
void cmp_result_free(cmp_result *r);

/* The effect size used for sorting: the absolute self-share change in
 * percentage points (0 when not tested). */
double cmp_effect_pp(const cmp_func *f);

/* The name a function is matched by (caller frees), NULL on OOM:
 * "f.<locals>.<genexpr>" / <listcomp> / <dictcomp> / <setcomp> / <lambda>
 * -> "f"; anything else unchanged. */
char *cmp_key_function(const char *name);

/* The machine-independent form of a file path (caller frees), NULL on OOM:
 * under workspace -> relative; .../site-packages/X or .../dist-packages/X ->
 * "site-packages/X"; .../lib/pythonX.Y/X -> "stdlib/X"; else unchanged. */
char *cmp_key_file(const char *file, const char *workspace);

#endif
