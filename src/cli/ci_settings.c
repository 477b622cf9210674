/* ci_settings.c -- reads and checks csprof ci's settings (ci_settings.h). */
#include "ci_settings.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ci_say.h"
#include "optval.h"
#include "output.h"

const char *ci_env(const char *name) {
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

int ci_env_bool(const char *name, bool def, bool *out) {
    const char *v = ci_env(name);
    if (!v) {
        *out = def;
        return 0;
    }
    if (!strcasecmp(v, "true") || !strcasecmp(v, "yes") || !strcmp(v, "1") || !strcasecmp(v, "on"))
        *out = true;
    else if (!strcasecmp(v, "false") || !strcasecmp(v, "no") || !strcmp(v, "0") ||
             !strcasecmp(v, "off"))
        *out = false;
    else {
        ci_error("%s must be true or false, not '%s'", name, v);
        return -1;
    }
    return 0;
}

char *ci_absolute(const char *base, const char *path) {
    if (path[0] == '/') return ci_strdup(path);
    return ci_asprintf("%s/%s", base, path);
}

static bool on_path(const char *prog) {
    if (strchr(prog, '/')) return access(prog, X_OK) == 0;
    const char *path = getenv("PATH");
    if (!path) return false;
    for (const char *s = path;;) {
        const char *e = strchr(s, ':');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        char buf[PATH_MAX];
        if (snprintf(buf, sizeof buf, "%.*s/%s", (int)n, n ? s : ".", prog) < (int)sizeof buf &&
            access(buf, X_OK) == 0)
            return true;
        if (!e) return false;
        s = e + 1;
    }
}

/* A whole-number setting, when set; 0, or -1 after the ::error:: line. */
static int env_long(const char *var, const char *label, long lo, long hi, long *out) {
    const char *v = ci_env(var);
    if (!v || !optval_long(v, lo, hi, out)) return 0;
    ci_error("%s must be a whole number from %ld to %ld, not '%s'", label, lo, hi, v);
    return -1;
}

static void load_python(ci_settings *s) {
    s->python = ci_env("CSPROF_PYTHON");
    if (!s->python) s->python = "python";
    /* "python" is the action's default; a runner or machine that has only
     * python3 still runs the scripts. */
    if (!strcmp(s->python, "python") && !on_path("python") && on_path("python3")) {
        if (ci_notice_slot())
            printf("::notice title=csprof::no 'python' on PATH: .py scripts run with python3\n");
        s->python = "python3";
    }
}

/* same-cpu: off (the default), auto or every, as record takes them; true
 * is auto (record's --same-cpu alone), false off. */
static int load_same_cpu(ci_settings *s) {
    const char *v = ci_env("CSPROF_SAME_CPU");
    static const char *const on[] = {"auto", "true", "yes", "on", "1"};
    static const char *const off[] = {"off", "false", "no", "0"};
    s->same_cpu = !v ? "off" : !strcasecmp(v, "every") ? "every" : NULL;
    for (size_t i = 0; v && i < sizeof on / sizeof *on; i++)
        if (!strcasecmp(v, on[i])) s->same_cpu = "auto";
    for (size_t i = 0; v && i < sizeof off / sizeof *off; i++)
        if (!strcasecmp(v, off[i])) s->same_cpu = "off";
    if (s->same_cpu) return 0;
    ci_error("CSPROF_SAME_CPU must be off, auto or every (true is auto, false off), not '%s'", v);
    return -1;
}

/* The true/false settings; fail-on-regression is true (the significance
 * rule), false, or wall (the plain duration rule: wall time beyond the
 * threshold). */
static int load_switches(ci_settings *s) {
    const char *fr = ci_env("CSPROF_FAIL_ON_REGRESSION");
    s->fail_on_wall = fr && !strcasecmp(fr, "wall");
    if ((!s->fail_on_wall && ci_env_bool("CSPROF_FAIL_ON_REGRESSION", false, &s->fail_on_regression)) ||
        ci_env_bool("CSPROF_NATIVE", false, &s->native) ||
        ci_env_bool("CSPROF_SUBPROCESSES", true, &s->subprocesses) ||
        ci_env_bool("CSPROF_IDLE", false, &s->idle) ||
        ci_env_bool("CSPROF_FAIL_ON_SCRIPT_ERROR", false, &s->fail_on_script_error) ||
        ci_env_bool("CSPROF_ANNOTATIONS", true, &s->annotations) || load_same_cpu(s))
        return -1;
    return 0;
}

static int load_numbers(ci_settings *s) {
    long top = 3;
    s->summary_max = CI_SUMMARY_BUDGET;
    if (env_long("CSPROF_SUMMARY_MAX_BYTES", "CSPROF_SUMMARY_MAX_BYTES", 4096,
                 CI_SUMMARY_BUDGET_MAX, &s->summary_max) ||
        env_long("CSPROF_TOP", "CSPROF_TOP (top)", 1, 50, &top))
        return -1;
    s->top = (int)top;
    s->threshold = 10;
    s->threshold_str = ci_env("CSPROF_REGRESSION_THRESHOLD");
    if (s->threshold_str && optval_double(s->threshold_str, 0, 100000, &s->threshold)) {
        ci_error("CSPROF_REGRESSION_THRESHOLD (regression-threshold) must be a percentage, not '%s'",
                 s->threshold_str);
        return -1;
    }
    return 0;
}

/* An explicit baseline names what to compare with: missing is an error of
 * the workflow, not "no baseline yet". */
static int check_baseline(ci_settings *s) {
    s->baseline = ci_env("CSPROF_BASELINE");
    if (!s->baseline) s->baseline = "auto";
    s->baseline_dir = ci_env("CSPROF_BASELINE_DIR");
    if (!strcasecmp(s->baseline, "auto") || !strcasecmp(s->baseline, "none")) return 0;
    char *abs = ci_absolute(s->start_dir, s->baseline);
    struct stat st;
    int rc = 0;
    if (!abs || stat(abs, &st) != 0) {
        ci_error("the baseline %s does not exist (baseline input, CSPROF_BASELINE): give the path of "
                 "a profile JSON or a directory of them, auto, or none", abs ? abs : s->baseline);
        rc = -1;
    }
    free(abs);
    return rc;
}

int ci_settings_load(ci_settings *s) {
    memset(s, 0, sizeof *s);
    if (!getcwd(s->start_dir, sizeof s->start_dir)) {
        ci_error("cannot read the current directory: %s", strerror(errno));
        return -1;
    }
    s->scripts = ci_env("CSPROF_SCRIPTS");
    if (!s->scripts) {
        ci_error("no scripts to profile: set the 'scripts' input (CSPROF_SCRIPTS), one per line");
        return -1;
    }
    load_python(s);
    s->rate = ci_env("CSPROF_RATE");
    long rate;
    if (env_long("CSPROF_RATE", "CSPROF_RATE (rate)", 1, 10000, &rate) || load_switches(s) ||
        load_numbers(s))
        return -1;
    s->formats = ci_env("CSPROF_FORMATS");
    if (!s->formats) s->formats = "svg,json,md";
    char err[256];
    if (output_check_list(s->formats, err, sizeof err)) {
        ci_error("CSPROF_FORMATS (formats): %s", err);
        return -1;
    }
    if (check_baseline(s)) return -1;
    s->save_dir = ci_env("CSPROF_BASELINE_SAVE_DIR");
    s->workdir = ci_env("CSPROF_WORKING_DIRECTORY");
    s->workspace = ci_env("GITHUB_WORKSPACE");
    if (!s->workspace) s->workspace = s->start_dir;
    const char *out = ci_env("CSPROF_OUTPUT_DIR");
    s->output_dir = ci_absolute(s->start_dir, out ? out : "artifacts/profiling");
    return s->output_dir ? 0 : -1;
}

void ci_settings_free(ci_settings *s) {
    free(s->output_dir);
    s->output_dir = NULL;
}
