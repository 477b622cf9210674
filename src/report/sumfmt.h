/* sumfmt.h -- text building blocks of the summary writers (Markdown and
 * plain text): Markdown pieces that go into a budgeted sbuf whole or not at
 * all, and the numbers every summary shows.
 *
 * Names from the target are cleaned for display by utf8_display (utf8.h)
 * and built into sbufs (sbuf.h), the builder every writer shares: an append
 * that would pass a buffer's limit is refused whole, so a caller can render
 * a row, see that it does not fit, and count it instead.
 */
#ifndef CSPROF_SUMFMT_H
#define CSPROF_SUMFMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "numfmt.h"   /* fmt_secs, fmt_count, share: one duration, count and share format */
#include "sbuf.h"
#include "utf8.h"     /* utf8_display: a name cleaned and cut for display */

/* Markdown: inline code (in_table escapes '|'), escaped plain text, and a
 * percent-encoded URL path. Each code span is appended whole or not at all. */
bool md_code(sbuf *b, const char *name, size_t max);
bool md_code_cell(sbuf *b, const char *name, size_t max);
bool md_text_clean(sbuf *b, const char *s);
bool md_text(sbuf *b, const char *s, size_t max, bool keep_tail);
bool url_path(sbuf *b, const char *s);

/* 95% Wilson score interval for k/n, in percent. */
void wilson(uint64_t k, uint64_t n, double deff, double *lo, double *hi);
/* "1 thread", "2 threads": n and the word, plural unless n is 1. */
const char *plural(uint64_t n, const char *one, const char *many);

#endif
