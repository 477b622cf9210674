/* ci_links.h -- the job summary's links to the HTML report.
 *
 * The report's address is known only after the Action uploads it (the
 * upload step's artifact-url), so `csprof ci` writes summary.md with
 * placeholders and `csprof ci --finish`, run by a step after the upload,
 * replaces them and appends the result to the job summary. Outside the
 * Action (or when nothing defers it) ci finishes at once without a link.
 *
 * Placeholders, one per line, names as ci makes them ([A-Za-z0-9._-]):
 *   <!--csprof:report-->       the top of the summary: the report's link
 *   <!--csprof:flame:NAME-->   a script's section: "open the flamegraph"
 *   <!--csprof:diff:NAME-->    its differential flamegraph (when compared) */
#ifndef CSPROF_CI_LINKS_H
#define CSPROF_CI_LINKS_H

#include <stdio.h>

#define CI_LINK_REPORT "<!--csprof:report-->"
#define CI_LINK_FLAME "<!--csprof:flame:"
#define CI_LINK_DIFF "<!--csprof:diff:"

/* Where the report is: url (NULL when there is no link), the HTML file's
 * path (NULL when none was written) and, without a link, why (e.g. "upload
 * is off"). */
typedef struct {
    const char *url, *html_path, *why;
} ci_report_link;

/* Reads summary_path, replaces the placeholders, rewrites it and appends
 * it to step_summary (NULL: none). 0, or -1 after a ::warning:: line. */
int ci_links_finish(const char *summary_path, const char *step_summary, const ci_report_link *l);

/* `csprof ci --finish`: the same from CSPROF_SUMMARY_FILE, CSPROF_HTML_URL,
 * CSPROF_HTML_FILE, CSPROF_UPLOAD (true/false) and CSPROF_UPLOAD_OUTCOME
 * (the upload step's outcome). Always exits 0: a missing link is not a
 * reason to fail the job. */
int ci_links_main(void);

#endif
