/* hashidx.c -- see hashidx.h. */
#include <stdlib.h>
#include <string.h>

#include "hashidx.h"

enum { MIN_CAP = 64 };

static void put(uint32_t *slots, size_t cap, uint32_t id, uint64_t h) {
    size_t pos = h & (cap - 1);
    while (slots[pos]) pos = (pos + 1) & (cap - 1);
    slots[pos] = id + 1;
}

int hidx_add(hidx *t, uint32_t id, uint64_t h, size_t n_ids, hidx_hash_fn hash_of,
             const void *ctx) {
    if (id >= UINT32_MAX - 1) return -1;
    if (2 * (t->used + 1) <= t->cap) {
        put(t->slots, t->cap, id, h);
        t->used++;
        return 0;
    }
    /* Grow and rebuild from the owner's entries (the new one included). */
    size_t cap = t->cap ? t->cap : MIN_CAP;
    while (cap < 2 * (n_ids + 1)) {
        if (cap > SIZE_MAX / 2 / sizeof *t->slots) return -1;
        cap *= 2;
    }
    if (cap == t->cap) cap *= 2;
    uint32_t *slots = calloc(cap, sizeof *slots);
    if (!slots) return -1;
    size_t used = 0;
    for (uint32_t i = 0; i < n_ids; i++) {
        if (i == id) continue;
        put(slots, cap, i, hash_of(ctx, i));
        used++;
    }
    put(slots, cap, id, h);
    free(t->slots);
    t->slots = slots;
    t->cap = cap;
    t->used = used + 1;
    return 0;
}

void hidx_free(hidx *t) {
    free(t->slots);
    *t = (hidx){0};
}

void *hidx_reserve(void *entries, size_t *cap, size_t n, size_t size) {
    if (n >= HIDX_NONE - 1 || size == 0) return NULL;
    if (n < *cap) return entries;
    size_t ncap = *cap ? *cap : MIN_CAP;
    while (ncap <= n) {
        if (ncap > SIZE_MAX / 2 / size) return NULL;
        ncap *= 2;
    }
    void *grown = realloc(entries, ncap * size);
    if (!grown) return NULL;
    *cap = ncap;
    return grown;
}

uint64_t hash_bytes(uint64_t h, const void *s, size_t n) {
    const unsigned char *u = s;
    for (size_t i = 0; i < n; i++) h = (h ^ u[i]) * 0x100000001b3ULL;
    return h;
}

uint64_t hash_str(uint64_t h, const char *s) {
    if (!s) return (h ^ 0x9e3779b97f4a7c15ULL) * 0x100000001b3ULL;
    return (hash_bytes(h, s, strlen(s)) ^ 0xff) * 0x100000001b3ULL;
}

