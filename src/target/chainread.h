/* chainread.h -- reads a linked list of records (the PyFrameObject chain of
 * CPython 3.8-3.10) out of a running process, consistently and cheaply.
 *
 * Cheap: the chain a thread had at its last sample is usually mostly still
 * there, so every record at the addresses found last time is read in one
 * process_vm_readv together with the head; the walk follows the links
 * through those copies and reads a record on its own only where the chain
 * changed (a missing address, or a record whose copy failed).
 *
 * Consistent: the target runs on while we read, and a record freed under us
 * is soon reused, with a link that leads into another chain or a free list.
 * Every record of a live chain stays unchanged while its head is still in
 * use, so after the last record is copied the anchor (the thread state's
 * pointer to its head) and the head record itself are read again: the head's
 * link and fixed field must be unchanged, and the head must still be the
 * anchor's record or, where the layout says how to tell (live), still in
 * use: a thread that called deeper meanwhile (code that calls every
 * microsecond always has by then) leaves the chain below it as it was, and
 * the walk is the stack it had when the anchor was read. The last record
 * must be in use too (a chain ends at the thread's first frame, not at a
 * generator's that yielded). Otherwise the walk may have crossed a torn
 * chain and is refused (the caller retries, then drops and counts the
 * sample).
 */
#ifndef CSPROF_CHAINREAD_H
#define CSPROF_CHAINREAD_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

typedef struct chain_reader chain_reader;

typedef struct {
    uint32_t lo, span;       /* bytes [lo, lo + span) of each record are copied */
    uint32_t next;           /* offset of the link to the next record (absolute, >= lo) */
    uint32_t fixed;          /* offset of another 8 bytes that never change while the
                              * record is in use (a frame's code object) */
    uint32_t moving;         /* offset of 4 bytes that change as the record's owner runs
                              * (a frame's instruction index): chain_result.head_moved */
    uint32_t live;           /* offset + 1 of a byte that holds live_value while the record
                              * is in use (a frame that has not returned: 3.10's f_state,
                              * 3.8/3.9's f_executing); 0 = none */
    uint8_t live_value;
} chain_layout;

/* span must be at most CHAIN_MAX_SPAN; max_records bounds every walk. */
#define CHAIN_MAX_SPAN 512   /* a 3.8-3.10 frame up to its first local (naming imports) */

chain_reader *chain_new(pid_t pid, const chain_layout *layout, uint32_t max_records);
void chain_free(chain_reader *c);

typedef struct {
    uint32_t n;              /* records read, head first */
    bool truncated;          /* longer than max_records: the rest was not read */
    /* The head's moving field differed between its first copy and the
     * check's copy, which follows every other record: whoever owns the
     * chain (the thread whose frames they are) ran during the read. */
    bool head_moved;
    uint32_t singles;        /* records read on their own, not from the batch */
    /* copies of bytes [lo, lo + span) of each record; valid until the next call */
    const uint8_t *const *records;
} chain_result;

/* Pieces a caller adds to the end of the batched read, after every record
 * of the last chain and the check: what the records point to, to be
 * checked once they are read (a frame's code object). chain_read sets
 * full[i] when piece i was copied whole after every record the walk used;
 * all false when the walk read a record on its own after the batch. */
typedef struct {
    const struct iovec *local, *remote;
    uint32_t n;              /* at most CHAIN_MAX_EXTRA */
    bool *full;
} chain_extra;
#define CHAIN_MAX_EXTRA 160

/* Reads the chain that starts at head, for the thread identified by key
 * (e.g. its thread state's address), where *anchor (8 bytes in the target)
 * held head when the walk started; extra may be NULL. Returns 0, or -1 when
 * a record was unreadable or the chain changed while it was read (errno
 * EAGAIN), or on out of memory (ENOMEM). */
int chain_read(chain_reader *c, uint64_t key, uint64_t anchor, uint64_t head,
               const chain_extra *extra, chain_result *out);

/* Counters for benchmarks and tests: records served from the speculative
 * batch, and read one by one. */
void chain_stats(const chain_reader *c, uint64_t *batched, uint64_t *single);

#endif
