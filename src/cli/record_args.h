/* record_args.h -- the options of `csprof record`, parsed without side
 * effects so they can be unit-tested. */
#ifndef CSPROF_RECORD_ARGS_H
#define CSPROF_RECORD_ARGS_H

#include <stdbool.h>
#include <sys/types.h>

#define NATIVE_DEFAULT_RATE 100

typedef struct {
    const char *output;
    const char *name;
    double rate;
    double duration;
    pid_t pid;
    bool subprocesses, idle, quiet;
    bool native;            /* --native: C frames too (rate defaults to NATIVE_DEFAULT_RATE) */
    bool same_cpu;          /* --same-cpu: read fast-changing stacks from their CPU (sampler.h) */
    const char *formats;
    char **cmd;
    int ncmd;
} record_opts;

/* Parses argv (argv[0] is "record"). Returns 0 when o is ready, -1 when
 * --help was printed (exit 0), or an exit status (EXIT_USAGE) after printing
 * one line naming the problem. */
int record_parse_args(int argc, char **argv, record_opts *o);

#endif
