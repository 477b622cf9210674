/* ci_say.c -- workflow commands and reporting allocations for csprof ci
 * (ci_say.h). */
#include "ci_say.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static int notices_printed;  /* ::notice lines so far, against CI_MAX_NOTICES */

void ci_put_escaped(FILE *out, const char *s, bool property) {
    for (; s && *s; s++) {
        switch (*s) {
        case '%': fputs("%25", out); break;
        case '\r': fputs("%0D", out); break;
        case '\n': fputs("%0A", out); break;
        case ':': property ? fputs("%3A", out) : fputc(':', out); break;
        case ',': property ? fputs("%2C", out) : fputc(',', out); break;
        default: fputc(*s, out);
        }
    }
}

void ci_command(const char *kind, const char *fmt, ...) {
    char buf[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    printf("::%s title=csprof::", kind);
    ci_put_escaped(stdout, buf, false);
    fputc('\n', stdout);
    fflush(stdout);
}

bool ci_notice_slot(void) {
    if (notices_printed >= CI_MAX_NOTICES) return false;
    notices_printed++;
    return true;
}

char *ci_strdup(const char *s) {
    char *d = strdup(s ? s : "");
    if (!d) fprintf(stderr, "csprof ci: out of memory\n");
    return d;
}

char *ci_asprintf(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    if (vasprintf(&s, fmt, ap) < 0) s = NULL;
    va_end(ap);
    if (!s) fprintf(stderr, "csprof ci: out of memory\n");
    return s;
}
