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

/* Writes the advice (NUL-terminated, truncated to fit) into buf and returns
 * which rule produced it. */
hint_kind hint_for(const hint_input *in, char *buf, size_t len);

#endif
