/* ci_run.c -- one script's run in csprof ci: record, read, summarise,
 * compare, keep (ci_run.h). */
#include "ci_run.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "ci_annotate.h"
#include "ci_baseline.h"
#include "ci_say.h"
#include "ci_summary.h"
#include "commands.h"
#include "history.h"
#include "output.h"
#include "profile.h"

void ci_run_init(script_run *r, ci_script *sc) {
    *r = (script_run){.script = *sc, .exit_status = -1};
    *sc = (ci_script){0};
    r->problem = r->script.error;
    r->script.error = NULL;
    r->script_failed = !r->script.argv;
}

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static bool fresh_file(const char *path, time_t since) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_mtime >= since;
}

/* The formats record writes: the user's, plus json (the comparison and the
 * summary are built from it). */
static char *record_formats(const char *formats) {
    bool has_json = false;
    for (const char *s = formats; *s;) {
        size_t n = strcspn(s, ",");
        const char *a = s, *b = s + n;
        while (a < b && *a == ' ') a++;
        while (b > a && b[-1] == ' ') b--;
        if (b - a == 4 && !strncmp(a, "json", 4)) has_json = true;
        s += n + (s[n] == ',');
    }
    return has_json ? ci_strdup(formats) : ci_asprintf("%s,json", formats);
}

/* Runs `csprof record` on the script, inside a ::group:: of its output;
 * its exit status (-1: not started), r->seconds the time it took. *ran is
 * false when it was not even tried (out of memory, said in r->problem). */
static int record(const ci_settings *s, script_run *r, bool *ran) {
    printf("::group::csprof: ");
    ci_put_escaped(stdout, r->script.line, false);
    putchar('\n');
    fflush(stdout);
    char *formats = record_formats(s->formats);
    /* room for every option below and the NULL */
    char **argv = calloc((size_t)r->script.argc + 20, sizeof *argv);
    int rc = -1, n = 0;
    *ran = formats && argv;
    if (*ran) {
        char *head[] = {"csprof", "record", "-o", s->output_dir, "-n", r->script.name, "-f", formats};
        for (size_t i = 0; i < sizeof head / sizeof head[0]; i++) argv[n++] = head[i];
        if (s->rate) {
            argv[n++] = "-r";
            argv[n++] = (char *)s->rate;
        }
        if (s->subprocesses) argv[n++] = "--subprocesses";
        if (s->idle) argv[n++] = "--idle";
        if (s->native) argv[n++] = "--native";
        char same_cpu[32];
        snprintf(same_cpu, sizeof same_cpu, "--same-cpu=%s", s->same_cpu);
        argv[n++] = same_cpu;
        argv[n++] = "--";
        for (int i = 0; i < r->script.argc; i++) argv[n++] = r->script.argv[i];
        argv[n] = NULL;
        double t0 = now_seconds();
        rc = ci_run_self(argv, r->stderr_tail);
        r->seconds = now_seconds() - t0;
    } else {
        r->problem = ci_strdup("out of memory");
    }
    free(argv);
    free(formats);
    printf("::endgroup::\n");
    fflush(stdout);
    return rc;
}

/* csprof record wrote no profile. Its own failures share the exit-status
 * space with the script's; without a profile only "not found / not
 * executable" are surely the script's. */
static void no_profile(script_run *r, int rc) {
    if (rc == EXIT_CMD_NOT_FOUND || rc == EXIT_CANNOT_EXEC) {
        r->script_failed = true;
        r->problem = ci_asprintf("the command could not be run (exit status %d: %s)", rc,
                                 rc == EXIT_CMD_NOT_FOUND ? "not found" : "not executable");
    } else {
        r->problem = ci_asprintf("csprof record wrote no profile (exit status %d)", rc);
        r->exit_status = -1;
    }
    ci_warning("could not profile %s: %s", r->script.name, r->problem ? r->problem : "");
}

/* The profile record wrote, with what it says of the script itself (exit
 * status, times, memory) taken into r; NULL after a ::warning::. */
static profile *read_profile(script_run *r, const char *json_path) {
    char err[512];
    profile *p = read_profile_json(json_path, err, sizeof err);
    if (!p) {
        r->profiled = false;
        r->problem = ci_asprintf("cannot read the profile: %s", err);
        ci_warning("could not read the profile of %s: %s", r->script.name, err);
        return NULL;
    }
    const prof_meta *m = prof_meta_get(p);
    if (m->exit_status >= 0) r->exit_status = m->exit_status;
    if (m->wall_seconds > 0) r->seconds = m->wall_seconds;
    if (m->rusage_known) {
        r->cpu_seconds = m->cpu_user_seconds + m->cpu_system_seconds;
        r->max_rss_bytes = m->max_rss_bytes;
    }
    r->script_failed = r->exit_status != 0;
    return p;
}

/* Everything after a profile was read: summary, history, comparison, and
 * keeping it as the next baseline. Frees p. */
static void learn(const ci_settings *s, script_run *r, profile *p, const char *json_path,
                  size_t nscripts) {
    ci_summarise(s, r, p);
    history h;
    hist_run cur;
    bool have_hist = ci_read_history(s, r, p, nscripts, &h, &cur) == 0;
    prof_free(p);

    /* Compared before anything is saved: the verdict's history is the
     * baseline's, without this run, even when it is saved to the same place. */
    ci_compare_with_baseline(s, r, json_path, nscripts);

    if (s->save_dir) ci_keep_baseline(s, r, json_path, have_hist ? &h : NULL, &cur);
    if (have_hist) {
        hist_run_free(&cur);
        hist_free(&h);
    }
}

void ci_run_script(const ci_settings *s, script_run *r, size_t nscripts) {
    time_t started = time(NULL);
    bool ran;
    int rc = record(s, r, &ran);
    char *json_path = ran ? ci_asprintf("%s/%s.json", s->output_dir, r->script.name) : NULL;
    if (!json_path) return;
    r->exit_status = rc;
    /* A profile left by an earlier run is not this one's; a second's
     * leeway for file systems that keep whole seconds. */
    r->profiled = rc >= 0 && fresh_file(json_path, started - 1);
    profile *p = NULL;
    if (!r->profiled) no_profile(r, rc);
    else p = read_profile(r, json_path);
    if (p) learn(s, r, p, json_path, nscripts);
    free(json_path);
}

void ci_run_free(script_run *r) {
    ci_script_free(&r->script);
    for (int i = 0; i < r->nhot; i++) ci_hot_spot_free(&r->hot[i]);
    char *owned[] = {r->problem, r->top_function, r->top_file, r->diff_md, r->profile_md,
                     r->base_path, r->slower, r->faster, r->trend_md, r->hist_path};
    for (size_t i = 0; i < sizeof owned / sizeof owned[0]; i++) free(owned[i]);
    *r = (script_run){0};
}
