/* summary_text.c -- pieces of text both summary writers use: title,
 * command line, exit status, dates, paths and links, labels, the notes.
 * See summary.h. */
#include "sampler.h"
#include "summary.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "version.h"

const char *summary_title(const summary *S) {
    const prof_meta *m = S->m;
    if (m->script) return m->script;
    if (m->name) return m->name;
    if (m->argc > 0) return m->argv[0];
    return "profile";
}

/* The command line, arguments with spaces quoted, cut to a readable length. */
void summary_command_line(const summary *S, sbuf *out) {
    sbuf raw;
    sbuf_init(&raw, 4000);
    for (int i = 0; i < S->m->argc; i++) {
        const char *a = S->m->argv[i];
        bool quote = !*a || strpbrk(a, " \t'\"") != NULL;
        if (i) sbuf_puts(&raw, " ");
        if (quote) sbuf_puts(&raw, "'");
        sbuf_puts(&raw, a);
        if (quote) sbuf_puts(&raw, "'");
    }
    utf8_display(out, sbuf_str(&raw), 200, false);
    sbuf_free(&raw);
}

void summary_exit_text(int status, char *out, size_t len) {
    if (status < 0) snprintf(out, len, "exit status unknown");
    else if (status > 128 && status < 128 + 65)
        snprintf(out, len, "exit status %d (signal %d)", status, status - 128);
    else snprintf(out, len, "exit status %d", status);
}

/* "2026-11-24T19:30:00Z" -> "2026-11-24 19:30 UTC"; other forms as given. */
void summary_date_text(const char *iso, sbuf *out) {
    int y, mo, d, h, mi;
    if (iso && sscanf(iso, "%4d-%2d-%2dT%2d:%2d", &y, &mo, &d, &h, &mi) == 5)
        sbuf_printf(out, "%04d-%02d-%02d %02d:%02d UTC", y, mo, d, h, mi);
    else if (iso)
        utf8_display(out, iso, 40, false);
}

void summary_rate_text(const summary *S, bool word, char *out, size_t len) {
    char n[32];
    fmt_count(n, sizeof n, S->total);
    const char *w = !word ? "" : S->total == 1 ? " sample" : " samples";
    if (S->m->rate_hz > 0) snprintf(out, len, "%s%s at %g Hz", n, w, S->m->rate_hz);
    else snprintf(out, len, "%s%s", n, w);
}

int summary_hot_pct(const prof_func_stat *f) {
    uint64_t base = f->self ? f->self : f->total;
    return base ? (int)(100.0 * (double)f->hot_line_samples / (double)base + 0.5) : 0;
}

void summary_kinds_items(const summary *S, bool md, sbuf *out) {
    /* CODE_KIND_COUNT stands for the imports: their own item, before idle. */
    static const code_kind order[] = {CODE_YOURS, CODE_STDLIB, CODE_THIRD_PARTY, CODE_NATIVE,
                                      CODE_KIND_COUNT, CODE_IDLE};
    bool first = true;
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        bool imports = order[i] == CODE_KIND_COUNT;
        uint64_t v = imports ? S->import_self : S->kind_self[order[i]];
        if (!v) continue;
        sbuf_printf(out, "%s%s %.1f%%", first ? "" : md ? " · " : ", ",
                    imports ? "imports" : code_kind_name(order[i]), share(v, S->total));
        first = false;
    }
    if (S->no_frames)
        sbuf_printf(out, "%sno Python frames %.1f%%", first ? "" : md ? " · " : ", ",
                    share(S->no_frames, S->total));
}

/* One note "N what (P% of those of) rest": a counter and its share. */
static void count_note(note_fn emit, void *ctx, uint64_t n, uint64_t whole, const char *what,
                       const char *of, const char *rest) {
    char num[32], buf[600];
    fmt_count(num, sizeof num, n);
    snprintf(buf, sizeof buf, "%s %s (%.1f%% of those %s) %s", num, what, share(n, whole), of, rest);
    emit(ctx, buf);
}

/* The notes on what the sampler could not see as asked: stacks dropped or
 * torn by short calls, ticks missed or spent waiting for a CPU. */
static void sampling_notes(const summary *S, const prof_counters *c, note_fn emit, void *ctx) {
    if (c->dropped)
        count_note(emit, ctx, c->dropped, c->dropped + S->total, "thread stacks", "read",
                   "were dropped as torn or inconsistent and are not counted above.");
    if (c->missed * 100 > c->ticks + c->missed)
        count_note(emit, ctx, c->missed, c->ticks + c->missed, "sampling ticks", "requested",
                   "were missed: the sampler fell behind (a loaded machine), so the profile has "
                   "fewer samples than asked for.");
    if (c->waiting * 20 > c->ticks)
        count_note(emit, ctx, c->waiting, c->ticks, "sampling ticks", "run",
                   "found the script waiting for a CPU (a busy machine): not sampled, so the shares "
                   "stay shares of the CPU time it used.");
    /* Calls shorter than a read tear the copies of a stack (sampler.h,
     * placement): 0.0-0.5% of the stacks of steady code move under their
     * read, 11-12% of the bundled example's (json, random), 57-76% of code
     * that calls every microsecond; at 11% the example's third bottleneck
     * was another line than when read from the script's CPU. */
    /* Rounds beside a thread stand for several ticks each (sampler.h,
     * placement): fewer draws than samples, which the intervals count. */
    double every = prof_beside_every(S->p);
    if (every > 1) {
        char rest[400];
        snprintf(rest, sizeof rest,
                 "were read from the script's own CPU, as its functions returned faster than a "
                 "read: there csprof sampled one tick in %.1f (--same-cpu), each such sample "
                 "counting for the ticks until the next, and the 95%% intervals widen to match.",
                 every);
        count_note(emit, ctx, c->beside, c->ticks, "sampling ticks", "run", rest);
    }
    if (c->moved * 20 > S->total && !c->beside)
        count_note(emit, ctx, c->moved, S->total, "thread stacks", "sampled",
                   "changed while csprof read them: functions returned within about a "
                   "microsecond, faster than a read, so the split of time between such "
                   "functions and their callers leans towards the callers. Record with "
                   "--same-cpu (action input same-cpu: auto) to read such a thread from the CPU "
                   "it runs on: the split is then right, for about 3.5% more wall time and "
                   "fewer samples.");
}

void summary_notes(const summary *S, note_fn emit, void *ctx) {
    const prof_meta *m = S->m;
    const prof_counters *c = prof_counters_of((profile *)S->p);
    char buf[1200], a[32], b[32];
    if (m->note) {
        sbuf t;
        sbuf_init(&t, 600);
        utf8_display(&t, m->note, 400, false);
        snprintf(buf, sizeof buf, "%s.", sbuf_str(&t));
        sbuf_free(&t);
        emit(ctx, buf);
    }
    if (S->total == 0) emit(ctx, "No samples were recorded, so there is nothing to rank.");
    sampling_notes(S, c, emit, ctx);
    if (c->unsampled_processes) {
        fmt_count(a, sizeof a, c->unsampled_processes);
        snprintf(buf, sizeof buf,
                 "%s processes were not sampled: more than %d were running at once.", a,
                 SAMPLER_MAX_PROCESSES);
        emit(ctx, buf);
    }
    if (!m->idle_included)
        emit(ctx, "Only running threads were sampled; time spent waiting (sleep, I/O, locks) "
                  "is not counted. Record with --idle to include it.");
    else if (S->kind_self[CODE_IDLE])
        emit(ctx, "Idle samples are included (--idle): rows of kind idle are threads waiting, "
                  "not computing.");
    if (m->interval_seconds > 0 && m->rate_hz > 0) {
        snprintf(buf, sizeof buf,
                 "One sample stands for %.2f ms (the measured interval between samples; "
                 "requested %g Hz).",
                 m->interval_seconds * 1000, m->rate_hz);
        emit(ctx, buf);
    }
    if (m->sampler_cpu_seconds > 0 && m->wall_seconds > 0) {
        snprintf(buf, sizeof buf, "csprof itself used %.2f s of CPU while sampling (%.1f%% of "
                 "the wall time).", m->sampler_cpu_seconds,
                 100 * m->sampler_cpu_seconds / m->wall_seconds);
        emit(ctx, buf);
    }
    if (S->nprocesses_sampled > 1) {
        snprintf(buf, sizeof buf, "Samples come from %d processes (subprocesses were followed).",
                 S->nprocesses_sampled);
        emit(ctx, buf);
    }
    if (m->native)
        emit(ctx, "Native (C) frames were recorded along with Python frames.");
    fmt_count(a, sizeof a, (uint64_t)S->nstats);
    fmt_count(b, sizeof b, prof_nstacks(S->p));
    snprintf(buf, sizeof buf, "%s distinct functions in %s distinct stacks.", a, b);
    emit(ctx, buf);
    emit(ctx, "Self time counts samples where the function itself was running; total time, "
              "samples where it was anywhere on the stack. The 95% interval (Wilson score) "
              "covers sampling noise only.");
    snprintf(buf, sizeof buf, "Recorded by csprof %s%s%s.",
             m->csprof_version ? m->csprof_version : CSPROF_VERSION,
             m->csprof_commit ? " commit " : "", m->csprof_commit ? m->csprof_commit : "");
    emit(ctx, buf);
}

/* What a reader needs to recognise a file: workspace-relative for your code,
 * from the package root for site-packages, from the stdlib root for the
 * standard library, the object's name for native code. */
void summary_display_path(const summary *S, const char *file, frame_type type, sbuf *out) {
    char rel[4096];
    const char *shown = file ? file : "?";
    if (type == FRAME_NATIVE) {
        const char *slash = file ? strrchr(file, '/') : NULL;
        shown = slash ? slash + 1 : shown;
    } else if (summary_workspace_rel(S, file, rel, sizeof rel)) {
        shown = rel;
    } else if (file) {
        const char *s = strstr(file, "site-packages/");
        if (!s) s = strstr(file, "dist-packages/");
        if (s) {
            shown = s + strlen("site-packages/");
        } else if ((s = strstr(file, "/lib/python")) != NULL) {
            const char *e = strchr(s + 1, '/');
            e = e ? strchr(e + 1, '/') : NULL;
            if (e && e[1]) shown = e + 1;
        }
    }
    utf8_display(out, shown, NAME_MAX_CHARS, true);
}

bool summary_can_link(const summary *S) {
    const output_opts *o = S->o;
    return o->server_url && *o->server_url && o->repository && *o->repository && o->sha &&
           *o->sha;
}

/* The URL of file#Lline on the forge, if linkable. */
bool summary_file_url(const summary *S, const char *file, frame_type type, int line, sbuf *out) {
    char rel[4096];
    if (!summary_can_link(S) || type == FRAME_NATIVE || !summary_workspace_rel(S, file, rel, sizeof rel))
        return false;
    const char *srv = S->o->server_url;
    size_t sl = strlen(srv);
    while (sl && srv[sl - 1] == '/') sl--;
    bool ok = sbuf_putn(out, srv, sl) && sbuf_puts(out, "/") && url_path(out, S->o->repository) &&
              sbuf_puts(out, "/blob/") && url_path(out, S->o->sha) && sbuf_puts(out, "/") &&
              url_path(out, rel);
    if (line > 0) ok = ok && sbuf_printf(out, "#L%d", line);
    /* a URL that long is not worth its bytes in a size-limited summary */
    return ok && out->len <= 1000;
}

void summary_thread_label(const summary *S, size_t idx, sbuf *out) {
    const prof_thread *t = prof_thread_at(S->p, idx);
    if (!t) {
        sbuf_puts(out, "unknown thread");
        return;
    }
    if (S->nprocesses_sampled > 1) sbuf_printf(out, "pid %d, ", t->pid);
    sbuf_printf(out, "%d", t->tid);
    if (t->name) {
        sbuf_puts(out, " (");
        utf8_display(out, t->name, 60, false);
        sbuf_puts(out, ")");
    }
}


/* Whose code a function is, in a word: the top-level package of a library
 * ("sklearn"; "numpy" for the C of numpy's extension modules too),
 * "stdlib", or another native object's file name; nothing for the import
 * machinery (its frames name the import). */
void summary_owner_label(const summary *S, long func, sbuf *out) {
    const prof_func_stat *f = &S->stats[func];
    const prof_func *pf = prof_func_at(prof_functions(S->p), f->func);
    const prof_frame fi = {.file = (char *)f->file, .type = f->type, .import = pf && pf->import};
    if (classify_frame_is_import(&fi)) return;  /* "import numpy" needs no owner */
    code_kind k = pf ? (code_kind)pf->kind : classify_func(S->p, f->file, f->type);
    if (k == CODE_STDLIB) {
        sbuf_puts(out, "stdlib");
        return;
    }
    const prof_frame fr = {.function = (char *)f->function, .file = (char *)f->file,
                           .type = f->type, .module = pf ? (char *)pf->module : NULL};
    char mod[256];
    /* An extension module's C is its package's, as its Python is. */
    bool package = true;
    if (f->type != FRAME_NATIVE) {
        frame_module_from_path(&fr, mod, sizeof mod);
    } else if (!f->file || !classify_extension_module(f->file, mod, sizeof mod)) {
        frame_module_from_path(&fr, mod, sizeof mod);   /* a library's file name */
        package = false;
    }
    if (package) mod[strcspn(mod, ".")] = '\0';
    if (!mod[0]) {
        sbuf_puts(out, code_kind_name(k));
        return;
    }
    utf8_display(out, mod, 60, false);
}

/* The headline of a run that failed early: its exit status and the last
 * line of its stderr when known, cleaned and cut. */
void summary_failure_text(const summary *S, sbuf *out) {
    char status[64];
    summary_exit_text(S->m->exit_status, status, sizeof status);
    sbuf_printf(out, "It failed before doing any work worth ranking: %s", status);
    sbuf_puts(out, S->user_samples ? "" : ", with no sample in your code");
    const char *tail = S->o->stderr_tail;
    if (tail && *tail) {
        sbuf_puts(out, ". The last line of its stderr: ");
        utf8_display(out, tail, 300, false);
    } else {
        sbuf_puts(out, ".");
    }
}
