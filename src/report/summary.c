/* summary.c -- the analysis behind the bottleneck summary: functions by
 * self and total time with their hints, threads, and whether the run failed
 * before doing work. See summary.h; the lines of your code are worked out
 * in summary_lines.c. */
#include "classify.h"
#include "summary.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Maps every frame to its function's row in stats, through the profile's
 * function table (the one identity rule, profile.h), and marks the frames
 * of the import machinery. */
static int map_frames(summary *S) {
    size_t nf = prof_nframes(S->p);
    const prof_functable *ft = prof_functions(S->p);
    size_t nfn = ft ? prof_nfuncs(ft) : 0;
    uint32_t *row_of = malloc((nfn ? nfn : 1) * sizeof *row_of);
    S->func_of = malloc((nf ? nf : 1) * sizeof *S->func_of);
    S->frame_kind = malloc((nf ? nf : 1) * sizeof *S->frame_kind);
    S->frame_import = malloc((nf ? nf : 1) * sizeof *S->frame_import);
    if (!ft || !row_of || !S->func_of || !S->frame_kind || !S->frame_import) {
        free(row_of);
        return -1;
    }
    for (size_t i = 0; i < nfn; i++) row_of[i] = UINT32_MAX;
    for (long i = 0; i < S->nstats; i++)
        if (S->stats[i].func < nfn) row_of[S->stats[i].func] = (uint32_t)i;
    for (size_t i = 0; i < nf; i++) {
        const prof_frame *f = prof_frame_at(S->p, i);
        S->frame_kind[i] = classify_frame(S->p, f);
        S->frame_import[i] = classify_frame_is_import(f);
        uint32_t fn = prof_func_of(ft, i);
        S->func_of[i] = fn < nfn ? row_of[fn] : UINT32_MAX;
    }
    free(row_of);
    return 0;
}

/* Deepest real (non-root) frame position of a stack, or -1. */
static long leaf_pos(const summary *S, const prof_stack *st) {
    for (uint32_t d = st->depth; d-- > 0;) {
        uint32_t fr = st->frames[d];
        if (fr < prof_nframes(S->p) && S->func_of[fr] != UINT32_MAX) return (long)d;
    }
    return -1;
}

/* Kind of code of a function as the rows show it: idle when most of its
 * own samples were taken while its thread was idle. */
code_kind summary_func_kind(const summary *S, long idx) {
    const prof_func_stat *f = &S->stats[idx];
    const prof_func *fn = prof_func_at(prof_functions(S->p), f->func);  /* module-aware */
    code_kind k = fn ? (code_kind)fn->kind : classify_func(S->p, f->file, f->type);
    if (f->self && S->idle_self[idx] * 2 > f->self) k = CODE_IDLE;
    return k;
}

/* ---- paths ---- */

/* If file (a Python frame's path) lies in the workspace, writes its path
 * relative to the workspace root into rel and returns true. Relative paths
 * are relative to the command's cwd. */
bool summary_workspace_rel(const summary *S, const char *file, char *rel, size_t len) {
    if (!S->ws[0] || !file || !*file || file[0] == '<') return false;
    char abs[4096];
    const char *cwd = S->m->cwd ? S->m->cwd : S->ws;
    if (file[0] == '/') snprintf(abs, sizeof abs, "%s", file);
    else if ((size_t)snprintf(abs, sizeof abs, "%s/%s", cwd, file) >= sizeof abs) return false;
    classify_normalise_path(abs);
    size_t n = strlen(S->ws);
    if (!strcmp(S->ws, "/")) n = 0;
    if (strncmp(abs, S->ws, n) || abs[n] != '/') return false;
    snprintf(rel, len, "%s", abs + n + 1);
    return rel[0] != '\0';
}

/* Appends a path as a dotted module: "numpy/linalg/linalg.py" ->
 * "numpy.linalg.linalg", "json/__init__.py" -> "json". */
static void dotted(const char *path, char *out, size_t len) {
    size_t n = 0;
    for (const char *s = path; *s && n + 1 < len; s++) out[n++] = *s == '/' ? '.' : *s;
    out[n] = '\0';
    if (n >= 3 && !strcmp(out + n - 3, ".py")) out[n -= 3] = '\0';
    if (n >= 9 && !strcmp(out + n - 9, ".__init__")) out[n - 9] = '\0';
}

void frame_module_from_path(const prof_frame *f, char *out, size_t len) {
    const char *file = f->file ? f->file : "";
    const char *s;
    if (len) out[0] = '\0';
    if (f->module && *f->module && f->type != FRAME_NATIVE) {
        snprintf(out, len, "%s", f->module);   /* read from the target (3.11+) */
    } else if (f->type == FRAME_NATIVE) {
        s = strrchr(file, '/');
        snprintf(out, len, "%s", s ? s + 1 : file);
    } else if (!strncmp(file, "<frozen ", 8)) {
        snprintf(out, len, "%.*s", (int)strcspn(file + 8, ">"), file + 8);
    } else if (!strcmp(file, "<__array_function__ internals>")) {
        snprintf(out, len, "numpy");   /* numpy 1.x's generated API wrappers */
    } else if ((s = strstr(file, "-packages/")) != NULL) {
        dotted(s + strlen("-packages/"), out, len);
    } else if ((s = strstr(file, "/lib/python")) != NULL && (s = strchr(s + 1, '/')) != NULL &&
               (s = strchr(s + 1, '/')) != NULL) {
        dotted(s + 1, out, len);
    }
}

/* A run that exited non-zero having done almost nothing, or nothing in
 * your code: its samples are interpreter start-up, not bottlenecks. */
static void flag_failed_early(summary *S) {
    int st = S->m->exit_status;
    S->failed_early = st > 0 && (S->user_samples == 0 ||
                                 (double)S->total * S->sps < FAILED_EARLY_SECONDS);
}

/* ---- per-row caller analysis ---- */

/* The position of the innermost frame of function fn among st's frames
 * [0, end), -1 if none. */
static long innermost_of(const summary *S, const prof_stack *st, uint32_t fn, long end) {
    size_t nf = prof_nframes(S->p);
    for (long k = end; k-- > 0;) {
        uint32_t fr = st->frames[k];
        if (fr < nf && S->func_of[fr] == fn) return k;
    }
    return -1;
}

/* Whether the next real frame below position d calls a function other
 * than fn not yet marked for this row (marking it). */
static bool new_callee(const summary *S, const prof_stack *st, long d, uint32_t fn,
                       uint32_t *mark, uint32_t stamp) {
    size_t nf = prof_nframes(S->p);
    for (uint32_t k = (uint32_t)d + 1; k < st->depth; k++) {
        uint32_t fr = st->frames[k];
        if (fr >= nf || S->func_of[fr] == UINT32_MAX) continue;
        uint32_t g = S->func_of[fr];
        if (g == fn || mark[g] == stamp) return false;
        mark[g] = stamp;
        return true;
    }
    return false;
}

/* Per-frame counts of call sites, and the busiest so far (-1: none). */
typedef struct {
    uint64_t *site, *user;
    long best_site, best_user;
} site_tally;

/* Adds count to frame fr, keeping the busiest (the lower frame on ties). */
static void tally(uint64_t *counts, long *best, uint32_t fr, uint64_t count) {
    counts[fr] += count;
    if (*best < 0 || counts[fr] > counts[*best] || (counts[fr] == counts[*best] && fr < (uint32_t)*best))
        *best = fr;
}

/* Counts the call sites above position d of st: the nearest caller that is
 * not fn itself and, when want_user, the nearest one in your code. */
static void count_sites(const summary *S, const prof_stack *st, long d, uint32_t fn,
                        bool want_user, site_tally *t) {
    size_t nf = prof_nframes(S->p);
    bool found_site = false;
    for (long k = d - 1; k >= 0; k--) {
        uint32_t fr = st->frames[k];
        if (fr >= nf || S->func_of[fr] == UINT32_MAX || S->func_of[fr] == fn)
            continue;  /* roots, and recursion into itself */
        if (!found_site) {
            found_site = true;
            tally(t->site, &t->best_site, fr, st->count);
        }
        if (!want_user) break;
        if (S->frame_kind[fr] == CODE_YOURS) {
            tally(t->user, &t->best_user, fr, st->count);
            break;
        }
    }
}

/* Frame fr as a hint's call site, its "file:line" written into where. */
static hint_site describe_site(summary *S, long fr, sbuf *where, uint64_t count) {
    const prof_frame *f = prof_frame_at(S->p, (size_t)fr);
    summary_display_path(S, f->file, f->type, where);
    if (f->line > 0) sbuf_printf(where, ":%d", f->line);
    return (hint_site){f->function, sbuf_str(where), count};
}

/* For the function of stats index fn: its busiest immediate call site, its
 * busiest nearest call site in your code, and how many distinct functions
 * it calls, over every stack it appears in. Counts go into site/user (per
 * frame, zeroed again before returning) and mark (per function). */
static void callers(summary *S, row_info *r, uint64_t *site, uint64_t *user, uint32_t *mark,
                    uint32_t stamp) {
    uint32_t fn = (uint32_t)r->idx;
    size_t nf = prof_nframes(S->p);
    uint32_t ncallees = 0;
    uint64_t recursive = 0;
    site_tally t = {site, user, -1, -1};
    for (size_t s = 0; s < prof_nstacks(S->p); s++) {
        const prof_stack *st = prof_stack_at(S->p, s);
        long d = innermost_of(S, st, fn, st->depth);
        if (d < 0 || st->count == 0) continue;
        if (innermost_of(S, st, fn, d) >= 0) recursive += st->count;
        if (new_callee(S, st, d, fn, mark, stamp)) ncallees++;
        count_sites(S, st, d, fn, r->kind != CODE_YOURS, &t);
    }
    /* the winners' counts, before the arrays are cleared for the next row */
    uint64_t site_n = t.best_site >= 0 ? site[t.best_site] : 0;
    uint64_t user_n = t.best_user >= 0 ? user[t.best_user] : 0;
    for (size_t s = 0; s < prof_nstacks(S->p); s++) {
        const prof_stack *st = prof_stack_at(S->p, s);
        for (uint32_t k = 0; k < st->depth; k++)
            if (st->frames[k] < nf) site[st->frames[k]] = user[st->frames[k]] = 0;
    }
    r->hin.ncallees = ncallees;
    r->hin.recursive = recursive;
    sbuf_init(&r->caller_where, 600);
    sbuf_init(&r->user_where, 600);
    if (t.best_site >= 0) r->hin.caller = describe_site(S, t.best_site, &r->caller_where, site_n);
    if (t.best_user >= 0) r->hin.user_caller = describe_site(S, t.best_user, &r->user_where, user_n);
}

static int by_total_cmp(const void *a, const void *b, void *ctx) {
    const prof_func_stat *st = ctx;
    const prof_func_stat *x = &st[*(const long *)a], *y = &st[*(const long *)b];
    if (x->total != y->total) return x->total < y->total ? 1 : -1;
    if (x->self != y->self) return x->self < y->self ? 1 : -1;
    return *(const long *)a < *(const long *)b ? -1 : 1;
}

typedef struct {
    uint32_t thread;
    uint32_t func;
    uint64_t count;
} leaf_rec;

static int leaf_cmp(const void *a, const void *b) {
    const leaf_rec *x = a, *y = b;
    if (x->thread != y->thread) return x->thread < y->thread ? -1 : 1;
    return (x->func > y->func) - (x->func < y->func);
}

static int thread_cmp(const void *a, const void *b) {
    const thread_info *x = a, *y = b;
    if (x->samples != y->samples) return x->samples < y->samples ? 1 : -1;
    return (x->idx > y->idx) - (x->idx < y->idx);
}

static int analyse_threads(summary *S) {
    size_t nt = prof_nthreads(S->p), ns = prof_nstacks(S->p);
    thread_info *ti = calloc(nt + 1, sizeof *ti);
    leaf_rec *leaves = malloc((ns ? ns : 1) * sizeof *leaves);
    if (!ti || !leaves) {
        free(ti);
        free(leaves);
        return -1;
    }
    size_t nl = 0;
    for (size_t i = 0; i <= nt; i++) ti[i] = (thread_info){.busiest = -1, .idx = i};
    for (size_t s = 0; s < ns; s++) {
        const prof_stack *st = prof_stack_at(S->p, s);
        uint32_t t = st->thread < nt ? st->thread : (uint32_t)nt;
        ti[t].samples += st->count;
        if (st->idle) ti[t].idle += st->count;
        long d = leaf_pos(S, st);
        if (d >= 0 && st->count)
            leaves[nl++] = (leaf_rec){t, S->func_of[st->frames[d]], st->count};
    }
    qsort(leaves, nl, sizeof *leaves, leaf_cmp);
    for (size_t i = 0; i < nl;) {
        size_t j = i;
        uint64_t sum = 0;
        while (j < nl && leaves[j].thread == leaves[i].thread && leaves[j].func == leaves[i].func)
            sum += leaves[j++].count;
        thread_info *t = &ti[leaves[i].thread];
        if (sum > t->busiest_samples) {
            t->busiest_samples = sum;
            t->busiest = leaves[i].func;
        }
        i = j;
    }
    free(leaves);
    qsort(ti, nt + 1, sizeof *ti, thread_cmp);
    S->nthreads_sampled = 0;
    while (S->nthreads_sampled <= nt && ti[S->nthreads_sampled].samples) S->nthreads_sampled++;
    S->nthreads_shown = S->nthreads_sampled < THREAD_ROWS ? S->nthreads_sampled : THREAD_ROWS;
    S->threads = ti;
    /* distinct processes among sampled threads */
    S->nprocesses_sampled = 0;
    for (size_t i = 0; i < S->nthreads_sampled; i++) {
        const prof_thread *t = prof_thread_at(S->p, ti[i].idx);
        if (!t) continue;
        bool seen = false;
        for (size_t k = 0; k < i && !seen; k++) {
            const prof_thread *u = prof_thread_at(S->p, ti[k].idx);
            seen = u && u->pid == t->pid;
        }
        if (!seen) S->nprocesses_sampled++;
    }
    return 0;
}

void summary_free(summary *S) {
    free(S->lines);
    for (int i = 0; i < S->nrows; i++) {
        sbuf_free(&S->rows[i].caller_where);
        sbuf_free(&S->rows[i].user_where);
    }
    free(S->rows);
    free(S->stats);
    free(S->func_of);
    free(S->frame_kind);
    free(S->frame_import);
    free(S->idle_self);
    free(S->by_total);
    free(S->threads);
}

/* Self samples by kind of code (import time and idle apart), and each
 * function's idle self samples. */
static void count_kinds(summary *S) {
    const profile *p = S->p;
    for (size_t s = 0; s < prof_nstacks(p); s++) {
        const prof_stack *st = prof_stack_at(p, s);
        long d = leaf_pos(S, st);
        if (st->idle) {
            S->kind_self[CODE_IDLE] += st->count;
            if (d >= 0) S->idle_self[S->func_of[st->frames[d]]] += st->count;
        } else if (d >= 0) {
            /* Import time is its own kind: the importing module's code runs
             * under the import machinery, which would count it as stdlib. */
            bool import = false;
            for (uint32_t k = 0; k < st->depth && !import; k++)
                import = st->frames[k] < prof_nframes(p) && S->frame_import[st->frames[k]];
            if (import) S->import_self += st->count;
            else S->kind_self[S->frame_kind[st->frames[d]]] += st->count;
        } else {
            S->no_frames += st->count;
        }
    }
}

/* The bottleneck rows: by self time, only functions with self samples,
 * each with its callers and its hint. */
static int bottleneck_rows(summary *S, int top_n) {
    S->rows = calloc((size_t)top_n, sizeof *S->rows);
    if (!S->rows) return -1;
    for (long i = 0; i < S->nstats && S->nrows < top_n && S->stats[i].self > 0; i++) {
        row_info *r = &S->rows[S->nrows++];
        r->idx = i;
        r->idle_self = S->idle_self[i];
        r->kind = summary_func_kind(S, i);
    }
    if (!S->nrows) return 0;
    size_t nf = prof_nframes(S->p);
    uint64_t *site = calloc(nf ? nf : 1, sizeof *site), *user = calloc(nf ? nf : 1, sizeof *user);
    uint32_t *mark = calloc((size_t)S->nstats + 1, sizeof *mark);
    hint_memory mem = {0};
    int rc = -1;
    if (site && user && mark) {
        for (int i = 0; i < S->nrows; i++) {
            row_info *r = &S->rows[i];
            r->hin.stat = &S->stats[r->idx];
            r->hin.kind = r->kind;
            r->hin.profile_samples = S->total;
            r->hin.idle_self = r->idle_self;
            callers(S, r, site, user, mark, (uint32_t)i + 1);
            hint_for(&r->hin, i + 1, &mem, r->hint, sizeof r->hint);
        }
        rc = 0;
    }
    free(site);
    free(user);
    free(mark);
    return rc;
}

/* The functions by total time. */
static int rank_by_total(summary *S) {
    long n = S->nstats;
    S->by_total = malloc(((size_t)n + 1) * sizeof *S->by_total);
    if (!S->by_total) return -1;
    for (long i = 0; i < n; i++) S->by_total[i] = i;
    qsort_r(S->by_total, (size_t)n, sizeof *S->by_total, by_total_cmp, S->stats);
    S->nby_total = n < BY_TOTAL_ROWS ? (int)n : BY_TOTAL_ROWS;
    return 0;
}

int summary_analyse(summary *S, const profile *p, const output_opts *o) {
    memset(S, 0, sizeof *S);
    S->p = p;
    S->o = o;
    S->m = prof_meta_get(p);
    S->total = prof_total_samples(p);
    S->deff = prof_design_effect(p);
    S->sps = prof_seconds_per_sample(p);
    const char *ws = S->m->workspace ? S->m->workspace : S->m->cwd;
    if (ws && ws[0] == '/' && strlen(ws) < sizeof S->ws) {
        snprintf(S->ws, sizeof S->ws, "%s", ws);
        classify_normalise_path(S->ws);
    }
    S->nstats = prof_function_stats(p, &S->stats);
    if (S->nstats < 0) return -1;
    if (map_frames(S)) return -1;
    S->idle_self = calloc((size_t)S->nstats + 1, sizeof *S->idle_self);
    if (!S->idle_self) return -1;
    count_kinds(S);
    int top_n = o->top_n > 0 ? o->top_n : 3;
    if (top_n > TOP_N_MAX) top_n = TOP_N_MAX;
    if (bottleneck_rows(S, top_n) || rank_by_total(S)) return -1;
    if (analyse_threads(S) || summary_analyse_lines(S, top_n)) return -1;
    flag_failed_early(S);
    return 0;
}
