/* cmd_diff.c -- `csprof diff BASE.json NEW.json`: what got slower or faster.
 *
 * The statistics live in compare.c; this file reads the two profiles,
 * renders the result (Markdown "Since baseline" section, terminal text,
 * JSON for machines, differential flamegraph through write_svg) and turns
 * the verdict into an exit status.
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "classify.h"
#include "commands.h"
#include "compare.h"
#include "atomicfile.h"
#include "md.h"
#include "numfmt.h"
#include "output.h"

static const char usage[] =
    "usage: csprof diff BASE.json NEW.json [options]\n"
    "\n"
    "Compares two profiles of the same program: which functions take a\n"
    "significantly larger (slower) or smaller (faster) share of the samples.\n"
    "Shares, not seconds, are compared, so a slower machine alone is no\n"
    "regression; the wall-time change is reported beside them.\n"
    "\n"
    "options:\n"
    "  -t, --threshold PCT     wall-time / estimated-time change that counts (default 10)\n"
    "      --min-change PP     smallest share change reported, in percentage points (default 1)\n"
    "      --alpha A           significance level on adjusted p-values (default 0.01)\n"
    "      --correction M      bh (Benjamini-Hochberg, default) or holm\n"
    "      --dispersion F      variance of a share over binomial's, >= 1 (default 2:\n"
    "                          samples of one run are not independent draws)\n"
    "      --fail-on-regression  exit 1 when a function got significantly slower\n"
    "  -f, --format LIST       text (default), md, json, svg; several comma-separated\n"
    "                          formats need -o STEM and write STEM.txt/.md/.json/.svg\n"
    "  -o, --output PATH       file to write (default: standard output)\n"
    "  -n, --name NAME         what the report calls the program (default: NEW's name)\n"
    "      --top N             rows per table (default 10)\n"
    "  -h, --help              show this help\n"
    "\n"
    "exit status: 0 compared (also with a regression, unless --fail-on-regression),\n"
    "1 regression with --fail-on-regression, 64 bad option, 66 unreadable profile,\n"
    "70 internal error, 73 output not writable.\n";

typedef struct {
    cmp_opts cmp;
    bool fail_on_regression;
    const char *formats;
    const char *output;
    const char *name;
    int top;
    const char *base_path, *new_path;
} diff_opts;

typedef struct {
    const diff_opts *o;
    const profile *base, *new_p;
    const cmp_result *r;
    const char *name;
    const char *server_url, *repository, *sha;
} diff_ctx;

static int parse_num(const char *s, double lo, double hi, double *out) {
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !(v >= lo && v <= hi)) return -1;
    *out = v;
    return 0;
}

/* ---- small formatting helpers ---- */

static const char *nonempty(const char *s) { return s && *s ? s : NULL; }

/* Untrusted names go through md.h, so nothing they hold can leave its code
 * span or table cell; an allocation failure shows as "?". */
static void put_code(FILE *out, const char *s, size_t max, bool in_table) {
    sbuf b;
    sbuf_init(&b, SBUF_NO_LIMIT);
    fputs(md_code_span(&b, s, max, in_table) ? sbuf_str(&b) : "`?`", out);
    sbuf_free(&b);
}

static void put_text(FILE *out, const char *s, size_t max) {
    sbuf b;
    sbuf_init(&b, SBUF_NO_LIMIT);
    fputs(md_plain(&b, s, max, false) ? sbuf_str(&b) : "?", out);
    sbuf_free(&b);
}

static void url_part(FILE *out, const char *s) {
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            strchr("-._~/", c))
            fputc(c, out);
        else
            fprintf(out, "%%%02X", c);
    }
}

/* "Your code" is linkable when we know where the repository is. */
static bool linkable(const diff_ctx *c, const cmp_func *f) {
    if (!c->server_url || !c->repository || !c->sha) return false;
    if (!f->key_file[0] || f->key_file[0] == '/' || f->key_file[0] == '<') return false;
    if (!strncmp(f->key_file, "stdlib/", 7) || !strncmp(f->key_file, "site-packages/", 14))
        return false;
    if (strstr(f->key_file, "../")) return false;
    return classify_func(c->new_p, f->file, f->type) == CODE_YOURS;
}

static void md_where(FILE *out, const diff_ctx *c, const cmp_func *f) {
    int line = f->hot_line > 0 ? f->hot_line : f->first_line;
    bool link = linkable(c, f);
    if (link) fputc('[', out);
    put_text(out, f->key_file[0] ? f->key_file : "?", 120);
    if (line > 0) fprintf(out, ":%d", line);
    if (link) {
        fprintf(out, "](%s/%s/blob/%s/", c->server_url, c->repository, c->sha);
        url_part(out, f->key_file);
        if (line > 0) fprintf(out, "#L%d", line);
        fputc(')', out);
    }
}

static void fmt_q(char *buf, size_t len, double q) {
    if (q < 0.001) snprintf(buf, len, "<0.001");
    else snprintf(buf, len, "%.3f", q);
}

static void fmt_ratio(char *buf, size_t len, double r) {
    if (isinf(r)) snprintf(buf, len, "new");
    else if (r >= 10) snprintf(buf, len, "×%.0f", r);
    else snprintf(buf, len, "×%.2f", r);
}

static const char *verdict_word(const cmp_result *r) {
    if (r->note) return "not-compared";
    if (r->regressed) return "regressed";
    if (r->nfaster) return "faster";
    if (r->wall_slower) return "wall-slower";
    if (r->wall_faster) return "wall-faster";
    return "same";
}

static const char *correction_name(cmp_correction c) {
    return c == CMP_HOLM ? "Holm" : "Benjamini-Hochberg";
}

/* ---- Markdown ---- */

static void md_table(FILE *out, const diff_ctx *c, cmp_direction dir, size_t count) {
    const cmp_result *r = c->r;
    fprintf(out, "\n**%s**\n\n", dir == CMP_SLOWER ? "Slower" : "Faster");
    fputs("| Function | Where | Self share | Self Δ (95% CI) | Total share | Total Δ (95% CI) | q | Est. time |\n"
          "|---|---|--:|--:|--:|--:|--:|--:|\n", out);
    size_t shown = 0;
    for (size_t i = 0; i < r->nfuncs && shown < (size_t)c->o->top; i++) {
        const cmp_func *f = &r->funcs[i];
        if (f->dir != dir) continue;
        shown++;
        char q[16], ratio[16];
        fmt_q(q, sizeof q, f->self_q);
        fmt_ratio(ratio, sizeof ratio, f->self_time_ratio);
        fputs("| ", out);
        put_code(out, f->function, 80, true);
        fputs(" | ", out);
        md_where(out, c, f);
        fprintf(out,
                " | %.1f%% → %.1f%% | **%+.1f pp** (%+.1f … %+.1f) | %.1f%% → %.1f%% | %+.1f pp (%+.1f … %+.1f) | %s | %s |\n",
                f->self.p1 * 100, f->self.p2 * 100, f->self.diff * 100, f->self.lo * 100,
                f->self.hi * 100, f->total.p1 * 100, f->total.p2 * 100, f->total.diff * 100,
                f->total.lo * 100, f->total.hi * 100, q, ratio);
    }
    if (count > shown) fprintf(out, "\n…and %zu more (see the JSON or text output).\n", count - shown);
}

static int render_md(FILE *out, const diff_ctx *c) {
    const cmp_result *r = c->r;
    const cmp_opts *o = &r->opts;
    fputs("### Since baseline: ", out);
    put_code(out, c->name, 80, false);
    fputs("\n\n", out);
    if (r->note) {
        fputs("**Verdict: ⚪ not compared** — ", out);
        put_text(out, r->note, 200);
        fputs(".\n", out);
    } else if (r->regressed) {
        fprintf(out, "**Verdict: 🔴 regression** — %zu function%s take%s a significantly larger share of the samples and more estimated time.\n",
                r->nslower, r->nslower == 1 ? "" : "s", r->nslower == 1 ? "s" : "");
    } else if (r->nfaster) {
        fprintf(out, "**Verdict: 🟢 faster** — %zu function%s take%s a significantly smaller share and less estimated time; nothing got slower.\n",
                r->nfaster, r->nfaster == 1 ? "" : "s", r->nfaster == 1 ? "s" : "");
    } else if (r->wall_slower) {
        fputs("**Verdict: 🟡 no significant shift** — but the wall time grew beyond the threshold: a slower runner, or everything slowing evenly (shares cannot tell these apart).\n", out);
    } else {
        fputs("**Verdict: ⚪ no significant change.**\n", out);
    }
    char b[32], n[32];
    fmt_secs(b, sizeof b, r->base_wall);
    fmt_secs(n, sizeof n, r->new_wall);
    fprintf(out, "\nWall time: %s → %s (%s%+.1f%%%s, threshold %.0f%%)%s\n", b, n,
            r->wall_slower || r->wall_faster ? "**" : "", r->wall_change_pct,
            r->wall_slower || r->wall_faster ? "**" : "", o->threshold_pct,
            r->wall_slower ? " ⚠️" : "");
    if (r->nslower) md_table(out, c, CMP_SLOWER, r->nslower);
    if (r->nfaster) md_table(out, c, CMP_FASTER, r->nfaster);
    fprintf(out,
            "\n<details><summary>How this was decided</summary>\n\n"
            "%llu baseline samples against %llu new ones; %zu functions with at least %llu samples "
            "were tested (%zu tests: self and total share each) with a two-proportion z-test "
            "whose variance is inflated %g× (samples of one run are not independent draws), "
            "p-values adjusted by %s (q). A function counts as slower or faster when its self "
            "share (samples where it is the running function) changed with q < %g, by at least "
            "%.1f percentage points, and its estimated time (samples × sampling interval) moved "
            "at least %.0f%% the same way. Shares are fractions of all samples, so a uniformly "
            "slower runner does not move them; the total share (samples with the function "
            "anywhere on the stack) is shown for context.\n\n"
            "</details>\n",
            (unsigned long long)r->base_samples, (unsigned long long)r->new_samples, r->ntested,
            (unsigned long long)o->min_samples, r->ntests, o->dispersion, correction_name(o->correction),
            o->alpha, o->min_share_pp, o->threshold_pct);
    return ferror(out) ? -1 : 0;
}

/* ---- text ---- */

static void text_rows(FILE *out, const diff_ctx *c, cmp_direction dir) {
    const cmp_result *r = c->r;
    fprintf(out, "%s:\n", dir == CMP_SLOWER ? "slower" : "faster");
    for (size_t i = 0; i < r->nfuncs; i++) {
        const cmp_func *f = &r->funcs[i];
        if (f->dir != dir) continue;
        char q[16], ratio[16];
        fmt_q(q, sizeof q, f->self_q);
        fmt_ratio(ratio, sizeof ratio, f->self_time_ratio);
        int line = f->hot_line > 0 ? f->hot_line : f->first_line;
        fprintf(out, "  %s  %s:%d\n", f->function ? f->function : "?", f->key_file, line);
        fprintf(out, "      self  %5.1f%% -> %5.1f%%  %+.1f pp (95%% CI %+.1f..%+.1f), q %s, estimated time %s\n",
                f->self.p1 * 100, f->self.p2 * 100, f->self.diff * 100, f->self.lo * 100,
                f->self.hi * 100, q, ratio);
        fprintf(out, "      total %5.1f%% -> %5.1f%%  %+.1f pp (95%% CI %+.1f..%+.1f)\n",
                f->total.p1 * 100, f->total.p2 * 100, f->total.diff * 100, f->total.lo * 100,
                f->total.hi * 100);
    }
}

static int render_text(FILE *out, const diff_ctx *c) {
    const cmp_result *r = c->r;
    const cmp_opts *o = &r->opts;
    fprintf(out, "Since baseline (%s): ", c->name);
    if (r->note) fprintf(out, "not compared: %s\n", r->note);
    else if (r->regressed) fprintf(out, "REGRESSION: %zu function%s slower\n", r->nslower, r->nslower == 1 ? "" : "s");
    else if (r->nfaster) fprintf(out, "faster: %zu function%s, none slower\n", r->nfaster, r->nfaster == 1 ? "" : "s");
    else if (r->wall_slower) fputs("no significant shift, but wall time grew beyond the threshold (slower runner?)\n", out);
    else fputs("no significant change\n", out);
    char b[32], n[32];
    fmt_secs(b, sizeof b, r->base_wall);
    fmt_secs(n, sizeof n, r->new_wall);
    fprintf(out, "wall time %s -> %s (%+.1f%%, threshold %.0f%%)\n", b, n, r->wall_change_pct,
            o->threshold_pct);
    if (r->nslower) text_rows(out, c, CMP_SLOWER);
    if (r->nfaster) text_rows(out, c, CMP_FASTER);
    fprintf(out, "%llu -> %llu samples; %zu functions tested (%zu tests, %s, q < %g, >= %.1f pp, >= %.0f%% estimated time)\n",
            (unsigned long long)r->base_samples, (unsigned long long)r->new_samples, r->ntested,
            r->ntests, correction_name(o->correction), o->alpha, o->min_share_pp, o->threshold_pct);
    return ferror(out) ? -1 : 0;
}

/* ---- JSON ---- */

static json_t *num_or_null(double v) { return isfinite(v) ? json_real(v) : json_null(); }

static json_t *json_func(const cmp_func *f) {
    json_t *o = json_object();
    if (!o) return NULL;
    int bad = 0;
    bad |= json_object_set_new(o, "function", json_string(f->function ? f->function : ""));
    bad |= json_object_set_new(o, "file", json_string(f->key_file));
    bad |= json_object_set_new(o, "line", json_integer(f->hot_line > 0 ? f->hot_line : f->first_line));
    const struct { const char *k; const cmp_ztest *t; double q, ratio; cmp_direction d; uint64_t b, n; } m[2] = {
        {"self", &f->self, f->self_q, f->self_time_ratio, f->self_dir, f->base_self, f->new_self},
        {"total", &f->total, f->total_q, f->total_time_ratio, f->total_dir, f->base_total, f->new_total},
    };
    for (int i = 0; i < 2; i++) {
        json_t *x = json_pack("{s:I,s:I,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:b}", "base_samples",
                              (json_int_t)m[i].b, "new_samples", (json_int_t)m[i].n, "base_share",
                              json_real(m[i].t->p1), "new_share", json_real(m[i].t->p2), "diff",
                              json_real(m[i].t->diff), "ci95", json_pack("[f,f]", m[i].t->lo, m[i].t->hi),
                              "p", json_real(m[i].t->p), "q", json_real(m[i].q), "time_ratio",
                              num_or_null(m[i].ratio), "beyond_noise", m[i].d != CMP_SAME);
        bad |= json_object_set_new(o, m[i].k, x);
    }
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static int render_json(FILE *out, const diff_ctx *c) {
    const cmp_result *r = c->r;
    const cmp_opts *o = &r->opts;
    json_t *root = json_pack(
        "{s:s,s:s,s:b,s:{s:f,s:f,s:f,s:f,s:b},s:{s:I,s:I},s:I,s:I,s:{s:s,s:f,s:f,s:f,s:I,s:f},s:I,s:I}",
        "name", c->name, "verdict", verdict_word(r), "regressed", r->regressed, "wall_seconds",
        "base", r->base_wall, "new", r->new_wall, "change_pct", r->wall_change_pct,
        "threshold_pct", o->threshold_pct, "beyond_threshold", r->wall_slower, "samples", "base",
        (json_int_t)r->base_samples, "new", (json_int_t)r->new_samples, "functions_tested",
        (json_int_t)r->ntested, "tests", (json_int_t)r->ntests, "method", "correction",
        o->correction == CMP_HOLM ? "holm" : "bh", "alpha", o->alpha, "min_change_pp",
        o->min_share_pp, "threshold_pct", o->threshold_pct, "min_samples",
        (json_int_t)o->min_samples, "dispersion", o->dispersion, "slower_count", (json_int_t)r->nslower, "faster_count",
        (json_int_t)r->nfaster);
    json_t *slower = json_array(), *faster = json_array();
    int bad = !root || !slower || !faster;
    for (size_t i = 0; !bad && i < r->nfuncs; i++) {
        const cmp_func *f = &r->funcs[i];
        if (f->dir == CMP_SAME) continue;
        json_t *j = json_func(f);
        bad |= !j || json_array_append_new(f->dir == CMP_SLOWER ? slower : faster, j);
    }
    if (!bad) {
        bad |= json_object_set_new(root, "slower", slower);
        slower = NULL;
        bad |= json_object_set_new(root, "faster", faster);
        faster = NULL;
        bad |= json_object_set_new(root, "note", r->note ? json_string(r->note) : json_null());
    }
    if (!bad) bad = json_dumpf(root, out, JSON_INDENT(1) | JSON_REAL_PRECISION(6)) != 0;
    if (!bad) fputc('\n', out);
    json_decref(root);
    json_decref(slower);
    json_decref(faster);
    if (bad) fprintf(stderr, "csprof diff: cannot build the JSON report (out of memory?)\n");
    return bad || ferror(out) ? -1 : 0;
}

static int render_svg(FILE *out, const diff_ctx *c) {
    output_opts oo;
    output_opts_init(&oo);
    char title[256];
    snprintf(title, sizeof title, "%s since baseline", c->name);
    oo.title = title;
    oo.base = c->base;
    oo.server_url = c->server_url;
    oo.repository = c->repository;
    oo.sha = c->sha;
    return write_svg(c->new_p, out, &oo);
}

/* ---- output plumbing ---- */

typedef struct {
    const char *name, *suffix;
    int (*render)(FILE *, const diff_ctx *);
} diff_format;

static const diff_format formats[] = {
    {"text", ".txt", render_text},
    {"md", ".md", render_md},
    {"json", ".json", render_json},
    {"svg", ".svg", render_svg},
};

static const diff_format *find_format(const char *name, size_t len) {
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++)
        if (strlen(formats[i].name) == len && !strncmp(formats[i].name, name, len)) return &formats[i];
    return NULL;
}

/* Renders into path through a temporary file, so a reader never sees half
 * a report. Returns 0, EXIT_CANTCREAT or EXIT_SOFTWARE. */
static int write_to(const char *path, const diff_format *f, const diff_ctx *c) {
    if (!path) {
        int rc = f->render(stdout, c);
        if (fflush(stdout) != 0 || rc) {
            fprintf(stderr, "csprof diff: cannot write the %s report to standard output\n", f->name);
            return EXIT_SOFTWARE;
        }
        return 0;
    }
    afile a;
    if (afile_open(&a, path) != 0) {
        fprintf(stderr, "csprof diff: cannot create a temporary file for %s: %s\n", path,
                strerror(errno));
        return EXIT_CANTCREAT;
    }
    int rc = f->render(a.f, c);
    if (afile_commit(&a, rc != 0) != 0) {
        if (rc) return EXIT_SOFTWARE;
        fprintf(stderr, "csprof diff: cannot %s %s: %s\n", a.step, path, strerror(errno));
        return EXIT_CANTCREAT;
    }
    return 0;
}

static int parse_args(int argc, char **argv, diff_opts *o) {
    enum { O_MIN = 256, O_ALPHA, O_CORR, O_FAIL, O_TOP, O_DISP };
    static const struct option longs[] = {
        {"threshold", required_argument, 0, 't'}, {"min-change", required_argument, 0, O_MIN},
        {"alpha", required_argument, 0, O_ALPHA},  {"correction", required_argument, 0, O_CORR},
        {"fail-on-regression", no_argument, 0, O_FAIL},
        {"format", required_argument, 0, 'f'},     {"output", required_argument, 0, 'o'},
        {"name", required_argument, 0, 'n'},       {"top", required_argument, 0, O_TOP},
        {"dispersion", required_argument, 0, O_DISP},
        {"help", no_argument, 0, 'h'},             {0, 0, 0, 0},
    };
    memset(o, 0, sizeof *o);
    cmp_opts_init(&o->cmp);
    o->formats = "text";
    o->top = 10;
    optind = 1;
    opterr = 0;
    int ch;
    while ((ch = getopt_long(argc, argv, "t:f:o:n:h", longs, NULL)) != -1) {
        double v;
        switch (ch) {
        case 't':
            if (parse_num(optarg, 0, 100000, &v)) goto bad_value;
            o->cmp.threshold_pct = v;
            break;
        case O_MIN:
            if (parse_num(optarg, 0, 100, &v)) goto bad_value;
            o->cmp.min_share_pp = v;
            break;
        case O_ALPHA:
            if (parse_num(optarg, 1e-12, 0.5, &v)) goto bad_value;
            o->cmp.alpha = v;
            break;
        case O_CORR:
            if (!strcasecmp(optarg, "bh")) o->cmp.correction = CMP_BH;
            else if (!strcasecmp(optarg, "holm")) o->cmp.correction = CMP_HOLM;
            else goto bad_value;
            break;
        case O_DISP:
            if (parse_num(optarg, 1, 1000, &v)) goto bad_value;
            o->cmp.dispersion = v;
            break;
        case O_FAIL: o->fail_on_regression = true; break;
        case 'f': o->formats = optarg; break;
        case 'o': o->output = optarg; break;
        case 'n': o->name = optarg; break;
        case O_TOP:
            if (parse_num(optarg, 1, 1000, &v)) goto bad_value;
            o->top = (int)v;
            break;
        case 'h': fputs(usage, stdout); return -1;
        default:
            if (optopt && optopt < 256)
                fprintf(stderr, "csprof diff: bad option -%c (try: csprof diff --help)\n", optopt);
            else
                fprintf(stderr, "csprof diff: bad option '%s' (try: csprof diff --help)\n", argv[optind - 1]);
            return EXIT_USAGE;
        }
        continue;
    bad_value:
        fprintf(stderr, "csprof diff: bad value '%s' for %s (try: csprof diff --help)\n", optarg,
                argv[optind - 1]);
        return EXIT_USAGE;
    }
    if (argc - optind != 2) {
        fprintf(stderr, "csprof diff: need BASE.json and NEW.json (try: csprof diff --help)\n");
        return EXIT_USAGE;
    }
    o->base_path = argv[optind];
    o->new_path = argv[optind + 1];
    return 0;
}

int cmd_diff(int argc, char **argv) {
    diff_opts o;
    int rc = parse_args(argc, argv, &o);
    if (rc) return rc < 0 ? 0 : rc;

    /* Validate the format list before doing any work. */
    size_t nfmt = 0;
    for (const char *s = o.formats; *s;) {
        size_t n = strcspn(s, ",");
        if (n && !find_format(s, n)) {
            fprintf(stderr, "csprof diff: unknown format '%.*s' (known: text, md, json, svg)\n", (int)n, s);
            return EXIT_USAGE;
        }
        nfmt += n > 0;
        s += n + (s[n] == ',');
    }
    if (!nfmt) {
        fprintf(stderr, "csprof diff: empty format list\n");
        return EXIT_USAGE;
    }
    if (nfmt > 1 && !o.output) {
        fprintf(stderr, "csprof diff: several formats need -o STEM (files STEM.txt, STEM.md, ...)\n");
        return EXIT_USAGE;
    }

    char err[512];
    profile *base = read_profile_json(o.base_path, err, sizeof err);
    if (!base) {
        fprintf(stderr, "csprof diff: baseline: %s\n", err);
        return EXIT_NOINPUT;
    }
    profile *new_p = read_profile_json(o.new_path, err, sizeof err);
    if (!new_p) {
        fprintf(stderr, "csprof diff: %s\n", err);
        prof_free(base);
        return EXIT_NOINPUT;
    }
    cmp_result r;
    if (cmp_profiles(base, new_p, &o.cmp, &r)) {
        fprintf(stderr, "csprof diff: out of memory comparing the profiles\n");
        prof_free(base);
        prof_free(new_p);
        return EXIT_SOFTWARE;
    }
    const prof_meta *m = prof_meta_get(new_p);
    diff_ctx c = {
        .o = &o, .base = base, .new_p = new_p, .r = &r,
        .name = o.name ? o.name : (m && nonempty(m->name)) ? m->name : "profile",
        .server_url = nonempty(getenv("GITHUB_SERVER_URL")),
        .repository = nonempty(getenv("GITHUB_REPOSITORY")),
        .sha = nonempty(getenv("GITHUB_SHA")),
    };
    rc = 0;
    for (const char *s = o.formats; *s;) {
        size_t n = strcspn(s, ",");
        const diff_format *f = n ? find_format(s, n) : NULL;
        if (f) {
            char *path = NULL;
            if (o.output && nfmt > 1) {
                size_t len = strlen(o.output) + strlen(f->suffix) + 1;
                path = malloc(len);
                if (!path) {
                    fprintf(stderr, "csprof diff: out of memory\n");
                    rc = EXIT_SOFTWARE;
                    break;
                }
                snprintf(path, len, "%s%s", o.output, f->suffix);
            }
            int wrc = write_to(path ? path : o.output, f, &c);
            free(path);
            if (wrc && !rc) rc = wrc;
        }
        s += n + (s[n] == ',');
    }
    bool regressed = r.regressed;
    cmp_result_free(&r);
    prof_free(base);
    prof_free(new_p);
    if (rc) return rc;
    return regressed && o.fail_on_regression ? 1 : 0;
}
