/* fmt_html.c -- the HTML report (fmt_html.h): a page for one or more
 * scripts, with fmt_svg.c's flamegraphs inline. */
#include "fmt_html.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "compare.h"
#include "fmt_svg.h"
#include "output.h"
#include "sumfmt.h"
#include "report_assets.h"   /* generated: report_css, report_js */

/* Text for element content or an attribute value. Control characters
 * (none is valid in a name) become spaces. */
static void put_html(FILE *out, const char *s) {
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        switch (c) {
        case '&': fputs("&amp;", out); break;
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '"': fputs("&quot;", out); break;
        case '\'': fputs("&#39;", out); break;
        default: fputc(c < 0x20 || c == 0x7f ? ' ' : c, out);
        }
    }
}

/* The anchor form of a name: the characters ci allows in report names. */
static void put_anchor(FILE *out, const char *prefix, const char *name) {
    fputs(prefix, out);
    for (const char *c = name; c && *c; c++) {
        bool ok = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
                  *c == '.' || *c == '_' || *c == '-';
        fputc(ok ? *c : '_', out);
    }
}

static void put_seconds(FILE *out, double sec) {
    char b[32];
    fmt_secs(b, sizeof b, sec);
    fputs(b, out);
}

static void put_count(FILE *out, uint64_t v) {
    char d[32];
    int n = snprintf(d, sizeof d, "%llu", (unsigned long long)v);
    for (int i = 0; i < n; i++) {
        if (i && (n - i) % 3 == 0) fputc(',', out);
        fputc(d[i], out);
    }
}

/* "wall 1.23 s · exit 0 · 1,234 samples · verdict" */
static void write_headline(FILE *out, const html_script *s) {
    const prof_meta *m = prof_meta_get(s->p);
    fputs("<p class=\"headline\">Wall time <b>", out);
    put_seconds(out, m->wall_seconds);
    fputs("</b> · exit <b>", out);
    if (m->exit_status >= 0) fprintf(out, "%s%d", m->exit_status ? "❌ " : "", m->exit_status);
    else fputs("?", out);
    fputs("</b> · <b>", out);
    put_count(out, prof_total_samples(s->p));
    fputs("</b> samples", out);
    if (s->verdict) {
        fputs(" · since baseline: <b>", out);
        put_html(out, s->verdict);
        fputs("</b>", out);
    }
    fputs("</p>\n<p class=\"facts\">", out);
    if (m->argc > 0) {
        fputs("<code>", out);
        for (int i = 0; i < m->argc; i++) {
            if (i) fputc(' ', out);
            put_html(out, m->argv[i]);
        }
        fputs("</code>", out);
    }
    if (m->python_version) {
        fputs(" · Python ", out);
        put_html(out, m->python_version);
    }
    if (m->start_time) {
        fputs(" · ", out);
        put_html(out, m->start_time);
    }
    if (m->git_commit) {
        fprintf(out, " · commit %.12s", m->git_commit);
    }
    if (m->note) {
        fputs(" · note: ", out);
        put_html(out, m->note);
    }
    fputs("</p>\n", out);
}

/* The top functions by self time: the same ranking as the job summary's
 * table (prof_function_stats), files in the machine-independent form of
 * compare.h (workspace-relative, stdlib/..., site-packages/...). */
static int write_top(FILE *out, const profile *p, int top_n) {
    prof_func_stat *st = NULL;
    long n = prof_function_stats(p, &st);
    if (n < 0) return -1;
    uint64_t total = prof_total_samples(p);
    double sps = prof_seconds_per_sample(p);
    const prof_meta *m = prof_meta_get(p);
    const char *ws = m->workspace ? m->workspace : m->cwd;
    fprintf(out, "<h3>Top %d functions by self time</h3>\n", top_n);
    if (n == 0 || total == 0) {
        fputs("<p>No samples were recorded.</p>\n", out);
        free(st);
        return 0;
    }
    fputs("<table class=\"top\"><thead><tr><th class=\"num\">#</th><th>Function</th><th>Where</th>"
          "<th class=\"num\">Self</th><th class=\"num\">Self share</th><th class=\"num\">Total share</th>"
          "<th>Kind</th></tr></thead><tbody>\n", out);
    int rc = 0;
    for (long i = 0; i < n && i < top_n; i++) {
        char *file = st[i].file ? cmp_key_file(st[i].file, ws) : NULL;
        if (st[i].file && !file) {
            rc = -1;
            break;
        }
        fprintf(out, "<tr><td class=\"num\">%ld</td><td><code>", i + 1);
        put_html(out, st[i].function);
        fputs("</code></td><td><code>", out);
        put_html(out, file ? file : "");
        int line = st[i].hot_line > 0 ? st[i].hot_line : st[i].first_line;
        if (file && line > 0) fprintf(out, ":%d", line);
        fputs("</code></td><td class=\"num\">", out);
        put_seconds(out, (double)st[i].self * sps);
        fprintf(out, "</td><td class=\"num\">%.1f%%</td><td class=\"num\">%.1f%%</td><td>",
                100.0 * (double)st[i].self / (double)total, 100.0 * (double)st[i].total / (double)total);
        put_html(out, code_kind_name(classify_func(p, st[i].file, st[i].type)));
        fputs("</td></tr>\n", out);
        free(file);
    }
    fputs("</tbody></table>\n", out);
    free(st);
    return rc;
}

/* One flamegraph: the inline SVG and the data report.js reads. */
static int write_flame(FILE *out, const profile *p, const profile *base, const char *caption) {
    output_opts oo;
    output_opts_init(&oo);
    oo.base = base;
    svg_embedded e;
    if (svg_render_embedded(p, &oo, &e)) return -1;
    fputs("<figure class=\"fg\">\n", out);
    fwrite(e.svg, 1, e.svg_len, out);
    fputs("<script type=\"application/json\" class=\"fg-data\">", out);
    fwrite(e.data, 1, e.data_len, out);
    fputs("</script>\n<figcaption>", out);
    put_html(out, caption);
    fputs("</figcaption>\n</figure>\n", out);
    svg_embedded_free(&e);
    return 0;
}

static int write_section(FILE *out, const html_script *s, int top_n) {
    fputs("<section class=\"script\" id=\"", out);
    put_anchor(out, "s-", s->name);
    fputs("\">\n<h2>", out);
    put_html(out, s->name);
    fputs("</h2>\n", out);
    if (s->problem) {
        fputs("<p class=\"problem\">⚠️ ", out);
        put_html(out, s->problem);
        fputs("</p>\n", out);
    }
    if (!s->p) {
        fputs("</section>\n", out);
        return 0;
    }
    write_headline(out, s);
    if (write_top(out, s->p, top_n)) return -1;
    fputs("<h3>Flamegraph</h3>\n", out);
    if (write_flame(out, s->p, NULL,
                    "Width = share of samples, colour = kind of code; hover a bar for its tooltip. "
                    "With JavaScript: click a bar to zoom, search with the box at the top."))
        return -1;
    if (s->base) {
        fputs("<h3 id=\"", out);
        put_anchor(out, "d-", s->name);
        fputs("\">Differential flamegraph against the baseline</h3>\n", out);
        if (write_flame(out, s->p, s->base,
                        "This run's shape; red where a call path's share of the samples grew since "
                        "the baseline, blue where it shrank."))
            return -1;
    }
    fputs("</section>\n", out);
    return 0;
}

static void write_index(FILE *out, const html_script *s, size_t n) {
    fputs("<table class=\"index\"><thead><tr><th>Script</th><th class=\"num\">Wall time</th>"
          "<th class=\"num\">Exit</th><th class=\"num\">Samples</th><th>Since baseline</th>"
          "</tr></thead><tbody>\n", out);
    for (size_t i = 0; i < n; i++) {
        fputs("<tr><td><a href=\"#", out);
        put_anchor(out, "s-", s[i].name);
        fputs("\"><code>", out);
        put_html(out, s[i].name);
        fputs("</code></a></td>", out);
        if (s[i].p) {
            const prof_meta *m = prof_meta_get(s[i].p);
            fputs("<td class=\"num\">", out);
            put_seconds(out, m->wall_seconds);
            fputs("</td><td class=\"num\">", out);
            if (m->exit_status >= 0) fprintf(out, "%d", m->exit_status);
            else fputs("?", out);
            fputs("</td><td class=\"num\">", out);
            put_count(out, prof_total_samples(s[i].p));
            fputs("</td>", out);
        } else {
            fputs("<td colspan=\"3\">not profiled</td>", out);
        }
        fputs("<td>", out);
        if (s[i].base) {
            fputs("<a href=\"#", out);
            put_anchor(out, "d-", s[i].name);
            fputs("\">", out);
        }
        put_html(out, s[i].verdict ? s[i].verdict : s[i].base ? "compared" : "—");
        fputs(s[i].base ? "</a></td></tr>\n" : "</td></tr>\n", out);
    }
    fputs("</tbody></table>\n", out);
}

int write_html_report(FILE *out, const html_script *s, size_t n, const html_opts *o) {
    const char *title = o && o->title && *o->title ? o->title : "csprof report";
    int top_n = o && o->top_n > 0 && o->top_n <= 100 ? o->top_n : 10;
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>", out);
    put_html(out, title);
    fputs("</title>\n<style>\n", out);
    fputs(report_css, out);
    fputs("</style>\n</head>\n<body>\n<main>\n<h1>", out);
    put_html(out, title);
    fputs("</h1>\n", out);
    fputs("<div id=\"searchbar\" hidden><label>Search functions and files (regular expression): "
          "<input id=\"searchinput\" type=\"search\" autocomplete=\"off\"></label> "
          "<button id=\"searchclear\" type=\"button\">Clear</button><span id=\"searchinfo\"></span>"
          "</div>\n", out);
    fputs("<noscript><p class=\"nojs\">JavaScript is off: everything is here, hover a bar for its "
          "details; zoom and search need JavaScript.</p></noscript>\n", out);
    write_index(out, s, n);
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++) rc = write_section(out, &s[i], top_n);
    fputs("<p class=\"nojs\">Made by csprof.</p>\n</main>\n<script>\n", out);
    fputs(svg_flame_script(), out);   /* defines csprofFlame, which report.js calls */
    fputs(report_js, out);
    fputs("</script>\n</body>\n</html>\n", out);
    if (rc) {
        fprintf(stderr, "csprof: cannot render the HTML report: out of memory\n");
        return -1;
    }
    if (fflush(out) != 0 || ferror(out)) {
        fprintf(stderr, "csprof: cannot write the HTML report: %s (check disk space and permissions)\n",
                strerror(errno));
        return -1;
    }
    return 0;
}

/* The registry's writer: a page for one profile (and its baseline). */
int write_html(const profile *p, FILE *out, const output_opts *o) {
    const prof_meta *m = prof_meta_get(p);
    html_script s = {.name = m->name && *m->name ? m->name : "profile", .p = p,
                     .base = o ? o->base : NULL};
    html_opts ho = {.title = o ? o->title : NULL, .top_n = o && o->top_n > 3 ? o->top_n : 10};
    return write_html_report(out, &s, 1, &ho);
}
