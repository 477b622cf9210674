/* fmt_svg.c -- write_svg: the flamegraph, one self-contained SVG.
 *
 * Stacks are merged into a tree whose nodes are (function, file, type) under
 * a parent, so one function is one bar per call path whatever line it was
 * on; the line seen most often is kept for the tooltip. Roots sit at the
 * bottom (classic flame layout) and children run left to right by name, so
 * a call path lands in the same place in every run and in diffs.
 *
 * The picture is complete without script: every bar is a <g> holding a
 * <title> (the tooltip), a <rect> and, when it fits, a <text> label. The
 * script only adds zoom, search, a details bar and relabelling. It reads the
 * tree from a compact array F written after the bars (level, first sample,
 * samples, name, file per bar, in preorder) and a string table S, so it
 * never parses tooltips and can count search matches exactly.
 *
 * Geometry is computed from integer sample offsets and each edge is rounded
 * once, so siblings tile exactly and a child never pokes out of its parent.
 */
#include "output.h"

#include <errno.h>
#include <stdarg.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "fmt_svg.h"

#define IMG_W 1200
#define PAD_X 10
#define FRAME_W (IMG_W - 2 * PAD_X)   /* width that stands for all samples */
#define ROW_H 16
#define RECT_H 15
/* Advance of one character of the 12px monospace label font, slightly
 * generous so a fallback font still fits; the script uses the same value. */
#define CHAR_W 7.4
#define STR(x) #x
#define XSTR(x) STR(x)
#define NONE UINT32_MAX

/* ---------------------------------------------------------------- output */

typedef struct {
    char *b;
    size_t n, cap;
    int oom;
} sbuf;

static void sb_put(sbuf *s, const char *p, size_t len) {
    if (s->oom) return;
    if (s->n + len + 1 > s->cap) {
        size_t ncap = s->cap ? s->cap : 1 << 16;
        while (ncap < s->n + len + 1) ncap *= 2;
        char *nb = realloc(s->b, ncap);
        if (!nb) {
            s->oom = 1;
            return;
        }
        s->b = nb;
        s->cap = ncap;
    }
    memcpy(s->b + s->n, p, len);
    s->n += len;
    s->b[s->n] = '\0';
}

static void sb_puts(sbuf *s, const char *p) { sb_put(s, p, strlen(p)); }

__attribute__((format(printf, 2, 3))) static void sb_printf(sbuf *s, const char *fmt, ...) {
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int len = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (len < 0) {
        s->oom = 1;
        return;
    }
    if ((size_t)len < sizeof tmp) {
        sb_put(s, tmp, (size_t)len);
        return;
    }
    char *big = malloc((size_t)len + 1);
    if (!big) {
        s->oom = 1;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(big, (size_t)len + 1, fmt, ap);
    va_end(ap);
    sb_put(s, big, (size_t)len);
    free(big);
}

/* A coordinate in hundredths of a pixel, printed without trailing zeros. */
static void sb_hund(sbuf *s, int64_t v) {
    if (v < 0) {
        sb_put(s, "-", 1);
        v = -v;
    }
    int64_t whole = v / 100, frac = v % 100;
    if (frac == 0)
        sb_printf(s, "%lld", (long long)whole);
    else if (frac % 10 == 0)
        sb_printf(s, "%lld.%lld", (long long)whole, (long long)(frac / 10));
    else
        sb_printf(s, "%lld.%02lld", (long long)whole, (long long)frac);
}

static int64_t to_hund(double px) { return (int64_t)(px * 100.0 + 0.5); }

/* 1234567 -> "1,234,567" */
static void sb_count(sbuf *s, uint64_t v) {
    char digits[32], out[48];
    int n = snprintf(digits, sizeof digits, "%llu", (unsigned long long)v), k = 0;
    for (int i = 0; i < n; i++) {
        if (i && (n - i) % 3 == 0) out[k++] = ',';
        out[k++] = digits[i];
    }
    sb_put(s, out, (size_t)k);
}

static void sb_seconds(sbuf *s, double sec) {
    if (sec < 1.0)
        sb_printf(s, "%.1f ms", sec * 1000.0);
    else if (sec < 100.0)
        sb_printf(s, "%.2f s", sec);
    else if (sec < 6000.0)
        sb_printf(s, "%.0f s", sec);
    else
        sb_printf(s, "%.0f s (%.1f h)", sec, sec / 3600.0);
}

/* ------------------------------------------------------- text hygiene */

/* Length of the well-formed UTF-8 sequence at s (at most n bytes), storing
 * its code point, or 0 when the bytes are not UTF-8 (overlong forms,
 * surrogates, beyond U+10FFFF, truncated). */
static size_t utf8_next(const unsigned char *s, size_t n, uint32_t *cp) {
    unsigned c = s[0];
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    size_t len;
    unsigned lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) len = 2;
    else if (c == 0xE0) len = 3, lo = 0xA0;
    else if (c == 0xED) len = 3, hi = 0x9F;
    else if (c >= 0xE1 && c <= 0xEF) len = 3;
    else if (c == 0xF0) len = 4, lo = 0x90;
    else if (c == 0xF4) len = 4, hi = 0x8F;
    else if (c >= 0xF1 && c <= 0xF3) len = 4;
    else return 0;
    if (n < len || s[1] < lo || s[1] > hi) return 0;
    uint32_t v = c & (0xFF >> (len + 1));
    v = (v << 6) | (s[1] & 0x3F);
    for (size_t i = 2; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        v = (v << 6) | (s[i] & 0x3F);
    }
    *cp = v;
    return len;
}

/* A copy of s that is valid UTF-8 made only of characters XML allows, with
 * no control characters (a newline in a name would break the tooltip
 * layout): anything else becomes U+FFFD. *ncp gets the code point count. */
static char *clean_text(const char *s, size_t *ncp) {
    const unsigned char *u = (const unsigned char *)(s ? s : "");
    size_t n = strlen((const char *)u);
    char *out = malloc(n * 3 + 1);  /* one byte can become 3 (U+FFFD) */
    if (!out) return NULL;
    size_t k = 0, count = 0;
    for (size_t i = 0; i < n; count++) {
        uint32_t cp = 0;
        size_t len = utf8_next(u + i, n - i, &cp);
        int ok = len && cp >= 0x20 && cp != 0xFFFE && cp != 0xFFFF;
        if (ok) {
            memcpy(out + k, u + i, len);
            k += len;
            i += len;
        } else {
            memcpy(out + k, "\xEF\xBF\xBD", 3);
            k += 3;
            i += len ? len : 1;
        }
    }
    out[k] = '\0';
    if (ncp) *ncp = count;
    return out;
}

/* Escape clean text for element content or an attribute value, keeping at
 * most maxcp code points (SIZE_MAX: all). */
static void sb_xml_n(sbuf *s, const char *t, size_t maxcp) {
    size_t cps = 0;
    const char *run = t;
    for (const char *c = t; *c; c++) {
        if ((*c & 0xC0) != 0x80 && cps++ == maxcp) {
            sb_put(s, run, (size_t)(c - run));
            return;
        }
        const char *rep = NULL;
        switch (*c) {
        case '&': rep = "&amp;"; break;
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '"': rep = "&quot;"; break;
        case '\'': rep = "&#39;"; break;
        }
        if (rep) {
            sb_put(s, run, (size_t)(c - run));
            sb_puts(s, rep);
            run = c + 1;
        }
    }
    sb_puts(s, run);
}

static void sb_xml(sbuf *s, const char *t) { sb_xml_n(s, t, SIZE_MAX); }

/* Raw text that is not yet clean (metadata strings). */
static void sb_xml_raw(sbuf *s, const char *raw) {
    char *c = clean_text(raw, NULL);
    if (!c) {
        s->oom = 1;
        return;
    }
    sb_xml(s, c);
    free(c);
}

/* A JavaScript string literal inside CDATA: no "]]>" can appear because '>'
 * is escaped, and the line separators old engines reject are escaped too. */
static void sb_js_string(sbuf *s, const char *t) {
    sb_put(s, "\"", 1);
    const char *run = t;
    for (const char *c = t; *c; c++) {
        const char *rep = NULL;
        size_t len = 1;
        if (*c == '"') rep = "\\\"";
        else if (*c == '\\') rep = "\\\\";
        else if (*c == '>') rep = "\\u003e";
        else if (*c == '<') rep = "\\u003c";
        else if (c[0] == '\xE2' && c[1] == '\x80' && (c[2] == '\xA8' || c[2] == '\xA9'))
            rep = c[2] == '\xA8' ? "\\u2028" : "\\u2029", len = 3;
        if (rep) {
            sb_put(s, run, (size_t)(c - run));
            sb_puts(s, rep);
            c += len - 1;
            run = c + 1;
        }
    }
    sb_puts(s, run);
    sb_put(s, "\"", 1);
}

/* ------------------------------------------------------------- hashing */

static uint64_t mix64(uint64_t x) {
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

static uint64_t hash_cstr(const char *s) {
    uint64_t h = 0xcbf29ce484222325ULL;
    for (const unsigned char *u = (const unsigned char *)(s ? s : ""); *u; u++) {
        h ^= *u;
        h *= 0x100000001b3ULL;
    }
    return h ^ (s ? 0 : 0x9e3779b97f4a7c15ULL);
}

/* Open-addressing index of uint32 ids (slot = id + 1), kept under half
 * full; the owner supplies the hash of each id when rehashing. */
typedef struct {
    uint32_t *slots;
    size_t cap;
    size_t used;
} idx_table;

static int idx_grow(idx_table *t, size_t n, uint64_t (*hash_of)(const void *, uint32_t),
                    const void *ctx) {
    size_t ncap = t->cap ? t->cap * 2 : 1024;
    while (ncap < 2 * (n + 1)) ncap *= 2;
    uint32_t *ns = calloc(ncap, sizeof *ns);
    if (!ns) return -1;
    for (uint32_t i = 0; i < n; i++) {
        size_t pos = hash_of(ctx, i) & (ncap - 1);
        while (ns[pos]) pos = (pos + 1) & (ncap - 1);
        ns[pos] = i + 1;
    }
    free(t->slots);
    t->slots = ns;
    t->cap = ncap;
    t->used = n;
    return 0;
}

/* Index entry n-1 (just appended, hash h) of a table of n entries. On
 * failure the caller drops the entry again. */
static int idx_add(idx_table *t, size_t n, uint64_t h,
                   uint64_t (*hash_of)(const void *, uint32_t), const void *ctx) {
    if (2 * (t->used + 1) > t->cap) return idx_grow(t, n, hash_of, ctx);
    size_t mask = t->cap - 1, pos = h & mask;
    while (t->slots[pos]) pos = (pos + 1) & mask;
    t->slots[pos] = (uint32_t)(n - 1) + 1;
    t->used++;
    return 0;
}

/* --------------------------------------------------------- string table */

/* Strings are borrowed from the profiles (alive for the whole render) and
 * cleaned only when a bar that shows them is written. */
typedef struct {
    const char *raw;
    uint64_t hash;
    char *clean;
    size_t ncp;
    uint32_t js;   /* index in the script's string table, NONE until used */
} str_ent;

typedef struct {
    str_ent *v;
    size_t n, cap;
    idx_table idx;
} str_table;

static uint64_t str_hash_of(const void *ctx, uint32_t i) {
    return ((const str_table *)ctx)->v[i].hash;
}

static int same_str(const char *a, const char *b) {
    if (!a || !b) return a == b;
    return strcmp(a, b) == 0;
}

static long str_intern(str_table *t, const char *raw) {
    uint64_t h = hash_cstr(raw);
    if (t->idx.cap) {
        size_t mask = t->idx.cap - 1;
        for (size_t pos = h & mask; t->idx.slots[pos]; pos = (pos + 1) & mask) {
            uint32_t i = t->idx.slots[pos] - 1;
            if (t->v[i].hash == h && same_str(t->v[i].raw, raw)) return i;
        }
    }
    if (t->n >= UINT32_MAX - 1) return -1;
    if (t->n == t->cap) {
        size_t ncap = t->cap ? t->cap * 2 : 256;
        str_ent *nv = realloc(t->v, ncap * sizeof *nv);
        if (!nv) return -1;
        t->v = nv;
        t->cap = ncap;
    }
    t->v[t->n] = (str_ent){.raw = raw, .hash = h, .js = NONE};
    t->n++;
    if (idx_add(&t->idx, t->n, h, str_hash_of, t)) {
        t->n--;
        return -1;
    }
    return (long)(t->n - 1);
}

static const str_ent *str_clean(str_table *t, uint32_t i) {
    str_ent *e = &t->v[i];
    if (!e->clean && !(e->clean = clean_text(e->raw, &e->ncp))) return NULL;
    return e;
}

static void str_free(str_table *t) {
    for (size_t i = 0; i < t->n; i++) free(t->v[i].clean);
    free(t->v);
    free(t->idx.slots);
}

/* ------------------------------------------------------------ key table */

/* A bar's identity: the function table's rule (profile.h), (function, file,
 * first_line, type). A diff matches bars across profiles without first_line
 * (LOOSE_LINE keys), so that a function whose first line moved between the
 * runs still matches its base bar. */
#define LOOSE_LINE INT_MIN
typedef struct {
    uint32_t fn, file;
    int first_line;
    const char *module;  /* for the kind: the first frame's __module__ */
    frame_type type;
    uint32_t match;  /* key used to find this bar in a diff's base */
    uint32_t rank;   /* position in name order */
    int kind;        /* code_kind, -1 until classified */
    uint64_t hash;
} fkey;

typedef struct {
    fkey *v;
    size_t n, cap;
    idx_table idx;
} key_table;

static uint64_t key_hash(uint32_t fn, uint32_t file, int first_line, frame_type type) {
    return mix64(((uint64_t)fn << 32 | file) ^ ((uint64_t)type * 0x9e3779b97f4a7c15ULL) ^
                 ((uint64_t)(uint32_t)first_line << 40));
}

static uint64_t key_hash_of(const void *ctx, uint32_t i) {
    return ((const key_table *)ctx)->v[i].hash;
}

static long key_intern(key_table *t, uint32_t fn, uint32_t file, int first_line,
                       const char *module, frame_type type) {
    uint64_t h = key_hash(fn, file, first_line, type);
    if (t->idx.cap) {
        size_t mask = t->idx.cap - 1;
        for (size_t pos = h & mask; t->idx.slots[pos]; pos = (pos + 1) & mask) {
            const fkey *k = &t->v[t->idx.slots[pos] - 1];
            if (k->fn == fn && k->file == file && k->first_line == first_line && k->type == type)
                return t->idx.slots[pos] - 1;
        }
    }
    if (t->n >= UINT32_MAX - 1) return -1;
    if (t->n == t->cap) {
        size_t ncap = t->cap ? t->cap * 2 : 256;
        fkey *nv = realloc(t->v, ncap * sizeof *nv);
        if (!nv) return -1;
        t->v = nv;
        t->cap = ncap;
    }
    t->v[t->n] = (fkey){.fn = fn, .file = file, .first_line = first_line, .module = module,
                        .type = type, .match = (uint32_t)t->n,
                        .kind = -1, .hash = h};
    t->n++;
    if (idx_add(&t->idx, t->n, h, key_hash_of, t)) {
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

typedef struct {
    str_table strs;
    key_table keys;
    char **owned;   /* strings made here (match names), freed at the end */
    size_t nowned, capowned;
} names;

static int own(names *nm, char *s) {
    if (nm->nowned == nm->capowned) {
        size_t ncap = nm->capowned ? nm->capowned * 2 : 16;
        char **no = realloc(nm->owned, ncap * sizeof *no);
        if (!no) return -1;
        nm->owned = no;
        nm->capowned = ncap;
    }
    nm->owned[nm->nowned++] = s;
    return 0;
}

/* Map every frame of p to its key. match_only: p is a diff's base, whose
 * bars are only ever looked up, so its keys are the match keys. */
static uint32_t *map_frames(names *nm, const profile *p, int match_only) {
    size_t nf = prof_nframes(p);
    uint32_t *map = malloc((nf ? nf : 1) * sizeof *map);
    if (!map) return NULL;
    for (size_t i = 0; i < nf; i++) {
        const prof_frame *f = prof_frame_at(p, i);
        int synthetic = f->type == FRAME_PROCESS || f->type == FRAME_THREAD;
        long fn = str_intern(&nm->strs, f->function);
        long file = str_intern(&nm->strs, f->file);
        int first = synthetic ? 0 : f->first_line;
        long k = fn < 0 || file < 0 ? -1
               : key_intern(&nm->keys, (uint32_t)fn, (uint32_t)file, first, f->module, f->type);
        if (k >= 0 && !synthetic) {
            long mk = key_intern(&nm->keys, (uint32_t)fn, (uint32_t)file, LOOSE_LINE, f->module,
                                 f->type);
            if (mk < 0) k = -1;
            else if (match_only) k = mk;
            else nm->keys.v[k].match = (uint32_t)mk;
        }
        if (k >= 0 && synthetic) {
            char *mn = synthetic_match_name(f->function);
            long mfn = -1, mk = -1;
            if (mn && own(nm, mn) == 0) mfn = str_intern(&nm->strs, mn);
            else free(mn);
            if (mfn >= 0) mk = key_intern(&nm->keys, (uint32_t)mfn, (uint32_t)file, 0, NULL, f->type);
            if (mk < 0) k = -1;
            else if (match_only) k = mk;
            else nm->keys.v[k].match = (uint32_t)mk;
        }
        if (k < 0) {
            free(map);
            return NULL;
        }
        map[i] = (uint32_t)k;
    }
    return map;
}

static void names_free(names *nm) {
    str_free(&nm->strs);
    free(nm->keys.v);
    free(nm->keys.idx.slots);
    for (size_t i = 0; i < nm->nowned; i++) free(nm->owned[i]);
    free(nm->owned);
}

/* C11 qsort takes no context; a render runs on one thread, so a static
 * borrowed for the duration of one sort is enough. */
static const names *rank_ctx;
static int rank_cmp(const void *a, const void *b) {
    const fkey *x = &rank_ctx->keys.v[*(const uint32_t *)a];
    const fkey *y = &rank_ctx->keys.v[*(const uint32_t *)b];
    const char *xf = rank_ctx->strs.v[x->fn].raw, *yf = rank_ctx->strs.v[y->fn].raw;
    int c = strcmp(xf ? xf : "", yf ? yf : "");
    if (c) return c;
    xf = rank_ctx->strs.v[x->file].raw;
    yf = rank_ctx->strs.v[y->file].raw;
    c = strcmp(xf ? xf : "", yf ? yf : "");
    if (c) return c;
    if (x->type != y->type) return (int)x->type - (int)y->type;
    return (x->first_line > y->first_line) - (x->first_line < y->first_line);
}

static int rank_keys(names *nm) {
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

static code_kind key_kind(names *nm, const profile *p, uint32_t k) {
    fkey *key = &nm->keys.v[k];
    if (key->kind < 0)
        key->kind = (int)classify_func_module(p, nm->strs.v[key->file].raw, key->module, key->type);
    return (code_kind)key->kind;
}

/* ----------------------------------------------------------------- tree */

typedef struct {
    uint32_t key, parent, depth;  /* depth 0 is the virtual root */
    int hot_line;
    uint64_t count, idle, hot_count, start;
    uint32_t nlines;
} tnode;

typedef struct {
    uint32_t node;
    int line;
    uint64_t count;
} line_ent;

typedef struct {
    tnode *v;
    size_t n, cap;
    idx_table idx;          /* (parent, key) -> child */
    line_ent *lines;        /* (node, line) -> samples, when wanted */
    size_t nlines, caplines;
    idx_table lidx;
    uint32_t *kids;         /* children of node i: kids[kid_at[i] .. kid_at[i+1]) */
    uint32_t *kid_at;
} tree;

static uint64_t child_hash(uint32_t parent, uint32_t key) {
    return mix64((uint64_t)parent << 32 | key);
}

static uint64_t node_hash_of(const void *ctx, uint32_t i) {
    const tnode *n = &((const tree *)ctx)->v[i];
    return child_hash(n->parent, n->key);
}

static uint64_t line_hash(uint32_t node, int line) {
    return mix64((uint64_t)node << 32 ^ (uint32_t)line ^ 0x5bd1e995ULL);
}

static uint64_t line_hash_of(const void *ctx, uint32_t i) {
    const line_ent *e = &((const tree *)ctx)->lines[i];
    return line_hash(e->node, e->line);
}

/* The child of parent with this key, created when missing; NONE on OOM. */
static uint32_t tree_child(tree *t, uint32_t parent, uint32_t key, int create) {
    uint64_t h = child_hash(parent, key);
    if (t->idx.cap) {
        size_t mask = t->idx.cap - 1;
        for (size_t pos = h & mask; t->idx.slots[pos]; pos = (pos + 1) & mask) {
            uint32_t i = t->idx.slots[pos] - 1;
            if (t->v[i].parent == parent && t->v[i].key == key) return i;
        }
    }
    if (!create || t->n >= UINT32_MAX - 1) return NONE;
    if (t->n == t->cap) {
        size_t ncap = t->cap ? t->cap * 2 : 4096;
        tnode *nv = realloc(t->v, ncap * sizeof *nv);
        if (!nv) return NONE;
        t->v = nv;
        t->cap = ncap;
    }
    t->v[t->n] = (tnode){.key = key, .parent = parent, .depth = t->v[parent].depth + 1};
    t->n++;
    if (idx_add(&t->idx, t->n, h, node_hash_of, t)) {
        t->n--;
        return NONE;
    }
    return (uint32_t)(t->n - 1);
}

static int tree_add_line(tree *t, uint32_t node, int line, uint64_t count) {
    uint64_t h = line_hash(node, line);
    if (t->lidx.cap) {
        size_t mask = t->lidx.cap - 1;
        for (size_t pos = h & mask; t->lidx.slots[pos]; pos = (pos + 1) & mask) {
            line_ent *e = &t->lines[t->lidx.slots[pos] - 1];
            if (e->node == node && e->line == line) {
                e->count += count;
                return 0;
            }
        }
    }
    if (t->nlines >= UINT32_MAX - 1) return -1;
    if (t->nlines == t->caplines) {
        size_t ncap = t->caplines ? t->caplines * 2 : 4096;
        line_ent *nl = realloc(t->lines, ncap * sizeof *nl);
        if (!nl) return -1;
        t->lines = nl;
        t->caplines = ncap;
    }
    t->lines[t->nlines++] = (line_ent){.node = node, .line = line, .count = count};
    if (idx_add(&t->lidx, t->nlines, h, line_hash_of, t)) {
        t->nlines--;
        return -1;
    }
    return 0;
}

static void tree_free(tree *t) {
    free(t->v);
    free(t->idx.slots);
    free(t->lines);
    free(t->lidx.slots);
    free(t->kids);
    free(t->kid_at);
}

/* Merge every stack of p into t. Returns 0, -1 on OOM, -2 when a stack
 * names a frame the profile does not have. */
static int tree_build(tree *t, const profile *p, const uint32_t *keymap, int with_lines) {
    t->v = malloc(4096 * sizeof *t->v);
    if (!t->v) return -1;
    t->cap = 4096;
    t->v[0] = (tnode){.key = NONE, .parent = NONE};
    t->n = 1;
    size_t nf = prof_nframes(p), ns = prof_nstacks(p);
    for (size_t si = 0; si < ns; si++) {
        const prof_stack *s = prof_stack_at(p, si);
        if (!s->count) continue;
        uint32_t cur = 0;
        t->v[0].count += s->count;
        if (s->idle) t->v[0].idle += s->count;
        for (uint32_t d = 0; d < s->depth; d++) {
            uint32_t fi = s->frames[d];
            if (fi >= nf) return -2;
            uint32_t c = tree_child(t, cur, keymap[fi], 1);
            if (c == NONE) return -1;
            t->v[c].count += s->count;
            if (s->idle) t->v[c].idle += s->count;
            if (with_lines && tree_add_line(t, c, prof_frame_at(p, fi)->line, s->count)) return -1;
            cur = c;
        }
    }
    if (with_lines) {
        for (size_t i = 0; i < t->nlines; i++) {
            const line_ent *e = &t->lines[i];
            tnode *nd = &t->v[e->node];
            nd->nlines++;
            if (e->count > nd->hot_count || (e->count == nd->hot_count && e->line < nd->hot_line)) {
                nd->hot_count = e->count;
                nd->hot_line = e->line;
            }
        }
    }
    return 0;
}

/* Children of every node in name order: a counting sort by key rank, then a
 * stable counting sort by parent, so the whole tree is ordered in O(n). */
static int tree_sort_children(tree *t, const names *nm) {
    size_t n = t->n, nk = nm->keys.n;
    uint32_t *by_rank = malloc(n * sizeof *by_rank);
    uint32_t *bucket = calloc(nk + 1, sizeof *bucket);
    t->kids = malloc(n * sizeof *t->kids);
    t->kid_at = calloc(n + 1, sizeof *t->kid_at);
    if (!by_rank || !bucket || !t->kids || !t->kid_at) {
        free(by_rank);
        free(bucket);
        return -1;
    }
    for (size_t i = 1; i < n; i++) bucket[nm->keys.v[t->v[i].key].rank + 1]++;
    for (size_t r = 0; r < nk; r++) bucket[r + 1] += bucket[r];
    for (size_t i = 1; i < n; i++) by_rank[bucket[nm->keys.v[t->v[i].key].rank]++] = (uint32_t)i;
    for (size_t i = 1; i < n; i++) t->kid_at[t->v[i].parent + 1]++;
    for (size_t i = 0; i < n; i++) t->kid_at[i + 1] += t->kid_at[i];
    uint32_t *fill = bucket;  /* reuse: needs n entries now */
    if (n > nk + 1) {
        fill = realloc(bucket, n * sizeof *fill);
        if (!fill) {
            free(bucket);
            free(by_rank);
            return -1;
        }
    }
    memcpy(fill, t->kid_at, n * sizeof *fill);
    for (size_t j = 0; j + 1 < n; j++) {
        uint32_t c = by_rank[j];
        t->kids[fill[t->v[c].parent]++] = c;
    }
    free(fill);
    free(by_rank);
    return 0;
}

/* --------------------------------------------------------------- layout */

typedef struct {
    uint32_t *vis;          /* shown bars in preorder */
    size_t nvis;
    uint32_t max_level;     /* highest level shown (0 = roots) */
    uint64_t dropped_frames, dropped_samples;
} layout;

static int lay_out(tree *t, uint64_t total, double min_w, layout *L) {
    size_t n = t->n;
    uint64_t *size = malloc(n * sizeof *size);
    L->vis = malloc(n * sizeof *L->vis);
    uint32_t *stack = malloc(n * sizeof *stack);
    if (!size || !L->vis || !stack) {
        free(size);
        free(stack);
        return -1;
    }
    /* Children are created after their parents, so one backward sweep sums
     * subtree sizes (what a dropped bar takes with it). */
    for (size_t i = 0; i < n; i++) size[i] = 1;
    for (size_t i = n - 1; i > 0; i--) size[t->v[i].parent] += size[i];
    size_t sp = 0;
    stack[sp++] = 0;
    t->v[0].start = 0;
    while (sp) {
        uint32_t u = stack[--sp];
        if (u) {
            L->vis[L->nvis++] = u;
            if (t->v[u].depth - 1 > L->max_level) L->max_level = t->v[u].depth - 1;
        }
        uint64_t at = t->v[u].start;
        /* Lay out every child, then push the shown ones in reverse so the
         * preorder comes out left to right. */
        size_t first_pushed = sp;
        for (uint32_t k = t->kid_at[u]; k < t->kid_at[u + 1]; k++) {
            uint32_t c = t->kids[k];
            t->v[c].start = at;
            at += t->v[c].count;
            if ((double)t->v[c].count * FRAME_W < min_w * (double)total) {
                L->dropped_frames += size[c];
                L->dropped_samples += t->v[c].count;
            } else {
                stack[sp++] = c;
            }
        }
        for (size_t a = first_pushed, b = sp; a + 1 < b; a++, b--) {
            uint32_t tmp = stack[a];
            stack[a] = stack[b - 1];
            stack[b - 1] = tmp;
        }
    }
    free(size);
    free(stack);
    return 0;
}

/* -------------------------------------------------------------- colours */

/* Five hues that say what kind of code a bar is, four shades each so that
 * neighbours stay apart; CSS classes a0..f3 (kind letter, shade). */
static const char css_palette[] =
    ".a0{fill:#e4572e}.a1{fill:#ec6a3d}.a2{fill:#f07f4f}.a3{fill:#e8663a}"
    ".b0{fill:#6fb86f}.b1{fill:#7fc47a}.b2{fill:#8ccf86}.b3{fill:#74be80}"
    ".c0{fill:#9c8ad6}.c1{fill:#a99ae0}.c2{fill:#8f7fd0}.c3{fill:#b3a6e6}"
    ".d0{fill:#d9b44a}.d1{fill:#e3c25c}.d2{fill:#cfa63f}.d3{fill:#e8ca6d}"
    ".e0{fill:#b9c3cc}.e1{fill:#c4cdd5}.e2{fill:#aeb9c3}.e3{fill:#cfd6dc}"
    ".f0{fill:#d6d2c4}.f1{fill:#dedad0}.f2{fill:#cfcabb}.f3{fill:#e3e0d8}\n";

/* Differential colour: light grey for no change, towards red as the share
 * grew and towards blue as it shrank, full colour at |delta| >= scale.
 * Returns whether a label on it should be white. */
static int diff_colour(double delta_pp, double scale, unsigned shade, char out[8]) {
    double t = delta_pp / scale;
    if (t > 1) t = 1;
    if (t < -1) t = -1;
    if (delta_pp < 0.05 && delta_pp > -0.05) t = 0;
    /* Ease out so a change of a tenth of the scale is already visible. */
    t = t < 0 ? -(-t * (2 + t)) : t * (2 - t);
    double base = 236 - 6.0 * shade;
    double r = base, g = base, b = base;
    if (t > 0) {
        r = base + (214 - base) * t;
        g = base + (48 - base) * t;
        b = base + (39 - base) * t;
    } else if (t < 0) {
        r = base + (33 - base) * -t;
        g = base + (102 - base) * -t;
        b = base + (172 - base) * -t;
    }
    snprintf(out, 8, "#%02x%02x%02x", (unsigned)(r + 0.5) & 0xFF, (unsigned)(g + 0.5) & 0xFF,
             (unsigned)(b + 0.5) & 0xFF);
    return t > 0.6 || t < -0.6;  /* dark enough to want white labels */
}

/* ------------------------------------------------------------ the script */

static const char css_common[] =
    "svg{background:#fff}\n"
    "text{font-family:\"DejaVu Sans Mono\",Menlo,Consolas,monospace;font-size:12px;fill:#222}\n"
    "#title{font-family:sans-serif;font-size:17px;font-weight:bold;fill:#111}\n"
    ".sub{font-family:sans-serif;font-size:12px;fill:#555}\n"
    ".btn{font-family:sans-serif;font-size:13px;fill:#0645ad;cursor:pointer}\n"
    ".btn:hover{text-decoration:underline}\n"
    "#reset{opacity:.35}\n"
    "#frames g{cursor:pointer}\n"
    "#frames text{pointer-events:none}\n"
    "#frames g:hover rect{stroke:#000;stroke-width:.6}\n"
    "#frames .anc{opacity:.45}\n"
    "#frames .hit rect{fill:#e000e0}\n"
    "#frames .dk text{fill:#fff}\n"
    "#details{font-size:12px}\n"
    "#matched{font-weight:bold;fill:#900}\n"
    ".note{font-family:sans-serif;font-size:11px;fill:#777}\n";

/* Reads W (frame area width), P (left margin), T (total samples), S and F. */
static const char js_code[] =
    "(function () {\n"
    "'use strict';\n"
    "var SVGNS = 'http://www.w3.org/2000/svg';\n"
    "var box = document.getElementById('frames'), G = box.children, n = G.length;\n"
    "var lvl = [], st = [], cnt = [], name = [], file = [], par = [], end = [];\n"
    "var rect = [], txt = [], ox = [], ow = [], otext = [], oy = [];\n"
    "var details = document.getElementById('details'), hint = details.textContent;\n"
    "var matched = document.getElementById('matched');\n"
    "var resetBtn = document.getElementById('reset');\n"
    "var clearBtn = document.getElementById('clear');\n"
    "var open = [], i, j;\n"
    "for (i = 0; i < n; i++) {\n"
    "  var k = 5 * i;\n"
    "  lvl[i] = F[k]; st[i] = F[k + 1]; cnt[i] = F[k + 2];\n"
    "  name[i] = S[F[k + 3]] || '?'; file[i] = S[F[k + 4]];\n"
    "  G[i].csIndex = i;\n"
    "  rect[i] = G[i].getElementsByTagName('rect')[0];\n"
    "  txt[i] = G[i].getElementsByTagName('text')[0] || null;\n"
    "  ox[i] = rect[i].getAttribute('x'); ow[i] = rect[i].getAttribute('width');\n"
    "  oy[i] = +rect[i].getAttribute('y');\n"
    "  otext[i] = txt[i] ? txt[i].textContent : null;\n"
    "  while (open.length && lvl[open[open.length - 1]] >= lvl[i]) end[open.pop()] = i;\n"
    "  par[i] = open.length ? open[open.length - 1] : -1;\n"
    "  open.push(i);\n"
    "}\n"
    "while (open.length) end[open.pop()] = n;\n"
    "function r2(v) { return String(Math.round(v * 100) / 100); }\n"
    /* Same rule as the C side: CHAR_W per code point, 3px padding each side,
     * two dots when cut, nothing under three characters. */
    "function fit(s, w) {\n"
    "  var cps = Array.from(s), max = Math.floor((w - 6) / " XSTR(CHAR_W) ");\n"
    "  if (cps.length <= max) return s;\n"
    "  if (max < 3) return '';\n"
    "  return cps.slice(0, max - 2).join('') + '..';\n"
    "}\n"
    "function label(i, x, w) {\n"
    "  var s = fit(name[i], w);\n"
    "  if (!txt[i]) {\n"
    "    if (!s) return;\n"
    "    txt[i] = document.createElementNS(SVGNS, 'text');\n"
    "    txt[i].setAttribute('y', oy[i] + 11);\n"
    "    G[i].appendChild(txt[i]);\n"
    "  }\n"
    "  txt[i].setAttribute('x', r2(x + 3));\n"
    "  txt[i].textContent = s;\n"
    "}\n"
    "function place(i, x, w, anc) {\n"
    "  G[i].style.display = '';\n"
    "  rect[i].setAttribute('x', r2(x));\n"
    "  rect[i].setAttribute('width', r2(w));\n"
    "  G[i].classList.toggle('anc', anc);\n"
    "  label(i, x, w);\n"
    "}\n"
    "var zoomed = -1;\n"
    "function zoom(z) {\n"
    "  var inAnc = [], a;\n"
    "  for (a = par[z]; a >= 0; a = par[a]) inAnc[a] = true;\n"
    "  for (j = 0; j < n; j++) {\n"
    "    if (j >= z && j < end[z]) place(j, P + (st[j] - st[z]) * W / cnt[z], cnt[j] * W / cnt[z], false);\n"
    "    else if (inAnc[j]) place(j, P, W, true);\n"
    "    else G[j].style.display = 'none';\n"
    "  }\n"
    "  zoomed = z;\n"
    "  resetBtn.style.opacity = 1;\n"
    "}\n"
    "function unzoom() {\n"
    "  for (j = 0; j < n; j++) {\n"
    "    G[j].style.display = '';\n"
    "    G[j].classList.remove('anc');\n"
    "    rect[j].setAttribute('x', ox[j]);\n"
    "    rect[j].setAttribute('width', ow[j]);\n"
    "    if (txt[j]) {\n"
    "      txt[j].setAttribute('x', r2(+ox[j] + 3));\n"
    "      txt[j].textContent = otext[j] === null ? '' : otext[j];\n"
    "    }\n"
    "  }\n"
    "  zoomed = -1;\n"
    "  resetBtn.style.opacity = '';\n"
    "}\n"
    "function pct(v) { return (T ? 100 * v / T : 0).toFixed(2) + '%'; }\n"
    "var query = '';\n"
    /* A bar inside a matching bar is not counted again: in preorder a
     * subtree is the range [i, end[i]), so skip ranges already counted. */
    "function search(src) {\n"
    "  var re;\n"
    "  try { re = new RegExp(src); } catch (e) {\n"
    "    matched.textContent = 'invalid regular expression: ' + src; return;\n"
    "  }\n"
    "  var sum = 0, covered = 0, hits = 0;\n"
    "  for (j = 0; j < n; j++) {\n"
    "    var m = re.test(name[j]) || (file[j] !== '' && re.test(file[j]));\n"
    "    G[j].classList.toggle('hit', m);\n"
    "    if (m) hits++;\n"
    "    if (m && j >= covered) { sum += cnt[j]; covered = end[j]; }\n"
    "  }\n"
    "  query = src;\n"
    "  matched.textContent = 'matched: ' + pct(sum);\n"
    "  matched.setAttribute('data-samples', sum);\n"
    "  matched.setAttribute('data-frames', hits);\n"
    "  clearBtn.style.display = '';\n"
    "}\n"
    "function clearSearch() {\n"
    "  for (j = 0; j < n; j++) G[j].classList.remove('hit');\n"
    "  query = '';\n"
    "  matched.textContent = '';\n"
    "  clearBtn.style.display = 'none';\n"
    "}\n"
    "function ask() {\n"
    "  var s = window.prompt('Search frames (regular expression, matched against function and file):', query);\n"
    "  if (s === null) return;\n"
    "  if (s === '') clearSearch(); else search(s);\n"
    "}\n"
    "function frameOf(e) {\n"
    "  var g = e.target.closest ? e.target.closest('g') : null;\n"
    "  return g && g.parentNode === box ? g.csIndex : -1;\n"
    "}\n"
    "box.addEventListener('click', function (e) {\n"
    "  var i = frameOf(e);\n"
    "  if (i >= 0 && i !== zoomed) zoom(i);\n"
    "});\n"
    "box.addEventListener('mouseover', function (e) {\n"
    "  var i = frameOf(e);\n"
    "  if (i < 0) return;\n"
    "  var t = G[i].getElementsByTagName('title')[0];\n"
    "  details.textContent = t ? t.textContent.split('\\n').join('  |  ') : name[i];\n"
    "});\n"
    "box.addEventListener('mouseout', function () { details.textContent = hint; });\n"
    "resetBtn.addEventListener('click', unzoom);\n"
    "document.getElementById('search').addEventListener('click', ask);\n"
    "clearBtn.addEventListener('click', clearSearch);\n"
    "document.addEventListener('keydown', function (e) {\n"
    "  if ((e.ctrlKey || e.metaKey) && (e.key === 'f' || e.key === 'F')) { e.preventDefault(); ask(); }\n"
    "  else if (e.key === '/' && !e.ctrlKey && !e.metaKey && !e.altKey) { e.preventDefault(); ask(); }\n"
    "  else if (e.key === 'Escape') { if (query) clearSearch(); else unzoom(); }\n"
    "});\n"
    "window.csprof = { zoom: zoom, unzoom: unzoom, search: search, clearSearch: clearSearch };\n"
    "})();\n";

/* ------------------------------------------------------------- writing */

typedef struct {
    const profile *p, *base;
    const output_opts *o;
    names nm;
    tree t, bt;
    layout L;
    uint32_t *bmatch;       /* per tree node: the same call path in the base */
    uint64_t total, base_total;
    double sps, min_w;
    double diff_scale;
    uint32_t njs;           /* strings in the script's table */
    int bottom;             /* y of the bottom edge of the root row */
    sbuf *data;             /* embedded: the tree as JSON goes here, no script */
} render;

static uint32_t js_index(render *r, uint32_t str) {
    str_ent *e = &r->nm.strs.v[str];
    if (e->js == NONE) e->js = r->njs++;
    return e->js;
}

static double share_pp(uint64_t v, uint64_t total) {
    return total ? 100.0 * (double)v / (double)total : 0.0;
}

static unsigned shade_of(const str_ent *fn) { return (unsigned)(fn->hash >> 7) & 3; }

static void write_bar(render *r, sbuf *s, uint32_t u) {
    const tnode *nd = &r->t.v[u];
    const fkey *key = &r->nm.keys.v[nd->key];
    const str_ent *fn = str_clean(&r->nm.strs, key->fn);
    const str_ent *file = str_clean(&r->nm.strs, key->file);
    if (!fn || !file) {
        s->oom = 1;
        return;
    }
    double x0 = PAD_X + (double)nd->start * FRAME_W / (double)r->total;
    double x1 = PAD_X + (double)(nd->start + nd->count) * FRAME_W / (double)r->total;
    double w = (double)nd->count * FRAME_W / (double)r->total;
    int64_t hx = to_hund(x0), hw = to_hund(x1) - hx;
    int y = r->bottom - (int)nd->depth * ROW_H;  /* roots in the bottom row */

    char fill[8] = "";
    int dark = 0;
    if (r->base) {
        uint64_t bc = r->bmatch[u] == NONE ? 0 : r->bt.v[r->bmatch[u]].count;
        double was = share_pp(bc, r->base_total), now = share_pp(nd->count, r->total);
        dark = diff_colour(now - was, r->diff_scale, shade_of(fn), fill);
    }
    sb_puts(s, dark ? "<g class=\"dk\"><title>" : "<g><title>");
    sb_xml(s, fn->clean[0] ? fn->clean : "?");
    if (file->clean[0]) {
        sb_puts(s, "&#10;");
        sb_xml(s, file->clean);
        if (nd->hot_line > 0) sb_printf(s, ":%d", nd->hot_line);
        if (nd->nlines > 1 && nd->count)
            sb_printf(s, " (hottest line, %.0f%% of its samples)",
                      100.0 * (double)nd->hot_count / (double)nd->count);
    }
    sb_puts(s, "&#10;");
    sb_count(s, nd->count);
    sb_puts(s, nd->count == 1 ? " sample, " : " samples, ");
    sb_seconds(s, (double)nd->count * r->sps);
    sb_printf(s, ", %.2f%%", share_pp(nd->count, r->total));
    if (nd->idle) sb_printf(s, ", %.0f%% idle", 100.0 * (double)nd->idle / (double)nd->count);
    if (r->base) {
        uint64_t bc = r->bmatch[u] == NONE ? 0 : r->bt.v[r->bmatch[u]].count;
        double was = share_pp(bc, r->base_total), now = share_pp(nd->count, r->total);
        sb_printf(s, "&#10;base %.2f%% \xE2\x86\x92 %.2f%% (%+.2f pp)%s", was, now, now - was,
                  bc ? "" : ", not in base");
    }
    sb_puts(s, "</title><rect x=\"");
    sb_hund(s, hx);
    sb_printf(s, "\" y=\"%d\" width=\"", y);
    sb_hund(s, hw);
    if (r->base) {
        sb_printf(s, "\" height=\"%d\" fill=\"%s\"/>", RECT_H, fill);
    } else {
        code_kind k = key_kind(&r->nm, r->p, nd->key);
        if (k != CODE_SYNTHETIC && nd->idle * 2 > nd->count) k = CODE_IDLE;
        sb_printf(s, "\" height=\"%d\" class=\"%c%u\"/>", RECT_H, 'a' + (int)k, shade_of(fn));
    }
    /* Label rule shared with the script's fit(). */
    long maxc = (long)((w - 6) / CHAR_W);
    const char *name = fn->clean[0] ? fn->clean : "?";
    size_t ncp = fn->clean[0] ? fn->ncp : 1;
    if ((long)ncp <= maxc || maxc >= 3) {
        sb_puts(s, "<text x=\"");
        sb_hund(s, hx + 300);
        sb_printf(s, "\" y=\"%d\">", y + 11);
        if ((long)ncp <= maxc) {
            sb_xml(s, name);
        } else {
            sb_xml_n(s, name, (size_t)maxc - 2);
            sb_puts(s, "..");
        }
        sb_puts(s, "</text>");
    }
    sb_puts(s, "</g>\n");
}

static const char *title_of(const profile *p, const output_opts *o) {
    const prof_meta *m = prof_meta_get(p);
    if (o && o->title && *o->title) return o->title;
    if (m->script && *m->script) return m->script;
    if (m->name && *m->name) return m->name;
    return "csprof flamegraph";
}

/* "date · commit · wall · samples · rate · Python" for one profile. */
static void write_facts(sbuf *s, const profile *p) {
    const prof_meta *m = prof_meta_get(p);
    const char *sep = "";
#define NEXT() (sb_puts(s, sep), sep = " \xC2\xB7 ")
    if (m->start_time && *m->start_time) {
        NEXT();
        sb_xml_raw(s, m->start_time);
    }
    if (m->git_commit && *m->git_commit) {
        NEXT();
        sb_puts(s, "commit ");
        char shortc[13];
        snprintf(shortc, sizeof shortc, "%s", m->git_commit);
        sb_xml_raw(s, shortc);
    }
    if (m->wall_seconds > 0) {
        NEXT();
        sb_puts(s, "wall ");
        sb_seconds(s, m->wall_seconds);
    }
    NEXT();
    sb_count(s, prof_total_samples(p));
    sb_puts(s, prof_total_samples(p) == 1 ? " sample" : " samples");
    if (m->rate_hz > 0) {
        NEXT();
        sb_printf(s, "%g Hz", m->rate_hz);
        if (m->interval_seconds > 0) sb_printf(s, " (measured %.4g Hz)", 1.0 / m->interval_seconds);
    }
    if (m->python_version && *m->python_version) {
        NEXT();
        sb_puts(s, "Python ");
        sb_xml_raw(s, m->python_version);
    }
    if (m->idle_included) {
        NEXT();
        sb_puts(s, "idle included");
    }
#undef NEXT
}

static int legend_width(const char *label) { return 12 + 6 + (int)strlen(label) * 7 + 18; }

static void write_legend(render *r, sbuf *s, int y) {
    int x = PAD_X;
    if (r->base) {
        static const double steps[] = {-1, -0.5, 0, 0.5, 1};
        sb_printf(s, "<text x=\"%d\" y=\"%d\" class=\"sub\">change in share of all samples vs base:</text>\n",
                  x, y + 10);
        x += 270;
        for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
            char fill[8], label[64];
            diff_colour(steps[i] * r->diff_scale, r->diff_scale, 0, fill);
            if (steps[i] == 0) snprintf(label, sizeof label, "no change");
            else snprintf(label, sizeof label, "%+.2g pp%s", steps[i] * r->diff_scale,
                          steps[i] == 1 ? " or more" : steps[i] == -1 ? " or less" : "");
            sb_printf(s, "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" fill=\"%s\" stroke=\"#999\" stroke-width=\".5\"/>"
                      "<text x=\"%d\" y=\"%d\">%s</text>\n",
                      x, y, fill, x + 16, y + 10, label);
            x += legend_width(label) - 10;
        }
        sb_printf(s, "<text x=\"%d\" y=\"%d\" class=\"note\">red grew, blue shrank; bars only in the base are not shown</text>\n",
                  PAD_X, y + 28);
        return;
    }
    /* Share of samples by the kind of the leaf frame (idle samples apart):
     * where the time actually went. */
    uint64_t by_kind[CODE_KIND_COUNT] = {0};
    size_t ns = prof_nstacks(r->p), nf = prof_nframes(r->p);
    for (size_t i = 0; i < ns; i++) {
        const prof_stack *st = prof_stack_at(r->p, i);
        code_kind k = CODE_SYNTHETIC;
        if (st->idle) k = CODE_IDLE;
        else if (st->depth && st->frames[st->depth - 1] < nf)
            k = classify_frame(r->p, prof_frame_at(r->p, st->frames[st->depth - 1]));
        by_kind[k] += st->count;
    }
    static const code_kind order[] = {CODE_YOURS, CODE_STDLIB, CODE_THIRD_PARTY, CODE_NATIVE,
                                      CODE_IDLE, CODE_SYNTHETIC};
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        code_kind k = order[i];
        if (k == CODE_SYNTHETIC && !by_kind[k]) {
            int any = 0;
            for (size_t v = 0; v < r->L.nvis && !any; v++)
                any = r->nm.keys.v[r->t.v[r->L.vis[v]].key].type >= FRAME_PROCESS;
            if (!any) continue;
        }
        char label[64];
        const char *nm = k == CODE_SYNTHETIC ? "process/thread" : k == CODE_IDLE ? "idle (off CPU)"
                                                                                 : code_kind_name(k);
        if (k == CODE_SYNTHETIC)
            snprintf(label, sizeof label, "%s", nm);
        else
            snprintf(label, sizeof label, "%s %.1f%%", nm, share_pp(by_kind[k], r->total));
        sb_printf(s, "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" class=\"%c0\"/>"
                  "<text x=\"%d\" y=\"%d\">%s</text>\n",
                  x, y, 'a' + (int)k, x + 16, y + 10, label);
        x += legend_width(label);
    }
    sb_printf(s, "<text x=\"%d\" y=\"%d\" class=\"note\">legend: share of samples by the kind of code they were in (leaf frame)</text>\n",
              PAD_X, y + 28);
}

/* The bars in preorder (level, first sample, samples, name, file: F) and
 * the string table (S), as array elements both JavaScript and JSON read;
 * between closes F and opens S. */
static int write_tree_arrays(render *r, sbuf *s, const char *between) {
    for (size_t v = 0; v < r->L.nvis; v++) {
        const tnode *nd = &r->t.v[r->L.vis[v]];
        const fkey *key = &r->nm.keys.v[nd->key];
        sb_printf(s, "%s%u,%llu,%llu,%u,%u", v ? "," : "", nd->depth - 1,
                  (unsigned long long)nd->start, (unsigned long long)nd->count,
                  js_index(r, key->fn), js_index(r, key->file));
        if (v % 16 == 15) sb_puts(s, "\n");
    }
    sb_puts(s, between);
    /* Strings in js order. */
    const char **order = calloc(r->njs ? r->njs : 1, sizeof *order);
    if (!order) {
        s->oom = 1;
        return -1;
    }
    for (size_t i = 0; i < r->nm.strs.n; i++) {
        const str_ent *e = &r->nm.strs.v[i];
        if (e->js != NONE) order[e->js] = e->clean;
    }
    for (uint32_t i = 0; i < r->njs; i++) {
        if (i) sb_puts(s, i % 8 ? "," : ",\n");
        sb_js_string(s, order[i] ? order[i] : "");
    }
    free(order);
    return s->oom ? -1 : 0;
}

static int render_svg(render *r, sbuf *s) {
    const prof_meta *m = prof_meta_get(r->p);
    int diff = r->base != NULL;
    int top = diff ? 118 : 100;  /* first row's top edge */
    int rows = r->L.nvis ? (int)r->L.max_level + 1 : 0;
    r->bottom = top + rows * ROW_H;
    int foot = top + rows * ROW_H + 20;
    int height = foot + 42;

    if (!r->data) sb_puts(s, "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n");
    sb_printf(s, "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%d\" height=\"%d\" "
                 "viewBox=\"0 0 %d %d\">\n",
              IMG_W, height, IMG_W, height);
    sb_puts(s, "<title>");
    if (diff) sb_puts(s, "differential flamegraph: ");
    sb_xml_raw(s, title_of(r->p, r->o));
    sb_puts(s, "</title>\n<style>\n");
    sb_puts(s, css_common);
    sb_puts(s, css_palette);
    sb_puts(s, "</style>\n");
    sb_printf(s, "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"#fff\"/>\n", IMG_W, height);
    sb_printf(s, "<text id=\"title\" x=\"%d\" y=\"24\" text-anchor=\"middle\">", IMG_W / 2);
    if (diff) sb_puts(s, "Differential: ");
    sb_xml_raw(s, title_of(r->p, r->o));
    sb_puts(s, "</text>\n");
    sb_printf(s, "<text class=\"sub\" x=\"%d\" y=\"42\" text-anchor=\"middle\">", IMG_W / 2);
    write_facts(s, r->p);
    sb_puts(s, "</text>\n");
    int legend_y = 52;
    if (diff) {
        const prof_meta *bm = prof_meta_get(r->base);
        sb_printf(s, "<text class=\"sub\" x=\"%d\" y=\"58\" text-anchor=\"middle\">base: ", IMG_W / 2);
        const char *bname = bm->script && *bm->script ? bm->script : bm->name;
        if (bname && *bname) {
            sb_xml_raw(s, bname);
            sb_puts(s, " \xC2\xB7 ");
        }
        write_facts(s, r->base);
        sb_puts(s, "</text>\n");
        legend_y = 70;
    }
    sb_printf(s, "<text id=\"reset\" class=\"btn\" x=\"%d\" y=\"24\">Reset zoom</text>\n", PAD_X);
    sb_printf(s, "<text id=\"search\" class=\"btn\" x=\"%d\" y=\"24\" text-anchor=\"end\">Search (Ctrl-F or /)</text>\n",
              IMG_W - PAD_X);
    sb_printf(s, "<text id=\"clear\" class=\"btn\" x=\"%d\" y=\"42\" text-anchor=\"end\" style=\"display:none\">Clear search</text>\n",
              IMG_W - PAD_X);
    write_legend(r, s, legend_y);

    sb_puts(s, "<g id=\"frames\">\n");
    for (size_t v = 0; v < r->L.nvis && !s->oom; v++) write_bar(r, s, r->L.vis[v]);
    sb_puts(s, "</g>\n");

    if (!r->total) {
        sb_printf(s, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" class=\"sub\">No samples were recorded.</text>\n",
                  IMG_W / 2, top + 10);
    }
    sb_printf(s, "<text id=\"details\" x=\"%d\" y=\"%d\">Hover a frame for details; click to zoom.</text>\n",
              PAD_X, foot);
    sb_printf(s, "<text id=\"matched\" x=\"%d\" y=\"%d\" text-anchor=\"end\"></text>\n", IMG_W - PAD_X,
              foot);
    sb_printf(s, "<text class=\"note\" x=\"%d\" y=\"%d\">", PAD_X, foot + 18);
    if (r->L.dropped_frames) {
        sb_count(s, r->L.dropped_frames);
        sb_puts(s, r->L.dropped_frames == 1 ? " frame" : " frames");
        sb_printf(s, " narrower than %g px omitted, %.2f%% of samples. ", r->min_w,
                  share_pp(r->L.dropped_samples, r->total));
    }
    if (m->note && *m->note) {
        sb_puts(s, "Note: ");
        sb_xml_raw(s, m->note);
        sb_puts(s, ". ");
    }
    sb_puts(s, diff ? "Width = share of samples; colour = change of that share vs the base"
                    : "Width = share of samples; colour = kind of code");
    sb_puts(s, ". Made by csprof");
    if (m->csprof_version && *m->csprof_version) {
        sb_puts(s, " ");
        sb_xml_raw(s, m->csprof_version);
    }
    sb_puts(s, ".</text>\n");

    if (r->data) {
        /* Embedded in a page: the page's own script reads the tree. */
        sb_puts(s, "</svg>\n");
        sb_printf(r->data, "{\"W\":%d,\"P\":%d,\"C\":%s,\"T\":%llu,\"F\":[", FRAME_W, PAD_X,
                  XSTR(CHAR_W), (unsigned long long)r->total);
        if (write_tree_arrays(r, r->data, "],\"S\":[")) s->oom = 1;
        sb_puts(r->data, "]}");
        return s->oom || r->data->oom ? -1 : 0;
    }
    /* The script's view of the tree. */
    sb_printf(s, "<script type=\"text/ecmascript\"><![CDATA[\nvar W = %d, P = %d, T = %llu;\nvar F = [",
              FRAME_W, PAD_X, (unsigned long long)r->total);
    if (write_tree_arrays(r, s, "];\nvar S = [")) return -1;
    sb_puts(s, "];\n");
    sb_puts(s, js_code);
    sb_puts(s, "]]></script>\n</svg>\n");
    return s->oom ? -1 : 0;
}

static void diff_prepare(render *r) {
    r->bmatch[0] = 0;
    double maxabs = 0;
    for (size_t v = 0; v < r->L.nvis; v++) {
        uint32_t u = r->L.vis[v];
        const tnode *nd = &r->t.v[u];
        uint32_t bp = r->bmatch[nd->parent];
        uint32_t b = NONE;
        if (bp != NONE) b = tree_child(&r->bt, bp, r->nm.keys.v[nd->key].match, 0);
        r->bmatch[u] = b;
        double d = share_pp(nd->count, r->total) -
                   share_pp(b == NONE ? 0 : r->bt.v[b].count, r->base_total);
        if (d < 0) d = -d;
        if (d > maxabs) maxabs = d;
    }
    /* Colour saturates at the largest change shown, but never below one
     * percentage point, so noise in an unchanged profile stays pale. */
    r->diff_scale = maxabs > 1.0 ? maxabs : 1.0;
}

/* Renders into s (and, embedded, the tree into data); 0 or -1 after one
 * line on stderr. */
static int render_to(const profile *p, const output_opts *o, sbuf *s, sbuf *data) {
    render r = {.p = p, .o = o, .base = o ? o->base : NULL, .data = data};
    int rc = -1;
    const char *what = "out of memory";
    double min_w = 0.1;
    if (o && o->min_width_px >= 0 && o->min_width_px < 1e9) min_w = o->min_width_px;
    r.total = prof_total_samples(p);
    r.min_w = min_w;
    r.sps = prof_seconds_per_sample(p);

    uint32_t *map = map_frames(&r.nm, p, 0), *bmap = NULL;
    if (!map) goto done;
    if (r.base) {
        r.base_total = prof_total_samples(r.base);
        if (!(bmap = map_frames(&r.nm, r.base, 1))) goto done;
    }
    if (rank_keys(&r.nm)) goto done;
    int b = tree_build(&r.t, p, map, 1);
    if (b == 0 && r.base) b = tree_build(&r.bt, r.base, bmap, 0);
    if (b == -2) what = "a stack refers to a frame the profile does not have";
    if (b) goto done;
    if (tree_sort_children(&r.t, &r.nm)) goto done;
    if (lay_out(&r.t, r.total, min_w, &r.L)) goto done;
    if (r.base) {
        if (!(r.bmatch = malloc(r.t.n * sizeof *r.bmatch))) goto done;
        diff_prepare(&r);
    }
    if (render_svg(&r, s)) goto done;
    rc = 0;
done:
    if (rc)
        fprintf(stderr, "csprof: cannot render the flamegraph SVG: %s\n", what);
    free(map);
    free(bmap);
    free(r.bmatch);
    free(r.L.vis);
    tree_free(&r.t);
    tree_free(&r.bt);
    names_free(&r.nm);
    return rc;
}

int write_svg(const profile *p, FILE *out, const output_opts *o) {
    sbuf s = {0};
    int rc = render_to(p, o, &s, NULL);
    if (rc == 0 && (fwrite(s.b, 1, s.n, out) != s.n || fflush(out) != 0 || ferror(out))) {
        fprintf(stderr, "csprof: cannot write the flamegraph SVG: %s (check disk space and permissions)\n",
                strerror(errno));
        rc = -1;
    }
    free(s.b);
    return rc;
}

int svg_render_embedded(const profile *p, const output_opts *o, svg_embedded *out) {
    sbuf s = {0}, d = {0};
    *out = (svg_embedded){0};
    if (render_to(p, o, &s, &d)) {
        free(s.b);
        free(d.b);
        return -1;
    }
    *out = (svg_embedded){.svg = s.b, .svg_len = s.n, .data = d.b, .data_len = d.n};
    return 0;
}

void svg_embedded_free(svg_embedded *e) {
    free(e->svg);
    free(e->data);
    *e = (svg_embedded){0};
}
