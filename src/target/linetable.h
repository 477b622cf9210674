/* linetable.h -- bytecode offset -> source line, for every CPython layout.
 *
 *   3.8, 3.9   co_lnotab: (byte delta, signed line delta) pairs
 *   3.10       co_linetable: (byte delta, signed line delta), -128 = no line
 *   3.11+      co_linetable: the location table (varint entries in code units)
 *
 * Pure functions over bytes copied out of the target, so every length is
 * untrusted: decoding is bounded by len and never reads past it.
 */
#ifndef CSPROF_LINETABLE_H
#define CSPROF_LINETABLE_H

#include <stddef.h>
#include <stdint.h>

/* Line executing at byte offset `offset` into co_code (for 3.11+, into the
 * code units: offset = 2 * instruction index). py_minor is 8..15.
 * Returns the line (>= 1), 0 when the instruction has no line, or -1 when
 * the table is malformed or the offset lies outside it. */
int linetable_line(int py_minor, const uint8_t *table, size_t len, int first_line,
                   int offset);

#endif
