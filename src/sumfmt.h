/* sumfmt.h -- text building blocks of the summary writers (Markdown and
 * plain text): a string with a byte limit, cleaning of untrusted names for
 * display, Markdown escaping, and number formatting.
 *
 * Promises:
 *  - A str never grows past its limit: an append that would is refused
 *    whole (returns false) and the string is left as it was, so a caller
 *    can render a row, see that it does not fit, and count it instead.
 *  - Allocation failure sets oom and makes every later append fail; it is
 *    reported by whoever writes the result, never by abort().
 *  - clean() output is valid UTF-8 without control characters, so a name
 *    from the target can neither break a table row nor move a cursor.
 */
#ifndef CSPROF_SUMFMT_H
#define CSPROF_SUMFMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    char *s;
    size_t len, cap, limit;
    bool oom;
} str;

void s_init(str *b, size_t limit);
bool s_putn(str *b, const char *s, size_t n);
bool s_puts(str *b, const char *s);
bool s_printf(str *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Moves all of src onto dst if it fits, and empties src either way. */
bool s_take(str *dst, str *src);
void s_free(str *b);
const char *s_str(const str *b);

/* Code points in a clean, valid UTF-8 string: the text output's width. */
size_t width_of(const char *s);
/* A cleaned copy for display: control characters become spaces, invalid
 * bytes U+FFFD, and anything past max code points is cut with an ellipsis
 * (keep_tail keeps the end instead: for paths, the file name matters most). */
void clean(const char *in, size_t max, bool keep_tail, str *out);

/* Markdown: inline code (in_table escapes '|'), escaped plain text, and a
 * percent-encoded URL path. */
bool md_code(str *b, const char *name, size_t max);
bool md_code_cell(str *b, const char *name, size_t max);
bool md_text_clean(str *b, const char *s);
bool md_text(str *b, const char *s, size_t max, bool keep_tail);
bool url_path(str *b, const char *s);

/* "1,234,567" */
void fmt_count(uint64_t n, char *out, size_t len);
/* "0.050 s", "2.50 s", "12.3 s", "123 s" (the profile reports' fixed unit) */
void fmt_secs(double s, char *out, size_t len);
/* "250 ms", "1.25 s", "123 s": a duration for a sentence or a summary cell
 * (job summary, verdict, trend) */
void fmt_duration(double s, char *out, size_t len);
/* part of whole in percent, 0 when whole is 0 */
double share(uint64_t part, uint64_t whole);
/* 95% Wilson score interval for k/n, in percent. */
void wilson(uint64_t k, uint64_t n, double *lo, double *hi);
/* "1 thread", "2 threads": n and the word, plural unless n is 1. */
const char *plural(uint64_t n, const char *one, const char *many);

#endif
