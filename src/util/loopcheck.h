/* loopcheck.h -- whether a walk along links has come back to a place it
 * passed: links read from a process that runs on (a record freed under
 * the walk holds malloc's free-list pointers, read as links) can loop,
 * where no live list does. Without the check such a walk runs to its bound
 * (thousands of reads) and may keep what it met as a stack.
 *
 * Brent's method: the address is compared with one mark, moved to the
 * current address after 1, 2, 4, 8... steps, so a loop is seen within
 * three times its length plus its lead (the steps before it), at one
 * comparison a step and no memory.
 *
 *     loopcheck lc = LOOPCHECK_INIT;
 *     for (a = first; a; a = next(a)) if (loopcheck_seen(&lc, a)) ...torn...
 */
#ifndef CSPROF_LOOPCHECK_H
#define CSPROF_LOOPCHECK_H

#include <stdbool.h>
#include <stdint.h>

typedef struct {
    uint64_t mark;    /* 0: none yet (0 is never an address walked) */
    uint32_t lap, since;
} loopcheck;

#define LOOPCHECK_INIT {0, 1, 0}

/* True when addr was reached before in this walk. Call once per address
 * visited, the first included. */
static inline bool loopcheck_seen(loopcheck *c, uint64_t addr) {
    if (addr == c->mark) return true;
    if (++c->since == c->lap) {
        c->mark = addr;
        c->lap *= 2;
        c->since = 0;
    }
    return false;
}

#endif
