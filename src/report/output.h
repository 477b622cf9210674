/* output.h -- every report format, behind one signature.
 *
 * Each format lives in its own fmt_*.c and renders a profile to a stream.
 * Writers never modify the profile, never read the environment themselves
 * (what they need comes in output_opts), and return 0 or -1 after printing
 * one line to stderr naming what failed.
 */
#ifndef CSPROF_OUTPUT_H
#define CSPROF_OUTPUT_H

#include <stdbool.h>
#include <stdio.h>
#include "profile.h"

typedef struct {
    int top_n;                /* bottleneck rows in md/text (default 3) */
    const char *title;        /* flamegraph title; NULL = script or name */
    double min_width_px;      /* flamegraph: frames narrower are dropped (default 0.1) */
    /* Link targets for file:line in Markdown, from GITHUB_SERVER_URL,
     * GITHUB_REPOSITORY and GITHUB_SHA; all NULL outside GitHub. */
    const char *server_url, *repository, *sha;
    /* Optional baseline: when set, svg renders a differential flamegraph
     * (this profile's shape, coloured by growth/shrink against base). */
    const profile *base;
    /* Summary only: where the reader finds this profile's flamegraph (e.g.
     * "app.svg in the output directory"), NULL when none was written; and the
     * last line the command wrote to stderr, when the caller captured it. */
    const char *flamegraph;
    const char *stderr_tail;
} output_opts;

void output_opts_init(output_opts *o);

typedef int (*output_writer)(const profile *p, FILE *out, const output_opts *o);

int write_folded(const profile *p, FILE *out, const output_opts *o);
int write_profile_json(const profile *p, FILE *out, const output_opts *o);
int write_svg(const profile *p, FILE *out, const output_opts *o);
int write_markdown(const profile *p, FILE *out, const output_opts *o);
int write_text(const profile *p, FILE *out, const output_opts *o);
int write_speedscope(const profile *p, FILE *out, const output_opts *o);
int write_pprof(const profile *p, FILE *out, const output_opts *o);
int write_html(const profile *p, FILE *out, const output_opts *o);   /* fmt_html.c */

/* Read a profile JSON written by write_profile_json. On failure returns NULL
 * and puts one line naming the problem into err. */
profile *read_profile_json(const char *path, char *err, size_t errlen);

/* The format registry: name as used in --format, file suffix, writer. */
typedef struct {
    const char *name;     /* "svg", "json", "md", "text", "folded", "speedscope", "pprof" */
    const char *suffix;   /* ".svg", ".json", ".md", ".txt", ".folded", ".speedscope.json", ".pb.gz" */
    output_writer write;
} output_format;

const output_format *output_find(const char *name);
/* Validate a comma-separated list; on error names the bad entry in err. */
int output_check_list(const char *list, char *err, size_t errlen);
/* Whether a comma-separated list of formats names this one. */
bool output_list_has(const char *list, const char *name);
/* Create dir and its parents as needed. Returns 0 when dir is a directory
 * we can write in; else -1 with errno set. */
int output_mkdir(const char *dir);

/* Write every format in list to DIR/NAME+suffix. Prints each path written
 * to stderr when verbose. Returns 0 if all were written, -1 otherwise
 * (it still tries the others). */
int output_write_all(const profile *p, const char *dir, const char *name,
                     const char *list, const output_opts *o, int verbose);

#endif
