/* record_args.h -- the options of `csprof record`, parsed without side
 * effects so they can be unit-tested. */
#ifndef CSPROF_RECORD_ARGS_H
#define CSPROF_RECORD_ARGS_H

#include <stdbool.h>
#include <sys/types.h>

#define NATIVE_DEFAULT_RATE 100

/* --same-cpu[=WHEN]. off (the default): never, every read concurrent;
 * auto (--same-cpu alone): beside a thread whose stack keeps changing
 * under the reads, at most SAME_CPU_AUTO_HZ rounds a second there, each
 * standing for the ticks until the next; every: there at every tick (more
 * samples, the script slower). Not the default: a round standing for 4
 * ticks is one draw, and a regression in a script of a second or less
 * goes unseen with a quarter of the draws (tests/test_diff.py). */
typedef enum { SAME_CPU_OFF, SAME_CPU_AUTO, SAME_CPU_EVERY } same_cpu_when;
#define SAME_CPU_AUTO_HZ 250

/* The sampler's beside_hz for WHEN at rate HZ. */
double same_cpu_beside_hz(same_cpu_when when, double rate);
/* Parses WHEN (NULL: auto); 0, or -1 when it is none of the three. */
int same_cpu_parse(const char *s, same_cpu_when *out);

typedef struct {
    const char *output;
    const char *name;
    double rate;
    double duration;
    pid_t pid;
    bool subprocesses, idle, quiet;
    bool native;            /* --native: C frames too (rate defaults to NATIVE_DEFAULT_RATE) */
    same_cpu_when same_cpu; /* --same-cpu: when fast-changing stacks are read from
                             * their CPU (sampler.h, placement) */
    const char *formats;
    char **cmd;
    int ncmd;
} record_opts;

/* Parses argv (argv[0] is "record"). Returns 0 when o is ready, -1 when
 * --help was printed (exit 0), or an exit status (EXIT_USAGE) after printing
 * one line naming the problem. */
int record_parse_args(int argc, char **argv, record_opts *o);

#endif
