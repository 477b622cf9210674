/* gather.h -- reading many scattered pieces of another process's memory
 * at once: pieces that share a page are one read (proc.h reads one piece
 * or a fixed list; this is the batched read every stack reader uses).
 */
#ifndef CSPROF_GATHER_H
#define CSPROF_GATHER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <sys/uio.h>

/* Like proc_readv, but read in segments, in order: pieces [0, seg[0].end),
 * then [seg[0].end, seg[1].end), ... (seg[nseg - 1].end == n). The pieces
 * of a segment with merge set may be read in any order among themselves,
 * and those that share a page or lie close together are read as one
 * (every piece costs the kernel a lock, a page-table walk and a pin of
 * each of its pages, about as much as copying a few KB); the pieces of a
 * segment without merge are read as they are, in their place (callers rely
 * on what is copied after what). Returns how many reads that left. Sets
 * full[i] for every i in [0, n) whose piece was copied whole; as with
 * proc_readv, a piece that faults ends the read, here in the order the
 * pieces were read. n is at most GATHER_MAX. Not reentrant (one
 * sampler thread uses it). */
#define GATHER_MAX 1024
typedef struct {
    size_t end;
    bool merge;
} gather_seg;
size_t gather_read(pid_t pid, const struct iovec *local, const struct iovec *remote, size_t n,
                   const gather_seg *seg, size_t nseg, bool *full);

#endif
