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

int write_speedscope(const profile *p, FILE *out, const output_opts *o) {
    (void)o;
    const prof_meta *m = prof_meta_get(p);
    size_t nframes = prof_nframes(p), nstacks = prof_nstacks(p), nthreads = prof_nthreads(p);
    /* One speedscope frame per entry of the function table (profile.h). */
    const prof_functable *ft = prof_functions(p);
    size_t nfuncs = prof_nfuncs(ft);
    long *sid = malloc((nframes ? nframes : 1) * sizeof *sid);
    sstack *stacks = calloc(nstacks ? nstacks : 1, sizeof *stacks);
    const char **names = NULL;
    uint32_t *pool = NULL;
    uint64_t *thread_weight = calloc(nthreads + 1, sizeof *thread_weight);
    int rc = -1;
    if (!ft || !sid || !stacks || !thread_weight) goto oom;

    for (size_t i = 0; i < nframes; i++) {
        uint32_t fn = prof_func_of(ft, i);
        sid[i] = fn == UINT32_MAX ? -1 : (long)fn;
    }
    /* two marker frames after the real ones */
    const long idle_id = (long)nfuncs, empty_id = (long)nfuncs + 1;
    size_t nsf = nfuncs + 2;
    names = malloc(nsf * sizeof *names);
    if (!names) goto oom;
    for (size_t i = 0; i < nfuncs; i++)
        names[i] = prof_func_at(ft, i)->name ? prof_func_at(ft, i)->name : "?";
    names[idle_id] = "[idle]";
    names[empty_id] = "[no Python frames]";

    size_t pool_len = 0;
    for (size_t s = 0; s < nstacks; s++) pool_len += prof_stack_at(p, s)->depth + 1;
    pool = malloc((pool_len ? pool_len : 1) * sizeof *pool);
    if (!pool) goto oom;
    size_t used = 0, ns = 0;
    double sps = prof_seconds_per_sample(p);
    uint64_t period = (uint64_t)llround(sps * 1e9);
    if (period == 0) period = 1;
    for (size_t s = 0; s < nstacks; s++) {
        const prof_stack *st = prof_stack_at(p, s);
        if (st->count == 0) continue;
        sstack *x = &stacks[ns++];
        x->thread = st->thread < nthreads ? st->thread : (uint32_t)nthreads;
        x->ids = pool + used;
        x->count = st->count;
        for (uint32_t d = 0; d < st->depth; d++) {
            uint32_t fr = st->frames[d];
            if (fr < nframes && sid[fr] >= 0) x->ids[x->depth++] = (uint32_t)sid[fr];
        }
        if (st->idle) x->ids[x->depth++] = (uint32_t)idle_id;
        else if (x->depth == 0) x->ids[x->depth++] = (uint32_t)empty_id;
        used += x->depth;
        thread_weight[x->thread] += x->count * period;
    }
    g_names = names;
    qsort(stacks, ns, sizeof *stacks, sstack_cmp);

    /* the busiest thread opens first */
    size_t nprof = 0, active = 0, best_idx = 0;
    uint64_t best = 0;
    for (size_t t = 0; t <= nthreads; t++) {
        if (!thread_weight[t]) continue;
        if (thread_weight[t] > best) {
            best = thread_weight[t];
            best_idx = nprof;
        }
        nprof++;
    }
    active = best_idx;

    fputs("{\"$schema\":\"https://www.speedscope.app/file-format-schema.json\",\n", out);
    fputs("\"name\":", out);
    put_json_str(out, m->script ? m->script : m->name ? m->name : "csprof profile");
    fprintf(out, ",\n\"exporter\":\"csprof %s\",\n\"activeProfileIndex\":%zu,\n",
            m->csprof_version ? m->csprof_version : CSPROF_VERSION, active);
    fputs("\"shared\":{\"frames\":[", out);
    for (size_t i = 0; i < nsf; i++) {
        fputs(i ? ",\n{\"name\":" : "\n{\"name\":", out);
        put_json_str(out, names[i]);
        if (i < nfuncs) {
            const prof_func *f = prof_func_at(ft, i);
            if (f->file) {
                fputs(",\"file\":", out);
                put_json_str(out, f->file);
            }
            if (f->first_line > 0) fprintf(out, ",\"line\":%d", f->first_line);
        }
        putc('}', out);
    }
    fputs("]},\n\"profiles\":[", out);
    size_t k = 0;
    int first_prof = 1;
    for (size_t t = 0; t <= nthreads; t++) {
        if (!thread_weight[t]) {
            while (k < ns && stacks[k].thread == t) k++;
            continue;
        }
        char pname[600];
        const prof_thread *th = prof_thread_at(p, t);
        if (th)
            snprintf(pname, sizeof pname, "thread %d (%.500s), pid %d", th->tid,
                     th->name ? th->name : "?", th->pid);
        else
            snprintf(pname, sizeof pname, "unknown thread");
        fputs(first_prof ? "\n{\"type\":\"sampled\",\"name\":" : ",\n{\"type\":\"sampled\",\"name\":",
              out);
        first_prof = 0;
        put_json_str(out, pname);
        fprintf(out, ",\"unit\":\"nanoseconds\",\"startValue\":0,\"endValue\":%llu,\n\"samples\":[",
                (unsigned long long)thread_weight[t]);
        size_t start = k;
        for (size_t j = start; j < ns && stacks[j].thread == t; j++) {
            fputs(j > start ? ",[" : "[", out);
            for (uint32_t d = 0; d < stacks[j].depth; d++)
                fprintf(out, d ? ",%u" : "%u", stacks[j].ids[d]);
            putc(']', out);
        }
        fputs("],\n\"weights\":[", out);
        for (k = start; k < ns && stacks[k].thread == t; k++)
            fprintf(out, k > start ? ",%llu" : "%llu",
                    (unsigned long long)(stacks[k].count * period));
        fputs("]}", out);
    }
    if (first_prof) {
        /* speedscope needs at least one profile */
        fputs("\n{\"type\":\"sampled\",\"name\":\"no samples\",\"unit\":\"nanoseconds\","
              "\"startValue\":0,\"endValue\":0,\"samples\":[],\"weights\":[]}",
              out);
    }
    fputs("]}\n", out);
    rc = 0;
    if (fflush(out) != 0 || ferror(out)) {
        perror("csprof: cannot write the speedscope profile");
        rc = -1;
    }
    goto done;
oom:
    fprintf(stderr, "csprof: out of memory writing the speedscope profile\n");
done:
    free(sid);
    free(stacks);
    free(names);
    free(pool);
    free(thread_weight);
    return rc;
}
