/* summary_lines.c -- the lead view of the summary: every sample charged to
 * the innermost line of your code on its stack, and for each such line what
 * it spent the time in. See summary.h.
 *
 * Two passes over the stacks: the first counts samples per frame of your
 * code and merges frames of one function and line; the second, for the top
 * lines only, counts the functions directly beneath them and what kind of
 * work the frames beneath were doing.
 */
#include "summary.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Depth of the innermost frame of your code on a stack, or -1. */
static long innermost_yours(const summary *S, const prof_stack *st) {
    size_t nf = prof_nframes(S->p);
    for (uint32_t d = st->depth; d-- > 0;) {
        uint32_t fr = st->frames[d];
        if (fr < nf && S->func_of[fr] != UINT32_MAX && S->frame_kind[fr] == CODE_YOURS)
            return (long)d;
    }
    return -1;
}

/* The next real frame below depth d, or -1 when d is the leaf. */
static long next_below(const summary *S, const prof_stack *st, long d) {
    size_t nf = prof_nframes(S->p);
    for (uint32_t k = (uint32_t)d + 1; k < st->depth; k++)
        if (st->frames[k] < nf && S->func_of[st->frames[k]] != UINT32_MAX) return (long)k;
    return -1;
}

/* What the frames beneath depth d were doing: the outermost one a rule
 * knows decides (the scikit-learn fit the line called, not the LAPACK
 * routine deep inside it); else the kind of code directly beneath. */
static work_kind work_beneath(const summary *S, const prof_stack *st, long d, long next) {
    if (st->idle) return WORK_WAITING;
    if (next < 0) return WORK_OWN;
    size_t nf = prof_nframes(S->p);
    for (uint32_t k = (uint32_t)next; k < st->depth; k++) {
        uint32_t fr = st->frames[k];
        if (fr >= nf || S->func_of[fr] == UINT32_MAX) continue;
        const prof_frame *f = prof_frame_at(S->p, fr);
        if (classify_frame_is_import(f)) return WORK_IMPORT;
        char mod[256];
        frame_module_from_path(f, mod, sizeof mod);
        work_kind w = work_of_frame(mod, f->function, f->type);
        if (w != WORK_COUNT) return w;
    }
    switch (S->frame_kind[st->frames[next]]) {
    case CODE_STDLIB: return WORK_STDLIB;
    case CODE_NATIVE: return WORK_NATIVE;
    default: return WORK_LIBRARY;
    }
}

typedef struct {
    uint32_t func;
    int line;
    uint32_t frame;
    uint64_t samples;
} line_rec;

static int by_func_line(const void *a, const void *b) {
    const line_rec *x = a, *y = b;
    if (x->func != y->func) return x->func < y->func ? -1 : 1;
    if (x->line != y->line) return x->line < y->line ? -1 : 1;
    return (x->frame > y->frame) - (x->frame < y->frame);
}

static int by_samples(const void *a, const void *b) {
    const line_rec *x = a, *y = b;
    if (x->samples != y->samples) return x->samples < y->samples ? 1 : -1;
    return by_func_line(a, b);
}

/* First pass: samples per line of your code, most first, into recs
 * (merged by function and line); returns how many lines, -1 on OOM. */
static long count_lines(summary *S, line_rec **out) {
    size_t nf = prof_nframes(S->p);
    uint64_t *inner = calloc(nf ? nf : 1, sizeof *inner);
    if (!inner) return -1;
    for (size_t s = 0; s < prof_nstacks(S->p); s++) {
        const prof_stack *st = prof_stack_at(S->p, s);
        long d = innermost_yours(S, st);
        if (d < 0 || !st->count) continue;
        inner[st->frames[d]] += st->count;
        S->user_samples += st->count;
    }
    size_t n = 0;
    line_rec *recs = malloc((nf ? nf : 1) * sizeof *recs);
    if (!recs) {
        free(inner);
        return -1;
    }
    for (size_t i = 0; i < nf; i++)
        if (inner[i])
            recs[n++] = (line_rec){S->func_of[i], prof_frame_at(S->p, i)->line, (uint32_t)i, inner[i]};
    free(inner);
    qsort(recs, n, sizeof *recs, by_func_line);
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (m && recs[m - 1].func == recs[i].func && recs[m - 1].line == recs[i].line)
            recs[m - 1].samples += recs[i].samples;
        else
            recs[m++] = recs[i];
    }
    qsort(recs, m, sizeof *recs, by_samples);
    *out = recs;
    return (long)m;
}

typedef struct {
    int rank;
    uint32_t callee;   /* stats index, UINT32_MAX: the line itself */
    uint64_t samples;
} callee_rec;

static int by_rank_callee(const void *a, const void *b) {
    const callee_rec *x = a, *y = b;
    if (x->rank != y->rank) return x->rank < y->rank ? -1 : 1;
    return (x->callee > y->callee) - (x->callee < y->callee);
}

/* Keeps the BENEATH_MAX busiest of what a line spent its time in. */
static void add_beneath(user_line *L, long func, uint64_t samples) {
    beneath_item it = {func, samples};
    int pos = L->nbeneath;
    while (pos > 0 && L->beneath[pos - 1].samples < samples) pos--;
    if (pos >= BENEATH_MAX) {
        L->beneath_rest += samples;
        L->nbeneath_rest++;
        return;
    }
    if (L->nbeneath == BENEATH_MAX) {
        L->beneath_rest += L->beneath[BENEATH_MAX - 1].samples;
        L->nbeneath_rest++;
    } else {
        L->nbeneath++;
    }
    memmove(&L->beneath[pos + 1], &L->beneath[pos],
            (size_t)(L->nbeneath - 1 - pos) * sizeof *L->beneath);
    L->beneath[pos] = it;
}

/* Second pass, for the top lines: what is beneath them. rank_of maps a
 * frame to its line's rank (-1 when not a top line). */
static int fill_beneath(summary *S, const int *rank_of) {
    size_t ns = prof_nstacks(S->p), n = 0;
    callee_rec *recs = malloc((ns ? ns : 1) * sizeof *recs);
    if (!recs) return -1;
    for (size_t s = 0; s < ns; s++) {
        const prof_stack *st = prof_stack_at(S->p, s);
        long d = innermost_yours(S, st);
        if (d < 0 || !st->count || rank_of[st->frames[d]] < 0) continue;
        user_line *L = &S->lines[rank_of[st->frames[d]]];
        long next = next_below(S, st, d);
        if (st->idle) L->idle += st->count;
        L->by_work[work_beneath(S, st, d, next)] += st->count;
        recs[n++] = (callee_rec){rank_of[st->frames[d]],
                                 next < 0 ? UINT32_MAX : S->func_of[st->frames[next]], st->count};
    }
    qsort(recs, n, sizeof *recs, by_rank_callee);
    for (size_t i = 0; i < n;) {
        size_t j = i;
        uint64_t sum = 0;
        while (j < n && recs[j].rank == recs[i].rank && recs[j].callee == recs[i].callee)
            sum += recs[j++].samples;
        add_beneath(&S->lines[recs[i].rank], recs[i].callee == UINT32_MAX ? -1 : (long)recs[i].callee,
                    sum);
        i = j;
    }
    free(recs);
    /* what rounds to 0% says nothing: counted with the rest */
    for (int r = 0; r < S->nlines; r++) {
        user_line *L = &S->lines[r];
        while (L->nbeneath > 1 && L->beneath[L->nbeneath - 1].samples * 200 < L->samples) {
            L->beneath_rest += L->beneath[--L->nbeneath].samples;
            L->nbeneath_rest++;
        }
    }
    return 0;
}

/* The hint of each line, from what it was doing; memory keeps advice from
 * repeating across lines. */
static void line_hints(summary *S) {
    hint_memory mem = {0};
    for (int i = 0; i < S->nlines; i++) {
        user_line *L = &S->lines[i];
        work_kind best = WORK_OWN;
        for (int w = 0; w < WORK_COUNT; w++)
            if (L->by_work[w] > L->by_work[best]) best = (work_kind)w;
        L->work = best;
        const beneath_item *top = NULL;
        for (int k = 0; k < L->nbeneath && !top; k++)
            if (L->beneath[k].func >= 0) top = &L->beneath[k];
        sbuf owner;
        sbuf_init(&owner, 200);
        if (top) summary_owner_label(S, top->func, &owner);
        line_hint_input in = {
            .function = S->stats[L->func].function,
            .line = L->line,
            .samples = L->samples,
            .by_work = L->by_work,
            .work = best,
            .callee = top ? S->stats[top->func].function : NULL,
            .callee_owner = sbuf_str(&owner),
            .callee_samples = top ? top->samples : 0,
        };
        hint_for_line(&in, i + 1, &mem, L->hint, sizeof L->hint);
        sbuf_free(&owner);
    }
}

int summary_analyse_lines(summary *S, int top_n) {
    line_rec *recs = NULL;
    long n = count_lines(S, &recs);
    if (n < 0) return -1;
    int keep = n < top_n ? (int)n : top_n;
    size_t nf = prof_nframes(S->p);
    S->lines = calloc((size_t)keep + 1, sizeof *S->lines);
    int *rank_of = malloc((nf ? nf : 1) * sizeof *rank_of);
    if (!S->lines || !rank_of) {
        free(recs);
        free(rank_of);
        return -1;
    }
    for (int i = 0; i < keep; i++)
        S->lines[i] = (user_line){.func = recs[i].func, .frame = recs[i].frame,
                                  .line = recs[i].line, .samples = recs[i].samples};
    S->nlines = keep;
    free(recs);
    /* every frame of a top line's function and line maps to its rank */
    for (size_t i = 0; i < nf; i++) {
        rank_of[i] = -1;
        if (S->func_of[i] == UINT32_MAX || S->frame_kind[i] != CODE_YOURS) continue;
        for (int r = 0; r < keep; r++)
            if (S->lines[r].func == (long)S->func_of[i] &&
                S->lines[r].line == prof_frame_at(S->p, i)->line) {
                rank_of[i] = r;
                break;
            }
    }
    int rc = fill_beneath(S, rank_of);
    free(rank_of);
    if (rc == 0) line_hints(S);
    return rc;
}
