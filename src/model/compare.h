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
 *  - The verdict follows self time (where time is spent), when the total
 *    time moved the same way beyond the threshold: self time that grew while
 *    the total did not only moved between a function and its callees.
 *  - Samples of one run are not independent draws (a loop is sampled many
 *    times in a row, the scheduler and the sampler's timing vary between
 *    runs), so shares vary more between identical runs than binomial
 *    sampling says: 1.2-1.5x the variance, measured over repeated runs of
 *    tests/action/workload.py on a loaded 2-core machine. The variance is
 *    therefore inflated by `dispersion` (quasi-binomial; default 2) in the
 *    tests and intervals of cmp_profiles; cmp_two_prop itself is the plain
 *    textbook test. The minimum effect sizes do the rest.
 *
 *  - Imports are not the user's code: every sample with import machinery on
 *    its stack (classify_frame_is_import) is counted apart, as the import time
 *    (or start-up time when no user code is above the import: site, .pth),
 *    and left out of the function tests and of their shares' denominator,
 *    so a slower import (often a cold cache on the runner) moves no
 *    function and never makes a regression on its own.
 *  - The verdict leads with the user's code: the innermost functions of
 *    the user's own files whose TOTAL (inclusive) share and estimated time
 *    grew significantly (same test family and rule), i.e. those with no
 *    other such function of the user's beneath them; under each, the
 *    library functions it calls directly whose time beneath it grew.
 *    Self-time changes (where the time is spent) are reported beside them
 *    and also count as a regression.
 *  - With a history of at least CMP_MIN_HISTORY runs that recorded
 *    function shares, a function's significant change counts only when
 *    its new share also lies outside its usual spread over those runs
 *    (cmp_share_band): an unchanged run tested against a baseline that was
 *    itself unusual is the runner's noise, not the code's.
 *  - Wall time, CPU time and peak memory are judged against the spread of
 *    the baseline history when it has at least CMP_MIN_HISTORY runs (median
 *    +- 3 robust standard deviations), else against threshold_pct of the
 *    baseline; a wall time beyond either counts only when the script's own
 *    CPU time grew too (a busy runner stretches wall time, not CPU time).
 *    Only runs on the same kind of runner (CPU model and count) are each
 *    other's yardstick: past runs on other kinds are left out, and a longer
 *    wall time against a baseline of another kind is not counted.
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


/* One function's shares in one run, as cmp_profiles counts them: keyed by
 * cmp_key_function / cmp_key_file, of the run's samples outside imports. */
typedef struct {
    char *function, *file;
    double self_pct, total_pct;
} cmp_share;

/* A past run's function shares: every function whose self or total share
 * reached cutoff_pct is listed. One not listed counts as 0 when cutoff_pct
 * is CMP_SHARES_MIN_PCT, and as unknown when the list was cut higher. */
typedef struct {
    const cmp_share *shares;
    size_t n;
    double cutoff_pct;
    bool known;                       /* false: the record has no shares */
} cmp_run_shares;

/* Past runs of the same script (oldest first), for the usual spread;
 * values <= 0 are unknown and skipped. */
typedef struct {
    const double *wall, *cpu, *rss;   /* seconds, seconds, bytes; any may be NULL */
    const double *other_load;         /* CPUs (profile.h); < 0 unknown; may be NULL */
    const char *const *runner_cpu;    /* CPU models (profile.h); NULL or "" unknown; may be NULL */
    const int *runner_cpus;           /* CPUs online; 0 unknown; may be NULL */
    const cmp_run_shares *funcs;      /* n entries, or NULL */
    size_t n;
} cmp_history;

/* Whether two runs ran on the same kind of runner: the same CPU model (both
 * known) and, when both are known, as many CPUs. Wall time and CPU time
 * compare only between such runs: a hosted runner's pool mixes CPU models
 * whose speeds differ by more than any threshold. */
bool cmp_same_runner(const char *cpu_a, int cpus_a, const char *cpu_b, int cpus_b);
bool cmp_runner_known(const char *cpu);
/* Which of n past runs (CPU models cpu[i], CPU counts cpus[i] or NULL) a
 * run on (like_cpu, like_cpus) is judged by: when some ran on another
 * known kind, those on its own kind alone; else all (a history written
 * before runners were recorded is kept whole, and so is any history when
 * like's kind is unknown). Sets keep[i]; returns how
 * many ran on another known kind, and *same how many on like's. */
size_t cmp_runs_on_runner(const char *const *cpu, const int *cpus, size_t n, const char *like_cpu, int like_cpus,
                          bool *keep, size_t *same);

#define CMP_SHARES_MAX 64         /* functions kept per run */
#define CMP_SHARES_MIN_PCT 0.5    /* smallest share kept */

/* The shares of p's functions (self or total >= CMP_SHARES_MIN_PCT), the
 * largest total first, at most CMP_SHARES_MAX, as a history record keeps
 * them. *cutoff_pct: the share below which a function may be missing.
 * 0 or -1 (OOM); free with cmp_shares_free. */
int cmp_shares_of(const profile *p, cmp_share **out, size_t *n, double *cutoff_pct);
void cmp_shares_free(cmp_share *s, size_t n);

#define CMP_MIN_HISTORY 5
#define CMP_BUSIER_MIN_CPUS 0.5
#define CMP_BUSIER_FRACTION 0.125
#define CMP_SPREAD_K 3.0   /* robust standard deviations that count as outside */

/* The usual spread of a series, the one statistic of the run history (the
 * verdict and history.h's trend marks): median +- CMP_SPREAD_K x
 * max(1.4826 x MAD, 2% of the median). Returns the number of usable values
 * (band filled only when it is at least CMP_MIN_HISTORY). */
typedef struct {
    double median, mad, lo, hi;
    size_t n;
} cmp_band;
size_t cmp_band_of(const double *v, size_t n, cmp_band *out);
/* The same for shares (percent), where 0 is a value (the function was not
 * sampled), not unknown; negative values are skipped. */
size_t cmp_share_band(const double *v, size_t n, cmp_band *out);
/* Widens a share band to at least +- CMP_SPREAD_K x the sampling noise of
 * one run of n draws (sqrt(p(1-p)/n) at the median share p; its samples
 * over its prof_design_effect, cmp_profiles passes the new run's): five past
 * runs may agree more closely than one more run of that size can, by
 * chance, and their spread is the yardstick of that run. */
void cmp_share_band_floor(cmp_band *b, uint64_t n);

typedef enum { CMP_LEVEL_UNKNOWN = 0, CMP_LEVEL_BELOW, CMP_LEVEL_WITHIN, CMP_LEVEL_ABOVE } cmp_level;

/* One resource (wall, CPU, peak RSS) against the baseline and its history. */
typedef struct {
    bool known;              /* both values known */
    double base, new_v;
    double change_pct;       /* (new-base)/base*100, 0 when base is 0 */
    cmp_band band;           /* band.n >= CMP_MIN_HISTORY: judged by the band */
    bool by_history;
    cmp_level level;         /* ABOVE/BELOW: outside the band, or beyond threshold_pct */
} cmp_resource;

/* Judges new_v against base and the history values hist[0..nh): by the
 * band when it has CMP_MIN_HISTORY values, else by threshold_pct of base.
 * Unknown (known = false) when either value is <= 0. */
void cmp_judge(cmp_resource *r, double base, double new_v, const double *hist, size_t nh,
               double threshold_pct);

typedef struct {
    double threshold_pct;   /* wall time and estimated-time change that counts (10) */
    double alpha;           /* on adjusted p-values (0.01) */
    double min_share_pp;    /* smallest share change reported, percentage points (1.0) */
    uint64_t min_samples;   /* functions with fewer samples in both runs together are not tested (5) */
    double dispersion;      /* variance inflation over binomial (2): see below */
    cmp_correction correction;
    const cmp_history *history;  /* NULL: none */
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
    cmp_direction dir;      /* self_dir: where the time is spent */
    bool yours;             /* in the user's own files (classify.h) */
    bool lead;              /* innermost user function whose total grew significantly */
    bool usual;             /* a significant change of its share that its history shows
                             * too (within its usual spread): not counted */
    size_t id;              /* position before sorting (internal) */
} cmp_func;

/* A library function called directly by a lead function, with the samples
 * beneath the lead in which it is that call. */
typedef struct {
    size_t func;            /* index into cmp_result.funcs */
    uint64_t base, new_n;   /* samples beneath the lead */
    double time_ratio;      /* estimated time new/base (INFINITY when base 0) */
} cmp_beneath;

typedef struct {
    size_t func;            /* index into cmp_result.funcs */
    cmp_beneath beneath[3]; /* grown most first (by added time) */
    size_t nbeneath;
} cmp_lead;

#define CMP_MAX_LEADS 5
#define CMP_MIN_IMPORT_CHANGE_S 0.1   /* import time changes below this are not called out */

/* Time in imports (import machinery on the stack). */
typedef struct {
    uint64_t base, new_n;          /* samples of imports made by the user's code */
    double base_s, new_s;          /* estimated seconds */
    /* Interpreter start-up (site, .pth files, encodings): imports with no
     * user code above them; reported, not tested. */
    uint64_t startup_base, startup_new;
    double startup_base_s, startup_new_s;
    cmp_ztest share;               /* share of all samples (dispersion applied) */
    cmp_direction dir;             /* significant at alpha (not in the function family) and beyond threshold */
    char *top_module;              /* the import whose time grew most (owned), NULL if none */
    double top_base_s, top_new_s;
} cmp_imports;

typedef struct {
    cmp_opts opts;
    double base_wall, new_wall;     /* seconds */
    double wall_change_pct;         /* (new-base)/base*100; 0 when base is 0 */
    bool wall_slower, wall_faster;  /* beyond threshold_pct of the baseline (the plain rule) */
    cmp_resource wall, cpu, rss;    /* judged by the history's spread when it is long enough */
    bool wall_flag;                 /* wall above its usual level (by history: outside the spread
                                     * and threshold_pct over its median), and CPU time too (or
                                     * unknown) */
    bool wall_small;                /* ...but less than threshold_pct over its usual median */
    bool wall_by_imports;           /* ...but no more than the slower imports account for */
    /* The rest of the runner's load (profile.h other_load), in CPUs: this
     * run's and the usual one (the median over the history and the
     * baseline; -1 when unknown), of load_cpus. busier: this run's is
     * higher by at least max(CMP_BUSIER_MIN_CPUS, CMP_BUSIER_FRACTION x
     * load_cpus). Other processes then share the caches, memory bandwidth
     * and CPUs, stretching wall time and the script's CPU time alike, so a
     * wall time above its usual level is not called (wall_by_busier). */
    double load_new, load_usual;
    int load_cpus;
    size_t load_runs;               /* values load_usual is the median of */
    bool busier, wall_by_busier;
    /* The runners (profile.h runner_cpu, runner_cpus; NULL/0 unknown;
     * borrowed from the profiles). other_runner: the baseline ran on
     * another kind (cmp_same_runner). When the history holds runs on
     * other kinds (runner_other_runs), wall, CPU time and peak memory are
     * judged against the runner_same_runs on this run's kind alone; when
     * fewer than CMP_MIN_HISTORY, against the baseline, and then a wall time
     * above it on another kind of runner is not called (wall_by_runner). */
    const char *base_cpu, *new_cpu;
    int base_cpus, new_cpus;
    bool other_runner, wall_by_runner;
    size_t runner_same_runs, runner_other_runs;
    cmp_imports imports;
    cmp_lead leads[CMP_MAX_LEADS];  /* lead functions, largest added time first */
    size_t nleads, nleads_all;      /* shown, found */
    uint64_t base_samples, new_samples;  /* outside imports: the shares' denominators */
    double base_deff, new_deff;     /* prof_design_effect of each: tests and intervals
                                     * widen by it where samples stood for several ticks */
    cmp_func *funcs;                /* sorted: slower by effect desc, faster by effect desc, then the rest */
    size_t nfuncs;
    size_t ntested, ntests;         /* functions tested, tests in the family (2 per function) */
    size_t nslower, nfaster;
    size_t nusual;                  /* functions whose change was within their usual spread */
    size_t nshare_history;          /* history runs with function shares (0: not used) */
    bool regressed;                 /* a lead, or a function's self time, significantly and materially slower */
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
