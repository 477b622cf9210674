/* ci_baseline.c -- finding, comparing with and keeping a script's baseline
 * (ci_baseline.h). */
#include "ci_baseline.h"

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomicfile.h"
#include "ci_say.h"
#include "ci_spawn.h"
#include "ci_summary.h"
#include "output.h"

#define DIFF_MD_MAX (16 * 1024)

char *ci_baseline_for(const ci_settings *s, const char *name, size_t nscripts) {
    const char *b = s->baseline;
    if (!strcasecmp(b, "none")) return NULL;
    char *abs = NULL;
    if (!strcasecmp(b, "auto")) {
        if (!s->baseline_dir) return NULL;
        abs = ci_absolute(s->start_dir, s->baseline_dir);
    } else {
        abs = ci_absolute(s->start_dir, b);
    }
    if (!abs) return NULL;
    struct stat st;
    if (stat(abs, &st) != 0) {
        free(abs);
        return NULL;
    }
    char *path = NULL;
    if (S_ISDIR(st.st_mode)) {
        path = ci_asprintf("%s/%s.json", abs, name);
        if (path && access(path, R_OK) != 0) {
            free(path);
            path = NULL;
        }
    } else {
        const char *base = strrchr(abs, '/') ? strrchr(abs, '/') + 1 : abs;
        size_t nl = strlen(name);
        if (nscripts == 1 || (!strncmp(base, name, nl) && !strcmp(base + nl, ".json")))
            path = ci_strdup(abs);
    }
    free(abs);
    return path;
}

/* NAME.history.json where the baseline is looked for; NULL when there is
 * no baseline to look in. */
static char *history_path(const ci_settings *s, const char *name, size_t nscripts) {
    const char *b = s->baseline;
    if (!strcasecmp(b, "none") || (!strcasecmp(b, "auto") && !s->baseline_dir)) return NULL;
    char *abs = ci_absolute(s->start_dir, strcasecmp(b, "auto") ? b : s->baseline_dir);
    struct stat st;
    char *path = NULL;
    if (abs && stat(abs, &st) == 0 && S_ISDIR(st.st_mode)) {
        path = ci_asprintf("%s/%s.history.json", abs, name);
    } else {
        char *base = ci_baseline_for(s, name, nscripts);
        size_t n = base ? strlen(base) : 0;
        if (n > 5 && !strcmp(base + n - 5, ".json")) n -= 5;
        if (base) path = ci_asprintf("%.*s.history.json", (int)n, base);
        free(base);
    }
    free(abs);
    return path;
}

int ci_read_history(const ci_settings *s, script_run *r, const profile *p, size_t nscripts,
                    history *h, hist_run *cur) {
    const char *name = r->script.name;
    if (hist_run_from_profile(p, ci_env("GITHUB_SHA"), cur)) {
        ci_warning("out of memory recording the history of %s", name);
        return -1;
    }
    char err[600];
    char *path = history_path(s, name, nscripts);
    int rc = path ? hist_load(path, name, h, err, sizeof err) : hist_init(h, name);
    if (rc == 1)
        ci_warning("%s; starting a fresh history of %s (this run is kept)", err, name);
    if (rc < 0) {
        ci_warning("out of memory reading the history of %s", name);
        hist_run_free(cur);
        free(path);
        return -1;
    }
    char *md = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&md, &len);
    if (out) {
        hist_write_trend_md(out, h, cur, 30);
        if (fclose(out) == 0 && len) r->trend_md = md;
        else free(md);
    }
    if (rc == 0 && h->n) r->hist_path = path;
    else free(path);
    return 0;
}

/* Copies through atomicfile.h, so a link planted in the save directory
 * (NAME.json or any temporary name) is never written through. 0, or -1
 * with errno. */
static int copy_file(const char *from, const char *to) {
    FILE *in = fopen(from, "rbe");
    if (!in) return -1;
    afile a;
    if (afile_open(&a, to) != 0) {
        int e = errno;
        fclose(in);
        errno = e;
        return -1;
    }
    char buf[65536];
    size_t n;
    bool bad = false;
    while (!bad && (n = fread(buf, 1, sizeof buf, in)) > 0) bad = fwrite(buf, 1, n, a.f) != n;
    bad = bad || ferror(in);
    int e = errno;
    fclose(in);  /* read only: nothing to lose when closing fails */
    if (afile_commit(&a, bad) != 0) {
        errno = bad ? e : errno;
        return -1;
    }
    return 0;
}

void ci_keep_baseline(const ci_settings *s, const script_run *r, const char *json_path,
                      history *h, hist_run *cur) {
    const char *name = r->script.name;
    char *to = ci_asprintf("%s/%s.json", s->save_dir, name);
    if (!to || output_mkdir(s->save_dir) != 0 || copy_file(json_path, to) != 0)
        ci_warning("could not keep %s as the next baseline in %s: %s", name, s->save_dir,
                   strerror(errno));
    free(to);
    if (!h) return;
    to = ci_asprintf("%s/%s.history.json", s->save_dir, name);
    if (to && (output_mkdir(s->save_dir) != 0 || hist_append(h, cur) || hist_save(h, to)))
        ci_warning("could not keep the history of %s in %s: %s", name, s->save_dir, strerror(errno));
    free(to);
}

/* "`a`, `b`, `c`" from the diff JSON's slower/faster list (at most 5). */
static char *function_list(json_t *arr) {
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    if (!out) return NULL;
    size_t n = json_array_size(arr);
    for (size_t i = 0; i < n && i < 5; i++) {
        const char *f = json_string_value(json_object_get(json_array_get(arr, i), "function"));
        if (!f) continue;
        fputs(i ? ", " : "", out);
        ci_md_code(out, f);
    }
    if (n > 5) fprintf(out, " and %zu more", n - 5);
    if (fclose(out) != 0 || !len) {
        free(buf);
        return NULL;
    }
    return buf;
}

/* What `csprof diff` found, from its STEM.json and STEM.md. */
static void read_comparison(script_run *r, const char *stem) {
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s.json", stem);
    json_error_t jerr;
    json_t *j = json_load_file(path, 0, &jerr);
    if (!j) {
        ci_warning("cannot read the comparison %s: %s", path, jerr.text);
        return;
    }
    r->compared = true;
    r->regressed = json_is_true(json_object_get(j, "regressed"));
    json_t *w = json_object_get(j, "wall_seconds");
    r->wall_beyond = json_is_true(json_object_get(w, "beyond_threshold"));
    r->wall_change_pct = json_number_value(json_object_get(w, "change_pct"));
    const char *v = json_string_value(json_object_get(j, "verdict"));
    snprintf(r->verdict, sizeof r->verdict, "%s", v ? v : "");
    r->slower = function_list(json_object_get(j, "slower"));
    r->faster = function_list(json_object_get(j, "faster"));
    json_decref(j);
    snprintf(path, sizeof path, "%s.md", stem);
    r->diff_md = ci_read_section(path, DIFF_MD_MAX, "comparison", r->script.name);
}

void ci_compare_with_baseline(const ci_settings *s, script_run *r, const char *profile_json,
                              size_t nscripts) {
    char *base = ci_baseline_for(s, r->script.name, nscripts);
    if (!base) return;
    r->has_baseline = true;
    r->base_path = base;
    char *stem = ci_asprintf("%s/%s.diff", s->output_dir, r->script.name);
    char *threshold = ci_asprintf("%g", s->threshold);
    char *hist = r->hist_path;
    if (stem && threshold) {
        char *argv[] = {"csprof", "diff", base, (char *)profile_json, "-f", "md,json,svg",
                        "-o", stem, "-n", r->script.name, "--threshold", threshold,
                        hist ? "--history" : NULL, hist, NULL};
        int rc = ci_run_self(argv, NULL);
        if (rc == 0) {
            read_comparison(r, stem);
        } else {
            ci_warning("could not compare %s with its baseline %s (csprof diff exited %d)",
                       r->script.name, base, rc);
            free(r->problem);
            r->problem = ci_asprintf("could not compare with the baseline (csprof diff exited %d)", rc);
        }
    }
    free(stem);
    free(threshold);
}
