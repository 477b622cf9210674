/* fmt_speedscope.c -- speedscope's JSON file format (NAME.speedscope.json).
 *
 * Choices:
 *   - one "sampled" profile per thread, named "thread TID (name), pid PID";
 *     the synthetic process/thread roots are left out, since the profile
 *     itself says which thread it is;
 *   - one shared frame per function of the function table (profile.h), so speedscope's
 *     per-frame self time is our per-function self time;
 *   - weights in integer nanoseconds (unit "nanoseconds"): count times the
 *     length of one sample rounded to whole ns, so totals are exact sums;
 *   - idle stacks get a leaf frame "[idle]" and stacks without frames are
 *     "[no Python frames]", as in the folded output;
 *   - stacks are sorted by frame names so the time-order view reads like a
 *     flame graph (the profile holds no time order to preserve).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output.h"
#include "version.h"

/* JSON string with escapes; invalid UTF-8 becomes U+FFFD so the file always
 * parses, whatever bytes a target's names hold. */
static void put_json_str(FILE *out, const char *s) {
    putc('"', out);
    const unsigned char *u = (const unsigned char *)(s ? s : "");
    while (*u) {
        unsigned char c = *u;
        if (c == '"' || c == '\\') {
            putc('\\', out);
            putc(c, out);
            u++;
        } else if (c < 0x20) {
            fprintf(out, "\\u%04x", c);
            u++;
        } else if (c < 0x80) {
            putc(c, out);
            u++;
        } else {
            int len = (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
            int ok = len > 0;
            for (int k = 1; ok && k < len; k++) ok = (u[k] & 0xC0) == 0x80;
            if (ok) {
                /* reject overlong forms, surrogates and values past U+10FFFF */
                uint32_t cp = c & (0x7F >> len);
                for (int k = 1; k < len; k++) cp = cp << 6 | (u[k] & 0x3F);
                ok = !(len == 2 && cp < 0x80) && !(len == 3 && cp < 0x800) &&
                     !(len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) &&
                     !(cp >= 0xD800 && cp <= 0xDFFF);
            }
            if (ok) {
                fwrite(u, 1, (size_t)len, out);
                u += len;
            } else {
                fputs("\xEF\xBF\xBD", out);
                u++;
            }
        }
    }
    putc('"', out);
}

/* ---- stacks ---- */

typedef struct {
    uint32_t thread;
    uint32_t depth;    /* entries in ids */
    uint32_t *ids;     /* speedscope frame ids, root first (points into a pool) */
    uint64_t count;
} sstack;

static const char *const *g_names;  /* for the qsort comparator: frame id -> name */

static int sstack_cmp(const void *a, const void *b) {
    const sstack *x = a, *y = b;
    if (x->thread != y->thread) return x->thread < y->thread ? -1 : 1;
    uint32_t n = x->depth < y->depth ? x->depth : y->depth;
    for (uint32_t i = 0; i < n; i++) {
        if (x->ids[i] == y->ids[i]) continue;
        int c = strcmp(g_names[x->ids[i]], g_names[y->ids[i]]);
        if (c) return c;
        return x->ids[i] < y->ids[i] ? -1 : 1;
    }
    return (x->depth > y->depth) - (x->depth < y->depth);
}

/* What the file is written from: speedscope's frames, the stacks in their
 * ids, and each thread's weight (one more slot for unknown threads). */
typedef struct {
    const prof_functable *ft;
    size_t nfuncs, nsf;        /* function-table entries; frames with the markers */
    const char **names;        /* nsf frame names */
    sstack *stacks;            /* ns stacks, sorted by thread then frame names */
    size_t ns;
    uint32_t *pool;            /* the stacks' ids */
    uint64_t *thread_weight;   /* nanoseconds per thread */
    uint64_t period;           /* nanoseconds per sample, at least 1 */
} sscope;

/* The frame names: one per function, then the two marker frames. */
static int name_frames(sscope *s) {
    s->nsf = s->nfuncs + 2;
    s->names = malloc(s->nsf * sizeof *s->names);
    if (!s->names) return -1;
    for (size_t i = 0; i < s->nfuncs; i++)
        s->names[i] = prof_func_at(s->ft, i)->name ? prof_func_at(s->ft, i)->name : "?";
    s->names[s->nfuncs] = "[idle]";
    s->names[s->nfuncs + 1] = "[no Python frames]";
    return 0;
}

/* One stack in frame ids: frames of no function are left out, and an idle
 * or empty stack ends in its marker. */
static void fill_stack(sstack *x, const prof_stack *st, const long *sid, size_t nframes,
                       size_t nfuncs) {
    for (uint32_t d = 0; d < st->depth; d++) {
        uint32_t fr = st->frames[d];
        if (fr < nframes && sid[fr] >= 0) x->ids[x->depth++] = (uint32_t)sid[fr];
    }
    if (st->idle) x->ids[x->depth++] = (uint32_t)nfuncs;
    else if (x->depth == 0) x->ids[x->depth++] = (uint32_t)nfuncs + 1;
}

/* The stacks with samples, in frame ids, sorted, and the threads' weights. */
static int collect_stacks(const profile *p, sscope *s) {
    size_t nframes = prof_nframes(p), nstacks = prof_nstacks(p), nthreads = prof_nthreads(p);
    long *sid = malloc((nframes ? nframes : 1) * sizeof *sid);
    if (!sid) return -1;
    for (size_t i = 0; i < nframes; i++) {
        uint32_t fn = prof_func_of(s->ft, i);
        sid[i] = fn == UINT32_MAX ? -1 : (long)fn;
    }
    size_t pool_len = 0;
    for (size_t i = 0; i < nstacks; i++) pool_len += prof_stack_at(p, i)->depth + 1;
    s->pool = malloc((pool_len ? pool_len : 1) * sizeof *s->pool);
    if (!s->pool) {
        free(sid);
        return -1;
    }
    size_t used = 0;
    for (size_t i = 0; i < nstacks; i++) {
        const prof_stack *st = prof_stack_at(p, i);
        if (st->count == 0) continue;
        sstack *x = &s->stacks[s->ns++];
        x->thread = st->thread < nthreads ? st->thread : (uint32_t)nthreads;
        x->ids = s->pool + used;
        x->count = st->count;
        fill_stack(x, st, sid, nframes, s->nfuncs);
        used += x->depth;
        s->thread_weight[x->thread] += x->count * s->period;
    }
    free(sid);
    g_names = s->names;
    qsort(s->stacks, s->ns, sizeof *s->stacks, sstack_cmp);
    return 0;
}

/* The index among the profiles written of the busiest thread, which
 * speedscope opens first. */
static size_t busiest_profile(const uint64_t *thread_weight, size_t nthreads) {
    size_t nprof = 0, best_idx = 0;
    uint64_t best = 0;
    for (size_t t = 0; t <= nthreads; t++) {
        if (!thread_weight[t]) continue;
        if (thread_weight[t] > best) {
            best = thread_weight[t];
            best_idx = nprof;
        }
        nprof++;
    }
    return best_idx;
}

static void write_frames(FILE *out, const sscope *s) {
    fputs("\"shared\":{\"frames\":[", out);
    for (size_t i = 0; i < s->nsf; i++) {
        fputs(i ? ",\n{\"name\":" : "\n{\"name\":", out);
        put_json_str(out, s->names[i]);
        if (i < s->nfuncs) {
            const prof_func *f = prof_func_at(s->ft, i);
            if (f->file) {
                fputs(",\"file\":", out);
                put_json_str(out, f->file);
            }
            if (f->first_line > 0) fprintf(out, ",\"line\":%d", f->first_line);
        }
        putc('}', out);
    }
    fputs("]},\n", out);
}

/* Thread t's profile from its stacks, stacks[start..]; returns the index
 * after its last stack. */
static size_t write_thread(FILE *out, const profile *p, const sscope *s, size_t t, size_t start,
                           bool first) {
    char pname[600];
    const prof_thread *th = prof_thread_at(p, t);
    if (th)
        snprintf(pname, sizeof pname, "thread %d (%.500s), pid %d", th->tid,
                 th->name ? th->name : "?", th->pid);
    else
        snprintf(pname, sizeof pname, "unknown thread");
    fputs(first ? "\n{\"type\":\"sampled\",\"name\":" : ",\n{\"type\":\"sampled\",\"name\":", out);
    put_json_str(out, pname);
    fprintf(out, ",\"unit\":\"nanoseconds\",\"startValue\":0,\"endValue\":%llu,\n\"samples\":[",
            (unsigned long long)s->thread_weight[t]);
    const sstack *st = s->stacks;
    for (size_t j = start; j < s->ns && st[j].thread == t; j++) {
        fputs(j > start ? ",[" : "[", out);
        for (uint32_t d = 0; d < st[j].depth; d++) fprintf(out, d ? ",%u" : "%u", st[j].ids[d]);
        putc(']', out);
    }
    fputs("],\n\"weights\":[", out);
    size_t k;
    for (k = start; k < s->ns && st[k].thread == t; k++)
        fprintf(out, k > start ? ",%llu" : "%llu", (unsigned long long)(st[k].count * s->period));
    fputs("]}", out);
    return k;
}

/* One profile per thread with samples, or a placeholder. */
static void write_profiles(FILE *out, const profile *p, const sscope *s) {
    fputs("\"profiles\":[", out);
    size_t k = 0, nthreads = prof_nthreads(p);
    bool first = true;
    for (size_t t = 0; t <= nthreads; t++) {
        if (!s->thread_weight[t]) {
            while (k < s->ns && s->stacks[k].thread == t) k++;
            continue;
        }
        k = write_thread(out, p, s, t, k, first);
        first = false;
    }
    if (first) {
        /* speedscope needs at least one profile */
        fputs("\n{\"type\":\"sampled\",\"name\":\"no samples\",\"unit\":\"nanoseconds\","
              "\"startValue\":0,\"endValue\":0,\"samples\":[],\"weights\":[]}",
              out);
    }
    fputs("]}\n", out);
}

int write_speedscope(const profile *p, FILE *out, const output_opts *o) {
    (void)o;
    const prof_meta *m = prof_meta_get(p);
    size_t nstacks = prof_nstacks(p), nthreads = prof_nthreads(p);
    /* One speedscope frame per entry of the function table (profile.h). */
    sscope s = {.ft = prof_functions(p)};
    s.stacks = calloc(nstacks ? nstacks : 1, sizeof *s.stacks);
    s.thread_weight = calloc(nthreads + 1, sizeof *s.thread_weight);
    s.period = (uint64_t)llround(prof_seconds_per_sample(p) * 1e9);
    if (s.period == 0) s.period = 1;
    int rc = -1;
    if (!s.ft || !s.stacks || !s.thread_weight) goto oom;
    s.nfuncs = prof_nfuncs(s.ft);
    if (name_frames(&s) || collect_stacks(p, &s)) goto oom;

    fputs("{\"$schema\":\"https://www.speedscope.app/file-format-schema.json\",\n", out);
    fputs("\"name\":", out);
    put_json_str(out, m->script ? m->script : m->name ? m->name : "csprof profile");
    fprintf(out, ",\n\"exporter\":\"csprof %s\",\n\"activeProfileIndex\":%zu,\n",
            m->csprof_version ? m->csprof_version : CSPROF_VERSION,
            busiest_profile(s.thread_weight, nthreads));
    write_frames(out, &s);
    write_profiles(out, p, &s);
    rc = 0;
    if (fflush(out) != 0 || ferror(out)) {
        perror("csprof: cannot write the speedscope profile");
        rc = -1;
    }
    goto done;
oom:
    fprintf(stderr, "csprof: out of memory writing the speedscope profile\n");
done:
    free(s.stacks);
    free(s.names);
    free(s.pool);
    free(s.thread_weight);
    return rc;
}
