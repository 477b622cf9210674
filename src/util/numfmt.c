/* numfmt.c -- see numfmt.h. */
#include <math.h>
#include <stdio.h>

#include "numfmt.h"

char *fmt_secs(char *out, size_t len, double s) {
    if (!isfinite(s) || s < 0) snprintf(out, len, "?");
    else if (s >= 100) snprintf(out, len, "%.0f s", s);
    /* 0.9996 s would print as "1000 ms": seconds from there on */
    else if (s >= 0.9995) snprintf(out, len, "%.2f s", s);
    else snprintf(out, len, "%.0f ms", s * 1000);
    return out;
}

char *fmt_bytes(char *out, size_t len, double b) {
    const double mib = 1024.0 * 1024, gib = mib * 1024;
    if (!isfinite(b) || b < 0) snprintf(out, len, "?");
    /* 1023.96 MiB would print as "1024.0 MiB": GiB from there on */
    else if (b >= gib - 0.05 * mib) snprintf(out, len, "%.2f GiB", b / gib);
    else snprintf(out, len, "%.1f MiB", b / mib);
    return out;
}

char *fmt_count(char *out, size_t len, uint64_t n) {
    char digits[24];
    int nd = snprintf(digits, sizeof digits, "%llu", (unsigned long long)n);
    size_t o = 0;
    if (!len) return out;
    for (int i = 0; i < nd && o + 2 < len; i++) {
        if (i && (nd - i) % 3 == 0) out[o++] = ',';
        out[o++] = digits[i];
    }
    out[o] = '\0';
    return out;
}

double share(uint64_t part, uint64_t whole) {
    return whole ? 100.0 * (double)part / (double)whole : 0.0;
}
