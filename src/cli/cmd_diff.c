/* cmd_diff.c -- `csprof diff BASE.json NEW.json`: what got slower or faster.
 *
 * The statistics live in compare.c; this file reads the two profiles,
 * renders the result (Markdown "Since baseline" section, terminal text,
 * JSON for machines, differential flamegraph through write_svg) and turns
 * the verdict into an exit status.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <strings.h>

#include "classify.h"
#include "commands.h"
#include "compare.h"
#include "diff_report.h"
#include "atomicfile.h"
#include "md.h"
#include "numfmt.h"
#include "optval.h"
#include "output.h"
#include "history.h"

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
    "      --fail-on-regression[=wall]  exit 1 when a function got significantly slower;\n"
    "                          =wall: when the wall time grew beyond the threshold instead\n"
    "                          (the plain duration rule)\n"
    "      --history FILE      the script's run history, NAME.history.json as `csprof ci`\n"
    "                          keeps it beside the baseline: wall time, CPU time and\n"
    "                          peak memory are then judged against their usual spread\n"
    "                          (at least 5 runs)\n"
    "  -f, --format LIST       text (default), md, json, svg; several comma-separated\n"
    "                          formats need -o STEM and write STEM.txt/.md/.json/.svg\n"
    "  -o, --output PATH       file to write (default: standard output)\n"
    "  -n, --name NAME         what the report calls the program (default: NEW's name)\n"
    "      --top N             rows per table (default 10)\n"
    "  -h, --help              show this help\n"
    "\n"
    "exit status: 0 compared (also with a regression, unless --fail-on-regression),\n"
    "1 regression with --fail-on-regression (wall time beyond the threshold with =wall),\n"
    "64 bad option, 66 unreadable profile,\n"
    "70 internal error, 73 output not writable.\n";


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
            strchr("-._~/:", c))
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

const char *diff_verdict_word(const cmp_result *r) {
    if (r->note) return "not-compared";
    if (r->regressed) return "regressed";
    if (r->nfaster) return "faster";
    if (r->wall_flag) return "wall-slower";
    return "same";
}

/* A history file (history.h) into *h and the series the verdict reads
 * (pointing into *h; the caller frees both). A file named but missing or
 * not a history is an error (the user asked for it); 0 or an exit status,
 * with the one-line message printed. */
static int read_history(const char *path, history *h, hist_series *out) {
    char err[600];
    if (access(path, R_OK) != 0) {
        fprintf(stderr, "csprof diff: cannot read the history %s: %s\n", path, strerror(errno));
        return EXIT_NOINPUT;
    }
    int rc = hist_load(path, "", h, err, sizeof err);
    if (rc == 1) fprintf(stderr, "csprof diff: %s\n", err);
    else if (rc == 0 && hist_series_of(h, out)) rc = -1;
    if (rc < 0) fprintf(stderr, "csprof diff: out of memory reading the history %s\n", path);
    if (rc) hist_free(h);
    return rc == 1 ? EXIT_NOINPUT : rc < 0 ? EXIT_SOFTWARE : 0;
}

static const char *correction_name(cmp_correction c) {
    return c == CMP_HOLM ? "Holm" : "Benjamini-Hochberg";
}

/* ---- the verdict's sentences (Markdown when md, else plain text) ---- */

/* Functions whose share changed against the baseline beyond sampling
 * noise, but no more than it varies over the history: named, so that a
 * reader sees why they are not in the verdict. */
static void put_usual(FILE *out, const cmp_result *r, bool md) {
    if (!r->nusual) return;
    fprintf(out, "%zu function%s changed against the baseline but stayed within %s usual spread over the "
            "last %zu runs (the baseline was unusual, not the code; not counted): ",
            r->nusual, r->nusual == 1 ? "" : "s", r->nusual == 1 ? "its" : "their", r->nshare_history);
    size_t shown = 0;
    for (size_t i = 0; i < r->nfuncs && shown < 3; i++) {
        const cmp_func *f = &r->funcs[i];
        if (!f->usual) continue;
        if (shown++) fputs(", ", out);
        if (md) put_code(out, f->function ? f->function : "?", 80, false);
        else fputs(f->function ? f->function : "?", out);
    }
    if (r->nusual > shown) fprintf(out, " and %zu more", r->nusual - shown);
    fputs(md ? ".\n\n" : ".\n", out);
}

static void put_imports(FILE *out, const cmp_result *r, bool md) {
    const cmp_imports *im = &r->imports;
    char b[32], n[32], d[32];
    if (im->startup_base || im->startup_new) {
        fmt_secs(b, sizeof b, im->startup_base_s);
        fmt_secs(n, sizeof n, im->startup_new_s);
        fprintf(out, "Interpreter start-up (site, .pth files, before your code runs): %s %s %s.%s", b,
                md ? "→" : "->", n, md ? "\n\n" : "\n");
    }
    if (!im->base && !im->new_n) return;
    fmt_secs(b, sizeof b, im->base_s);
    fmt_secs(n, sizeof n, im->new_s);
    fmt_secs(d, sizeof d, fabs(im->new_s - im->base_s));
    const char *arrow = md ? "→" : "->";
    if (im->dir == CMP_SLOWER) fprintf(out, "%sImports took %s longer%s (%s %s %s", md ? "**" : "", d, md ? "**" : "", b, arrow, n);
    else if (im->dir == CMP_FASTER) fprintf(out, "Imports took %s less (%s %s %s", d, b, arrow, n);
    else fprintf(out, "Imports: %s %s %s (no significant change", b, arrow, n);
    if (im->top_module && im->dir != CMP_SAME) {
        char tb[32], tn[32];
        fmt_secs(tb, sizeof tb, im->top_base_s);
        fmt_secs(tn, sizeof tn, im->top_new_s);
        fputs("; most of the change in ", out);
        if (md) put_code(out, im->top_module, 80, false);
        else fputs(im->top_module, out);
        fprintf(out, ", %s %s %s", tb, arrow, tn);
    }
    fputs(")", out);
    if (im->dir == CMP_SLOWER)
        fputs(": often a cold cache on the runner; imports are reported on their own and never make a "
              "regression alone", out);
    fputs(md ? ".\n\n" : ".\n", out);
}

/* 1 when version a is newer than b, -1 older, 0 same or not comparable. */
static int version_order(const char *a, const char *b) {
    while (a && b && *a && *b) {
        char *ea, *eb;
        long x = strtol(a, &ea, 10), y = strtol(b, &eb, 10);
        if (ea == a || eb == b) return 0;
        if (x != y) return x > y ? 1 : -1;
        a = *ea == '.' ? ea + 1 : ea;
        b = *eb == '.' ? eb + 1 : eb;
        if (*ea != '.' || *eb != '.') break;
    }
    return 0;
}

static void put_name(FILE *out, const char *s, bool md, size_t max) {
    if (md) put_code(out, s, max, false);
    else fprintf(out, "%.*s", (int)max, s);
}

/* Which profile is the baseline: commit, date, run, branch, csprof. */
static void put_provenance(FILE *out, const diff_ctx *c, bool md) {
    const prof_meta *b = prof_meta_get(c->base), *n = prof_meta_get(c->new_p);
    fputs(md ? "Baseline: " : "baseline: ", out);
    if (nonempty(b->git_commit)) {
        char shortsha[13];
        snprintf(shortsha, sizeof shortsha, "%s", b->git_commit);
        fputs("commit ", out);
        put_name(out, shortsha, md, 12);
    } else {
        fputs("commit unknown", out);
    }
    if (nonempty(b->git_branch)) {
        fputs(" on ", out);
        put_name(out, b->git_branch, md, 80);
    }
    if (nonempty(b->start_time)) fprintf(out, ", recorded %.40s", b->start_time);
    if (nonempty(b->ci_run)) {
        fputs(", run ", out);
        if (md && nonempty(b->ci_run_url) && !strncmp(b->ci_run_url, "https://", 8)) {
            fputc('[', out);
            put_text(out, b->ci_run, 40);
            fputs("](", out);
            url_part(out, b->ci_run_url);
            fputc(')', out);
        } else {
            fprintf(out, "%.40s", b->ci_run);
        }
    }
    fprintf(out, "; csprof %.40s.%s", nonempty(b->csprof_version) ? b->csprof_version : "(unknown version)",
            md ? "\n\n" : "\n");
    if (nonempty(b->git_branch) && nonempty(n->git_branch) && strcmp(b->git_branch, n->git_branch)) {
        fputs(md ? "⚠️ The baseline comes from another branch (" : "note: the baseline comes from another branch (", out);
        put_name(out, b->git_branch, md, 80);
        fputs("; this run: ", out);
        put_name(out, n->git_branch, md, 80);
        fputs(md ? ").\n\n" : ").\n", out);
    }
    int ord = version_order(b->csprof_version, n->csprof_version);
    bool other_build = !ord && nonempty(b->csprof_commit) && nonempty(n->csprof_commit) &&
                       strcmp(b->csprof_commit, n->csprof_commit);
    if (ord || other_build || !nonempty(b->csprof_version))
        fprintf(out, "%sThe baseline was recorded by %s (%.40s %.24s; this run: %.40s %.24s): names and "
                     "shares can differ for that reason alone.%s",
                md ? "⚠️ " : "note: ",
                !nonempty(b->csprof_version) ? "an older csprof" : ord < 0 ? "an older csprof"
                                              : ord > 0 ? "a newer csprof" : "another build of csprof",
                nonempty(b->csprof_version) ? b->csprof_version : "?",
                nonempty(b->csprof_commit) ? b->csprof_commit : "", nonempty(n->csprof_version) ? n->csprof_version : "?",
                nonempty(n->csprof_commit) ? n->csprof_commit : "", md ? "\n\n" : "\n");
}

/* ---- Markdown ---- */

static void md_leads(FILE *out, const diff_ctx *c) {
    const cmp_result *r = c->r;
    fputs("\n**Your code that got slower** — innermost first; beneath each, what it calls that grew:\n\n"
          "| Function | Where | Total share | Total Δ (95% CI) | q | Est. time |\n"
          "|---|---|--:|--:|--:|--:|\n", out);
    for (size_t i = 0; i < r->nleads; i++) {
        const cmp_lead *l = &r->leads[i];
        const cmp_func *f = &r->funcs[l->func];
        char q[16], ratio[16];
        fmt_q(q, sizeof q, f->total_q);
        fmt_ratio(ratio, sizeof ratio, f->total_time_ratio);
        fputs("| ", out);
        put_code(out, f->function ? f->function : "?", 80, true);
        fputs(" | ", out);
        md_where(out, c, f);
        fprintf(out, " | %.1f%% → %.1f%% | **%+.1f pp** (%+.1f … %+.1f) | %s | %s |\n", f->total.p1 * 100,
                f->total.p2 * 100, f->total.diff * 100, f->total.lo * 100, f->total.hi * 100, q, ratio);
        for (size_t j = 0; j < l->nbeneath; j++) {
            const cmp_beneath *b = &l->beneath[j];
            const cmp_func *g = &r->funcs[b->func];
            fmt_ratio(ratio, sizeof ratio, b->time_ratio);
            fputs("| ↳ calls ", out);
            put_code(out, g->function ? g->function : "?", 80, true);
            fputs(" | ", out);
            md_where(out, c, g);
            fprintf(out, " | %.1f%% → %.1f%% | | | %s |\n",
                    r->base_samples ? 100.0 * (double)b->base / (double)r->base_samples : 0.0,
                    r->new_samples ? 100.0 * (double)b->new_n / (double)r->new_samples : 0.0, ratio);
        }
    }
    if (r->nleads_all > r->nleads)
        fprintf(out, "\n…and %zu more (see the JSON output).\n", r->nleads_all - r->nleads);
}

/* A share verdict from a run on a busier runner than usual (cmp_result
 * busier): other processes share the caches and memory bandwidth, which
 * can change what a function costs, so the verdict asks for a re-run.
 * (With two processes spinning beside 10 unchanged runs of scikit-learn's
 * BO loop, 5 were once called regressions; that was threads read while
 * waiting for a CPU, since left for a tick when they run: 0 of 10.) */
static void put_busier_caution(FILE *out, const cmp_result *r) {
    fprintf(out, "This run's runner was busier than usual (other processes kept %.1f CPUs busy, usually %.1f): "
                 "samples can shift between functions on a busy runner, so confirm this verdict with a re-run.\n",
            r->load_new, r->load_usual);
}

static void md_headline(FILE *out, const diff_ctx *c) {
    const cmp_result *r = c->r;
    if (r->note) {
        fputs("**Verdict: ⚪ not compared** — ", out);
        put_text(out, r->note, 200);
        fputs(".\n", out);
    } else if (r->nleads) {
        const cmp_func *f = &r->funcs[r->leads[0].func];
        char ratio[16];
        fmt_ratio(ratio, sizeof ratio, f->total_time_ratio);
        fputs("**Verdict: 🔴 regression** — your code got slower: ", out);
        put_code(out, f->function ? f->function : "?", 80, false);
        fprintf(out, " takes %s the estimated time, with what it calls", ratio);
        if (r->nleads_all > 1) fprintf(out, " (and %zu more of your functions)", r->nleads_all - 1);
        fputs(".\n", out);
    } else if (r->regressed) {
        fprintf(out, "**Verdict: 🔴 regression** — %zu function%s take%s a significantly larger share of the samples and more estimated time.\n",
                r->nslower, r->nslower == 1 ? "" : "s", r->nslower == 1 ? "s" : "");
    } else if (r->nfaster) {
        fprintf(out, "**Verdict: 🟢 faster** — %zu function%s take%s a significantly smaller share and less estimated time; nothing got slower.\n",
                r->nfaster, r->nfaster == 1 ? "" : "s", r->nfaster == 1 ? "s" : "");
    } else if (r->wall_flag) {
        fputs("**Verdict: 🟡 no significant shift** — but the wall time and the CPU time grew beyond their usual level: everything slowing evenly, or a slower runner (shares cannot tell these apart).\n", out);
    } else {
        fputs("**Verdict: ⚪ no significant change.**\n", out);
    }
    if (!r->note && (r->regressed || r->nfaster) && r->busier) {
        fputs("\n⚠️ ", out);
        put_busier_caution(out, r);
    }
}

static void md_table(FILE *out, const diff_ctx *c, cmp_direction dir, size_t count) {
    const cmp_result *r = c->r;
    fprintf(out, "\n**%s**%s\n\n", dir == CMP_SLOWER ? "Slower" : "Faster", " (self time: where the time is spent)");
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
    md_headline(out, c);
    if (r->nleads) md_leads(out, c);
    fputc('\n', out);
    put_imports(out, r, true);
    put_usual(out, r, true);
    diff_put_measures(out, r, true);
    put_provenance(out, c, true);
    if (r->nslower) md_table(out, c, CMP_SLOWER, r->nslower);
    if (r->nfaster) md_table(out, c, CMP_FASTER, r->nfaster);
    fprintf(out,
            "\n<details><summary>How this was decided</summary>\n\n"
            "%llu baseline samples against %llu new ones (samples inside imports are counted apart "
            "and left out); %zu functions with at least %llu samples "
            "were tested (%zu tests: self and total share each) with a two-proportion z-test "
            "whose variance is inflated %g× (samples of one run are not independent draws), "
            "p-values adjusted by %s (q). A function counts as slower or faster when its self "
            "share (samples where it is the running function) changed with q < %g, by at least "
            "%.1f percentage points, and its estimated time (its share × the script's CPU time when both runs have it, "
            "else samples × sampling interval) moved "
            "at least %.0f%% the same way. The same rule on the total share (samples with the "
            "function anywhere on the stack) finds your own functions that got slower; those with "
            "none of your other such functions beneath them lead the verdict. Shares are fractions "
            "of all samples, so a uniformly slower runner does not move them. Wall time, CPU time "
            "and peak memory are judged against the usual spread of at least %d past runs (median "
            "± 3 robust standard deviations) when known, else against the threshold. A longer wall "
            "time counts only when the CPU time grew too, when it is also at least %.0f%% over its "
            "usual median, and not when other processes kept the runner busier than usual (at "
            "least %.1f CPU, or %.0f%% of its CPUs, more than the median of past runs). With as many "
            "past runs that kept function shares, a function's change counts only when its new "
            "share is also outside its own usual spread over them, which is never narrower than "
            "± 3 times the sampling noise of the new run's share.\n\n"
            "</details>\n",
            (unsigned long long)r->base_samples, (unsigned long long)r->new_samples, r->ntested,
            (unsigned long long)o->min_samples, r->ntests, o->dispersion, correction_name(o->correction),
            o->alpha, o->min_share_pp, o->threshold_pct, CMP_MIN_HISTORY, o->threshold_pct,
            CMP_BUSIER_MIN_CPUS, CMP_BUSIER_FRACTION * 100);
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
    else if (r->nleads) fprintf(out, "REGRESSION: %zu of your functions slower\n", r->nleads_all);
    else if (r->regressed) fprintf(out, "REGRESSION: %zu function%s slower\n", r->nslower, r->nslower == 1 ? "" : "s");
    else if (r->nfaster) fprintf(out, "faster: %zu function%s, none slower\n", r->nfaster, r->nfaster == 1 ? "" : "s");
    else if (r->wall_flag) fputs("no significant shift, but wall and CPU time grew beyond their usual level\n", out);
    else fputs("no significant change\n", out);
    if (!r->note && (r->regressed || r->nfaster) && r->busier) {
        fputs("warning: ", out);
        put_busier_caution(out, r);
    }
    for (size_t i = 0; i < r->nleads; i++) {
        const cmp_lead *l = &r->leads[i];
        const cmp_func *f = &r->funcs[l->func];
        char ratio[16];
        fmt_ratio(ratio, sizeof ratio, f->total_time_ratio);
        fprintf(out, "your code: %s  %s:%d  total %.1f%% -> %.1f%%, estimated time %s\n", f->function ? f->function : "?",
                f->key_file, f->hot_line > 0 ? f->hot_line : f->first_line, f->total.p1 * 100, f->total.p2 * 100, ratio);
        for (size_t j = 0; j < l->nbeneath; j++) {
            const cmp_func *g = &r->funcs[l->beneath[j].func];
            fmt_ratio(ratio, sizeof ratio, l->beneath[j].time_ratio);
            fprintf(out, "    calls %s  %s  estimated time beneath it %s\n", g->function ? g->function : "?",
                    g->key_file, ratio);
        }
    }
    put_imports(out, r, false);
    put_usual(out, r, false);
    diff_put_measures(out, r, false);
    put_provenance(out, c, false);
    if (r->nslower) text_rows(out, c, CMP_SLOWER);
    if (r->nfaster) text_rows(out, c, CMP_FASTER);
    fprintf(out, "%llu -> %llu samples; %zu functions tested (%zu tests, %s, q < %g, >= %.1f pp, >= %.0f%% estimated time)\n",
            (unsigned long long)r->base_samples, (unsigned long long)r->new_samples, r->ntested,
            r->ntests, correction_name(o->correction), o->alpha, o->min_share_pp, o->threshold_pct);
    return ferror(out) ? -1 : 0;
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
    {"json", ".json", diff_render_json},
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
    enum { O_MIN = 256, O_ALPHA, O_CORR, O_FAIL, O_TOP, O_DISP, O_HIST };
    static const struct option longs[] = {
        {"threshold", required_argument, 0, 't'}, {"min-change", required_argument, 0, O_MIN},
        {"alpha", required_argument, 0, O_ALPHA},  {"correction", required_argument, 0, O_CORR},
        {"fail-on-regression", optional_argument, 0, O_FAIL},
        {"history", required_argument, 0, O_HIST},
        {"format", required_argument, 0, 'f'},     {"output", required_argument, 0, 'o'},
        {"name", required_argument, 0, 'n'},       {"top", required_argument, 0, O_TOP},
        {"dispersion", required_argument, 0, O_DISP},
        {"help", no_argument, 0, 'h'},             {0, 0, 0, 0},
    };
    memset(o, 0, sizeof *o);
    cmp_opts_init(&o->cmp);
    o->formats = "text";
    o->top = 10;
    optval_getopt_start();
    int ch;
    while ((ch = getopt_long(argc, argv, "t:f:o:n:h", longs, NULL)) != -1) {
        double v;
        switch (ch) {
        case 't':
            if (optval_double(optarg, 0, 100000, &v)) goto bad_value;
            o->cmp.threshold_pct = v;
            break;
        case O_MIN:
            if (optval_double(optarg, 0, 100, &v)) goto bad_value;
            o->cmp.min_share_pp = v;
            break;
        case O_ALPHA:
            if (optval_double(optarg, 1e-12, 0.5, &v)) goto bad_value;
            o->cmp.alpha = v;
            break;
        case O_CORR:
            if (!strcasecmp(optarg, "bh")) o->cmp.correction = CMP_BH;
            else if (!strcasecmp(optarg, "holm")) o->cmp.correction = CMP_HOLM;
            else goto bad_value;
            break;
        case O_DISP:
            if (optval_double(optarg, 1, 1000, &v)) goto bad_value;
            o->cmp.dispersion = v;
            break;
        case O_FAIL:
            if (!optarg) o->fail_on_regression = true;
            else if (!strcasecmp(optarg, "wall")) o->fail_on_wall = true;
            else goto bad_value;
            break;
        case O_HIST: o->history = optarg; break;
        case 'f': o->formats = optarg; break;
        case 'o': o->output = optarg; break;
        case 'n': o->name = optarg; break;
        case O_TOP:
            if (optval_double(optarg, 1, 1000, &v)) goto bad_value;
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

/* Checks the format list before any work: *nfmt formats, all known.
 * 0, or EXIT_USAGE after one line on stderr. */
static int count_formats(const diff_opts *o, size_t *nfmt) {
    *nfmt = 0;
    for (const char *s = o->formats; *s;) {
        size_t n = strcspn(s, ",");
        if (n && !find_format(s, n)) {
            fprintf(stderr, "csprof diff: unknown format '%.*s' (known: text, md, json, svg)\n", (int)n, s);
            return EXIT_USAGE;
        }
        *nfmt += n > 0;
        s += n + (s[n] == ',');
    }
    if (!*nfmt) {
        fprintf(stderr, "csprof diff: empty format list\n");
        return EXIT_USAGE;
    }
    if (*nfmt > 1 && !o->output) {
        fprintf(stderr, "csprof diff: several formats need -o STEM (files STEM.txt, STEM.md, ...)\n");
        return EXIT_USAGE;
    }
    return 0;
}

/* Reads both profiles (and the history, when given) and compares them into
 * r; 0, or the exit status after one line on stderr (nothing left held). */
static int read_and_compare(diff_opts *o, profile **base, profile **new_p, cmp_result *r) {
    char err[512];
    *base = read_profile_json(o->base_path, err, sizeof err);
    if (!*base) {
        fprintf(stderr, "csprof diff: baseline: %s\n", err);
        return EXIT_NOINPUT;
    }
    *new_p = read_profile_json(o->new_path, err, sizeof err);
    if (!*new_p) {
        fprintf(stderr, "csprof diff: %s\n", err);
        prof_free(*base);
        return EXIT_NOINPUT;
    }
    hist_series hist = {0};
    history hh = {0};
    if (o->history) {
        int hrc = read_history(o->history, &hh, &hist);
        if (hrc) {
            prof_free(*base);
            prof_free(*new_p);
            return hrc;
        }
        o->cmp.history = &hist.view;
    }
    int crc = cmp_profiles(*base, *new_p, &o->cmp, r);
    hist_series_free(&hist);
    hist_free(&hh);
    o->cmp.history = NULL;
    if (crc) {
        fprintf(stderr, "csprof diff: out of memory comparing the profiles\n");
        prof_free(*base);
        prof_free(*new_p);
        return EXIT_SOFTWARE;
    }
    return 0;
}

/* Writes each format of the list: to -o STEM + suffix when there are
 * several, else to -o or standard output. A format that fails does not stop
 * the others: 0, or the first failure's exit status; out of memory for a
 * path stops at once with EXIT_SOFTWARE. */
static int write_formats(const diff_opts *o, size_t nfmt, const diff_ctx *c) {
    int rc = 0;
    for (const char *s = o->formats; *s;) {
        size_t n = strcspn(s, ",");
        const diff_format *f = n ? find_format(s, n) : NULL;
        if (f) {
            char *path = NULL;
            if (o->output && nfmt > 1) {
                size_t len = strlen(o->output) + strlen(f->suffix) + 1;
                path = malloc(len);
                if (!path) {
                    fprintf(stderr, "csprof diff: out of memory\n");
                    return EXIT_SOFTWARE;
                }
                snprintf(path, len, "%s%s", o->output, f->suffix);
            }
            int wrc = write_to(path ? path : o->output, f, c);
            free(path);
            if (wrc && !rc) rc = wrc;
        }
        s += n + (s[n] == ',');
    }
    return rc;
}

int cmd_diff(int argc, char **argv) {
    diff_opts o;
    int rc = parse_args(argc, argv, &o);
    if (rc) return rc < 0 ? 0 : rc;
    size_t nfmt;
    rc = count_formats(&o, &nfmt);
    if (rc) return rc;
    profile *base, *new_p;
    cmp_result r;
    rc = read_and_compare(&o, &base, &new_p, &r);
    if (rc) return rc;
    const prof_meta *m = prof_meta_get(new_p);
    diff_ctx c = {
        .o = &o, .base = base, .new_p = new_p, .r = &r,
        .name = o.name ? o.name : (m && nonempty(m->name)) ? m->name : "profile",
        .server_url = nonempty(getenv("GITHUB_SERVER_URL")),
        .repository = nonempty(getenv("GITHUB_REPOSITORY")),
        .sha = nonempty(getenv("GITHUB_SHA")),
    };
    rc = write_formats(&o, nfmt, &c);
    bool regressed = (o.fail_on_regression && r.regressed) || (o.fail_on_wall && r.wall_slower);
    cmp_result_free(&r);
    prof_free(base);
    prof_free(new_p);
    if (rc) return rc;
    return regressed ? 1 : 0;
}
