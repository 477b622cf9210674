/* Unit tests for chainread.c, reading linked records of this very process
 * (process_vm_readv on our own pid). */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "chainread.h"
#include "check.h"

typedef struct rec {
    uint64_t pad;
    struct rec *next;
    uint64_t code;      /* the "fixed" field */
    int32_t line;
    uint8_t running;    /* the "live" byte: 1 while in use */
} rec;

static rec pool[64];
static rec *anchor;     /* as a thread state's frame pointer */

static const chain_layout layout = {offsetof(rec, next), offsetof(rec, line) + 4 - offsetof(rec, next),
                                    offsetof(rec, next), offsetof(rec, code), offsetof(rec, line),
                                    0, 0};

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
    int rc = chain_read(c, 1, (uint64_t)(uintptr_t)&anchor, (uint64_t)(uintptr_t)anchor, NULL, r);
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
    CHECK_EQ_INT(chain_read(c, 1, (uint64_t)(uintptr_t)&anchor, (uint64_t)(uintptr_t)head, NULL, &r), -1);
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

/* A record freed under the walk may link back into the chain: refused at
 * once (loopcheck.h), not walked round and
 * round to max_records (4096 calls, and a made-up stack of 4096 frames). */
TEST(refuses_a_chain_that_meets_itself) {
    chain_reader *c = chain_new(getpid(), &layout, 4096);
    int idx[] = {50, 51, 52, 53};
    static int lines[4096];
    link_chain(idx, 4);
    pool[53].next = &pool[51];
    chain_result r;
    errno = 0;
    CHECK_EQ_INT(read_lines(c, lines, &r), -1);
    CHECK_EQ_INT(errno, EAGAIN);
    CHECK(r.singles <= 16);
    pool[50].next = &pool[50];   /* a record that links to itself */
    CHECK_EQ_INT(read_lines(c, lines, &r), -1);
    pool[50].next = &pool[51];   /* the loop mended: read whole */
    pool[53].next = NULL;
    CHECK_EQ_INT(read_lines(c, lines, &r), 0);
    CHECK_EQ_INT(r.n, 4);
    chain_free(c);
}

/* Extra pieces ride at the end of the batched read: copied (in any order,
 * close ones merged) only when every record the walk used came from that
 * same call, before them. */
static uint64_t targets[3] = {111, 222, 333};

static int read_with_extra(chain_reader *c, uint64_t *got, bool *full, chain_result *r) {
    struct iovec l[3], rm[3];
    for (int i = 0; i < 3; i++) {
        got[i] = 0;
        l[i] = (struct iovec){&got[i], 8};
        rm[i] = (struct iovec){&targets[2 - i], 8};   /* out of address order */
    }
    chain_extra x = {l, rm, 3, full};
    return chain_read(c, 1, (uint64_t)(uintptr_t)&anchor, (uint64_t)(uintptr_t)anchor, &x, r);
}

TEST(extra_pieces_ride_the_batch_after_the_records) {
    chain_reader *c = chain_new(getpid(), &layout, 64);
    int idx[] = {50, 51, 52};
    link_chain(idx, 3);
    chain_result r;
    uint64_t got[3];
    bool full[3];
    /* First walk: records read one by one after the batch, so the extras
     * were not copied after every record: none counts. */
    CHECK_EQ_INT(read_with_extra(c, got, full, &r), 0);
    CHECK(!full[0] && !full[1] && !full[2]);
    CHECK_EQ_INT(r.singles, 2);
    /* Second walk: the whole chain from the batch, extras after it. */
    CHECK_EQ_INT(read_with_extra(c, got, full, &r), 0);
    CHECK_EQ_INT(r.n, 3);
    CHECK_EQ_INT(r.singles, 0);
    CHECK(full[0] && full[1] && full[2]);
    CHECK(got[0] == 333 && got[1] == 222 && got[2] == 111);
    /* A record not in the last chain (the head always is: it comes first
     * in the batch): read alone after the batch, extras void. */
    int more[] = {50, 51, 52, 54};
    link_chain(more, 4);
    CHECK_EQ_INT(read_with_extra(c, got, full, &r), 0);
    CHECK_EQ_INT(r.n, 4);
    CHECK(!full[0] && !full[1] && !full[2]);
    chain_free(c);
}

/* head_moved: the head's moving field differs between the batch's first
 * copy and the check's. Still: never. Changed by a running thread while
 * we read: seen (it changes every few nanoseconds, the copies are
 * microseconds apart). The writer must run at the same time as the read,
 * on the other CPU: on a busy machine that can take a while, so the tries
 * go on for up to 5 s. */
static atomic_int stop_writer;

static void *writer(void *arg) {
    volatile int32_t *line = arg;
    while (!atomic_load(&stop_writer)) (*line)++;
    return NULL;
}

TEST(head_moved_says_whether_the_owner_ran) {
    chain_reader *c = chain_new(getpid(), &layout, 64);
    int idx[60];
    for (int i = 0; i < 60; i++) idx[i] = i;   /* a long chain: the copies are further apart */
    link_chain(idx, 60);
    int lines[64];
    chain_result r;
    CHECK_EQ_INT(read_lines(c, lines, &r), 0);
    for (int i = 0; i < 20; i++) {
        CHECK_EQ_INT(read_lines(c, lines, &r), 0);
        CHECK(!r.head_moved);
    }
    atomic_store(&stop_writer, 0);
    pthread_t t;
    CHECK_EQ_INT(pthread_create(&t, NULL, writer, (void *)&pool[0].line), 0);
    bool seen = false;
    struct timespec t0, now;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0; !seen; i++) {
        if (read_lines(c, lines, &r) == 0) seen = r.head_moved;
        if (i % 64 == 63) {
            clock_gettime(CLOCK_MONOTONIC, &now);
            if (now.tv_sec - t0.tv_sec >= 5) break;
            sched_yield();   /* let the writer get a CPU */
        }
    }
    atomic_store(&stop_writer, 1);
    pthread_join(t, NULL);
    CHECK(seen);
    chain_free(c);
}

TEST(rejects_bad_layouts) {
    chain_layout bad = layout;
    bad.span = CHAIN_MAX_SPAN + 8;
    CHECK(chain_new(getpid(), &bad, 8) == NULL);
    bad = layout;
    bad.next = layout.lo + layout.span;
    CHECK(chain_new(getpid(), &bad, 8) == NULL);
    bad = layout;
    bad.moving = layout.lo + layout.span - 2;   /* 4 bytes must fit in the copy */
    CHECK(chain_new(getpid(), &bad, 8) == NULL);
}

/* With a live byte: a head still in use is kept after the thread called
 * deeper (the anchor points elsewhere), not after it returned. */
TEST(keeps_a_head_still_in_use) {
    chain_layout live = layout;
    live.span = offsetof(rec, running) + 1 - layout.lo;
    live.live = offsetof(rec, running) + 1;
    live.live_value = 1;
    chain_reader *c = chain_new(getpid(), &live, 64);
    CHECK(c != NULL);
    int idx[] = {40, 41, 42}, lines[8];
    link_chain(idx, 3);
    for (int i = 0; i < 3; i++) pool[idx[i]].running = 1;
    chain_result r;
    rec *head = anchor;
    /* It called deeper: pool[43] runs above the head. */
    pool[43] = (rec){0, head, 1043, 43, 1};
    anchor = &pool[43];
    CHECK_EQ_INT(chain_read(c, 1, (uint64_t)(uintptr_t)&anchor, (uint64_t)(uintptr_t)head, NULL, &r), 0);
    CHECK_EQ_INT(r.n, 3);
    CHECK_EQ_INT(read_lines(c, lines, &r), 0);   /* and from the new head, 4 deep */
    CHECK_EQ_INT(r.n, 4);
    /* A record below it not in use (a returned frame whose address the
     * free list handed out again): the walk crossed it, refused. */
    pool[41].running = 0;
    CHECK_EQ_INT(chain_read(c, 1, (uint64_t)(uintptr_t)&anchor, (uint64_t)(uintptr_t)head, NULL, &r), -1);
    pool[41].running = 1;
    /* A chain that ends at a record not in use (a generator that yielded:
     * its link cleared), even with the anchor unchanged. */
    anchor = head;
    pool[42].running = 0;
    CHECK_EQ_INT(chain_read(c, 1, (uint64_t)(uintptr_t)&anchor, (uint64_t)(uintptr_t)head, NULL, &r), -1);
    pool[42].running = 1;
    CHECK_EQ_INT(chain_read(c, 1, (uint64_t)(uintptr_t)&anchor, (uint64_t)(uintptr_t)head, NULL, &r), 0);
    anchor = &pool[43];
    /* It returned: the old head is no longer in use. */
    anchor = &pool[41];
    head->running = 0;
    CHECK_EQ_INT(chain_read(c, 1, (uint64_t)(uintptr_t)&anchor, (uint64_t)(uintptr_t)head, NULL, &r), -1);
    chain_free(c);
    /* A live byte outside the copy is refused. */
    live.live = live.lo + live.span + 1;
    CHECK(chain_new(getpid(), &live, 8) == NULL);
}

int main(void) {
    RUN(follows_the_chain_and_then_reads_it_batched);
    RUN(truncates_at_max);
    RUN(refuses_a_chain_whose_head_moved);
    RUN(unreadable_link_fails);
    RUN(refuses_a_chain_that_meets_itself);
    RUN(extra_pieces_ride_the_batch_after_the_records);
    RUN(head_moved_says_whether_the_owner_ran);
    RUN(rejects_bad_layouts);
    RUN(keeps_a_head_still_in_use);
    return check_summary();
}
