/* utf8.h -- checking, cutting and cleaning UTF-8 text from untrusted sources.
 *
 * Names and paths read from a target or a profile may hold any bytes. Every
 * writer that cuts or shows them uses these, so no output ever holds half a
 * character or an invalid byte.
 * Well-formed means RFC 3629: no overlong forms, no surrogates, nothing past
 * U+10FFFF, no truncated sequence.
 */
#ifndef CSPROF_UTF8_H
#define CSPROF_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sbuf.h"

#define UTF8_REPLACEMENT "\xEF\xBF\xBD"  /* U+FFFD */
#define UTF8_ELLIPSIS "\xE2\x80\xA6"     /* U+2026 */

/* Length (1-4) of the well-formed sequence at s (n bytes available, n > 0),
 * storing its code point in *cp when cp is not NULL; 0 when not well-formed. */
size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp);

bool utf8_valid(const char *s, size_t n);

/* The length of the longest prefix of s[0..n) that is at most max bytes and
 * does not split a well-formed sequence (an invalid byte counts alone). */
size_t utf8_cut(const char *s, size_t n, size_t max);

/* n less the bytes of a sequence cut short at the end of s[0..n) (what a
 * byte-bounded copy such as snprintf leaves): the length to keep. */
size_t utf8_trim_partial(const char *s, size_t n);

/* Appends s[0..n) with each byte that is not part of a well-formed
 * sequence replaced by U+FFFD. */
bool utf8_sanitize(sbuf *out, const char *s, size_t n);

/* Appends s (NUL-terminated, NULL = "") for display: sanitized, control
 * characters (C0, DEL, C1) shown as a space so a name cannot move a cursor
 * or end a line, and, when it has more than max_cp characters, cut to
 * max_cp - 1 of them plus "…" (keep_tail keeps the end: "…" + tail, for
 * paths whose file name matters most). max_cp 0 means no limit. */
bool utf8_display(sbuf *out, const char *s, size_t max_cp, bool keep_tail);

/* Characters in s[0..n) (each invalid byte counts as one). */
size_t utf8_count(const char *s, size_t n);

#endif
