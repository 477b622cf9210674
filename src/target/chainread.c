/* chainread.c -- speculative, verified reads of a linked chain. See chainread.h. */
#include "chainread.h"
#include "tgtmem.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "gather.h"
#include "loopcheck.h"
#include "proc.h"

#define CHAIN_THREADS 32     /* threads whose last chain is remembered */
#define CALL_IOVS 1024       /* the kernel's UIO_MAXIOV */

typedef struct {
    uint64_t key, used;      /* used: clock of the last walk, for eviction */
    uint64_t *addrs;         /* the chain found last time, head first */
    uint32_t n, cap;
} chain_memo;

struct chain_reader {
    pid_t pid;
    chain_layout L;
    uint32_t max;
    chain_memo memo[CHAIN_THREADS];
    uint64_t clock;
    uint8_t *batch;          /* copies of the speculative reads, span bytes each */
    uint8_t *ok;             /* per batch record: copied in full */
    uint32_t batch_cap;      /* in records */
    uint8_t *single;         /* records read one by one this walk */
    uint32_t single_cap;
    const uint8_t **records; /* max entries: the result */
    uint64_t *chain;         /* max entries: addresses walked */
    int32_t *from;           /* max entries: batch index, or -1 - index into single */
    struct iovec *local, *remote;  /* CALL_IOVS each */
    bool *full;                    /* CALL_IOVS: what one call copied whole */
    uint32_t *index;         /* prev address -> position + 1, open addressing */
    uint32_t index_cap;      /* power of two, >= 2 x the chain; 0 = none yet */
    uint64_t batched, singles;
};

chain_reader *chain_new(pid_t pid, const chain_layout *layout, uint32_t max_records) {
    if (layout->span == 0 || layout->span > CHAIN_MAX_SPAN || max_records == 0 ||
        layout->next < layout->lo || layout->next + 8 > layout->lo + layout->span ||
        layout->fixed < layout->lo || layout->fixed + 8 > layout->lo + layout->span ||
        layout->moving < layout->lo || layout->moving + 4 > layout->lo + layout->span ||
        (layout->live && (layout->live - 1 < layout->lo ||
                          layout->live > layout->lo + layout->span))) {
        errno = EINVAL;
        return NULL;
    }
    chain_reader *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->pid = pid;
    c->L = *layout;
    c->max = max_records;
    c->records = malloc(max_records * sizeof *c->records);
    c->chain = malloc(max_records * sizeof *c->chain);
    c->from = malloc(max_records * sizeof *c->from);
    c->local = malloc(CALL_IOVS * sizeof *c->local);
    c->remote = malloc(CALL_IOVS * sizeof *c->remote);
    c->full = malloc(CALL_IOVS * sizeof *c->full);
    if (!c->records || !c->chain || !c->from || !c->local || !c->remote || !c->full) {
        chain_free(c);
        errno = ENOMEM;
        return NULL;
    }
    return c;
}

void chain_free(chain_reader *c) {
    if (!c) return;
    for (int i = 0; i < CHAIN_THREADS; i++) free(c->memo[i].addrs);
    free(c->batch);
    free(c->ok);
    free(c->single);
    free(c->records);
    free(c->chain);
    free(c->from);
    free(c->index);
    free(c->local);
    free(c->remote);
    free(c->full);
    free(c);
}

void chain_stats(const chain_reader *c, uint64_t *batched, uint64_t *single) {
    *batched = c->batched;
    *single = c->singles;
}

static chain_memo *memo_for(chain_reader *c, uint64_t key) {
    chain_memo *oldest = &c->memo[0];
    for (int i = 0; i < CHAIN_THREADS; i++) {
        if (c->memo[i].key == key) return &c->memo[i];
        if (c->memo[i].used < oldest->used) oldest = &c->memo[i];
    }
    oldest->key = key;
    oldest->n = 0;
    return oldest;
}

static int grow(uint8_t **buf, uint32_t *cap, uint32_t need, size_t elem) {
    if (need <= *cap) return 0;
    uint32_t ncap = *cap ? *cap : 64;
    while (ncap < need) ncap *= 2;
    uint8_t *n = realloc(*buf, (size_t)ncap * elem);
    if (!n) return -1;
    *buf = n;
    *cap = ncap;
    return 0;
}

/* The segments (proc.h) of the call that copies pieces [first, first + k)
 * of a batch of m records, the check, and the caller's pieces (total in
 * all): the records may be copied in any order among themselves, and the
 * caller's pieces too, but the check only after every record and before
 * the caller's pieces. Returns how many segments. */
static size_t batch_segments(uint32_t first, uint32_t k, uint32_t m, uint32_t total,
                             gather_seg *seg) {
    const uint32_t ends[3] = {m + 1, m + 3, total};
    size_t nseg = 0, prev = 0;
    for (int s = 0; s < 3; s++) {
        size_t end = ends[s] <= first ? 0 : ends[s] - first > k ? k : ends[s] - first;
        if (end > prev) {
            seg[nseg++] = (gather_seg){end, s != 1};
            prev = end;
        }
    }
    return nseg;
}

/* Copies, in as few calls as the kernel allows and in this order: the head
 * and the m records of the last chain (in any order among themselves: the
 * check tells whether any changed), then the anchor and the head again (the
 * consistency check, valid only if it comes after everything the walk
 * uses), then the caller's extra pieces (in any order among themselves).
 * Sets ok[] per record and x->full[]; returns whether the tail check was
 * read. */
static bool read_batch(chain_reader *c, uint64_t head, uint64_t anchor, const uint64_t *prev,
                       uint32_t m, uint64_t *anchor_now, uint8_t *head_now,
                       const chain_extra *x) {
    const uint32_t span = c->L.span, nx = x ? x->n : 0, total = m + 3 + nx;
    bool tail = false;
    for (uint32_t first = 0; first < total;) {
        uint32_t k = total - first < CALL_IOVS ? total - first : CALL_IOVS;
        for (uint32_t j = 0; j < k; j++) {
            uint32_t i = first + j;
            void *dst;
            uint64_t src;
            size_t len = span;
            if (i < m + 1) {
                dst = c->batch + (size_t)i * span;
                src = (i == 0 ? head : prev[i - 1]) + c->L.lo;
            } else if (i == m + 1) {
                dst = anchor_now, src = anchor, len = 8;
            } else if (i == m + 2) {
                dst = head_now, src = head + c->L.lo;
            } else {
                c->local[j] = x->local[i - m - 3];
                c->remote[j] = x->remote[i - m - 3];
                continue;
            }
            c->local[j] = (struct iovec){dst, len};
            c->remote[j] = (struct iovec){(void *)(uintptr_t)src, len};
        }
        gather_seg seg[3];
        size_t nseg = batch_segments(first, k, m, total, seg);
        gather_read(c->pid, c->local, c->remote, k, seg, nseg, c->full);
        for (uint32_t j = 0; j < k; j++) {
            uint32_t i = first + j;
            if (i < m + 1) c->ok[i] = c->full[j];
            else if (i == m + 1) tail = c->full[j];
            else if (i == m + 2) tail = tail && c->full[j];
            else x->full[i - m - 3] = c->full[j];
        }
        first += k;
    }
    return tail;
}

static uint32_t slot_of(uint64_t addr, uint32_t cap) {
    return (uint32_t)((addr >> 3) * 0x9E3779B97F4A7C15ULL >> 32) & (cap - 1);
}

/* Index in prev[0..m) of addr: the position after the last match first
 * (the chain is as it was), else through a hash of prev built on the first
 * miss of a walk (the frames were reallocated in another order). *built
 * says whether the hash is current. -1 when absent or out of memory. */
static int64_t find_prev(chain_reader *c, const uint64_t *prev, uint32_t m, uint64_t addr,
                         int64_t hint, bool *built) {
    if (hint + 1 >= 0 && hint + 1 < (int64_t)m && prev[hint + 1] == addr) return hint + 1;
    if (!m) return -1;
    if (!*built) {
        uint32_t cap = 16;
        while (cap < 2 * m) cap *= 2;
        if (cap > c->index_cap) {
            uint32_t *ni = realloc(c->index, cap * sizeof *ni);
            if (!ni) return -1;
            c->index = ni;
            c->index_cap = cap;
        }
        memset(c->index, 0, c->index_cap * sizeof *c->index);
        for (uint32_t i = 0; i < m; i++) {
            uint32_t s = slot_of(prev[i], c->index_cap);
            while (c->index[s]) s = (s + 1) & (c->index_cap - 1);
            c->index[s] = i + 1;
        }
        *built = true;
    }
    for (uint32_t s = slot_of(addr, c->index_cap); c->index[s]; s = (s + 1) & (c->index_cap - 1))
        if (prev[c->index[s] - 1] == addr) return c->index[s] - 1;
    return -1;
}

static int remember(chain_memo *memo, const uint64_t *chain, uint32_t n) {
    if (n > memo->cap) {
        uint32_t ncap = memo->cap ? memo->cap : 32;
        while (ncap < n) ncap *= 2;
        uint64_t *a = realloc(memo->addrs, ncap * sizeof *a);
        if (!a) {
            memo->n = 0;
            return -1;
        }
        memo->addrs = a;
        memo->cap = ncap;
    }
    if (n) memcpy(memo->addrs, chain, n * sizeof *chain);   /* addrs is NULL until a first chain */
    memo->n = n;
    return 0;
}

/* A walk that is refused still remembers the addresses it followed: most of
 * them are the thread's chain a few microseconds later, so the caller's
 * retry copies them in its one batched read instead of one call per record.
 * A slow retry (a call per frame, 2 us each) would be torn again at
 * start-up, where the leaf changes every few microseconds. The addresses
 * are only a guess; the retry verifies every link as always. */
static int refuse(chain_memo *memo, const uint64_t *chain, uint32_t n) {
    remember(memo, chain, n);
    errno = EAGAIN;
    return -1;
}

/* Room in the batch for the head and the m records of the last chain. */
static int reserve_batch(chain_reader *c, uint32_t m) {
    if (m + 1 <= c->batch_cap) return 0;
    uint32_t cap = c->batch_cap;
    uint8_t *ok = realloc(c->ok, m + 1);
    if (ok) c->ok = ok;
    if (!ok || grow(&c->batch, &cap, m + 1, c->L.span)) {
        errno = ENOMEM;
        return -1;
    }
    c->batch_cap = m + 1;
    return 0;
}

/* Follows the links from head, through the batch's copies where it holds
 * the record and reading it alone where not, into chain[] and from[];
 * *count records. Clears *tail after a read of its own. 0, or -1 (refused,
 * or ENOMEM). */
static int walk(chain_reader *c, chain_memo *memo, const uint64_t *prev, uint32_t m,
                uint64_t head, bool *tail, uint32_t *count, chain_result *out) {
    const chain_layout *L = &c->L;
    const uint32_t span = L->span;
    uint32_t n = 0, nsingle = 0;
    bool built = false;
    int64_t at = m && prev[0] == head ? 0 : -1;  /* position of cur in prev */
    uint64_t cur = head;
    int32_t from = c->ok[0] ? 0 : -1;
    loopcheck seen = LOOPCHECK_INIT;
    for (;;) {
        const uint8_t *rec;
        if (from < 0) {
            /* Not in the batch: read it alone (a new part of the chain). */
            if (grow(&c->single, &c->single_cap, nsingle + 1, span)) {
                errno = ENOMEM;
                return -1;
            }
            uint8_t *dst = c->single + (size_t)nsingle * span;
            if (proc_read(c->pid, cur + L->lo, dst, span))
                return refuse(memo, c->chain, n);   /* freed under us: the chain changed */
            from = -1 - (int32_t)nsingle++;
            c->singles++;
            *tail = false;        /* the check must follow this read */
            rec = dst;
        } else {
            rec = c->batch + (size_t)from * span;
            c->batched++;
        }
        if (loopcheck_seen(&seen, cur)) return refuse(memo, c->chain, n);
        c->chain[n] = cur;
        c->from[n++] = from;
        uint64_t next = rd_u64(rec, L->next - L->lo);
        if (!next) break;
        if (n == c->max) {
            out->truncated = true;
            break;
        }
        if (!plausible(next)) return refuse(memo, c->chain, n);
        at = find_prev(c, prev, m, next, at, &built);
        cur = next;
        from = at >= 0 && c->ok[at + 1] ? (int32_t)(at + 1) : -1;
    }
    *count = n;
    return 0;
}

/* single[] may have moved while it grew: point at the records only now. */
static void point_records(chain_reader *c, uint32_t n) {
    const uint32_t span = c->L.span;
    for (uint32_t i = 0; i < n; i++)
        c->records[i] = c->from[i] >= 0 ? c->batch + (size_t)c->from[i] * span
                                        : c->single + (size_t)(-1 - c->from[i]) * span;
}

/* Whether the copy rec of a record says it is in use (chain_layout.live). */
static bool record_live(const chain_reader *c, const uint8_t *rec) {
    return rec[c->L.live - 1 - c->L.lo] == c->L.live_value;
}

/* The consistency check (chainread.h): head's link and fixed field are
 * those the walk started from, and the anchor still points at head or head
 * is still in use (live). Without the batch's tail read (it failed, or a
 * record was read after it), the anchor and head are read again now, after
 * every record. */
static bool unchanged(chain_reader *c, uint64_t anchor, uint64_t head, bool tail,
                      uint64_t *anchor_now, uint8_t *head_now, uint32_t n) {
    const chain_layout *L = &c->L;
    if (!tail) {
        struct iovec lo[2] = {{anchor_now, 8}, {head_now, L->span}};
        struct iovec ro[2] = {{(void *)(uintptr_t)anchor, 8},
                              {(void *)(uintptr_t)(head + L->lo), L->span}};
        if (proc_readv(c->pid, lo, ro, 2) != (ssize_t)(8 + L->span)) return false;
    }
    if (rd_u64(head_now, L->next - L->lo) != rd_u64(c->records[0], L->next - L->lo) ||
        rd_u64(head_now, L->fixed - L->lo) != rd_u64(c->records[0], L->fixed - L->lo))
        return false;
    if (*anchor_now == head) return true;
    /* The thread went on. Only a head still in use keeps the walk, and then
     * only if every record was in use when it was copied: the free lists
     * hand a returned frame's address out again at once, and a walk that
     * crossed one (its link cleared, or pointing into another call) would
     * otherwise end early or somewhere else. */
    if (!L->live || !record_live(c, head_now)) return false;
    for (uint32_t i = 0; i < n; i++)
        if (!record_live(c, c->records[i])) return false;
    return true;
}

int chain_read(chain_reader *c, uint64_t key, uint64_t anchor, uint64_t head,
               const chain_extra *extra, chain_result *out) {
    out->n = 0;
    out->truncated = out->head_moved = false;
    out->singles = 0;
    out->records = c->records;
    if (extra) memset(extra->full, 0, extra->n * sizeof *extra->full);
    if (extra && extra->n > CHAIN_MAX_EXTRA) extra = NULL;   /* a caller's bug: none read */
    if (!plausible(head) || !plausible(anchor)) {
        errno = EFAULT;
        return -1;
    }
    chain_memo *memo = memo_for(c, key);
    memo->used = ++c->clock;
    const uint64_t *prev = memo->addrs;
    uint32_t m = memo->n < c->max ? memo->n : c->max;
    if (reserve_batch(c, m)) return -1;
    uint64_t anchor_now = 0;
    uint8_t head_now[CHAIN_MAX_SPAN];
    bool tail = read_batch(c, head, anchor, prev, m, &anchor_now, head_now, extra);
    uint32_t n = 0;
    uint64_t singles0 = c->singles;
    int walked = walk(c, memo, prev, m, head, &tail, &n, out);
    out->singles = (uint32_t)(c->singles - singles0);
    if (walked) return -1;
    /* A record read on its own came after the extra pieces: they were not
     * copied after every record. */
    if (extra && !tail) memset(extra->full, 0, extra->n * sizeof *extra->full);
    point_records(c, n);
    if (!unchanged(c, anchor, head, tail, &anchor_now, head_now, n))
        return refuse(memo, c->chain, n);
    /* The last record is where the thread's chain starts, and it runs: one
     * that does not (a generator that yielded, its link cleared) was reached
     * through a record that changed under the walk, and its callers are
     * missing. (A walk cut at max_records ends anywhere.) */
    if (c->L.live && n && !out->truncated && !record_live(c, c->records[n - 1]))
        return refuse(memo, c->chain, n);
    remember(memo, c->chain, n);
    /* The same head record (the check above), copied twice at different
     * moments: only its owner changes its moving field. */
    uint32_t mv = c->L.moving - c->L.lo;
    out->head_moved = rd_u32(head_now, mv) != rd_u32(c->records[0], mv);
    out->n = n;
    return 0;
}
