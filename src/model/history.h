/* history.h -- a script's past default-branch runs: the one run history,
 * for the trend (job summary, `csprof history`) and for the verdict's usual
 * spread of wall time, CPU time and peak memory (`csprof diff --history`).
 *
 * The baseline kept in the Actions cache carries, per script, a bounded
 * history: one record per default-branch run, oldest first, at most
 * HIST_MAX_RUNS. `csprof ci` appends the new run to the copy it writes next
 * to the new baseline (so a run is added exactly when it is kept as the
 * baseline), and renders the trend in the job summary; `csprof history DIR`
 * renders it locally.
 *
 * File: NAME.history.json, {"schema": "csprof-history", "schema_version": 1,
 * "name": ..., "runs": [{"commit", "date", "branch", "run", "wall_seconds",
 * "cpu_seconds", "max_rss_bytes", "other_load", "samples", "top": [{"function", "file",
 * "self_pct", "self_seconds"}], "funcs": [{"function", "file", "self_pct",
 * "total_pct"}], "funcs_cutoff_pct"}]}. branch, run, cpu_seconds,
 * max_rss_bytes and other_load are optional (absent: unknown); so are funcs and
 * funcs_cutoff_pct (absent: a record from before they were kept). Functions are keyed as
 * compare.h matches them (cmp_key_function, cmp_key_file), so records from
 * different runners line up.
 *
 * Noise: one statistic, compare.h's cmp_band_of (median +- 3 x max(1.4826
 * x MAD, 2% of the median), at least CMP_MIN_HISTORY runs). The trend marks
 * a run's wall time outside it (a marker for people); the verdict judges
 * wall, CPU and peak memory by it (hist_series).
 *
 * Promises: no output but the files named; every value read is range
 * checked; allocation failures return -1. */
#ifndef CSPROF_HISTORY_H
#define CSPROF_HISTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "compare.h"
#include "profile.h"

#define HIST_MAX_RUNS 100     /* records kept per script */
#define HIST_TOP 10           /* functions kept per record */

typedef struct {
    char *function, *file;    /* compare.h keys; file may be "" */
    double self_pct;          /* self share of the run's samples, percent */
    double self_seconds;      /* estimated: self samples x seconds per sample */
} hist_func;

typedef struct {
    char *commit, *date;      /* "" when unknown; date ISO 8601 UTC */
    char *branch, *run;       /* "" when unknown (GITHUB_HEAD_REF/REF_NAME, RUN_ID) */
    double wall_seconds;
    double cpu_seconds;       /* user + system; 0 when unknown */
    double max_rss_bytes;     /* peak resident set; 0 when unknown */
    double other_load;        /* CPUs the rest of the runner kept busy (profile.h) */
    bool other_load_known;
    char *runner_cpu;         /* CPU model (profile.h); "" when unknown */
    int runner_cpus;          /* CPUs online; 0 when unknown */
    uint64_t samples;
    hist_func top[HIST_TOP];  /* by self share, descending */
    size_t ntop;
    /* Every function's self and total share as the verdict counts them
     * (compare.h cmp_shares_of), for its per-function usual spread. */
    cmp_share *funcs;
    size_t nfuncs;
    double funcs_cutoff_pct;
    bool funcs_known;         /* false: a record written before shares were kept */
} hist_run;

typedef struct {
    char *name;
    hist_run *runs;           /* oldest first */
    size_t n, cap;
} history;

/* An empty history for name. 0 or -1 (OOM). */
int hist_init(history *h, const char *name);
void hist_free(history *h);

/* Loads path into *h (initialised here). A missing file is an empty
 * history (returns 0); an unreadable or corrupt one is an empty history
 * too, but returns 1 with the reason in err (the caller warns: nothing of
 * the current run is lost). -1 on OOM. */
int hist_load(const char *path, const char *name, history *h, char *err, size_t errlen);

/* Writes h to path atomically (temp file + rename). 0, or -1 with errno. */
int hist_save(const history *h, const char *path);

/* The record of one run from its profile; commit overrides the profile's
 * git_commit when set. 0 or -1 (OOM). Free with hist_run_free. */
int hist_run_from_profile(const profile *p, const char *commit, hist_run *out);
void hist_run_free(hist_run *r);

/* Appends *r (taking ownership; *r is zeroed) and drops the oldest records
 * beyond HIST_MAX_RUNS. 0 or -1 (OOM; *r untouched). */
int hist_append(history *h, hist_run *r);

/* Wall-time spread of runs [from, to) by cmp_band_of, of those a run like
 * `like` is judged by (cmp_runs_on_runner: its own kind of runner when some
 * ran on another; like NULL: all); fewer than CMP_MIN_HISTORY usable runs
 * have no spread (ok false). */
typedef struct {
    size_t n;
    bool ok;
    double median, mad;
    double lo, hi;            /* the usual range (cmp_band) */
    size_t other_kind;        /* runs in the range on another kind of runner, left out */
} hist_spread;
int hist_wall_spread(const history *h, size_t from, size_t to, const hist_run *like, hist_spread *out);
/* Whether wall lies outside s's usual range (false when !s->ok). */
bool hist_outside(const hist_spread *s, double wall);
/* Whether s is the yardstick of run r: s has no runs left out, or r ran on
 * the kind of runner of the run s was taken for (like). */
bool hist_spread_covers(const hist_spread *s, const hist_run *like, const hist_run *r);

/* The wall, CPU and peak-RSS series of h's runs and their function
 * shares, as compare.h's verdict reads them (0 = unknown, skipped there).
 * The shares point into h, which must outlive the series. 0 or -1 (OOM). */
typedef struct {
    double *values;           /* one block: wall, then CPU, then RSS */
    cmp_run_shares *funcs;
    const char **runner_cpu;  /* pointing into h */
    int *runner_cpus;
    cmp_history view;
} hist_series;
int hist_series_of(const history *h, hist_series *out);
void hist_series_free(hist_series *s);

/* The self share of function key (function, file) in run r, or -1 when it
 * was not among the run's top functions. */
double hist_share(const hist_run *r, const char *function, const char *file);

/* ---- rendering (cmd_history.c) ---- */

/* The job summary's trend for one script, in Markdown: a Mermaid
 * xychart-beta of wall time over the last <= window runs of h plus cur
 * (outside-the-spread runs marked), and how cur's top-3 functions' shares
 * moved over those runs. Writes nothing when h is empty. */
void hist_write_trend_md(FILE *out, const history *h, const hist_run *cur, size_t window);

#endif
