/* utf8.c -- see utf8.h. */
#include <string.h>

#include "utf8.h"

size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp) {
    unsigned c = s[0];
    if (c < 0x80) {
        if (cp) *cp = c;
        return 1;
    }
    /* The second byte's range encodes the overlong, surrogate and
     * beyond-U+10FFFF exclusions (RFC 3629's table). */
    size_t len;
    unsigned lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) len = 2;
    else if (c == 0xE0) len = 3, lo = 0xA0;
    else if (c == 0xED) len = 3, hi = 0x9F;
    else if (c >= 0xE1 && c <= 0xEF) len = 3;
    else if (c == 0xF0) len = 4, lo = 0x90;
    else if (c == 0xF4) len = 4, hi = 0x8F;
    else if (c >= 0xF1 && c <= 0xF3) len = 4;
    else return 0;
    if (n < len || s[1] < lo || s[1] > hi) return 0;
    uint32_t v = c & (0xFFu >> (len + 1));
    v = (v << 6) | (s[1] & 0x3F);
    for (size_t i = 2; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        v = (v << 6) | (s[i] & 0x3F);
    }
    if (cp) *cp = v;
    return len;
}

/* Bytes of the unit at s: a well-formed sequence, or one invalid byte. */
static size_t unit_len(const char *s, size_t n) {
    size_t len = utf8_decode((const unsigned char *)s, n, NULL);
    return len ? len : 1;
}

bool utf8_valid(const char *s, size_t n) {
    for (size_t i = 0; i < n;) {
        size_t len = utf8_decode((const unsigned char *)s + i, n - i, NULL);
        if (!len) return false;
        i += len;
    }
    return true;
}

size_t utf8_cut(const char *s, size_t n, size_t max) {
    if (n <= max) return n;
    size_t i = 0;
    for (;;) {
        size_t len = unit_len(s + i, n - i);
        if (i + len > max) return i;
        i += len;
    }
}

size_t utf8_trim_partial(const char *s, size_t n) {
    /* Back over at most 3 continuation bytes to the lead byte: if the
     * sequence it starts needs more bytes than are left, drop it. */
    const unsigned char *u = (const unsigned char *)s;
    size_t i = n;
    while (i > 0 && n - i < 3 && (u[i - 1] & 0xC0) == 0x80) i--;
    if (i == 0 || u[i - 1] < 0xC0) return n;
    size_t need = u[i - 1] >= 0xF0 ? 4 : u[i - 1] >= 0xE0 ? 3 : 2;
    return n - (i - 1) < need ? i - 1 : n;
}

bool utf8_sanitize(sbuf *out, const char *s, size_t n) {
    size_t run = 0;  /* start of the pending valid stretch */
    bool ok = true;
    for (size_t i = 0; i < n;) {
        size_t len = utf8_decode((const unsigned char *)s + i, n - i, NULL);
        if (len) {
            i += len;
            continue;
        }
        ok = ok && sbuf_putn(out, s + run, i - run) && sbuf_puts(out, UTF8_REPLACEMENT);
        run = ++i;
    }
    return ok && sbuf_putn(out, s + run, n - run);
}

size_t utf8_count(const char *s, size_t n) {
    size_t count = 0;
    for (size_t i = 0; i < n; count++) i += unit_len(s + i, n - i);
    return count;
}

/* Appends the display form of one unit. */
static bool put_unit(sbuf *out, const char *s, size_t n, size_t *used) {
    uint32_t cp = 0;
    size_t len = utf8_decode((const unsigned char *)s, n, &cp);
    *used = len ? len : 1;
    if (!len) return sbuf_puts(out, UTF8_REPLACEMENT);
    if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F)) return sbuf_putc(out, ' ');
    return sbuf_putn(out, s, len);
}

bool utf8_display(sbuf *out, const char *s, size_t max_cp, bool keep_tail) {
    s = s ? s : "";
    size_t n = strlen(s), total = utf8_count(s, n), skip = 0, keep = total;
    bool cut = max_cp && total > max_cp;
    if (cut && keep_tail) skip = total - (max_cp - 1);
    else if (cut) keep = max_cp - 1;
    bool ok = true;
    if (cut && keep_tail) ok = sbuf_puts(out, UTF8_ELLIPSIS);
    size_t i = 0, k = 0, used;
    for (; i < n && skip; skip--) i += unit_len(s + i, n - i);
    for (; ok && i < n && (keep_tail || k < keep); k++) {
        ok = put_unit(out, s + i, n - i, &used);
        i += used;
    }
    if (ok && cut && !keep_tail) ok = sbuf_puts(out, UTF8_ELLIPSIS);
    return ok;
}
