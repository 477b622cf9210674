/* optval.c -- numbers from option values and settings (optval.h). */
#include "optval.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>

void optval_getopt_start(void) {
    optind = 1;
    opterr = 0;
}

int optval_double(const char *s, double lo, double hi, double *out) {
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    /* written so that NaN fails the range test */
    if (errno || end == s || *end || !(v >= lo && v <= hi)) return -1;
    *out = v;
    return 0;
}

int optval_long(const char *s, long lo, long hi, long *out) {
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi) return -1;
    *out = v;
    return 0;
}
