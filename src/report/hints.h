/* hints.h -- one line of advice for a bottleneck row.
 *
 * A pure function of what the profile says about one function: its kind of
 * code, its self and total samples, how many functions it calls, and where it
 * is called from. The heuristics are deliberately modest: they say where to
 * look and what usually helps for that kind of hot spot, never how much
 * faster anything will get (a sampling profile cannot know that).
 *
 * The text is plain, except that names meant to be shown as code are wrapped
 * in HINT_CODE_ON ... HINT_CODE_OFF; writers turn those into code spans or
 * quotes. Names are cleaned of control characters before they go in, so the
 * markers cannot be forged by a function name.
 */
#ifndef CSPROF_HINTS_H
#define CSPROF_HINTS_H

#include <stddef.h>
#include <stdint.h>

#include "classify.h"
#include "profile.h"

#define HINT_CODE_ON '\x01'
#define HINT_CODE_OFF '\x02'

/* A call site: the calling function and where the call is, ready to show
 * (e.g. "app/main.py:42"). function NULL means no such site was sampled. */
typedef struct {
    const char *function;
    const char *where;
    uint64_t samples;   /* samples of the row's function reached through it */
} hint_site;

typedef struct {
    const prof_func_stat *stat;
    code_kind kind;            /* as shown in the row (idle when mostly idle) */
    uint64_t profile_samples;  /* all samples in the profile */
    uint64_t idle_self;        /* self samples taken while the thread was idle */
    uint32_t ncallees;         /* distinct functions it was seen calling */
    uint64_t recursive;        /* samples with it on the stack more than once */
    hint_site caller;          /* busiest immediate call site */
    hint_site user_caller;     /* busiest nearest call site in your code
                                  (only looked for when the row isn't yours) */
} hint_input;

typedef enum {
    HINT_WAITING,
    HINT_GC,
    HINT_IMPORT,
    HINT_JSON,
    HINT_REGEX,
    HINT_LOGGING,
    HINT_COPY,
    HINT_LIBRARY,
    HINT_LOOP,
    HINT_CACHE,
    HINT_GENERAL,
    HINT_KIND_COUNT
} hint_kind;

/* What the samples beneath a line of your code were doing, by the module
 * and name of the frames there (the outermost frame a rule recognises
 * decides), or the line itself running. */
typedef enum {
    WORK_OWN,        /* the line itself: bytecode, or C it calls directly */
    WORK_WAITING,    /* blocked: sleep, lock, I/O, a child (idle samples) */
    WORK_IMPORT,
    WORK_LINALG,     /* numpy.linalg, scipy.linalg, BLAS/LAPACK, dot/matmul/einsum */
    WORK_OPTIMIZE,   /* scipy.optimize */
    WORK_FIT,        /* scikit-learn fit* */
    WORK_NEURAL,     /* torch autograd, optimisers, nn modules */
    WORK_PLOT,       /* matplotlib */
    WORK_JSON,
    WORK_REGEX,
    WORK_IO,         /* files, csv, compression, numpy text I/O */
    WORK_LOGGING,
    WORK_COPY,       /* copy, pickle */
    WORK_LIBRARY,    /* other third-party code */
    WORK_STDLIB,     /* other standard library code */
    WORK_NATIVE,     /* other native code */
    WORK_COUNT
} work_kind;

/* The specific kind of work a frame beneath your code stands for, from its
 * module ("scipy.optimize._minimize", a native object's file name) and its
 * function name; WORK_COUNT when no specific rule knows it. */
work_kind work_of_frame(const char *module, const char *function, frame_type type);
/* "linear algebra", "importing modules", ...: a phrase for a sentence. */
const char *work_name(work_kind w);

/* Which advice a summary already gave (1-based row, 0 = not yet), so that
 * no sentence of advice appears twice in one summary: a later row that
 * needs the same advice refers back to the first instead. */
typedef struct {
    int line_row[WORK_COUNT];
    int func_row[HINT_KIND_COUNT];
} hint_memory;

/* A line of your code and what the samples charged to it were doing. */
typedef struct {
    const char *function;      /* your function */
    int line;
    uint64_t samples;          /* charged to this line */
    const uint64_t *by_work;   /* WORK_COUNT counts, summing to samples */
    work_kind work;            /* the largest of them */
    const char *callee;        /* busiest function directly beneath, NULL: none */
    const char *callee_owner;  /* its package or kind, e.g. "sklearn" */
    uint64_t callee_samples;
} line_hint_input;

/* Writes the advice for a line of your code (row is its 1-based rank). */
void hint_for_line(const line_hint_input *in, int row, hint_memory *mem, char *buf, size_t len);

/* Writes the advice (NUL-terminated, truncated to fit) into buf and returns
 * which rule produced it. row and mem as for hint_for_line; mem may be NULL
 * (no memory: the full advice every time). */
hint_kind hint_for(const hint_input *in, int row, hint_memory *mem, char *buf, size_t len);

#endif
