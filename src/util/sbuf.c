/* sbuf.c -- see sbuf.h. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sbuf.h"

void sbuf_init(sbuf *b, size_t limit) { *b = (sbuf){.limit = limit}; }

/* Room for n more bytes and the terminator. */
static bool reserve(sbuf *b, size_t n) {
    if (b->oom) return false;
    if (n > SIZE_MAX - 1 - b->len) {
        b->oom = true;
        return false;
    }
    size_t need = b->len + n + 1;
    if (need <= b->cap) return true;
    size_t nc = b->cap ? b->cap : 256;
    while (nc < need) nc = nc > SIZE_MAX / 2 ? need : nc * 2;
    char *ns = realloc(b->s, nc);
    if (!ns) {
        b->oom = true;
        return false;
    }
    b->s = ns;
    b->cap = nc;
    return true;
}

bool sbuf_putn(sbuf *b, const char *s, size_t n) {
    if (b->oom) return false;
    if (n > b->limit || b->len > b->limit - n) {
        b->full = true;
        return false;
    }
    if (!reserve(b, n)) return false;
    if (n) memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
    return true;
}

bool sbuf_puts(sbuf *b, const char *s) { return sbuf_putn(b, s, strlen(s)); }

bool sbuf_putc(sbuf *b, char c) { return sbuf_putn(b, &c, 1); }

bool sbuf_vprintf(sbuf *b, const char *fmt, va_list ap) {
    char tmp[256];
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap2);
    va_end(ap2);
    if (n < 0) {
        b->oom = true;  /* only an encoding error or EOVERFLOW: nothing written */
        return false;
    }
    if ((size_t)n < sizeof tmp) return sbuf_putn(b, tmp, (size_t)n);
    char *big = malloc((size_t)n + 1);
    if (!big) {
        b->oom = true;
        return false;
    }
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    bool ok = sbuf_putn(b, big, (size_t)n);
    free(big);
    return ok;
}

bool sbuf_printf(sbuf *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    bool ok = sbuf_vprintf(b, fmt, ap);
    va_end(ap);
    return ok;
}

bool sbuf_take(sbuf *dst, sbuf *src) {
    bool ok = src->len == 0 || sbuf_putn(dst, src->s, src->len);
    if (src->oom) {
        dst->oom = true;
        ok = false;
    }
    sbuf_reset(src);
    return ok;
}

const char *sbuf_str(const sbuf *b) { return b->s ? b->s : ""; }

void sbuf_reset(sbuf *b) {
    b->len = 0;
    if (b->s) b->s[0] = '\0';
    b->oom = b->full = false;
}

char *sbuf_detach(sbuf *b, size_t *len) {
    char *s = NULL;
    if (!b->oom) {
        s = b->s ? b->s : calloc(1, 1);
        if (len) *len = s ? b->len : 0;
        if (!s) b->oom = true;
    }
    if (b->oom) {
        free(b->s);
        s = NULL;
        if (len) *len = 0;
    }
    *b = (sbuf){.limit = b->limit};
    return s;
}

void sbuf_free(sbuf *b) {
    free(b->s);
    *b = (sbuf){.limit = b->limit};
}
