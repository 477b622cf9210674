/* ci_annotate.h -- the hottest lines of the user's code, found in a
 * script's profile and shown as ::notice annotations on those lines.
 *
 * A line is annotated when at least ANNOTATE_MIN_PCT of its script's
 * samples are charged to it (it and everything it calls), at most
 * ANNOTATIONS_PER_SCRIPT per script, one notice per line. Files are named
 * relative to the workspace, as GitHub matches them; a line outside the
 * workspace is not the user's to annotate.
 *
 * Promises: ci_find_hot_spots writes nothing but a ::warning:: when out of
 * memory; ci_emit_annotations stays within the step's notice budget
 * (ci_say.h). */
#ifndef CSPROF_CI_ANNOTATE_H
#define CSPROF_CI_ANNOTATE_H

#include <stddef.h>

#include "ci_run.h"
#include "ci_settings.h"
#include "output.h"
#include "profile.h"

#define ANNOTATE_MIN_PCT 1.0

/* Sets r's headline (top_function, top_file, top_line, top_self_pct) and
 * its hot spots, from the analysis the summary shows with the options oo
 * (at least ANNOTATIONS_PER_SCRIPT rows). */
void ci_find_hot_spots(const ci_settings *s, script_run *r, const profile *p,
                       const output_opts *oo);

/* The hottest lines of each script, best rank of every script first, as
 * many as GitHub shows; flamegraph_where says where the flamegraphs are. */
void ci_emit_annotations(const script_run *runs, size_t n, const char *flamegraph_where);

void ci_hot_spot_free(hot_spot *h);

#endif
