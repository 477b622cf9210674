/* record_args.c -- option parsing for `csprof record`. */
#include "record_args.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "optval.h"
#include "output.h"

static const char usage[] =
    "usage: csprof record [options] -- CMD [ARGS...]\n"
    "       csprof record --pid PID [options]\n"
    "\n"
    "Runs CMD exactly as it would run alone (same output, same exit status),\n"
    "samples the stacks of its Python threads from outside the process, and\n"
    "writes the profile when it ends.\n"
    "\n"
    "options:\n"
    "  -o, --output DIR      where to write the files (default artifacts/profiling)\n"
    "  -n, --name NAME       file stem (default: the script's stem, e.g. validate)\n"
    "  -r, --rate HZ         samples per second, 1-10000 (default 1000; 100 with --native)\n"
    "  -d, --duration SEC    stop sampling after SEC seconds (the command runs on);\n"
    "                        with --pid, how long to sample\n"
    "  -p, --pid PID         sample a running process instead of starting one\n"
    "      --subprocesses    also sample every Python process started by CMD\n"
    "      --idle            include threads that are not running (sleeping, waiting)\n"
    "      --native          also record C frames (extensions, BLAS, libc) under the\n"
    "                        Python frame that called them; the interpreter's own C is\n"
    "                        charged to the Python frame it runs. Each sample stops\n"
    "                        every running thread with ptrace while its stacks are\n"
    "                        copied (0.1-0.3 ms for a numpy stack), so the default\n"
    "                        rate drops to 100 Hz: threads are held 1-3% of the time on\n"
    "                        a quiet 2-core VM; on a busy machine csprof may be\n"
    "                        preempted while a thread is stopped (6-7% held, 7% slower,\n"
    "                        measured on a loaded 2-core VM; see README)\n"
    "      --same-cpu[=WHEN] read a thread whose stack changes faster than a read\n"
    "                        (calls of ~1 us or less) from the CPU it runs on, where\n"
    "                        it waits while csprof reads, so that caller and callee\n"
    "                        get their time right. auto (--same-cpu alone): there at\n"
    "                        most 250 times a second, each sample standing for the\n"
    "                        ticks until the next (~3.5% slower, fewer samples);\n"
    "                        every: at every tick (~9% slower); off (the default):\n"
    "                        never, and the summary says when the split leans (see\n"
    "                        README)\n"
    "  -f, --format LIST     comma-separated: svg,json,md,text,folded,speedscope,pprof\n"
    "                        (default svg,json,md)\n"
    "  -q, --quiet           print nothing but errors\n"
    "  -h, --help            show this help\n"
    "\n"
    "exit status: the command's (128+N when killed by signal N); 64 bad option,\n"
    "65 no such pid, 69 unsupported Python, 73 output not writable, 77 not\n"
    "permitted to read the target, 126/127 command not executable / not found.\n";

int same_cpu_parse(const char *s, same_cpu_when *out) {
    if (!s || !strcmp(s, "auto")) *out = SAME_CPU_AUTO;
    else if (!strcmp(s, "every")) *out = SAME_CPU_EVERY;
    else if (!strcmp(s, "off")) *out = SAME_CPU_OFF;
    else return -1;
    return 0;
}

double same_cpu_beside_hz(same_cpu_when when, double rate) {
    return when == SAME_CPU_OFF ? 0 : when == SAME_CPU_EVERY ? rate : SAME_CPU_AUTO_HZ;
}

/* What the options say together; 0, or EXIT_USAGE after one line. */
static int check_opts(const record_opts *o) {
    if (o->pid && o->ncmd) {
        fprintf(stderr, "csprof record: give either --pid or a command, not both\n");
        return EXIT_USAGE;
    }
    if (!o->pid && !o->ncmd) {
        fprintf(stderr, "csprof record: no command to run (usage: csprof record [options] -- CMD [ARGS...])\n");
        return EXIT_USAGE;
    }
    char err[160];
    if (output_check_list(o->formats, err, sizeof err)) {
        fprintf(stderr, "csprof record: --format: %s\n", err);
        return EXIT_USAGE;
    }
    if (o->name && (!o->name[0] || strchr(o->name, '/'))) {
        fprintf(stderr, "csprof record: --name must be a non-empty file stem without '/'\n");
        return EXIT_USAGE;
    }
    return 0;
}

int record_parse_args(int argc, char **argv, record_opts *o) {
    static const struct option longopts[] = {
        {"output", required_argument, 0, 'o'},   {"name", required_argument, 0, 'n'},
        {"rate", required_argument, 0, 'r'},     {"duration", required_argument, 0, 'd'},
        {"pid", required_argument, 0, 'p'},      {"subprocesses", no_argument, 0, 'S'},
        {"idle", no_argument, 0, 'I'},           {"format", required_argument, 0, 'f'},
        {"quiet", no_argument, 0, 'q'},          {"help", no_argument, 0, 'h'},
        {"native", no_argument, 0, 'N'},         {"same-cpu", optional_argument, 0, 'C'},
        {0, 0, 0, 0}};
    *o = (record_opts){.output = "artifacts/profiling", .rate = 1000, .formats = "svg,json,md"};
    optval_getopt_start();
    int c;
    bool rate_given = false;
    while ((c = getopt_long(argc, argv, "+o:n:r:d:p:f:qh", longopts, NULL)) != -1) {
        double v;
        switch (c) {
        case 'o': o->output = optarg; break;
        case 'n': o->name = optarg; break;
        case 'r':
            if (optval_double(optarg, 1, 10000, &o->rate)) {
                fprintf(stderr, "csprof record: --rate takes a number from 1 to 10000, not '%s'\n", optarg);
                return EXIT_USAGE;
            }
            rate_given = true;
            break;
        case 'd':
            if (optval_double(optarg, 0.001, 1e7, &o->duration)) {
                fprintf(stderr, "csprof record: --duration takes a positive number of seconds, not '%s'\n", optarg);
                return EXIT_USAGE;
            }
            break;
        case 'p':
            if (optval_double(optarg, 1, 4194304, &v) || v != (double)(pid_t)v) {
                fprintf(stderr, "csprof record: --pid takes a process id, not '%s'\n", optarg);
                return EXIT_USAGE;
            }
            o->pid = (pid_t)v;
            break;
        case 'S': o->subprocesses = true; break;
        case 'I': o->idle = true; break;
        case 'N': o->native = true; break;
        case 'C':
            /* "--same-cpu off" as well as "--same-cpu=off": getopt only
             * gives an optional value written with '='. A command named
             * auto, every or off would need "--" before it. */
            if (!optarg && optind < argc && !same_cpu_parse(argv[optind], &o->same_cpu)) {
                optind++;
                break;
            }
            if (same_cpu_parse(optarg, &o->same_cpu)) {
                fprintf(stderr, "csprof record: --same-cpu takes auto, every or off, not '%s'\n", optarg);
                return EXIT_USAGE;
            }
            break;
        case 'f': o->formats = optarg; break;
        case 'q': o->quiet = true; break;
        case 'h': fputs(usage, stdout); return -1;
        default:
            if (optopt && optopt != '?')
                fprintf(stderr, "csprof record: option -%c needs a value or is unknown (see --help)\n", optopt);
            else
                fprintf(stderr, "csprof record: unknown option '%s' (see --help)\n", argv[optind - 1]);
            return EXIT_USAGE;
        }
    }
    /* Stopping threads costs the target far more than reading its memory. */
    if (o->native && !rate_given) o->rate = NATIVE_DEFAULT_RATE;
    o->cmd = argv + optind;
    o->ncmd = argc - optind;
    return check_opts(o);
}

