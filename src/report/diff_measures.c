/* diff_measures.c -- the verdict's lines on the run as a whole (text and
 * Markdown): wall time, CPU time and peak memory against the baseline and
 * their usual spread, why a longer wall time was or was not counted, the
 * runner's load when it was busier than usual, and its kind when the
 * baseline or past runs ran on another. */
#include <stdbool.h>
#include <stdio.h>

#include "diff_report.h"
#include "md.h"
#include "numfmt.h"
#include "utf8.h"

const char *diff_level_word(cmp_level l) {
    return l == CMP_LEVEL_ABOVE ? "above" : l == CMP_LEVEL_BELOW ? "below" : l == CMP_LEVEL_WITHIN ? "within" : "unknown";
}

static void put_value(FILE *out, double v, bool bytes) {
    char b[32];
    if (bytes) fmt_bytes(b, sizeof b, v);
    else fmt_secs(b, sizeof b, v);
    fputs(b, out);
}

/* "Wall time: 1.20 s → 1.25 s (+4.2%): within the usual spread (…)." */
static void put_resource(FILE *out, const char *label, const cmp_resource *r, bool bytes, double threshold,
                         bool md) {
    const char *arrow = md ? "→" : "->";
    fprintf(out, "%s: ", label);
    put_value(out, r->base, bytes);
    fprintf(out, " %s ", arrow);
    put_value(out, r->new_v, bytes);
    fprintf(out, " (%+.1f%%): ", r->change_pct);
    bool out_of = r->level == CMP_LEVEL_ABOVE || r->level == CMP_LEVEL_BELOW;
    if (r->by_history) {
        fprintf(out, "%s%s the usual spread%s (", md && out_of ? "**" : "", diff_level_word(r->level),
                md && out_of ? "**" : "");
        put_value(out, r->band.lo > 0 ? r->band.lo : 0, bytes);
        fputs("–", out);
        put_value(out, r->band.hi, bytes);
        fprintf(out, " over %zu past runs)", r->band.n);
    } else {
        fprintf(out, "%s%s the threshold%s (±%.0f%%; fewer than %d past runs to learn the usual spread from)",
                md && out_of ? "**" : "", r->level == CMP_LEVEL_WITHIN ? "within" : "beyond",
                md && out_of ? "**" : "", threshold, CMP_MIN_HISTORY);
    }
}

/* "`AMD EPYC 7763 64-Core Processor` (4 CPUs)": a CPU model from a file
 * is untrusted text, shown cleaned and cut. */
static void put_runner(FILE *out, const char *cpu, int cpus, bool md) {
    sbuf b;
    sbuf_init(&b, SBUF_NO_LIMIT);
    bool ok = md ? md_code_span(&b, cpu, 80, false) : utf8_display(&b, cpu, 80, false);
    fputs(ok ? sbuf_str(&b) : "?", out);
    sbuf_free(&b);
    if (cpus > 0) fprintf(out, " (%d CPU%s)", cpus, cpus == 1 ? "" : "s");
}

/* "Runner: …" on its kind, when the baseline or past runs ran on another. */
static void put_runner_kind(FILE *out, const cmp_result *r, bool md, const char *nl) {
    if (!r->other_runner && !r->runner_other_runs) return;
    fputs("Runner: ", out);
    put_runner(out, r->new_cpu, r->new_cpus, md);
    if (r->other_runner) {
        fputs("; the baseline ran on ", out);
        put_runner(out, r->base_cpu, r->base_cpus, md);
    } else if (cmp_runner_known(r->base_cpu)) {
        fputs(", as the baseline", out);
    }
    if (r->runner_other_runs && r->wall.by_history) {
        fprintf(out, ". Wall time, CPU time and peak memory are judged against the %zu past run%s on this "
                     "kind of runner alone (%zu ran on other kinds, whose speed differs)",
                r->runner_same_runs, r->runner_same_runs == 1 ? "" : "s", r->runner_other_runs);
    } else if (r->runner_other_runs && !r->runner_same_runs) {
        fprintf(out, ". None of the past runs ran on this kind of runner (%zu on others), so the baseline is "
                     "the measure", r->runner_other_runs);
    } else if (r->runner_other_runs) {
        fprintf(out, ". %zu past run%s ran on this kind of runner (%zu on others): too few for a usual "
                     "spread, so the baseline is the measure",
                r->runner_same_runs, r->runner_same_runs == 1 ? "" : "s", r->runner_other_runs);
    }
    if (r->other_runner && !r->wall.by_history)
        fputs(". Wall and CPU time differ between kinds of runner for that reason alone: a longer wall time is "
              "not counted (function shares still compare)", out);
    fprintf(out, ".%s", nl);
}

void diff_put_measures(FILE *out, const cmp_result *r, bool md) {
    double th = r->opts.threshold_pct;
    const char *nl = md ? "\n\n" : "\n";
    if (r->wall.known) {
        put_resource(out, "Wall time", &r->wall, false, th, md);
        if (r->wall.level == CMP_LEVEL_ABOVE && r->wall_by_runner)
            fputs(r->cpu.known ? ", and the script's CPU time grew too, but the baseline ran on another kind of "
                                 "runner (below): not counted"
                               : ", but the baseline ran on another kind of runner (below): not counted", out);
        else if (r->wall.level == CMP_LEVEL_ABOVE && r->wall_by_busier)
            fputs(r->cpu.known ? ", and the script's CPU time grew too, but the runner was busier than usual "
                                 "(below): not counted"
                               : ", but the runner was busier than usual (below): not counted", out);
        else if (r->wall_small)
            fprintf(out, ", but less than the %.0f%% regression threshold over its usual median: not counted", th);
        else if (r->wall.level == CMP_LEVEL_ABOVE && r->cpu.known)
            fputs(r->wall_by_imports ? ", and the script's CPU time grew by about what the slower imports took"
                  : r->wall_flag ? ", and so did the script's CPU time: more work, or a slower machine"
                  : r->cpu.by_history ? ", but the script's CPU time stayed within its usual spread: "
                                        "a slower or busier runner, not more work"
                                      : ", but the script's CPU time did not grow beyond the threshold: "
                                        "a slower or busier runner, not more work", out);
        fprintf(out, ".%s%s", r->wall_flag && md ? " ⚠️" : "", nl);
    }
    if (r->cpu.known) {
        put_resource(out, "CPU time", &r->cpu, false, th, md);
        fprintf(out, ".%s", nl);
    }
    if (r->rss.known) {
        put_resource(out, "Peak memory", &r->rss, true, th, md);
        fprintf(out, ".%s", nl);
    }
    put_runner_kind(out, r, md, nl);
    if (r->busier) {
        fprintf(out, "Runner: other processes kept %.1f ", r->load_new);
        if (r->load_cpus > 0) fprintf(out, "of its %d ", r->load_cpus);
        fprintf(out, "CPUs busy during this run (usually %.1f%s): they share the caches, memory and CPUs, "
                     "stretching wall time and CPU time alike.%s",
                r->load_usual, r->load_runs > 1 ? ", the median of past runs" : "", nl);
    }
    if (!r->cpu.known)
        fprintf(out, "%sCPU time and peak memory: not in %s profile (recorded by csprof from this version on, "
                     "when it starts the script).%s", md ? "_" : "", r->cpu.base > 0 ? "the new" : "the baseline",
                md ? "_\n\n" : "\n");
}
