/* cmd_history.c -- the trend of history.h rendered: Markdown + Mermaid for
 * the job summary (hist_write_trend_md), and `csprof history DIR`: an SVG
 * chart per script and the share table on stdout. */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "commands.h"
#include "history.h"
#include "optval.h"
#include "output.h"
#include "sumfmt.h"

/* What both renderings show: the last <= window runs of h, then cur. */
typedef struct {
    const hist_run *run[HIST_MAX_RUNS + 1];
    bool outside[HIST_MAX_RUNS + 1];
    size_t n;                 /* runs shown, cur last */
    hist_spread spread;       /* of the history runs shown (not cur) */
    double ymax;
} trend;

static int trend_of(const history *h, const hist_run *cur, size_t window, trend *t) {
    memset(t, 0, sizeof *t);
    if (window > HIST_MAX_RUNS) window = HIST_MAX_RUNS;
    size_t from = h->n > window ? h->n - window : 0;
    if (hist_wall_spread(h, from, h->n, cur, &t->spread)) return -1;
    for (size_t i = from; i < h->n; i++) t->run[t->n++] = &h->runs[i];
    t->run[t->n++] = cur;
    for (size_t i = 0; i < t->n; i++) {
        t->outside[i] = hist_spread_covers(&t->spread, cur, t->run[i]) &&
                        hist_outside(&t->spread, t->run[i]->wall_seconds);
        if (t->run[i]->wall_seconds > t->ymax) t->ymax = t->run[i]->wall_seconds;
    }
    return 0;
}

/* The commit's first 7 characters (alphanumerics only), "this run" for
 * the last, "run N" without a commit. */
static void raw_label(const trend *t, size_t i, char *out, size_t len) {
    if (i == t->n - 1) {
        snprintf(out, len, "this run");
        return;
    }
    size_t k = 0;
    for (const char *c = t->run[i]->commit; *c && k < 7 && k + 1 < len; c++)
        if ((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z'))
            out[k++] = *c;
    out[k] = '\0';
    if (!k) snprintf(out, len, "run %zu", i + 1);
}

/* A short, Mermaid- and Markdown-safe label for run i. Mermaid puts equal
 * category labels on one spot, so a commit profiled again is numbered. */
static void run_label(const trend *t, size_t i, char *out, size_t len) {
    raw_label(t, i, out, len);
    int same = 0;
    for (size_t j = 0; j < i; j++) {
        char prev[32];
        raw_label(t, j, prev, sizeof prev);
        same += !strcmp(prev, out);
    }
    if (same && strlen(out) + 8 < len) snprintf(out + strlen(out), len - strlen(out), " (%d)", same + 1);
}

/* A "nice" upper bound for the y axis. */
static double nice_max(double v) {
    if (!(v > 0)) return 1;
    double p = pow(10, floor(log10(v * 1.15)));
    double m = ceil(v * 1.15 / p);
    return m * p;
}

static void put_md_code(FILE *out, const char *s) {
    fputc('`', out);
    for (size_t n = 0; *s && n < 60; s++, n++)
        fputc(*s == '`' ? '\'' : *s == '|' ? '/' : (unsigned char)*s < 0x20 ? ' ' : *s, out);
    fputc('`', out);
}

static void pct_cell(FILE *out, double v) {
    if (v < 0) fputs(" — |", out);
    else fprintf(out, " %.1f%% |", v);
}

/* Median share of function (fn, file) over the history runs shown. */
static double median_share(const trend *t, const hist_func *f) {
    double v[HIST_MAX_RUNS];
    size_t n = 0;
    for (size_t i = 0; i + 1 < t->n; i++) {
        double s = hist_share(t->run[i], f->function, f->file);
        v[n++] = s < 0 ? 0 : s;   /* not in that run's top: a small share */
    }
    if (!n) return -1;
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && v[j - 1] > v[j]; j--) {
            double x = v[j];
            v[j] = v[j - 1];
            v[j - 1] = x;
        }
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void write_share_table(FILE *out, const trend *t) {
    const hist_run *cur = t->run[t->n - 1];
    if (!cur->ntop || t->n < 2) return;
    char first[32], prev[32];
    run_label(t, 0, first, sizeof first);
    run_label(t, t->n - 2, prev, sizeof prev);
    fprintf(out, "\n| Function (top 3 now) | `%s` (oldest shown) | median | `%s` (previous) | this run |\n"
                 "|---|--:|--:|--:|--:|\n", first, prev);
    for (size_t k = 0; k < cur->ntop && k < 3; k++) {
        const hist_func *f = &cur->top[k];
        fputs("| ", out);
        put_md_code(out, f->function);
        fputs(" |", out);
        pct_cell(out, hist_share(t->run[0], f->function, f->file));
        pct_cell(out, median_share(t, f));
        pct_cell(out, hist_share(t->run[t->n - 2], f->function, f->file));
        fprintf(out, " **%.1f%%** |\n", f->self_pct);
    }
    fputs("\n_Self share of the samples; — : not among that run's top 10 functions._\n", out);
}

void hist_write_trend_md(FILE *out, const history *h, const hist_run *cur, size_t window) {
    trend t;
    if (!h->n || trend_of(h, cur, window, &t)) return;
    bool any_out = false;
    for (size_t i = 0; i < t.n; i++) any_out |= t.outside[i];
    fprintf(out, "\n#### Trend: wall time over the last %zu default-branch run%s and this one\n\n",
            t.n - 1, t.n == 2 ? "" : "s");
    fputs("```mermaid\nxychart-beta\n    title \"", out);
    for (const char *c = h->name; *c; c++) fputc(*c == '"' ? '\'' : *c, out);
    fputs(": wall time (s)\"\n    x-axis [", out);
    for (size_t i = 0; i < t.n; i++) {
        char l[32];
        run_label(&t, i, l, sizeof l);
        fprintf(out, "%s\"%s%s\"", i ? ", " : "", l, t.outside[i] ? " ⚠" : "");
    }
    fprintf(out, "]\n    y-axis \"seconds\" 0 --> %g\n    line [", nice_max(t.ymax));
    for (size_t i = 0; i < t.n; i++) fprintf(out, "%s%.3f", i ? ", " : "", t.run[i]->wall_seconds);
    fputs("]\n", out);
    if (any_out) {
        /* Bars only under the marked runs: a mark Mermaid can draw. */
        fputs("    bar [", out);
        for (size_t i = 0; i < t.n; i++)
            fprintf(out, "%s%.3f", i ? ", " : "", t.outside[i] ? t.run[i]->wall_seconds : 0.0);
        fputs("]\n", out);
    }
    fputs("```\n\n", out);
    char a[32], b[32], m[32], c[32];
    fmt_secs(c, sizeof c, cur->wall_seconds);
    if (t.spread.ok) {
        fmt_secs(a, sizeof a, t.spread.lo);
        fmt_secs(b, sizeof b, t.spread.hi);
        fmt_secs(m, sizeof m, t.spread.median);
        fprintf(out, "Usual spread of %s %zu runs%s: %s – %s (median %s, ±%g robust SD). This run: "
                     "%s, %s.",
                t.spread.other_kind ? "the" : "those", t.spread.n,
                t.spread.other_kind ? " on this kind of runner" : "", a, b, m, CMP_SPREAD_K, c,
                t.outside[t.n - 1] ? "**outside it** ⚠" : "within it");
        if (any_out)
            fputs(" ⚠ and the bars mark runs outside the usual spread: a marker, not a verdict "
                  "(regressions are called only by the significance test).", out);
        fputc('\n', out);
    } else {
        fprintf(out, "This run: %s. The usual spread needs at least %d earlier runs%s.\n", c, CMP_MIN_HISTORY,
                t.spread.other_kind ? " on this kind of runner" : "");
    }
    if (t.spread.other_kind)
        fprintf(out, "\n_%zu of the runs shown ran on another kind of runner (CPU model or count), whose speed "
                     "differs: the usual spread is that of the runs on this run's kind, and only they are "
                     "marked._\n", t.spread.other_kind);
    write_share_table(out, &t);
}

/* ---- csprof history DIR ---- */

static const char usage[] =
    "usage: csprof history DIR [-o OUTDIR] [--last N]\n"
    "       csprof history --add RUN.json NAME.history.json\n"
    "\n"
    "Renders the history each NAME.history.json in DIR holds (the action keeps\n"
    "them next to the baseline profiles): OUTDIR/NAME.history.svg, a chart of\n"
    "wall time over the last N runs (default 30, at most 100) with the usual\n"
    "spread shaded and runs outside it in red, and on stdout how the latest\n"
    "run's top-3 functions' shares moved.\n"
    "\n"
    "--add appends the record of one run (a profile JSON of `csprof record`) to\n"
    "a history file, creating it, as the action does on the default branch:\n"
    "for keeping a history outside GitHub Actions (`csprof diff --history`).\n"
    "\n"
    "exit status: 0, 64 bad option, 66 no history in DIR (or a RUN.json or\n"
    "history that cannot be read), 73 output not writable.\n";

/* --add: one run's record appended to a history file. A file that exists
 * but is not a history is left alone (it may be something else). */
static int history_add(const char *run_path, const char *path) {
    char err[600];
    profile *p = read_profile_json(run_path, err, sizeof err);
    if (!p) {
        fprintf(stderr, "csprof history: %s\n", err);
        return EXIT_NOINPUT;
    }
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    size_t len = strlen(base), sfx = strlen(".history.json");
    char name[256];
    snprintf(name, sizeof name, "%.*s", (int)(len > sfx && !strcmp(base + len - sfx, ".history.json") ? len - sfx : len),
             base);
    history h;
    hist_run r;
    int rc = hist_load(path, name, &h, err, sizeof err);
    if (rc == 1) fprintf(stderr, "csprof history: %s; not changed\n", err);
    if (rc == 0 && hist_run_from_profile(p, NULL, &r)) rc = -1;
    if (rc == 0 && hist_append(&h, &r)) {
        hist_run_free(&r);
        rc = -1;
    }
    if (rc < 0) fprintf(stderr, "csprof history: out of memory adding %s\n", run_path);
    int status = rc == 1 ? EXIT_NOINPUT : rc < 0 ? EXIT_SOFTWARE : 0;
    if (rc == 0 && hist_save(&h, path)) {
        fprintf(stderr, "csprof history: cannot write %s: %s\n", path, strerror(errno));
        status = EXIT_CANTCREAT;
    }
    if (status == 0) fprintf(stderr, "csprof: %s now holds %zu runs\n", path, h.n);
    hist_free(&h);
    prof_free(p);
    return status;
}

static void svg_text(FILE *out, const char *s) {
    for (; *s; s++) {
        if (*s == '<') fputs("&lt;", out);
        else if (*s == '&') fputs("&amp;", out);
        else if (*s == '>') fputs("&gt;", out);
        else if ((unsigned char)*s >= 0x20) fputc(*s, out);
    }
}

/* Line chart: x = run, y = wall time; the usual spread as a band. */
static void write_chart(FILE *out, const char *name, const trend *t) {
    const double W = 800, H = 320, L = 70, R = 20, T = 40, B = 60;
    double ymax = nice_max(t->ymax), pw = W - L - R, ph = H - T - B;
#define X(i) (L + (t->n > 1 ? pw * (double)(i) / (double)(t->n - 1) : pw / 2))
#define Y(v) (T + ph - ph * (v) / ymax)
    fprintf(out, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%g\" height=\"%g\" viewBox=\"0 0 %g %g\" "
                 "font-family=\"sans-serif\" font-size=\"12\">\n<title>", W, H, W, H);
    svg_text(out, name);
    fputs(": wall time</title>\n<rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>\n", out);
    fprintf(out, "<text x=\"%g\" y=\"22\" font-size=\"15\" font-weight=\"bold\">", L);
    svg_text(out, name);
    fprintf(out, ": wall time over %zu runs</text>\n", t->n);
    if (t->spread.ok)
        fprintf(out, "<rect x=\"%g\" y=\"%.1f\" width=\"%g\" height=\"%.1f\" fill=\"#dbeafe\"><title>usual "
                     "spread: %.3f-%.3f s</title></rect>\n",
                L, Y(fmin(t->spread.hi, ymax)), pw, Y(t->spread.lo) - Y(fmin(t->spread.hi, ymax)),
                t->spread.lo, t->spread.hi);
    for (int k = 0; k <= 4; k++) {
        double v = ymax * k / 4;
        fprintf(out, "<line x1=\"%g\" x2=\"%g\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>"
                     "<text x=\"%g\" y=\"%.1f\" text-anchor=\"end\">%g s</text>\n",
                L, W - R, Y(v), Y(v), L - 6, Y(v) + 4, v);
    }
    fputs("<polyline fill=\"none\" stroke=\"#0969da\" stroke-width=\"2\" points=\"", out);
    for (size_t i = 0; i < t->n; i++) fprintf(out, "%s%.1f,%.1f", i ? " " : "", X(i), Y(t->run[i]->wall_seconds));
    fputs("\"/>\n", out);
    for (size_t i = 0; i < t->n; i++) {
        char l[32];
        run_label(t, i, l, sizeof l);
        if (i == t->n - 1) snprintf(l, sizeof l, "latest");
        fprintf(out, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"%s\"><title>%s: %.3f s%s</title></circle>\n",
                X(i), Y(t->run[i]->wall_seconds), t->outside[i] ? "#d1242f" : "#0969da", l,
                t->run[i]->wall_seconds, t->outside[i] ? " (outside the usual spread)"
                : !hist_spread_covers(&t->spread, t->run[t->n - 1], t->run[i]) ? " (another kind of runner)" : "");
        if (t->n <= 12 || i % ((t->n + 11) / 12) == 0 || i == t->n - 1)
            fprintf(out, "<text x=\"%.1f\" y=\"%g\" text-anchor=\"end\" transform=\"rotate(-35 %.1f %g)\">%s</text>\n",
                    X(i), H - B + 16, X(i), H - B + 16, l);
    }
    fputs("</svg>\n", out);
#undef X
#undef Y
}

static void print_table(const char *name, const trend *t) {
    const hist_run *cur = t->run[t->n - 1];
    printf("%s: %zu runs, latest %.3f s", name, t->n, cur->wall_seconds);
    if (t->spread.ok)
        printf(", usual spread %.3f-%.3f s (median %.3f s)%s\n", t->spread.lo, t->spread.hi,
               t->spread.median, t->outside[t->n - 1] ? ", latest OUTSIDE it" : "");
    else
        printf(" (too few earlier runs for a spread)\n");
    if (t->spread.other_kind)
        printf("  %zu earlier run%s on another kind of runner (CPU model or count) left out of the spread\n",
               t->spread.other_kind, t->spread.other_kind == 1 ? "" : "s");
    if (t->n < 2) return;
    printf("  %-36s %9s %9s %9s %9s\n", "function (top 3 of the latest)", "oldest", "median",
           "previous", "latest");
    for (size_t k = 0; k < cur->ntop && k < 3; k++) {
        const hist_func *f = &cur->top[k];
        double v[3] = {hist_share(t->run[0], f->function, f->file), median_share(t, f),
                       hist_share(t->run[t->n - 2], f->function, f->file)};
        printf("  %-36.36s", f->function);
        for (int j = 0; j < 3; j++) {
            if (v[j] < 0) printf(" %9s", "-");
            else printf(" %8.1f%%", v[j]);
        }
        printf(" %8.1f%%\n", f->self_pct);
    }
}

/* One NAME.history.json: the chart and the table. */
static int history_one(const char *dir, const char *file, const char *outdir, size_t last) {
    char path[PATH_MAX], name[256], err[512];
    snprintf(name, sizeof name, "%.*s", (int)(strlen(file) - strlen(".history.json")), file);
    snprintf(path, sizeof path, "%s/%s", dir, file);
    history h;
    int rc = hist_load(path, name, &h, err, sizeof err);
    if (rc == 1) fprintf(stderr, "csprof history: %s; skipped\n", err);
    if (rc || h.n == 0) {
        hist_free(&h);
        return rc < 0 ? EXIT_SOFTWARE : 0;
    }
    history older = h;
    older.n = h.n - 1;   /* the latest record plays "this run" */
    trend t;
    if (trend_of(&older, &h.runs[h.n - 1], last - 1, &t)) {
        hist_free(&h);
        return EXIT_SOFTWARE;
    }
    print_table(name, &t);
    snprintf(path, sizeof path, "%s/%s.history.svg", outdir, name);
    FILE *out = fopen(path, "w");
    if (!out) {
        fprintf(stderr, "csprof history: cannot create %s: %s\n", path, strerror(errno));
        hist_free(&h);
        return EXIT_CANTCREAT;
    }
    write_chart(out, name, &t);
    rc = fclose(out) ? EXIT_CANTCREAT : 0;
    if (rc) fprintf(stderr, "csprof history: cannot write %s: %s\n", path, strerror(errno));
    else fprintf(stderr, "csprof: wrote %s\n", path);
    hist_free(&h);
    return rc;
}

int cmd_history(int argc, char **argv) {
    static const struct option longopts[] = {{"output", required_argument, 0, 'o'},
                                              {"last", required_argument, 0, 'l'},
                                              {"add", required_argument, 0, 'a'},
                                              {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    const char *outdir = NULL, *add = NULL;
    long last = 30;
    optval_getopt_start();
    int c;
    while ((c = getopt_long(argc, argv, ":o:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'o': outdir = optarg; break;
        case 'a': add = optarg; break;
        case 'l':
            if (optval_long(optarg, 2, HIST_MAX_RUNS, &last)) {
                fprintf(stderr, "csprof history: --last wants 2 to %d, not '%s'\n", HIST_MAX_RUNS, optarg);
                return EXIT_USAGE;
            }
            break;
        case 'h': fputs(usage, stdout); return 0;
        default:
            fprintf(stderr, "csprof history: bad option '%s' (see csprof history --help)\n", argv[optind - 1]);
            return EXIT_USAGE;
        }
    }
    if (add) {
        if (optind + 1 != argc) {
            fprintf(stderr, "csprof history: which history file? usage: csprof history --add RUN.json NAME.history.json\n");
            return EXIT_USAGE;
        }
        return history_add(add, argv[optind]);
    }
    if (optind + 1 != argc) {
        fprintf(stderr, "csprof history: which directory? usage: csprof history DIR [-o OUTDIR]\n");
        return EXIT_USAGE;
    }
    const char *dir = argv[optind];
    if (!outdir) outdir = dir;
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "csprof history: cannot read %s: %s\n", dir, strerror(errno));
        return EXIT_NOINPUT;
    }
    struct dirent *e;
    int rc = 0, found = 0;
    char **names = NULL;
    size_t n = 0;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name), sl = strlen(".history.json");
        if (len <= sl || strcmp(e->d_name + len - sl, ".history.json")) continue;
        char **more = realloc(names, (n + 1) * sizeof *names);
        if (!more || !(more[n] = strdup(e->d_name))) {
            names = more ? more : names;
            rc = EXIT_SOFTWARE;
            break;
        }
        names = more;
        n++;
    }
    closedir(d);
    /* Sorted, so the output does not depend on directory order. */
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
            char *x = names[j];
            names[j] = names[j - 1];
            names[j - 1] = x;
        }
    for (size_t i = 0; i < n && !rc; i++) {
        found++;
        rc = history_one(dir, names[i], outdir, (size_t)last);
    }
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
    if (!rc && !found) {
        fprintf(stderr, "csprof history: no NAME.history.json in %s\n", dir);
        return EXIT_NOINPUT;
    }
    return rc;
}
