/* ci_run.h -- one script's run in `csprof ci`, and everything learned
 * about it that the reports need.
 *
 * ci_run_script profiles the script with `csprof record` (a child), reads
 * the profile back, writes its Markdown summary and finds its hot spots
 * (ci_summary.h, ci_annotate.h), reads its run history, compares it with
 * its baseline and keeps it as the next baseline (ci_baseline.h).
 *
 * Promises: a problem of the profiler never stops the run: it is a
 * ::warning:: line and r->problem (for the summary); only the script's own
 * failure sets script_failed. Output on stdout is one ::group:: around the
 * script's own output. */
#ifndef CSPROF_CI_RUN_H
#define CSPROF_CI_RUN_H

#include <stdbool.h>
#include <stddef.h>

#include "ci_scripts.h"
#include "ci_settings.h"
#include "ci_spawn.h"

#define ANNOTATIONS_PER_SCRIPT 3

/* A line of the user's code to annotate: the time charged to it (it and
 * everything it called) and what that time was spent in. */
typedef struct {
    char *function, *file;   /* file relative to the workspace */
    int line;
    double pct, seconds;
    char *beneath;           /* e.g. "fit (sklearn) 85%", may be empty */
} hot_spot;

typedef struct {
    ci_script script;        /* the line, what runs, the report name */
    int exit_status;         /* the script's, -1 unknown */
    bool profiled;           /* a fresh profile was written */
    bool script_failed;
    double seconds;
    double cpu_seconds, max_rss_bytes;   /* the script's own (wait4), 0 unknown */
    char *problem;           /* why it could not be profiled / compared */
    char stderr_tail[CI_STDERR_TAIL_MAX];  /* last line of its stderr, csprof's own aside */
    /* hottest function (self) */
    char *top_function, *top_file;
    int top_line;
    double top_self_pct;
    hot_spot hot[ANNOTATIONS_PER_SCRIPT];
    int nhot;
    /* comparison */
    bool has_baseline, compared, regressed;
    bool wall_beyond;        /* wall time beyond the threshold of the baseline's */
    double wall_change_pct;
    char verdict[32];
    char *diff_md;           /* Since-baseline section, bounded */
    char *base_path;         /* the baseline profile compared with */
    char *slower, *faster;   /* significantly slower / faster functions, "`a`, `b`" */
    char *trend_md;          /* the history chart and share table */
    char *hist_path;         /* the run history for the verdict's spread, NULL: none */
    char *profile_md;        /* the script's own summary, bounded */
} script_run;

/* A run of sc, taking it over (*sc is zeroed): a line that could not be
 * read is a failed script with its reason as the problem. */
void ci_run_init(script_run *r, ci_script *sc);

/* Profiles, summarises, compares and keeps r (see above); nscripts is how
 * many scripts the run has (a baseline file serves a lone script). */
void ci_run_script(const ci_settings *s, script_run *r, size_t nscripts);

void ci_run_free(script_run *r);

#endif
