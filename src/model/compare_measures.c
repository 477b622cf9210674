/* compare_measures.c -- the run as a whole against the baseline and the
 * history: wall time, the script's CPU time, peak memory, and how busy the
 * rest of the runner was (compare.h cmp_result). Part of cmp_profiles;
 * pure: no I/O, no globals. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "compare.h"
#include "compare_int.h"

/* Wall seconds of a profile; when it was not recorded, samples x interval
 * stands in (a single-threaded approximation). */
static double wall_of(const profile *p, uint64_t nsamples) {
    const prof_meta *m = prof_meta_get(p);
    if (m && m->wall_seconds > 0) return m->wall_seconds;
    return (double)nsamples * prof_seconds_per_sample(p);
}

double cmp_cpu_seconds(const profile *p) {
    const prof_meta *m = prof_meta_get(p);
    return m->rusage_known ? m->cpu_user_seconds + m->cpu_system_seconds : 0;
}

/* How busy the rest of the runner was, against its usual (cmp_result). */
static void judge_runner(const profile *base, const profile *new_p, const cmp_history *h, cmp_result *out) {
    const prof_meta *mb = prof_meta_get(base), *mn = prof_meta_get(new_p);
    out->load_new = mn->other_load;
    out->load_usual = -1;
    out->load_cpus = mn->runner_cpus;
    size_t n = 0, nh = h && h->other_load ? h->n : 0;
    double *v = malloc((nh + 1) * sizeof *v);
    if (!v) return;   /* unknown: nothing withheld */
    for (size_t i = 0; i < nh; i++)
        if (isfinite(h->other_load[i]) && h->other_load[i] >= 0) v[n++] = h->other_load[i];
    if (mb->other_load >= 0) v[n++] = mb->other_load;
    if (n) out->load_usual = cmp_median(v, n);
    free(v);
    out->load_runs = n;
    if (out->load_new < 0 || out->load_usual < 0) return;
    double margin = CMP_BUSIER_FRACTION * out->load_cpus;
    if (margin < CMP_BUSIER_MIN_CPUS) margin = CMP_BUSIER_MIN_CPUS;
    out->busier = out->load_new - out->load_usual >= margin;
}

bool cmp_runner_known(const char *cpu) { return cpu && *cpu; }

bool cmp_same_runner(const char *cpu_a, int cpus_a, const char *cpu_b, int cpus_b) {
    return cmp_runner_known(cpu_a) && cmp_runner_known(cpu_b) && !strcmp(cpu_a, cpu_b) &&
           (cpus_a <= 0 || cpus_b <= 0 || cpus_a == cpus_b);
}

size_t cmp_runs_on_runner(const char *const *cpu, const int *cpus, size_t n, const char *like_cpu, int like_cpus,
                          bool *keep, size_t *same) {
    size_t other = 0;
    *same = 0;
    for (size_t i = 0; i < n && cmp_runner_known(like_cpu); i++) {
        keep[i] = cmp_same_runner(cpu[i], cpus ? cpus[i] : 0, like_cpu, like_cpus);
        *same += keep[i];
        other += !keep[i] && cmp_runner_known(cpu[i]);
    }
    if (!other)
        for (size_t i = 0; i < n; i++) keep[i] = true;
    return other;
}

/* Which of the history's runs this one is judged by (cmp_runs_on_runner):
 * *keep (caller frees) when some ran on another kind, else NULL (all).
 * -1 on OOM. */
static int runners_of(const cmp_history *h, cmp_result *out, bool **keep) {
    *keep = NULL;
    if (!h || !h->n || !h->runner_cpu) return 0;
    if (!(*keep = malloc(h->n * sizeof **keep))) return -1;
    out->runner_other_runs = cmp_runs_on_runner(h->runner_cpu, h->runner_cpus, h->n, out->new_cpu, out->new_cpus,
                                                *keep, &out->runner_same_runs);
    if (!out->runner_other_runs) {
        free(*keep);
        *keep = NULL;
    }
    return 0;
}

/* r judged against the history values hv of the runs keep says (all when
 * keep is NULL); the others count as unknown (0). */
static int judge_on_runner(cmp_resource *r, double base, double new_v, const double *hv, size_t nh,
                           const bool *keep, double threshold) {
    if (!hv || !keep) {
        cmp_judge(r, base, new_v, hv, nh, threshold);
        return 0;
    }
    double *v = malloc((nh ? nh : 1) * sizeof *v);
    if (!v) return -1;
    for (size_t i = 0; i < nh; i++) v[i] = keep[i] ? hv[i] : 0;
    cmp_judge(r, base, new_v, v, nh, threshold);
    free(v);
    return 0;
}

int cmp_judge_measures(const profile *base, const profile *new_p, const cmp_opts *o, cmp_result *out) {
    out->base_wall = wall_of(base, out->base_samples + out->imports.base + out->imports.startup_base);
    out->new_wall = wall_of(new_p, out->new_samples + out->imports.new_n + out->imports.startup_new);
    if (out->base_wall > 0)
        out->wall_change_pct = (out->new_wall - out->base_wall) / out->base_wall * 100.0;
    out->wall_slower = out->wall_change_pct > o->threshold_pct;
    out->wall_faster = out->wall_change_pct < -o->threshold_pct;
    const cmp_history *h = o->history;
    size_t nh = h ? h->n : 0;
    const prof_meta *mb = prof_meta_get(base), *mn = prof_meta_get(new_p);
    out->base_cpu = mb->runner_cpu;
    out->new_cpu = mn->runner_cpu;
    out->base_cpus = mb->runner_cpus;
    out->new_cpus = mn->runner_cpus;
    out->other_runner = cmp_runner_known(mb->runner_cpu) && cmp_runner_known(mn->runner_cpu) &&
                        !cmp_same_runner(mb->runner_cpu, mb->runner_cpus, mn->runner_cpu, mn->runner_cpus);
    bool *keep;
    if (runners_of(h, out, &keep)) return -1;
    int bad = judge_on_runner(&out->wall, out->base_wall, out->new_wall, h ? h->wall : NULL, nh, keep,
                              o->threshold_pct);
    bad |= judge_on_runner(&out->cpu, cmp_cpu_seconds(base), cmp_cpu_seconds(new_p), h ? h->cpu : NULL, nh, keep,
                           o->threshold_pct);
    bad |= judge_on_runner(&out->rss, mb->rusage_known ? mb->max_rss_bytes : 0,
                           mn->rusage_known ? mn->max_rss_bytes : 0, h ? h->rss : NULL, nh, keep, o->threshold_pct);
    free(keep);
    if (bad) return -1;
    /* A busy runner stretches wall time more than the script's own CPU
     * time; one busier than usual may stretch both. */
    out->wall_flag = out->wall.level == CMP_LEVEL_ABOVE &&
                     !(out->cpu.known && out->cpu.level != CMP_LEVEL_ABOVE);
    /* Outside a steady history's spread is significant, not yet material:
     * like a function's time, wall time counts from threshold_pct over its
     * usual median (a 0.4 s script whose five past runs agree to 1% would
     * otherwise be called slower at +6%). */
    if (out->wall_flag && out->wall.by_history &&
        out->wall.new_v < out->wall.band.median * (1.0 + o->threshold_pct / 100.0)) {
        out->wall_flag = false;
        out->wall_small = true;
    }
    judge_runner(base, new_p, h, out);
    if (out->wall_flag && out->busier) {
        out->wall_flag = false;
        out->wall_by_busier = true;
    }
    /* Judged against the baseline alone, which ran on another kind of
     * runner: the difference may be the machine's. */
    if (out->wall_flag && !out->wall.by_history && out->other_runner) {
        out->wall_flag = false;
        out->wall_by_runner = true;
    }
    return 0;
}

/* CPU time that grew by no more than the slower imports took is the
 * imports' (reported on their own line), not everything slowing. */
void cmp_wall_by_imports(const cmp_opts *o, cmp_result *out) {
    const cmp_resource *cpu = &out->cpu;
    double cpu_limit = cpu->by_history ? cpu->band.hi : cpu->base * (1.0 + o->threshold_pct / 100.0);
    if (out->wall_flag && out->imports.dir == CMP_SLOWER &&
        cpu->new_v - (out->imports.new_s - out->imports.base_s) <= cpu_limit) {
        out->wall_flag = false;
        out->wall_by_imports = true;
    }
}
