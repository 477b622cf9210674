/* ci_annotate.c -- hot spots of the user's code and their annotations
 * (ci_annotate.h). */
#include "ci_annotate.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ci_say.h"
#include "sumfmt.h"
#include "summary.h"

/* File of the user's code relative to the workspace, or NULL. */
static char *relative_to_workspace(const ci_settings *s, const char *file) {
    char abs[PATH_MAX];
    if (file[0] == '/') {
        snprintf(abs, sizeof abs, "%s", file);
    } else {
        char cwd[PATH_MAX];
        if (!getcwd(cwd, sizeof cwd)) return NULL;
        if (snprintf(abs, sizeof abs, "%s/%s", cwd, file) >= (int)sizeof abs) return NULL;
    }
    char ws[PATH_MAX];
    /* Compare real paths so /home/runner/work vs a symlinked workspace agree. */
    if (!realpath(s->workspace, ws)) snprintf(ws, sizeof ws, "%s", s->workspace);
    char real[PATH_MAX];
    const char *a = realpath(abs, real) ? real : abs;
    size_t n = strlen(ws);
    while (n > 1 && ws[n - 1] == '/') n--;
    if (strncmp(a, ws, n) || a[n] != '/') return NULL;
    return ci_strdup(a + n + 1);
}

/* "fit (sklearn) 85%, the line itself 10%": what a line spent its time in. */
static char *beneath_text(const summary *S, const user_line *L) {
    sbuf t;
    sbuf_init(&t, 600);
    for (int k = 0; k < L->nbeneath; k++) {
        const beneath_item *it = &L->beneath[k];
        if (k) sbuf_puts(&t, ", ");
        if (it->func < 0) {
            sbuf_puts(&t, "the line itself");
        } else {
            utf8_display(&t, S->stats[it->func].function, 80, false);
            sbuf owner;
            sbuf_init(&owner, 200);
            summary_owner_label(S, it->func, &owner);
            if (owner.len) sbuf_printf(&t, " (%s)", sbuf_str(&owner));
            sbuf_free(&owner);
        }
        sbuf_printf(&t, " %.0f%%", share(it->samples, L->samples));
    }
    char *d = ci_strdup(sbuf_str(&t));
    sbuf_free(&t);
    return d;
}

/* The script's headline: its hottest line of the user's code, else its
 * hottest function by self time. */
static void set_headline(const ci_settings *s, script_run *r, const summary *S) {
    const prof_func_stat *f = S->nlines ? &S->stats[S->lines[0].func] : &S->stats[S->rows[0].idx];
    uint64_t n = S->nlines ? S->lines[0].samples : f->self;
    r->top_function = ci_strdup(f->function);
    r->top_file = f->file ? relative_to_workspace(s, f->file) : NULL;
    if (!r->top_file) r->top_file = ci_strdup(f->file);
    r->top_line = S->nlines ? S->lines[0].line : f->hot_line > 0 ? f->hot_line : f->first_line;
    r->top_self_pct = share(n, S->total);
}

/* Whether r already has a hot spot on file:line (a comprehension shares
 * its function's line: one notice per line). */
static bool has_spot(const script_run *r, const char *file, int line) {
    for (int k = 0; k < r->nhot; k++)
        if (r->hot[k].line == line && !strcmp(r->hot[k].file, file)) return true;
    return false;
}

void ci_find_hot_spots(const ci_settings *s, script_run *r, const profile *p,
                       const output_opts *oo) {
    summary S;
    output_opts o = *oo;
    if (o.top_n < ANNOTATIONS_PER_SCRIPT) o.top_n = ANNOTATIONS_PER_SCRIPT;
    if (summary_analyse(&S, p, &o)) {
        ci_warning("out of memory summarising %s", r->script.name);
        summary_free(&S);
        return;
    }
    if (!S.failed_early && S.total > 0 && (S.nlines || S.nrows)) set_headline(s, r, &S);
    for (int i = 0; !S.failed_early && i < S.nlines && r->nhot < ANNOTATIONS_PER_SCRIPT; i++) {
        const user_line *L = &S.lines[i];
        const prof_func_stat *f = &S.stats[L->func];
        if (share(L->samples, S.total) < ANNOTATE_MIN_PCT) break;
        char *rel = f->file ? relative_to_workspace(s, f->file) : NULL;
        if (rel && has_spot(r, rel, L->line)) {
            free(rel);
            rel = NULL;
        }
        if (!rel) continue;
        hot_spot *h = &r->hot[r->nhot];
        h->function = ci_strdup(f->function);
        h->beneath = beneath_text(&S, L);
        h->file = rel;
        h->line = L->line;
        h->pct = share(L->samples, S.total);
        h->seconds = (double)L->samples * S.sps;
        if (!h->function || !h->beneath) {
            ci_hot_spot_free(h);  /* out of memory: no half-made notice */
            break;
        }
        r->nhot++;
    }
    summary_free(&S);
}

/* One notice on a line of the user's code, titled with its own script's
 * name and numbers. */
static void emit_notice(const script_run *r, const hot_spot *h, const char *flamegraph_where) {
    const char *name = r->script.name;
    char title[256], msg[1024];
    snprintf(title, sizeof title, "csprof: %.1f%% of %s's time is under this line", h->pct, name);
    snprintf(msg, sizeof msg,
             "%s line %d holds %.1f%% of the samples of %s (%.2f s), counting what it calls%s%s. "
             "Flamegraph: %s.svg %s.",
             h->function, h->line, h->pct, name, h->seconds, h->beneath[0] ? ": " : "",
             h->beneath, name, flamegraph_where);
    fputs("::notice file=", stdout);
    ci_put_escaped(stdout, h->file, true);
    printf(",line=%d,title=", h->line);
    ci_put_escaped(stdout, title, true);
    fputs("::", stdout);
    ci_put_escaped(stdout, msg, false);
    fputc('\n', stdout);
}

void ci_emit_annotations(const script_run *runs, size_t n, const char *flamegraph_where) {
    for (int rank = 0; rank < ANNOTATIONS_PER_SCRIPT; rank++)
        for (size_t i = 0; i < n; i++) {
            if (rank >= runs[i].nhot) continue;
            if (!ci_notice_slot()) break;
            emit_notice(&runs[i], &runs[i].hot[rank], flamegraph_where);
        }
    fflush(stdout);
}

void ci_hot_spot_free(hot_spot *h) {
    free(h->function);
    free(h->file);
    free(h->beneath);
    *h = (hot_spot){0};
}
