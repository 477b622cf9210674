/* ci_settings.h -- the settings of `csprof ci`, from CSPROF_* environment
 * variables (action.yml maps the Action's inputs to them) and GitHub's own.
 *
 * Promises: ci_settings_load checks every setting before anything runs; an
 * invalid one is one ::error:: line naming the variable, the Action input
 * and what it accepts, and the load fails (csprof ci exits 64). Empty
 * variables count as unset. Nothing is written but those lines and the
 * ::notice:: that .py scripts run with python3 when there is no python. */
#ifndef CSPROF_CI_SETTINGS_H
#define CSPROF_CI_SETTINGS_H

#include <limits.h>
#include <stdbool.h>

/* The whole job summary stays far below GitHub's 1 MiB per step
 * (CSPROF_SUMMARY_MAX_BYTES can lower or raise it, up to 900 KiB). */
#define CI_SUMMARY_BUDGET (256 * 1024)
#define CI_SUMMARY_BUDGET_MAX (900 * 1024)

typedef struct {
    const char *scripts, *python, *rate, *formats, *baseline, *baseline_dir, *save_dir;
    char *output_dir;  /* absolute, owned */
    const char *workdir;
    bool native, subprocesses, idle, fail_on_regression, fail_on_script_error, annotations;
    const char *same_cpu;    /* record's --same-cpu=WHEN: off, auto or every */
    bool fail_on_wall;       /* fail-on-regression: wall, the plain duration rule */
    int top;
    long summary_max;
    double threshold;
    const char *threshold_str;
    const char *workspace;   /* GITHUB_WORKSPACE, else the starting directory */
    char start_dir[PATH_MAX];
} ci_settings;

/* 0, or -1 after the ::error:: line. Free with ci_settings_free either way. */
int ci_settings_load(ci_settings *s);
void ci_settings_free(ci_settings *s);

/* The variable's value, NULL when unset or empty. */
const char *ci_env(const char *name);

/* A true/false variable (also yes/no, 1/0, on/off, any case); def when
 * unset. 0, or -1 after an ::error:: line (then *out is unchanged). */
int ci_env_bool(const char *name, bool def, bool *out);

/* path made absolute against base (a copy when already absolute), NULL
 * when out of memory (said on stderr). */
char *ci_absolute(const char *base, const char *path);

#endif
