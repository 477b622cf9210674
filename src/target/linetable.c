/* linetable.c -- bytecode offset -> source line for CPython 3.8 .. 3.15.
 *
 * The bytes come from another process and may be torn or garbage, so every
 * decoder reads only inside [table, table + len), keeps line arithmetic in
 * 64 bits with a bound checked at each step (no signed overflow whatever the
 * table says), and reports anything it cannot make sense of as -1 instead of
 * guessing. A decoder stops as soon as the answer is known: bytes past the
 * entry that covers the offset are never looked at.
 */
#include "linetable.h"

#include <limits.h>

/* Larger than any real line number, small enough that adding one more
 * decoded delta (at most 2^35 in magnitude) cannot overflow int64_t. */
#define LINE_BOUND ((int64_t)1 << 40)

static int line_ok(int64_t line) {
    return line > -LINE_BOUND && line < LINE_BOUND;
}

/* A finished line. Real lines start at 1; line 0 is what 3.11+ compilers
 * give the module prologue (RESUME sits "before" line 1), which is no source
 * line, so it reads as 0. Below 0 or past INT_MAX the table and
 * co_firstlineno do not belong together. */
static int line_result(int64_t line) {
    if (line < 0 || line > INT_MAX)
        return -1;
    return (int)line;
}

/* ---- 3.8, 3.9: co_lnotab ---------------------------------------------
 * Pairs of (unsigned address increment, signed line increment). The line
 * increment applies from the new address on, so the line at `offset` is the
 * sum of every line increment whose pair's cumulative address is <= offset.
 * The table says nothing about where co_code ends, so offsets past its last
 * pair belong to its last line. */
static int lnotab_line(const uint8_t *t, size_t len, int first_line, int offset) {
    int64_t line = first_line;
    int64_t addr = 0;
    size_t i = 0;
    for (; i + 1 < len; i += 2) {
        addr += t[i];
        if (addr > offset)
            return line_result(line);
        line += (int8_t)t[i + 1];
        if (!line_ok(line))
            return -1;
    }
    if (i != len) /* odd length: a pair was cut in half */
        return -1;
    return line_result(line);
}

/* ---- 3.10: PEP 626 co_linetable ---------------------------------------
 * Pairs of (unsigned byte length of this range, signed line delta). The
 * range starts where the previous one ended; a delta of -128 marks a range
 * without a line and leaves the running line untouched. Zero-length ranges
 * only carry line deltas too big for one byte. */
static int linetable310_line(const uint8_t *t, size_t len, int first_line, int offset) {
    int64_t line = first_line;
    int64_t end = 0;
    for (size_t i = 0; i + 1 < len; i += 2) {
        int8_t ldelta = (int8_t)t[i + 1];
        int has_line = ldelta != -128;
        if (has_line) {
            line += ldelta;
            if (!line_ok(line))
                return -1;
        }
        end += t[i];
        if (offset < end)
            return has_line ? line_result(line) : 0;
    }
    return -1; /* past the last range, or a truncated pair */
}

/* ---- 3.11+: the location table ----------------------------------------
 * Entries start with a byte 1CCCCLLL: code C, length L+1 code units. The
 * bytes that follow have bit 7 clear; seeing bit 7 set inside an entry
 * means the table is not a location table. */
enum {
    LOC_SHORT_LAST = 9,   /* 0..9: short form, same line, one extra byte */
    LOC_ONE_LINE0 = 10,   /* 10..12: line += code - 10, two column bytes */
    LOC_ONE_LINE2 = 12,
    LOC_NO_COLUMNS = 13,  /* svarint line delta */
    LOC_LONG = 14,        /* svarint line delta, three varints */
    LOC_NONE = 15,        /* no location; running line unchanged */
};

struct cursor {
    const uint8_t *p;
    const uint8_t *end;
};

/* One byte belonging to the current entry (bit 7 clear). */
static int take_inner(struct cursor *c, unsigned *out) {
    if (c->p >= c->end || (*c->p & 0x80))
        return 0;
    *out = *c->p++;
    return 1;
}

/* 6-bit chunks, least significant first, bit 6 = more follow. Six chunks
 * (36 bits) is already far beyond any line or column CPython writes; a
 * longer run is garbage, and refusing it keeps every shift defined. */
static int take_varint(struct cursor *c, uint64_t *out) {
    uint64_t v = 0;
    for (unsigned shift = 0; shift <= 30; shift += 6) {
        unsigned b;
        if (!take_inner(c, &b))
            return 0;
        v |= (uint64_t)(b & 0x3f) << shift;
        if (!(b & 0x40)) {
            *out = v;
            return 1;
        }
    }
    return 0;
}

/* Zigzag-style: the low bit is the sign, the rest the magnitude. */
static int take_svarint(struct cursor *c, int64_t *out) {
    uint64_t u;
    if (!take_varint(c, &u))
        return 0;
    int64_t mag = (int64_t)(u >> 1);
    *out = (u & 1) ? -mag : mag;
    return 1;
}

/* Decode the body of one entry with code `code`; apply its line delta to
 * *line; set *has_line. Returns 0 on a malformed body. */
static int loc_entry_body(struct cursor *c, unsigned code, int64_t *line, int *has_line) {
    unsigned b;
    uint64_t skip;
    int64_t delta;
    *has_line = 1;
    if (code <= LOC_SHORT_LAST)
        return take_inner(c, &b);
    if (code <= LOC_ONE_LINE2) {
        *line += code - LOC_ONE_LINE0;
        return take_inner(c, &b) && take_inner(c, &b);
    }
    if (code == LOC_NO_COLUMNS) {
        if (!take_svarint(c, &delta))
            return 0;
        *line += delta;
        return 1;
    }
    if (code == LOC_LONG) {
        if (!take_svarint(c, &delta))
            return 0;
        *line += delta;
        /* end line delta, start column + 1, end column + 1: not needed,
         * but they must be well formed to find the next entry. */
        return take_varint(c, &skip) && take_varint(c, &skip) && take_varint(c, &skip);
    }
    *has_line = 0; /* LOC_NONE */
    return 1;
}

static int loctable_line(const uint8_t *t, size_t len, int first_line, int offset) {
    if (offset & 1) /* byte offsets into code units are even */
        return -1;
    int64_t unit = offset / 2;
    int64_t line = first_line;
    int64_t end = 0;
    struct cursor c = {t, t + len};
    while (c.p < c.end) {
        uint8_t head = *c.p++;
        if (!(head & 0x80))
            return -1;
        unsigned code = (head >> 3) & 0x0f;
        int has_line;
        if (!loc_entry_body(&c, code, &line, &has_line) || !line_ok(line))
            return -1;
        end += (head & 7) + 1;
        if (unit < end)
            return has_line ? line_result(line) : 0;
    }
    return -1; /* past the last entry */
}

int linetable_line(int py_minor, const uint8_t *table, size_t len, int first_line,
                   int offset) {
    if (offset < 0 || (len > 0 && !table))
        return -1;
    if (py_minor == 8 || py_minor == 9)
        return lnotab_line(table, len, first_line, offset);
    if (py_minor == 10)
        return linetable310_line(table, len, first_line, offset);
    if (py_minor >= 11 && py_minor <= 15)
        return loctable_line(table, len, first_line, offset);
    return -1;
}
