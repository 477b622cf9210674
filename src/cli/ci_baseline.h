/* ci_baseline.h -- a script's baseline in `csprof ci`: where its profile
 * and its run history (history.h) are looked for, the comparison with it
 * (`csprof diff`, a child), and keeping this run as the next baseline.
 *
 * Where (CSPROF_BASELINE): auto -> CSPROF_BASELINE_DIR/NAME.json; a
 * directory -> DIR/NAME.json; a file -> itself when its stem is NAME or
 * there is only one script; none -> nothing. The history is
 * NAME.history.json in that directory, or X.history.json beside a file
 * X.json.
 *
 * Promises: nothing here fails the job: every problem is one ::warning::
 * line (and, for the comparison, r->problem). Files in the save directory
 * are written through atomicfile.h, never through a link planted there. */
#ifndef CSPROF_CI_BASELINE_H
#define CSPROF_CI_BASELINE_H

#include <stddef.h>

#include "ci_run.h"
#include "ci_settings.h"
#include "history.h"
#include "profile.h"

/* The baseline profile of the script name, NULL when there is none. */
char *ci_baseline_for(const ci_settings *s, const char *name, size_t nscripts);

/* The one place `csprof ci` reads the run history: from beside the
 * baseline, charted with this run (p) in the summary (r->trend_md), and
 * named for the verdict's spread (r->hist_path, only a readable, non-empty
 * one). *h and *cur are for ci_keep_baseline; free them when this returns
 * 0. -1: out of memory, no history (after a ::warning::). */
int ci_read_history(const ci_settings *s, script_run *r, const profile *p, size_t nscripts,
                    history *h, hist_run *cur);

/* Compares the profile at profile_json with r's baseline, when it has one:
 * sets has_baseline, compared, regressed, the verdict and wall-time
 * change, the changed functions and the bounded Since-baseline section. */
void ci_compare_with_baseline(const ci_settings *s, script_run *r, const char *profile_json,
                              size_t nscripts);

/* This run's profile kept as the next baseline in the save directory, and
 * beside it the history h (NULL: none) with this run appended, so a run is
 * added exactly when it is kept as the baseline; bounded to HIST_MAX_RUNS.
 * Takes *cur when it is appended. */
void ci_keep_baseline(const ci_settings *s, const script_run *r, const char *json_path,
                      history *h, hist_run *cur);

#endif
