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
static bool md_hint(str *b, const char *h) {
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
static void md_location(const summary *S, const char *file, frame_type type, int line, str *b) {
    str disp, url;
    s_init(&disp, 2000);
    s_init(&url, 2000);
    summary_display_path(S, file, type, &disp);
    if (line > 0 && type != FRAME_NATIVE) s_printf(&disp, ":%d", line);
    if (summary_file_url(S, file, type, line, &url)) {
        s_puts(b, "[");
        md_text_clean(b, s_str(&disp));
        s_printf(b, "](%s)", s_str(&url));
    } else {
        md_text_clean(b, s_str(&disp));
    }
    s_free(&disp);
    s_free(&url);
}

static void md_header(const summary *S, str *b) {
    char tmp[200];
    str t;
    s_init(&t, 4000);
    int n = S->nlines ? S->nlines : S->nrows;
    if (S->failed_early) {
        s_puts(b, "### csprof: ");
        md_code(b, summary_title(S), NAME_MAX_CHARS);
        s_puts(b, " failed before doing any work\n\n");
    } else {
        if (n)
            s_printf(b, "### csprof: top %d bottleneck%s in ", n, plural((uint64_t)n, "", "s"));
        else
            s_puts(b, "### csprof: no bottlenecks found in ");
        md_code(b, summary_title(S), NAME_MAX_CHARS);
        s_puts(b, "\n\n");
    }
    if (S->m->argc > 0) {
        summary_command_line(S, &t);
        md_code(b, s_str(&t), 300);
        s_puts(b, " · ");
        t.len = 0;
    }
    summary_exit_text(S->m->exit_status, tmp, sizeof tmp);
    s_puts(b, tmp);
    if (S->m->wall_seconds > 0) {
        fmt_secs(tmp, sizeof tmp, S->m->wall_seconds);
        s_printf(b, " · %s wall", tmp);
    }
    summary_rate_text(S, true, tmp, sizeof tmp);
    s_printf(b, " · %s", tmp);
    if (S->m->python_version) {
        s_puts(b, " · Python ");
        md_text(b, S->m->python_version, 40, false);
        if (S->m->python_build && strcmp(S->m->python_build, "default")) {
            s_puts(b, " (");
            md_text(b, S->m->python_build, 20, false);
            s_puts(b, ")");
        }
    }
    if (S->m->start_time) {
        summary_date_text(S->m->start_time, &t);
        s_puts(b, " · ");
        md_text_clean(b, s_str(&t));
        t.len = 0;
    }
    if (S->m->git_commit) {
        s_puts(b, " · commit ");
        char sha[13];
        snprintf(sha, sizeof sha, "%s", S->m->git_commit);
        if (summary_can_link(S)) {
            const char *srv = S->o->server_url;
            size_t sl = strlen(srv);
            while (sl && srv[sl - 1] == '/') sl--;
            s_puts(b, "[");
            md_code(b, sha, 12);
            s_puts(b, "](");
            s_putn(b, srv, sl);
            s_puts(b, "/");
            url_path(b, S->o->repository);
            s_puts(b, "/commit/");
            url_path(b, S->m->git_commit);
            s_puts(b, ")");
        } else {
            md_code(b, sha, 12);
        }
    }
    s_puts(b, "\n\n");
    if (S->o->flamegraph) {
        s_puts(b, "Flamegraph: ");
        md_text(b, S->o->flamegraph, 300, false);
        s_puts(b, "\n\n");
    }
    s_free(&t);
}

static void md_row(const summary *S, int rank, const row_info *r, str *b) {
    const prof_func_stat *f = &S->stats[r->idx];
    char secs[40], lohi[80];
    double lo, hi;
    wilson(f->self, S->total, &lo, &hi);
    fmt_secs(secs, sizeof secs, (double)f->self * S->sps);
    snprintf(lohi, sizeof lohi, "%.1f–%.1f%%", lo, hi);
    s_printf(b, "| %d | ", rank);
    md_code_cell(b, f->function, NAME_MAX_CHARS);
    s_puts(b, " | ");
    md_location(S, f->file, f->type, f->first_line, b);
    s_printf(b, " | %s · %.1f%% (%s) | %.1f%% | %s | ", secs, share(f->self, S->total), lohi,
             share(f->total, S->total), code_kind_name(r->kind));
    if (f->hot_line > 0) {
        str url;
        s_init(&url, 2000);
        if (summary_file_url(S, f->file, f->type, f->hot_line, &url))
            s_printf(b, "[%d](%s)", f->hot_line, s_str(&url));
        else
            s_printf(b, "%d", f->hot_line);
        s_printf(b, " (%d%%)", summary_hot_pct(f));
        s_free(&url);
    } else {
        s_puts(b, "—");
    }
    s_puts(b, " |\n");
}


/* "its own line 64% · `dot` (numpy) 21% · 2 others 3%" */
static void md_beneath(const summary *S, const user_line *L, str *b) {
    for (int k = 0; k < L->nbeneath; k++) {
        const beneath_item *it = &L->beneath[k];
        if (k) s_puts(b, " · ");
        if (it->func < 0) {
            s_puts(b, "the line itself");
        } else {
            str owner;
            s_init(&owner, 200);
            summary_owner_label(S, it->func, &owner);
            md_code_cell(b, S->stats[it->func].function, 60);
            if (owner.len) {
                s_puts(b, " (");
                md_text_clean(b, s_str(&owner));
                s_puts(b, ")");
            }
            s_free(&owner);
        }
        s_printf(b, " %.0f%%", share(it->samples, L->samples));
    }
    if (L->nbeneath_rest && L->beneath_rest * 200 >= L->samples)
        s_printf(b, " · %d other%s %.0f%%", L->nbeneath_rest, plural((uint64_t)L->nbeneath_rest, "", "s"),
                 share(L->beneath_rest, L->samples));
}

static void md_line_row(const summary *S, int rank, const user_line *L, str *b) {
    const prof_func_stat *f = &S->stats[L->func];
    char secs[40];
    double lo, hi;
    wilson(L->samples, S->total, &lo, &hi);
    fmt_secs(secs, sizeof secs, (double)L->samples * S->sps);
    s_printf(b, "| %d | ", rank);
    md_code_cell(b, f->function, NAME_MAX_CHARS);
    s_puts(b, " | ");
    md_location(S, f->file, f->type, L->line, b);
    s_printf(b, " | %s · %.1f%% (%.1f–%.1f%%) | ", secs, share(L->samples, S->total), lo, hi);
    md_beneath(S, L, b);
    s_puts(b, " |\n");
}

/* The lead: lines of your code by the time charged to them. */
static void md_lines(const summary *S, str *out) {
    str table, hints, row, item;
    s_init(&table, BUDGET_LINES);
    s_init(&hints, BUDGET_LINES);
    s_init(&row, BUDGET_LINES);
    s_init(&item, BUDGET_LINES);
    s_puts(&table, "| # | Your code | Line | Time (95% interval) | Spent in |\n"
                   "|--:|---|---|--:|---|\n");
    s_puts(&hints, "**What to try**\n\n");
    int shown = 0;
    for (int i = 0; i < S->nlines; i++) {
        const user_line *L = &S->lines[i];
        md_line_row(S, i + 1, L, &row);
        s_printf(&item, "%d. ", i + 1);
        md_code(&item, S->stats[L->func].function, NAME_MAX_CHARS);
        s_printf(&item, " line %d — ", L->line);
        md_hint(&item, L->hint);
        s_puts(&item, "\n");
        if (table.len + row.len + hints.len + item.len + 400 > BUDGET_LINES) break;
        s_take(&table, &row);
        s_take(&hints, &item);
        shown++;
    }
    if (shown < S->nlines)
        s_printf(&table, "\n*%d more row%s left out to keep this summary small.*\n",
                 S->nlines - shown, plural((uint64_t)(S->nlines - shown), "", "s"));
    if (S->user_samples < S->total)
        s_printf(&table, "\nTime is charged to the innermost line of your code on each sample; "
                         "%.1f%% of the samples had none on the stack.\n",
                 share(S->total - S->user_samples, S->total));
    s_puts(&table, "\n");
    s_take(out, &table);
    s_take(out, &hints);
    s_puts(out, "\n");
    s_free(&table);
    s_free(&hints);
    s_free(&row);
    s_free(&item);
}

/* A run that failed before doing work: that first, and no tables. */
static void md_failure(const summary *S, str *out) {
    str sec, t;
    s_init(&sec, BUDGET_FAILURE);
    s_init(&t, 2000);
    summary_failure_text(S, &t);
    s_puts(&sec, "> ❌ ");
    md_text_clean(&sec, s_str(&t));
    s_puts(&sec, "\n\n");
    s_take(out, &sec);
    s_free(&sec);
    s_free(&t);
}

/* The self-time rows; with hints when they lead (no sample had your code
 * on its stack), else as the second view under its own heading. */
static void md_top(const summary *S, str *out) {
    bool lead = S->nlines == 0;
    str table, hints, row, item;
    s_init(&table, BUDGET_SELF);
    s_init(&hints, BUDGET_SELF);
    s_init(&row, BUDGET_SELF);
    s_init(&item, BUDGET_SELF);
    if (!lead)
        s_puts(&table, "**Functions by self time** (any code: where the CPU was when sampled)\n\n");
    s_puts(&table, "| # | Function | Location | Self time (95% interval) | Total | Kind | "
                   "Hottest line |\n|--:|---|---|--:|--:|---|---|\n");
    s_puts(&hints, "**What to try**\n\n");
    int shown = 0;
    for (int i = 0; i < S->nrows; i++) {
        const row_info *r = &S->rows[i];
        md_row(S, i + 1, r, &row);
        s_printf(&item, "%d. ", i + 1);
        md_code(&item, S->stats[r->idx].function, NAME_MAX_CHARS);
        s_puts(&item, " — ");
        md_hint(&item, r->hint);
        s_puts(&item, "\n");
        if (!lead) item.len = 0;
        /* 200 bytes kept for the "more rows" line */
        if (table.len + row.len + hints.len + item.len + 200 > BUDGET_SELF) break;
        s_take(&table, &row);
        s_take(&hints, &item);
        shown++;
    }
    if (shown < S->nrows)
        s_printf(&table, "\n*%d more row%s left out to keep this summary small.*\n",
                 S->nrows - shown, plural((uint64_t)(S->nrows - shown), "", "s"));
    s_puts(&table, "\n");
    s_take(out, &table);
    if (lead) {
        s_take(out, &hints);
        s_puts(out, "\n");
    }
    s_free(&table);
    s_free(&hints);
    s_free(&row);
    s_free(&item);
}

static void md_by_total(const summary *S, str *out) {
    str sec, row;
    s_init(&sec, BUDGET_BY_TOTAL);
    s_init(&row, BUDGET_BY_TOTAL);
    s_printf(&sec, "<details>\n<summary>Top %d functions by total time</summary>\n\n",
             S->nby_total);
    s_puts(&sec, "| # | Function | Location | Total | Self | Samples (self / total) | Kind |\n"
                 "|--:|---|---|--:|--:|--:|---|\n");
    int shown = 0;
    for (int i = 0; i < S->nby_total; i++) {
        const prof_func_stat *f = &S->stats[S->by_total[i]];
        char secs[40], a[32], b[32];
        fmt_secs(secs, sizeof secs, (double)f->total * S->sps);
        fmt_count(a, sizeof a, f->self);
        fmt_count(b, sizeof b, f->total);
        s_printf(&row, "| %d | ", i + 1);
        md_code_cell(&row, f->function, NAME_MAX_CHARS);
        s_puts(&row, " | ");
        md_location(S, f->file, f->type, f->first_line, &row);
        s_printf(&row, " | %s · %.1f%% | %.1f%% | %s / %s | %s |\n", secs,
                 share(f->total, S->total), share(f->self, S->total), a, b,
                 code_kind_name(summary_func_kind(S, S->by_total[i])));
        if (sec.len + row.len + 200 > BUDGET_BY_TOTAL) break;
        s_take(&sec, &row);
        shown++;
    }
    if (shown < S->nby_total)
        s_printf(&sec, "\n*%d more %s left out to keep this summary small.*\n",
                 S->nby_total - shown, plural((uint64_t)(S->nby_total - shown), "row", "rows"));
    s_puts(&sec, "\n</details>\n\n");
    s_take(out, &sec);
    s_free(&sec);
    s_free(&row);
}

static void md_threads(const summary *S, str *out) {
    if (S->nthreads_sampled == 0) return;
    str sec, row, label;
    s_init(&sec, BUDGET_THREADS);
    s_init(&row, BUDGET_THREADS);
    s_init(&label, 1000);
    s_printf(&sec, "<details>\n<summary>Threads (%zu)</summary>\n\n", S->nthreads_sampled);
    s_puts(&sec, "| Thread | Samples | Share | Idle | Busiest function (self samples) |\n"
                 "|---|--:|--:|--:|---|\n");
    size_t shown = 0;
    for (size_t i = 0; i < S->nthreads_shown; i++) {
        const thread_info *t = &S->threads[i];
        char n[32];
        fmt_count(n, sizeof n, t->samples);
        label.len = 0;
        summary_thread_label(S, t->idx, &label);
        s_puts(&row, "| ");
        md_text_clean(&row, s_str(&label));
        s_printf(&row, " | %s | %.1f%% | %.1f%% | ", n, share(t->samples, S->total),
                 share(t->idle, t->samples));
        if (t->busiest >= 0) {
            fmt_count(n, sizeof n, t->busiest_samples);
            md_code_cell(&row, S->stats[t->busiest].function, 60);
            s_printf(&row, " (%s)", n);
        } else {
            s_puts(&row, "—");
        }
        s_puts(&row, " |\n");
        if (sec.len + row.len + 200 > BUDGET_THREADS) break;
        s_take(&sec, &row);
        shown++;
    }
    if (shown < S->nthreads_sampled)
        s_printf(&sec, "\n*%zu more %s not shown.*\n", S->nthreads_sampled - shown,
                 plural(S->nthreads_sampled - shown, "thread", "threads"));
    s_puts(&sec, "\n</details>\n\n");
    s_take(out, &sec);
    s_free(&sec);
    s_free(&row);
    s_free(&label);
}

typedef struct {
    str *sec;
    size_t left_out;
} md_note_ctx;

static void md_note(void *ctx, const char *text) {
    md_note_ctx *c = ctx;
    str item;
    s_init(&item, BUDGET_NOTES);
    s_puts(&item, "- ");
    md_text(&item, text, 1000, false);
    s_puts(&item, "\n");
    if (c->sec->len + item.len + 100 > BUDGET_NOTES) c->left_out++;
    else s_take(c->sec, &item);
    s_free(&item);
}

static void md_notes(const summary *S, str *out) {
    str sec;
    s_init(&sec, BUDGET_NOTES);
    s_puts(&sec, "<details>\n<summary>Notes</summary>\n\n");
    md_note_ctx c = {&sec, 0};
    summary_notes(S, md_note, &c);
    if (c.left_out)
        s_printf(&sec, "- %zu more %s left out.\n", c.left_out, plural(c.left_out, "note", "notes"));
    s_puts(&sec, "\n</details>\n");
    s_take(out, &sec);
    s_free(&sec);
}

int write_markdown(const profile *p, FILE *out, const output_opts *o) {
    summary S;
    str doc, part;
    s_init(&doc, MD_LIMIT - 1);
    int rc = -1;
    if (summary_analyse(&S, p, o)) {
        fprintf(stderr, "csprof: out of memory writing the Markdown summary\n");
        summary_free(&S);
        return -1;
    }
    s_init(&part, BUDGET_HEADER);
    md_header(&S, &part);
    s_take(&doc, &part);
    s_free(&part);
    if (S.failed_early) {
        md_failure(&S, &doc);
    } else if (S.nrows) {
        if (S.nlines) md_lines(&S, &doc);
        md_top(&S, &doc);
        s_init(&part, BUDGET_KINDS);
        s_puts(&part, "Self time by kind of code: ");
        summary_kinds_items(&S, true, &part);
        s_puts(&part, "\n\n");
        s_take(&doc, &part);
        s_free(&part);
        md_by_total(&S, &doc);
        md_threads(&S, &doc);
    } else if (S.total) {
        s_puts(&doc, "No function had samples of its own.\n\n");
    }
    md_notes(&S, &doc);
    if (doc.oom) {
        fprintf(stderr, "csprof: out of memory writing the Markdown summary\n");
    } else if (fwrite(s_str(&doc), 1, doc.len, out) != doc.len || fflush(out) != 0) {
        perror("csprof: cannot write the Markdown summary");
    } else {
        rc = 0;
    }
    s_free(&doc);
    summary_free(&S);
    return rc;
}
