/* sbuf.h -- a growable string buffer with an optional byte limit.
 *
 * One string builder for every writer that composes text in memory.
 * Promises:
 *  - The content is always NUL-terminated once anything was appended
 *    (sbuf_str returns "" for an empty buffer, never NULL).
 *  - An append that would pass the limit is refused whole (returns false,
 *    sets `full`) so a budgeted section never ends in half a row.
 *  - Allocation failure is sticky and honest: `oom` is set, every later
 *    append returns false, and nothing already written is lost.
 *  - No silent truncation: sbuf_printf formats the whole result.
 */
#ifndef CSPROF_SBUF_H
#define CSPROF_SBUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct {
    char *s;
    size_t len, cap;
    size_t limit;   /* most bytes of content allowed (SBUF_NO_LIMIT: none) */
    bool oom;       /* an allocation failed: content is incomplete */
    bool full;      /* an append was refused because of the limit */
} sbuf;

#define SBUF_NO_LIMIT ((size_t)-1)

void sbuf_init(sbuf *b, size_t limit);
bool sbuf_putn(sbuf *b, const char *s, size_t n);
bool sbuf_puts(sbuf *b, const char *s);
bool sbuf_putc(sbuf *b, char c);
__attribute__((format(printf, 2, 3))) bool sbuf_printf(sbuf *b, const char *fmt, ...);
bool sbuf_vprintf(sbuf *b, const char *fmt, va_list ap);
/* Moves all of src onto dst if it fits, and empties src either way
 * (src's oom carries over to dst). */
bool sbuf_take(sbuf *dst, sbuf *src);
const char *sbuf_str(const sbuf *b);
/* Empties the buffer, keeping its memory, limit and flags cleared. */
void sbuf_reset(sbuf *b);
/* Hands the malloc'd string to the caller (NULL after an OOM, else never
 * NULL) and leaves the buffer empty. */
char *sbuf_detach(sbuf *b, size_t *len);
void sbuf_free(sbuf *b);

#endif
