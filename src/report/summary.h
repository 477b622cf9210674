/* summary.h -- what the bottleneck summary says about a profile, worked
 * out once and rendered by fmt_markdown.c and fmt_text.c; csprof ci reads
 * the same analysis for its annotations, so the summary and the notices
 * on the code cannot disagree.
 *
 * Two views of where the time went:
 *  - lines of your code (the lead): every sample is charged to the
 *    innermost frame of your code on its stack, as function and line, so
 *    time inside numpy, scipy or the standard library counts for the line
 *    of yours that called into it. Each such line keeps what it spent its
 *    time in: the functions directly beneath it and their samples, and the
 *    kind of work (linear algebra, model fitting, imports, I/O, ...) the
 *    samples beneath were doing, which picks its hint.
 *  - functions by self time (any code), and by total time, as before.
 *
 * A run that failed before doing work (non-zero exit and almost no samples,
 * or none in your code) is flagged, so writers say that first and show no
 * table of interpreter start-up.
 *
 * Names and paths in here come from the target and are not yet cleaned:
 * writers clean them (utf8_display) and escape them (sumfmt.h, md.h).
 */
#ifndef CSPROF_SUMMARY_H
#define CSPROF_SUMMARY_H

#include <stdbool.h>
#include <stdint.h>

#include "classify.h"
#include "hints.h"
#include "output.h"
#include "profile.h"
#include "sumfmt.h"

enum {
    TOP_N_MAX = 100,
    BY_TOTAL_ROWS = 20,
    THREAD_ROWS = 20,
    NAME_MAX_CHARS = 100,   /* function names and shown paths are cut here */
    BENEATH_MAX = 3,        /* functions shown beneath a line of your code */
    HINT_MAX = 1400,
};

/* A run that exits non-zero after less sampled time than this (or with no
 * sample in your code) did no work worth ranking: its samples are the
 * interpreter starting and failing. */
#define FAILED_EARLY_SECONDS 1.0

/* A function by self time (the second view, and the lead when no sample
 * has your code on its stack). */
typedef struct {
    long idx;                 /* into stats */
    code_kind kind;
    uint64_t idle_self;
    hint_input hin;
    sbuf caller_where, user_where;
    char hint[HINT_MAX];
} row_info;

/* Something a line of your code spent its time in. */
typedef struct {
    long func;                /* stats index of the function directly beneath; -1: the line itself */
    uint64_t samples;
} beneath_item;

/* A line of your code with the samples charged to it. */
typedef struct {
    long func;                /* stats index of your function */
    uint32_t frame;           /* a frame of it at this line */
    int line;
    uint64_t samples, idle;
    uint64_t by_work[WORK_COUNT];
    beneath_item beneath[BENEATH_MAX];
    int nbeneath;
    uint64_t beneath_rest;    /* samples in functions not listed */
    int nbeneath_rest;        /* how many such functions */
    work_kind work;           /* what most of its samples were doing */
    char hint[HINT_MAX];
} user_line;

typedef struct {
    uint64_t samples, idle;
    long busiest;             /* stats index, -1 if none */
    uint64_t busiest_samples;
    size_t idx;               /* thread index */
} thread_info;

typedef struct {
    const profile *p;
    const output_opts *o;
    const prof_meta *m;
    prof_func_stat *stats;
    long nstats;
    uint32_t *func_of;        /* frame -> stats index, UINT32_MAX for roots */
    code_kind *frame_kind;    /* frame -> kind of code */
    uint64_t *idle_self;      /* stats index -> self samples from idle stacks */
    uint64_t total;
    double deff;              /* prof_design_effect: the intervals rest on total / deff draws */
    double sps;
    bool *frame_import;       /* frame -> part of the import machinery */
    uint64_t kind_self[CODE_KIND_COUNT];   /* samples outside imports, by the leaf's kind */
    uint64_t import_self;     /* samples with an import on the stack (not idle) */
    uint64_t no_frames;       /* samples with no frame at all */
    row_info *rows;           /* by self time */
    int nrows;
    user_line *lines;         /* lines of your code, most samples first */
    int nlines;
    uint64_t user_samples;    /* samples with your code on the stack */
    bool failed_early;        /* non-zero exit before doing work: no tables */
    long *by_total;           /* stats indices sorted by total, BY_TOTAL_ROWS at most */
    int nby_total;
    thread_info *threads;
    size_t nthreads_shown, nthreads_sampled;
    int nprocesses_sampled;
    char ws[4096];            /* normalised workspace root, "" if unknown */
} summary;

/* Works out everything above; 0, or -1 on allocation failure (S must
 * still be freed). o->top_n rows of each view (3 by default). */
int summary_analyse(summary *S, const profile *p, const output_opts *o);
void summary_free(summary *S);

/* Kind of code of a function as rows show it: idle when most of its own
 * samples were taken while its thread was idle. */
code_kind summary_func_kind(const summary *S, long idx);

/* The module a frame's code belongs to ("numpy.linalg.linalg",
 * "importlib._bootstrap", a native object's file name), worked out from
 * its path; "" when the path says nothing. */
void frame_module_from_path(const prof_frame *f, char *out, size_t len);

/* The user-code analysis (summary_lines.c), called by summary_analyse. */
int summary_analyse_lines(summary *S, int top_n);

/* ---- pieces of text both writers use (summary_text.c) ---- */

const char *summary_title(const summary *S);
void summary_command_line(const summary *S, sbuf *out);
void summary_exit_text(int status, char *out, size_t len);
void summary_date_text(const char *iso, sbuf *out);
void summary_rate_text(const summary *S, bool word, char *out, size_t len);
int summary_hot_pct(const prof_func_stat *f);
void summary_kinds_items(const summary *S, bool md, sbuf *out);
void summary_thread_label(const summary *S, size_t idx, sbuf *out);
/* What a reader needs to recognise a file: workspace-relative for your
 * code, package-relative for libraries, the object's name for native code. */
void summary_display_path(const summary *S, const char *file, frame_type type, sbuf *out);
/* file's path relative to the workspace when it lies there. */
bool summary_workspace_rel(const summary *S, const char *file, char *rel, size_t len);
/* The forge URL of file#Lline, when linkable. */
bool summary_file_url(const summary *S, const char *file, frame_type type, int line, sbuf *out);
bool summary_can_link(const summary *S);
/* "sklearn", "stdlib", "libopenblas.so.0" ("numpy" for the C of numpy's
 * extension modules): the short label of whose code a function is, for
 * lists of what a line spent its time in. */
void summary_owner_label(const summary *S, long func, sbuf *out);
/* The headline of a run that failed before doing work: exit status and,
 * when known, the last line it wrote to stderr. */
void summary_failure_text(const summary *S, sbuf *out);

typedef void (*note_fn)(void *ctx, const char *text);
/* The notes, one plain sentence each, through emit so each format can
 * escape and lay them out. */
void summary_notes(const summary *S, note_fn emit, void *ctx);

#endif
