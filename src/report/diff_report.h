/* diff_report.h -- what the renderers of `csprof diff` share (cmd_diff.c
 * renders text and Markdown, with diff_measures.c's lines on the run as a
 * whole; diff_json.c the JSON for machines). */
#ifndef CSPROF_DIFF_REPORT_H
#define CSPROF_DIFF_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "compare.h"
#include "profile.h"

typedef struct {
    cmp_opts cmp;
    bool fail_on_regression, fail_on_wall;
    const char *history;
    const char *formats;
    const char *output;
    const char *name;
    int top;
    const char *base_path, *new_path;
} diff_opts;

typedef struct {
    const diff_opts *o;
    const profile *base, *new_p;
    const cmp_result *r;
    const char *name;
    const char *server_url, *repository, *sha;
} diff_ctx;

/* "regressed", "faster", "wall-slower", "same" or "not-compared". */
const char *diff_verdict_word(const cmp_result *r);
/* "above", "below", "within" or "unknown". */
const char *diff_level_word(cmp_level l);
/* "Wall time: …", "CPU time: …", "Peak memory: …" and, when the baseline
 * or past runs ran on another kind of runner or this one was busier,
 * "Runner: …", one paragraph each (Markdown when md, else plain lines). */
void diff_put_measures(FILE *out, const cmp_result *r, bool md);
/* The comparison as JSON (documented in README.md). Returns 0 or -1. */
int diff_render_json(FILE *out, const diff_ctx *c);

#endif
