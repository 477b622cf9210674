/* Unit tests for hashidx.c: an interning table of strings built on it. */
#include <stdlib.h>

#include "check.h"
#include "hashidx.h"

typedef struct {
    char **s;
    uint64_t *h;
    size_t n, cap;
    hidx idx;
} strtab;

static uint64_t hash_of(const void *ctx, uint32_t id) { return ((const strtab *)ctx)->h[id]; }

/* A deliberately poor hash (few buckets) so probe chains are long. */
static uint64_t weak(const char *s) { return hash_str(HASH_INIT, s) & 7; }

static long intern(strtab *t, const char *s, uint64_t (*hf)(const char *)) {
    uint64_t h = hf(s);
    hidx_iter it;
    for (uint32_t id = hidx_first(&t->idx, h, &it); id != HIDX_NONE; id = hidx_next(&it))
        if (t->h[id] == h && !strcmp(t->s[id], s)) return id;
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 4;
        t->s = realloc(t->s, t->cap * sizeof *t->s);
        t->h = realloc(t->h, t->cap * sizeof *t->h);
    }
    t->s[t->n] = strdup(s);
    t->h[t->n] = h;
    t->n++;
    if (hidx_add(&t->idx, (uint32_t)(t->n - 1), h, t->n, hash_of, t)) return -1;
    return (long)t->n - 1;
}

static void tab_free(strtab *t) {
    for (size_t i = 0; i < t->n; i++) free(t->s[i]);
    free(t->s);
    free(t->h);
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

int main(void) {
    RUN(interns_with_a_good_hash);
    RUN(interns_with_colliding_hashes);
    RUN(empty_index_finds_nothing);
    RUN(hashes_tell_apart_what_chaining_could_merge);
    return check_summary();
}
