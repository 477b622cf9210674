/* runhist.h -- a script's past runs (wall time, CPU time, peak memory), so
 * a comparison can say what the usual spread is.
 *
 * Format (csprof's own, one JSON object per line, oldest first):
 *   {"wall_seconds": 1.23, "cpu_seconds": 1.10, "max_rss_bytes": 21000000,
 *    "commit": "abc…", "date": "2026-11-29T20:00:00Z", "run": "123"}
 * Only wall_seconds is required; unknown keys are ignored, bad lines are
 * skipped (counted), values out of range are unknown. This is a stand-in
 * for the trend history kept in the Actions cache (the html/trend module);
 * the comparison only needs the three series, through cmp_history.
 */
#ifndef CSPROF_RUNHIST_H
#define CSPROF_RUNHIST_H

#include <stddef.h>

#include "compare.h"
#include "profile.h"

#define RUNHIST_MAX 100   /* records kept; older ones are dropped */

typedef struct {
    double *wall, *cpu, *rss;
    size_t n;
    size_t skipped;        /* lines that were not a usable record */
} runhist;

/* Reads path (at most the last RUNHIST_MAX records). Returns 0, or -1 with
 * a one-line reason in err (missing, unreadable, out of memory). */
int runhist_read(const char *path, runhist *h, char *err, size_t errlen);
void runhist_free(runhist *h);
cmp_history runhist_view(const runhist *h);

/* Writes to out_path the records of in_path (may be NULL or missing) and
 * then one for p, keeping the newest RUNHIST_MAX; atomic (temporary file
 * and rename). Returns 0, or -1 with errno set. */
int runhist_append(const char *in_path, const char *out_path, const profile *p);

#endif
