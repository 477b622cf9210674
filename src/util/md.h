/* md.h -- putting untrusted text into GitHub-flavoured Markdown.
 *
 * Function names and paths come from the profiled program and may hold
 * anything: backticks, '|', HTML, link syntax, newlines, invalid UTF-8.
 * These are the only ways csprof puts such text into Markdown, and whatever
 * the text holds it stays inside its code span, its table cell and its
 * line, and shows as the same characters (cleaned and cut as utf8_display
 * does).
 */
#ifndef CSPROF_MD_H
#define CSPROF_MD_H

#include <stdbool.h>
#include <stddef.h>

#include "sbuf.h"

/* An inline code span. The fence is one backtick longer than the longest
 * run of backticks inside, with a space inside each end when the text
 * holds a backtick or starts or ends with a space (CommonMark strips
 * exactly one).
 * in_table: '|' is written as "\|", which GFM requires inside a table cell
 * even within code (and shows as '|'). max_cp: cut to this many characters
 * with "…" (0: no limit). NULL or "" shows as "?". */
bool md_code_span(sbuf *b, const char *s, size_t max_cp, bool in_table);

/* Plain text with every Markdown-active ASCII character backslash-escaped
 * (CommonMark allows escaping any ASCII punctuation), so the text cannot
 * open code, emphasis, links, images, HTML, entities or headings, split a
 * table cell, or form a URL autolink. (GFM still links a bare e-mail
 * address; no escape prevents that.) keep_tail as in utf8_display. */
bool md_plain(sbuf *b, const char *s, size_t max_cp, bool keep_tail);

#endif
