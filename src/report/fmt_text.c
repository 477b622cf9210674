/* fmt_text.c -- the bottleneck summary as aligned plain text for terminals
 * (write_text): the same content as the Markdown (fmt_markdown.c), worked
 * out by summary.c, laid out in columns with prose wrapped at TEXT_WIDTH.
 * Every name is cleaned of control characters and invalid UTF-8. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "summary.h"

enum { TEXT_WIDTH = 100 };  /* wrap width of prose */

/* Columns a cleaned string takes in a terminal: one per character. */
static size_t width(const char *s) { return utf8_count(s, strlen(s)); }

/* A table of cleaned cells, printed with aligned columns. */
typedef struct {
    int ncols;
    const char *align;  /* per column: 'l' or 'r' */
    sbuf *cells;         /* row-major */
    int nrows, caprows;
} ttable;

static int tt_init(ttable *t, int ncols, const char *align) {
    *t = (ttable){.ncols = ncols, .align = align};
    return 0;
}

/* Adds a row of ncols cells, each a printf-less plain string (cleaned here). */
static void tt_row(ttable *t, const char *const *cells, const size_t *max) {
    if (t->nrows == t->caprows) {
        int nc = t->caprows ? t->caprows * 2 : 16;
        sbuf *n = realloc(t->cells, (size_t)nc * (size_t)t->ncols * sizeof *n);
        if (!n) return;
        t->cells = n;
        t->caprows = nc;
    }
    for (int c = 0; c < t->ncols; c++) {
        sbuf *cell = &t->cells[t->nrows * t->ncols + c];
        sbuf_init(cell, SBUF_NO_LIMIT);
        utf8_display(cell, cells[c], max ? max[c] : 200, false);
    }
    t->nrows++;
}

static void tt_print(const ttable *t, FILE *out, const char *indent) {
    size_t w[16] = {0};
    for (int r = 0; r < t->nrows; r++)
        for (int c = 0; c < t->ncols && c < 16; c++) {
            size_t cw = width(sbuf_str(&t->cells[r * t->ncols + c]));
            if (cw > w[c]) w[c] = cw;
        }
    for (int r = 0; r < t->nrows; r++) {
        fputs(indent, out);
        for (int c = 0; c < t->ncols; c++) {
            const char *s = sbuf_str(&t->cells[r * t->ncols + c]);
            size_t pad = w[c] - width(s);
            bool last = c == t->ncols - 1;
            if (t->align[c] == 'r') fprintf(out, "%*s%s", (int)pad, "", s);
            else fprintf(out, "%s%*s", s, last ? 0 : (int)pad, "");
            if (!last) fputs("  ", out);
        }
        putc('\n', out);
    }
}

static void tt_free(ttable *t) {
    for (int i = 0; i < t->nrows * t->ncols; i++) sbuf_free(&t->cells[i]);
    free(t->cells);
}

/* Word-wraps text at TEXT_WIDTH: first line after `first`, the rest after
 * `rest` (hanging indent). */
static void wrap(FILE *out, const char *first, const char *rest, const char *text) {
    size_t col = width(first);
    fputs(first, out);
    const char *p = text;
    bool line_start = true;
    while (*p) {
        while (*p == ' ') p++;
        if (!*p) break;
        const char *e = p;
        while (*e && *e != ' ') e++;
        char word[2048];
        size_t n = (size_t)(e - p) < sizeof word - 1 ? (size_t)(e - p) : sizeof word - 1;
        memcpy(word, p, n);
        word[n] = '\0';
        size_t ww = width(word);
        if (!line_start && col + 1 + ww > TEXT_WIDTH) {
            fprintf(out, "\n%s", rest);
            col = width(rest);
            line_start = true;
        }
        if (!line_start) {
            putc(' ', out);
            col++;
        }
        fputs(word, out);
        col += ww;
        line_start = false;
        p = e;
    }
    putc('\n', out);
}

/* Hint text for a terminal: code markers become backticks, the rest cleaned. */
static void text_hint(const char *h, sbuf *out) {
    sbuf raw;
    sbuf_init(&raw, SBUF_NO_LIMIT);
    for (; *h; h++) {
        if (*h == HINT_CODE_ON || *h == HINT_CODE_OFF) sbuf_putn(&raw, "`", 1);
        else sbuf_putn(&raw, h, 1);
    }
    utf8_display(out, sbuf_str(&raw), 4000, false);
    sbuf_free(&raw);
}

/* Item number `rank` of "what to try": the function (at_line: and its line), the
 * hint, wrapped with a hanging indent. */
static void print_try(FILE *out, int rank, const char *function, bool at_line, int line,
                      const char *hint) {
    sbuf name, h, text;
    sbuf_init(&name, SBUF_NO_LIMIT);
    sbuf_init(&h, SBUF_NO_LIMIT);
    sbuf_init(&text, SBUF_NO_LIMIT);
    utf8_display(&name, function, 60, false);
    text_hint(hint, &h);
    if (at_line) sbuf_printf(&text, "%s line %d: %s", sbuf_str(&name), line, sbuf_str(&h));
    else sbuf_printf(&text, "%s: %s", sbuf_str(&name), sbuf_str(&h));
    char first[16];
    snprintf(first, sizeof first, "  %d. ", rank);
    wrap(out, first, "     ", sbuf_str(&text));
    sbuf_free(&name);
    sbuf_free(&h);
    sbuf_free(&text);
}

static void text_note(void *ctx, const char *text) {
    FILE *out = ctx;
    sbuf t;
    sbuf_init(&t, SBUF_NO_LIMIT);
    utf8_display(&t, text, 2000, false);
    wrap(out, "  - ", "    ", sbuf_str(&t));
    sbuf_free(&t);
}

static void text_header(const summary *S, FILE *out) {
    sbuf t;
    sbuf_init(&t, SBUF_NO_LIMIT);
    utf8_display(&t, summary_title(S), NAME_MAX_CHARS, false);
    int n = S->nlines ? S->nlines : S->nrows;
    if (S->failed_early)
        fprintf(out, "csprof: %s failed before doing any work\n\n", sbuf_str(&t));
    else if (n)
        fprintf(out, "csprof: top %d bottleneck%s in %s\n\n", n, plural((uint64_t)n, "", "s"),
                sbuf_str(&t));
    else
        fprintf(out, "csprof: no bottlenecks found in %s\n\n", sbuf_str(&t));
    ttable kv;
    tt_init(&kv, 2, "ll");
    char buf[200];
    if (S->m->argc > 0) {
        sbuf_reset(&t);
        summary_command_line(S, &t);
        tt_row(&kv, (const char *[]){"command", sbuf_str(&t)}, (size_t[]){20, 300});
    }
    summary_exit_text(S->m->exit_status, buf, sizeof buf);
    tt_row(&kv, (const char *[]){"exit status", buf + strlen("exit status ")}, NULL);
    if (S->m->wall_seconds > 0) {
        fmt_secs(buf, sizeof buf, S->m->wall_seconds);
        tt_row(&kv, (const char *[]){"wall time", buf}, NULL);
    }
    summary_rate_text(S, false, buf, sizeof buf);
    tt_row(&kv, (const char *[]){"samples", buf}, NULL);
    if (S->m->python_version) {
        int def = !S->m->python_build || !strcmp(S->m->python_build, "default");
        snprintf(buf, sizeof buf, "%s%s%.20s%s", S->m->python_version, def ? "" : " (",
                 def ? "" : S->m->python_build, def ? "" : ")");
        tt_row(&kv, (const char *[]){"python", buf}, NULL);
    }
    if (S->m->start_time) {
        sbuf_reset(&t);
        summary_date_text(S->m->start_time, &t);
        tt_row(&kv, (const char *[]){"started", sbuf_str(&t)}, NULL);
    }
    if (S->m->git_commit) {
        snprintf(buf, sizeof buf, "%.12s", S->m->git_commit);
        tt_row(&kv, (const char *[]){"commit", buf}, NULL);
    }
    if (S->o->flamegraph) tt_row(&kv, (const char *[]){"flamegraph", S->o->flamegraph}, (size_t[]){20, 300});
    tt_print(&kv, out, "  ");
    tt_free(&kv);
    putc('\n', out);
    sbuf_free(&t);
}


/* "the line itself 64%, dot (numpy) 21%, 2 others 3%" */
static void text_beneath(const summary *S, const user_line *L, sbuf *b) {
    for (int k = 0; k < L->nbeneath; k++) {
        const beneath_item *it = &L->beneath[k];
        if (k) sbuf_puts(b, ", ");
        if (it->func < 0) {
            sbuf_puts(b, "the line itself");
        } else {
            utf8_display(b, S->stats[it->func].function, 60, false);
            sbuf owner;
            sbuf_init(&owner, 200);
            summary_owner_label(S, it->func, &owner);
            if (owner.len) sbuf_printf(b, " (%s)", sbuf_str(&owner));
            sbuf_free(&owner);
        }
        sbuf_printf(b, " %.0f%%", share(it->samples, L->samples));
    }
    if (L->nbeneath_rest && L->beneath_rest * 200 >= L->samples)
        sbuf_printf(b, ", %d other%s %.0f%%", L->nbeneath_rest,
                    plural((uint64_t)L->nbeneath_rest, "", "s"), share(L->beneath_rest, L->samples));
}

/* The lead: lines of your code, then what to try for each. */
static void text_lines(const summary *S, FILE *out) {
    ttable t;
    tt_init(&t, 6, "rlrrrl");
    tt_row(&t, (const char *[]){"#", "your code", "location", "time", "share", "spent in"}, NULL);
    const size_t max[6] = {4, 60, 60, 20, 10, 300};
    for (int i = 0; i < S->nlines; i++) {
        const user_line *L = &S->lines[i];
        const prof_func_stat *f = &S->stats[L->func];
        char rank[16], secs[40], pc[20];
        sbuf loc, beneath;
        sbuf_init(&loc, SBUF_NO_LIMIT);
        sbuf_init(&beneath, SBUF_NO_LIMIT);
        summary_display_path(S, f->file, f->type, &loc);
        sbuf_printf(&loc, ":%d", L->line);
        text_beneath(S, L, &beneath);
        snprintf(rank, sizeof rank, "%d", i + 1);
        fmt_secs(secs, sizeof secs, (double)L->samples * S->sps);
        snprintf(pc, sizeof pc, "%.1f%%", share(L->samples, S->total));
        tt_row(&t, (const char *[]){rank, f->function ? f->function : "?", sbuf_str(&loc), secs, pc,
                                    sbuf_str(&beneath)},
               max);
        sbuf_free(&loc);
        sbuf_free(&beneath);
    }
    tt_print(&t, out, "  ");
    tt_free(&t);
    if (S->user_samples < S->total)
        fprintf(out, "  (%.1f%% of the samples had no line of your code on the stack)\n",
                share(S->total - S->user_samples, S->total));
    fputs("\nwhat to try\n", out);
    for (int i = 0; i < S->nlines; i++) {
        const user_line *L = &S->lines[i];
        print_try(out, i + 1, S->stats[L->func].function, true, L->line, L->hint);
    }
}

static void text_failure(const summary *S, FILE *out) {
    sbuf t;
    sbuf_init(&t, SBUF_NO_LIMIT);
    summary_failure_text(S, &t);
    wrap(out, "", "", sbuf_str(&t));
    putc('\n', out);
    sbuf_free(&t);
}

static void text_top(const summary *S, FILE *out) {
    ttable t;
    tt_init(&t, 9, "rllrrlrll");
    tt_row(&t, (const char *[]){"#", "function", "location", "self", "share", "95% interval",
                                "total", "kind", "hottest line"},
           NULL);
    const size_t max[9] = {4, 60, 60, 20, 10, 20, 10, 20, 20};
    for (int i = 0; i < S->nrows; i++) {
        const row_info *r = &S->rows[i];
        const prof_func_stat *f = &S->stats[r->idx];
        char rank[16], pc[20], ci[40], secs[40], tot[20], hot[40];
        double lo, hi;
        sbuf loc;
        sbuf_init(&loc, SBUF_NO_LIMIT);
        summary_display_path(S, f->file, f->type, &loc);
        if (f->first_line > 0 && f->type != FRAME_NATIVE) sbuf_printf(&loc, ":%d", f->first_line);
        wilson(f->self, S->total, S->deff, &lo, &hi);
        fmt_secs(secs, sizeof secs, (double)f->self * S->sps);
        snprintf(rank, sizeof rank, "%d", i + 1);
        snprintf(pc, sizeof pc, "%.1f%%", share(f->self, S->total));
        snprintf(ci, sizeof ci, "%.1f-%.1f%%", lo, hi);
        snprintf(tot, sizeof tot, "%.1f%%", share(f->total, S->total));
        if (f->hot_line > 0) snprintf(hot, sizeof hot, "%d (%d%%)", f->hot_line, summary_hot_pct(f));
        else snprintf(hot, sizeof hot, "-");
        tt_row(&t, (const char *[]){rank, f->function ? f->function : "?", sbuf_str(&loc), secs, pc, ci,
                                    tot, code_kind_name(r->kind), hot},
               max);
        sbuf_free(&loc);
    }
    if (S->nlines) fputs("\nfunctions by self time (any code: where the CPU was when sampled)\n", out);
    tt_print(&t, out, "  ");
    tt_free(&t);
    if (!S->nlines) fputs("\nwhat to try\n", out);
    for (int i = 0; i < S->nrows && !S->nlines; i++) {
        const row_info *r = &S->rows[i];
        print_try(out, i + 1, S->stats[r->idx].function, false, 0, r->hint);
    }
    sbuf k;
    sbuf_init(&k, SBUF_NO_LIMIT);
    summary_kinds_items(S, false, &k);
    fprintf(out, "\nself time by kind of code: %s\n", sbuf_str(&k));
    sbuf_free(&k);
}

static void text_by_total(const summary *S, FILE *out) {
    fprintf(out, "\ntop %d functions by total time\n", S->nby_total);
    ttable t;
    tt_init(&t, 8, "rllrrrrl");
    tt_row(&t, (const char *[]){"#", "function", "location", "total", "share", "self share",
                                "samples (self / total)", "kind"},
           NULL);
    const size_t max[8] = {4, 60, 60, 20, 10, 10, 40, 20};
    for (int i = 0; i < S->nby_total; i++) {
        const prof_func_stat *f = &S->stats[S->by_total[i]];
        char rank[16], secs[40], tot[20], self[20], a[32], b[32], samples[80];
        sbuf loc;
        sbuf_init(&loc, SBUF_NO_LIMIT);
        summary_display_path(S, f->file, f->type, &loc);
        if (f->first_line > 0 && f->type != FRAME_NATIVE) sbuf_printf(&loc, ":%d", f->first_line);
        fmt_secs(secs, sizeof secs, (double)f->total * S->sps);
        snprintf(rank, sizeof rank, "%d", i + 1);
        snprintf(tot, sizeof tot, "%.1f%%", share(f->total, S->total));
        snprintf(self, sizeof self, "%.1f%%", share(f->self, S->total));
        fmt_count(a, sizeof a, f->self);
        fmt_count(b, sizeof b, f->total);
        snprintf(samples, sizeof samples, "%s / %s", a, b);
        tt_row(&t, (const char *[]){rank, f->function ? f->function : "?", sbuf_str(&loc), secs, tot,
                                    self, samples,
                                    code_kind_name(summary_func_kind(S, S->by_total[i]))},
               max);
        sbuf_free(&loc);
    }
    tt_print(&t, out, "  ");
    tt_free(&t);
}

static void text_threads(const summary *S, FILE *out) {
    if (!S->nthreads_sampled) return;
    fprintf(out, "\nthreads (%zu)\n", S->nthreads_sampled);
    ttable t;
    tt_init(&t, 5, "lrrrl");
    tt_row(&t, (const char *[]){"thread", "samples", "share", "idle", "busiest function (self samples)"},
           NULL);
    for (size_t i = 0; i < S->nthreads_shown; i++) {
        const thread_info *ti = &S->threads[i];
        char n[32], sh[20], idle[20];
        sbuf label, busy;
        sbuf_init(&label, SBUF_NO_LIMIT);
        sbuf_init(&busy, SBUF_NO_LIMIT);
        summary_thread_label(S, ti->idx, &label);
        fmt_count(n, sizeof n, ti->samples);
        snprintf(sh, sizeof sh, "%.1f%%", share(ti->samples, S->total));
        snprintf(idle, sizeof idle, "%.1f%%", share(ti->idle, ti->samples));
        if (ti->busiest >= 0) {
            char c[32];
            fmt_count(c, sizeof c, ti->busiest_samples);
            utf8_display(&busy, S->stats[ti->busiest].function, 60, false);
            sbuf_printf(&busy, " (%s)", c);
        } else {
            sbuf_puts(&busy, "-");
        }
        tt_row(&t, (const char *[]){sbuf_str(&label), n, sh, idle, sbuf_str(&busy)}, NULL);
        sbuf_free(&label);
        sbuf_free(&busy);
    }
    tt_print(&t, out, "  ");
    tt_free(&t);
    if (S->nthreads_shown < S->nthreads_sampled)
        fprintf(out, "  ... %zu more %s not shown\n", S->nthreads_sampled - S->nthreads_shown,
                plural(S->nthreads_sampled - S->nthreads_shown, "thread", "threads"));
}

int write_text(const profile *p, FILE *out, const output_opts *o) {
    summary S;
    if (summary_analyse(&S, p, o)) {
        fprintf(stderr, "csprof: out of memory writing the text summary\n");
        summary_free(&S);
        return -1;
    }
    text_header(&S, out);  /* ends with a blank line */
    if (S.failed_early) {
        text_failure(&S, out);
    } else if (S.nrows) {
        if (S.nlines) text_lines(&S, out);
        text_top(&S, out);
        text_by_total(&S, out);
        text_threads(&S, out);
        putc('\n', out);
    } else if (S.total) {
        fputs("No function had samples of its own.\n\n", out);
    }
    fputs("notes\n", out);
    summary_notes(&S, text_note, out);
    summary_free(&S);
    if (fflush(out) != 0 || ferror(out)) {
        perror("csprof: cannot write the text summary");
        return -1;
    }
    return 0;
}
