/* compare_measures.c -- the run as a whole against the baseline and the
 * history: wall time, the script's CPU time, peak memory, and how busy the
 * rest of the runner was (compare.h cmp_result). Part of cmp_profiles;
 * pure: no I/O, no globals. */
#include <math.h>
#include <stdlib.h>

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

void cmp_judge_measures(const profile *base, const profile *new_p, const cmp_opts *o, cmp_result *out) {
    out->base_wall = wall_of(base, out->base_samples + out->imports.base + out->imports.startup_base);
    out->new_wall = wall_of(new_p, out->new_samples + out->imports.new_n + out->imports.startup_new);
    if (out->base_wall > 0)
        out->wall_change_pct = (out->new_wall - out->base_wall) / out->base_wall * 100.0;
    out->wall_slower = out->wall_change_pct > o->threshold_pct;
    out->wall_faster = out->wall_change_pct < -o->threshold_pct;
    const cmp_history *h = o->history;
    size_t nh = h ? h->n : 0;
    cmp_judge(&out->wall, out->base_wall, out->new_wall, h ? h->wall : NULL, nh, o->threshold_pct);
    cmp_judge(&out->cpu, cmp_cpu_seconds(base), cmp_cpu_seconds(new_p), h ? h->cpu : NULL, nh, o->threshold_pct);
    const prof_meta *mb = prof_meta_get(base), *mn = prof_meta_get(new_p);
    cmp_judge(&out->rss, mb->rusage_known ? mb->max_rss_bytes : 0, mn->rusage_known ? mn->max_rss_bytes : 0,
          h ? h->rss : NULL, nh, o->threshold_pct);
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
