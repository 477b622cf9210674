/* gzip.c -- DEFLATE compressor and gzip framing. See gzip.h.
 *
 * Shape: parse the input into literals and (length, distance) matches with a
 * hash-chain LZ77, buffer up to BLOCK_SYMS symbols, then code that block with
 * the cheapest of the three block types. Huffman code lengths come from a
 * plain Huffman construction, pushed under the 15-bit (7-bit for the
 * code-length alphabet) limit and then made complete, because zlib refuses
 * incomplete codes. */
#include "gzip.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

enum {
    WSIZE = 32768,          /* DEFLATE's window */
    HASH_BITS = 15,
    MIN_MATCH = 3,
    MAX_MATCH = 258,
    MAX_CHAIN = 128,        /* candidates tried per position: speed vs ratio */
    LAZY_LIMIT = 32,        /* matches this long are taken without a lazy look */
    BLOCK_SYMS = 16384,     /* symbols per block: lets codes adapt to the data */
    NLIT = 286, NDIST = 30, NCL = 19,
    MAX_BITS = 15, MAX_CL_BITS = 7,
    STORED_MAX = 65535,
};

static const uint16_t len_base[29] = {3,  4,  5,  6,  7,  8,  9,  10, 11,  13,
                                      15, 17, 19, 23, 27, 31, 35, 43, 51,  59,
                                      67, 83, 99, 115, 131, 163, 195, 227, 258};
static const uint8_t len_extra[29] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2,
                                      2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
static const uint16_t dist_base[30] = {1,    2,    3,    4,    5,    7,     9,     13,
                                       17,   25,   33,   49,   65,   97,    129,   193,
                                       257,  385,  513,  769,  1025, 1537,  2049,  3073,
                                       4097, 6145, 8193, 12289, 16385, 24577};
static const uint8_t dist_extra[30] = {0, 0, 0, 0, 1, 1, 2, 2,  3,  3,  4,  4,  5,  5,  6,
                                       6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13};
/* The order code-length code lengths are sent in (RFC 1951 3.2.7). */
static const uint8_t cl_order[NCL] = {16, 17, 18, 0, 8, 7, 9, 6, 10, 5,
                                      11, 4,  12, 3, 13, 2, 14, 1, 15};

uint32_t gz_crc32(uint32_t crc, const void *data, size_t len) {
    /* Built per call: callers checksum whole buffers, and a per-call table
     * needs no global state or locking. */
    uint32_t table[256];
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t c = n;
        for (int k = 0; k < 8; k++) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        table[n] = c;
    }
    const unsigned char *b = data;
    crc = ~crc;
    for (size_t i = 0; i < len; i++) crc = table[(crc ^ b[i]) & 0xff] ^ (crc >> 8);
    return ~crc;
}

/* ---- bit output ---- */

typedef struct {
    unsigned char *buf;
    size_t len, cap;
    uint64_t bits;   /* pending bits, LSB first */
    int nbits;
    bool oom;
} bitout;

static void out_byte(bitout *o, unsigned char c) {
    if (o->oom) return;
    if (o->len == o->cap) {
        size_t ncap = o->cap ? o->cap * 2 : 4096;
        unsigned char *n = realloc(o->buf, ncap);
        if (!n) {
            o->oom = true;
            return;
        }
        o->buf = n;
        o->cap = ncap;
    }
    o->buf[o->len++] = c;
}

static void put_bits(bitout *o, uint32_t value, int n) {
    o->bits |= (uint64_t)value << o->nbits;
    o->nbits += n;
    while (o->nbits >= 8) {
        out_byte(o, (unsigned char)o->bits);
        o->bits >>= 8;
        o->nbits -= 8;
    }
}

static void align_byte(bitout *o) {
    if (o->nbits > 0) put_bits(o, 0, 8 - o->nbits);
}

/* ---- Huffman code lengths ---- */

typedef struct {
    uint32_t freq;
    uint16_t sym;
} leaf;

static int leaf_cmp(const void *a, const void *b) {
    const leaf *x = a, *y = b;
    if (x->freq != y->freq) return x->freq < y->freq ? -1 : 1;
    return (int)x->sym - (int)y->sym;
}

/* Code lengths for n symbols, none longer than limit, forming a complete
 * prefix code. Symbols with zero frequency get length 0; if fewer than two
 * symbols are used, the first unused ones are given a length too, because a
 * one-symbol code is incomplete and inflaters reject it. */
static void build_lengths(const uint32_t *freq_in, int n, int limit, uint8_t *len) {
    leaf leaves[NLIT];
    uint32_t weight[2 * NLIT];
    int parent[2 * NLIT];
    int m = 0;
    for (int i = 0; i < n; i++)
        if (freq_in[i]) leaves[m++] = (leaf){freq_in[i], (uint16_t)i};
    for (int i = 0; m < 2 && i < n; i++)
        if (!freq_in[i]) leaves[m++] = (leaf){1, (uint16_t)i};
    qsort(leaves, (size_t)m, sizeof *leaves, leaf_cmp);
    for (int i = 0; i < n; i++) len[i] = 0;

    /* Two-queue Huffman: leaves in frequency order, internal nodes are
     * created in non-decreasing weight order, so both queues stay sorted. */
    for (int i = 0; i < m; i++) weight[i] = leaves[i].freq;
    int next_leaf = 0, next_node = m, nnodes = m;
    for (int k = 0; k < m - 1; k++) {
        int pick[2];
        for (int j = 0; j < 2; j++) {
            if (next_leaf < m && (next_node >= nnodes || weight[next_leaf] <= weight[next_node]))
                pick[j] = next_leaf++;
            else
                pick[j] = next_node++;
        }
        weight[nnodes] = weight[pick[0]] + weight[pick[1]];
        parent[pick[0]] = parent[pick[1]] = nnodes;
        nnodes++;
    }
    int depth[2 * NLIT];
    depth[nnodes - 1] = 0;
    for (int i = nnodes - 2; i >= 0; i--) depth[i] = depth[parent[i]] + 1;

    /* Clamp to the limit, then repair the Kraft sum (in units of 2^-limit):
     * lengthen the rarest codes until it fits, then shorten the commonest
     * codes while there is room, so the code ends up exactly complete. */
    const uint32_t full = 1u << limit;
    uint32_t kraft = 0;
    int lens[NLIT];
    for (int i = 0; i < m; i++) {
        lens[i] = depth[i] > limit ? limit : depth[i];
        kraft += 1u << (limit - lens[i]);
    }
    while (kraft > full) {
        /* leaves are sorted rarest first; take the rarest among the longest
         * codes that can still grow */
        int best = -1;
        for (int i = 0; i < m; i++)
            if (lens[i] < limit && (best < 0 || lens[i] > lens[best])) best = i;
        lens[best]++;
        kraft -= 1u << (limit - lens[best]);
    }
    while (kraft < full) {
        bool changed = false;
        for (int i = m - 1; i >= 0 && kraft < full; i--) {
            if (lens[i] > 1 && kraft + (1u << (limit - lens[i])) <= full) {
                kraft += 1u << (limit - lens[i]);
                lens[i]--;
                changed = true;
            }
        }
        if (!changed) break;  /* cannot happen for m >= 2; keeps the loop finite */
    }
    for (int i = 0; i < m; i++) len[leaves[i].sym] = (uint8_t)lens[i];
}

/* Canonical codes from lengths, bit-reversed because DEFLATE sends Huffman
 * codes most significant bit first into an LSB-first stream. */
static void build_codes(const uint8_t *len, int n, uint16_t *code) {
    int count[MAX_BITS + 1] = {0};
    uint32_t next[MAX_BITS + 2];
    for (int i = 0; i < n; i++) count[len[i]]++;
    count[0] = 0;
    uint32_t c = 0;
    for (int b = 1; b <= MAX_BITS; b++) {
        c = (c + (uint32_t)count[b - 1]) << 1;
        next[b] = c;
    }
    for (int i = 0; i < n; i++) {
        if (!len[i]) {
            code[i] = 0;
            continue;
        }
        uint32_t v = next[len[i]]++, r = 0;
        for (int b = 0; b < len[i]; b++) r |= ((v >> b) & 1u) << (len[i] - 1 - b);
        code[i] = (uint16_t)r;
    }
}

/* ---- blocks ---- */

typedef struct {
    uint16_t litlen;  /* literal byte, or match length 3..258 when dist > 0 */
    uint16_t dist;    /* 0 for a literal */
} symbol;

typedef struct {
    bitout o;
    const unsigned char *in;
    symbol *syms;
    size_t nsyms;
    size_t block_start;  /* input offset where the pending block begins */
    uint8_t len_code[MAX_MATCH + 1];  /* match length -> index into len_base */
    uint8_t dist_code_lo[512];        /* distance-1 < 256 -> code; else via >>7 */
} deflater;

static int dist_code(const deflater *d, unsigned dist) {
    unsigned v = dist - 1;
    return v < 256 ? d->dist_code_lo[v] : d->dist_code_lo[256 + (v >> 7)];
}

static void init_tables(deflater *d) {
    for (int c = 0; c < 29; c++) {
        int hi = c == 28 ? MAX_MATCH : len_base[c] + (1 << len_extra[c]) - 1;
        if (c == 27) hi = 257;  /* 258 has its own code (285) */
        for (int l = len_base[c]; l <= hi && l <= MAX_MATCH; l++) d->len_code[l] = (uint8_t)c;
    }
    for (int c = 0; c < NDIST; c++) {
        unsigned lo = dist_base[c] - 1, hi = lo + (1u << dist_extra[c]) - 1;
        for (unsigned v = lo; v <= hi; v++) {
            if (v < 256) d->dist_code_lo[v] = (uint8_t)c;
            else d->dist_code_lo[256 + (v >> 7)] = (uint8_t)c;
        }
    }
}

/* Literal arrays have room for 288 symbols: the fixed code defines 286 and
 * 287, and canonical code assignment must count them. */
typedef struct {
    uint8_t lit_len[288], dist_len[NDIST];
    uint16_t lit_code[288], dist_code[NDIST];
} code_set;

static void fixed_codes(code_set *cs) {
    for (int i = 0; i < 288; i++)
        cs->lit_len[i] = i < 144 ? 8 : i < 256 ? 9 : i < 280 ? 7 : 8;
    for (int i = 0; i < NDIST; i++) cs->dist_len[i] = 5;
    build_codes(cs->lit_len, 288, cs->lit_code);
    build_codes(cs->dist_len, NDIST, cs->dist_code);
}

/* Bits the block's symbols cost under the given lengths (header excluded). */
static uint64_t data_bits(const uint32_t *lf, const uint32_t *df, const code_set *cs) {
    uint64_t bits = 0;
    for (int i = 0; i < NLIT; i++) {
        bits += (uint64_t)lf[i] * cs->lit_len[i];
        if (i >= 257) bits += (uint64_t)lf[i] * len_extra[i - 257];
    }
    for (int i = 0; i < NDIST; i++) bits += (uint64_t)df[i] * (cs->dist_len[i] + dist_extra[i]);
    return bits;
}

/* Run-length coding of the concatenated literal and distance code lengths
 * with symbols 16 (repeat previous 3-6), 17 (zeros 3-10), 18 (zeros 11-138). */
typedef struct {
    uint8_t sym[NLIT + NDIST], extra[NLIT + NDIST];
    int n;
    int hlit, hdist, hclen;
    uint8_t cl_len[NCL];
    uint16_t cl_code[NCL];
} header_plan;

static void plan_header(const code_set *cs, header_plan *h) {
    uint8_t all[NLIT + NDIST];
    h->hlit = NLIT;
    while (h->hlit > 257 && !cs->lit_len[h->hlit - 1]) h->hlit--;
    h->hdist = NDIST;
    while (h->hdist > 1 && !cs->dist_len[h->hdist - 1]) h->hdist--;
    memcpy(all, cs->lit_len, (size_t)h->hlit);
    memcpy(all + h->hlit, cs->dist_len, (size_t)h->hdist);
    int total = h->hlit + h->hdist;
    h->n = 0;
    for (int i = 0; i < total;) {
        int run = 1;
        while (i + run < total && all[i + run] == all[i]) run++;
        if (all[i] == 0 && run >= 3) {
            int r = run > 138 ? 138 : run;
            if (r >= 11) {
                h->sym[h->n] = 18;
                h->extra[h->n++] = (uint8_t)(r - 11);
            } else {
                h->sym[h->n] = 17;
                h->extra[h->n++] = (uint8_t)(r - 3);
            }
            i += r;
        } else if (all[i] != 0 && run >= 4) {
            /* the first is sent as itself, then repeats of it */
            h->sym[h->n] = all[i];
            h->extra[h->n++] = 0;
            int left = run - 1;
            i++;
            while (left >= 3) {
                int r = left > 6 ? 6 : left;
                h->sym[h->n] = 16;
                h->extra[h->n++] = (uint8_t)(r - 3);
                left -= r;
                i += r;
            }
        } else {
            h->sym[h->n] = all[i];
            h->extra[h->n++] = 0;
            i++;
        }
    }
    uint32_t cl_freq[NCL] = {0};
    for (int k = 0; k < h->n; k++) cl_freq[h->sym[k]]++;
    build_lengths(cl_freq, NCL, MAX_CL_BITS, h->cl_len);
    build_codes(h->cl_len, NCL, h->cl_code);
    h->hclen = NCL;
    while (h->hclen > 4 && !h->cl_len[cl_order[h->hclen - 1]]) h->hclen--;
}

static uint64_t header_bits(const header_plan *h) {
    uint64_t bits = 5 + 5 + 4 + 3 * (uint64_t)h->hclen;
    for (int k = 0; k < h->n; k++) {
        int s = h->sym[k];
        bits += h->cl_len[s] + (s == 16 ? 2 : s == 17 ? 3 : s == 18 ? 7 : 0);
    }
    return bits;
}

static void write_header(bitout *o, const header_plan *h) {
    put_bits(o, (uint32_t)(h->hlit - 257), 5);
    put_bits(o, (uint32_t)(h->hdist - 1), 5);
    put_bits(o, (uint32_t)(h->hclen - 4), 4);
    for (int k = 0; k < h->hclen; k++) put_bits(o, h->cl_len[cl_order[k]], 3);
    for (int k = 0; k < h->n; k++) {
        int s = h->sym[k];
        put_bits(o, h->cl_code[s], h->cl_len[s]);
        if (s == 16) put_bits(o, h->extra[k], 2);
        else if (s == 17) put_bits(o, h->extra[k], 3);
        else if (s == 18) put_bits(o, h->extra[k], 7);
    }
}

static void write_symbols(deflater *d, const code_set *cs) {
    bitout *o = &d->o;
    for (size_t i = 0; i < d->nsyms; i++) {
        symbol s = d->syms[i];
        if (!s.dist) {
            put_bits(o, cs->lit_code[s.litlen], cs->lit_len[s.litlen]);
            continue;
        }
        int lc = d->len_code[s.litlen];
        put_bits(o, cs->lit_code[257 + lc], cs->lit_len[257 + lc]);
        if (len_extra[lc]) put_bits(o, s.litlen - len_base[lc], len_extra[lc]);
        int dc = dist_code(d, s.dist);
        put_bits(o, cs->dist_code[dc], cs->dist_len[dc]);
        if (dist_extra[dc]) put_bits(o, s.dist - dist_base[dc], dist_extra[dc]);
    }
    put_bits(o, cs->lit_code[256], cs->lit_len[256]);
}

static void write_stored(deflater *d, size_t start, size_t end, bool last) {
    bitout *o = &d->o;
    do {
        size_t n = end - start > STORED_MAX ? STORED_MAX : end - start;
        bool final = last && start + n == end;
        put_bits(o, final ? 1 : 0, 1);
        put_bits(o, 0, 2);
        align_byte(o);
        out_byte(o, (unsigned char)(n & 0xff));
        out_byte(o, (unsigned char)(n >> 8));
        out_byte(o, (unsigned char)(~n & 0xff));
        out_byte(o, (unsigned char)((~n >> 8) & 0xff));
        for (size_t i = 0; i < n; i++) out_byte(o, d->in[start + i]);
        start += n;
    } while (start < end);
}

/* Code the pending symbols (covering input [block_start, end)) as one block. */
static void flush_block(deflater *d, size_t end, bool last) {
    uint32_t lf[NLIT] = {0}, df[NDIST] = {0};
    for (size_t i = 0; i < d->nsyms; i++) {
        symbol s = d->syms[i];
        if (!s.dist) {
            lf[s.litlen]++;
        } else {
            lf[257 + d->len_code[s.litlen]]++;
            df[dist_code(d, s.dist)]++;
        }
    }
    lf[256] = 1;

    code_set dyn, fix;
    build_lengths(lf, NLIT, MAX_BITS, dyn.lit_len);
    build_lengths(df, NDIST, MAX_BITS, dyn.dist_len);
    build_codes(dyn.lit_len, NLIT, dyn.lit_code);
    build_codes(dyn.dist_len, NDIST, dyn.dist_code);
    header_plan h;
    plan_header(&dyn, &h);
    fixed_codes(&fix);

    uint64_t dyn_bits = 3 + header_bits(&h) + data_bits(lf, df, &dyn);
    uint64_t fix_bits = 3 + data_bits(lf, df, &fix);
    size_t raw = end - d->block_start;
    size_t chunks = raw ? (raw + STORED_MAX - 1) / STORED_MAX : 1;
    /* each stored chunk: 3 header bits, up to 7 padding bits, LEN and NLEN */
    uint64_t stored_bits = (uint64_t)chunks * (3 + 7 + 32) + 8 * (uint64_t)raw;

    if (stored_bits < dyn_bits && stored_bits < fix_bits) {
        write_stored(d, d->block_start, end, last);
    } else if (fix_bits <= dyn_bits) {
        put_bits(&d->o, last ? 1 : 0, 1);
        put_bits(&d->o, 1, 2);
        write_symbols(d, &fix);
    } else {
        put_bits(&d->o, last ? 1 : 0, 1);
        put_bits(&d->o, 2, 2);
        write_header(&d->o, &h);
        write_symbols(d, &dyn);
    }
    d->nsyms = 0;
    d->block_start = end;
}

/* ---- LZ77 ---- */

typedef struct {
    int64_t head[1 << HASH_BITS];
    int64_t prev[WSIZE];
    size_t next_insert;  /* first position not yet in the chains */
} matcher;

static uint32_t hash3(const unsigned char *p) {
    uint32_t v = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16;
    return (v * 2654435761u) >> (32 - HASH_BITS);
}

/* Add every position up to and including upto to the hash chains. */
static void insert_upto(matcher *m, const unsigned char *in, size_t n, size_t upto) {
    for (; m->next_insert <= upto; m->next_insert++) {
        size_t i = m->next_insert;
        if (i + MIN_MATCH > n) continue;
        uint32_t h = hash3(in + i);
        m->prev[i & (WSIZE - 1)] = m->head[h];
        m->head[h] = (int64_t)i;
    }
}

/* Longest match for position i against earlier positions (all of which must
 * already be inserted, i itself not). Returns its length (0 if < MIN_MATCH). */
static int longest_match(const matcher *m, const unsigned char *in, size_t n, size_t i,
                         unsigned *dist) {
    if (i + MIN_MATCH > n) return 0;
    size_t max = n - i > MAX_MATCH ? MAX_MATCH : n - i;
    int best = 0;
    int64_t cand = m->head[hash3(in + i)];
    for (int chain = 0; cand >= 0 && chain < MAX_CHAIN; chain++) {
        size_t c = (size_t)cand;
        if (i - c > WSIZE) break;
        if (in[c + (size_t)best] == in[i + (size_t)best] && in[c] == in[i]) {
            size_t l = 0;
            while (l < max && in[c + l] == in[i + l]) l++;
            if ((int)l > best) {
                best = (int)l;
                *dist = (unsigned)(i - c);
                if (l == max) break;
            }
        }
        int64_t nxt = m->prev[c & (WSIZE - 1)];
        if (nxt >= cand) break;  /* a slot reused by a newer position: chain ends */
        cand = nxt;
    }
    return best >= MIN_MATCH ? best : 0;
}

static void emit(deflater *d, size_t pos_after, uint16_t litlen, uint16_t dist, size_t n) {
    d->syms[d->nsyms++] = (symbol){litlen, dist};
    if (d->nsyms == BLOCK_SYMS) flush_block(d, pos_after, pos_after == n);
}

int gz_deflate(const void *in_v, size_t n, unsigned char **out, size_t *outlen) {
    *out = NULL;
    *outlen = 0;
    deflater *d = calloc(1, sizeof *d);
    matcher *m = malloc(sizeof *m);
    if (!d || !m || !(d->syms = malloc(BLOCK_SYMS * sizeof *d->syms))) {
        if (d) free(d->syms);
        free(d);
        free(m);
        return -1;
    }
    const unsigned char *in = in_v;
    d->in = in;
    init_tables(d);
    for (size_t i = 0; i < (1u << HASH_BITS); i++) m->head[i] = -1;
    for (size_t i = 0; i < WSIZE; i++) m->prev[i] = -1;
    m->next_insert = 0;

    size_t i = 0;
    while (i < n) {
        unsigned dist = 0, dist2 = 0;
        int len = longest_match(m, in, n, i, &dist);
        insert_upto(m, in, n, i);
        if (len && len < LAZY_LIMIT && i + 1 < n) {
            /* One-step lazy evaluation: a longer match starting one byte
             * later is worth a literal. */
            int len2 = longest_match(m, in, n, i + 1, &dist2);
            if (len2 > len) {
                emit(d, i + 1, in[i], 0, n);
                i++;
                insert_upto(m, in, n, i);
                len = len2;
                dist = dist2;
            }
        }
        if (len) {
            insert_upto(m, in, n, i + (size_t)len - 1);
            i += (size_t)len;
            emit(d, i, (uint16_t)len, (uint16_t)dist, n);
        } else {
            i++;
            emit(d, i, in[i - 1], 0, n);
        }
    }
    /* The last block: pending symbols, or an empty final block when the
     * input ended exactly on a block boundary (or was empty). */
    if (d->nsyms || d->block_start < n || n == 0) flush_block(d, n, true);
    align_byte(&d->o);
    free(m);
    free(d->syms);
    if (d->o.oom) {
        free(d->o.buf);
        free(d);
        return -1;
    }
    *out = d->o.buf;
    *outlen = d->o.len;
    free(d);
    return 0;
}

int gz_compress(const void *in, size_t len, unsigned char **out, size_t *outlen) {
    unsigned char *raw;
    size_t rawlen;
    *out = NULL;
    *outlen = 0;
    if (gz_deflate(in, len, &raw, &rawlen)) return -1;
    unsigned char *g = malloc(rawlen + 18);
    if (!g) {
        free(raw);
        return -1;
    }
    /* magic, CM=deflate, no flags, mtime 0 (reproducible), XFL 0, OS 3 (Unix) */
    static const unsigned char hdr[10] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3};
    memcpy(g, hdr, sizeof hdr);
    memcpy(g + 10, raw, rawlen);
    free(raw);
    uint32_t crc = gz_crc32(0, in, len), isize = (uint32_t)len;
    unsigned char *t = g + 10 + rawlen;
    for (int k = 0; k < 4; k++) t[k] = (unsigned char)(crc >> (8 * k));
    for (int k = 0; k < 4; k++) t[4 + k] = (unsigned char)(isize >> (8 * k));
    *out = g;
    *outlen = rawlen + 18;
    return 0;
}
