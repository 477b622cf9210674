/* optval.h -- the shared rules of reading a command line: where getopt
 * starts, and a number given as an option value or a setting.
 *
 * Every command reads numbers the same way: the whole text is one decimal
 * number (no trailing characters, no overflow) within [lo, hi]. NaN is
 * never within a range. The caller words the error, since only it knows
 * which option or setting was wrong and what it means.
 *
 * Promises: no output, no allocation; *out is set only on success. */
#ifndef CSPROF_OPTVAL_H
#define CSPROF_OPTVAL_H

/* Starts getopt_long over at argv[1] of a command's own argv (main has
 * dispatched on the command; a test parses many argvs in one process),
 * with getopt's own messages off: each command words its errors. */
void optval_getopt_start(void);

/* 0 with *out set, or -1 when s is not a number in [lo, hi]. */
int optval_double(const char *s, double lo, double hi, double *out);
int optval_long(const char *s, long lo, long hi, long *out);

#endif
