/* md.c -- see md.h. */
#include <string.h>
#include <strings.h>

#include "md.h"
#include "utf8.h"

bool md_code_span(sbuf *b, const char *s, size_t max_cp, bool in_table) {
    sbuf c;
    sbuf_init(&c, SBUF_NO_LIMIT);
    bool ok = utf8_display(&c, s && *s ? s : "?", max_cp, false);
    const char *t = sbuf_str(&c);
    size_t run = 0, longest = 0;
    for (const char *p = t; *p; p++) {
        run = *p == '`' ? run + 1 : 0;
        if (run > longest) longest = run;
    }
    size_t n = c.len;
    /* A space inside each end whenever the text holds a backtick (needed
     * when it starts or ends with one; kept for all, as the summary always
     * did) or starts or ends with a space; CommonMark strips exactly one. */
    bool pad = longest > 0 || (n && (t[0] == ' ' || t[n - 1] == ' '));
    for (size_t i = 0; ok && i <= longest; i++) ok = sbuf_putc(b, '`');
    if (ok && pad) ok = sbuf_putc(b, ' ');
    const char *start = t;
    for (const char *p = t; ok && *p; p++) {
        if (*p != '|' || !in_table) continue;
        ok = sbuf_putn(b, start, (size_t)(p - start)) && sbuf_puts(b, "\\|");
        start = p + 1;
    }
    if (ok) ok = sbuf_puts(b, start);
    if (ok && pad) ok = sbuf_putc(b, ' ');
    for (size_t i = 0; ok && i <= longest; i++) ok = sbuf_putc(b, '`');
    if (c.oom) b->oom = true;
    sbuf_free(&c);
    return ok && !b->oom;
}

bool md_plain(sbuf *b, const char *s, size_t max_cp, bool keep_tail) {
    sbuf c;
    sbuf_init(&c, SBUF_NO_LIMIT);
    bool ok = utf8_display(&c, s, max_cp, keep_tail);
    const char *t = sbuf_str(&c);
    for (const char *p = t; ok && *p; p++) {
        /* ':' breaks "scheme://" autolinks, the '.' after "www" the
         * "www." ones; the rest is CommonMark's own syntax. */
        bool www_dot = *p == '.' && p - t >= 3 && !strncasecmp(p - 3, "www", 3);
        if (strchr("\\`*_[]<>|#~&!:", *p) || www_dot) ok = sbuf_putc(b, '\\');
        ok = ok && sbuf_putc(b, *p);
    }
    if (c.oom) b->oom = true;
    sbuf_free(&c);
    return ok && !b->oom;
}
