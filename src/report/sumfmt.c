/* sumfmt.c -- text building blocks of the summary writers. See sumfmt.h. */
#include "sumfmt.h"

#include "md.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- Markdown escaping ---- */

/* Inline code span by md.h's rule, so no name leaves its span or cell;
 * built apart and moved whole, so a budget never cuts a span. */
static bool md_span(sbuf *b, const char *name, size_t max, bool in_table) {
    sbuf c;
    sbuf_init(&c, SBUF_NO_LIMIT);
    bool ok = md_code_span(&c, name, max, in_table);
    ok = sbuf_take(b, &c) && ok;
    sbuf_free(&c);
    return ok;
}

bool md_code(sbuf *b, const char *name, size_t max) {
    return md_span(b, name, max, false);
}

bool md_code_cell(sbuf *b, const char *name, size_t max) {
    return md_span(b, name, max, true);
}

/* Plain text with the Markdown-active ASCII punctuation backslash-escaped
 * (CommonMark allows escaping any of it), so names can't open code, links,
 * emphasis, strikethrough, entities or HTML, or split a table cell.
 * Parentheses and '!' need no escape once '[' and ']' are escaped. */
bool md_text_clean(sbuf *b, const char *s) {
    bool ok = true;
    for (; ok && *s; s++) {
        if (strchr("\\`*_[]<>|#~&", *s)) ok = sbuf_putn(b, "\\", 1);
        ok = ok && sbuf_putn(b, s, 1);
    }
    return ok;
}

bool md_text(sbuf *b, const char *s, size_t max, bool keep_tail) {
    sbuf c;
    sbuf_init(&c, SBUF_NO_LIMIT);
    utf8_display(&c, s, max, keep_tail);
    bool ok = md_text_clean(b, sbuf_str(&c));
    if (c.oom) b->oom = true;
    sbuf_free(&c);
    return ok;
}

/* Percent-encoding for a path in a URL: unreserved characters and '/' stay. */
bool url_path(sbuf *b, const char *s) {
    bool ok = true;
    for (const unsigned char *u = (const unsigned char *)s; ok && *u; u++) {
        if ((*u >= 'A' && *u <= 'Z') || (*u >= 'a' && *u <= 'z') || (*u >= '0' && *u <= '9') ||
            strchr("-._~/", *u))
            ok = sbuf_putn(b, (const char *)u, 1);
        else
            ok = sbuf_printf(b, "%%%02X", *u);
    }
    return ok;
}

/* ---- number formatting ---- */

/* 95% Wilson score interval for the proportion k/n, in percent, from
 * n / deff draws: deff is the profile's design effect (prof_design_effect;
 * 1 when each sample stood for one tick). */
void wilson(uint64_t k, uint64_t n, double deff, double *lo, double *hi) {
    if (n == 0) {
        *lo = *hi = 0;
        return;
    }
    const double z = 1.959963984540054;
    double nn = (double)n / (deff > 1 ? deff : 1), p = (double)k / (double)n, z2 = z * z;
    double denom = 1 + z2 / nn;
    double centre = (p + z2 / (2 * nn)) / denom;
    double half = z * sqrt(p * (1 - p) / nn + z2 / (4 * nn * nn)) / denom;
    *lo = fmax(0.0, centre - half) * 100;
    *hi = fmin(1.0, centre + half) * 100;
}

const char *plural(uint64_t n, const char *one, const char *many) {
    return n == 1 ? one : many;
}
