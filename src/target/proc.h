/* proc.h -- access to another process: its memory, mappings, threads and
 * children, read from outside without stopping it.
 *
 * Memory is read with process_vm_readv only: we never write the target.
 * Every function returns -1 (and sets errno) rather than aborting.
 */
#ifndef CSPROF_PROC_H
#define CSPROF_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>
#include <sys/uio.h>

/* Copy len bytes at remote address addr of pid into buf. Succeeds only when
 * all bytes were read. */
int proc_read(pid_t pid, uint64_t addr, void *buf, size_t len);
/* Like proc_read, but a read that stops at an unmapped page returns the
 * bytes read so far instead of failing. */
ssize_t proc_read_partial(pid_t pid, uint64_t addr, void *buf, size_t len);
/* Copies remote[i] into local[i] (same lengths) for i in [0, n), in order,
 * in one system call: the way to read many scattered pieces cheaply. n is
 * at most 1024 (the kernel's UIO_MAXIOV). A read stops at the first piece
 * that faults: piece i was copied in full when the result covers its
 * length and every length before it. -1 when nothing could be read. */
ssize_t proc_readv(pid_t pid, const struct iovec *local, const struct iovec *remote, size_t n);
/* How many reads of another process's memory (process_vm_readv calls) this
 * process has made so far: what a sample costs the kernel, counted. */
uint64_t proc_reads_made(void);
typedef struct {
    uint64_t start, end, offset;
    char perms[5];
    char *path;     /* NULL for anonymous mappings */
} proc_map;

typedef struct {
    proc_map *maps;
    size_t n;
} proc_maps;

int proc_maps_read(pid_t pid, proc_maps *out);
void proc_maps_free(proc_maps *m);
/* Lowest start address of any mapping of path (the load base for ELF files
 * whose first PT_LOAD has vaddr 0 and offset 0). 0 if not mapped. */
uint64_t proc_maps_base(const proc_maps *m, const char *path);

/* Thread ids of pid (from /proc/PID/task), malloc'd into *tids. */
int proc_threads(pid_t pid, pid_t **tids, size_t *n);
/* Name from /proc/PID/task/TID/comm into buf (trailing newline removed). */
int proc_thread_name(pid_t pid, pid_t tid, char *buf, size_t len);
/* Name of any task, a thread of another process included, from
 * /proc/ID/comm (trailing newline removed). */
int proc_comm(pid_t id, char *buf, size_t len);
/* State letter of a /proc/.../stat line ('R', 'S', 'D', 'Z', ...). */
int proc_stat_state(const char *stat, char *state);
/* Files of one thread kept open to be read again and again (one pread
 * each, no path lookup). An fd, or -1. Once the thread is gone its files
 * stop answering, so a tid the kernel has since given to another thread is
 * never read through them. */
int proc_open_children(pid_t pid, pid_t tid);

/* Where a thread stands with the scheduler right now. The state letter
 * alone cannot tell the first two apart: 'R' is both on a CPU and waiting
 * for one (preempted by another process, or its cgroup's CPU quota spent).
 * The kernel counts each time it puts the thread on a CPU (pcount, in
 * schedstat) and each time it takes it off (voluntary plus involuntary
 * switches, in status): on a CPU there is one more of the former. */
typedef enum {
    PROC_ON_CPU,       /* running, or 'R' where schedstat is missing */
    PROC_WAITING_CPU,  /* runnable, off every CPU (proc_thread_sched says which CPU's queue) */
    PROC_NOT_RUNNABLE, /* sleeping, stopped, or any other state; also woken but not
                        * put on a CPU since it was last found so (no code run) */
} proc_sched_state;

/* /proc/PID/task/TID/status, .../schedstat and .../stat, kept open (fds or -1). */
typedef struct {
    int status_fd, schedstat_fd, stat_fd;
} proc_thread_files;

int proc_thread_files_open(pid_t pid, pid_t tid, proc_thread_files *f);
/* True when the thread whose files these are has ended and been reaped
 * (its stat file answers ESRCH); false while it lives, and when unknown. */
bool proc_thread_gone(const proc_thread_files *f);
void proc_thread_files_close(proc_thread_files *f);
typedef struct {
    proc_sched_state state;
    int cpu;            /* when waiting: the CPU whose queue it waits in (stat's
                         * field 39); else -1, also when unknown */
    uint64_t switches;  /* times the kernel took it off a CPU so far */
    uint64_t run_ns;    /* when waiting: its CPU time so far (schedstat), exact
                         * then (the kernel counts it up when it takes a thread
                         * off a CPU); else 0 */
    uint64_t pcount;    /* when not runnable: times it was put on a CPU so far
                         * (schedstat), if read; else 0 */
} proc_sched;

/* The thread's scheduler state: one pread of status, and for a runnable
 * thread one of schedstat (and of stat when it waits), unless prev, the
 * last answer for the thread (or NULL), saw it on a CPU and it has not been
 * taken off one since. When prev saw it not runnable, schedstat is read
 * first: if the thread has not been put on a CPU since (the same pcount) it
 * is still not runnable for a profiler, asleep or woken but not yet run,
 * either way it has run no code, and that one pread is all; else stat, and
 * status only if stat says runnable. -1 with errno when its files do not
 * answer (ESRCH: the thread is gone). */
int proc_thread_sched(const proc_thread_files *f, const proc_sched *prev, proc_sched *out);
/* The thread's state letter and the CPU it runs on, or last ran on (its
 * stat file's fields 3 and 39): one pread. 0, or -1 with errno. */
int proc_thread_cpu(const proc_thread_files *f, char *state, int *cpu);
/* Fields 3 and 39 of a /proc/.../stat line: the state letter, and the CPU
 * the thread last ran on. 0, or -1 when either is missing or out of range. */
int proc_stat_state_cpu(const char *stat, char *state, int *cpu);
/* The parts of the above that read text, for tests: the state letter and
 * voluntary + involuntary switches from a status file, and the CPU time
 * (ns) and pcount from a schedstat line. 0, or -1 when a field is missing
 * or out of range. */
int proc_status_switches(const char *status, char *state, uint64_t *switches);
int proc_schedstat(const char *schedstat, uint64_t *run_ns, uint64_t *pcount);
/* The kernel's CPU-time clock of process pid (all its threads), which
 * needs no permission beyond seeing the process. For another process it
 * advances at scheduler ticks (1-10 ms), not continuously. 0, or -1 with
 * errno. */
int proc_cpu_clock(pid_t pid, clockid_t *clk);
/* The CPU time on such a clock so far, in ns. 0, or -1 (gone). */
int proc_cpu_ns(clockid_t clk, uint64_t *ns);
/* Path of pid's executable (the /proc/PID/exe link) into buf, cut to
 * len - 1 bytes; on failure buf is "" and -1 is returned. */
int proc_exe(pid_t pid, char *buf, size_t len);
/* The value of entry type (AT_SYSINFO_EHDR...) of pid's auxiliary vector;
 * 0 when absent or unreadable. */
uint64_t proc_auxv(pid_t pid, uint64_t type);
/* A number field of /proc/ID/status ("TracerPid", "Seccomp"); -1 when
 * absent or unreadable. */
long proc_status_number(pid_t id, const char *field);
/* kernel.yama.ptrace_scope (0-3), or -1 when Yama is absent or unreadable. */
int proc_ptrace_scope(void);
/* Why ptrace refused to stop thread tid of process pid with errno err, in
 * one line naming what to do: the process exited, another tracer holds it
 * (named), the Yama scope, a seccomp filter, or another user's process. */
void proc_ptrace_refusal(pid_t pid, pid_t tid, int err, char *why, size_t len);
/* Command line of pid joined with spaces into buf (truncated to len). */
int proc_cmdline(pid_t pid, char *buf, size_t len);
/* Parent pid of pid. */
int proc_ppid(pid_t pid, pid_t *ppid);
/* All live descendants of root (children, grandchildren, ...), malloc'd. */
int proc_descendants(pid_t root, pid_t **pids, size_t *n);
/* A value that changes when pid execs a new program: a hash of where its
 * code, stack and arguments were placed (/proc/PID/stat), which every exec
 * lays out anew. */
int proc_exec_id(pid_t pid, uint64_t *id);
/* Pids listed in a children file from proc_open_children (one pread). */
int proc_children_fd(int fd, pid_t **pids, size_t *n);
/* True when the process exists (and is not a zombie). */
bool proc_alive(pid_t pid);
/* True when thread tid of pid exists and has not begun to exit (its
 * state is neither 'Z' nor 'X'). */
bool proc_thread_alive(pid_t pid, pid_t tid);
/* The machine's busy CPU time since boot, all CPUs together, in seconds:
 * user, nice, system, irq, softirq and steal of /proc/stat's "cpu" line
 * (steal: time the hypervisor gave another guest; guest time is already in
 * user). 0, or -1 when /proc/stat is unreadable or not as expected. */
int proc_machine_busy(double *seconds);
/* The machine's CPU model into buf: "model name" of /proc/cpuinfo's first
 * CPU, with its family and model numbers when given (x86), e.g. "AMD EPYC
 * 7763 64-Core Processor (family 25, model 1)"; printable ASCII, blanks
 * collapsed, cut to len - 1 bytes. 0, or -1 when there is no name (some
 * ARM kernels) or /proc/cpuinfo cannot be read. */
int proc_cpu_model(char *buf, size_t len);

#endif
