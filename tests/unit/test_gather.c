/* Unit tests for gather.c (gather_read), reading this very
 * process through process_vm_readv: pieces merged when close or on one
 * page, copied to the right buffers, segments read in their order, never a
 * page read that no piece asked for, and a fault ending the read in the
 * order the pieces were read. */
#include <stdalign.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "check.h"
#include "gather.h"
#include "proc.h"

#define PG 4096

/* Three pages: the middle one is made unreadable by some tests. */
static alignas(PG) uint8_t mem[3 * PG];

static void fill(void) {
    for (size_t i = 0; i < sizeof mem; i++) mem[i] = (uint8_t)(i * 7 + 3);
}

static struct iovec at(size_t off, size_t len) { return (struct iovec){mem + off, len}; }

static bool same(const uint8_t *got, size_t off, size_t len) { return !memcmp(got, mem + off, len); }

/* All n pieces in one segment that may be merged. */
static size_t gather_all(const struct iovec *local, const struct iovec *remote, size_t n,
                         bool *full) {
    gather_seg all = {n, true};
    return gather_read(getpid(), local, remote, n, &all, 1, full);
}

TEST(nearby_pieces_are_one_read_and_land_in_their_buffers) {
    fill();
    uint8_t a[8], b[136], c[8], d[104];
    /* out of address order, one duplicate range (a name read twice) */
    size_t off[4] = {600, 100, 600, 300};
    struct iovec local[4] = {{a, 8}, {b, 136}, {c, 8}, {d, 104}};
    struct iovec remote[4] = {at(off[0], 8), at(off[1], 136), at(off[2], 8), at(off[3], 104)};
    bool full[4];
    CHECK_EQ_INT(gather_all(local, remote, 4, full), 1);
    for (int i = 0; i < 4; i++) CHECK(full[i]);
    CHECK(same(a, 600, 8) && same(b, 100, 136) && same(c, 600, 8) && same(d, 300, 104));
}

TEST(pieces_outside_the_range_keep_their_place) {
    fill();
    uint8_t h[8], x[16], y[16], t[8];
    struct iovec local[4] = {{h, 8}, {x, 16}, {y, 16}, {t, 8}};
    /* h and t are as close as x and y, but only [1, 3) may be merged */
    struct iovec remote[4] = {at(0, 8), at(40, 16), at(64, 16), at(96, 8)};
    bool full[4];
    const gather_seg seg[] = {{1, false}, {3, true}, {4, false}};
    CHECK_EQ_INT(gather_read(getpid(), local, remote, 4, seg, 3, full), 3);
    for (int i = 0; i < 4; i++) CHECK(full[i]);
    CHECK(same(h, 0, 8) && same(x, 40, 16) && same(y, 64, 16) && same(t, 96, 8));
}

TEST(far_pieces_are_read_apart_and_no_page_between_is_touched) {
    fill();
    CHECK_EQ_INT(mprotect(mem + PG, PG, PROT_NONE), 0);
    uint8_t a[16], b[16];
    /* the last bytes of page 0 and the first of page 2: merged, the read
     * would cross the unreadable page 1 and fail */
    struct iovec local[2] = {{a, 16}, {b, 16}};
    struct iovec remote[2] = {at(PG - 16, 16), at(2 * PG, 16)};
    bool full[2];
    CHECK_EQ_INT(gather_all(local, remote, 2, full), 2);
    CHECK(full[0] && full[1]);
    CHECK(same(a, PG - 16, 16));
    CHECK_EQ_INT(mprotect(mem + PG, PG, PROT_READ | PROT_WRITE), 0);
    CHECK(same(b, 2 * PG, 16));
}

TEST(a_fault_ends_the_read_in_address_order) {
    fill();
    CHECK_EQ_INT(mprotect(mem + PG, PG, PROT_NONE), 0);
    uint8_t a[8], bad[8], c[8], tail[8];
    /* added out of order: the unreadable piece (page 1) lies between a
     * (page 0) and c (page 2) in address order, so a is read and c is not;
     * tail, after the range, is not read either */
    struct iovec local[4] = {{c, 8}, {bad, 8}, {a, 8}, {tail, 8}};
    struct iovec remote[4] = {at(2 * PG + 8, 8), at(PG + 8, 8), at(8, 8), at(16, 8)};
    bool full[4];
    const gather_seg seg[] = {{3, true}, {4, false}};
    gather_read(getpid(), local, remote, 4, seg, 2, full);
    CHECK_EQ_INT(mprotect(mem + PG, PG, PROT_READ | PROT_WRITE), 0);
    CHECK(full[2] && !full[1] && !full[0] && !full[3]);
    CHECK(same(a, 8, 8));
}

TEST(a_merged_read_that_faults_fails_all_its_pieces) {
    fill();
    CHECK_EQ_INT(mprotect(mem + PG, PG, PROT_NONE), 0);
    uint8_t a[8], b[8];
    /* 8 bytes before the end of page 0, 8 at the start of page 1: one run */
    struct iovec local[2] = {{a, 8}, {b, 8}};
    struct iovec remote[2] = {at(PG - 8, 8), at(PG, 8)};
    bool full[2] = {true, true};
    CHECK_EQ_INT(gather_all(local, remote, 2, full), 1);
    CHECK_EQ_INT(mprotect(mem + PG, PG, PROT_READ | PROT_WRITE), 0);
    CHECK(!full[0] && !full[1]);
}

TEST(hostile_addresses_are_never_merged) {
    fill();
    uint8_t a[8], w[16], z[1];
    /* an address range that wraps, and an empty piece, next to a real one */
    struct iovec local[3] = {{a, 8}, {w, 16}, {z, 0}};
    struct iovec remote[3] = {at(32, 8), {(void *)(uintptr_t)(UINT64_MAX - 7), 16}, at(40, 0)};
    bool full[3];
    size_t reads = gather_all(local, remote, 3, full);
    CHECK_EQ_INT(reads, 3);
    CHECK(!full[1]);
    /* segments that do not end at n, or go back: a caller's bug, nothing
     * read, nothing full */
    bool f2[3] = {true, true, true};
    const gather_seg short_seg[] = {{2, true}};
    CHECK_EQ_INT(gather_read(getpid(), local, remote, 3, short_seg, 1, f2), 0);
    CHECK(!f2[0] && !f2[1] && !f2[2]);
    const gather_seg back[] = {{2, true}, {1, false}, {3, true}};
    f2[0] = true;
    CHECK_EQ_INT(gather_read(getpid(), local, remote, 3, back, 3, f2), 0);
    CHECK(!f2[0]);
}

TEST(pieces_on_one_page_are_one_read_however_far_apart) {
    fill();
    uint8_t a[8], b[8], c[8];
    /* 2,900 bytes apart, but on page 0: the kernel pins that page once;
     * c is on page 2, and page 1 between them is never asked for */
    CHECK_EQ_INT(mprotect(mem + PG, PG, PROT_NONE), 0);
    struct iovec local[3] = {{a, 8}, {b, 8}, {c, 8}};
    struct iovec remote[3] = {at(3000, 8), at(100, 8), at(2 * PG + 8, 8)};
    bool full[3];
    CHECK_EQ_INT(gather_all(local, remote, 3, full), 2);
    CHECK_EQ_INT(mprotect(mem + PG, PG, PROT_READ | PROT_WRITE), 0);
    CHECK(full[0] && full[1] && full[2]);
    CHECK(same(a, 3000, 8) && same(b, 100, 8) && same(c, 2 * PG + 8, 8));
}

TEST(segments_are_read_in_their_order) {
    fill();
    uint8_t r[4][8], chk[8], x[2][8];
    /* records (any order), a check that must follow them, then extras: the
     * check's page 1 is unreadable, so the records are read and the extras,
     * although on the records' page, are not */
    CHECK_EQ_INT(mprotect(mem + PG, PG, PROT_NONE), 0);
    struct iovec local[7] = {{r[0], 8}, {r[1], 8}, {r[2], 8}, {r[3], 8},
                             {chk, 8}, {x[0], 8}, {x[1], 8}};
    struct iovec remote[7] = {at(400, 8), at(300, 8), at(200, 8), at(100, 8),
                              at(PG + 8, 8), at(104, 8), at(404, 8)};
    const gather_seg seg[] = {{4, true}, {5, false}, {7, true}};
    bool full[7];
    CHECK_EQ_INT(gather_read(getpid(), local, remote, 7, seg, 3, full), 3);
    CHECK_EQ_INT(mprotect(mem + PG, PG, PROT_READ | PROT_WRITE), 0);
    CHECK(full[0] && full[1] && full[2] && full[3] && !full[4] && !full[5] && !full[6]);
    CHECK(same(r[0], 400, 8) && same(r[3], 100, 8));
}

TEST(a_long_chain_in_falling_order_is_merged) {
    fill();
    enum { N = 300 };
    static uint8_t got[N][8];
    static struct iovec local[N], remote[N];
    bool full[N];
    for (int i = 0; i < N; i++) {
        local[i] = (struct iovec){got[i], 8};
        remote[i] = at((size_t)(N - 1 - i) * 8, 8);   /* close together, in reverse */
    }
    CHECK_EQ_INT(gather_all(local, remote, N, full), 1);
    bool all = true;
    for (int i = 0; i < N; i++) all = all && full[i] && same(got[i], (size_t)(N - 1 - i) * 8, 8);
    CHECK(all);
}

TEST(the_largest_call_is_read_whole) {
    fill();
    enum { N = GATHER_MAX };
    static uint8_t got[N][8];
    static struct iovec local[N], remote[N];
    static bool full[N];
    /* every 24 bytes over 3 pages (24 KB of pieces), scattered */
    for (int i = 0; i < N; i++) {
        size_t off = (size_t)((i * 389) % N) * 24 % (3 * PG - 8);
        local[i] = (struct iovec){got[i], 8};
        remote[i] = at(off, 8);
    }
    size_t reads = gather_all(local, remote, N, full);
    CHECK(reads >= 1 && reads <= 3);
    bool all = true;
    for (int i = 0; i < N; i++)
        all = all && full[i] && same(got[i], (size_t)((i * 389) % N) * 24 % (3 * PG - 8), 8);
    CHECK(all);
}

int main(void) {
    RUN(nearby_pieces_are_one_read_and_land_in_their_buffers);
    RUN(pieces_outside_the_range_keep_their_place);
    RUN(far_pieces_are_read_apart_and_no_page_between_is_touched);
    RUN(a_fault_ends_the_read_in_address_order);
    RUN(a_merged_read_that_faults_fails_all_its_pieces);
    RUN(hostile_addresses_are_never_merged);
    RUN(pieces_on_one_page_are_one_read_however_far_apart);
    RUN(segments_are_read_in_their_order);
    RUN(a_long_chain_in_falling_order_is_merged);
    RUN(the_largest_call_is_read_whole);
    return check_summary();
}
