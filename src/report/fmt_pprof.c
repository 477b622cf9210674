/* fmt_pprof.c -- pprof's profile.proto, gzipped (NAME.pb.gz).
 *
 * Hand-encoded protobuf: the message is small and fixed, so a varint and
 * length-delimited encoder of a few lines beats a dependency. Mapping:
 *   - sample types samples/count and cpu/nanoseconds (default cpu), period
 *     type cpu/nanoseconds with period = one sample's length in ns;
 *   - one Function per entry of the function table (profile.h), one Location per distinct
 *     frame (function + line), no Mappings (frames are already symbolized);
 *     system_name only for native frames (see below);
 *   - one Sample per stack, locations leaf first; the synthetic process and
 *     thread roots become labels (pid, tid, thread name) instead of frames,
 *     and idle stacks carry the label state=idle.
 * Field numbers follow profile.proto as published by the pprof project. */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <zlib.h>

#include "output.h"
#include "version.h"

/* ---- protobuf encoding ---- */

typedef struct {
    unsigned char *b;
    size_t len, cap;
    int oom;
} pbuf;

static void pb_raw(pbuf *p, const void *data, size_t n) {
    if (p->oom || n == 0) return;
    if (p->len + n > p->cap) {
        size_t ncap = p->cap ? p->cap : 256;
        while (ncap < p->len + n) ncap *= 2;
        unsigned char *nb = realloc(p->b, ncap);
        if (!nb) {
            p->oom = 1;
            return;
        }
        p->b = nb;
        p->cap = ncap;
    }
    memcpy(p->b + p->len, data, n);
    p->len += n;
}

static void pb_varint(pbuf *p, uint64_t v) {
    unsigned char tmp[10];
    int n = 0;
    do {
        tmp[n] = (unsigned char)(v & 0x7f);
        v >>= 7;
        if (v) tmp[n] |= 0x80;
        n++;
    } while (v);
    pb_raw(p, tmp, (size_t)n);
}

enum { WT_VARINT = 0, WT_LEN = 2 };

static void pb_tag(pbuf *p, int field, int wt) { pb_varint(p, (uint64_t)field << 3 | (uint64_t)wt); }

/* Scalar field; zero is proto3's default and is left out. Negative int64
 * values are sent as their two's complement, as protobuf does. */
static void pb_int(pbuf *p, int field, int64_t v) {
    if (!v) return;
    pb_tag(p, field, WT_VARINT);
    pb_varint(p, (uint64_t)v);
}

static void pb_bytes(pbuf *p, int field, const void *data, size_t n) {
    pb_tag(p, field, WT_LEN);
    pb_varint(p, n);
    pb_raw(p, data, n);
}

/* Append sub as an embedded message, then empty it for reuse. */
static void pb_msg(pbuf *p, int field, pbuf *sub) {
    if (sub->oom) p->oom = 1;
    pb_bytes(p, field, sub->b, sub->len);
    sub->len = 0;
}

/* ---- interning: strings and functions ---- */

/* Strings are borrowed from the profile, except those added by
 * intern_copy, which the table owns. */
typedef struct {
    const char **strs;
    size_t n, cap;
    uint32_t *slots;  /* index+1, 0 = empty */
    size_t nslots;
    char **owned;
    size_t nowned;
    int oom;
} strtab;

static uint64_t hash_str(const char *s) {
    uint64_t h = 0xcbf29ce484222325ULL;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
    return h;
}

static int strtab_grow(strtab *t) {
    size_t ns = t->nslots ? t->nslots * 2 : 1024;
    uint32_t *slots = calloc(ns, sizeof *slots);
    if (!slots) return -1;
    for (size_t i = 0; i < t->n; i++) {
        size_t pos = hash_str(t->strs[i]) & (ns - 1);
        while (slots[pos]) pos = (pos + 1) & (ns - 1);
        slots[pos] = (uint32_t)i + 1;
    }
    free(t->slots);
    t->slots = slots;
    t->nslots = ns;
    return 0;
}

/* Index of s in the string table, adding it if new (NULL is ""). */
static int64_t intern(strtab *t, const char *s) {
    if (!s) s = "";
    if (t->oom) return 0;
    if ((t->n + 1) * 2 > t->nslots && strtab_grow(t)) {
        t->oom = 1;
        return 0;
    }
    size_t mask = t->nslots - 1, pos = hash_str(s) & mask;
    for (; t->slots[pos]; pos = (pos + 1) & mask)
        if (!strcmp(t->strs[t->slots[pos] - 1], s)) return t->slots[pos] - 1;
    if (t->n == t->cap) {
        size_t nc = t->cap ? t->cap * 2 : 256;
        const char **ns = realloc(t->strs, nc * sizeof *ns);
        if (!ns) {
            t->oom = 1;
            return 0;
        }
        t->strs = ns;
        t->cap = nc;
    }
    t->strs[t->n] = s;
    t->slots[pos] = (uint32_t)t->n + 1;
    return (int64_t)t->n++;
}

/* For strings built on the fly (comments): the table keeps a copy. */
static int64_t intern_copy(strtab *t, const char *s) {
    char *copy = strdup(s);
    char **no = realloc(t->owned, (t->nowned + 1) * sizeof *no);
    if (!copy || !no) {
        free(copy);
        if (no) t->owned = no;
        t->oom = 1;
        return 0;
    }
    t->owned = no;
    t->owned[t->nowned++] = copy;
    return intern(t, copy);
}

static void strtab_free(strtab *t) {
    for (size_t i = 0; i < t->nowned; i++) free(t->owned[i]);
    free(t->owned);
    free(t->strs);
    free(t->slots);
}

/* ---- the profile ---- */

/* Seconds since the epoch for an ISO 8601 UTC time such as
 * 2026-11-24T19:30:00Z or 2026-11-24T19:30:00.123456Z; 0 if unparsable. */
static int64_t iso_to_ns(const char *s) {
    if (!s) return 0;
    struct tm tm = {0};
    int consumed = 0;
    if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
               &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &consumed) != 6)
        return 0;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    time_t t = timegm(&tm);
    if (t == (time_t)-1) return 0;
    int64_t ns = (int64_t)t * 1000000000LL;
    const char *frac = s + consumed;
    if (*frac == '.') {
        int64_t scale = 100000000LL;
        for (frac++; *frac >= '0' && *frac <= '9'; frac++, scale /= 10)
            ns += (*frac - '0') * scale;
    }
    return ns;
}

static int is_synthetic(const prof_frame *f) {
    return f->type == FRAME_PROCESS || f->type == FRAME_THREAD;
}

static void value_type(pbuf *out, pbuf *sub, int field, strtab *st, const char *type,
                       const char *unit) {
    pb_int(sub, 1, intern(st, type));
    pb_int(sub, 2, intern(st, unit));
    pb_msg(out, field, sub);
}

static void label(pbuf *sample, pbuf *sub, strtab *st, const char *key, const char *str,
                  int64_t num) {
    pb_int(sub, 1, intern(st, key));
    if (str) pb_int(sub, 2, intern(st, str));
    else pb_int(sub, 3, num);
    pb_msg(sample, 3, sub);
}

/* What the parts of the message are encoded with: the two scratch
 * buffers hold embedded messages while they are built. */
typedef struct {
    const profile *p;
    const prof_functable *ft;
    pbuf *msg, sub, sub2;
    strtab *st;
    uint64_t *loc_of;        /* per frame: its Location id, 0 for none */
    int64_t period;          /* one sample in ns */
} encoder;

/* Locations: one per real frame, ids in frame order. */
static void encode_locations(encoder *e) {
    uint64_t next_loc = 1;
    for (size_t i = 0; i < prof_nframes(e->p); i++) {
        const prof_frame *f = prof_frame_at(e->p, i);
        if (is_synthetic(f)) continue;
        /* Strings in frame order, as the ids below expect to find them. */
        intern(e->st, f->function ? f->function : "?");
        intern(e->st, f->file);
        uint64_t fid = (uint64_t)prof_func_of(e->ft, i) + 1;
        e->loc_of[i] = next_loc;
        pb_int(&e->sub, 1, (int64_t)next_loc);
        pb_int(&e->sub2, 1, (int64_t)fid);
        pb_int(&e->sub2, 2, f->line);
        pb_msg(&e->sub, 4, &e->sub2);
        pb_msg(e->msg, 4, &e->sub);
        next_loc++;
    }
}

static void encode_functions(encoder *e) {
    for (size_t i = 0; i < prof_nfuncs(e->ft); i++) {
        const prof_func *fn = prof_func_at(e->ft, i);
        int64_t name = intern(e->st, fn->name ? fn->name : "?"), file = intern(e->st, fn->file);
        pb_int(&e->sub, 1, (int64_t)i + 1);
        pb_int(&e->sub, 2, name);
        /* pprof demangles system names and strips <...> from what looks
         * like C++: a Python "<module>" would vanish. Only native symbols
         * get a system name; a name without one is shown as it is. */
        if (fn->type == FRAME_NATIVE) pb_int(&e->sub, 3, name);
        pb_int(&e->sub, 4, file);
        pb_int(&e->sub, 5, fn->first_line);
        pb_msg(e->msg, 5, &e->sub);
    }
}

/* One Sample per stack with samples. */
static void encode_samples(encoder *e) {
    pbuf *sub = &e->sub, *sub2 = &e->sub2;
    size_t nframes = prof_nframes(e->p);
    for (size_t s = 0; s < prof_nstacks(e->p); s++) {
        const prof_stack *stk = prof_stack_at(e->p, s);
        if (stk->count == 0) continue;
        /* location ids, leaf first, packed */
        for (uint32_t d = stk->depth; d-- > 0;) {
            uint32_t fr = stk->frames[d];
            if (fr < nframes && e->loc_of[fr]) pb_varint(sub2, e->loc_of[fr]);
        }
        if (sub2->len) pb_msg(sub, 1, sub2);
        pb_varint(sub2, stk->count);
        pb_varint(sub2, stk->count * (uint64_t)e->period);
        pb_msg(sub, 2, sub2);
        const prof_thread *t = prof_thread_at(e->p, stk->thread);
        if (t) {
            label(sub, sub2, e->st, "pid", NULL, t->pid);
            label(sub, sub2, e->st, "tid", NULL, t->tid);
            if (t->name) label(sub, sub2, e->st, "thread", t->name, 0);
        }
        if (stk->idle) label(sub, sub2, e->st, "state", "idle", 0);
        pb_msg(e->msg, 2, sub);
    }
}

/* Time, duration, period and the comments (the csprof version, the
 * command line). */
static void encode_trailer(encoder *e) {
    const prof_meta *m = prof_meta_get(e->p);
    pb_int(e->msg, 9, iso_to_ns(m->start_time));
    if (m->wall_seconds > 0) pb_int(e->msg, 10, (int64_t)llround(m->wall_seconds * 1e9));
    value_type(e->msg, &e->sub, 11, e->st, "cpu", "nanoseconds");
    pb_int(e->msg, 12, e->period);
    char line[512];
    snprintf(line, sizeof line, "csprof %s", m->csprof_version ? m->csprof_version : CSPROF_VERSION);
    pb_int(e->msg, 13, intern_copy(e->st, line));
    if (m->argc > 0) {
        size_t n = 0;
        line[0] = '\0';
        for (int i = 0; i < m->argc && n + 1 < sizeof line; i++)
            n += (size_t)snprintf(line + n, sizeof line - n, "%s%s", i ? " " : "", m->argv[i]);
        pb_int(e->msg, 13, intern_copy(e->st, line));
    }
    pb_int(e->msg, 14, intern(e->st, "cpu"));
}

/* Encodes everything but the string table into msg; the table is filled as
 * a side effect and written last. */
static int encode(const profile *p, pbuf *msg, strtab *st) {
    /* One pprof Function per entry of the function table (profile.h). */
    encoder e = {.p = p, .ft = prof_functions(p), .msg = msg, .st = st};
    size_t nframes = prof_nframes(p);
    e.loc_of = calloc(nframes ? nframes : 1, sizeof *e.loc_of);
    int rc = -1;
    if (!e.loc_of || !e.ft) goto out;
    intern(st, "");  /* string 0 must be the empty string */
    e.period = (int64_t)llround(prof_seconds_per_sample(p) * 1e9);
    if (e.period <= 0) e.period = 1;

    value_type(msg, &e.sub, 1, st, "samples", "count");
    value_type(msg, &e.sub, 1, st, "cpu", "nanoseconds");
    encode_locations(&e);
    encode_functions(&e);
    encode_samples(&e);
    encode_trailer(&e);
    rc = (e.sub.oom || e.sub2.oom || st->oom || msg->oom) ? -1 : 0;
out:
    free(e.sub.b);
    free(e.sub2.b);
    free(e.loc_of);
    return rc;
}

/* Streams in[0..len) to out as one gzip member. zlib's own header has
 * mtime 0 and no name, so a profile always gives the same bytes. Returns 0,
 * -1 when writing failed, -2 when zlib could not allocate. */
static int write_gzip(FILE *out, const unsigned char *in, size_t len) {
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return -2;
    unsigned char buf[65536];
    size_t off = 0;
    int zrc = Z_OK, rc = 0;
    while (zrc != Z_STREAM_END) {
        if (zs.avail_in == 0 && off < len) {
            size_t n = len - off < UINT_MAX ? len - off : UINT_MAX;
            zs.next_in = (Bytef *)(in + off);
            zs.avail_in = (uInt)n;
            off += n;
        }
        zs.next_out = buf;
        zs.avail_out = sizeof buf;
        zrc = deflate(&zs, off == len && zs.avail_in == 0 ? Z_FINISH : Z_NO_FLUSH);
        if (zrc == Z_STREAM_ERROR) {
            rc = -2;
            break;
        }
        size_t have = sizeof buf - zs.avail_out;
        if (have && fwrite(buf, 1, have, out) != have) {
            rc = -1;
            break;
        }
    }
    deflateEnd(&zs);
    return rc;
}

int write_pprof(const profile *p, FILE *out, const output_opts *o) {
    (void)o;
    pbuf msg = {0};
    strtab st = {0};
    int rc = -2;
    if (encode(p, &msg, &st) == 0) {
        for (size_t i = 0; i < st.n; i++) pb_bytes(&msg, 6, st.strs[i], strlen(st.strs[i]));
        if (!msg.oom) rc = write_gzip(out, msg.b, msg.len);
    }
    if (rc == 0 && fflush(out) != 0) rc = -1;
    if (rc == -2)
        fprintf(stderr, "csprof: out of memory encoding the pprof profile\n");
    else if (rc)
        perror("csprof: cannot write the pprof profile");
    free(msg.b);
    strtab_free(&st);
    return rc ? -1 : 0;
}
