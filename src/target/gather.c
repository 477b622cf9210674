/* gather.c -- many scattered pieces of another process's memory read in
 * as few process_vm_readv calls as the pages allow (gather.h).
 *
 * What a read costs here was measured (a loop of one process_vm_readv per
 * wake-up, on this project's 2-core VM): the kernel locks, walks and pins
 * the pages of every piece on its own, about 0.5 us per piece and page,
 * whether 16 pieces share one page or lie on 16; one piece of a whole page
 * costs what one of 8 bytes does. So pieces that share a page, or lie
 * less than GATHER_GAP apart, are merged into one read into scratch and
 * copied out. A merged read touches only pages its pieces touch (a gap
 * that is not on a shared page is shorter than a page, so it cannot hold
 * a whole one): it faults only where one of them would. Runs are bounded
 * by the scratch left (a 3.8-3.10 chain of 600 frames fits); past that,
 * pieces are read as they are.
 *
 * The working arrays of a call lie side by side in one block: a sample
 * comes after a sleep, when every page touched is a cache and TLB miss. */
#include "gather.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "proc.h"

#define GATHER_GAP 512
#define GATHER_SCRATCH (256 * 1024)
#define GATHER_PAGE 4096u

typedef struct {
    struct iovec *local, *remote;  /* the reads actually made */
    uint32_t *at;                  /* piece -> its offset in scratch; UINT32_MAX: read alone */
    uint16_t *order;               /* a merged segment's pieces by address */
    uint16_t *tmp;                 /* merge sort's other half */
    uint16_t *read_as;             /* piece -> the read that copies it */
    bool *done;                    /* per read: copied whole */
    size_t cap;
} gather_arrays;
#define GATHER_PER \
    (2 * sizeof(struct iovec) + sizeof(uint32_t) + 3 * sizeof(uint16_t) + sizeof(bool))
#define GATHER_SMALL 32           /* a sample's read: 14-17 pieces on 3.11+ */
static gather_arrays G;           /* the arrays this call uses: small or big */
static gather_arrays big;         /* grown to the largest call seen */
static _Alignas(16) uint8_t small[GATHER_SMALL * GATHER_PER];
static uint8_t scratch[GATHER_SCRATCH];

static uint64_t piece_addr(const struct iovec *r) { return (uint64_t)(uintptr_t)r->iov_base; }

static void lay_out(gather_arrays *a, uint8_t *m, size_t cap) {
    a->local = (struct iovec *)(void *)m;
    a->remote = a->local + cap;
    a->at = (uint32_t *)(void *)(a->remote + cap);
    a->order = (uint16_t *)(void *)(a->at + cap);
    a->tmp = a->order + cap;
    a->read_as = a->tmp + cap;
    a->done = (bool *)(a->read_as + cap);
    a->cap = cap;
}

/* Arrays for n pieces in G; false when they cannot be had (the caller then
 * reads without merging). A sample's few pieces use a small block of their
 * own: a verification batch of 512 pieces at start-up would otherwise
 * spread them over five pages for the rest of the run. */
static bool gather_room(size_t n) {
    if (n <= GATHER_SMALL) {
        if (G.local != (struct iovec *)(void *)small) lay_out(&G, small, GATHER_SMALL);
        return true;
    }
    if (n > big.cap) {
        size_t cap = 2 * GATHER_SMALL;
        while (cap < n) cap *= 2;
        uint8_t *m = malloc(cap * GATHER_PER);
        if (!m) return false;
        free(big.local);
        lay_out(&big, m, cap);
    }
    G = big;
    return true;
}

/* Sorts a[0, n) (piece numbers) by address: a stable bottom-up merge sort
 * through tmp, O(n log n) whatever the order, comparing inline (qsort's
 * callback took a 300-frame 3.9 sample from 79 to 136 us of CPU). */
static void merge_sort(const struct iovec *remote, uint16_t *a, uint16_t *tmp, size_t n) {
    uint16_t *from = a, *to = tmp;
    for (size_t w = 1; w < n; w *= 2) {
        for (size_t i = 0; i < n; i += 2 * w) {
            size_t mid = i + w < n ? i + w : n, end = i + 2 * w < n ? i + 2 * w : n;
            size_t l = i, r = mid, k = i;
            while (l < mid && r < end)
                to[k++] = piece_addr(&remote[from[r]]) < piece_addr(&remote[from[l]]) ? from[r++]
                                                                                      : from[l++];
            while (l < mid) to[k++] = from[l++];
            while (r < end) to[k++] = from[r++];
        }
        uint16_t *t = from;
        from = to;
        to = t;
    }
    if (from != a) memcpy(a, from, n * sizeof *a);
}

/* Sorts the pieces [lo, hi) by address into G.order[lo, hi). A chain's
 * records often come in falling address order (frames allocated one below
 * the other), so that order is tried reversed first. */
static void gather_sort(const struct iovec *remote, size_t lo, size_t hi) {
    bool falling = hi - lo > 1 && piece_addr(&remote[lo]) > piece_addr(&remote[hi - 1]);
    for (size_t i = lo; i < hi; i++) G.order[i] = (uint16_t)(falling ? hi - 1 - (i - lo) : i);
    bool sorted = true;
    for (size_t i = lo + 1; sorted && i < hi; i++)
        sorted = piece_addr(&remote[G.order[i - 1]]) <= piece_addr(&remote[G.order[i]]);
    if (!sorted) merge_sort(remote, G.order + lo, G.tmp + lo, hi - lo);
}

/* Whether piece p can join the run [start, end): it overlaps it, starts
 * on the page the run ends on, or lies less than GATHER_GAP past it, and
 * the run still fits in the scratch left. An address range that wraps, or
 * an empty piece, never joins. */
static bool joins(const struct iovec *p, uint64_t start, uint64_t end, size_t used) {
    uint64_t a = piece_addr(p), len = p->iov_len;
    if (len == 0 || a + len < a || a < start) return false;   /* a < start: not sorted */
    bool near = a <= end || a - end <= GATHER_GAP || a / GATHER_PAGE == (end - 1) / GATHER_PAGE;
    uint64_t top = a + len > end ? a + len : end;
    return near && top - start <= GATHER_SCRATCH - used;
}

/* Read k copies piece i as it is. */
static void read_alone(const struct iovec *local, const struct iovec *remote, size_t i, size_t k) {
    G.local[k] = local[i];
    G.remote[k] = remote[i];
    G.read_as[i] = (uint16_t)k;
    G.at[i] = UINT32_MAX;
}

/* Plans the reads of the merged segment [lo, hi) from read k on: runs of
 * nearby pieces become one read into scratch (*used bytes of it taken so
 * far). Returns the number of reads planned in all. */
static size_t gather_plan(const struct iovec *local, const struct iovec *remote, size_t lo,
                          size_t hi, size_t k, size_t *used) {
    for (size_t s = lo; s < hi; k++) {
        uint16_t first = G.order[s];
        uint64_t start = piece_addr(&remote[first]), end = start + remote[first].iov_len;
        size_t e = s + 1;
        bool ok = remote[first].iov_len > 0 && end > start && end - start <= GATHER_SCRATCH - *used;
        while (ok && e < hi && joins(&remote[G.order[e]], start, end, *used)) {
            uint64_t top = piece_addr(&remote[G.order[e]]) + remote[G.order[e]].iov_len;
            if (top > end) end = top;
            e++;
        }
        if (e == s + 1) {
            read_alone(local, remote, first, k);
        } else {
            G.local[k] = (struct iovec){scratch + *used, end - start};
            G.remote[k] = (struct iovec){(void *)(uintptr_t)start, end - start};
            for (size_t m = s; m < e; m++) {
                uint16_t p = G.order[m];
                G.read_as[p] = (uint16_t)k;
                G.at[p] = (uint32_t)(*used + (piece_addr(&remote[p]) - start));
            }
            *used += end - start;
        }
        s = e;
    }
    return k;
}

/* Sets full[] from the bytes one call copied, piece by piece in its order. */
static void full_from(const struct iovec *local, size_t n, ssize_t got, bool *full) {
    for (size_t i = 0; i < n; i++) {
        full[i] = got >= (ssize_t)local[i].iov_len;
        got = full[i] ? got - (ssize_t)local[i].iov_len : 0;
    }
}

size_t gather_read(pid_t pid, const struct iovec *local, const struct iovec *remote, size_t n,
                   const gather_seg *seg, size_t nseg, bool *full) {
    bool sane = n <= GATHER_MAX && nseg > 0 && seg[nseg - 1].end == n;
    for (size_t j = 1; sane && j < nseg; j++) sane = seg[j - 1].end <= seg[j].end;
    if (!sane) {   /* a caller's bug: read nothing */
        memset(full, 0, n * sizeof *full);
        return 0;
    }
    bool merge = false;
    for (size_t j = 0, lo = 0; j < nseg; lo = seg[j++].end)
        merge = merge || (seg[j].merge && seg[j].end - lo > 1);
    /* Nothing to merge (or no room to plan it): read as it is. */
    if (!merge || !gather_room(n)) {
        full_from(local, n, n ? proc_readv(pid, local, remote, n) : 0, full);
        return n;
    }
    size_t k = 0, used = 0;
    for (size_t j = 0, lo = 0; j < nseg; lo = seg[j++].end) {
        if (!seg[j].merge) {
            for (size_t i = lo; i < seg[j].end; i++, k++) read_alone(local, remote, i, k);
        } else if (seg[j].end > lo) {
            gather_sort(remote, lo, seg[j].end);
            k = gather_plan(local, remote, lo, seg[j].end, k, &used);
        }
    }
    ssize_t got = k ? proc_readv(pid, G.local, G.remote, k) : 0;
    full_from(G.local, k, got, G.done);
    for (size_t i = 0; i < n; i++) {
        full[i] = G.done[G.read_as[i]];
        if (full[i] && G.at[i] != UINT32_MAX && local[i].iov_len)
            memcpy(local[i].iov_base, scratch + G.at[i], local[i].iov_len);
    }
    return k;
}

