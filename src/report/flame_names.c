/* flame_names.c -- the strings and keys of a flamegraph. See flame_names.h. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "flame_names.h"
#include "utf8.h"

/* Marks a match key's first_line: matching ignores it (see the header). */
#define LOOSE_LINE INT_MIN

/* ------------------------------------------------------------- text */

/* What XML 1.0 forbids (C0 controls, U+FFFE, U+FFFF), and the controls it
 * allows but a tooltip must not hold (tab, newline, carriage return). */
static bool shows_as_is(uint32_t cp) { return cp >= 0x20 && cp != 0xFFFE && cp != 0xFFFF; }

bool flame_clean(sbuf *out, const char *s, size_t *ncp) {
    s = s ? s : "";
    size_t n = strlen(s), count = 0, run = 0;  /* run: start of the pending shown stretch */
    bool ok = true;
    for (size_t i = 0; i < n; count++) {
        uint32_t cp = 0;
        size_t len = utf8_decode((const unsigned char *)s + i, n - i, &cp);
        if (len && shows_as_is(cp)) {
            i += len;
            continue;
        }
        ok = ok && sbuf_putn(out, s + run, i - run) && sbuf_puts(out, UTF8_REPLACEMENT);
        i += len ? len : 1;
        run = i;
    }
    ok = ok && sbuf_putn(out, s + run, n - run);
    if (ncp) *ncp = count;
    return ok;
}

/* ---------------------------------------------------------- strings */

static uint64_t str_hash_of(const void *ctx, uint32_t i) {
    return ((const flame_strs *)ctx)->v[i].hash;
}

static bool same_str(const char *a, const char *b) {
    if (!a || !b) return a == b;
    return strcmp(a, b) == 0;
}

static long str_intern(flame_strs *t, const char *raw) {
    uint64_t h = hash_str(HASH_INIT, raw);
    hidx_iter it;
    for (uint32_t i = hidx_first(&t->idx, h, &it); i != HIDX_NONE; i = hidx_next(&it))
        if (t->v[i].hash == h && same_str(t->v[i].raw, raw)) return i;
    flame_str *v = hidx_reserve(t->v, &t->cap, t->n, sizeof *v);
    if (!v) return -1;
    t->v = v;
    t->v[t->n++] = (flame_str){.raw = raw, .hash = h, .js = FLAME_NONE};
    if (hidx_add(&t->idx, (uint32_t)(t->n - 1), h, t->n, str_hash_of, t)) {
        t->n--;
        return -1;
    }
    return (long)(t->n - 1);
}

const flame_str *flame_shown(flame_names *nm, uint32_t id) {
    flame_str *e = &nm->strs.v[id];
    if (e->clean) return e;
    sbuf b;
    sbuf_init(&b, SBUF_NO_LIMIT);
    flame_clean(&b, e->raw, &e->ncp);
    e->clean = sbuf_detach(&b, NULL);
    return e->clean ? e : NULL;
}

/* -------------------------------------------------------------- keys */

static uint64_t key_hash(uint32_t fn, uint32_t file, int first_line, frame_type type) {
    uint64_t h = hash_u64(HASH_INIT, (uint64_t)fn << 32 | file);
    return hash_u64(h, (uint64_t)(uint32_t)first_line << 32 | (uint32_t)type);
}

static uint64_t key_hash_of(const void *ctx, uint32_t i) {
    return ((const flame_keys *)ctx)->v[i].hash;
}

static long key_intern(flame_keys *t, uint32_t fn, uint32_t file, int first_line,
                       const char *module, frame_type type) {
    uint64_t h = key_hash(fn, file, first_line, type);
    hidx_iter it;
    for (uint32_t i = hidx_first(&t->idx, h, &it); i != HIDX_NONE; i = hidx_next(&it)) {
        const flame_key *k = &t->v[i];
        if (k->fn == fn && k->file == file && k->first_line == first_line && k->type == type)
            return i;
    }
    flame_key *v = hidx_reserve(t->v, &t->cap, t->n, sizeof *v);
    if (!v) return -1;
    t->v = v;
    t->v[t->n] = (flame_key){.fn = fn, .file = file, .first_line = first_line, .module = module,
                             .type = type, .match = (uint32_t)t->n, .kind = -1, .hash = h};
    t->n++;
    if (hidx_add(&t->idx, (uint32_t)(t->n - 1), h, t->n, key_hash_of, t)) {
        t->n--;
        return -1;
    }
    return (long)(t->n - 1);
}

/* Process and thread roots name a pid/tid that differs from run to run;
 * for matching against a base they are known by the rest of their label,
 * "thread 4242 (MainThread)" -> "thread (MainThread)". */
static char *synthetic_match_name(const char *label) {
    const char *s = label ? label : "";
    const char *sp = strchr(s, ' ');
    if (!sp) return strdup(s);
    const char *q = sp + 1;
    while (*q >= '0' && *q <= '9') q++;
    size_t head = (size_t)(sp - s) + 1;
    char *out = malloc(strlen(s) + 1);
    if (!out) return NULL;
    memcpy(out, s, head);
    strcpy(out + head, *q == ' ' ? q + 1 : q);
    return out;
}

/* Keeps s until flame_names_free; frees it and returns -1 on OOM. */
static int own(flame_names *nm, char *s) {
    char **v = hidx_reserve(nm->owned, &nm->capowned, nm->nowned, sizeof *v);
    if (!v) {
        free(s);
        return -1;
    }
    nm->owned = v;
    nm->owned[nm->nowned++] = s;
    return 0;
}

/* The match key of frame f, whose name and file are strings fn and file. */
static long match_key(flame_names *nm, const prof_frame *f, uint32_t fn, uint32_t file) {
    if (f->type != FRAME_PROCESS && f->type != FRAME_THREAD)
        return key_intern(&nm->keys, fn, file, LOOSE_LINE, f->module, f->type);
    char *mn = synthetic_match_name(f->function);
    if (!mn || own(nm, mn)) return -1;
    long mfn = str_intern(&nm->strs, mn);
    return mfn < 0 ? -1 : key_intern(&nm->keys, (uint32_t)mfn, file, 0, NULL, f->type);
}

/* The key frame f maps to (see flame_map_frames), or -1 on OOM. */
static long frame_key(flame_names *nm, const prof_frame *f, bool match_only) {
    bool synthetic = f->type == FRAME_PROCESS || f->type == FRAME_THREAD;
    long fn = str_intern(&nm->strs, f->function);
    long file = str_intern(&nm->strs, f->file);
    if (fn < 0 || file < 0) return -1;
    long k = key_intern(&nm->keys, (uint32_t)fn, (uint32_t)file, synthetic ? 0 : f->first_line,
                        f->module, f->type);
    if (k < 0) return -1;
    long mk = match_key(nm, f, (uint32_t)fn, (uint32_t)file);
    if (mk < 0 || match_only) return mk;
    nm->keys.v[k].match = (uint32_t)mk;
    return k;
}

uint32_t *flame_map_frames(flame_names *nm, const profile *p, bool match_only) {
    size_t nf = prof_nframes(p);
    uint32_t *map = malloc((nf ? nf : 1) * sizeof *map);
    if (!map) return NULL;
    for (size_t i = 0; i < nf; i++) {
        long k = frame_key(nm, prof_frame_at(p, i), match_only);
        if (k < 0) {
            free(map);
            return NULL;
        }
        map[i] = (uint32_t)k;
    }
    return map;
}

/* C11 qsort takes no context; a render runs on one thread, so a static
 * borrowed for the duration of one sort is enough. */
static const flame_names *rank_ctx;

static int name_cmp(uint32_t a, uint32_t b) {
    const char *x = rank_ctx->strs.v[a].raw, *y = rank_ctx->strs.v[b].raw;
    return strcmp(x ? x : "", y ? y : "");
}

static int rank_cmp(const void *a, const void *b) {
    const flame_key *x = &rank_ctx->keys.v[*(const uint32_t *)a];
    const flame_key *y = &rank_ctx->keys.v[*(const uint32_t *)b];
    int c = name_cmp(x->fn, y->fn);
    if (c) return c;
    c = name_cmp(x->file, y->file);
    if (c) return c;
    if (x->type != y->type) return (int)x->type - (int)y->type;
    return (x->first_line > y->first_line) - (x->first_line < y->first_line);
}

int flame_rank_keys(flame_names *nm) {
    uint32_t *order = malloc((nm->keys.n ? nm->keys.n : 1) * sizeof *order);
    if (!order) return -1;
    for (uint32_t i = 0; i < nm->keys.n; i++) order[i] = i;
    rank_ctx = nm;
    qsort(order, nm->keys.n, sizeof *order, rank_cmp);
    rank_ctx = NULL;
    for (uint32_t i = 0; i < nm->keys.n; i++) nm->keys.v[order[i]].rank = i;
    free(order);
    return 0;
}

code_kind flame_key_kind(flame_names *nm, const profile *p, uint32_t k) {
    flame_key *key = &nm->keys.v[k];
    if (key->kind < 0)
        key->kind = (int)classify_func_module(p, nm->strs.v[key->file].raw, key->module, key->type);
    return (code_kind)key->kind;
}

void flame_names_free(flame_names *nm) {
    for (size_t i = 0; i < nm->strs.n; i++) free(nm->strs.v[i].clean);
    free(nm->strs.v);
    hidx_free(&nm->strs.idx);
    free(nm->keys.v);
    hidx_free(&nm->keys.idx);
    for (size_t i = 0; i < nm->nowned; i++) free(nm->owned[i]);
    free(nm->owned);
    *nm = (flame_names){0};
}
