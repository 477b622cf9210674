/* cmd_ci.c -- `csprof ci`: what the GitHub Action runs.
 *
 * Reads its settings from CSPROF_* environment variables (ci_settings.h),
 * profiles each listed script (ci_scripts.h, ci_run.h) with `csprof
 * record`, compares it with the baseline profile of the same name through
 * `csprof diff` (ci_baseline.h; both run as children of our own
 * executable, ci_spawn.h), and reports: job summary and HTML report
 * (ci_summary.h), annotations on the hottest lines of the user's code
 * (ci_annotate.h), step outputs (ci_outputs.h). Outside GitHub the same
 * files are written and the GitHub-only parts are skipped.
 *
 * A profiler problem never fails the job: it becomes a ::warning:: and a
 * note in the summary. Only fail-on-regression / fail-on-script-error turn
 * findings into a failing exit status; invalid settings exit 64.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "atomicfile.h"
#include "ci_annotate.h"
#include "ci_links.h"
#include "ci_outputs.h"
#include "ci_run.h"
#include "ci_say.h"
#include "ci_scripts.h"
#include "ci_settings.h"
#include "ci_summary.h"
#include "commands.h"
#include "output.h"

static const char usage[] =
    "usage: csprof ci\n"
    "\n"
    "Profiles the scripts listed in CSPROF_SCRIPTS (one per line; a .py path\n"
    "runs with $CSPROF_PYTHON, anything else as a command line with simple\n"
    "shell-like quoting), compares each with its baseline profile, and writes\n"
    "the GitHub job summary, annotations and step outputs. Settings (all optional\n"
    "but CSPROF_SCRIPTS):\n"
    "  CSPROF_PYTHON (python)         CSPROF_RATE (record's default)\n"
    "  CSPROF_NATIVE (false)          CSPROF_SUBPROCESSES (true)\n"
    "  CSPROF_IDLE (false)            CSPROF_TOP (3)\n"
    "  CSPROF_OUTPUT_DIR (artifacts/profiling)   CSPROF_FORMATS (svg,json,md)\n"
    "  CSPROF_BASELINE (auto | none | path of a profile JSON or a directory)\n"
    "  CSPROF_BASELINE_DIR (where auto looks)    CSPROF_BASELINE_SAVE_DIR (copy new profiles and their NAME.history.json here)\n"
    "  CSPROF_REGRESSION_THRESHOLD (10)          CSPROF_FAIL_ON_REGRESSION (false | true | wall)\n"
    "  CSPROF_FAIL_ON_SCRIPT_ERROR (false)       CSPROF_ANNOTATIONS (true)\n"
    "  CSPROF_WORKING_DIRECTORY (where scripts run)\n"
    "  CSPROF_SUMMARY_MAX_BYTES (262144; the job summary stops adding details there)\n"
    "  CSPROF_ARTIFACT_SUFFIX (names the HTML report performance-report<SUFFIX>.html)\n"
    "  CSPROF_SUMMARY_DEFERRED (false; true: summary.md keeps link placeholders and\n"
    "    `csprof ci --finish` completes it and writes the job summary)\n"
    "\n"
    "csprof ci --finish completes a deferred summary: CSPROF_SUMMARY_FILE,\n"
    "CSPROF_HTML_URL (the upload's artifact-url), CSPROF_HTML_FILE, CSPROF_UPLOAD,\n"
    "CSPROF_UPLOAD_OUTCOME.\n"
    "\n"
    "exit status: 0, or 1 when fail-on-regression / fail-on-script-error ask for\n"
    "it; 64 invalid settings.\n";

static void free_runs(script_run *runs, size_t n) {
    for (size_t i = 0; runs && i < n; i++) ci_run_free(&runs[i]);
    free(runs);
}

/* The runs of CSPROF_SCRIPTS, *n of them. NULL with *exit_status set when
 * there is nothing to run: out of memory (0: a profiler problem, said on
 * stderr), or no script listed (EXIT_USAGE). */
static script_run *make_runs(const ci_settings *s, size_t *n, int *exit_status) {
    ci_script *scripts = ci_scripts_parse(s->scripts, s->python, n);
    *exit_status = 0;
    if (!scripts) return NULL;
    script_run *runs = *n ? calloc(*n, sizeof *runs) : NULL;
    if (!*n) {
        ci_error("CSPROF_SCRIPTS (scripts) lists no script, only blank or comment lines");
        *exit_status = EXIT_USAGE;
    } else if (!runs) {
        fprintf(stderr, "csprof ci: out of memory reading CSPROF_SCRIPTS\n");
    }
    for (size_t i = 0; i < *n; i++) {
        if (runs) ci_run_init(&runs[i], &scripts[i]);
        else ci_script_free(&scripts[i]);
    }
    free(scripts);
    return runs;
}

/* summary.md in the output directory, and unless deferred (ci_links.h)
 * the job summary. Returns summary.md's path (NULL: out of memory). */
static char *write_summary(const ci_settings *s, const script_run *runs, size_t n,
                           const char *html_path) {
    size_t len = 0;
    char *job_md = ci_render_summary(s, runs, n, &len);
    char *summary_path = ci_asprintf("%s/summary.md", s->output_dir);
    bool deferred = false;
    if (ci_env_bool("CSPROF_SUMMARY_DEFERRED", false, &deferred)) deferred = false;
    if (job_md && summary_path) {
        const char *failed_step;
        if (atomic_write(summary_path, job_md, len, &failed_step) != 0) {
            ci_warning("cannot %s %s: %s", failed_step, summary_path, strerror(errno));
        } else if (!deferred) {
            /* Nobody uploads the page: the summary says where it is. */
            ci_report_link l = {.html_path = html_path, .why = "csprof ci does not upload it"};
            ci_links_finish(summary_path, ci_env("GITHUB_STEP_SUMMARY"), &l);
        }
    } else {
        ci_warning("out of memory writing the summary");
    }
    free(job_md);
    return summary_path;
}

/* Says which scripts regressed; 1 when fail-on-regression asks to fail. */
static int judge_regressions(const ci_settings *s, const script_run *runs, size_t n) {
    int status = 0;
    for (size_t i = 0; i < n; i++) {
        if (!runs[i].regressed) continue;
        printf("%s title=csprof::%s got slower since the baseline (see the job summary)\n",
               s->fail_on_regression ? "::error" : "::warning", runs[i].script.name);
        if (s->fail_on_regression) status = 1;
    }
    /* The plain duration rule, for teams that ask for it. */
    for (size_t i = 0; s->fail_on_wall && i < n; i++) {
        if (!runs[i].wall_beyond) continue;
        printf("::error title=csprof::%s took %+.1f%% wall time against its baseline, beyond the "
               "%g%% threshold (fail-on-regression: wall)\n", runs[i].script.name,
               runs[i].wall_change_pct, s->threshold);
        status = 1;
    }
    return status;
}

/* Says which scripts failed; 1 when fail-on-script-error asks to fail. */
static int judge_script_errors(const ci_settings *s, const script_run *runs, size_t n) {
    int status = 0;
    for (size_t i = 0; i < n; i++) {
        const script_run *r = &runs[i];
        if (!r->script_failed) continue;
        fputs(s->fail_on_script_error ? "::error title=csprof::" : "::warning title=csprof::", stdout);
        char msg[1024];
        if (r->exit_status >= 0)
            snprintf(msg, sizeof msg, "%s exited with status %d%s%.300s", r->script.line,
                     r->exit_status, r->stderr_tail[0] ? ": " : "", r->stderr_tail);
        else
            snprintf(msg, sizeof msg, "%s", r->problem ? r->problem : "failed");
        ci_put_escaped(stdout, msg, false);
        fputc('\n', stdout);
        if (s->fail_on_script_error) status = 1;
    }
    return status;
}

/* Everything after the scripts ran: annotations, reports, step outputs,
 * the verdict lines; the exit status. */
static int report(const ci_settings *s, const script_run *runs, size_t n) {
    if (s->annotations) ci_emit_annotations(runs, n, ci_flamegraph_where(s));
    char *html_path = ci_write_html(s, runs, n);
    char *summary_path = write_summary(s, runs, n, html_path);
    bool regressed = false;
    for (size_t i = 0; i < n; i++) regressed |= runs[i].regressed;
    ci_write_step_outputs(s->output_dir, summary_path, html_path, runs, n, regressed);
    int status = judge_regressions(s, runs, n);
    status |= judge_script_errors(s, runs, n);
    fflush(stdout);
    free(summary_path);
    free(html_path);
    return status;
}

/* Runs every script and reports; the exit status. */
static int run_all(const ci_settings *s, script_run *runs, size_t n) {
    if (output_mkdir(s->output_dir) != 0) {
        ci_warning("cannot create the output directory %s: %s; nothing was profiled", s->output_dir,
                   strerror(errno));
        return 0;
    }
    if (s->workdir && chdir(s->workdir) != 0) {
        ci_error("cannot enter the working directory %s: %s", s->workdir, strerror(errno));
        return EXIT_USAGE;
    }
    /* Lines that could not be read are reported with the script errors. */
    for (size_t i = 0; i < n; i++)
        if (runs[i].script.argv) ci_run_script(s, &runs[i], n);
    return report(s, runs, n);
}

int cmd_ci(int argc, char **argv) {
    if (argc > 1) {
        if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
            fputs(usage, stdout);
            return 0;
        }
        if (!strcmp(argv[1], "--finish") && argc == 2) return ci_links_main();
        fprintf(stderr, "csprof ci: takes no arguments; settings come from CSPROF_* variables (try: csprof ci --help)\n");
        return EXIT_USAGE;
    }
    ci_settings s;
    int status = EXIT_USAGE;
    if (ci_settings_load(&s) == 0) {
        size_t n = 0;
        script_run *runs = make_runs(&s, &n, &status);
        if (runs) status = run_all(&s, runs, n);
        free_runs(runs, n);
    }
    ci_settings_free(&s);
    return status;
}
