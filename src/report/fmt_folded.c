/* fmt_folded.c -- folded stacks: "root;caller;...;leaf COUNT" per line, the
 * input format of FlameGraph, inferno and speedscope. A frame is written as
 * "function (file:line)"; ';' inside a name would split the frame, so it is
 * replaced by ':' there, and newlines by spaces. Idle stacks get a trailing
 * ";[idle]" frame so idle time stays visible and separate. */
#include <stdio.h>
#include <string.h>

#include "output.h"

static int put_clean(FILE *out, const char *s) {
    for (; s && *s; s++) {
        char c = *s == ';' ? ':' : (*s == '\n' || *s == '\r') ? ' ' : *s;
        if (putc(c, out) == EOF) return -1;
    }
    return 0;
}

static int put_frame(FILE *out, const prof_frame *f) {
    if (put_clean(out, f->function ? f->function : "?")) return -1;
    if (f->type == FRAME_PROCESS || f->type == FRAME_THREAD) return 0;
    if (f->type == FRAME_NATIVE && (!f->file || !*f->file)) return 0;
    if (fputs(" (", out) == EOF || put_clean(out, f->file ? f->file : "?")) return -1;
    if (f->line > 0 && fprintf(out, ":%d", f->line) < 0) return -1;
    return putc(')', out) == EOF ? -1 : 0;
}

int write_folded(const profile *p, FILE *out, const output_opts *o) {
    (void)o;
    for (size_t i = 0; i < prof_nstacks(p); i++) {
        const prof_stack *s = prof_stack_at(p, i);
        if (s->count == 0) continue;
        for (uint32_t d = 0; d < s->depth; d++) {
            if (d && putc(';', out) == EOF) goto fail;
            if (put_frame(out, prof_frame_at(p, s->frames[d]))) goto fail;
        }
        if (s->idle && fputs(s->depth ? ";[idle]" : "[idle]", out) == EOF) goto fail;
        if (!s->depth && !s->idle && fputs("[no Python frames]", out) == EOF) goto fail;
        if (fprintf(out, " %llu\n", (unsigned long long)s->count) < 0) goto fail;
    }
    return 0;
fail:
    perror("csprof: cannot write folded stacks");
    return -1;
}
