/* compare.c -- share-change statistics between two profiles (see compare.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "compare.h"
#include "compare_int.h"

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

/* The dispersion of test t with sample weights: each side's binomial
 * variance times its design effect (prof_design_effect), in proportion to
 * what that side adds to the variance of the difference. */
static double weighted_dispersion(double dispersion, const cmp_ztest *t, uint64_t n1, uint64_t n2,
                                  const double deff[2]) {
    double v1 = n1 ? t->p1 * (1 - t->p1) / (double)n1 : 0;
    double v2 = n2 ? t->p2 * (1 - t->p2) / (double)n2 : 0;
    double d = v1 + v2 > 0 ? (deff[0] * v1 + deff[1] * v2) / (v1 + v2) : (deff[0] + deff[1]) / 2;
    return (dispersion > 1 ? dispersion : 1) * (d > 1 ? d : 1);
}

void cmp_opts_init(cmp_opts *o) {
    o->threshold_pct = 10.0;
    o->alpha = 0.01;
    o->min_share_pp = 1.0;
    o->min_samples = 5;
    o->dispersion = 2.0;
    o->correction = CMP_BH;
    o->history = NULL;
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
    bool yours;              /* in the user's files (either side) */
    uint64_t import[2];      /* import samples charged to this module's code */
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

long cmp_first_import(const side_map *m, const prof_stack *st) {
    size_t nf = prof_nframes(m->p);
    for (uint32_t d = 0; d < st->depth; d++)
        if (st->frames[d] < nf && m->is_import[st->frames[d]]) return (long)d;
    return -1;
}


static void side_free(side_map *m) {
    free(m->key_of);
    free(m->is_import);
    free(m->yours);
}

static int map_frames(key_table *t, side_map *m) {
    size_t nf = prof_nframes(m->p);
    const prof_meta *meta = prof_meta_get(m->p);
    const char *ws = meta ? meta->workspace : NULL;
    m->key_of = malloc((nf ? nf : 1) * sizeof *m->key_of);
    m->is_import = calloc(nf ? nf : 1, sizeof *m->is_import);
    m->yours = calloc(nf ? nf : 1, sizeof *m->yours);
    if (!m->key_of || !m->is_import || !m->yours) return -1;
    for (size_t i = 0; i < nf; i++) {
        const prof_frame *f = prof_frame_at(m->p, i);
        m->key_of[i] = -1;
        if (synthetic(f)) continue;
        m->is_import[i] = classify_frame_is_import(f);
        m->yours[i] = classify_frame(m->p, f) == CODE_YOURS;
        char *kf = cmp_key_file(f->file, ws);
        char *kn = f->type == FRAME_PYTHON ? cmp_key_function(f->function) : strdup(f->function ? f->function : "");
        if (!kf || !kn) {
            free(kf);
            free(kn);
            return -1;
        }
        m->key_of[i] = table_get(t, kn, kf, f->type);
        if (m->key_of[i] < 0) return -1;
    }
    return 0;
}

/* Import samples: counted apart, and charged to the module being imported
 * (the first frame below the outermost import machinery). */
static void add_import(key_table *t, const side_map *m, const prof_stack *st, long d0, int side) {
    size_t nf = prof_nframes(m->p);
    for (uint32_t d = (uint32_t)d0; d < st->depth; d++) {
        uint32_t fr = st->frames[d];
        if (fr < nf && !m->is_import[fr] && m->key_of[fr] >= 0) {
            t->e[m->key_of[fr]].import[side] += st->count;
            return;
        }
    }
}

/* Adds one profile's counts (side 0 = base, 1 = new) to the table. Returns
 * the samples outside imports with at least one real frame (the
 * denominator of the shares), or -1 on OOM; *imports gets the rest. */
/* Interpreter start-up: an import sample whose outermost frame is not the
 * user's code (site and its .pth files, encodings), as opposed to an
 * import the user's code made. */
static bool is_startup(const side_map *m, const prof_stack *st) {
    size_t nf = prof_nframes(m->p);
    for (uint32_t d = 0; d < st->depth; d++) {
        uint32_t fr = st->frames[d];
        if (fr < nf && m->key_of[fr] >= 0) return !m->yours[fr];
    }
    return true;
}

static long long add_side(key_table *t, side_map *m, int side, uint64_t *imports, uint64_t *startup) {
    const profile *p = m->p;
    size_t nf = prof_nframes(p);
    uint64_t *fself = calloc(nf ? nf : 1, sizeof *fself);
    uint64_t *ftotal = calloc(nf ? nf : 1, sizeof *ftotal);
    size_t *seen = NULL;
    long long nsamples = -1;
    if (!fself || !ftotal || map_frames(t, m)) goto out;
    seen = calloc(t->n ? t->n : 1, sizeof *seen);
    if (!seen) goto out;
    uint64_t n = 0;
    size_t ns = prof_nstacks(p);
    for (size_t s = 0; s < ns; s++) {
        const prof_stack *st = prof_stack_at(p, s);
        long imp = cmp_first_import(m, st);
        if (imp >= 0) {
            if (is_startup(m, st)) {
                *startup += st->count;
            } else {
                *imports += st->count;
                add_import(t, m, st, imp, side);
            }
            continue;
        }
        long leaf = -1;
        for (uint32_t d = 0; d < st->depth; d++) {
            uint32_t fr = st->frames[d];
            if (fr >= nf || m->key_of[fr] < 0) continue;
            leaf = fr;
            key_entry *e = &t->e[m->key_of[fr]];
            /* Recursion counts once per stack for total. */
            if (seen[m->key_of[fr]] != s + 1) {
                seen[m->key_of[fr]] = s + 1;
                e->total[side] += st->count;
                ftotal[fr] += st->count;
            }
        }
        if (leaf < 0) continue;
        t->e[m->key_of[leaf]].self[side] += st->count;
        fself[leaf] += st->count;
        n += st->count;
    }
    for (size_t i = 0; i < nf; i++) {
        if (m->key_of[i] < 0) continue;
        const prof_frame *f = prof_frame_at(p, i);
        key_entry *e = &t->e[m->key_of[i]];
        e->yours |= m->yours[i];
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
    free(fself);
    free(ftotal);
    free(seen);
    return nsamples;
}

/* ---- a run's function shares, for the history (compare.h) ---- */

static int share_cmp(const void *a, const void *b) {
    const cmp_share *x = a, *y = b;
    if (x->total_pct != y->total_pct) return x->total_pct > y->total_pct ? -1 : 1;
    if (x->self_pct != y->self_pct) return x->self_pct > y->self_pct ? -1 : 1;
    int c = strcmp(x->function, y->function);
    return c ? c : strcmp(x->file, y->file);
}

void cmp_shares_free(cmp_share *s, size_t n) {
    for (size_t i = 0; s && i < n; i++) {
        free(s[i].function);
        free(s[i].file);
    }
    free(s);
}

int cmp_shares_of(const profile *p, cmp_share **out, size_t *n, double *cutoff_pct) {
    *out = NULL;
    *n = 0;
    *cutoff_pct = CMP_SHARES_MIN_PCT;
    key_table t = {0};
    side_map sm = {.p = p};
    uint64_t imports = 0, startup = 0;
    long long ns = add_side(&t, &sm, 0, &imports, &startup);
    cmp_share *v = ns < 0 ? NULL : calloc(t.n ? t.n : 1, sizeof *v);
    size_t k = 0;
    for (size_t i = 0; v && ns > 0 && i < t.n; i++) {
        key_entry *e = &t.e[i];
        double self = 100.0 * (double)e->self[0] / (double)ns;
        double total = 100.0 * (double)e->total[0] / (double)ns;
        if (self < CMP_SHARES_MIN_PCT && total < CMP_SHARES_MIN_PCT) continue;
        /* The strings move to the record; the table frees what is left. */
        v[k++] = (cmp_share){e->function, e->key_file, self, total};
        e->function = e->key_file = NULL;
    }
    side_free(&sm);
    table_free(&t);
    if (!v) return -1;
    qsort(v, k, sizeof *v, share_cmp);
    if (k > CMP_SHARES_MAX) {
        /* A function left out may have had up to the largest share dropped. */
        double dropped = 0;
        for (size_t i = CMP_SHARES_MAX; i < k; i++) {
            double m = v[i].total_pct > v[i].self_pct ? v[i].total_pct : v[i].self_pct;
            if (m > dropped) dropped = m;
            free(v[i].function);
            free(v[i].file);
        }
        k = CMP_SHARES_MAX;
        *cutoff_pct = dropped;
    }
    *out = v;
    *n = k;
    return 0;
}

/* ---- a function against its own history ---- */

/* f's share (self or total) in each history run with shares. Not listed
 * in a run that lists every function from CMP_SHARES_MIN_PCT: 0 (too small
 * to matter); in a run whose list was cut at a larger share: unknown (-1,
 * skipped by the band). Returns the number of values written to v. */
static size_t history_shares(const cmp_func *f, const cmp_history *h, bool total, double *v) {
    size_t k = 0;
    for (size_t r = 0; r < h->n; r++) {
        const cmp_run_shares *rs = &h->funcs[r];
        if (!rs->known) continue;
        double x = rs->cutoff_pct > CMP_SHARES_MIN_PCT ? -1 : 0;
        for (size_t i = 0; i < rs->n; i++)
            if (!strcmp(rs->shares[i].function, f->function) && !strcmp(rs->shares[i].file, f->key_file)) {
                x = total ? rs->shares[i].total_pct : rs->shares[i].self_pct;
                break;
            }
        v[k++] = x;
    }
    return k;
}

/* A change found significant is kept only when the new share also lies
 * outside the function's usual spread over the history: past unchanged
 * runs that vary as much say the baseline, not the code, was unusual. */
static cmp_direction against_history(const cmp_func *f, const cmp_history *h, bool total,
                                     cmp_direction d, double new_pct, uint64_t n_new, double *scratch) {
    if (d == CMP_SAME) return d;
    cmp_band b;
    if (cmp_share_band(scratch, history_shares(f, h, total, scratch), &b) < CMP_MIN_HISTORY) return d;
    cmp_share_band_floor(&b, n_new);
    return new_pct >= b.lo && new_pct <= b.hi ? CMP_SAME : d;
}

/* Runs of the history that recorded function shares. */
static size_t share_history_runs(const cmp_history *h) {
    size_t k = 0;
    for (size_t r = 0; h && h->funcs && r < h->n; r++) k += h->funcs[r].known;
    return k;
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

static cmp_direction classify(double q, const cmp_ztest *t, double ratio, const cmp_opts *o) {
    if (!(q < o->alpha)) return CMP_SAME;
    if (fabs(t->diff) * 100.0 < o->min_share_pp) return CMP_SAME;
    double up = 1.0 + o->threshold_pct / 100.0;
    if (t->diff > 0 && ratio >= up) return CMP_SLOWER;
    if (t->diff < 0 && ratio <= 1.0 / up) return CMP_FASTER;
    return CMP_SAME;
}

double cmp_time_ratio(uint64_t x1, double spp1, uint64_t x2, double spp2) {
    double a = (double)x1 * spp1, b = (double)x2 * spp2;
    if (a <= 0) return b > 0 ? INFINITY : 1.0;
    return b / a;
}


/* ---- imports ---- */

/* "site-packages/torch/nn/__init__.py" -> "torch.nn" (owned), NULL on OOM. */
static char *module_of(const char *key_file) {
    const char *s = key_file;
    size_t kl = strlen(s);
    if (!strncmp(s, "<frozen ", 8) && kl > 9 && s[kl - 1] == '>') return strndup(s + 8, kl - 9);
    if (!strncmp(s, "site-packages/", 14)) s += 14;
    else if (!strncmp(s, "stdlib/", 7)) s += 7;
    char *m = strdup(s);
    if (!m) return NULL;
    size_t n = strlen(m);
    if (n > 3 && !strcmp(m + n - 3, ".py")) m[n -= 3] = '\0';
    if (n > 9 && !strcmp(m + n - 9, "/__init__")) m[n -= 9] = '\0';
    for (char *c = m; *c; c++)
        if (*c == '/') *c = '.';
    return m;
}

static int judge_imports(const key_table *t, const cmp_opts *o, const double spp[2], uint64_t nb,
                         uint64_t nn, const double deff[2], cmp_imports *im) {
    im->base_s = (double)im->base * spp[0];
    im->new_s = (double)im->new_n * spp[1];
    im->startup_base_s = (double)im->startup_base * spp[0];
    im->startup_new_s = (double)im->startup_new * spp[1];
    if (cmp_two_prop(im->base, nb + im->base, im->new_n, nn + im->new_n, &im->share) == 0) {
        inflate(&im->share, weighted_dispersion(o->dispersion, &im->share, nb + im->base,
                                                nn + im->new_n, deff));
        im->dir = classify(im->share.p, &im->share, cmp_time_ratio(im->base, spp[0], im->new_n, spp[1]), o);
        /* Tens of milliseconds of imports are no finding a reader can act on. */
        if (fabs(im->new_s - im->base_s) < CMP_MIN_IMPORT_CHANGE_S) im->dir = CMP_SAME;
    }
    double best = 0;
    const key_entry *top = NULL;
    for (size_t i = 0; i < t->n; i++) {
        double d = fabs((double)t->e[i].import[1] * spp[1] - (double)t->e[i].import[0] * spp[0]);
        if (d > best) {
            best = d;
            top = &t->e[i];
        }
    }
    if (!top) return 0;
    im->top_base_s = (double)top->import[0] * spp[0];
    im->top_new_s = (double)top->import[1] * spp[1];
    im->top_module = module_of(top->key_file);
    return im->top_module ? 0 : -1;
}

/* ---- the comparison ---- */

/* What one sample stands for, for estimated times. With the script's CPU
 * time known on both sides (wait4) and only running threads sampled, a
 * sample is its share of that CPU time: on a busy runner a thread waits
 * runnable and is sampled for time it did not compute, so samples x
 * interval would call unchanged code slower. Otherwise samples x the
 * measured interval. */
static void seconds_per_sample(const profile *base, const profile *new_p, const cmp_result *out,
                               double spp[2]) {
    const prof_meta *mb = prof_meta_get(base), *mn = prof_meta_get(new_p);
    const cmp_imports *im = &out->imports;
    uint64_t all_b = out->base_samples + im->base + im->startup_base;
    uint64_t all_n = out->new_samples + im->new_n + im->startup_new;
    if (mb->rusage_known && mn->rusage_known && !mb->idle_included && !mn->idle_included && all_b && all_n &&
        cmp_cpu_seconds(base) > 0 && cmp_cpu_seconds(new_p) > 0) {
        spp[0] = cmp_cpu_seconds(base) / (double)all_b;
        spp[1] = cmp_cpu_seconds(new_p) / (double)all_n;
    } else {
        spp[0] = prof_seconds_per_sample(base);
        spp[1] = prof_seconds_per_sample(new_p);
    }
}

static void fill_func(cmp_func *f, key_entry *e, bool can_test, const cmp_opts *o) {
    int src = e->present[1] ? 1 : 0;
    f->function = e->function;
    f->file = e->file[src];
    f->key_file = e->key_file;
    e->key_file = NULL;   /* moved */
    e->function = NULL;
    f->type = e->type;
    f->yours = e->yours;
    f->first_line = e->first_line[src];
    f->hot_line = e->hot_line[src];
    f->base_self = e->self[0];
    f->base_total = e->total[0];
    f->new_self = e->self[1];
    f->new_total = e->total[1];
    f->self_q = f->total_q = 1.0;
    f->self_time_ratio = f->total_time_ratio = 1.0;
    f->tested = can_test && f->base_total + f->new_total >= o->min_samples;
}

static size_t find_sorted(const cmp_func *funcs, size_t n, size_t id) {
    for (size_t i = 0; i < n; i++)
        if (funcs[i].id == id) return i;
    return 0;
}

static const char *untestable_note(uint64_t nb, uint64_t nn) {
    if (nb && nn) return NULL;
    return nb == 0 && nn == 0 ? "neither profile has Python samples outside imports"
           : nb == 0          ? "the baseline profile has no Python samples outside imports"
                              : "the new profile has no Python samples outside imports";
}

/* Fills out->funcs from the table and runs the share tests of every
 * function with enough samples; their p-values go to pv (2 per function). */
static size_t test_functions(key_table *t, const cmp_opts *o, cmp_result *out, double *pv) {
    uint64_t nb = out->base_samples, nn = out->new_samples;
    size_t ntests = 0;
    for (size_t i = 0; i < t->n; i++) {
        cmp_func *f = &out->funcs[i];
        fill_func(f, &t->e[i], nb && nn, o);
        f->id = i;
        if (!f->tested) continue;
        const double deff[2] = {out->base_deff, out->new_deff};
        cmp_two_prop(f->base_self, nb, f->new_self, nn, &f->self);
        cmp_two_prop(f->base_total, nb, f->new_total, nn, &f->total);
        inflate(&f->self, weighted_dispersion(o->dispersion, &f->self, nb, nn, deff));
        inflate(&f->total, weighted_dispersion(o->dispersion, &f->total, nb, nn, deff));
        pv[ntests++] = f->self.p;
        pv[ntests++] = f->total.p;
        out->ntested++;
    }
    out->nfuncs = t->n;
    out->ntests = ntests;
    return ntests;
}

/* Self time that grew while the total did not only moved between the
 * function and its callees (sampling catches a thin wrapper or its callee
 * alike from run to run): no slowdown of either. */
static cmp_direction where_spent(const cmp_func *f, const cmp_opts *o) {
    double up = 1.0 + o->threshold_pct / 100.0;
    if (f->self_dir == CMP_SLOWER && (!(f->total.diff > 0) || f->total_time_ratio < up)) return CMP_SAME;
    if (f->self_dir == CMP_FASTER && (!(f->total.diff < 0) || f->total_time_ratio > 1.0 / up)) return CMP_SAME;
    return f->self_dir;
}

/* Directions from the adjusted p-values qv, the effect sizes and, when
 * there is one, each function's history. */
static void classify_functions(const cmp_opts *o, const double spp[2], const double *qv,
                               double *scratch, cmp_result *out) {
    const cmp_history *h = out->nshare_history >= CMP_MIN_HISTORY ? o->history : NULL;
    size_t k = 0;
    for (size_t i = 0; i < out->nfuncs; i++) {
        cmp_func *f = &out->funcs[i];
        if (!f->tested) continue;
        f->self_q = qv[k++];
        f->total_q = qv[k++];
        f->self_time_ratio = cmp_time_ratio(f->base_self, spp[0], f->new_self, spp[1]);
        f->total_time_ratio = cmp_time_ratio(f->base_total, spp[0], f->new_total, spp[1]);
        cmp_direction self = classify(f->self_q, &f->self, f->self_time_ratio, o);
        cmp_direction total = classify(f->total_q, &f->total, f->total_time_ratio, o);
        f->self_dir = self;
        f->total_dir = total;
        if (h) {
            /* the draws of the new run, not its samples (prof_design_effect) */
            double deff = out->new_deff > 1 ? out->new_deff : 1;
            uint64_t draws = (uint64_t)((double)out->new_samples / deff + 0.5);
            f->self_dir = against_history(f, h, false, self, 100.0 * f->self.p2, draws, scratch);
            f->total_dir = against_history(f, h, true, total, 100.0 * f->total.p2, draws, scratch);
            f->usual = f->self_dir != self || f->total_dir != total;
            out->nusual += f->usual;
        }
        f->dir = where_spent(f, o);
        if (f->dir == CMP_SLOWER) out->nslower++;
        if (f->dir == CMP_FASTER) out->nfaster++;
    }
}

/* Sorts the functions for the report; leads and what is beneath them
 * pointed at table entries (= the unsorted positions): follow them. */
static void sort_functions(cmp_result *out) {
    qsort(out->funcs, out->nfuncs, sizeof *out->funcs, func_cmp);
    for (size_t i = 0; i < out->nleads; i++) {
        cmp_lead *l = &out->leads[i];
        l->func = find_sorted(out->funcs, out->nfuncs, l->func);
        for (size_t j = 0; j < l->nbeneath; j++)
            l->beneath[j].func = find_sorted(out->funcs, out->nfuncs, l->beneath[j].func);
    }
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
    side_map sm[2] = {{.p = base}, {.p = new_p}};
    double *pv = NULL, *qv = NULL, *scratch = NULL;
    int rc = -1;
    long long nb = add_side(&t, &sm[0], 0, &out->imports.base, &out->imports.startup_base);
    long long nn = nb < 0 ? -1 : add_side(&t, &sm[1], 1, &out->imports.new_n, &out->imports.startup_new);
    if (nn < 0) goto done;
    out->base_samples = (uint64_t)nb;
    out->new_samples = (uint64_t)nn;
    out->base_deff = prof_design_effect(base);
    out->new_deff = prof_design_effect(new_p);
    out->nshare_history = share_history_runs(o->history);
    double spp[2];
    seconds_per_sample(base, new_p, out, spp);
    if (cmp_judge_measures(base, new_p, o, out)) goto done;
    const double deff[2] = {out->base_deff, out->new_deff};
    if (judge_imports(&t, o, spp, out->base_samples, out->new_samples, deff, &out->imports))
        goto done;
    cmp_wall_by_imports(o, out);
    out->note = untestable_note(out->base_samples, out->new_samples);
    size_t nt = t.n ? t.n : 1;
    out->funcs = calloc(nt, sizeof *out->funcs);
    pv = calloc(nt * 2, sizeof *pv);
    qv = calloc(nt * 2, sizeof *qv);
    scratch = calloc(o->history && o->history->n ? o->history->n : 1, sizeof *scratch);
    if (!out->funcs || !pv || !qv || !scratch) goto done;
    size_t ntests = test_functions(&t, o, out, pv);
    if (cmp_adjust(pv, ntests, o->correction, qv)) goto done;
    classify_functions(o, spp, qv, scratch, out);
    lead_ctx lc = {.o = o, .spp = {spp[0], spp[1]}, .nentries = t.n};
    if (!out->note && cmp_find_leads(&lc, sm, out)) goto done;
    sort_functions(out);
    out->regressed = out->nslower > 0 || out->nleads > 0;
    rc = 0;
done:
    free(pv);
    free(qv);
    free(scratch);
    side_free(&sm[0]);
    side_free(&sm[1]);
    table_free(&t);
    if (rc) cmp_result_free(out);
    return rc;
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
    free(r->imports.top_module);
    r->imports.top_module = NULL;
    r->nleads = 0;
}
