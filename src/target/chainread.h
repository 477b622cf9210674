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
 * Every record of a live chain stays unchanged while its head is still the
 * thread's current record, so after the last record is copied the anchor
 * (the thread state's pointer to its head) and the head record itself are
 * read again: if either changed, the walk may have crossed a torn chain and
 * is refused (the caller retries once, then drops and counts the sample).
 */
#ifndef CSPROF_CHAINREAD_H
#define CSPROF_CHAINREAD_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct chain_reader chain_reader;

typedef struct {
    uint32_t lo, span;       /* bytes [lo, lo + span) of each record are copied */
    uint32_t next;           /* offset of the link to the next record (absolute, >= lo) */
    uint32_t fixed;          /* offset of another 8 bytes that never change while the
                              * record is in use (a frame's code object) */
} chain_layout;

/* span must be at most CHAIN_MAX_SPAN; max_records bounds every walk. */
#define CHAIN_MAX_SPAN 512   /* a 3.8-3.10 frame up to its first local (naming imports) */

chain_reader *chain_new(pid_t pid, const chain_layout *layout, uint32_t max_records);
void chain_free(chain_reader *c);

typedef struct {
    uint32_t n;              /* records read, head first */
    bool truncated;          /* longer than max_records: the rest was not read */
    /* copies of bytes [lo, lo + span) of each record; valid until the next call */
    const uint8_t *const *records;
} chain_result;

/* Reads the chain that starts at head, for the thread identified by key
 * (e.g. its thread state's address), where *anchor (8 bytes in the target)
 * held head when the walk started. Returns 0, or -1 when a record was
 * unreadable or the chain changed while it was read (errno EAGAIN), or on
 * out of memory (ENOMEM). */
int chain_read(chain_reader *c, uint64_t key, uint64_t anchor, uint64_t head, chain_result *out);

/* Counters for benchmarks and tests: records served from the speculative
 * batch, and read one by one. */
void chain_stats(const chain_reader *c, uint64_t *batched, uint64_t *single);

#endif
