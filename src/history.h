/* history.h -- the trend of a script over default-branch runs.
 *
 * The baseline kept in the Actions cache carries, per script, a bounded
 * history: one record per default-branch run (commit, date, wall time,
 * samples, the top functions' self shares and estimated times), oldest
 * first, at most HIST_MAX_RUNS. `csprof ci` appends the new run to the copy
 * it writes next to the new baseline (so a run is added exactly when it is
 * kept as the baseline), and renders the trend in the job summary;
 * `csprof history DIR` renders it locally.
 *
 * File: NAME.history.json, {"schema": "csprof-history", "schema_version": 1,
 * "name": ..., "runs": [{"commit", "date", "wall_seconds", "samples",
 * "top": [{"function", "file", "self_pct", "self_seconds"}]}]}. Functions
 * are keyed as compare.h matches them (cmp_key_function, cmp_key_file), so
 * records from different runners line up.
 *
 * Noise: a run's wall time is "outside the usual spread" when it is more
 * than HIST_SPREAD_K robust standard deviations (1.4826 x MAD, at least 1%
 * of the median) from the median of the runs before it. That is a marker
 * for people, not a verdict: regressions are called by compare.h only.
 *
 * Promises: no output but the files named; every value read is range
 * checked; allocation failures return -1. */
#ifndef CSPROF_HISTORY_H
#define CSPROF_HISTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "profile.h"

#define HIST_MAX_RUNS 100     /* records kept per script */
#define HIST_TOP 10           /* functions kept per record */
#define HIST_SPREAD_K 3.0     /* robust standard deviations that count as outside */

typedef struct {
    char *function, *file;    /* compare.h keys; file may be "" */
    double self_pct;          /* self share of the run's samples, percent */
    double self_seconds;      /* estimated: self samples x seconds per sample */
} hist_func;

typedef struct {
    char *commit, *date;      /* "" when unknown; date ISO 8601 UTC */
    double wall_seconds;
    uint64_t samples;
    hist_func top[HIST_TOP];  /* by self share, descending */
    size_t ntop;
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

/* Wall-time spread of runs [from, to): median and MAD; n < 3 has no
 * usable spread (ok false). */
typedef struct {
    size_t n;
    bool ok;
    double median, mad;
    double lo, hi;            /* the usual range: median -/+ K x max(1.4826 MAD, 1% median) */
} hist_spread;
int hist_wall_spread(const history *h, size_t from, size_t to, hist_spread *out);
/* Whether wall lies outside s's usual range (false when !s->ok). */
bool hist_outside(const hist_spread *s, double wall);

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
