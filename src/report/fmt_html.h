/* fmt_html.h -- the HTML report: one self-contained page for one or more
 * scripts (no external CSS, script, font or image).
 *
 * Per script: a headline (wall time, exit status, samples, verdict), the
 * top-N functions, the flamegraph, and the differential flamegraph against
 * the baseline when there is one. The flamegraphs are fmt_svg.c's SVG
 * inline, so the page is complete with JavaScript disabled (bars, labels,
 * shares, <title> tooltips); src/report.js adds zoom and a page-wide search,
 * src/report.css the page style (both embedded at build time).
 * Anchors: #s-NAME (the script's section), #d-NAME (its differential
 * flamegraph). */
#ifndef CSPROF_FMT_HTML_H
#define CSPROF_FMT_HTML_H

#include <stdio.h>
#include "profile.h"

typedef struct {
    const char *name;       /* section title and anchor; [A-Za-z0-9._-] kept, others become _ */
    const profile *p;       /* NULL: not profiled (problem says why) */
    const profile *base;    /* the baseline, or NULL */
    const char *verdict;    /* against the baseline, e.g. "🔴 regression"; NULL: none */
    const char *problem;    /* shown first when set */
} html_script;

typedef struct {
    const char *title;      /* page title; NULL: "csprof report" */
    int top_n;              /* rows of the top-functions table (1-100; 0: 10) */
} html_opts;

/* Writes the page; 0, or -1 after one line on stderr naming what failed. */
int write_html_report(FILE *out, const html_script *s, size_t n, const html_opts *o);

#endif
