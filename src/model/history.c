/* history.c -- load, extend, bound and summarise a script's history
 * (history.h). */
#include "history.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compare.h"

#define SCHEMA "csprof-history"
#define SCHEMA_VERSION 1
#define MAX_STR 1024          /* longer names in a file are refused as corrupt */

static char *dup_or_empty(const char *s) { return strdup(s ? s : ""); }

int hist_init(history *h, const char *name) {
    *h = (history){0};
    h->name = dup_or_empty(name);
    return h->name ? 0 : -1;
}

void hist_run_free(hist_run *r) {
    free(r->commit);
    free(r->date);
    free(r->branch);
    free(r->run);
    free(r->runner_cpu);
    for (size_t i = 0; i < r->ntop; i++) {
        free(r->top[i].function);
        free(r->top[i].file);
    }
    cmp_shares_free(r->funcs, r->nfuncs);
    *r = (hist_run){0};
}

void hist_free(history *h) {
    for (size_t i = 0; i < h->n; i++) hist_run_free(&h->runs[i]);
    free(h->runs);
    free(h->name);
    *h = (history){0};
}

int hist_append(history *h, hist_run *r) {
    if (h->n == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 16;
        hist_run *v = realloc(h->runs, cap * sizeof *v);
        if (!v) return -1;
        h->runs = v;
        h->cap = cap;
    }
    h->runs[h->n++] = *r;
    *r = (hist_run){0};
    if (h->n > HIST_MAX_RUNS) {
        size_t drop = h->n - HIST_MAX_RUNS;
        for (size_t i = 0; i < drop; i++) hist_run_free(&h->runs[i]);
        memmove(h->runs, h->runs + drop, HIST_MAX_RUNS * sizeof *h->runs);
        h->n = HIST_MAX_RUNS;
    }
    return 0;
}

/* A string member: absent or null is "", anything else but a bounded
 * string is corrupt (NULL with *bad set). */
static char *member_str(json_t *o, const char *key, bool *bad) {
    json_t *v = json_object_get(o, key);
    if (!v || json_is_null(v)) return strdup("");
    const char *s = json_string_value(v);
    if (!s || strlen(s) > MAX_STR) {
        *bad = true;
        return NULL;
    }
    return strdup(s);
}

static double member_num(json_t *o, const char *key, double lo, double hi, bool *bad) {
    json_t *v = json_object_get(o, key);
    double d = json_is_number(v) ? json_number_value(v) : NAN;
    if (!(d >= lo && d <= hi)) *bad = true;
    return d;
}

/* An optional measure: absent or null is 0 (unknown). */
static double opt_num(json_t *o, const char *key, double hi, bool *bad) {
    json_t *v = json_object_get(o, key);
    return !v || json_is_null(v) ? 0 : member_num(o, key, 0, hi, bad);
}

/* A record's function shares, when it has them: 0, 1 corrupt, -1 OOM. */
static int shares_from_json(json_t *o, hist_run *r) {
    json_t *funcs = json_object_get(o, "funcs");
    if (!funcs || json_is_null(funcs)) return 0;
    bool bad = !json_is_array(funcs) || json_array_size(funcs) > CMP_SHARES_MAX;
    r->funcs_cutoff_pct = member_num(o, "funcs_cutoff_pct", 0, 100, &bad);
    if (bad) return 1;
    size_t n = json_array_size(funcs);
    r->funcs = calloc(n ? n : 1, sizeof *r->funcs);
    if (!r->funcs) return -1;
    for (size_t i = 0; !bad && i < n; i++) {
        json_t *f = json_array_get(funcs, i);
        if (!json_is_object(f)) {
            bad = true;
            break;
        }
        cmp_share *c = &r->funcs[r->nfuncs++];
        c->function = member_str(f, "function", &bad);
        c->file = member_str(f, "file", &bad);
        c->self_pct = member_num(f, "self_pct", 0, 100, &bad);
        c->total_pct = member_num(f, "total_pct", 0, 100, &bad);
        if (!bad && (!c->function || !c->file)) return -1;
    }
    r->funcs_known = !bad;
    return bad ? 1 : 0;
}

/* One record from JSON; 0, 1 corrupt, -1 OOM. */
static int run_from_json(json_t *o, hist_run *r) {
    bool bad = !json_is_object(o);
    *r = (hist_run){0};
    if (bad) return 1;
    r->commit = member_str(o, "commit", &bad);
    r->date = member_str(o, "date", &bad);
    r->branch = member_str(o, "branch", &bad);
    r->run = member_str(o, "run", &bad);
    r->wall_seconds = member_num(o, "wall_seconds", 0, 1e9, &bad);
    r->cpu_seconds = opt_num(o, "cpu_seconds", 1e9, &bad);
    r->max_rss_bytes = opt_num(o, "max_rss_bytes", 1e15, &bad);
    json_t *load = json_object_get(o, "other_load");
    r->other_load_known = load && !json_is_null(load);
    if (r->other_load_known) r->other_load = member_num(o, "other_load", 0, 65535, &bad);
    r->runner_cpu = member_str(o, "runner_cpu", &bad);
    r->runner_cpus = (int)opt_num(o, "runner_cpus", 65535, &bad);
    r->samples = (uint64_t)member_num(o, "samples", 0, 1e15, &bad);
    json_t *top = json_object_get(o, "top");
    if (!bad && (!json_is_array(top) || json_array_size(top) > HIST_TOP)) bad = true;
    for (size_t i = 0; !bad && i < json_array_size(top); i++) {
        json_t *f = json_array_get(top, i);
        hist_func *hf = &r->top[r->ntop];
        if (!json_is_object(f)) {
            bad = true;
            break;
        }
        hf->function = member_str(f, "function", &bad);
        hf->file = member_str(f, "file", &bad);
        r->ntop++;
        hf->self_pct = member_num(f, "self_pct", 0, 100, &bad);
        hf->self_seconds = member_num(f, "self_seconds", 0, 1e9, &bad);
        if (!bad && (!hf->function || !hf->file)) {
            hist_run_free(r);
            return -1;
        }
    }
    if (!bad) {
        int frc = shares_from_json(o, r);
        if (frc < 0) {
            hist_run_free(r);
            return -1;
        }
        bad = frc > 0;
    }
    if (!bad && (!r->commit || !r->date || !r->branch || !r->run || !r->runner_cpu)) {
        hist_run_free(r);
        return -1;
    }
    if (bad) hist_run_free(r);
    return bad ? 1 : 0;
}

int hist_load(const char *path, const char *name, history *h, char *err, size_t errlen) {
    err[0] = '\0';
    if (hist_init(h, name)) return -1;
    if (access(path, F_OK) != 0 && errno == ENOENT) return 0;
    json_error_t je;
    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    if (!root) {
        snprintf(err, errlen, "%s is not readable JSON (%s, line %d)", path, je.text, je.line);
        return 1;
    }
    int rc = 0;
    json_t *runs = json_object_get(root, "runs");
    const char *schema = json_string_value(json_object_get(root, "schema"));
    if (!schema || strcmp(schema, SCHEMA) ||
        json_integer_value(json_object_get(root, "schema_version")) != SCHEMA_VERSION) {
        snprintf(err, errlen, "%s is not a csprof history (schema %s version %d)", path, SCHEMA,
                 SCHEMA_VERSION);
        rc = 1;
    } else if (!json_is_array(runs)) {
        snprintf(err, errlen, "%s has no list of runs", path);
        rc = 1;
    }
    /* The newest HIST_MAX_RUNS records, whatever a file holds. */
    size_t n = rc ? 0 : json_array_size(runs);
    for (size_t i = n > HIST_MAX_RUNS ? n - HIST_MAX_RUNS : 0; i < n && !rc; i++) {
        hist_run r;
        rc = run_from_json(json_array_get(runs, i), &r);
        if (rc == 1) snprintf(err, errlen, "%s: run %zu is malformed", path, i + 1);
        else if (rc == 0 && hist_append(h, &r)) {
            hist_run_free(&r);
            rc = -1;
        }
    }
    json_decref(root);
    if (rc) {
        /* Corrupt: start afresh rather than keep half a history. */
        char *keep = h->name;
        h->name = NULL;
        hist_free(h);
        h->name = keep;
    }
    return rc;
}

static json_t *run_to_json(const hist_run *r) {
    json_t *top = json_array();
    for (size_t i = 0; top && i < r->ntop; i++) {
        const hist_func *f = &r->top[i];
        if (json_array_append_new(top, json_pack("{s:s,s:s,s:f,s:f}", "function", f->function,
                                                 "file", f->file, "self_pct", f->self_pct,
                                                 "self_seconds", f->self_seconds))) {
            json_decref(top);
            return NULL;
        }
    }
    if (!top) return NULL;
    json_t *funcs = r->funcs_known ? json_array() : NULL;
    for (size_t i = 0; funcs && i < r->nfuncs; i++) {
        const cmp_share *f = &r->funcs[i];
        if (json_array_append_new(funcs, json_pack("{s:s,s:s,s:f,s:f}", "function", f->function,
                                                   "file", f->file, "self_pct", f->self_pct,
                                                   "total_pct", f->total_pct))) {
            json_decref(funcs);
            json_decref(top);
            return NULL;
        }
    }
    if (r->funcs_known && !funcs) {
        json_decref(top);
        return NULL;
    }
    json_t *o = json_pack("{s:s,s:s,s:f,s:I,s:o}", "commit", r->commit, "date", r->date,
                          "wall_seconds", r->wall_seconds, "samples", (json_int_t)r->samples, "top", top);
    /* The optional members only when known, as the reader expects. */
    int bad = !o;
    if (o && r->branch && *r->branch) bad |= json_object_set_new(o, "branch", json_string(r->branch));
    if (o && r->run && *r->run) bad |= json_object_set_new(o, "run", json_string(r->run));
    if (o && r->cpu_seconds > 0) bad |= json_object_set_new(o, "cpu_seconds", json_real(r->cpu_seconds));
    if (o && r->max_rss_bytes > 0)
        bad |= json_object_set_new(o, "max_rss_bytes", json_integer((json_int_t)r->max_rss_bytes));
    if (o && r->other_load_known) bad |= json_object_set_new(o, "other_load", json_real(r->other_load));
    if (o && r->runner_cpu && *r->runner_cpu) bad |= json_object_set_new(o, "runner_cpu", json_string(r->runner_cpu));
    if (o && r->runner_cpus > 0) bad |= json_object_set_new(o, "runner_cpus", json_integer(r->runner_cpus));
    if (o && funcs) {
        bad |= json_object_set_new(o, "funcs", funcs);
        bad |= json_object_set_new(o, "funcs_cutoff_pct", json_real(r->funcs_cutoff_pct));
    } else {
        json_decref(funcs);
    }
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

int hist_save(const history *h, const char *path) {
    json_t *runs = json_array();
    for (size_t i = 0; runs && i < h->n; i++) {
        if (json_array_append_new(runs, run_to_json(&h->runs[i]))) {
            json_decref(runs);
            runs = NULL;
        }
    }
    json_t *root = runs ? json_pack("{s:s,s:i,s:s,s:o}", "schema", SCHEMA, "schema_version",
                                    SCHEMA_VERSION, "name", h->name ? h->name : "", "runs", runs)
                        : NULL;
    if (!root) {
        errno = ENOMEM;
        return -1;
    }
    char tmp[4096];
    int rc = -1;
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp) {
        errno = ENAMETOOLONG;
    } else if (json_dump_file(root, tmp, JSON_COMPACT | JSON_REAL_PRECISION(6)) == 0) {
        rc = rename(tmp, path);
        if (rc) unlink(tmp);
    } else {
        if (!errno) errno = EIO;
        unlink(tmp);
    }
    json_decref(root);
    return rc;
}

int hist_run_from_profile(const profile *p, const char *commit, hist_run *out) {
    const prof_meta *m = prof_meta_get(p);
    *out = (hist_run){0};
    out->commit = dup_or_empty(commit && *commit ? commit : m->git_commit);
    out->date = dup_or_empty(m->start_time);
    out->branch = dup_or_empty(m->git_branch);
    out->run = dup_or_empty(m->ci_run);
    out->wall_seconds = m->wall_seconds > 0 ? m->wall_seconds : 0;
    if (m->rusage_known) {
        out->cpu_seconds = m->cpu_user_seconds + m->cpu_system_seconds;
        out->max_rss_bytes = m->max_rss_bytes;
    }
    out->other_load_known = m->other_load >= 0;
    out->other_load = out->other_load_known ? m->other_load : 0;
    out->runner_cpu = dup_or_empty(m->runner_cpu);
    out->runner_cpus = m->runner_cpus > 0 ? m->runner_cpus : 0;
    out->samples = prof_total_samples(p);
    if (!out->commit || !out->date || !out->branch || !out->run || !out->runner_cpu) goto oom;
    prof_func_stat *st = NULL;
    long n = prof_function_stats(p, &st);
    if (n < 0) goto oom;
    double sps = prof_seconds_per_sample(p);
    const char *ws = m->workspace ? m->workspace : m->cwd;
    for (long i = 0; i < n && out->ntop < HIST_TOP && out->samples; i++) {
        if (!st[i].self) break;
        hist_func *f = &out->top[out->ntop];
        f->function = cmp_key_function(st[i].function);
        f->file = st[i].file ? cmp_key_file(st[i].file, ws) : strdup("");
        out->ntop++;
        if (!f->function || !f->file) {
            free(st);
            goto oom;
        }
        f->self_pct = 100.0 * (double)st[i].self / (double)out->samples;
        f->self_seconds = (double)st[i].self * sps;
    }
    free(st);
    if (cmp_shares_of(p, &out->funcs, &out->nfuncs, &out->funcs_cutoff_pct)) goto oom;
    out->funcs_known = true;
    return 0;
oom:
    hist_run_free(out);
    return -1;
}

/* The kinds of runner (CPU model, CPU count) of runs [from, from + n), in
 * two new arrays (at least one element each) for compare_measures.c's
 * runner rule. 0, or -1 out of memory (nothing allocated). */
static int runner_kinds(const history *h, size_t from, size_t n, const char ***cpu, int **cpus) {
    *cpu = calloc(n ? n : 1, sizeof **cpu);
    *cpus = calloc(n ? n : 1, sizeof **cpus);
    if (!*cpu || !*cpus) {
        free(*cpu);
        free(*cpus);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        (*cpu)[i] = h->runs[from + i].runner_cpu;
        (*cpus)[i] = h->runs[from + i].runner_cpus;
    }
    return 0;
}

int hist_wall_spread(const history *h, size_t from, size_t to, const hist_run *like, hist_spread *out) {
    *out = (hist_spread){0};
    if (to > h->n) to = h->n;
    if (from >= to) return 0;
    size_t n = to - from, same;
    const char **cpu;
    int *cpus;
    if (runner_kinds(h, from, n, &cpu, &cpus)) return -1;
    double *v = malloc(n * sizeof *v);
    bool *keep = malloc(n * sizeof *keep);
    if (!v || !keep) {
        free(v);
        free(cpu);
        free(cpus);
        free(keep);
        return -1;
    }
    out->other_kind = cmp_runs_on_runner(cpu, cpus, n, like ? like->runner_cpu : NULL, like ? like->runner_cpus : 0,
                                         keep, &same);
    /* Runs left out count as unknown (0), which the band skips. */
    for (size_t i = 0; i < n; i++) v[i] = keep[i] ? h->runs[from + i].wall_seconds : 0;
    free(cpu);
    free(cpus);
    free(keep);
    cmp_band b;
    /* The verdict's own statistic, so a mark and a verdict never disagree
     * about what is usual. */
    out->n = cmp_band_of(v, n, &b);
    free(v);
    out->ok = out->n >= CMP_MIN_HISTORY;
    out->median = b.median;
    out->mad = b.mad;
    out->lo = b.lo;
    out->hi = b.hi;
    return 0;
}

int hist_series_of(const history *h, hist_series *out) {
    *out = (hist_series){0};
    double *v = malloc((h->n ? h->n : 1) * 4 * sizeof *v);
    if (!v) return -1;
    for (size_t i = 0; i < h->n; i++) {
        const hist_run *r = &h->runs[i];
        v[i] = r->wall_seconds;
        v[h->n + i] = r->cpu_seconds;
        v[2 * h->n + i] = r->max_rss_bytes;
        v[3 * h->n + i] = r->other_load_known ? r->other_load : -1;
    }
    cmp_run_shares *f = calloc(h->n ? h->n : 1, sizeof *f);
    const char **cpu = NULL;
    int *cpus = NULL;
    if (!f || runner_kinds(h, 0, h->n, &cpu, &cpus)) {
        free(v);
        free(f);
        return -1;
    }
    for (size_t i = 0; i < h->n; i++) {
        const hist_run *r = &h->runs[i];
        f[i] = (cmp_run_shares){r->funcs, r->nfuncs, r->funcs_cutoff_pct, r->funcs_known};
    }
    out->values = v;
    out->funcs = f;
    out->runner_cpu = cpu;
    out->runner_cpus = cpus;
    out->view = (cmp_history){.wall = v, .cpu = v + h->n, .rss = v + 2 * h->n, .other_load = v + 3 * h->n,
                              .runner_cpu = cpu, .runner_cpus = cpus, .funcs = f, .n = h->n};
    return 0;
}

void hist_series_free(hist_series *s) {
    free(s->values);
    free(s->funcs);
    free(s->runner_cpu);
    free(s->runner_cpus);
    *s = (hist_series){0};
}

bool hist_outside(const hist_spread *s, double wall) {
    return s->ok && (wall < s->lo || wall > s->hi);
}

bool hist_spread_covers(const hist_spread *s, const hist_run *like, const hist_run *r) {
    return !s->other_kind || !like || r == like ||
           cmp_same_runner(r->runner_cpu, r->runner_cpus, like->runner_cpu, like->runner_cpus);
}

double hist_share(const hist_run *r, const char *function, const char *file) {
    for (size_t i = 0; i < r->ntop; i++)
        if (!strcmp(r->top[i].function, function) && !strcmp(r->top[i].file, file))
            return r->top[i].self_pct;
    return -1;
}
