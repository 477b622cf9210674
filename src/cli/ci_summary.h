/* ci_summary.h -- the reports of a `csprof ci` run, composed from what
 * each script's run found (ci_run.h): each script's own Markdown summary
 * (NAME.md, through output.h), the job summary (summary.md, with the link
 * placeholders of ci_links.h) and the HTML page of every flamegraph
 * (fmt_html.h).
 *
 * Promises: the job summary stays within s->summary_max bytes plus one
 * script's table row overhead: past the budget, details are left out with
 * a note, never the table. Untrusted names (scripts, functions) go through
 * md.h. Problems are ::warning:: lines, never a failed job. */
#ifndef CSPROF_CI_SUMMARY_H
#define CSPROF_CI_SUMMARY_H

#include <stddef.h>
#include <stdio.h>

#include "ci_run.h"
#include "ci_settings.h"
#include "profile.h"

/* s as an inline code span fit for a table cell (md.h), at most 80
 * characters. */
void ci_md_code(FILE *out, const char *s);

/* The Markdown file at path, at most max bytes (cut at a line, with a note
 * naming the whole `what`, NAME.md); NULL when it cannot be read. */
char *ci_read_section(const char *path, size_t max, const char *what, const char *name);

/* Where the flamegraphs are, as a reader of the job summary finds them. */
const char *ci_flamegraph_where(const ci_settings *s);

/* Writes the script's own summary NAME.md from p (the requested rows,
 * links into the repository at this commit, where its flamegraph is, the
 * last line of its stderr), keeps it bounded in r->profile_md, and finds
 * r's hot spots from the same analysis. */
void ci_summarise(const ci_settings *s, script_run *r, const profile *p);

/* The whole job summary (bounded), *len its length; NULL when out of
 * memory. */
char *ci_render_summary(const ci_settings *s, const script_run *runs, size_t n, size_t *len);

/* The HTML report of the run: OUTPUT_DIR/performance-report<SUFFIX>.html
 * (CSPROF_ARTIFACT_SUFFIX), a name unique per job because an upload
 * without archive is named after its file. Its path, or NULL when not
 * written (after a ::warning::). */
char *ci_write_html(const ci_settings *s, const script_run *runs, size_t n);

#endif
