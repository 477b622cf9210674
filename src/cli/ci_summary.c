/* ci_summary.c -- the job summary, each script's summary and the HTML
 * report of a csprof ci run (ci_summary.h). */
#include "ci_summary.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "ci_annotate.h"
#include "ci_links.h"
#include "ci_say.h"
#include "fmt_html.h"
#include "md.h"
#include "numfmt.h"
#include "output.h"

#define SCRIPT_MD_MAX (24 * 1024)

void ci_md_code(FILE *out, const char *s) {
    sbuf b;
    sbuf_init(&b, SBUF_NO_LIMIT);
    fputs(md_code_span(&b, s, 80, true) ? sbuf_str(&b) : "`?`", out);
    sbuf_free(&b);
}

char *ci_read_section(const char *path, size_t max, const char *what, const char *name) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *buf = malloc(max + 1);
    if (!buf) {
        fclose(f);
        return NULL;
    }
    size_t n = fread(buf, 1, max, f);
    bool more = fgetc(f) != EOF;
    bool bad = ferror(f);
    fclose(f);  /* read only: nothing to lose when closing fails */
    if (bad) {
        free(buf);
        return NULL;
    }
    if (more)
        while (n > 0 && buf[n - 1] != '\n') n--;
    buf[n] = '\0';
    if (!more) return buf;
    char *cut = ci_asprintf("%s\n_(cut to keep the summary small: the whole %s is %s.md)_\n", buf,
                            what, name);
    free(buf);
    return cut;
}

const char *ci_flamegraph_where(const ci_settings *s) {
    static char where[PATH_MAX + 128];
    bool upload = false;
    if (ci_env("CSPROF_UPLOAD") && ci_env_bool("CSPROF_UPLOAD", false, &upload) != 0) upload = false;
    if (upload)
        snprintf(where, sizeof where, "in the performance-flamegraphs%s artifact",
                 ci_env("CSPROF_ARTIFACT_SUFFIX") ? ci_env("CSPROF_ARTIFACT_SUFFIX") : "");
    else
        snprintf(where, sizeof where, "in %s", s->output_dir);
    return where;
}

void ci_summarise(const ci_settings *s, script_run *r, const profile *p) {
    const char *name = r->script.name;
    output_opts oo;
    output_opts_init(&oo);
    oo.top_n = s->top;
    oo.server_url = ci_env("GITHUB_SERVER_URL");
    oo.repository = ci_env("GITHUB_REPOSITORY");
    oo.sha = ci_env("GITHUB_SHA");
    oo.stderr_tail = r->stderr_tail[0] ? r->stderr_tail : NULL;
    char *flame = output_list_has(s->formats, "svg")
                      ? ci_asprintf("%s.svg %s", name, ci_flamegraph_where(s)) : NULL;
    oo.flamegraph = flame;
    ci_find_hot_spots(s, r, p, &oo);
    if (output_write_all(p, s->output_dir, name, "md", &oo, 0) == 0) {
        char *md = ci_asprintf("%s/%s.md", s->output_dir, name);
        r->profile_md = md ? ci_read_section(md, SCRIPT_MD_MAX, "report", name) : NULL;
        free(md);
    } else {
        ci_warning("could not write the Markdown summary of %s", name);
    }
    free(flame);
}

static const char *verdict_label(const script_run *r, const ci_settings *s) {
    if (!r->profiled) return "—";
    if (!r->has_baseline) return !strcasecmp(s->baseline, "none") ? "—" : "no baseline yet";
    if (!r->compared) return "⚠️ not compared";
    if (!strcmp(r->verdict, "regressed")) return "🔴 regression";
    if (!strcmp(r->verdict, "faster")) return "🟢 faster";
    if (!strcmp(r->verdict, "wall-slower")) return "🟡 wall and CPU time up";
    if (!strcmp(r->verdict, "not-compared")) return "⚪ not compared";
    return "⚪ no significant change";
}

/* On a pull request the summary leads with the verdict against the
 * default branch's latest baseline, the functions that changed, and the
 * differential flamegraph's link. */
static void write_pr_lead(const ci_settings *s, const script_run *runs, size_t n, FILE *out) {
    const char *event = ci_env("GITHUB_EVENT_NAME");
    if (!event || strcmp(event, "pull_request")) return;
    bool any = false;
    for (size_t i = 0; i < n; i++) any |= runs[i].compared;
    if (!any) {
        fputs("**This pull request against the default branch:** no baseline profile to compare "
              "with yet (a push to the default branch saves one).\n\n", out);
        return;
    }
    fputs("**This pull request against the default branch's latest baseline:**\n\n", out);
    for (size_t i = 0; i < n; i++) {
        const script_run *r = &runs[i];
        if (!r->compared) continue;
        fputs("- ", out);
        ci_md_code(out, r->script.name);
        fprintf(out, ": %s", verdict_label(r, s));
        if (r->slower) fprintf(out, "; significantly slower: %s", r->slower);
        if (r->faster) fprintf(out, "; significantly faster: %s", r->faster);
        fprintf(out, ".\n" CI_LINK_DIFF "%s-->\n", r->script.name);
    }
    fputc('\n', out);
}

/* The table's row of one script. */
static void write_row(const ci_settings *s, const script_run *r, FILE *out) {
    char t[32];
    fmt_secs(t, sizeof t, r->seconds);
    fputs("| ", out);
    ci_md_code(out, r->script.name);
    fprintf(out, " | %s | ", t);
    if (r->cpu_seconds > 0) {
        fmt_secs(t, sizeof t, r->cpu_seconds);
        fprintf(out, "%s | ", t);
    } else {
        fputs("— | ", out);
    }
    if (r->max_rss_bytes > 0) fprintf(out, "%s | ", fmt_bytes(t, sizeof t, (double)r->max_rss_bytes));
    else fputs("— | ", out);
    if (r->exit_status >= 0) fprintf(out, "%s%d", r->exit_status ? "❌ " : "", r->exit_status);
    else fputs("?", out);
    fputs(" | ", out);
    if (r->top_function) {
        ci_md_code(out, r->top_function);
        if (r->top_line > 0) fprintf(out, " line %d", r->top_line);
        fprintf(out, " %.1f%%", r->top_self_pct);
    } else {
        fputs("—", out);
    }
    fprintf(out, " | %s |\n", verdict_label(r, s));
}

/* text, ending in a newline even when the file did not. */
static void put_section(const char *text, FILE *out) {
    fputs(text, out);
    if (text[0] && text[strlen(text) - 1] != '\n') fputc('\n', out);
}

/* The details of one script: its problem, its own summary, the comparison
 * with its baseline (or why there is none) and its trend. */
static void write_details(const ci_settings *s, const script_run *r, FILE *out) {
    fputs("\n---\n\n", out);
    if (r->problem) {
        fputs("> ⚠️ ", out);
        ci_md_code(out, r->script.name);
        fputs(": ", out);
        for (const char *c = r->problem; *c; c++) fputc(*c == '\n' ? ' ' : *c, out);
        fputs("\n\n", out);
    }
    if (r->profile_md) put_section(r->profile_md, out);
    if (r->profiled) fprintf(out, "\n" CI_LINK_FLAME "%s-->\n", r->script.name);
    if (r->diff_md) {
        fputc('\n', out);
        put_section(r->diff_md, out);
        fprintf(out, "\n" CI_LINK_DIFF "%s-->\n", r->script.name);
    } else if (r->profiled && !r->has_baseline && strcasecmp(s->baseline, "none")) {
        fputs("\n_No baseline profile for ", out);
        ci_md_code(out, r->script.name);
        fputs(" yet: with the action, each push to the default branch saves one for later runs to compare with._\n", out);
    }
    if (r->trend_md) fputs(r->trend_md, out);
}

static size_t len_or_0(const char *s) { return s ? strlen(s) : 0; }

char *ci_render_summary(const ci_settings *s, const script_run *runs, size_t n, size_t *len) {
    char *buf = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&buf, &size);
    if (!out) return NULL;
    fputs("## csprof: where the time went\n\n" CI_LINK_REPORT "\n\n", out);
    write_pr_lead(s, runs, n, out);
    fputs("| Script | Wall time | CPU time | Peak RSS | Exit | Top bottleneck | Since baseline |\n"
          "|---|--:|--:|--:|--:|---|---|\n", out);
    for (size_t i = 0; i < n; i++) write_row(s, &runs[i], out);
    fputc('\n', out);
    bool budget_hit = false;
    for (size_t i = 0; i < n; i++) {
        const script_run *r = &runs[i];
        fflush(out);  /* so size is what has been written so far */
        size_t need = len_or_0(r->profile_md) + len_or_0(r->diff_md) + len_or_0(r->trend_md) + 1024;
        if (size + need > (size_t)s->summary_max) {
            if (!budget_hit)
                fputs("\n_Further details are left out to keep this summary small; every script's "
                      "NAME.md and NAME.diff.md are in the output directory._\n", out);
            budget_hit = true;
            continue;
        }
        write_details(s, r, out);
    }
    if (fclose(out) != 0) {
        free(buf);
        return NULL;
    }
    *len = size;
    return buf;
}

/* The report's file name: CSPROF_ARTIFACT_SUFFIX with only [A-Za-z0-9._-]
 * kept as they are (the rest as '_'), cut to fit. */
static char *html_path(const ci_settings *s) {
    char suffix[64] = "";
    const char *sfx = ci_env("CSPROF_ARTIFACT_SUFFIX");
    for (size_t i = 0, k = 0; sfx && sfx[i] && k + 1 < sizeof suffix; i++, k++) {
        char c = sfx[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '_' || c == '-';
        suffix[k] = ok ? c : '_';
        suffix[k + 1] = '\0';
    }
    return ci_asprintf("%s/performance-report%s.html", s->output_dir, suffix);
}

/* Writes the page to path through path.tmp and a rename. 0, or -1 with
 * errno. */
static int write_html_file(const char *path, const html_script *hs, size_t n, int top) {
    char *tmp = ci_asprintf("%s.tmp", path);
    FILE *f = tmp ? fopen(tmp, "wb") : NULL;
    html_opts ho = {.title = "csprof: where the time went", .top_n = top > 10 ? top : 10};
    int rc = f ? write_html_report(f, hs, n, &ho) : -1;
    if (f && fclose(f) != 0) rc = -1;
    if (rc == 0 && rename(tmp, path) != 0) rc = -1;
    if (rc && tmp) {
        int e = errno;
        unlink(tmp);
        errno = e;
    }
    free(tmp);
    return rc;
}

char *ci_write_html(const ci_settings *s, const script_run *runs, size_t n) {
    char *path = html_path(s);
    html_script *hs = calloc(n ? n : 1, sizeof *hs);
    if (!path || !hs) {
        free(path);
        free(hs);
        ci_warning("out of memory writing the HTML report");
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        const script_run *r = &runs[i];
        char err[512];
        hs[i].name = r->script.name;
        hs[i].problem = r->problem;
        char *json = r->profiled ? ci_asprintf("%s/%s.json", s->output_dir, r->script.name) : NULL;
        if (json) hs[i].p = read_profile_json(json, err, sizeof err);
        if (r->compared && r->base_path) hs[i].base = read_profile_json(r->base_path, err, sizeof err);
        if (hs[i].base) hs[i].verdict = verdict_label(r, s);
        free(json);
    }
    if (write_html_file(path, hs, n, s->top)) {
        ci_warning("could not write the HTML report %s: %s", path, strerror(errno));
        free(path);
        path = NULL;
    }
    for (size_t i = 0; i < n; i++) {
        prof_free((profile *)hs[i].p);
        prof_free((profile *)hs[i].base);
    }
    free(hs);
    return path;
}
