/* hashidx.h -- one open-addressing hash index for every interning table.
 *
 * csprof interns frames, stacks, strings and function keys into arrays; the
 * array is the owner's (entries keep stable uint32 ids), and this is only the
 * index from a 64-bit hash to the ids that may match. The owner compares
 * keys itself, so one index serves any entry type:
 *
 *     hidx_iter it;
 *     for (uint32_t id = hidx_first(&t, h, &it); id != HIDX_NONE; id = hidx_next(&it))
 *         if (entries[id].hash == h && same_key(&entries[id], key)) return id;
 *     if (!(grown = hidx_reserve(entries, &cap, n, sizeof *entries))) return -1;
 *     ... append the new entry as id n-1, then hidx_add(&t, n - 1, h, n, hash_of, entries);
 *
 * Linear probing, kept at most half full, power-of-two capacity. Growing
 * rehashes every id through the owner's hash_of (which normally returns a
 * stored hash). Allocation failure returns -1 and leaves the index usable.
 */
#ifndef CSPROF_HASHIDX_H
#define CSPROF_HASHIDX_H

#include <stddef.h>
#include <stdint.h>

#define HIDX_NONE UINT32_MAX
#define HASH_INIT 0xcbf29ce484222325ULL

typedef struct {
    uint32_t *slots;  /* id + 1; 0 = empty */
    size_t cap, used;
} hidx;

typedef struct {
    const hidx *t;
    size_t pos;
} hidx_iter;

typedef uint64_t (*hidx_hash_fn)(const void *ctx, uint32_t id);

/* The first (then the next) id whose slot lies on h's probe chain;
 * HIDX_NONE at the end. Inline: a lookup runs per frame of every stack. */
static inline uint32_t hidx_first(const hidx *t, uint64_t h, hidx_iter *it) {
    it->t = t;
    it->pos = 0;   /* defined even for an empty index, where next is never reached */
    if (!t->cap) return HIDX_NONE;
    it->pos = h & (t->cap - 1);
    return t->slots[it->pos] ? t->slots[it->pos] - 1 : HIDX_NONE;
}

static inline uint32_t hidx_next(hidx_iter *it) {
    const hidx *t = it->t;
    if (!t->cap || !t->slots[it->pos]) return HIDX_NONE;
    it->pos = (it->pos + 1) & (t->cap - 1);
    return t->slots[it->pos] ? t->slots[it->pos] - 1 : HIDX_NONE;
}

/* Index id (< n_ids; the owner's entries 0..n_ids-1 exist) under hash h.
 * Returns 0, or -1 on allocation failure (the id is then not indexed). */
int hidx_add(hidx *t, uint32_t id, uint64_t h, size_t n_ids, hidx_hash_fn hash_of,
             const void *ctx);

void hidx_free(hidx *t);

/* Room for one more entry in the owner's array (cap entries of size bytes,
 * n in use): returns the array, moved and *cap doubled when it was full,
 * or NULL when it cannot grow (allocation failure, or n would reach
 * HIDX_NONE; the array is then unchanged). Every interning table appends
 * this way, so ids stay below HIDX_NONE. */
void *hidx_reserve(void *entries, size_t *cap, size_t n, size_t size);

/* FNV-1a over a string and a terminator, so ("ab","c") and ("a","bc")
 * differ when chained; NULL hashes differently from "". */
uint64_t hash_str(uint64_t h, const char *s);
/* FNV-1a over n bytes and nothing else: hash_str less its terminator, for
 * a value derived from the bytes alone (a colour that must not change). */
uint64_t hash_bytes(uint64_t h, const void *s, size_t n);
/* A word into h at once: MurmurHash3's 64-bit finalizer over h and the
 * spread word, so every input bit reaches the low bits that pick a slot
 * (inline, and not FNV byte by byte: ids are hashed per frame of every
 * stack). */
static inline uint64_t hash_u64(uint64_t h, uint64_t v) {
    uint64_t x = h ^ (v * 0x9e3779b97f4a7c15ULL);
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

#endif
