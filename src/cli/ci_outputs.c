/* ci_outputs.c -- the step outputs of csprof ci (ci_outputs.h). */
#include "ci_outputs.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ci_say.h"
#include "ci_settings.h"

static json_t *top_function(const script_run *r) {
    if (!r->top_function) return json_null();
    return json_pack("{s:s,s:s?,s:i,s:f}", "name", r->top_function, "file", r->top_file, "line",
                     r->top_line, "self_pct", r->top_self_pct);
}

static json_t *result(const script_run *r) {
    json_t *o = json_pack("{s:s,s:s,s:f,s:b,s:b,s:b,s:b}", "name", r->script.name, "command",
                          r->script.line, "duration_s", r->seconds, "profiled", r->profiled,
                          "baseline", r->has_baseline, "compared", r->compared, "regressed",
                          r->regressed);
    if (!o) return NULL;
    int bad = json_object_set_new(o, "exit_status", r->exit_status >= 0 ? json_integer(r->exit_status) : json_null());
    bad |= json_object_set_new(o, "verdict", r->compared ? json_string(r->verdict) : json_null());
    bad |= json_object_set_new(o, "cpu_s", r->cpu_seconds > 0 ? json_real(r->cpu_seconds) : json_null());
    bad |= json_object_set_new(o, "max_rss_bytes",
                               r->max_rss_bytes > 0 ? json_integer((json_int_t)r->max_rss_bytes) : json_null());
    bad |= json_object_set_new(o, "top_function", top_function(r));
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* The results output; NULL when out of memory. */
static char *results_json(const script_run *runs, size_t n) {
    json_t *arr = json_array();
    if (!arr) return NULL;
    for (size_t i = 0; i < n; i++) {
        if (json_array_append_new(arr, result(&runs[i]))) {
            json_decref(arr);
            return NULL;
        }
    }
    char *s = json_dumps(arr, JSON_COMPACT | JSON_REAL_PRECISION(6));
    json_decref(arr);
    return s;
}

/* name<<DELIM / value / DELIM, with a delimiter the value cannot contain. */
static int write_output(FILE *f, const char *name, const char *value) {
    char delim[64];
    unsigned long long seed = (unsigned long long)time(NULL) ^ ((unsigned long long)getpid() << 20);
    for (int tries = 0;; tries++) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        snprintf(delim, sizeof delim, "csprof_%016llx", seed);
        if (!strstr(value, delim)) break;
        if (tries > 100) return -1;
    }
    return fprintf(f, "%s<<%s\n%s\n%s\n", name, delim, value, delim) < 0 ? -1 : 0;
}

void ci_write_step_outputs(const char *output_dir, const char *summary_path,
                           const char *html_path, const script_run *runs, size_t n,
                           bool regressed) {
    char *results = results_json(runs, n);
    const char *gho = ci_env("GITHUB_OUTPUT");
    if (gho) {
        FILE *f = fopen(gho, "ab");
        bool bad = !f || write_output(f, "output-dir", output_dir) ||
                   write_output(f, "summary", summary_path ? summary_path : "") ||
                   write_output(f, "html", html_path ? html_path : "") ||
                   write_output(f, "regressed", regressed ? "true" : "false") ||
                   write_output(f, "results", results ? results : "[]");
        int e = errno;
        /* closed exactly once, whether or not a write failed */
        if (f && fclose(f) != 0 && !bad) bad = true, e = errno;
        if (bad) ci_warning("cannot write the step outputs to %s: %s", gho, strerror(e));
    }
    free(results);
}
