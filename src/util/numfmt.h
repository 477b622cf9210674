/* numfmt.h -- how durations and counts read in every report. */
#ifndef CSPROF_NUMFMT_H
#define CSPROF_NUMFMT_H

#include <stddef.h>
#include <stdint.h>

/* A duration for people: "640 ms" below one second, "1.14 s" below 100,
 * "554 s" above; "?" when not a finite non-negative number. Three
 * significant digits at most, so columns stay narrow. Returns out. */
char *fmt_secs(char *out, size_t len, double s);

/* A size for people: "12.3 MiB" below one GiB, "1.25 GiB" from there;
 * "?" when not a finite non-negative number. Returns out. */
char *fmt_bytes(char *out, size_t len, double bytes);

/* 1234567 -> "1,234,567". Returns out. */
char *fmt_count(char *out, size_t len, uint64_t n);

/* part of whole in percent, 0 when whole is 0 */
double share(uint64_t part, uint64_t whole);

#endif
