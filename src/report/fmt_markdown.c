/* fmt_markdown.c -- the bottleneck summary as GitHub-flavoured Markdown
 * for the job summary (write_markdown). What it says is worked out in
 * summary.c; this file lays it out.
 *
 * Content: a header (command, exit status, wall time, samples and rate,
 * Python, date, commit, where the flamegraph is); the lines of your code
 * that hold the most time, with what each spends it in and one hint each;
 * the functions by self time with a 95% Wilson interval on each share; the
 * self time by kind of code; then the top 20 by total time, the threads and
 * the notes. A run that failed before doing work gets its exit status and
 * last stderr line instead of the tables.
 *
 * The Markdown must stay far below GitHub's 1 MiB summary limit whatever the
 * profile: every section is rendered into its own buffer with a byte budget
 * (rows that don't fit are counted, not written), every cell is cut to a
 * bounded length, and the sum of the budgets is under MD_LIMIT (64 KiB).
 * Names and paths from the target are untrusted: table metacharacters,
 * backticks, HTML and control characters are escaped or replaced, and
 * invalid UTF-8 becomes U+FFFD.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "summary.h"

enum {
    MD_LIMIT = 65536,
    BUDGET_HEADER = 3000,
    BUDGET_FAILURE = 1500,
    BUDGET_LINES = 22000,   /* lines of your code, their hints */
    BUDGET_SELF = 12000,    /* functions by self time (and hints when they lead) */
    BUDGET_KINDS = 600,
    BUDGET_BY_TOTAL = 14000,
    BUDGET_THREADS = 7000,
    BUDGET_NOTES = 5000,
};

/* Writes hint text, turning the code markers into code spans. */
static bool md_hint(sbuf *b, const char *h) {
    bool ok = true;
    while (ok && *h) {
        const char *on = strchr(h, HINT_CODE_ON);
        size_t n = on ? (size_t)(on - h) : strlen(h);
        char *plain = strndup(h, n);
        if (!plain) {
            b->oom = true;
            return false;
        }
        ok = md_text(b, plain, 2000, false);
        free(plain);
        if (!on) break;
        const char *off = strchr(on + 1, HINT_CODE_OFF);
        size_t m = off ? (size_t)(off - on - 1) : strlen(on + 1);
        char *code = strndup(on + 1, m);
        if (!code) {
            b->oom = true;
            return false;
        }
        ok = ok && md_code(b, code, NAME_MAX_CHARS);
        free(code);
        h = off ? off + 1 : on + 1 + m;
    }
    return ok;
}

/* "[text](url)" when linkable, else the escaped text. */
static void md_location(const summary *S, const char *file, frame_type type, int line, sbuf *b) {
    sbuf disp, url;
    sbuf_init(&disp, 2000);
    sbuf_init(&url, 2000);
    summary_display_path(S, file, type, &disp);
    if (line > 0 && type != FRAME_NATIVE) sbuf_printf(&disp, ":%d", line);
    if (summary_file_url(S, file, type, line, &url)) {
        sbuf_puts(b, "[");
        md_text_clean(b, sbuf_str(&disp));
        sbuf_printf(b, "](%s)", sbuf_str(&url));
    } else {
        md_text_clean(b, sbuf_str(&disp));
    }
    sbuf_free(&disp);
    sbuf_free(&url);
}

static void md_header(const summary *S, sbuf *b) {
    char tmp[200];
    sbuf t;
    sbuf_init(&t, 4000);
    int n = S->nlines ? S->nlines : S->nrows;
    if (S->failed_early) {
        sbuf_puts(b, "### csprof: ");
        md_code(b, summary_title(S), NAME_MAX_CHARS);
        sbuf_puts(b, " failed before doing any work\n\n");
    } else {
        if (n)
            sbuf_printf(b, "### csprof: top %d bottleneck%s in ", n, plural((uint64_t)n, "", "s"));
        else
            sbuf_puts(b, "### csprof: no bottlenecks found in ");
        md_code(b, summary_title(S), NAME_MAX_CHARS);
        sbuf_puts(b, "\n\n");
    }
    if (S->m->argc > 0) {
        summary_command_line(S, &t);
        md_code(b, sbuf_str(&t), 300);
        sbuf_puts(b, " · ");
        sbuf_reset(&t);
    }
    summary_exit_text(S->m->exit_status, tmp, sizeof tmp);
    sbuf_puts(b, tmp);
    if (S->m->wall_seconds > 0) {
        fmt_secs(tmp, sizeof tmp, S->m->wall_seconds);
        sbuf_printf(b, " · %s wall", tmp);
    }
    summary_rate_text(S, true, tmp, sizeof tmp);
    sbuf_printf(b, " · %s", tmp);
    if (S->m->python_version) {
        sbuf_puts(b, " · Python ");
        md_text(b, S->m->python_version, 40, false);
        if (S->m->python_build && strcmp(S->m->python_build, "default")) {
            sbuf_puts(b, " (");
            md_text(b, S->m->python_build, 20, false);
            sbuf_puts(b, ")");
        }
    }
    if (S->m->start_time) {
        summary_date_text(S->m->start_time, &t);
        sbuf_puts(b, " · ");
        md_text_clean(b, sbuf_str(&t));
        sbuf_reset(&t);
    }
    if (S->m->git_commit) {
        sbuf_puts(b, " · commit ");
        char sha[13];
        snprintf(sha, sizeof sha, "%s", S->m->git_commit);
        if (summary_can_link(S)) {
            const char *srv = S->o->server_url;
            size_t sl = strlen(srv);
            while (sl && srv[sl - 1] == '/') sl--;
            sbuf_puts(b, "[");
            md_code(b, sha, 12);
            sbuf_puts(b, "](");
            sbuf_putn(b, srv, sl);
            sbuf_puts(b, "/");
            url_path(b, S->o->repository);
            sbuf_puts(b, "/commit/");
            url_path(b, S->m->git_commit);
            sbuf_puts(b, ")");
        } else {
            md_code(b, sha, 12);
        }
    }
    sbuf_puts(b, "\n\n");
    if (S->o->flamegraph) {
        sbuf_puts(b, "Flamegraph: ");
        md_text(b, S->o->flamegraph, 300, false);
        sbuf_puts(b, "\n\n");
    }
    sbuf_free(&t);
}

static void md_row(const summary *S, int rank, const row_info *r, sbuf *b) {
    const prof_func_stat *f = &S->stats[r->idx];
    char secs[40], lohi[80];
    double lo, hi;
    wilson(f->self, S->total, S->deff, &lo, &hi);
    fmt_secs(secs, sizeof secs, (double)f->self * S->sps);
    snprintf(lohi, sizeof lohi, "%.1f–%.1f%%", lo, hi);
    sbuf_printf(b, "| %d | ", rank);
    md_code_cell(b, f->function, NAME_MAX_CHARS);
    sbuf_puts(b, " | ");
    md_location(S, f->file, f->type, f->first_line, b);
    sbuf_printf(b, " | %s · %.1f%% (%s) | %.1f%% | %s | ", secs, share(f->self, S->total), lohi,
                share(f->total, S->total), code_kind_name(r->kind));
    if (f->hot_line > 0) {
        sbuf url;
        sbuf_init(&url, 2000);
        if (summary_file_url(S, f->file, f->type, f->hot_line, &url))
            sbuf_printf(b, "[%d](%s)", f->hot_line, sbuf_str(&url));
        else
            sbuf_printf(b, "%d", f->hot_line);
        sbuf_printf(b, " (%d%%)", summary_hot_pct(f));
        sbuf_free(&url);
    } else {
        sbuf_puts(b, "—");
    }
    sbuf_puts(b, " |\n");
}


/* "its own line 64% · `dot` (numpy) 21% · 2 others 3%" */
static void md_beneath(const summary *S, const user_line *L, sbuf *b) {
    for (int k = 0; k < L->nbeneath; k++) {
        const beneath_item *it = &L->beneath[k];
        if (k) sbuf_puts(b, " · ");
        if (it->func < 0) {
            sbuf_puts(b, "the line itself");
        } else {
            sbuf owner;
            sbuf_init(&owner, 200);
            summary_owner_label(S, it->func, &owner);
            md_code_cell(b, S->stats[it->func].function, 60);
            if (owner.len) {
                sbuf_puts(b, " (");
                md_text_clean(b, sbuf_str(&owner));
                sbuf_puts(b, ")");
            }
            sbuf_free(&owner);
        }
        sbuf_printf(b, " %.0f%%", share(it->samples, L->samples));
    }
    if (L->nbeneath_rest && L->beneath_rest * 200 >= L->samples)
        sbuf_printf(b, " · %d other%s %.0f%%", L->nbeneath_rest, plural((uint64_t)L->nbeneath_rest, "", "s"),
                    share(L->beneath_rest, L->samples));
}

static void md_line_row(const summary *S, int rank, const user_line *L, sbuf *b) {
    const prof_func_stat *f = &S->stats[L->func];
    char secs[40];
    double lo, hi;
    wilson(L->samples, S->total, S->deff, &lo, &hi);
    fmt_secs(secs, sizeof secs, (double)L->samples * S->sps);
    sbuf_printf(b, "| %d | ", rank);
    md_code_cell(b, f->function, NAME_MAX_CHARS);
    sbuf_puts(b, " | ");
    md_location(S, f->file, f->type, L->line, b);
    sbuf_printf(b, " | %s · %.1f%% (%.1f–%.1f%%) | ", secs, share(L->samples, S->total), lo, hi);
    md_beneath(S, L, b);
    sbuf_puts(b, " |\n");
}

/* A ranked table and its "What to try" list on one byte budget: a row and
 * its item go in together or not at all, and `reserve` bytes stay free for
 * what follows the rows. */
typedef struct {
    sbuf table, hints, row, item;   /* row, item: the pending ones */
    size_t budget, reserve;
    int shown;
} ranked;

static void ranked_init(ranked *k, size_t budget, size_t reserve) {
    *k = (ranked){.budget = budget, .reserve = reserve};
    sbuf_init(&k->table, budget);
    sbuf_init(&k->hints, budget);
    sbuf_init(&k->row, budget);
    sbuf_init(&k->item, budget);
    sbuf_puts(&k->hints, "**What to try**\n\n");
}

/* The pending item: "N. `function` line L — hint" (without the line
 * unless at_line). */
static void ranked_item(ranked *k, int rank, const char *function, bool at_line, int line,
                        const char *hint) {
    sbuf_printf(&k->item, "%d. ", rank);
    md_code(&k->item, function, NAME_MAX_CHARS);
    if (at_line) sbuf_printf(&k->item, " line %d — ", line);
    else sbuf_puts(&k->item, " — ");
    md_hint(&k->item, hint);
    sbuf_puts(&k->item, "\n");
}

/* Moves the pending row and item in; false, leaving them out, once they
 * would not fit. */
static bool ranked_take(ranked *k) {
    if (k->table.len + k->row.len + k->hints.len + k->item.len + k->reserve > k->budget)
        return false;
    sbuf_take(&k->table, &k->row);
    sbuf_take(&k->hints, &k->item);
    k->shown++;
    return true;
}

/* Says how many of the n rows were left out, if any. */
static void ranked_left_out(ranked *k, int n) {
    if (k->shown < n)
        sbuf_printf(&k->table, "\n*%d more row%s left out to keep this summary small.*\n",
                    n - k->shown, plural((uint64_t)(n - k->shown), "", "s"));
}

/* Moves the table, and the hints when with_hints, onto out; frees k. */
static void ranked_finish(ranked *k, sbuf *out, bool with_hints) {
    sbuf_puts(&k->table, "\n");
    sbuf_take(out, &k->table);
    if (with_hints) {
        sbuf_take(out, &k->hints);
        sbuf_puts(out, "\n");
    }
    sbuf_free(&k->table);
    sbuf_free(&k->hints);
    sbuf_free(&k->row);
    sbuf_free(&k->item);
}

/* The lead: lines of your code by the time charged to them. */
static void md_lines(const summary *S, sbuf *out) {
    ranked k;
    ranked_init(&k, BUDGET_LINES, 400);
    sbuf_puts(&k.table, "| # | Your code | Line | Time (95% interval) | Spent in |\n"
                        "|--:|---|---|--:|---|\n");
    for (int i = 0; i < S->nlines; i++) {
        const user_line *L = &S->lines[i];
        md_line_row(S, i + 1, L, &k.row);
        ranked_item(&k, i + 1, S->stats[L->func].function, true, L->line, L->hint);
        if (!ranked_take(&k)) break;
    }
    ranked_left_out(&k, S->nlines);
    if (S->user_samples < S->total)
        sbuf_printf(&k.table, "\nTime is charged to the innermost line of your code on each sample; "
                              "%.1f%% of the samples had none on the stack.\n",
                    share(S->total - S->user_samples, S->total));
    ranked_finish(&k, out, true);
}

/* A run that failed before doing work: that first, and no tables. */
static void md_failure(const summary *S, sbuf *out) {
    sbuf sec, t;
    sbuf_init(&sec, BUDGET_FAILURE);
    sbuf_init(&t, 2000);
    summary_failure_text(S, &t);
    sbuf_puts(&sec, "> ❌ ");
    md_text_clean(&sec, sbuf_str(&t));
    sbuf_puts(&sec, "\n\n");
    sbuf_take(out, &sec);
    sbuf_free(&sec);
    sbuf_free(&t);
}

/* The self-time rows; with hints when they lead (no sample had your code
 * on its stack), else as the second view under its own heading. */
static void md_top(const summary *S, sbuf *out) {
    bool lead = S->nlines == 0;
    ranked k;
    ranked_init(&k, BUDGET_SELF, 200);   /* 200 bytes kept for the "more rows" line */
    if (!lead)
        sbuf_puts(&k.table, "**Functions by self time** (any code: where the CPU was when sampled)\n\n");
    sbuf_puts(&k.table, "| # | Function | Location | Self time (95% interval) | Total | Kind | "
                        "Hottest line |\n|--:|---|---|--:|--:|---|---|\n");
    for (int i = 0; i < S->nrows; i++) {
        const row_info *r = &S->rows[i];
        md_row(S, i + 1, r, &k.row);
        if (lead) ranked_item(&k, i + 1, S->stats[r->idx].function, false, 0, r->hint);
        if (!ranked_take(&k)) break;
    }
    ranked_left_out(&k, S->nrows);
    ranked_finish(&k, out, lead);
}

static void md_by_total(const summary *S, sbuf *out) {
    sbuf sec, row;
    sbuf_init(&sec, BUDGET_BY_TOTAL);
    sbuf_init(&row, BUDGET_BY_TOTAL);
    sbuf_printf(&sec, "<details>\n<summary>Top %d functions by total time</summary>\n\n",
                S->nby_total);
    sbuf_puts(&sec, "| # | Function | Location | Total | Self | Samples (self / total) | Kind |\n"
                    "|--:|---|---|--:|--:|--:|---|\n");
    int shown = 0;
    for (int i = 0; i < S->nby_total; i++) {
        const prof_func_stat *f = &S->stats[S->by_total[i]];
        char secs[40], a[32], b[32];
        fmt_secs(secs, sizeof secs, (double)f->total * S->sps);
        fmt_count(a, sizeof a, f->self);
        fmt_count(b, sizeof b, f->total);
        sbuf_printf(&row, "| %d | ", i + 1);
        md_code_cell(&row, f->function, NAME_MAX_CHARS);
        sbuf_puts(&row, " | ");
        md_location(S, f->file, f->type, f->first_line, &row);
        sbuf_printf(&row, " | %s · %.1f%% | %.1f%% | %s / %s | %s |\n", secs,
                    share(f->total, S->total), share(f->self, S->total), a, b,
                    code_kind_name(summary_func_kind(S, S->by_total[i])));
        if (sec.len + row.len + 200 > BUDGET_BY_TOTAL) break;
        sbuf_take(&sec, &row);
        shown++;
    }
    if (shown < S->nby_total)
        sbuf_printf(&sec, "\n*%d more %s left out to keep this summary small.*\n",
                    S->nby_total - shown, plural((uint64_t)(S->nby_total - shown), "row", "rows"));
    sbuf_puts(&sec, "\n</details>\n\n");
    sbuf_take(out, &sec);
    sbuf_free(&sec);
    sbuf_free(&row);
}

static void md_threads(const summary *S, sbuf *out) {
    if (S->nthreads_sampled == 0) return;
    sbuf sec, row, label;
    sbuf_init(&sec, BUDGET_THREADS);
    sbuf_init(&row, BUDGET_THREADS);
    sbuf_init(&label, 1000);
    sbuf_printf(&sec, "<details>\n<summary>Threads (%zu)</summary>\n\n", S->nthreads_sampled);
    sbuf_puts(&sec, "| Thread | Samples | Share | Idle | Busiest function (self samples) |\n"
                    "|---|--:|--:|--:|---|\n");
    size_t shown = 0;
    for (size_t i = 0; i < S->nthreads_shown; i++) {
        const thread_info *t = &S->threads[i];
        char n[32];
        fmt_count(n, sizeof n, t->samples);
        sbuf_reset(&label);
        summary_thread_label(S, t->idx, &label);
        sbuf_puts(&row, "| ");
        md_text_clean(&row, sbuf_str(&label));
        sbuf_printf(&row, " | %s | %.1f%% | %.1f%% | ", n, share(t->samples, S->total),
                    share(t->idle, t->samples));
        if (t->busiest >= 0) {
            fmt_count(n, sizeof n, t->busiest_samples);
            md_code_cell(&row, S->stats[t->busiest].function, 60);
            sbuf_printf(&row, " (%s)", n);
        } else {
            sbuf_puts(&row, "—");
        }
        sbuf_puts(&row, " |\n");
        if (sec.len + row.len + 200 > BUDGET_THREADS) break;
        sbuf_take(&sec, &row);
        shown++;
    }
    if (shown < S->nthreads_sampled)
        sbuf_printf(&sec, "\n*%zu more %s not shown.*\n", S->nthreads_sampled - shown,
                    plural(S->nthreads_sampled - shown, "thread", "threads"));
    sbuf_puts(&sec, "\n</details>\n\n");
    sbuf_take(out, &sec);
    sbuf_free(&sec);
    sbuf_free(&row);
    sbuf_free(&label);
}

typedef struct {
    sbuf *sec;
    size_t left_out;
} md_note_ctx;

static void md_note(void *ctx, const char *text) {
    md_note_ctx *c = ctx;
    sbuf item;
    sbuf_init(&item, BUDGET_NOTES);
    sbuf_puts(&item, "- ");
    md_text(&item, text, 1000, false);
    sbuf_puts(&item, "\n");
    if (c->sec->len + item.len + 100 > BUDGET_NOTES) c->left_out++;
    else sbuf_take(c->sec, &item);
    sbuf_free(&item);
}

static void md_notes(const summary *S, sbuf *out) {
    sbuf sec;
    sbuf_init(&sec, BUDGET_NOTES);
    sbuf_puts(&sec, "<details>\n<summary>Notes</summary>\n\n");
    md_note_ctx c = {&sec, 0};
    summary_notes(S, md_note, &c);
    if (c.left_out)
        sbuf_printf(&sec, "- %zu more %s left out.\n", c.left_out, plural(c.left_out, "note", "notes"));
    sbuf_puts(&sec, "\n</details>\n");
    sbuf_take(out, &sec);
    sbuf_free(&sec);
}

int write_markdown(const profile *p, FILE *out, const output_opts *o) {
    summary S;
    sbuf doc, part;
    sbuf_init(&doc, MD_LIMIT - 1);
    int rc = -1;
    if (summary_analyse(&S, p, o)) {
        fprintf(stderr, "csprof: out of memory writing the Markdown summary\n");
        summary_free(&S);
        return -1;
    }
    sbuf_init(&part, BUDGET_HEADER);
    md_header(&S, &part);
    sbuf_take(&doc, &part);
    sbuf_free(&part);
    if (S.failed_early) {
        md_failure(&S, &doc);
    } else if (S.nrows) {
        if (S.nlines) md_lines(&S, &doc);
        md_top(&S, &doc);
        sbuf_init(&part, BUDGET_KINDS);
        sbuf_puts(&part, "Self time by kind of code: ");
        summary_kinds_items(&S, true, &part);
        sbuf_puts(&part, "\n\n");
        sbuf_take(&doc, &part);
        sbuf_free(&part);
        md_by_total(&S, &doc);
        md_threads(&S, &doc);
    } else if (S.total) {
        sbuf_puts(&doc, "No function had samples of its own.\n\n");
    }
    md_notes(&S, &doc);
    if (doc.oom) {
        fprintf(stderr, "csprof: out of memory writing the Markdown summary\n");
    } else if (fwrite(sbuf_str(&doc), 1, doc.len, out) != doc.len || fflush(out) != 0) {
        perror("csprof: cannot write the Markdown summary");
    } else {
        rc = 0;
    }
    sbuf_free(&doc);
    summary_free(&S);
    return rc;
}
