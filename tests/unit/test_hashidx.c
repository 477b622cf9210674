/* Unit tests for hashidx.c: an interning table of strings built on it. */
#include <stdlib.h>

#include "check.h"
#include "hashidx.h"

typedef struct {
    char *s;
    uint64_t h;
} ent;

typedef struct {
    ent *v;
    size_t n, cap;
    hidx idx;
} strtab;

static uint64_t hash_of(const void *ctx, uint32_t id) { return ((const strtab *)ctx)->v[id].h; }

/* A deliberately poor hash (few buckets) so probe chains are long. */
static uint64_t weak(const char *s) { return hash_str(HASH_INIT, s) & 7; }

static long intern(strtab *t, const char *s, uint64_t (*hf)(const char *)) {
    uint64_t h = hf(s);
    hidx_iter it;
    for (uint32_t id = hidx_first(&t->idx, h, &it); id != HIDX_NONE; id = hidx_next(&it))
        if (t->v[id].h == h && !strcmp(t->v[id].s, s)) return id;
    ent *v = hidx_reserve(t->v, &t->cap, t->n, sizeof *v);
    if (!v) return -1;
    t->v = v;
    t->v[t->n] = (ent){strdup(s), h};
    t->n++;
    if (hidx_add(&t->idx, (uint32_t)(t->n - 1), h, t->n, hash_of, t)) return -1;
    return (long)t->n - 1;
}

static void tab_free(strtab *t) {
    for (size_t i = 0; i < t->n; i++) free(t->v[i].s);
    free(t->v);
    hidx_free(&t->idx);
}

static void run_interning(uint64_t (*hf)(const char *)) {
    strtab t = {0};
    char key[32];
    for (int i = 0; i < 5000; i++) {
        snprintf(key, sizeof key, "k%d", i);
        CHECK_EQ_INT(intern(&t, key, hf), i);
    }
    for (int i = 4999; i >= 0; i--) {
        snprintf(key, sizeof key, "k%d", i);
        CHECK_EQ_INT(intern(&t, key, hf), i);
    }
    CHECK_EQ_INT(t.n, 5000);
    CHECK(t.idx.used == 5000 && 2 * t.idx.used <= t.idx.cap);
    tab_free(&t);
}

static uint64_t strong(const char *s) { return hash_str(HASH_INIT, s); }

TEST(interns_with_a_good_hash) { run_interning(strong); }
TEST(interns_with_colliding_hashes) { run_interning(weak); }

TEST(empty_index_finds_nothing) {
    hidx t = {0};
    hidx_iter it;
    CHECK_EQ_INT(hidx_first(&t, 42, &it), HIDX_NONE);
}

TEST(hashes_tell_apart_what_chaining_could_merge) {
    CHECK(hash_str(hash_str(HASH_INIT, "ab"), "c") != hash_str(hash_str(HASH_INIT, "a"), "bc"));
    CHECK(hash_str(HASH_INIT, NULL) != hash_str(HASH_INIT, ""));
    CHECK(hash_u64(HASH_INIT, 1) != hash_u64(HASH_INIT, 1ULL << 32));
}

TEST(hash_str_is_hash_bytes_and_a_terminator) {
    uint64_t h = hash_bytes(HASH_INIT, "caf\xc3\xa9", 5);
    CHECK(hash_str(HASH_INIT, "caf\xc3\xa9") == (h ^ 0xff) * 0x100000001b3ULL);
    CHECK(hash_bytes(HASH_INIT, "", 0) == HASH_INIT);
    /* FNV-1a's published 64-bit value for "a". */
    CHECK(hash_bytes(HASH_INIT, "a", 1) == 0xaf63dc4c8601ec8cULL);
}

/* Ids are small and sequential; hashed, their low bits (the slot) must
 * still spread evenly: 65,536 (parent, child) pairs over 4,096 buckets. */
TEST(hash_u64_spreads_sequential_ids_over_the_low_bits) {
    static unsigned load[4096];
    for (uint64_t parent = 0; parent < 256; parent++)
        for (uint64_t key = 0; key < 256; key++)
            load[hash_u64(HASH_INIT, parent << 32 | key) & 4095]++;
    unsigned max = 0, empty = 0;
    for (int i = 0; i < 4096; i++) {
        if (load[i] > max) max = load[i];
        empty += load[i] == 0;
    }
    /* 16 per bucket on average; a uniform hash stays under 40 and leaves
     * almost none empty (P(empty) = e^-16). */
    CHECK(max < 40);
    CHECK(empty < 4);
    CHECK(hash_u64(hash_u64(HASH_INIT, 1), 2) != hash_u64(hash_u64(HASH_INIT, 2), 1));
}

TEST(reserve_doubles_and_keeps_the_contents) {
    size_t cap = 0, n = 0;
    int *v = NULL;
    for (int i = 0; i < 1000; i++) {
        int *g = hidx_reserve(v, &cap, n, sizeof *g);
        CHECK(g != NULL);
        if (!g) break;
        v = g;
        v[n++] = i;
        CHECK(n <= cap);
    }
    CHECK_EQ_INT(cap, 1024);
    int ok = 1;
    for (int i = 0; i < 1000; i++) ok &= v[i] == i;
    CHECK(ok);
    /* Full arrays at the id limit, or with a size that overflows, are refused
     * and left as they were. */
    size_t big = 4;
    CHECK(hidx_reserve(v, &big, HIDX_NONE - 1, sizeof *v) == NULL && big == 4);
    size_t small = 4;
    CHECK(hidx_reserve(v, &small, 4, SIZE_MAX / 4) == NULL && small == 4);
    free(v);
}

int main(void) {
    RUN(interns_with_a_good_hash);
    RUN(interns_with_colliding_hashes);
    RUN(empty_index_finds_nothing);
    RUN(hashes_tell_apart_what_chaining_could_merge);
    RUN(hash_str_is_hash_bytes_and_a_terminator);
    RUN(hash_u64_spreads_sequential_ids_over_the_low_bits);
    RUN(reserve_doubles_and_keeps_the_contents);
    return check_summary();
}
