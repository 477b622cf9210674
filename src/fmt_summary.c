/* fmt_summary.c -- the bottleneck summary: GitHub-flavoured Markdown for the
 * job summary (write_markdown) and the same content as aligned plain text
 * for terminals (write_text).
 *
 * Content: a header (command, exit status, wall time, samples and rate,
 * Python, date, commit), the top-N functions by self time with a 95% Wilson
 * interval on each share, their inclusive share, kind of code and hottest
 * line, one hint per row (hints.c), the self time by kind of code, then the
 * top 20 by total time, the threads and the notes.
 *
 * The Markdown must stay far below GitHub's 1 MiB summary limit whatever the
 * profile: every section is rendered into its own buffer with a byte budget
 * (rows that don't fit are counted, not written), every cell is cut to a
 * bounded length, and the sum of the budgets is under MD_LIMIT (64 KiB).
 * Names and paths from the target are untrusted: table metacharacters,
 * backticks, HTML and control characters are escaped or replaced, and
 * invalid UTF-8 becomes U+FFFD.
 */
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "hints.h"
#include "md.h"
#include "output.h"
#include "version.h"

enum {
    MD_LIMIT = 65536,
    BUDGET_HEADER = 3000,
    BUDGET_TOP = 34000,     /* bottleneck table and its hints together */
    BUDGET_KINDS = 600,
    BUDGET_BY_TOTAL = 14000,
    BUDGET_THREADS = 7000,
    BUDGET_NOTES = 5000,
    TOP_N_MAX = 100,
    BY_TOTAL_ROWS = 20,
    THREAD_ROWS = 20,
    NAME_MAX_CHARS = 100,   /* function names and shown paths are cut here */
    TEXT_WIDTH = 100,       /* wrap width of prose in the text output */
};

/* ---- strings with a byte limit ---- */

typedef struct {
    char *s;
    size_t len, cap, limit;
    bool oom;
} str;

static void s_init(str *b, size_t limit) { *b = (str){.limit = limit}; }

/* Appends unless that would pass the limit; returns false when refused. */
static bool s_putn(str *b, const char *s, size_t n) {
    if (b->oom) return false;
    if (b->len + n > b->limit) return false;
    if (b->len + n + 1 > b->cap) {
        size_t nc = b->cap ? b->cap : 256;
        while (nc < b->len + n + 1) nc *= 2;
        char *ns = realloc(b->s, nc);
        if (!ns) {
            b->oom = true;
            return false;
        }
        b->s = ns;
        b->cap = nc;
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
    return true;
}

static bool s_puts(str *b, const char *s) { return s_putn(b, s, strlen(s)); }

static bool s_printf(str *b, const char *fmt, ...) {
    char tmp[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0) return false;
    return s_putn(b, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

/* Moves all of src onto dst if it fits, and empties src either way. */
static bool s_take(str *dst, str *src) {
    bool ok = src->len == 0 || s_putn(dst, src->s, src->len);
    if (src->oom) dst->oom = true;
    src->len = 0;
    if (src->s) src->s[0] = '\0';
    return ok;
}

static void s_free(str *b) {
    free(b->s);
    b->s = NULL;
    b->len = b->cap = 0;
}

static const char *s_str(const str *b) { return b->s ? b->s : ""; }

/* ---- UTF-8 ---- */

/* Length of the valid UTF-8 sequence at u, or 0 if invalid. */
static int utf8_len(const unsigned char *u) {
    unsigned char c = u[0];
    if (c < 0x80) return 1;
    int len = (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (!len) return 0;
    uint32_t cp = c & (0x7F >> len);
    for (int k = 1; k < len; k++) {
        if ((u[k] & 0xC0) != 0x80) return 0;
        cp = cp << 6 | (u[k] & 0x3F);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
        (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return len;
}

/* Code points in a (clean, valid UTF-8) string: the text output's width. */
static size_t width_of(const char *s) {
    size_t w = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80) w++;
    return w;
}

/* A cleaned copy for display: control characters become spaces (a name must
 * not move the terminal's cursor or break a table row), invalid bytes
 * U+FFFD, and anything past max code points is cut. keep_tail keeps the end
 * instead (paths: the file name matters most). */
static void clean(const char *in, size_t max, bool keep_tail, str *out) {
    str tmp;
    s_init(&tmp, (size_t)-1);
    const unsigned char *u = (const unsigned char *)(in ? in : "");
    size_t cps = 0;
    while (*u) {
        int n = utf8_len(u);
        if (n == 0) {
            s_puts(&tmp, "\xEF\xBF\xBD");
            u++;
        } else if (n == 1 && (*u < 0x20 || *u == 0x7f)) {
            s_putn(&tmp, " ", 1);
            u++;
        } else {
            s_putn(&tmp, (const char *)u, (size_t)n);
            u += n;
        }
        cps++;
    }
    const char *s = s_str(&tmp);
    if (cps <= max) {
        s_puts(out, s);
    } else if (keep_tail) {
        /* skip cps - (max - 1) code points, then "…" + the rest */
        size_t skip = cps - (max - 1);
        const char *p = s;
        while (skip) {
            p++;
            if (((unsigned char)*p & 0xC0) != 0x80) skip--;
        }
        s_puts(out, "\xE2\x80\xA6");
        s_puts(out, p);
    } else {
        const char *p = s;
        for (size_t k = 0; k < max - 1; k++) {
            p++;
            while (((unsigned char)*p & 0xC0) == 0x80) p++;
        }
        s_putn(out, s, (size_t)(p - s));
        s_puts(out, "\xE2\x80\xA6");
    }
    if (tmp.oom) out->oom = true;
    s_free(&tmp);
}

/* ---- Markdown escaping ---- */

/* Inline code span by md.h's rule, so no name leaves its span or cell. */
static bool md_span(str *b, const char *name, size_t max, bool in_table) {
    sbuf c;
    sbuf_init(&c, SBUF_NO_LIMIT);
    bool ok = md_code_span(&c, name, max, in_table) && s_putn(b, sbuf_str(&c), c.len);
    if (c.oom) b->oom = true;
    sbuf_free(&c);
    return ok;
}

static bool md_code(str *b, const char *name, size_t max) {
    return md_span(b, name, max, false);
}

static bool md_code_cell(str *b, const char *name, size_t max) {
    return md_span(b, name, max, true);
}

/* Plain text with the Markdown-active ASCII punctuation backslash-escaped
 * (CommonMark allows escaping any of it), so names can't open code, links,
 * emphasis, strikethrough, entities or HTML, or split a table cell.
 * Parentheses and '!' need no escape once '[' and ']' are escaped. */
static bool md_text_clean(str *b, const char *s) {
    bool ok = true;
    for (; ok && *s; s++) {
        if (strchr("\\`*_[]<>|#~&", *s)) ok = s_putn(b, "\\", 1);
        ok = ok && s_putn(b, s, 1);
    }
    return ok;
}

static bool md_text(str *b, const char *s, size_t max, bool keep_tail) {
    str c;
    s_init(&c, (size_t)-1);
    clean(s, max, keep_tail, &c);
    bool ok = md_text_clean(b, s_str(&c));
    if (c.oom) b->oom = true;
    s_free(&c);
    return ok;
}

/* Percent-encoding for a path in a URL: unreserved characters and '/' stay. */
static bool url_path(str *b, const char *s) {
    bool ok = true;
    for (const unsigned char *u = (const unsigned char *)s; ok && *u; u++) {
        if ((*u >= 'A' && *u <= 'Z') || (*u >= 'a' && *u <= 'z') || (*u >= '0' && *u <= '9') ||
            strchr("-._~/", *u))
            ok = s_putn(b, (const char *)u, 1);
        else
            ok = s_printf(b, "%%%02X", *u);
    }
    return ok;
}

/* ---- number formatting ---- */

static void fmt_count(uint64_t n, char *out, size_t len) {
    char digits[32];
    int nd = snprintf(digits, sizeof digits, "%llu", (unsigned long long)n);
    size_t o = 0;
    for (int i = 0; i < nd && o + 2 < len; i++) {
        if (i && (nd - i) % 3 == 0) out[o++] = ',';
        out[o++] = digits[i];
    }
    out[o] = '\0';
}

static void fmt_secs(double s, char *out, size_t len) {
    if (s >= 100) snprintf(out, len, "%.0f s", s);
    else if (s >= 10) snprintf(out, len, "%.1f s", s);
    else if (s >= 0.1) snprintf(out, len, "%.2f s", s);
    else snprintf(out, len, "%.3f s", s);
}

static double share(uint64_t part, uint64_t whole) {
    return whole ? 100.0 * (double)part / (double)whole : 0.0;
}

/* 95% Wilson score interval for the proportion k/n, in percent. */
static void wilson(uint64_t k, uint64_t n, double *lo, double *hi) {
    if (n == 0) {
        *lo = *hi = 0;
        return;
    }
    const double z = 1.959963984540054;
    double nn = (double)n, p = (double)k / nn, z2 = z * z;
    double denom = 1 + z2 / nn;
    double centre = (p + z2 / (2 * nn)) / denom;
    double half = z * sqrt(p * (1 - p) / nn + z2 / (4 * nn * nn)) / denom;
    *lo = fmax(0.0, centre - half) * 100;
    *hi = fmin(1.0, centre + half) * 100;
}

/* ---- analysis shared by both formats ---- */

typedef struct {
    long idx;                 /* into stats */
    code_kind kind;
    uint64_t idle_self;
    hint_input hin;
    str caller_where, user_where;
    char hint[1400];
} row_info;

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
    double sps;
    uint64_t kind_self[CODE_KIND_COUNT];
    uint64_t no_frames;       /* samples with no frame at all */
    row_info *rows;
    int nrows;
    long *by_total;           /* stats indices sorted by total, BY_TOTAL_ROWS at most */
    int nby_total;
    thread_info *threads;
    size_t nthreads_shown, nthreads_sampled;
    int nprocesses_sampled;
    char ws[4096];            /* normalised workspace root, "" if unknown */
} summary;

static uint64_t key_hash(const char *fn, const char *file, int first, frame_type t) {
    uint64_t h = 0xcbf29ce484222325ULL;
    for (const char *s = fn ? fn : ""; *s; s++) h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
    h = (h ^ 0xfe) * 0x100000001b3ULL;
    for (const char *s = file ? file : ""; *s; s++) h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
    h = (h ^ (uint32_t)first) * 0x100000001b3ULL;
    return (h ^ (uint64_t)t) * 0x100000001b3ULL;
}

static bool str_eq(const char *a, const char *b) {
    return !strcmp(a ? a : "", b ? b : "");
}

/* Maps every frame to its function's row in stats. */
static int map_frames(summary *S) {
    size_t nf = prof_nframes(S->p);
    size_t ns = 16;
    while (ns < (size_t)S->nstats * 2 + 2) ns *= 2;
    uint32_t *slots = calloc(ns, sizeof *slots);
    S->func_of = malloc((nf ? nf : 1) * sizeof *S->func_of);
    S->frame_kind = malloc((nf ? nf : 1) * sizeof *S->frame_kind);
    if (!slots || !S->func_of || !S->frame_kind) {
        free(slots);
        return -1;
    }
    for (long i = 0; i < S->nstats; i++) {
        const prof_func_stat *f = &S->stats[i];
        size_t pos = key_hash(f->function, f->file, f->first_line, f->type) & (ns - 1);
        while (slots[pos]) pos = (pos + 1) & (ns - 1);
        slots[pos] = (uint32_t)i + 1;
    }
    for (size_t i = 0; i < nf; i++) {
        const prof_frame *f = prof_frame_at(S->p, i);
        S->frame_kind[i] = classify_frame(S->p, f);
        S->func_of[i] = UINT32_MAX;
        if (f->type == FRAME_PROCESS || f->type == FRAME_THREAD) continue;
        size_t pos = key_hash(f->function, f->file, f->first_line, f->type) & (ns - 1);
        for (; slots[pos]; pos = (pos + 1) & (ns - 1)) {
            const prof_func_stat *st = &S->stats[slots[pos] - 1];
            if (st->first_line == f->first_line && st->type == f->type &&
                str_eq(st->function, f->function) && str_eq(st->file, f->file)) {
                S->func_of[i] = slots[pos] - 1;
                break;
            }
        }
    }
    free(slots);
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
static code_kind func_kind(const summary *S, long idx) {
    const prof_func_stat *f = &S->stats[idx];
    code_kind k = classify_func(S->p, f->file, f->type);
    if (f->self && S->idle_self[idx] * 2 > f->self) k = CODE_IDLE;
    return k;
}

/* ---- paths ---- */

/* Collapses "//", "/./" and "dir/.." in an absolute path, in place. */
static void normalise(char *path) {
    char *out = path, *p = path;
    while (*p) {
        while (*p == '/') p++;
        if (!*p) break;
        char *seg = p;
        while (*p && *p != '/') p++;
        size_t n = (size_t)(p - seg);
        if (n == 1 && seg[0] == '.') continue;
        if (n == 2 && seg[0] == '.' && seg[1] == '.') {
            while (out > path && *--out != '/') {}
            continue;
        }
        *out++ = '/';
        memmove(out, seg, n);
        out += n;
    }
    if (out == path) *out++ = '/';
    *out = '\0';
}

/* If file (a Python frame's path) lies in the workspace, writes its path
 * relative to the workspace root into rel and returns true. Relative paths
 * are relative to the command's cwd. */
static bool workspace_rel(const summary *S, const char *file, char *rel, size_t len) {
    if (!S->ws[0] || !file || !*file || file[0] == '<') return false;
    char abs[4096];
    const char *cwd = S->m->cwd ? S->m->cwd : S->ws;
    if (file[0] == '/') snprintf(abs, sizeof abs, "%s", file);
    else if ((size_t)snprintf(abs, sizeof abs, "%s/%s", cwd, file) >= sizeof abs) return false;
    normalise(abs);
    size_t n = strlen(S->ws);
    if (!strcmp(S->ws, "/")) n = 0;
    if (strncmp(abs, S->ws, n) || abs[n] != '/') return false;
    snprintf(rel, len, "%s", abs + n + 1);
    return rel[0] != '\0';
}

/* What a reader needs to recognise a file: workspace-relative for your code,
 * from the package root for site-packages, from the stdlib root for the
 * standard library, the object's name for native code. */
static void display_path(const summary *S, const char *file, frame_type type, str *out) {
    char rel[4096];
    const char *shown = file ? file : "?";
    if (type == FRAME_NATIVE) {
        const char *slash = file ? strrchr(file, '/') : NULL;
        shown = slash ? slash + 1 : shown;
    } else if (workspace_rel(S, file, rel, sizeof rel)) {
        shown = rel;
    } else if (file) {
        const char *s = strstr(file, "site-packages/");
        if (!s) s = strstr(file, "dist-packages/");
        if (s) {
            shown = s + strlen("site-packages/");
        } else if ((s = strstr(file, "/lib/python")) != NULL) {
            const char *e = strchr(s + 1, '/');
            e = e ? strchr(e + 1, '/') : NULL;
            if (e && e[1]) shown = e + 1;
        }
    }
    clean(shown, NAME_MAX_CHARS, true, out);
}

static bool can_link(const summary *S) {
    const output_opts *o = S->o;
    return o->server_url && *o->server_url && o->repository && *o->repository && o->sha &&
           *o->sha;
}

/* The URL of file#Lline on the forge, if linkable. */
static bool file_url(const summary *S, const char *file, frame_type type, int line, str *out) {
    char rel[4096];
    if (!can_link(S) || type == FRAME_NATIVE || !workspace_rel(S, file, rel, sizeof rel))
        return false;
    const char *srv = S->o->server_url;
    size_t sl = strlen(srv);
    while (sl && srv[sl - 1] == '/') sl--;
    bool ok = s_putn(out, srv, sl) && s_puts(out, "/") && url_path(out, S->o->repository) &&
              s_puts(out, "/blob/") && url_path(out, S->o->sha) && s_puts(out, "/") &&
              url_path(out, rel);
    if (line > 0) ok = ok && s_printf(out, "#L%d", line);
    /* a URL that long is not worth its bytes in a size-limited summary */
    return ok && out->len <= 1000;
}

/* ---- per-row caller analysis ---- */

/* For the function of stats index fn: its busiest immediate call site, its
 * busiest nearest call site in your code, and how many distinct functions
 * it calls, over every stack it appears in. Counts go into site/user (per
 * frame, zeroed again before returning) and mark (per function). */
static void callers(summary *S, row_info *r, uint64_t *site, uint64_t *user, uint32_t *mark,
                    uint32_t stamp) {
    long fn = r->idx;
    size_t nf = prof_nframes(S->p);
    uint32_t ncallees = 0;
    uint64_t recursive = 0;
    long best_site = -1, best_user = -1;
    bool want_user = r->kind != CODE_YOURS;
    for (size_t s = 0; s < prof_nstacks(S->p); s++) {
        const prof_stack *st = prof_stack_at(S->p, s);
        long d = -1;
        for (uint32_t k = st->depth; k-- > 0;) {
            uint32_t fr = st->frames[k];
            if (fr < nf && S->func_of[fr] == (uint32_t)fn) {
                d = (long)k;
                break;
            }
        }
        if (d < 0 || st->count == 0) continue;
        for (long k = d - 1; k >= 0; k--) {
            uint32_t fr = st->frames[k];
            if (fr < nf && S->func_of[fr] == (uint32_t)fn) {
                recursive += st->count;
                break;
            }
        }
        /* callee: the next real frame below, if it's another function */
        for (uint32_t k = (uint32_t)d + 1; k < st->depth; k++) {
            uint32_t fr = st->frames[k];
            if (fr >= nf || S->func_of[fr] == UINT32_MAX) continue;
            uint32_t g = S->func_of[fr];
            if (g != (uint32_t)fn && mark[g] != stamp) {
                mark[g] = stamp;
                ncallees++;
            }
            break;
        }
        bool found_site = false;
        for (long k = d - 1; k >= 0; k--) {
            uint32_t fr = st->frames[k];
            if (fr >= nf || S->func_of[fr] == UINT32_MAX || S->func_of[fr] == (uint32_t)fn)
                continue;  /* roots, and recursion into itself */
            if (!found_site) {
                found_site = true;
                site[fr] += st->count;
                if (best_site < 0 || site[fr] > site[best_site] ||
                    (site[fr] == site[best_site] && fr < (uint32_t)best_site))
                    best_site = fr;
            }
            if (!want_user) break;
            if (S->frame_kind[fr] == CODE_YOURS) {
                user[fr] += st->count;
                if (best_user < 0 || user[fr] > user[best_user] ||
                    (user[fr] == user[best_user] && fr < (uint32_t)best_user))
                    best_user = fr;
                break;
            }
        }
    }
    /* the winners' counts, before the arrays are cleared for the next row */
    uint64_t site_n = best_site >= 0 ? site[best_site] : 0;
    uint64_t user_n = best_user >= 0 ? user[best_user] : 0;
    for (size_t s = 0; s < prof_nstacks(S->p); s++) {
        const prof_stack *st = prof_stack_at(S->p, s);
        for (uint32_t k = 0; k < st->depth; k++)
            if (st->frames[k] < nf) site[st->frames[k]] = user[st->frames[k]] = 0;
    }
    r->hin.ncallees = ncallees;
    r->hin.recursive = recursive;
    s_init(&r->caller_where, 600);
    s_init(&r->user_where, 600);
    if (best_site >= 0) {
        const prof_frame *f = prof_frame_at(S->p, (size_t)best_site);
        display_path(S, f->file, f->type, &r->caller_where);
        if (f->line > 0) s_printf(&r->caller_where, ":%d", f->line);
        r->hin.caller = (hint_site){f->function, s_str(&r->caller_where), site_n};
    }
    if (best_user >= 0) {
        const prof_frame *f = prof_frame_at(S->p, (size_t)best_user);
        display_path(S, f->file, f->type, &r->user_where);
        if (f->line > 0) s_printf(&r->user_where, ":%d", f->line);
        r->hin.user_caller = (hint_site){f->function, s_str(&r->user_where), user_n};
    }
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

static void summary_free(summary *S) {
    for (int i = 0; i < S->nrows; i++) {
        s_free(&S->rows[i].caller_where);
        s_free(&S->rows[i].user_where);
    }
    free(S->rows);
    free(S->stats);
    free(S->func_of);
    free(S->frame_kind);
    free(S->idle_self);
    free(S->by_total);
    free(S->threads);
}

static int analyse(summary *S, const profile *p, const output_opts *o) {
    memset(S, 0, sizeof *S);
    S->p = p;
    S->o = o;
    S->m = prof_meta_get(p);
    S->total = prof_total_samples(p);
    S->sps = prof_seconds_per_sample(p);
    const char *ws = S->m->workspace ? S->m->workspace : S->m->cwd;
    if (ws && ws[0] == '/' && strlen(ws) < sizeof S->ws) {
        snprintf(S->ws, sizeof S->ws, "%s", ws);
        normalise(S->ws);
    }
    S->nstats = prof_function_stats(p, &S->stats);
    if (S->nstats < 0) return -1;
    if (map_frames(S)) return -1;
    S->idle_self = calloc((size_t)S->nstats + 1, sizeof *S->idle_self);
    if (!S->idle_self) return -1;

    for (size_t s = 0; s < prof_nstacks(p); s++) {
        const prof_stack *st = prof_stack_at(p, s);
        long d = leaf_pos(S, st);
        if (st->idle) {
            S->kind_self[CODE_IDLE] += st->count;
            if (d >= 0) S->idle_self[S->func_of[st->frames[d]]] += st->count;
        } else if (d >= 0) {
            S->kind_self[S->frame_kind[st->frames[d]]] += st->count;
        } else {
            S->no_frames += st->count;
        }
    }

    /* bottleneck rows: by self time, only functions with self samples */
    int top_n = o->top_n > 0 ? o->top_n : 3;
    if (top_n > TOP_N_MAX) top_n = TOP_N_MAX;
    S->rows = calloc((size_t)top_n, sizeof *S->rows);
    if (!S->rows) return -1;
    for (long i = 0; i < S->nstats && S->nrows < top_n && S->stats[i].self > 0; i++) {
        row_info *r = &S->rows[S->nrows++];
        r->idx = i;
        r->idle_self = S->idle_self[i];
        r->kind = func_kind(S, i);
    }
    if (S->nrows) {
        size_t nf = prof_nframes(p);
        uint64_t *site = calloc(nf ? nf : 1, sizeof *site), *user = calloc(nf ? nf : 1, sizeof *user);
        uint32_t *mark = calloc((size_t)S->nstats + 1, sizeof *mark);
        if (!site || !user || !mark) {
            free(site);
            free(user);
            free(mark);
            return -1;
        }
        for (int i = 0; i < S->nrows; i++) {
            row_info *r = &S->rows[i];
            r->hin.stat = &S->stats[r->idx];
            r->hin.kind = r->kind;
            r->hin.profile_samples = S->total;
            r->hin.idle_self = r->idle_self;
            callers(S, r, site, user, mark, (uint32_t)i + 1);
            hint_for(&r->hin, r->hint, sizeof r->hint);
        }
        free(site);
        free(user);
        free(mark);
    }

    /* top by total time */
    long n = S->nstats;
    S->by_total = malloc(((size_t)n + 1) * sizeof *S->by_total);
    if (!S->by_total) return -1;
    for (long i = 0; i < n; i++) S->by_total[i] = i;
    qsort_r(S->by_total, (size_t)n, sizeof *S->by_total, by_total_cmp, S->stats);
    S->nby_total = n < BY_TOTAL_ROWS ? (int)n : BY_TOTAL_ROWS;
    return analyse_threads(S);
}

/* ---- shared pieces of text ---- */

static const char *title_name(const summary *S) {
    const prof_meta *m = S->m;
    if (m->script) return m->script;
    if (m->name) return m->name;
    if (m->argc > 0) return m->argv[0];
    return "profile";
}

/* The command line, arguments with spaces quoted, cut to a readable length. */
static void command_line(const summary *S, str *out) {
    str raw;
    s_init(&raw, 4000);
    for (int i = 0; i < S->m->argc; i++) {
        const char *a = S->m->argv[i];
        bool quote = !*a || strpbrk(a, " \t'\"") != NULL;
        if (i) s_puts(&raw, " ");
        if (quote) s_puts(&raw, "'");
        s_puts(&raw, a);
        if (quote) s_puts(&raw, "'");
    }
    clean(s_str(&raw), 200, false, out);
    s_free(&raw);
}

static void exit_text(int status, char *out, size_t len) {
    if (status < 0) snprintf(out, len, "exit status unknown");
    else if (status > 128 && status < 128 + 65)
        snprintf(out, len, "exit status %d (signal %d)", status, status - 128);
    else snprintf(out, len, "exit status %d", status);
}

/* "2026-11-24T19:30:00Z" -> "2026-11-24 19:30 UTC"; other forms as given. */
static void date_text(const char *iso, str *out) {
    int y, mo, d, h, mi;
    if (iso && sscanf(iso, "%4d-%2d-%2dT%2d:%2d", &y, &mo, &d, &h, &mi) == 5)
        s_printf(out, "%04d-%02d-%02d %02d:%02d UTC", y, mo, d, h, mi);
    else if (iso)
        clean(iso, 40, false, out);
}

static void rate_text(const summary *S, bool word, char *out, size_t len) {
    char n[32];
    fmt_count(S->total, n, sizeof n);
    const char *w = !word ? "" : S->total == 1 ? " sample" : " samples";
    if (S->m->rate_hz > 0) snprintf(out, len, "%s%s at %g Hz", n, w, S->m->rate_hz);
    else snprintf(out, len, "%s%s", n, w);
}

static int row_hot_pct(const prof_func_stat *f) {
    uint64_t base = f->self ? f->self : f->total;
    return base ? (int)(100.0 * (double)f->hot_line_samples / (double)base + 0.5) : 0;
}

static void kinds_items(const summary *S, bool md, str *out) {
    static const code_kind order[] = {CODE_YOURS, CODE_STDLIB, CODE_THIRD_PARTY, CODE_NATIVE,
                                      CODE_IDLE};
    bool first = true;
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        uint64_t v = S->kind_self[order[i]];
        if (!v) continue;
        s_printf(out, "%s%s %.1f%%", first ? "" : md ? " · " : ", ", code_kind_name(order[i]),
                 share(v, S->total));
        first = false;
    }
    if (S->no_frames)
        s_printf(out, "%sno Python frames %.1f%%", first ? "" : md ? " · " : ", ",
                 share(S->no_frames, S->total));
}

/* The notes, one plain sentence each; returned through a callback so each
 * format can escape and lay them out. */
typedef void (*note_fn)(void *ctx, const char *text);

static void notes(const summary *S, note_fn emit, void *ctx) {
    const prof_meta *m = S->m;
    const prof_counters *c = prof_counters_of((profile *)S->p);
    char buf[1200], a[32], b[32];
    if (m->note) {
        str t;
        s_init(&t, 600);
        clean(m->note, 400, false, &t);
        snprintf(buf, sizeof buf, "%s.", s_str(&t));
        s_free(&t);
        emit(ctx, buf);
    }
    if (S->total == 0) emit(ctx, "No samples were recorded, so there is nothing to rank.");
    if (c->dropped) {
        fmt_count(c->dropped, a, sizeof a);
        snprintf(buf, sizeof buf,
                 "%s thread stacks (%.1f%% of those read) were dropped as torn or inconsistent "
                 "and are not counted above.",
                 a, share(c->dropped, c->dropped + S->total));
        emit(ctx, buf);
    }
    if (!m->idle_included)
        emit(ctx, "Only running threads were sampled; time spent waiting (sleep, I/O, locks) "
                  "is not counted. Record with --idle to include it.");
    else if (S->kind_self[CODE_IDLE])
        emit(ctx, "Idle samples are included (--idle): rows of kind idle are threads waiting, "
                  "not computing.");
    if (m->interval_seconds > 0 && m->rate_hz > 0) {
        snprintf(buf, sizeof buf,
                 "One sample stands for %.2f ms (the measured interval between samples; "
                 "requested %g Hz).",
                 m->interval_seconds * 1000, m->rate_hz);
        emit(ctx, buf);
    }
    if (m->sampler_cpu_seconds > 0 && m->wall_seconds > 0) {
        snprintf(buf, sizeof buf, "csprof itself used %.2f s of CPU while sampling (%.1f%% of "
                 "the wall time).", m->sampler_cpu_seconds,
                 100 * m->sampler_cpu_seconds / m->wall_seconds);
        emit(ctx, buf);
    }
    if (S->nprocesses_sampled > 1) {
        snprintf(buf, sizeof buf, "Samples come from %d processes (subprocesses were followed).",
                 S->nprocesses_sampled);
        emit(ctx, buf);
    }
    if (m->native)
        emit(ctx, "Native (C) frames were recorded along with Python frames.");
    fmt_count((uint64_t)S->nstats, a, sizeof a);
    fmt_count(prof_nstacks(S->p), b, sizeof b);
    snprintf(buf, sizeof buf, "%s distinct functions in %s distinct stacks.", a, b);
    emit(ctx, buf);
    emit(ctx, "Self time counts samples where the function itself was running; total time, "
              "samples where it was anywhere on the stack. The 95% interval (Wilson score) "
              "covers sampling noise only.");
    snprintf(buf, sizeof buf, "Recorded by csprof %s%s%s.",
             m->csprof_version ? m->csprof_version : CSPROF_VERSION,
             m->csprof_commit ? " commit " : "", m->csprof_commit ? m->csprof_commit : "");
    emit(ctx, buf);
}

/* ---- Markdown ---- */

/* Writes hint text, turning the code markers into code spans. */
static bool md_hint(str *b, const char *h) {
    bool ok = true;
    while (ok && *h) {
        const char *on = strchr(h, HINT_CODE_ON);
        size_t n = on ? (size_t)(on - h) : strlen(h);
        char *plain = strndup(h, n);
        if (!plain) {
            b->oom = true;
            return false;
        }
        ok = md_text(b, plain, 2000, false);
        free(plain);
        if (!on) break;
        const char *off = strchr(on + 1, HINT_CODE_OFF);
        size_t m = off ? (size_t)(off - on - 1) : strlen(on + 1);
        char *code = strndup(on + 1, m);
        if (!code) {
            b->oom = true;
            return false;
        }
        ok = ok && md_code(b, code, NAME_MAX_CHARS);
        free(code);
        h = off ? off + 1 : on + 1 + m;
    }
    return ok;
}

/* "[text](url)" when linkable, else the escaped text. */
static void md_location(const summary *S, const char *file, frame_type type, int line, str *b) {
    str disp, url;
    s_init(&disp, 2000);
    s_init(&url, 2000);
    display_path(S, file, type, &disp);
    if (line > 0 && type != FRAME_NATIVE) s_printf(&disp, ":%d", line);
    if (file_url(S, file, type, line, &url)) {
        s_puts(b, "[");
        md_text_clean(b, s_str(&disp));
        s_printf(b, "](%s)", s_str(&url));
    } else {
        md_text_clean(b, s_str(&disp));
    }
    s_free(&disp);
    s_free(&url);
}

static void md_header(const summary *S, str *b) {
    char tmp[200];
    str t;
    s_init(&t, 4000);
    if (S->nrows)
        s_printf(b, "### csprof: top %d bottleneck%s in ", S->nrows, S->nrows == 1 ? "" : "s");
    else
        s_puts(b, "### csprof: no bottlenecks found in ");
    md_code(b, title_name(S), NAME_MAX_CHARS);
    s_puts(b, "\n\n");
    if (S->m->argc > 0) {
        command_line(S, &t);
        md_code(b, s_str(&t), 300);
        s_puts(b, " · ");
        t.len = 0;
    }
    exit_text(S->m->exit_status, tmp, sizeof tmp);
    s_puts(b, tmp);
    if (S->m->wall_seconds > 0) {
        fmt_secs(S->m->wall_seconds, tmp, sizeof tmp);
        s_printf(b, " · %s wall", tmp);
    }
    rate_text(S, true, tmp, sizeof tmp);
    s_printf(b, " · %s", tmp);
    if (S->m->python_version) {
        s_puts(b, " · Python ");
        md_text(b, S->m->python_version, 40, false);
    }
    if (S->m->start_time) {
        date_text(S->m->start_time, &t);
        s_puts(b, " · ");
        md_text_clean(b, s_str(&t));
        t.len = 0;
    }
    if (S->m->git_commit) {
        s_puts(b, " · commit ");
        char sha[13];
        snprintf(sha, sizeof sha, "%s", S->m->git_commit);
        if (can_link(S)) {
            const char *srv = S->o->server_url;
            size_t sl = strlen(srv);
            while (sl && srv[sl - 1] == '/') sl--;
            s_puts(b, "[");
            md_code(b, sha, 12);
            s_puts(b, "](");
            s_putn(b, srv, sl);
            s_puts(b, "/");
            url_path(b, S->o->repository);
            s_puts(b, "/commit/");
            url_path(b, S->m->git_commit);
            s_puts(b, ")");
        } else {
            md_code(b, sha, 12);
        }
    }
    s_puts(b, "\n\n");
    s_free(&t);
}

static void md_row(const summary *S, int rank, const row_info *r, str *b) {
    const prof_func_stat *f = &S->stats[r->idx];
    char secs[40], lohi[80];
    double lo, hi;
    wilson(f->self, S->total, &lo, &hi);
    fmt_secs((double)f->self * S->sps, secs, sizeof secs);
    snprintf(lohi, sizeof lohi, "%.1f–%.1f%%", lo, hi);
    s_printf(b, "| %d | ", rank);
    md_code_cell(b, f->function, NAME_MAX_CHARS);
    s_puts(b, " | ");
    md_location(S, f->file, f->type, f->first_line, b);
    s_printf(b, " | %s · %.1f%% (%s) | %.1f%% | %s | ", secs, share(f->self, S->total), lohi,
             share(f->total, S->total), code_kind_name(r->kind));
    if (f->hot_line > 0) {
        str url;
        s_init(&url, 2000);
        if (file_url(S, f->file, f->type, f->hot_line, &url))
            s_printf(b, "[%d](%s)", f->hot_line, s_str(&url));
        else
            s_printf(b, "%d", f->hot_line);
        s_printf(b, " (%d%%)", row_hot_pct(f));
        s_free(&url);
    } else {
        s_puts(b, "—");
    }
    s_puts(b, " |\n");
}

static void md_top(const summary *S, str *out) {
    str table, hints, row, item;
    s_init(&table, BUDGET_TOP);
    s_init(&hints, BUDGET_TOP);
    s_init(&row, BUDGET_TOP);
    s_init(&item, BUDGET_TOP);
    s_puts(&table, "| # | Function | Location | Self time (95% interval) | Total | Kind | "
                   "Hottest line |\n|--:|---|---|--:|--:|---|---|\n");
    s_puts(&hints, "**What to try**\n\n");
    int shown = 0;
    for (int i = 0; i < S->nrows; i++) {
        const row_info *r = &S->rows[i];
        md_row(S, i + 1, r, &row);
        s_printf(&item, "%d. ", i + 1);
        md_code(&item, S->stats[r->idx].function, NAME_MAX_CHARS);
        s_puts(&item, " — ");
        md_hint(&item, r->hint);
        s_puts(&item, "\n");
        /* 200 bytes kept for the "more rows" line */
        if (table.len + row.len + hints.len + item.len + 200 > BUDGET_TOP) break;
        s_take(&table, &row);
        s_take(&hints, &item);
        shown++;
    }
    if (shown < S->nrows)
        s_printf(&table, "\n*%d more row%s left out to keep this summary small.*\n",
                 S->nrows - shown, S->nrows - shown == 1 ? "" : "s");
    s_puts(&table, "\n");
    s_take(out, &table);
    s_take(out, &hints);
    s_puts(out, "\n");
    s_free(&table);
    s_free(&hints);
    s_free(&row);
    s_free(&item);
}

static void md_by_total(const summary *S, str *out) {
    str sec, row;
    s_init(&sec, BUDGET_BY_TOTAL);
    s_init(&row, BUDGET_BY_TOTAL);
    s_printf(&sec, "<details>\n<summary>Top %d functions by total time</summary>\n\n",
             S->nby_total);
    s_puts(&sec, "| # | Function | Location | Total | Self | Samples (self / total) | Kind |\n"
                 "|--:|---|---|--:|--:|--:|---|\n");
    int shown = 0;
    for (int i = 0; i < S->nby_total; i++) {
        const prof_func_stat *f = &S->stats[S->by_total[i]];
        char secs[40], a[32], b[32];
        fmt_secs((double)f->total * S->sps, secs, sizeof secs);
        fmt_count(f->self, a, sizeof a);
        fmt_count(f->total, b, sizeof b);
        s_printf(&row, "| %d | ", i + 1);
        md_code_cell(&row, f->function, NAME_MAX_CHARS);
        s_puts(&row, " | ");
        md_location(S, f->file, f->type, f->first_line, &row);
        s_printf(&row, " | %s · %.1f%% | %.1f%% | %s / %s | %s |\n", secs,
                 share(f->total, S->total), share(f->self, S->total), a, b,
                 code_kind_name(func_kind(S, S->by_total[i])));
        if (sec.len + row.len + 200 > BUDGET_BY_TOTAL) break;
        s_take(&sec, &row);
        shown++;
    }
    if (shown < S->nby_total)
        s_printf(&sec, "\n*%d more rows left out to keep this summary small.*\n",
                 S->nby_total - shown);
    s_puts(&sec, "\n</details>\n\n");
    s_take(out, &sec);
    s_free(&sec);
    s_free(&row);
}

static void thread_label(const summary *S, size_t idx, str *out) {
    const prof_thread *t = prof_thread_at(S->p, idx);
    if (!t) {
        s_puts(out, "unknown thread");
        return;
    }
    if (S->nprocesses_sampled > 1) s_printf(out, "pid %d, ", t->pid);
    s_printf(out, "%d", t->tid);
    if (t->name) {
        s_puts(out, " (");
        clean(t->name, 60, false, out);
        s_puts(out, ")");
    }
}

static void md_threads(const summary *S, str *out) {
    if (S->nthreads_sampled == 0) return;
    str sec, row, label;
    s_init(&sec, BUDGET_THREADS);
    s_init(&row, BUDGET_THREADS);
    s_init(&label, 1000);
    s_printf(&sec, "<details>\n<summary>Threads (%zu)</summary>\n\n", S->nthreads_sampled);
    s_puts(&sec, "| Thread | Samples | Share | Idle | Busiest function (self samples) |\n"
                 "|---|--:|--:|--:|---|\n");
    size_t shown = 0;
    for (size_t i = 0; i < S->nthreads_shown; i++) {
        const thread_info *t = &S->threads[i];
        char n[32];
        fmt_count(t->samples, n, sizeof n);
        label.len = 0;
        thread_label(S, t->idx, &label);
        s_puts(&row, "| ");
        md_text_clean(&row, s_str(&label));
        s_printf(&row, " | %s | %.1f%% | %.1f%% | ", n, share(t->samples, S->total),
                 share(t->idle, t->samples));
        if (t->busiest >= 0) {
            fmt_count(t->busiest_samples, n, sizeof n);
            md_code_cell(&row, S->stats[t->busiest].function, 60);
            s_printf(&row, " (%s)", n);
        } else {
            s_puts(&row, "—");
        }
        s_puts(&row, " |\n");
        if (sec.len + row.len + 200 > BUDGET_THREADS) break;
        s_take(&sec, &row);
        shown++;
    }
    if (shown < S->nthreads_sampled)
        s_printf(&sec, "\n*%zu more threads not shown.*\n", S->nthreads_sampled - shown);
    s_puts(&sec, "\n</details>\n\n");
    s_take(out, &sec);
    s_free(&sec);
    s_free(&row);
    s_free(&label);
}

typedef struct {
    str *sec;
    size_t left_out;
} md_note_ctx;

static void md_note(void *ctx, const char *text) {
    md_note_ctx *c = ctx;
    str item;
    s_init(&item, BUDGET_NOTES);
    s_puts(&item, "- ");
    md_text(&item, text, 1000, false);
    s_puts(&item, "\n");
    if (c->sec->len + item.len + 100 > BUDGET_NOTES) c->left_out++;
    else s_take(c->sec, &item);
    s_free(&item);
}

static void md_notes(const summary *S, str *out) {
    str sec;
    s_init(&sec, BUDGET_NOTES);
    s_puts(&sec, "<details>\n<summary>Notes</summary>\n\n");
    md_note_ctx c = {&sec, 0};
    notes(S, md_note, &c);
    if (c.left_out) s_printf(&sec, "- %zu more notes left out.\n", c.left_out);
    s_puts(&sec, "\n</details>\n");
    s_take(out, &sec);
    s_free(&sec);
}

int write_markdown(const profile *p, FILE *out, const output_opts *o) {
    summary S;
    str doc, part;
    s_init(&doc, MD_LIMIT - 1);
    int rc = -1;
    if (analyse(&S, p, o)) {
        fprintf(stderr, "csprof: out of memory writing the Markdown summary\n");
        summary_free(&S);
        return -1;
    }
    s_init(&part, BUDGET_HEADER);
    md_header(&S, &part);
    s_take(&doc, &part);
    s_free(&part);
    if (S.nrows) {
        md_top(&S, &doc);
        s_init(&part, BUDGET_KINDS);
        s_puts(&part, "Self time by kind of code: ");
        kinds_items(&S, true, &part);
        s_puts(&part, "\n\n");
        s_take(&doc, &part);
        s_free(&part);
        md_by_total(&S, &doc);
        md_threads(&S, &doc);
    } else if (S.total) {
        s_puts(&doc, "No function had samples of its own.\n\n");
    }
    md_notes(&S, &doc);
    if (doc.oom) {
        fprintf(stderr, "csprof: out of memory writing the Markdown summary\n");
    } else if (fwrite(s_str(&doc), 1, doc.len, out) != doc.len || fflush(out) != 0) {
        perror("csprof: cannot write the Markdown summary");
    } else {
        rc = 0;
    }
    s_free(&doc);
    summary_free(&S);
    return rc;
}

/* ---- plain text ---- */

/* A table of cleaned cells, printed with aligned columns. */
typedef struct {
    int ncols;
    const char *align;  /* per column: 'l' or 'r' */
    str *cells;         /* row-major */
    int nrows, caprows;
} ttable;

static int tt_init(ttable *t, int ncols, const char *align) {
    *t = (ttable){.ncols = ncols, .align = align};
    return 0;
}

/* Adds a row of ncols cells, each a printf-less plain string (cleaned here). */
static void tt_row(ttable *t, const char *const *cells, const size_t *max) {
    if (t->nrows == t->caprows) {
        int nc = t->caprows ? t->caprows * 2 : 16;
        str *n = realloc(t->cells, (size_t)nc * (size_t)t->ncols * sizeof *n);
        if (!n) return;
        t->cells = n;
        t->caprows = nc;
    }
    for (int c = 0; c < t->ncols; c++) {
        str *cell = &t->cells[t->nrows * t->ncols + c];
        s_init(cell, (size_t)-1);
        clean(cells[c], max ? max[c] : 200, false, cell);
    }
    t->nrows++;
}

static void tt_print(const ttable *t, FILE *out, const char *indent) {
    size_t w[16] = {0};
    for (int r = 0; r < t->nrows; r++)
        for (int c = 0; c < t->ncols && c < 16; c++) {
            size_t cw = width_of(s_str(&t->cells[r * t->ncols + c]));
            if (cw > w[c]) w[c] = cw;
        }
    for (int r = 0; r < t->nrows; r++) {
        fputs(indent, out);
        for (int c = 0; c < t->ncols; c++) {
            const char *s = s_str(&t->cells[r * t->ncols + c]);
            size_t pad = w[c] - width_of(s);
            bool last = c == t->ncols - 1;
            if (t->align[c] == 'r') fprintf(out, "%*s%s", (int)pad, "", s);
            else fprintf(out, "%s%*s", s, last ? 0 : (int)pad, "");
            if (!last) fputs("  ", out);
        }
        putc('\n', out);
    }
}

static void tt_free(ttable *t) {
    for (int i = 0; i < t->nrows * t->ncols; i++) s_free(&t->cells[i]);
    free(t->cells);
}

/* Word-wraps text at TEXT_WIDTH: first line after `first`, the rest after
 * `rest` (hanging indent). */
static void wrap(FILE *out, const char *first, const char *rest, const char *text) {
    size_t col = width_of(first);
    fputs(first, out);
    const char *p = text;
    bool line_start = true;
    while (*p) {
        while (*p == ' ') p++;
        if (!*p) break;
        const char *e = p;
        while (*e && *e != ' ') e++;
        char word[2048];
        size_t n = (size_t)(e - p) < sizeof word - 1 ? (size_t)(e - p) : sizeof word - 1;
        memcpy(word, p, n);
        word[n] = '\0';
        size_t ww = width_of(word);
        if (!line_start && col + 1 + ww > TEXT_WIDTH) {
            fprintf(out, "\n%s", rest);
            col = width_of(rest);
            line_start = true;
        }
        if (!line_start) {
            putc(' ', out);
            col++;
        }
        fputs(word, out);
        col += ww;
        line_start = false;
        p = e;
    }
    putc('\n', out);
}

/* Hint text for a terminal: code markers become backticks, the rest cleaned. */
static void text_hint(const char *h, str *out) {
    str raw;
    s_init(&raw, (size_t)-1);
    for (; *h; h++) {
        if (*h == HINT_CODE_ON || *h == HINT_CODE_OFF) s_putn(&raw, "`", 1);
        else s_putn(&raw, h, 1);
    }
    clean(s_str(&raw), 4000, false, out);
    s_free(&raw);
}

static void text_note(void *ctx, const char *text) {
    FILE *out = ctx;
    str t;
    s_init(&t, (size_t)-1);
    clean(text, 2000, false, &t);
    wrap(out, "  - ", "    ", s_str(&t));
    s_free(&t);
}

static void text_header(const summary *S, FILE *out) {
    str t;
    s_init(&t, (size_t)-1);
    clean(title_name(S), NAME_MAX_CHARS, false, &t);
    if (S->nrows)
        fprintf(out, "csprof: top %d bottleneck%s in %s\n\n", S->nrows, S->nrows == 1 ? "" : "s",
                s_str(&t));
    else
        fprintf(out, "csprof: no bottlenecks found in %s\n\n", s_str(&t));
    ttable kv;
    tt_init(&kv, 2, "ll");
    char buf[200];
    if (S->m->argc > 0) {
        t.len = 0;
        command_line(S, &t);
        tt_row(&kv, (const char *[]){"command", s_str(&t)}, (size_t[]){20, 300});
    }
    exit_text(S->m->exit_status, buf, sizeof buf);
    tt_row(&kv, (const char *[]){"exit status", buf + strlen("exit status ")}, NULL);
    if (S->m->wall_seconds > 0) {
        fmt_secs(S->m->wall_seconds, buf, sizeof buf);
        tt_row(&kv, (const char *[]){"wall time", buf}, NULL);
    }
    rate_text(S, false, buf, sizeof buf);
    tt_row(&kv, (const char *[]){"samples", buf}, NULL);
    if (S->m->python_version) tt_row(&kv, (const char *[]){"python", S->m->python_version}, NULL);
    if (S->m->start_time) {
        t.len = 0;
        date_text(S->m->start_time, &t);
        tt_row(&kv, (const char *[]){"started", s_str(&t)}, NULL);
    }
    if (S->m->git_commit) {
        snprintf(buf, sizeof buf, "%.12s", S->m->git_commit);
        tt_row(&kv, (const char *[]){"commit", buf}, NULL);
    }
    tt_print(&kv, out, "  ");
    tt_free(&kv);
    putc('\n', out);
    s_free(&t);
}

static void text_top(const summary *S, FILE *out) {
    ttable t;
    tt_init(&t, 9, "rllrrlrll");
    tt_row(&t, (const char *[]){"#", "function", "location", "self", "share", "95% interval",
                                "total", "kind", "hottest line"},
           NULL);
    const size_t max[9] = {4, 60, 60, 20, 10, 20, 10, 20, 20};
    for (int i = 0; i < S->nrows; i++) {
        const row_info *r = &S->rows[i];
        const prof_func_stat *f = &S->stats[r->idx];
        char rank[16], pc[20], ci[40], secs[40], tot[20], hot[40];
        double lo, hi;
        str loc;
        s_init(&loc, (size_t)-1);
        display_path(S, f->file, f->type, &loc);
        if (f->first_line > 0 && f->type != FRAME_NATIVE) s_printf(&loc, ":%d", f->first_line);
        wilson(f->self, S->total, &lo, &hi);
        fmt_secs((double)f->self * S->sps, secs, sizeof secs);
        snprintf(rank, sizeof rank, "%d", i + 1);
        snprintf(pc, sizeof pc, "%.1f%%", share(f->self, S->total));
        snprintf(ci, sizeof ci, "%.1f-%.1f%%", lo, hi);
        snprintf(tot, sizeof tot, "%.1f%%", share(f->total, S->total));
        if (f->hot_line > 0) snprintf(hot, sizeof hot, "%d (%d%%)", f->hot_line, row_hot_pct(f));
        else snprintf(hot, sizeof hot, "-");
        tt_row(&t, (const char *[]){rank, f->function ? f->function : "?", s_str(&loc), secs, pc, ci,
                                    tot, code_kind_name(r->kind), hot},
               max);
        s_free(&loc);
    }
    tt_print(&t, out, "  ");
    tt_free(&t);
    fputs("\nwhat to try\n", out);
    for (int i = 0; i < S->nrows; i++) {
        const row_info *r = &S->rows[i];
        str name, h, line;
        s_init(&name, (size_t)-1);
        s_init(&h, (size_t)-1);
        s_init(&line, (size_t)-1);
        clean(S->stats[r->idx].function, 60, false, &name);
        text_hint(r->hint, &h);
        s_printf(&line, "%s: %s", s_str(&name), s_str(&h));
        char first[16];
        snprintf(first, sizeof first, "  %d. ", i + 1);
        wrap(out, first, "     ", s_str(&line));
        s_free(&name);
        s_free(&h);
        s_free(&line);
    }
    str k;
    s_init(&k, (size_t)-1);
    kinds_items(S, false, &k);
    fprintf(out, "\nself time by kind of code: %s\n", s_str(&k));
    s_free(&k);
}

static void text_by_total(const summary *S, FILE *out) {
    fprintf(out, "\ntop %d functions by total time\n", S->nby_total);
    ttable t;
    tt_init(&t, 8, "rllrrrrl");
    tt_row(&t, (const char *[]){"#", "function", "location", "total", "share", "self share",
                                "samples (self / total)", "kind"},
           NULL);
    const size_t max[8] = {4, 60, 60, 20, 10, 10, 40, 20};
    for (int i = 0; i < S->nby_total; i++) {
        const prof_func_stat *f = &S->stats[S->by_total[i]];
        char rank[16], secs[40], tot[20], self[20], a[32], b[32], samples[80];
        str loc;
        s_init(&loc, (size_t)-1);
        display_path(S, f->file, f->type, &loc);
        if (f->first_line > 0 && f->type != FRAME_NATIVE) s_printf(&loc, ":%d", f->first_line);
        fmt_secs((double)f->total * S->sps, secs, sizeof secs);
        snprintf(rank, sizeof rank, "%d", i + 1);
        snprintf(tot, sizeof tot, "%.1f%%", share(f->total, S->total));
        snprintf(self, sizeof self, "%.1f%%", share(f->self, S->total));
        fmt_count(f->self, a, sizeof a);
        fmt_count(f->total, b, sizeof b);
        snprintf(samples, sizeof samples, "%s / %s", a, b);
        tt_row(&t, (const char *[]){rank, f->function ? f->function : "?", s_str(&loc), secs, tot,
                                    self, samples,
                                    code_kind_name(func_kind(S, S->by_total[i]))},
               max);
        s_free(&loc);
    }
    tt_print(&t, out, "  ");
    tt_free(&t);
}

static void text_threads(const summary *S, FILE *out) {
    if (!S->nthreads_sampled) return;
    fprintf(out, "\nthreads (%zu)\n", S->nthreads_sampled);
    ttable t;
    tt_init(&t, 5, "lrrrl");
    tt_row(&t, (const char *[]){"thread", "samples", "share", "idle", "busiest function (self samples)"},
           NULL);
    for (size_t i = 0; i < S->nthreads_shown; i++) {
        const thread_info *ti = &S->threads[i];
        char n[32], sh[20], idle[20];
        str label, busy;
        s_init(&label, (size_t)-1);
        s_init(&busy, (size_t)-1);
        thread_label(S, ti->idx, &label);
        fmt_count(ti->samples, n, sizeof n);
        snprintf(sh, sizeof sh, "%.1f%%", share(ti->samples, S->total));
        snprintf(idle, sizeof idle, "%.1f%%", share(ti->idle, ti->samples));
        if (ti->busiest >= 0) {
            char c[32];
            fmt_count(ti->busiest_samples, c, sizeof c);
            clean(S->stats[ti->busiest].function, 60, false, &busy);
            s_printf(&busy, " (%s)", c);
        } else {
            s_puts(&busy, "-");
        }
        tt_row(&t, (const char *[]){s_str(&label), n, sh, idle, s_str(&busy)}, NULL);
        s_free(&label);
        s_free(&busy);
    }
    tt_print(&t, out, "  ");
    tt_free(&t);
    if (S->nthreads_shown < S->nthreads_sampled)
        fprintf(out, "  ... %zu more threads not shown\n", S->nthreads_sampled - S->nthreads_shown);
}

int write_text(const profile *p, FILE *out, const output_opts *o) {
    summary S;
    if (analyse(&S, p, o)) {
        fprintf(stderr, "csprof: out of memory writing the text summary\n");
        summary_free(&S);
        return -1;
    }
    text_header(&S, out);  /* ends with a blank line */
    if (S.nrows) {
        text_top(&S, out);
        text_by_total(&S, out);
        text_threads(&S, out);
        putc('\n', out);
    } else if (S.total) {
        fputs("No function had samples of its own.\n\n", out);
    }
    fputs("notes\n", out);
    notes(&S, text_note, out);
    summary_free(&S);
    if (fflush(out) != 0 || ferror(out)) {
        perror("csprof: cannot write the text summary");
        return -1;
    }
    return 0;
}
