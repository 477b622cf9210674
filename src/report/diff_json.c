/* diff_json.c -- `csprof diff -f json`: the comparison for machines (the
 * action reads its verdict, leads, wall-time judgement from it). */
#include <jansson.h>
#include <math.h>
#include <stdio.h>

#include "diff_report.h"

/* ---- JSON ---- */

static json_t *num_or_null(double v) { return isfinite(v) ? json_real(v) : json_null(); }

static json_t *json_func(const cmp_func *f) {
    json_t *o = json_object();
    if (!o) return NULL;
    int bad = 0;
    bad |= json_object_set_new(o, "function", json_string(f->function ? f->function : ""));
    bad |= json_object_set_new(o, "file", json_string(f->key_file));
    bad |= json_object_set_new(o, "line", json_integer(f->hot_line > 0 ? f->hot_line : f->first_line));
    const struct { const char *k; const cmp_ztest *t; double q, ratio; cmp_direction d; uint64_t b, n; } m[2] = {
        {"self", &f->self, f->self_q, f->self_time_ratio, f->self_dir, f->base_self, f->new_self},
        {"total", &f->total, f->total_q, f->total_time_ratio, f->total_dir, f->base_total, f->new_total},
    };
    for (int i = 0; i < 2; i++) {
        json_t *x = json_pack("{s:I,s:I,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:b}", "base_samples",
                              (json_int_t)m[i].b, "new_samples", (json_int_t)m[i].n, "base_share",
                              json_real(m[i].t->p1), "new_share", json_real(m[i].t->p2), "diff",
                              json_real(m[i].t->diff), "ci95", json_pack("[f,f]", m[i].t->lo, m[i].t->hi),
                              "p", json_real(m[i].t->p), "q", json_real(m[i].q), "time_ratio",
                              num_or_null(m[i].ratio), "beyond_noise", m[i].d != CMP_SAME);
        bad |= json_object_set_new(o, m[i].k, x);
    }
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static json_t *json_resource(const cmp_resource *r) {
    if (!r->known) return json_null();
    json_t *o = json_pack("{s:f,s:f,s:f,s:s,s:b,s:I}", "base", r->base, "new", r->new_v, "change_pct",
                          r->change_pct, "level", diff_level_word(r->level), "by_history", r->by_history,
                          "history_runs", (json_int_t)r->band.n);
    if (o && r->by_history && json_object_set_new(o, "usual", json_pack("[f,f]", r->band.lo, r->band.hi))) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static json_t *json_leads(const cmp_result *r) {
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < r->nleads; i++) {
        const cmp_lead *l = &r->leads[i];
        json_t *j = json_func(&r->funcs[l->func]), *under = json_array();
        int bad = !j || !under;
        for (size_t k = 0; !bad && k < l->nbeneath; k++) {
            const cmp_beneath *b = &l->beneath[k];
            const cmp_func *g = &r->funcs[b->func];
            bad |= json_array_append_new(under, json_pack("{s:s,s:s,s:I,s:I,s:o}", "function",
                                                          g->function ? g->function : "", "file", g->key_file,
                                                          "base_samples", (json_int_t)b->base, "new_samples",
                                                          (json_int_t)b->new_n, "time_ratio",
                                                          num_or_null(b->time_ratio)));
        }
        if (!bad) {
            bad = json_object_set_new(j, "beneath", under);
            under = NULL;
        }
        json_decref(under);
        if (bad || json_array_append_new(arr, j)) {
            if (bad) json_decref(j);
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

static json_t *json_origin(const prof_meta *m) {
    return json_pack("{s:s?,s:s?,s:s?,s:s?,s:s?,s:s?,s:s?}", "commit", m->git_commit, "date", m->start_time,
                     "branch", m->git_branch, "run", m->ci_run, "run_url", m->ci_run_url, "csprof_version",
                     m->csprof_version, "csprof_commit", m->csprof_commit);
}

/* A CPU model, null when unknown (or, from a hand-edited file, not text). */
static json_t *json_cpu(const char *cpu) {
    json_t *s = cmp_runner_known(cpu) ? json_string(cpu) : NULL;
    return s ? s : json_null();
}

/* The rest of the runner's load, this run's and the usual one (null when
 * unknown), and the kinds of runner (CPU model and count) compared. */
static json_t *json_runner(const cmp_result *r) {
    json_t *o = json_object();
    if (!o) return NULL;
    int bad = json_object_set_new(o, "other_load", r->load_new >= 0 ? json_real(r->load_new) : json_null());
    bad |= json_object_set_new(o, "usual_other_load", r->load_usual >= 0 ? json_real(r->load_usual) : json_null());
    bad |= json_object_set_new(o, "usual_of_runs", json_integer((json_int_t)r->load_runs));
    bad |= json_object_set_new(o, "cpus", r->load_cpus > 0 ? json_integer(r->load_cpus) : json_null());
    bad |= json_object_set_new(o, "busier", json_boolean(r->busier));
    bad |= json_object_set_new(o, "cpu_model", json_cpu(r->new_cpu));
    bad |= json_object_set_new(o, "base_cpu_model", json_cpu(r->base_cpu));
    bad |= json_object_set_new(o, "base_cpus", r->base_cpus > 0 ? json_integer(r->base_cpus) : json_null());
    bad |= json_object_set_new(o, "other_kind_than_baseline", json_boolean(r->other_runner));
    bad |= json_object_set_new(o, "history_runs_same_kind", json_integer((json_int_t)r->runner_same_runs));
    bad |= json_object_set_new(o, "history_runs_other_kind", json_integer((json_int_t)r->runner_other_runs));
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* What the verdict of issue-style comparisons adds: leads, imports, the
 * resources against their usual spread, and where the two profiles came from. */
static int json_extras(json_t *root, const diff_ctx *c) {
    const cmp_result *r = c->r;
    const cmp_imports *im = &r->imports;
    json_t *imports = json_pack("{s:I,s:I,s:f,s:f,s:s,s:s?,s:f,s:f}", "base_samples", (json_int_t)im->base,
                                "new_samples", (json_int_t)im->new_n, "base_seconds", im->base_s,
                                "new_seconds", im->new_s, "change",
                                im->dir == CMP_SLOWER ? "slower" : im->dir == CMP_FASTER ? "faster" : "same",
                                "top_module", im->top_module, "top_base_seconds", im->top_base_s,
                                "top_new_seconds", im->top_new_s);
    if (imports && json_object_set_new(imports, "startup", json_pack("{s:I,s:I,s:f,s:f}", "base_samples",
                                       (json_int_t)im->startup_base, "new_samples", (json_int_t)im->startup_new,
                                       "base_seconds", im->startup_base_s, "new_seconds", im->startup_new_s))) {
        json_decref(imports);
        imports = NULL;
    }
    int bad = json_object_set_new(root, "leads", json_leads(r));
    bad |= json_object_set_new(root, "imports", imports);
    bad |= json_object_set_new(root, "wall", json_resource(&r->wall));
    bad |= json_object_set_new(root, "wall_flag", json_boolean(r->wall_flag));
    bad |= json_object_set_new(root, "wall_by_imports", json_boolean(r->wall_by_imports));
    bad |= json_object_set_new(root, "wall_by_busier_runner", json_boolean(r->wall_by_busier));
    bad |= json_object_set_new(root, "wall_by_other_runner", json_boolean(r->wall_by_runner));
    bad |= json_object_set_new(root, "wall_below_threshold", json_boolean(r->wall_small));
    bad |= json_object_set_new(root, "runner", json_runner(r));
    bad |= json_object_set_new(root, "cpu_seconds", json_resource(&r->cpu));
    bad |= json_object_set_new(root, "max_rss_bytes", json_resource(&r->rss));
    bad |= json_object_set_new(root, "baseline", json_origin(prof_meta_get(c->base)));
    bad |= json_object_set_new(root, "new", json_origin(prof_meta_get(c->new_p)));
    return bad;
}

/* The functions a history's spread kept out of the verdict. */
static json_t *usual_list(const cmp_result *r) {
    json_t *a = json_array();
    for (size_t i = 0; a && i < r->nfuncs; i++) {
        const cmp_func *f = &r->funcs[i];
        if (!f->usual) continue;
        if (json_array_append_new(a, json_pack("{s:s,s:s,s:f,s:f}", "function", f->function ? f->function : "",
                                               "file", f->key_file ? f->key_file : "", "self_share_new",
                                               f->self.p2, "total_share_new", f->total.p2))) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

int diff_render_json(FILE *out, const diff_ctx *c) {
    const cmp_result *r = c->r;
    const cmp_opts *o = &r->opts;
    json_t *root = json_pack(
        "{s:s,s:s,s:b,s:{s:f,s:f,s:f,s:f,s:b},s:{s:I,s:I},s:I,s:I,s:{s:s,s:f,s:f,s:f,s:I,s:f},s:I,s:I}",
        "name", c->name, "verdict", diff_verdict_word(r), "regressed", r->regressed, "wall_seconds",
        "base", r->base_wall, "new", r->new_wall, "change_pct", r->wall_change_pct,
        "threshold_pct", o->threshold_pct, "beyond_threshold", r->wall_slower, "samples", "base",
        (json_int_t)r->base_samples, "new", (json_int_t)r->new_samples, "functions_tested",
        (json_int_t)r->ntested, "tests", (json_int_t)r->ntests, "method", "correction",
        o->correction == CMP_HOLM ? "holm" : "bh", "alpha", o->alpha, "min_change_pp",
        o->min_share_pp, "threshold_pct", o->threshold_pct, "min_samples",
        (json_int_t)o->min_samples, "dispersion", o->dispersion, "slower_count", (json_int_t)r->nslower, "faster_count",
        (json_int_t)r->nfaster);
    json_t *slower = json_array(), *faster = json_array();
    int bad = !root || !slower || !faster;
    for (size_t i = 0; !bad && i < r->nfuncs; i++) {
        const cmp_func *f = &r->funcs[i];
        if (f->dir == CMP_SAME) continue;
        json_t *j = json_func(f);
        bad |= !j || json_array_append_new(f->dir == CMP_SLOWER ? slower : faster, j);
    }
    if (!bad) {
        bad |= json_object_set_new(root, "slower", slower);
        slower = NULL;
        bad |= json_object_set_new(root, "faster", faster);
        faster = NULL;
        bad |= json_object_set_new(root, "note", r->note ? json_string(r->note) : json_null());
        bad |= json_object_set_new(root, "within_usual_spread", usual_list(r));
        bad |= json_object_set_new(root, "share_history_runs", json_integer((json_int_t)r->nshare_history));
        bad |= json_extras(root, c);
    }
    if (!bad) bad = json_dumpf(root, out, JSON_INDENT(1) | JSON_REAL_PRECISION(6)) != 0;
    if (!bad) fputc('\n', out);
    json_decref(root);
    json_decref(slower);
    json_decref(faster);
    if (bad) fprintf(stderr, "csprof diff: cannot build the JSON report (out of memory?)\n");
    return bad || ferror(out) ? -1 : 0;
}
