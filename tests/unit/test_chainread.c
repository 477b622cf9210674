/* Unit tests for chainread.c, reading linked records of this very process
 * (process_vm_readv on our own pid). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "chainread.h"
#include "check.h"

typedef struct rec {
    uint64_t pad;
    struct rec *next;
    uint64_t code;      /* the "fixed" field */
    int32_t line;
} rec;

static rec pool[64];
static rec *anchor;     /* as a thread state's frame pointer */

static const chain_layout layout = {offsetof(rec, next), offsetof(rec, line) + 4 - offsetof(rec, next),
                                    offsetof(rec, next), offsetof(rec, code)};

/* Links pool[idx[0]] -> pool[idx[1]] -> ... and points the anchor at the first. */
static void link_chain(const int *idx, int n) {
    for (int i = 0; i < n; i++) {
        pool[idx[i]].next = i + 1 < n ? &pool[idx[i + 1]] : NULL;
        pool[idx[i]].code = 1000 + (uint64_t)idx[i];
        pool[idx[i]].line = idx[i];
    }
    anchor = &pool[idx[0]];
}

static int read_lines(chain_reader *c, int *lines, chain_result *r) {
    int rc = chain_read(c, 1, (uint64_t)(uintptr_t)&anchor, (uint64_t)(uintptr_t)anchor, r);
    for (uint32_t i = 0; rc == 0 && i < r->n; i++) {
        int32_t v;
        memcpy(&v, r->records[i] + (offsetof(rec, line) - layout.lo), sizeof v);
        lines[i] = v;
    }
    return rc;
}

TEST(follows_the_chain_and_then_reads_it_batched) {
    chain_reader *c = chain_new(getpid(), &layout, 64);
    CHECK(c != NULL);
    int idx[] = {5, 9, 2, 7}, lines[64];
    link_chain(idx, 4);
    chain_result r;
    for (int round = 0; round < 2; round++) {
        CHECK_EQ_INT(read_lines(c, lines, &r), 0);
        CHECK_EQ_INT(r.n, 4);
        for (int i = 0; i < 4; i++) CHECK_EQ_INT(lines[i], idx[i]);
    }
    uint64_t batched, single;
    chain_stats(c, &batched, &single);
    CHECK_EQ_INT(single, 3);       /* first walk: all but the head one by one */
    CHECK_EQ_INT(batched, 5);      /* the head, then the whole second walk */
    /* The same records in another order (frames reallocated): still batched. */
    int again[] = {7, 2, 9, 5, 11};
    link_chain(again, 5);
    CHECK_EQ_INT(read_lines(c, lines, &r), 0);
    CHECK_EQ_INT(r.n, 5);
    for (int i = 0; i < 5; i++) CHECK_EQ_INT(lines[i], again[i]);
    chain_stats(c, &batched, &single);
    CHECK_EQ_INT(single, 4);       /* only pool[11] is new */
    chain_free(c);
}

TEST(truncates_at_max) {
    chain_reader *c = chain_new(getpid(), &layout, 3);
    int idx[] = {1, 2, 3, 4, 5}, lines[8];
    link_chain(idx, 5);
    chain_result r;
    CHECK_EQ_INT(read_lines(c, lines, &r), 0);
    CHECK_EQ_INT(r.n, 3);
    CHECK(r.truncated);
    chain_free(c);
}

TEST(refuses_a_chain_whose_head_moved) {
    chain_reader *c = chain_new(getpid(), &layout, 64);
    int idx[] = {20, 21, 22}, lines[8];
    link_chain(idx, 3);
    chain_result r;
    /* The walk started from pool[20], but the thread has since moved on. */
    rec *head = anchor;
    anchor = &pool[21];
    CHECK_EQ_INT(chain_read(c, 1, (uint64_t)(uintptr_t)&anchor, (uint64_t)(uintptr_t)head, &r), -1);
    /* The head record itself was reused: its link changed. */
    anchor = head;
    CHECK_EQ_INT(read_lines(c, lines, &r), 0);
    pool[20].next = &pool[30];
    pool[30].next = NULL;
    CHECK_EQ_INT(read_lines(c, lines, &r), 0);  /* a new, consistent chain */
    CHECK_EQ_INT(r.n, 2);
    chain_free(c);
}

TEST(unreadable_link_fails) {
    chain_reader *c = chain_new(getpid(), &layout, 64);
    int idx[] = {40, 41}, lines[8];
    link_chain(idx, 2);
    pool[41].next = (rec *)(uintptr_t)0x10;  /* not a plausible pointer */
    chain_result r;
    CHECK_EQ_INT(read_lines(c, lines, &r), -1);
    chain_free(c);
}

TEST(rejects_bad_layouts) {
    chain_layout bad = layout;
    bad.span = CHAIN_MAX_SPAN + 8;
    CHECK(chain_new(getpid(), &bad, 8) == NULL);
    bad = layout;
    bad.next = layout.lo + layout.span;
    CHECK(chain_new(getpid(), &bad, 8) == NULL);
}

int main(void) {
    RUN(follows_the_chain_and_then_reads_it_batched);
    RUN(truncates_at_max);
    RUN(refuses_a_chain_whose_head_moved);
    RUN(unreadable_link_fails);
    RUN(rejects_bad_layouts);
    return check_summary();
}
