/* sampler_int.h -- what the parts of the sampler share; not for use
 * outside them (sampler.h is the promise to the rest of csprof).
 *
 *   sampler.c          the loop: ticks, frame interning, --native merging
 *   sampler_targets.c  the process table: which processes are followed,
 *                      finding new children, attaching, noticing exec and exit
 *   sampler_sched.c    when a process and a thread are read: the CPU-time
 *                      gate, and each thread's standing with the scheduler
 *   sampler_place.c    where csprof runs: beside a thread whose stack changes
 *                      under the reads (sampler.h, placement)
 */
#ifndef CSPROF_SAMPLER_INT_H
#define CSPROF_SAMPLER_INT_H

#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "proc.h"
#include "profile.h"
#include "pyreader.h"
#include "sampler.h"
#include "unwind.h"

/* Processes followed at once. An exited one frees its slot, so this bounds
 * memory, not how many processes a run may see; a process that finds the
 * table full is counted (prof_counters.unsampled_processes). */
#define MAX_PROCESSES SAMPLER_MAX_PROCESSES
#define RECENT_UNSAMPLED 1024      /* pids remembered as counted unsampled */

/* Interning of frames seen in a target, so a warm sample never hashes
 * strings: Python frames keyed by (code id << 24 | line) + 1, native ones by
 * pc. Open addressing, at most half full; key 0 = empty. */
typedef struct {
    uint64_t key;
    uint32_t frame;          /* profile frame index */
    bool eval, interp;       /* native pcs: the eval loop / the interpreter's own code */
    uint32_t group;          /* native pcs: nonzero for an unnamed one (stackmerge.h) */
} frame_slot;

typedef struct {
    frame_slot *slots;
    size_t cap, used;
} frame_map;

typedef struct {
    uint64_t thread_id;
    pid_t tid;
    int prof_thread;
    proc_thread_files files;  /* kept open: where it stands with the scheduler
                               * (proc_thread_sched) in one to three preads */
    uint64_t sched_tick;      /* ticks + 1 when sched was read; 0: never */
    int sched_status;         /* what proc_thread_sched returned then */
    proc_sched sched;         /* what it said */
    proc_sched_state state;   /* what the sampler makes of it (thread_sched) */
    uint64_t seen_on_cpu;     /* ticks + 1 when last seen on a CPU; 0: never */
    uint64_t idle_tick;       /* ticks + 1 when last found not runnable; 0: never */
    uint64_t oncpu_tick;      /* ticks + 1 when last known on a CPU (seen executing, or
                               * the kernel said so); 0: never */
    uint64_t queue_tick;      /* ticks + 1 when counted on a CPU for waiting in the
                               * queue of csprof's own (thread_sched); 0: never */
    /* Its CPU time against the samples taken of it, from the first time
     * the kernel gave its CPU time (thread_queue_credit). */
    uint64_t samples;         /* samples taken of it while not idle */
    uint64_t run0_ns, samples0;
    bool has_run0;
    int children_fd; /* /proc/PID/task/TID/children, with --subprocesses; -1 if none */
    /* Its last Python stack, root first: frame keys (frame_map's) and their
     * profile frames, valid in fmap_epoch last_epoch. A stack that shares
     * its outer frames with the last one looks up only the rest. */
    uint64_t *last_keys;
    uint32_t *last_frames;
    uint32_t last_n, last_cap, last_epoch;
} thread_entry;

typedef struct {
    pid_t pid;
    bool dead;
    bool reported;       /* attach problem already recorded */
    int64_t first_seen;  /* ns: young processes are retried until Python shows up */
    char exe[256];       /* exe when last found not to be Python: retry when it changes */
    int64_t not_python_at;   /* ns: when that exe was first found not to be Python */
    uint64_t exec_id;    /* proc_exec_id() when attached: another value means it exec'd */
    int children_fd;     /* of its main thread, with --subprocesses; -1 if none */
    uint64_t pending_dropped;  /* failed last tick: counted unless it exits or execs */
    /* The CPU time the process has used against the samples taken of it
     * (sampler_sched.c, target_cpu_credit): in sampling intervals. */
    bool has_clock;
    clockid_t cpu_clock;
    uint64_t cpu_ns;
    double credit;
    uint64_t clock_tick;     /* ticks + 1 when cpu_ns was read; 0: never */
    /* Whether that clock stood still since the last tick (read at both
     * before the threads): no thread of it was taken off a CPU meanwhile
     * (thread_sched). Read only when the last tick asked the kernel about
     * a thread on a CPU, and while it holds often enough to pay. */
    bool clock_still, still_wanted;
    uint32_t still_tries, still_hits;
    uint64_t still_off_until; /* ticks + 1 before which it is not read */
    uint64_t waiting_tick;   /* ticks + 1 when a thread of it was last left waiting */
    py_process *py;
    frame_map fmap;          /* Python frames */
    uint32_t fmap_epoch;     /* py_cache_epoch() the map was built in */
    thread_entry *threads;
    size_t nthreads, capthreads;
    /* --native */
    native_unwinder *nu;     /* NULL without --native, or once ptrace was refused */
    frame_map nmap;          /* native pcs */
} target;

typedef struct native_state native_state;

/* Where csprof runs (sampler_place.c). */
typedef struct {
    bool usable;             /* asked for (beside_hz), without native, and the home mask
                              * holds two CPUs or more and can be set */
    uint32_t every;          /* ticks each round beside a thread stands for */
    cpu_set_t home;          /* csprof's affinity when sampling began; put back after */
    int cpu;                 /* the CPU csprof is held on; -1: free (the home mask) */
    uint64_t history;        /* per sampled tick, newest lowest: a stack moved under its read */
    uint32_t seen;           /* sampled ticks in history (at most 64) */
    bool moved;              /* ... this tick */
    bool ran;                /* the thread followed ran while this tick read it */
    bool has_follow;         /* the thread whose stack moved last: */
    pid_t follow_pid, follow_tid;
    uint64_t until;          /* counters.ticks at which the hold ends and the reads
                              * are measured free again */
} placement;

typedef struct {
    profile *p;
    const sampler_opts *o;
    target *targets;
    size_t ntargets;
    uint32_t *stack_buf;     /* root-first frame indices for prof_add_stack */
    sampler_result *res;
    target *cur;
    int oom;
    pid_t root;
    native_state *nat;       /* --native only */
    bool have_children;      /* the kernel has /proc/PID/task/TID/children */
    /* The one sample of the process's threads waiting in the queue of
     * csprof's CPU this tick, held until all are read (sample_all). */
    uint32_t *queue_stack;
    uint32_t queue_n;
    size_t queue_thread;     /* index into s->cur's threads */
    bool queue_held;
    double queue_credit;
    pid_t unsampled[RECENT_UNSAMPLED];  /* ring of pids already counted unsampled */
    size_t nunsampled;
    placement place;
    /* The ticks the round being sampled stands for (counters.rounds counts
     * rounds, counters.ticks ticks): one, or placement.every beside a
     * thread, whose round then samples a random point of that many ticks.
     * Every count of samples adds weight. */
    uint32_t weight;
} sampler;

/* The round being sampled: the "ticks + 1" stamps of the tables above
 * count rounds (counters.rounds), so "at the last tick" is the last round. */
static inline uint64_t this_tick(sampler *s) {
    return prof_counters_of(s->p)->rounds + 1;
}

static inline int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* The most CPU-time credit a process may have (target_cpu_credit), in
 * sampling intervals: 12 ms of CPU time, at least 2 intervals. A process
 * starts with it. */
static inline double credit_most(const sampler *s) {
    double per_ms = s->o->rate_hz / 1000.0;
    return 12.0 * per_ms < 2 ? 2 : 12.0 * per_ms;
}

/* ---- sampler_targets.c: the process table ---- */

/* Adds the numbers of t's native unwinder to the result, before it is freed. */
void target_native_account(sampler *s, target *t);
/* Frees what t holds (its slot stays). */
void target_free(target *t);
/* Attaches to t if it runs Python, or refreshes the attached reader;
 * retried quietly while not ready or not (yet) Python. */
void target_attach(sampler *s, target *t);
/* True when t exec'd since it was attached: it is then reset, to be
 * attached afresh. */
bool target_exec_happened(sampler *s, target *t);
/* Every REFRESH_NS: frees the slots of exited processes, refreshes the
 * attached ones, retries the others, and with full_scan looks for
 * descendants of root through all of /proc. */
void targets_refresh(sampler *s, pid_t root, bool full_scan);
/* New children of every followed process, from their children files. */
void targets_scan_children(sampler *s);
/* Young processes not attached yet, retried every tick. */
void targets_retry_young(sampler *s);

/* ---- sampler_sched.c: when a process and a thread are read ---- */

/* The thread of t that st is, or NULL when not seen before. */
thread_entry *thread_known(target *t, const py_thread_stack *st);
/* Where thread e of s->cur stands with the scheduler this tick (*out), asked
 * of the kernel at most once per tick: 0, or -1 when its files do not
 * answer (the thread is gone). */
int thread_sched(sampler *s, thread_entry *e, proc_sched_state *out);
/* Whether thread e was counted on a CPU this tick for waiting in the
 * queue of csprof's own (thread_sched), of which one sample is taken per
 * tick (with --idle every thread is taken: no such rule). */
bool thread_queued_here(sampler *s, const thread_entry *e);
/* Its CPU time since first known, in sampling intervals, less the samples
 * taken of it since: how far its samples lag behind its CPU time. Only
 * when the kernel gave its CPU time this tick (waiting for a CPU), else 0. */
double thread_queue_credit(sampler *s, const thread_entry *e);
/* Whether thread e, in state st this tick, is left unread for a later
 * tick: it waits for a CPU (and counts as waiting). */
bool thread_leave_for_later(sampler *s, const target *t, thread_entry *e, proc_sched_state st);
/* py_thread_skip_fn (ctx: the sampler): a thread asleep at the last tick
 * and still asleep, counted idle without reading its stack. */
bool thread_still_idle(void *ctx, const py_thread_stack *ids);

/* ---- sampler_place.c: where csprof runs ---- */

/* Takes csprof's affinity as home. Placement is off unless same_cpu asks
 * for it, with native, and when that affinity holds one CPU. */
void place_init(sampler *s);
/* Thread e of t was read this tick: whether its stack moved under the read
 * (py_thread_stack.moved), and whether it was seen running meanwhile. */
void place_note(sampler *s, const target *t, const thread_entry *e, bool moved, bool running);
/* After each tick that read a process: holds csprof on the CPU of the
 * thread whose stack keeps moving, follows it there, or lets go. */
void place_tick(sampler *s);
/* The ticks the next round stands for: placement.every while csprof is
 * held beside a thread, else one. */
uint32_t place_weight(const sampler *s);
/* Puts csprof's home affinity back (before anything else is started). */
void place_finish(sampler *s);

/* Whether process t is read this tick (the CPU-time gate); reads its CPU
 * clock when the credit runs low, or when the clock standing still may
 * spare thread_sched a kernel read. Called before its threads are read. */
bool target_cpu_credit(sampler *s, target *t);

#endif
