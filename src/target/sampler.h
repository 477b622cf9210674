/* sampler.h -- the sampling loop: ticks at a fixed rate, reads every Python
 * process of interest through pyreader, and adds the stacks to a profile.
 *
 * Idle rule: a thread is idle when its kernel state (/proc/PID/task/TID/
 * status, or stat for a thread asleep at the last tick) is not 'R' (running
 * or runnable) at the moment of the sample: it is sleeping, waiting on I/O,
 * a lock or the GIL. The kernel is not asked when the read saw the thread
 * execute (pyreader.h, running). Idle samples are counted, and recorded
 * (marked idle) only with --idle; without it, a thread asleep at the last
 * tick is asked first, and its stack is read only once it is not asleep. A
 * thread whose OS id cannot be determined is treated as active.
 *
 * With native, each tick stops the running threads of each Python process
 * (ptrace, unwind.h) for as long as it takes to read both their stacks, and
 * records C frames merged with the Python ones (stackmerge.h). Idle
 * threads, and a thread in the tick it is first seen, are not stopped and
 * are recorded with their Python frames only.
 *
 * Placement: a read takes microseconds, and a thread that calls and
 * returns faster than that changes its stack while it is copied: frames
 * copied at different instants make stacks that lean towards the callers
 * that outlive a read, or that never were (sampler_place.c). A thread does
 * not run while csprof reads it from the CPU it runs on: when the stacks
 * read keep changing under the reads, csprof moves itself to the CPU of
 * the thread whose stack moved, for a second at a time, and every read
 * there sees one instant. The thread waits for each read there (as on a
 * runner with one CPU), which slows it down, so there csprof wakes at most
 * beside_hz times a second: each of those rounds samples a random point of
 * the ticks until the next and counts for all of them (stratified
 * sampling: unbiased, with fewer samples). Not with native, which stops
 * the threads it reads.
 */
#ifndef CSPROF_SAMPLER_H
#define CSPROF_SAMPLER_H

#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>

#include "profile.h"

/* Processes followed at once (an exited one frees its slot): one that finds
 * no room is counted in prof_counters.unsampled_processes. */
#define SAMPLER_MAX_PROCESSES 256

typedef struct {
    double rate_hz;          /* ticks per second */
    double duration;         /* stop sampling after this many seconds; 0 = until the end */
    bool idle;               /* record idle threads too */
    bool subprocesses;       /* follow descendants of the root */
    bool is_child;           /* root is our child: reap it and report its status */
    bool native;             /* merge C frames in (unwind.h): stops running threads per tick */
    /* placement (above): how many reads a second at most are taken beside
     * a thread, each standing for the ticks until the next (0: never go
     * beside; rate_hz or more: every tick) */
    double beside_hz;
} sampler_opts;

typedef struct {
    int exit_status;         /* child: code or 128+signal; attach: 0; -1 unknown */
    double wall_seconds;     /* from start to the end of sampling */
    double cpu_seconds;      /* csprof's own CPU time while sampling (wake-ups included) */
    double work_seconds;     /* time spent reading stacks: the cost of the samples themselves */
    int python_processes;    /* processes where Python was found */
    char first_error[256];   /* the first attach problem seen, e.g. unsupported version */
    int first_error_status;  /* its py_status */
    /* --native: thread samples merged with their C frames, kept Python-only
     * because the two stacks did not line up (stackmerge.h), and processes
     * where ptrace was refused (already said on stderr). */
    uint64_t native_merged, native_mismatch;
    int native_refused;
    /* --native: thread stops, and the time threads spent stopped in total. */
    uint64_t native_stops;
    double native_held_seconds;
    /* A child's resource usage from wait4 (its reaped descendants
     * included); child_rusage is false when attached or never reaped. */
    bool child_rusage;
    double child_user_seconds, child_system_seconds;
    double child_max_rss_bytes;  /* peak resident set of the child or one reaped descendant */
    /* How busy the rest of the machine was while the child ran: the mean
     * number of CPUs other processes (and the hypervisor's steal) kept
     * busy, from /proc/stat less the child's and csprof's own CPU time; -1
     * when unknown (attached, /proc/stat unreadable, a run under 0.2 s).
     * runner_cpus: CPUs online. */
    double other_load;
    int runner_cpus;
} sampler_result;

/* Samples root (and, with subprocesses, its descendants) into p until the
 * root exits, the duration passes, or *stop becomes nonzero (in attach mode;
 * for a child, *stop only ends sampling once the child has been signalled
 * and exits). Fills p's counters, processes and threads. Returns 0, or -1
 * on an internal error (already reported). */
int sampler_run(profile *p, pid_t root, const sampler_opts *o,
                volatile sig_atomic_t *stop, sampler_result *res);

#endif
