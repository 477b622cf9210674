/* test_pprof.c -- the interchange formats against the profile they came from.
 * pprof: decompressed by gzip(1), decoded by a small protobuf reader here:
 * every sample accounted for, flat and cumulative per-function totals equal
 * prof_function_stats, locations leaf first, labels, period, times.
 * speedscope: parsed with jansson: structure, indices, weights summing to the
 * sample count, per-function self weights equal to prof_function_stats.
 * (speedscope's own importer reads our files in tests/test_interchange.py.) */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "output.h"

/* ---- a minimal profile.proto reader ---- */

typedef struct {
    uint64_t id, func;
    int64_t line;
} d_loc;
typedef struct {
    uint64_t id;
    int64_t name, sysname, file, start;
} d_func;
typedef struct {
    uint64_t *locs;
    size_t nlocs;
    int64_t values[4];
    size_t nvalues;
    struct { int64_t key, str, num; } labels[8];
    size_t nlabels;
} d_sample;
typedef struct {
    char **strs;
    size_t nstrs;
    d_loc *locs;
    size_t nlocs;
    d_func *funcs;
    size_t nfuncs;
    d_sample *samples;
    size_t nsamples;
    int64_t sample_type[4][2];
    size_t nsample_types;
    int64_t period_type[2], period, time_nanos, duration_nanos, default_type;
    size_t ncomments;
    int ok;
} decoded;

typedef struct {
    const unsigned char *p, *end;
    int bad;
} reader;

static uint64_t rd_varint(reader *r) {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (r->p >= r->end) {
            r->bad = 1;
            return 0;
        }
        unsigned char b = *r->p++;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) return v;
    }
    r->bad = 1;
    return 0;
}

/* Next field: returns 0 at the end. For length-delimited fields *sub is the
 * payload; for varints *val. */
static int rd_field(reader *r, int *field, int *wt, uint64_t *val, reader *sub) {
    if (r->p >= r->end || r->bad) return 0;
    uint64_t key = rd_varint(r);
    *field = (int)(key >> 3);
    *wt = (int)(key & 7);
    if (*wt == 0) {
        *val = rd_varint(r);
    } else if (*wt == 2) {
        uint64_t n = rd_varint(r);
        if (n > (uint64_t)(r->end - r->p)) {
            r->bad = 1;
            return 0;
        }
        *sub = (reader){r->p, r->p + n, 0};
        r->p += n;
    } else {
        r->bad = 1;  /* our writer only uses varint and length-delimited */
        return 0;
    }
    return !r->bad;
}

static void rd_value_type(reader r, int64_t out[2]) {
    int f, wt;
    uint64_t v;
    reader s;
    out[0] = out[1] = 0;
    while (rd_field(&r, &f, &wt, &v, &s))
        if (wt == 0 && (f == 1 || f == 2)) out[f - 1] = (int64_t)v;
}

/* Append, growing by doubling: capacity is implied by n (powers of two). */
#define PUSH(arr, n, val)                                          \
    do {                                                           \
        if (((n) & ((n) - 1)) == 0)                                \
            arr = realloc(arr, ((n) ? 2 * (n) : 1) * sizeof *(arr)); \
        (arr)[(n)++] = (val);                                      \
    } while (0)

static void rd_sample(reader r, d_sample *out) {
    int f, wt;
    uint64_t v;
    reader s;
    *out = (d_sample){0};
    while (rd_field(&r, &f, &wt, &v, &s)) {
        if (f == 1 && wt == 2) {
            while (s.p < s.end && !s.bad) PUSH(out->locs, out->nlocs, rd_varint(&s));
        } else if (f == 1 && wt == 0) {
            PUSH(out->locs, out->nlocs, v);
        } else if (f == 2 && wt == 2) {
            while (s.p < s.end && !s.bad && out->nvalues < 4)
                out->values[out->nvalues++] = (int64_t)rd_varint(&s);
        } else if (f == 3 && wt == 2) {
            int64_t key = 0, str = -1, num = 0;
            int lf, lwt;
            uint64_t lv;
            reader ls;
            while (rd_field(&s, &lf, &lwt, &lv, &ls)) {
                if (lf == 1) key = (int64_t)lv;
                if (lf == 2) str = (int64_t)lv;
                if (lf == 3) num = (int64_t)lv;
            }
            /* keys are resolved once the string table is known */
            if (out->nlabels < 8) {
                out->labels[out->nlabels].key = key;
                out->labels[out->nlabels].str = str;
                out->labels[out->nlabels++].num = num;
            }
        }
    }
}

static decoded decode(const unsigned char *buf, size_t len) {
    decoded d = {0};
    reader r = {buf, buf + len, 0};
    int f, wt;
    uint64_t v;
    reader s;
    while (rd_field(&r, &f, &wt, &v, &s)) {
        switch (f) {
        case 1:
            if (d.nsample_types < 4) rd_value_type(s, d.sample_type[d.nsample_types++]);
            break;
        case 2: {
            d_sample smp;
            rd_sample(s, &smp);
            PUSH(d.samples, d.nsamples, smp);
            break;
        }
        case 4: {
            d_loc l = {0};
            int lf, lwt;
            uint64_t lv;
            reader ls;
            while (rd_field(&s, &lf, &lwt, &lv, &ls)) {
                if (lf == 1) l.id = lv;
                if (lf == 4) {
                    int nf, nwt;
                    uint64_t nv;
                    reader ns;
                    while (rd_field(&ls, &nf, &nwt, &nv, &ns)) {
                        if (nf == 1) l.func = nv;
                        if (nf == 2) l.line = (int64_t)nv;
                    }
                }
            }
            PUSH(d.locs, d.nlocs, l);
            break;
        }
        case 5: {
            d_func fn = {0};
            int ff, fwt;
            uint64_t fv;
            reader fs;
            while (rd_field(&s, &ff, &fwt, &fv, &fs)) {
                if (ff == 1) fn.id = fv;
                if (ff == 2) fn.name = (int64_t)fv;
                if (ff == 3) fn.sysname = (int64_t)fv;
                if (ff == 4) fn.file = (int64_t)fv;
                if (ff == 5) fn.start = (int64_t)fv;
            }
            PUSH(d.funcs, d.nfuncs, fn);
            break;
        }
        case 6: {
            char *str = malloc((size_t)(s.end - s.p) + 1);
            memcpy(str, s.p, (size_t)(s.end - s.p));
            str[s.end - s.p] = '\0';
            PUSH(d.strs, d.nstrs, str);
            break;
        }
        case 9: d.time_nanos = (int64_t)v; break;
        case 10: d.duration_nanos = (int64_t)v; break;
        case 11: rd_value_type(s, d.period_type); break;
        case 12: d.period = (int64_t)v; break;
        case 13: d.ncomments++; break;
        case 14: d.default_type = (int64_t)v; break;
        default: break;
        }
    }
    d.ok = !r.bad && r.p == r.end;
    return d;
}

static void decoded_free(decoded *d) {
    for (size_t i = 0; i < d->nstrs; i++) free(d->strs[i]);
    free(d->strs);
    for (size_t i = 0; i < d->nsamples; i++) free(d->samples[i].locs);
    free(d->samples);
    free(d->locs);
    free(d->funcs);
}

static const char *str_at(const decoded *d, int64_t i) {
    return i >= 0 && (size_t)i < d->nstrs ? d->strs[i] : NULL;
}

/* The label named key of sample s: 1 if present, with its string (NULL for
 * a numeric label) and number. */
static int label_of(const decoded *d, const d_sample *s, const char *key, const char **str,
                    int64_t *num) {
    for (size_t i = 0; i < s->nlabels; i++) {
        const char *k = str_at(d, s->labels[i].key);
        if (k && !strcmp(k, key)) {
            *str = s->labels[i].str >= 0 ? str_at(d, s->labels[i].str) : NULL;
            *num = s->labels[i].num;
            return 1;
        }
    }
    return 0;
}

static const d_loc *loc_by_id(const decoded *d, uint64_t id) {
    /* ids are dense 1..n in our writer; fall back to a scan otherwise */
    if (id >= 1 && id <= d->nlocs && d->locs[id - 1].id == id) return &d->locs[id - 1];
    for (size_t i = 0; i < d->nlocs; i++)
        if (d->locs[i].id == id) return &d->locs[i];
    return NULL;
}

static const d_func *func_by_id(const decoded *d, uint64_t id) {
    /* ids are dense 1..n in our writer; fall back to a scan otherwise */
    if (id >= 1 && id <= d->nfuncs && d->funcs[id - 1].id == id) return &d->funcs[id - 1];
    for (size_t i = 0; i < d->nfuncs; i++)
        if (d->funcs[i].id == id) return &d->funcs[i];
    return NULL;
}

/* write_pprof -> file -> gzip -dc -> bytes */
static unsigned char *render(const profile *p, size_t *len) {
    char path[] = "/tmp/csprof-pprof-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) return NULL;
    FILE *f = fdopen(fd, "wb");
    output_opts o;
    output_opts_init(&o);
    int rc = write_pprof(p, f, &o);
    fclose(f);
    if (rc) {
        unlink(path);
        return NULL;
    }
    char cmd[256];
    snprintf(cmd, sizeof cmd, "gzip -dc < '%s'", path);
    FILE *pipe = popen(cmd, "r");
    size_t cap = 1 << 16, n = 0;
    unsigned char *b = malloc(cap);
    for (size_t r; pipe && (r = fread(b + n, 1, cap - n, pipe)) > 0;) {
        n += r;
        if (n == cap) b = realloc(b, cap *= 2);
    }
    int st = pipe ? pclose(pipe) : -1;
    unlink(path);
    if (st != 0) {
        free(b);
        return NULL;
    }
    *len = n;
    return b;
}

/* ---- fixtures ---- */

static int F(profile *p, const char *fn, const char *file, int line, int first) {
    return prof_intern_frame(p, fn, file, line, first, FRAME_PYTHON);
}

static profile *small_profile(void) {
    profile *p = prof_new();
    prof_meta *m = prof_meta_of(p);
    prof_set_str(&m->start_time, "2026-11-24T19:30:00.25Z");
    m->wall_seconds = 2.5;
    m->rate_hz = 100;
    m->interval_seconds = 0.01;
    char *argv[] = {"python3", "app.py", "--fast"};
    prof_set_argv(p, 3, argv);
    int t0 = prof_add_thread(p, 100, 100, "MainThread");
    int t1 = prof_add_thread(p, 100, 101, "worker");
    prof_add_process(p, 100, 1, "python3 app.py", "3.12.1");
    uint32_t main_ = (uint32_t)F(p, "<module>", "/w/app.py", 10, 1);
    uint32_t work = (uint32_t)F(p, "work", "/w/app.py", 5, 3);
    uint32_t work7 = (uint32_t)F(p, "work", "/w/app.py", 7, 3);
    uint32_t fib = (uint32_t)F(p, "fib", "/w/app.py", 20, 19);
    uint32_t loads = (uint32_t)F(p, "loads", "/usr/lib/python3.12/json/__init__.py", 346, 299);
    uint32_t nat = (uint32_t)prof_intern_frame(p, "memcpy", "libc.so.6", 0, 0, FRAME_NATIVE);
    uint32_t s1[] = {main_, work};
    uint32_t s2[] = {main_, work7, nat};
    uint32_t s3[] = {main_, fib, fib, fib};  /* recursion */
    uint32_t s4[] = {main_, loads};
    uint32_t s5[] = {main_, work};
    prof_add_stack(p, (uint32_t)t0, false, s1, 2, 40);
    prof_add_stack(p, (uint32_t)t0, false, s2, 3, 7);
    prof_add_stack(p, (uint32_t)t0, false, s3, 4, 12);
    prof_add_stack(p, (uint32_t)t1, false, s4, 2, 30);
    prof_add_stack(p, (uint32_t)t1, true, s5, 2, 11);
    prof_add_roots(p, true, true);
    return p;
}

/* Checks the decoded profile against p: sample totals, and per function the
 * flat (leaf) and cumulative (once per sample) counts of prof_function_stats. */
static void check_against_stats(const profile *p, const decoded *d) {
    CHECK(d->ok);
    CHECK(d->nstrs > 0 && d->strs[0][0] == '\0');
    uint64_t total = 0, cpu = 0;
    for (size_t i = 0; i < d->nsamples; i++) {
        CHECK_EQ_INT(d->samples[i].nvalues, 2);
        total += (uint64_t)d->samples[i].values[0];
        cpu += (uint64_t)d->samples[i].values[1];
        CHECK_EQ_INT(d->samples[i].values[1], d->samples[i].values[0] * d->period);
    }
    CHECK_EQ_INT(total, prof_total_samples(p));
    CHECK_EQ_INT(cpu, prof_total_samples(p) * (uint64_t)d->period);

    prof_func_stat *st = NULL;
    long n = prof_function_stats(p, &st);
    CHECK(n >= 0);
    uint64_t *flat = calloc(d->nfuncs + 1, sizeof *flat), *cum = calloc(d->nfuncs + 1, sizeof *cum);
    uint64_t *seen = calloc(d->nfuncs + 1, sizeof *seen);
    for (size_t i = 0; i < d->nsamples; i++) {
        const d_sample *s = &d->samples[i];
        for (size_t k = 0; k < s->nlocs; k++) {
            const d_loc *l = loc_by_id(d, s->locs[k]);
            CHECK(l && l->func >= 1 && l->func <= d->nfuncs);
            if (!l || l->func < 1 || l->func > d->nfuncs) continue;
            if (k == 0) flat[l->func] += (uint64_t)s->values[0];
            if (seen[l->func] != i + 1) {
                seen[l->func] = i + 1;
                cum[l->func] += (uint64_t)s->values[0];
            }
        }
    }
    CHECK_EQ_INT(d->nfuncs, n);
    for (long i = 0; i < n; i++) {
        const d_func *match = NULL;
        for (size_t k = 0; k < d->nfuncs; k++) {
            const d_func *fn = &d->funcs[k];
            const char *name = str_at(d, fn->name), *file = str_at(d, fn->file);
            if (name && file && !strcmp(name, st[i].function) &&
                !strcmp(file, st[i].file ? st[i].file : "") && fn->start == st[i].first_line) {
                match = fn;
                break;
            }
        }
        CHECK(match != NULL);
        if (!match) continue;
        CHECK_EQ_INT(flat[match->id], st[i].self);
        CHECK_EQ_INT(cum[match->id], st[i].total);
        /* system names only for native symbols (pprof demangles them) */
        CHECK_EQ_INT(match->sysname, st[i].type == FRAME_NATIVE ? match->name : 0);
    }
    free(st);
    free(flat);
    free(cum);
    free(seen);
}

TEST(small_profile_decodes) {
    profile *p = small_profile();
    size_t len = 0;
    unsigned char *buf = render(p, &len);
    CHECK(buf != NULL);
    if (!buf) {
        prof_free(p);
        return;
    }
    decoded d = decode(buf, len);
    check_against_stats(p, &d);

    CHECK_EQ_INT(d.nsample_types, 2);
    CHECK_EQ_STR(str_at(&d, d.sample_type[0][0]), "samples");
    CHECK_EQ_STR(str_at(&d, d.sample_type[0][1]), "count");
    CHECK_EQ_STR(str_at(&d, d.sample_type[1][0]), "cpu");
    CHECK_EQ_STR(str_at(&d, d.sample_type[1][1]), "nanoseconds");
    CHECK_EQ_STR(str_at(&d, d.period_type[0]), "cpu");
    CHECK_EQ_STR(str_at(&d, d.period_type[1]), "nanoseconds");
    CHECK_EQ_STR(str_at(&d, d.default_type), "cpu");
    CHECK_EQ_INT(d.period, 10000000);  /* 10 ms */
    /* 2026-11-24T19:30:00Z is 1795548600 s after the epoch */
    CHECK_EQ_INT(d.time_nanos, 1795548600LL * 1000000000LL + 250000000LL);
    CHECK_EQ_INT(d.duration_nanos, 2500000000LL);
    CHECK_EQ_INT(d.ncomments, 2);

    /* five stacks, five samples; no location is a synthetic root */
    CHECK_EQ_INT(d.nsamples, 5);
    for (size_t i = 0; i < d.nlocs; i++) {
        const d_func *fn = func_by_id(&d, d.locs[i].func);
        CHECK(fn != NULL);
        const char *name = fn ? str_at(&d, fn->name) : NULL;
        CHECK(name && strncmp(name, "process ", 8) && strncmp(name, "thread ", 7));
    }
    /* locations leaf first: the 7-sample stack is memcpy <- work:7 <- <module> */
    int found = 0;
    for (size_t i = 0; i < d.nsamples; i++) {
        const d_sample *s = &d.samples[i];
        if (s->values[0] != 7) continue;
        found = 1;
        CHECK_EQ_INT(s->nlocs, 3);
        const char *names[3];
        int64_t lines[3];
        for (size_t k = 0; k < 3 && k < s->nlocs; k++) {
            const d_loc *l = loc_by_id(&d, s->locs[k]);
            const d_func *fn = l ? func_by_id(&d, l->func) : NULL;
            names[k] = fn ? str_at(&d, fn->name) : NULL;
            lines[k] = l ? l->line : -1;
        }
        CHECK_EQ_STR(names[0], "memcpy");
        CHECK_EQ_STR(names[1], "work");
        CHECK_EQ_INT(lines[1], 7);
        CHECK_EQ_STR(names[2], "<module>");
        CHECK_EQ_INT(lines[2], 10);
    }
    CHECK(found);
    /* labels: pid/tid numbers, thread name, idle state */
    int idle_seen = 0, worker_seen = 0;
    for (size_t i = 0; i < d.nsamples; i++) {
        const d_sample *s = &d.samples[i];
        const char *str = NULL, *tname = NULL;
        int64_t pid = 0, tid = 0, num = 0;
        CHECK(label_of(&d, s, "pid", &str, &pid) && str == NULL);
        CHECK_EQ_INT(pid, 100);
        CHECK(label_of(&d, s, "tid", &str, &tid) && str == NULL);
        CHECK(label_of(&d, s, "thread", &tname, &num) && tname != NULL);
        if (tname && !strcmp(tname, "worker")) {
            worker_seen = 1;
            CHECK_EQ_INT(tid, 101);
        } else {
            CHECK_EQ_STR(tname, "MainThread");
            CHECK_EQ_INT(tid, 100);
        }
        if (label_of(&d, s, "state", &str, &num)) {
            CHECK_EQ_STR(str, "idle");
            CHECK_EQ_INT(s->values[0], 11);
            idle_seen = 1;
        }
    }
    CHECK(idle_seen && worker_seen);
    decoded_free(&d);
    free(buf);
    prof_free(p);
}

TEST(empty_profile_is_valid) {
    profile *p = prof_new();
    size_t len = 0;
    unsigned char *buf = render(p, &len);
    CHECK(buf != NULL);
    decoded d = decode(buf, len);
    CHECK(d.ok);
    CHECK_EQ_INT(d.nsamples, 0);
    CHECK_EQ_INT(d.nsample_types, 2);
    CHECK(d.period > 0);
    decoded_free(&d);
    free(buf);
    prof_free(p);
}

static uint32_t rng = 88172645u;
static uint32_t rnd(void) {
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return rng;
}

/* A large random profile: many functions, deep stacks with recursion, many
 * threads. Every sample must be accounted for, per function too. */
TEST(big_random_profile_accounts_for_every_sample) {
    profile *p = prof_new();
    prof_meta_of(p)->rate_hz = 997;  /* period not a round number of ns */
    enum { NFUNC = 5000, NSTACK = 12000, NTHREAD = 16 };
    int threads[NTHREAD];
    for (int t = 0; t < NTHREAD; t++) {
        char name[32];
        snprintf(name, sizeof name, "t%d", t);
        threads[t] = prof_add_thread(p, 1, 1000 + t, t % 3 ? name : NULL);
    }
    char fn[64], file[64];
    uint32_t stack[40];
    for (int s = 0; s < NSTACK; s++) {
        uint32_t depth = 1 + rnd() % 40;
        for (uint32_t k = 0; k < depth; k++) {
            unsigned f = (k > 2 && rnd() % 5 == 0) ? (rnd() % 50) : rnd() % NFUNC;
            snprintf(fn, sizeof fn, "f%u", f);
            snprintf(file, sizeof file, "/w/m%u.py", f % 97);
            int line = (int)(f % 1000) + 1 + (int)(rnd() % 4);
            stack[k] = (uint32_t)F(p, fn, file, line, (int)(f % 1000) + 1);
        }
        prof_add_stack(p, (uint32_t)threads[rnd() % NTHREAD], rnd() % 10 == 0, stack, depth,
                       1 + rnd() % 50);
    }
    CHECK(prof_add_roots(p, true, true) == 0);
    size_t len = 0;
    unsigned char *buf = render(p, &len);
    CHECK(buf != NULL);
    if (buf) {
        decoded d = decode(buf, len);
        CHECK_EQ_INT(d.period, 1003009);  /* round(1e9 / 997) */
        check_against_stats(p, &d);
        decoded_free(&d);
    }
    free(buf);
    prof_free(p);
}

/* ---- speedscope ---- */

static json_t *render_speedscope(const profile *p) {
    char path[] = "/tmp/csprof-speedscope-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) return NULL;
    FILE *f = fdopen(fd, "wb");
    output_opts o;
    output_opts_init(&o);
    int rc = write_speedscope(p, f, &o);
    fclose(f);
    json_error_t err;
    json_t *j = rc ? NULL : json_load_file(path, 0, &err);
    if (!rc && !j) fprintf(stderr, "  speedscope JSON does not parse: line %d: %s\n", err.line, err.text);
    unlink(path);
    return j;
}

/* Walks every profile: checks structure and indices, returns the summed
 * weight, and adds each sample's weight to self[leaf frame]. */
static uint64_t speedscope_walk(json_t *j, uint64_t *self, size_t nself) {
    json_t *frames = json_object_get(json_object_get(j, "shared"), "frames");
    json_t *profiles = json_object_get(j, "profiles");
    CHECK(json_is_array(frames) && json_is_array(profiles));
    CHECK(json_array_size(profiles) >= 1);
    CHECK_EQ_STR(json_string_value(json_object_get(j, "$schema")),
                 "https://www.speedscope.app/file-format-schema.json");
    size_t nframes = json_array_size(frames), i;
    json_t *prof;
    uint64_t sum = 0;
    json_array_foreach(profiles, i, prof) {
        CHECK_EQ_STR(json_string_value(json_object_get(prof, "type")), "sampled");
        CHECK_EQ_STR(json_string_value(json_object_get(prof, "unit")), "nanoseconds");
        json_t *samples = json_object_get(prof, "samples"), *weights = json_object_get(prof, "weights");
        CHECK_EQ_INT(json_array_size(samples), json_array_size(weights));
        uint64_t psum = 0;
        for (size_t k = 0; k < json_array_size(samples); k++) {
            json_t *stk = json_array_get(samples, k);
            uint64_t w = (uint64_t)json_integer_value(json_array_get(weights, k));
            CHECK(json_array_size(stk) >= 1);
            for (size_t d = 0; d < json_array_size(stk); d++) {
                json_int_t fi = json_integer_value(json_array_get(stk, d));
                CHECK(fi >= 0 && (size_t)fi < nframes);
            }
            size_t leaf = (size_t)json_integer_value(json_array_get(stk, json_array_size(stk) - 1));
            if (leaf < nself) self[leaf] += w;
            psum += w;
        }
        CHECK_EQ_INT(json_integer_value(json_object_get(prof, "endValue")), psum);
        CHECK_EQ_INT(json_integer_value(json_object_get(prof, "startValue")), 0);
        sum += psum;
    }
    return sum;
}

TEST(speedscope_small_profile) {
    profile *p = small_profile();
    json_t *j = render_speedscope(p);
    CHECK(j != NULL);
    if (!j) {
        prof_free(p);
        return;
    }
    json_t *frames = json_object_get(json_object_get(j, "shared"), "frames");
    size_t nf = json_array_size(frames);
    uint64_t *self = calloc(nf, sizeof *self);
    uint64_t sum = speedscope_walk(j, self, nf);
    const uint64_t period = 10000000;
    CHECK_EQ_INT(sum, prof_total_samples(p) * period);
    /* one profile per thread, named with tid, name and pid; worker has less */
    json_t *profiles = json_object_get(j, "profiles");
    CHECK_EQ_INT(json_array_size(profiles), 2);
    CHECK_EQ_STR(json_string_value(json_object_get(json_array_get(profiles, 0), "name")),
                 "thread 100 (MainThread), pid 100");
    CHECK_EQ_STR(json_string_value(json_object_get(json_array_get(profiles, 1), "name")),
                 "thread 101 (worker), pid 100");
    CHECK_EQ_INT(json_integer_value(json_object_get(j, "activeProfileIndex")), 0);
    /* frames are functions: work (lines 5 and 7) is one frame, with its
     * first line; no synthetic roots; markers for idle */
    size_t work = nf, idle = nf;
    for (size_t i = 0; i < nf; i++) {
        const char *name = json_string_value(json_object_get(json_array_get(frames, i), "name"));
        CHECK(name && strncmp(name, "thread ", 7) && strncmp(name, "process ", 8));
        if (name && !strcmp(name, "work")) {
            CHECK(work == nf);
            work = i;
            CHECK_EQ_INT(json_integer_value(json_object_get(json_array_get(frames, i), "line")), 3);
            CHECK_EQ_STR(json_string_value(json_object_get(json_array_get(frames, i), "file")),
                         "/w/app.py");
        }
        if (name && !strcmp(name, "[idle]")) idle = i;
    }
    CHECK(work < nf && idle < nf);
    if (work < nf) CHECK_EQ_INT(self[work], 40 * period);  /* the idle 11 go to [idle] */
    if (idle < nf) CHECK_EQ_INT(self[idle], 11 * period);
    free(self);
    json_decref(j);
    prof_free(p);
}

TEST(speedscope_names_are_valid_json_whatever_the_bytes) {
    profile *p = prof_new();
    int t = prof_add_thread(p, 1, 1, "we\"ird\n\x01");
    uint32_t f[3];
    f[0] = (uint32_t)prof_intern_frame(p, "quote\"back\\slash", "/w/a.py", 1, 1, FRAME_PYTHON);
    f[1] = (uint32_t)prof_intern_frame(p, "bad\xff\xfe utf8 \xe2\x82", "/w/\xc0\xaf.py", 2, 1,
                                       FRAME_PYTHON);
    f[2] = (uint32_t)prof_intern_frame(p, "ok \xc3\xa9\xe2\x82\xac\xf0\x9f\x90\x8d", "/w/b.py", 3,
                                       1, FRAME_PYTHON);
    prof_add_stack(p, (uint32_t)t, false, f, 3, 5);
    json_t *j = render_speedscope(p);
    CHECK(j != NULL);
    if (j) {
        json_t *frames = json_object_get(json_object_get(j, "shared"), "frames");
        CHECK_EQ_STR(json_string_value(json_object_get(json_array_get(frames, 0), "name")),
                     "quote\"back\\slash");
        CHECK_EQ_STR(json_string_value(json_object_get(json_array_get(frames, 1), "name")),
                     "bad\xef\xbf\xbd\xef\xbf\xbd utf8 \xef\xbf\xbd\xef\xbf\xbd");
        CHECK_EQ_STR(json_string_value(json_object_get(json_array_get(frames, 2), "name")),
                     "ok \xc3\xa9\xe2\x82\xac\xf0\x9f\x90\x8d");
        json_decref(j);
    }
    prof_free(p);
}

TEST(speedscope_empty_profile_has_one_profile) {
    profile *p = prof_new();
    json_t *j = render_speedscope(p);
    CHECK(j != NULL);
    if (j) {
        CHECK_EQ_INT(speedscope_walk(j, NULL, 0), 0);
        json_decref(j);
    }
    prof_free(p);
}

/* Big random profile without idle stacks: every function's self weight is
 * its prof_function_stats self count times the period. */
TEST(speedscope_big_random_profile_matches_stats) {
    profile *p = prof_new();
    prof_meta_of(p)->interval_seconds = 0.0123456789;
    enum { NFUNC = 3000, NSTACK = 8000, NTHREAD = 9 };
    int threads[NTHREAD];
    for (int t = 0; t < NTHREAD; t++) threads[t] = prof_add_thread(p, 7, 70 + t, "w");
    char fn[64], file[64];
    uint32_t stack[30];
    for (int s = 0; s < NSTACK; s++) {
        uint32_t depth = 1 + rnd() % 30;
        for (uint32_t k = 0; k < depth; k++) {
            unsigned f = (k > 2 && rnd() % 4 == 0) ? (rnd() % 40) : rnd() % NFUNC;
            snprintf(fn, sizeof fn, "g%u", f);
            snprintf(file, sizeof file, "/w/n%u.py", f % 31);
            stack[k] = (uint32_t)F(p, fn, file, (int)(f % 500) + 1 + (int)(rnd() % 3),
                                   (int)(f % 500) + 1);
        }
        prof_add_stack(p, (uint32_t)threads[rnd() % NTHREAD], false, stack, depth, 1 + rnd() % 20);
    }
    CHECK(prof_add_roots(p, true, true) == 0);
    json_t *j = render_speedscope(p);
    CHECK(j != NULL);
    if (j) {
        json_t *frames = json_object_get(json_object_get(j, "shared"), "frames");
        size_t nf = json_array_size(frames);
        uint64_t *self = calloc(nf, sizeof *self);
        const uint64_t period = 12345679;  /* round(0.0123456789 s in ns) */
        CHECK_EQ_INT(speedscope_walk(j, self, nf), prof_total_samples(p) * period);
        prof_func_stat *st = NULL;
        long n = prof_function_stats(p, &st);
        /* frames: one per function, plus the two markers */
        CHECK_EQ_INT(nf, n + 2);
        for (long i = 0; i < n; i++) {
            size_t k = 0;
            for (; k < nf; k++) {
                json_t *fr = json_array_get(frames, k);
                if (!strcmp(json_string_value(json_object_get(fr, "name")), st[i].function) &&
                    !strcmp(json_string_value(json_object_get(fr, "file")), st[i].file) &&
                    json_integer_value(json_object_get(fr, "line")) == st[i].first_line)
                    break;
            }
            CHECK(k < nf);
            if (k < nf) CHECK_EQ_INT(self[k], st[i].self * period);
        }
        free(st);
        free(self);
        json_decref(j);
    }
    prof_free(p);
}

int main(void) {
    RUN(speedscope_small_profile);
    RUN(speedscope_names_are_valid_json_whatever_the_bytes);
    RUN(speedscope_empty_profile_has_one_profile);
    RUN(speedscope_big_random_profile_matches_stats);
    RUN(small_profile_decodes);
    RUN(empty_profile_is_valid);
    RUN(big_random_profile_accounts_for_every_sample);
    return check_summary();
}
