/* sumfmt.c -- text building blocks of the summary writers. See sumfmt.h. */
#include "sumfmt.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- strings with a byte limit ---- */

void s_init(str *b, size_t limit) { *b = (str){.limit = limit}; }

/* Appends unless that would pass the limit; returns false when refused. */
bool s_putn(str *b, const char *s, size_t n) {
    if (b->oom) return false;
    if (b->len + n > b->limit) return false;
    if (b->len + n + 1 > b->cap) {
        size_t nc = b->cap ? b->cap : 256;
        while (nc < b->len + n + 1) nc *= 2;
        char *ns = realloc(b->s, nc);
        if (!ns) {
            b->oom = true;
            return false;
        }
        b->s = ns;
        b->cap = nc;
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
    return true;
}

bool s_puts(str *b, const char *s) { return s_putn(b, s, strlen(s)); }

bool s_printf(str *b, const char *fmt, ...) {
    char tmp[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0) return false;
    return s_putn(b, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

/* Moves all of src onto dst if it fits, and empties src either way. */
bool s_take(str *dst, str *src) {
    bool ok = src->len == 0 || s_putn(dst, src->s, src->len);
    if (src->oom) dst->oom = true;
    src->len = 0;
    if (src->s) src->s[0] = '\0';
    return ok;
}

void s_free(str *b) {
    free(b->s);
    b->s = NULL;
    b->len = b->cap = 0;
}

const char *s_str(const str *b) { return b->s ? b->s : ""; }

/* ---- UTF-8 ---- */

/* Length of the valid UTF-8 sequence at u, or 0 if invalid. */
static int utf8_len(const unsigned char *u) {
    unsigned char c = u[0];
    if (c < 0x80) return 1;
    int len = (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (!len) return 0;
    uint32_t cp = c & (0x7F >> len);
    for (int k = 1; k < len; k++) {
        if ((u[k] & 0xC0) != 0x80) return 0;
        cp = cp << 6 | (u[k] & 0x3F);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
        (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return len;
}

/* Code points in a (clean, valid UTF-8) string: the text output's width. */
size_t width_of(const char *s) {
    size_t w = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80) w++;
    return w;
}

/* A cleaned copy for display: control characters become spaces (a name must
 * not move the terminal's cursor or break a table row), invalid bytes
 * U+FFFD, and anything past max code points is cut. keep_tail keeps the end
 * instead (paths: the file name matters most). */
void clean(const char *in, size_t max, bool keep_tail, str *out) {
    str tmp;
    s_init(&tmp, (size_t)-1);
    const unsigned char *u = (const unsigned char *)(in ? in : "");
    size_t cps = 0;
    while (*u) {
        int n = utf8_len(u);
        if (n == 0) {
            s_puts(&tmp, "\xEF\xBF\xBD");
            u++;
        } else if (n == 1 && (*u < 0x20 || *u == 0x7f)) {
            s_putn(&tmp, " ", 1);
            u++;
        } else {
            s_putn(&tmp, (const char *)u, (size_t)n);
            u += n;
        }
        cps++;
    }
    const char *s = s_str(&tmp);
    if (cps <= max) {
        s_puts(out, s);
    } else if (keep_tail) {
        /* skip cps - (max - 1) code points, then "…" + the rest */
        size_t skip = cps - (max - 1);
        const char *p = s;
        while (skip) {
            p++;
            if (((unsigned char)*p & 0xC0) != 0x80) skip--;
        }
        s_puts(out, "\xE2\x80\xA6");
        s_puts(out, p);
    } else {
        const char *p = s;
        for (size_t k = 0; k < max - 1; k++) {
            p++;
            while (((unsigned char)*p & 0xC0) == 0x80) p++;
        }
        s_putn(out, s, (size_t)(p - s));
        s_puts(out, "\xE2\x80\xA6");
    }
    if (tmp.oom) out->oom = true;
    s_free(&tmp);
}

/* ---- Markdown escaping ---- */

/* Inline code span: the fence is one backtick longer than the longest run
 * inside. In a table cell '|' is escaped, because GFM splits cells on it
 * even inside code (and shows the escaped pipe as '|'); elsewhere a
 * backslash in code would show, so it stays as it is. */
static bool md_code_span(str *b, const char *name, size_t max, bool in_table) {
    str c;
    s_init(&c, (size_t)-1);
    clean(name && *name ? name : "?", max, false, &c);
    const char *s = s_str(&c);
    size_t run = 0, longest = 0;
    for (const char *p = s; *p; p++) {
        run = *p == '`' ? run + 1 : 0;
        if (run > longest) longest = run;
    }
    char fence[8];
    size_t nf = longest + 1 < sizeof fence ? longest + 1 : sizeof fence - 1;
    memset(fence, '`', nf);
    fence[nf] = '\0';
    bool pad = longest > 0;  /* a span may not start or end with its fence */
    bool ok = s_puts(b, fence) && (!pad || s_puts(b, " "));
    for (const char *p = s; ok && *p; p++)
        ok = *p == '|' && in_table ? s_puts(b, "\\|") : s_putn(b, p, 1);
    ok = ok && (!pad || s_puts(b, " ")) && s_puts(b, fence);
    if (c.oom) b->oom = true;
    s_free(&c);
    return ok;
}

bool md_code(str *b, const char *name, size_t max) {
    return md_code_span(b, name, max, false);
}

bool md_code_cell(str *b, const char *name, size_t max) {
    return md_code_span(b, name, max, true);
}

/* Plain text with the Markdown-active ASCII punctuation backslash-escaped
 * (CommonMark allows escaping any of it), so names can't open code, links,
 * emphasis, strikethrough, entities or HTML, or split a table cell.
 * Parentheses and '!' need no escape once '[' and ']' are escaped. */
bool md_text_clean(str *b, const char *s) {
    bool ok = true;
    for (; ok && *s; s++) {
        if (strchr("\\`*_[]<>|#~&", *s)) ok = s_putn(b, "\\", 1);
        ok = ok && s_putn(b, s, 1);
    }
    return ok;
}

bool md_text(str *b, const char *s, size_t max, bool keep_tail) {
    str c;
    s_init(&c, (size_t)-1);
    clean(s, max, keep_tail, &c);
    bool ok = md_text_clean(b, s_str(&c));
    if (c.oom) b->oom = true;
    s_free(&c);
    return ok;
}

/* Percent-encoding for a path in a URL: unreserved characters and '/' stay. */
bool url_path(str *b, const char *s) {
    bool ok = true;
    for (const unsigned char *u = (const unsigned char *)s; ok && *u; u++) {
        if ((*u >= 'A' && *u <= 'Z') || (*u >= 'a' && *u <= 'z') || (*u >= '0' && *u <= '9') ||
            strchr("-._~/", *u))
            ok = s_putn(b, (const char *)u, 1);
        else
            ok = s_printf(b, "%%%02X", *u);
    }
    return ok;
}

/* ---- number formatting ---- */

void fmt_count(uint64_t n, char *out, size_t len) {
    char digits[32];
    int nd = snprintf(digits, sizeof digits, "%llu", (unsigned long long)n);
    size_t o = 0;
    for (int i = 0; i < nd && o + 2 < len; i++) {
        if (i && (nd - i) % 3 == 0) out[o++] = ',';
        out[o++] = digits[i];
    }
    out[o] = '\0';
}

void fmt_secs(double s, char *out, size_t len) {
    if (s >= 100) snprintf(out, len, "%.0f s", s);
    else if (s >= 10) snprintf(out, len, "%.1f s", s);
    else if (s >= 0.1) snprintf(out, len, "%.2f s", s);
    else snprintf(out, len, "%.3f s", s);
}

void fmt_duration(double s, char *out, size_t len) {
    if (s >= 100) snprintf(out, len, "%.0f s", s);
    else if (s >= 1) snprintf(out, len, "%.2f s", s);
    else snprintf(out, len, "%.0f ms", s * 1000);
}

double share(uint64_t part, uint64_t whole) {
    return whole ? 100.0 * (double)part / (double)whole : 0.0;
}

/* 95% Wilson score interval for the proportion k/n, in percent. */
void wilson(uint64_t k, uint64_t n, double *lo, double *hi) {
    if (n == 0) {
        *lo = *hi = 0;
        return;
    }
    const double z = 1.959963984540054;
    double nn = (double)n, p = (double)k / nn, z2 = z * z;
    double denom = 1 + z2 / nn;
    double centre = (p + z2 / (2 * nn)) / denom;
    double half = z * sqrt(p * (1 - p) / nn + z2 / (4 * nn * nn)) / denom;
    *lo = fmax(0.0, centre - half) * 100;
    *hi = fmin(1.0, centre + half) * 100;
}

const char *plural(uint64_t n, const char *one, const char *many) {
    return n == 1 ? one : many;
}
