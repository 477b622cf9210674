/* optval.h -- a number given as a command-line option or a setting.
 *
 * Every command reads numbers the same way: the whole text is one decimal
 * number (no trailing characters, no overflow) within [lo, hi]. NaN is
 * never within a range. The caller words the error, since only it knows
 * which option or setting was wrong and what it means.
 *
 * Promises: no output, no allocation; *out is set only on success. */
#ifndef CSPROF_OPTVAL_H
#define CSPROF_OPTVAL_H

/* 0 with *out set, or -1 when s is not a number in [lo, hi]. */
int optval_double(const char *s, double lo, double hi, double *out);
int optval_long(const char *s, long lo, long hi, long *out);

#endif
