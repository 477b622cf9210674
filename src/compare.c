/* compare.c -- share-change statistics between two profiles (see compare.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "compare.h"

/* z for a two-sided 95% interval. */
#define Z95 1.959963984540054

double cmp_p_two_sided(double z) {
    if (isnan(z)) return 1.0;
    return erfc(fabs(z) / sqrt(2.0));
}

int cmp_two_prop(uint64_t x1, uint64_t n1, uint64_t x2, uint64_t n2, cmp_ztest *out) {
    if (!n1 || !n2 || x1 > n1 || x2 > n2) return -1;
    double p1 = (double)x1 / (double)n1, p2 = (double)x2 / (double)n2;
    double pooled = (double)(x1 + x2) / ((double)n1 + (double)n2);
    double se0 = sqrt(pooled * (1.0 - pooled) * (1.0 / (double)n1 + 1.0 / (double)n2));
    double se1 = sqrt(p1 * (1.0 - p1) / (double)n1 + p2 * (1.0 - p2) / (double)n2);
    out->p1 = p1;
    out->p2 = p2;
    out->diff = p2 - p1;
    /* se0 is 0 only when both proportions are 0 or both are 1: no change. */
    out->z = se0 > 0 ? out->diff / se0 : 0.0;
    out->p = se0 > 0 ? cmp_p_two_sided(out->z) : 1.0;
    out->lo = out->diff - Z95 * se1;
    out->hi = out->diff + Z95 * se1;
    return 0;
}

typedef struct {
    double p;
    size_t i;
} ranked;

static int ranked_cmp(const void *a, const void *b) {
    const ranked *x = a, *y = b;
    if (x->p < y->p) return -1;
    if (x->p > y->p) return 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

int cmp_adjust(const double *p, size_t n, cmp_correction method, double *adj) {
    if (!n) return 0;
    ranked *r = malloc(n * sizeof *r);
    if (!r) return -1;
    for (size_t i = 0; i < n; i++) r[i] = (ranked){isnan(p[i]) ? 1.0 : p[i], i};
    qsort(r, n, sizeof *r, ranked_cmp);
    if (method == CMP_HOLM) {
        /* Step-down: the k-th smallest (0-based) is multiplied by n-k; the
         * running maximum keeps the adjusted values monotone. */
        double run = 0.0;
        for (size_t k = 0; k < n; k++) {
            double v = r[k].p * (double)(n - k);
            if (v > 1.0) v = 1.0;
            if (v > run) run = v;
            adj[r[k].i] = run;
        }
    } else {
        /* Step-up: the k-th smallest (1-based) is multiplied by n/k; the
         * running minimum from the largest down keeps them monotone. */
        double run = 1.0;
        for (size_t k = n; k-- > 0;) {
            double v = r[k].p * (double)n / (double)(k + 1);
            if (v < run) run = v;
            adj[r[k].i] = run;
        }
    }
    free(r);
    return 0;
}

/* Quasi-binomial: the variance is dispersion x binomial, so z shrinks and
 * the interval widens by its square root. */
static void inflate(cmp_ztest *t, double dispersion) {
    if (!(dispersion > 1.0)) return;
    double k = sqrt(dispersion);
    t->z /= k;
    if (t->p < 1.0) t->p = cmp_p_two_sided(t->z);
    t->lo = t->diff - (t->diff - t->lo) * k;
    t->hi = t->diff + (t->hi - t->diff) * k;
}

void cmp_opts_init(cmp_opts *o) {
    o->threshold_pct = 10.0;
    o->alpha = 0.01;
    o->min_share_pp = 1.0;
    o->min_samples = 5;
    o->dispersion = 2.0;
    o->correction = CMP_BH;
}

static int is_py_version_dir(const char *s) {
    /* "python3.12/" */
    if (strncmp(s, "python", 6)) return 0;
    s += 6;
    if (*s < '0' || *s > '9') return 0;
    while (*s >= '0' && *s <= '9') s++;
    if (*s++ != '.') return 0;
    if (*s < '0' || *s > '9') return 0;
    while (*s >= '0' && *s <= '9') s++;
    while (*s == 't' || *s == 'd') s++;  /* free-threaded / debug builds */
    return *s == '/';
}

char *cmp_key_file(const char *file, const char *workspace) {
    if (!file) return strdup("");
    if (workspace && *workspace) {
        size_t wl = strlen(workspace);
        while (wl > 1 && workspace[wl - 1] == '/') wl--;
        if (!strncmp(file, workspace, wl) && file[wl] == '/') return strdup(file + wl + 1);
    }
    const char *best = NULL;
    for (const char *s = file; (s = strstr(s, "-packages/")); s++) {
        if ((s - file >= 5 && !strncmp(s - 5, "/site-packages/", 15)) ||
            (s - file >= 5 && !strncmp(s - 5, "/dist-packages/", 15)))
            best = s + 10;
    }
    if (best) {
        size_t l = strlen(best);
        char *k = malloc(l + 15);
        if (k) {
            memcpy(k, "site-packages/", 14);
            memcpy(k + 14, best, l + 1);
        }
        return k;
    }
    for (const char *s = file; (s = strstr(s, "/lib/python")); s++) {
        if (is_py_version_dir(s + 5)) {
            const char *rest = strchr(s + 5, '/') + 1;
            size_t l = strlen(rest);
            char *k = malloc(l + 8);
            if (k) {
                memcpy(k, "stdlib/", 7);
                memcpy(k + 7, rest, l + 1);
            }
            return k;
        }
    }
    return strdup(file);
}

char *cmp_key_function(const char *name) {
    if (!name) return strdup("");
    static const char *const inner[] = {"<genexpr>", "<listcomp>", "<dictcomp>", "<setcomp>",
                                        "<lambda>"};
    size_t len = strlen(name);
    /* Peel "X.<locals>.<genexpr>" (repeatedly: a genexpr in a lambda) down
     * to X; a bare "<genexpr>" (no qualified names before 3.11) stays. */
    for (;;) {
        bool peeled = false;
        for (size_t i = 0; i < sizeof inner / sizeof inner[0]; i++) {
            size_t il = strlen(inner[i]), ll = strlen(".<locals>.");
            if (len > il + ll && !strncmp(name + len - il, inner[i], il) &&
                !strncmp(name + len - il - ll, ".<locals>.", ll)) {
                len -= il + ll;
                peeled = true;
                break;
            }
        }
        if (!peeled) break;
    }
    return strndup(name, len);
}

/* ---- matching functions across the two profiles ---- */

typedef struct {
    char *function;          /* the key name (owned): comprehensions merged into their function */
    char *key_file;
    frame_type type;
    uint64_t hash;
    uint64_t self[2], total[2];
    /* hot line per side: the frame with most self samples (total breaks ties) */
    int hot_line[2], first_line[2];
    uint64_t hot_self[2], hot_total[2];
    const char *file[2];
    bool present[2], own[2];
} key_entry;

typedef struct {
    key_entry *e;
    size_t n, cap;
    uint32_t *slots;   /* index+1, 0 = empty */
    size_t nslots;
} key_table;

static uint64_t fnv(uint64_t h, const char *s) {
    for (; s && *s; s++) h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
    return (h ^ 0xff) * 0x100000001b3ULL;
}

static int same(const char *a, const char *b) {
    return (!a && !b) || (a && b && !strcmp(a, b));
}

static int table_rehash(key_table *t, size_t nslots) {
    uint32_t *s = calloc(nslots, sizeof *s);
    if (!s) return -1;
    for (size_t i = 0; i < t->n; i++) {
        size_t pos = t->e[i].hash & (nslots - 1);
        while (s[pos]) pos = (pos + 1) & (nslots - 1);
        s[pos] = (uint32_t)i + 1;
    }
    free(t->slots);
    t->slots = s;
    t->nslots = nslots;
    return 0;
}

/* Index of the entry for (function, key_file, type); takes ownership of
 * function and key_file (freed when the entry already exists). -1 on OOM. */
static long table_get(key_table *t, char *function, char *key_file, frame_type type) {
    uint64_t h = fnv(fnv(0xcbf29ce484222325ULL, function), key_file) ^ (uint64_t)type;
    if (t->nslots) {
        for (size_t pos = h & (t->nslots - 1); t->slots[pos]; pos = (pos + 1) & (t->nslots - 1)) {
            key_entry *e = &t->e[t->slots[pos] - 1];
            if (e->hash == h && e->type == type && same(e->function, function) &&
                !strcmp(e->key_file, key_file)) {
                free(key_file);
                free(function);
                return (long)(t->slots[pos] - 1);
            }
        }
    }
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 64;
        key_entry *e = realloc(t->e, cap * sizeof *e);
        if (!e) {
            free(key_file);
            free(function);
            return -1;
        }
        t->e = e;
        t->cap = cap;
    }
    key_entry *e = &t->e[t->n];
    memset(e, 0, sizeof *e);
    e->function = function;
    e->key_file = key_file;
    e->type = type;
    e->hash = h;
    t->n++;
    if (t->n * 2 > t->nslots) {
        if (table_rehash(t, t->nslots ? t->nslots * 2 : 128)) {
            t->n--;
            free(key_file);
            free(function);
            return -1;
        }
    } else {
        size_t pos = h & (t->nslots - 1);
        while (t->slots[pos]) pos = (pos + 1) & (t->nslots - 1);
        t->slots[pos] = (uint32_t)t->n;
    }
    return (long)t->n - 1;
}

static void table_free(key_table *t) {
    for (size_t i = 0; i < t->n; i++) {
        free(t->e[i].key_file);
        free(t->e[i].function);
    }
    free(t->e);
    free(t->slots);
}

static bool synthetic(const prof_frame *f) {
    return f->type == FRAME_PROCESS || f->type == FRAME_THREAD;
}

/* Adds one profile's counts (side 0 = base, 1 = new) to the table.
 * Returns the number of samples with at least one real frame, or -1 on OOM. */
static long long add_side(key_table *t, const profile *p, int side) {
    size_t nf = prof_nframes(p);
    const prof_meta *m = prof_meta_get(p);
    const char *ws = m ? m->workspace : NULL;
    long *key_of = malloc((nf ? nf : 1) * sizeof *key_of);
    uint64_t *fself = calloc(nf ? nf : 1, sizeof *fself);
    uint64_t *ftotal = calloc(nf ? nf : 1, sizeof *ftotal);
    size_t *seen = NULL;
    long long nsamples = -1;
    if (!key_of || !fself || !ftotal) goto out;
    for (size_t i = 0; i < nf; i++) {
        const prof_frame *f = prof_frame_at(p, i);
        key_of[i] = -1;
        if (synthetic(f)) continue;
        char *kf = cmp_key_file(f->file, ws);
        char *kn = f->type == FRAME_PYTHON ? cmp_key_function(f->function) : strdup(f->function ? f->function : "");
        if (!kf || !kn) {
            free(kf);
            free(kn);
            goto out;
        }
        key_of[i] = table_get(t, kn, kf, f->type);
        if (key_of[i] < 0) goto out;
    }
    seen = calloc(t->n ? t->n : 1, sizeof *seen);
    if (!seen) goto out;
    uint64_t n = 0;
    size_t ns = prof_nstacks(p);
    for (size_t s = 0; s < ns; s++) {
        const prof_stack *st = prof_stack_at(p, s);
        long leaf = -1;
        for (uint32_t d = 0; d < st->depth; d++) {
            uint32_t fr = st->frames[d];
            if (fr >= nf || key_of[fr] < 0) continue;
            leaf = fr;
            key_entry *e = &t->e[key_of[fr]];
            /* Recursion counts once per stack for total. */
            if (seen[key_of[fr]] != s + 1) {
                seen[key_of[fr]] = s + 1;
                e->total[side] += st->count;
                ftotal[fr] += st->count;
            }
        }
        if (leaf < 0) continue;
        t->e[key_of[leaf]].self[side] += st->count;
        fself[leaf] += st->count;
        n += st->count;
    }
    for (size_t i = 0; i < nf; i++) {
        if (key_of[i] < 0) continue;
        const prof_frame *f = prof_frame_at(p, i);
        key_entry *e = &t->e[key_of[i]];
        bool own = f->function && !strcmp(f->function, e->function);
        if (!e->present[side] || (own && !e->own[side])) {
            e->own[side] = own;
            e->file[side] = f->file;
            e->first_line[side] = f->first_line;
        }
        if (!e->present[side]) {
            e->present[side] = true;
            e->hot_line[side] = f->line;
            e->hot_self[side] = fself[i];
            e->hot_total[side] = ftotal[i];
        } else if (fself[i] > e->hot_self[side] ||
                   (fself[i] == e->hot_self[side] && ftotal[i] > e->hot_total[side])) {
            e->hot_line[side] = f->line;
            e->hot_self[side] = fself[i];
            e->hot_total[side] = ftotal[i];
        }
    }
    nsamples = (long long)n;
out:
    free(key_of);
    free(fself);
    free(ftotal);
    free(seen);
    return nsamples;
}

double cmp_effect_pp(const cmp_func *f) {
    return f->tested ? fabs(f->self.diff) * 100.0 : 0.0;
}

static int rank_of(const cmp_func *f) {
    return f->dir == CMP_SLOWER ? 0 : f->dir == CMP_FASTER ? 1 : 2;
}

static int func_cmp(const void *a, const void *b) {
    const cmp_func *x = a, *y = b;
    int rx = rank_of(x), ry = rank_of(y);
    if (rx != ry) return rx - ry;
    if (rx < 2) {
        double ex = cmp_effect_pp(x), ey = cmp_effect_pp(y);
        if (ex != ey) return ex > ey ? -1 : 1;
    }
    uint64_t sx = x->new_self > x->base_self ? x->new_self : x->base_self;
    uint64_t sy = y->new_self > y->base_self ? y->new_self : y->base_self;
    if (sx != sy) return sx > sy ? -1 : 1;
    uint64_t tx = x->new_total > x->base_total ? x->new_total : x->base_total;
    uint64_t ty = y->new_total > y->base_total ? y->new_total : y->base_total;
    if (tx != ty) return tx > ty ? -1 : 1;
    int c = strcmp(x->function ? x->function : "", y->function ? y->function : "");
    return c ? c : strcmp(x->key_file, y->key_file);
}

/* Wall seconds of a profile; when it was not recorded, samples x interval
 * stands in (a single-threaded approximation). */
static double wall_of(const profile *p, uint64_t nsamples) {
    const prof_meta *m = prof_meta_get(p);
    if (m && m->wall_seconds > 0) return m->wall_seconds;
    return (double)nsamples * prof_seconds_per_sample(p);
}

static cmp_direction classify(double q, const cmp_ztest *t, double ratio, const cmp_opts *o) {
    if (!(q < o->alpha)) return CMP_SAME;
    if (fabs(t->diff) * 100.0 < o->min_share_pp) return CMP_SAME;
    double up = 1.0 + o->threshold_pct / 100.0;
    if (t->diff > 0 && ratio >= up) return CMP_SLOWER;
    if (t->diff < 0 && ratio <= 1.0 / up) return CMP_FASTER;
    return CMP_SAME;
}

/* Estimated time new/base of a function: its samples times the time one
 * sample stands for. Unlike share x wall time this follows CPU time when
 * the runner is busy (idle samples are not recorded by default). */
static double time_ratio(uint64_t x1, double spp1, uint64_t x2, double spp2) {
    double a = (double)x1 * spp1, b = (double)x2 * spp2;
    if (a <= 0) return b > 0 ? INFINITY : 1.0;
    return b / a;
}

int cmp_profiles(const profile *base, const profile *new_p, const cmp_opts *o, cmp_result *out) {
    memset(out, 0, sizeof *out);
    cmp_opts def;
    if (!o) {
        cmp_opts_init(&def);
        o = &def;
    }
    out->opts = *o;
    key_table t = {0};
    double *pv = NULL, *qv = NULL;
    long long nb = add_side(&t, base, 0);
    if (nb < 0) goto oom;
    long long nn = add_side(&t, new_p, 1);
    if (nn < 0) goto oom;
    out->base_samples = (uint64_t)nb;
    out->new_samples = (uint64_t)nn;
    out->base_wall = wall_of(base, out->base_samples);
    out->new_wall = wall_of(new_p, out->new_samples);
    if (out->base_wall > 0)
        out->wall_change_pct = (out->new_wall - out->base_wall) / out->base_wall * 100.0;
    out->wall_slower = out->wall_change_pct > o->threshold_pct;
    out->wall_faster = out->wall_change_pct < -o->threshold_pct;

    out->funcs = calloc(t.n ? t.n : 1, sizeof *out->funcs);
    pv = calloc((t.n ? t.n : 1) * 2, sizeof *pv);
    qv = calloc((t.n ? t.n : 1) * 2, sizeof *qv);
    if (!out->funcs || !pv || !qv) goto oom;
    bool can_test = nb > 0 && nn > 0;
    if (!can_test)
        out->note = nb == 0 && nn == 0 ? "neither profile has Python samples"
                    : nb == 0          ? "the baseline profile has no Python samples"
                                       : "the new profile has no Python samples";
    size_t ntests = 0;
    for (size_t i = 0; i < t.n; i++) {
        key_entry *e = &t.e[i];
        cmp_func *f = &out->funcs[i];
        int src = e->present[1] ? 1 : 0;
        f->function = e->function;
        f->file = e->file[src];
        f->key_file = e->key_file;
        e->key_file = NULL;   /* moved */
        e->function = NULL;
        f->type = e->type;
        f->first_line = e->first_line[src];
        f->hot_line = e->hot_line[src];
        f->base_self = e->self[0];
        f->base_total = e->total[0];
        f->new_self = e->self[1];
        f->new_total = e->total[1];
        f->self_q = f->total_q = 1.0;
        f->self_time_ratio = f->total_time_ratio = 1.0;
        f->tested = can_test && f->base_total + f->new_total >= o->min_samples;
        if (!f->tested) continue;
        cmp_two_prop(f->base_self, (uint64_t)nb, f->new_self, (uint64_t)nn, &f->self);
        cmp_two_prop(f->base_total, (uint64_t)nb, f->new_total, (uint64_t)nn, &f->total);
        inflate(&f->self, o->dispersion);
        inflate(&f->total, o->dispersion);
        pv[ntests++] = f->self.p;
        pv[ntests++] = f->total.p;
        out->ntested++;
    }
    out->nfuncs = t.n;
    out->ntests = ntests;
    if (cmp_adjust(pv, ntests, o->correction, qv)) goto oom;
    double spp_b = prof_seconds_per_sample(base), spp_n = prof_seconds_per_sample(new_p);
    size_t k = 0;
    for (size_t i = 0; i < t.n; i++) {
        cmp_func *f = &out->funcs[i];
        if (!f->tested) continue;
        f->self_q = qv[k++];
        f->total_q = qv[k++];
        f->self_time_ratio = time_ratio(f->base_self, spp_b, f->new_self, spp_n);
        f->total_time_ratio = time_ratio(f->base_total, spp_b, f->new_total, spp_n);
        f->self_dir = classify(f->self_q, &f->self, f->self_time_ratio, o);
        f->total_dir = classify(f->total_q, &f->total, f->total_time_ratio, o);
        /* The verdict follows self time: it is where the time is spent. A
         * total-only change is a caller of such a function, or a phase
         * (startup, imports) caught in one run and not the other. */
        f->dir = f->self_dir;
        if (f->dir == CMP_SLOWER) out->nslower++;
        if (f->dir == CMP_FASTER) out->nfaster++;
    }
    qsort(out->funcs, out->nfuncs, sizeof *out->funcs, func_cmp);
    out->regressed = out->nslower > 0;
    free(pv);
    free(qv);
    table_free(&t);
    return 0;
oom:
    free(pv);
    free(qv);
    table_free(&t);
    cmp_result_free(out);
    return -1;
}

void cmp_result_free(cmp_result *r) {
    if (!r) return;
    for (size_t i = 0; i < r->nfuncs; i++) {
        free(r->funcs[i].key_file);
        free(r->funcs[i].function);
    }
    free(r->funcs);
    r->funcs = NULL;
    r->nfuncs = 0;
}
