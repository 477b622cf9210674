/* profile.h -- the in-memory profile: what every report is rendered from.
 *
 * A profile is a set of distinct stacks with sample counts, plus the metadata
 * a reader needs to interpret them (command, interpreter, timing, rate).
 * Frames are interned in a table so a stack is just an array of indices, and
 * stacks are interned so a warm sample costs one hash lookup.
 *
 * Promises:
 *  - Strings handed to prof_* are copied; the caller keeps ownership of its own.
 *  - Indices (frame, thread, stack) are stable for the profile's lifetime.
 *  - Stacks are stored root first, leaf last.
 *  - Every allocation failure is reported as -1 / NULL, never abort().
 */
#ifndef CSPROF_PROFILE_H
#define CSPROF_PROFILE_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

/* What a frame stands for. PROCESS and THREAD frames are synthetic roots that
 * writers may emit so that stacks of different processes/threads don't merge. */
typedef enum {
    FRAME_PYTHON = 0,
    FRAME_NATIVE = 1,
    FRAME_PROCESS = 2,
    FRAME_THREAD = 3,
} frame_type;

typedef struct {
    char *function;   /* 3.11+: the function's __qualname__ (what functools.wraps
                         sets), else co_qualname / co_name (3.8-3.10) */
    char *file;       /* co_filename, or the shared object for native frames */
    int line;         /* line executing in this frame (0 = unknown) */
    int first_line;   /* first line of the function (co_firstlineno) */
    frame_type type;
    char *module;     /* the function's __module__ (3.11+), NULL when unknown */
    /* An import: one frame standing for the import machinery that loaded a
     * module, named "import NAME" (see prof_collapse_imports). This is how
     * any module asks "is this an import frame": f->import. */
    bool import;
} prof_frame;

/* What kind of code a function is: one rule for every report (classify.h). */
typedef enum {
    CODE_YOURS = 0,
    CODE_STDLIB,
    CODE_THIRD_PARTY,
    CODE_NATIVE,
    CODE_IDLE,
    CODE_SYNTHETIC,   /* process/thread roots */
    CODE_KIND_COUNT
} code_kind;

typedef struct {
    int pid;
    int tid;          /* OS thread id (native_thread_id when known) */
    char *name;       /* thread name from /proc/PID/task/TID/comm, may be NULL */
} prof_thread;

typedef struct {
    int pid;
    int ppid;
    char *command;    /* joined argv of the process as seen in /proc */
    char *python_version;  /* e.g. "3.12.1", NULL if not a Python process */
} prof_process;

typedef struct {
    uint32_t thread;  /* index into threads */
    bool idle;        /* sampled while the thread was off CPU (only with --idle) */
    uint32_t depth;
    uint32_t *frames; /* depth indices into frames, root first */
    uint64_t count;
} prof_stack;

typedef struct {
    uint64_t ticks;   /* sampling intervals covered: what the samples stand for */
    uint64_t rounds;  /* wake-ups that sampled: one a tick, but one round beside a
                       * thread stands for several (sampler.h, placement) */
    uint64_t taken;   /* thread stacks recorded (== sum of stack counts) */
    uint64_t dropped; /* thread stacks dropped as torn/inconsistent */
    uint64_t idle;    /* thread stacks seen idle (recorded only with --idle) */
    uint64_t max_per_tick; /* most stacks recorded in one round: threads running at once */
    uint64_t missed;  /* ticks skipped because the sampler fell behind its rate */
    uint64_t unsampled_processes;  /* descendants not followed: too many at once */
    uint64_t waiting; /* process ticks not sampled, or not wholly, for waiting for a CPU:
                       * the process had not used the CPU time its samples so far stand
                       * for, or a thread was runnable but off every CPU (left for a
                       * tick when it runs) */
    uint64_t state_reads; /* thread samples whose state the read could not tell (not seen
                           * executing), asked of the kernel: what running-or-idle costs */
    uint64_t code_checks; /* code objects re-read to see that the cache still names them
                           * right: what a changing program costs (none on a steady
                           * stack from 3.12) */
    uint64_t reads;       /* system calls that read the targets' memory while sampling:
                           * one per tick is a stack read in one call */
    uint64_t moved;       /* thread stacks that changed while they were read (calls
                           * shorter than a read; pyreader.h, py_thread_stack.moved) */
    uint64_t beside;      /* ticks read from the CPU of a thread whose stack changed
                           * under the reads (sampler.h, placement: --same-cpu) */
} prof_counters;

typedef struct profile profile;

profile *prof_new(void);
void prof_free(profile *p);

/* Metadata. Setters copy; getters return borrowed pointers (may be NULL). */
typedef struct {
    char *csprof_version;
    char *csprof_commit;
    char **argv;            /* command line of the profiled command (NULL-terminated) */
    int argc;
    char *name;             /* output stem */
    char *script;           /* the script path when the command runs one */
    char *python_version;   /* of the main (first) Python process */
    char *interpreter;      /* path of the binary holding _PyRuntime */
    char *python_build;     /* "default", "free-threaded" or "debug" (pyoffsets_build_name) */
    char *cwd;              /* working directory of the command */
    char *workspace;        /* GITHUB_WORKSPACE or cwd: decides "your code" */
    char *git_commit;       /* GITHUB_SHA or git HEAD, when known */
    char *start_time;       /* ISO 8601 UTC, e.g. 2026-11-24T19:30:00Z */
    double wall_seconds;
    int exit_status;        /* as csprof returns it: code, or 128+signal; -1 unknown */
    double rate_hz;         /* requested */
    double interval_seconds;/* measured mean time between ticks */
    bool native;
    bool idle_included;
    bool subprocesses;
    char *note;             /* e.g. "no Python stacks found", may be NULL */
    double sampler_cpu_seconds;  /* csprof's own CPU time while sampling */
    double sampler_work_seconds; /* of which reading stacks (the rest: wake-ups) */
    /* The profiled command's own resource usage (wait4 on the child it
     * started, reaped descendants included); rusage_known is false when
     * attached to a pid or read from an older profile. */
    bool rusage_known;
    double cpu_user_seconds, cpu_system_seconds;
    double max_rss_bytes;   /* peak resident set (largest single process) */
    /* How busy the rest of the runner was while the script ran: mean CPUs
     * kept busy by other processes and the hypervisor's steal (-1:
     * unknown), out of runner_cpus (0: unknown). A busier runner stretches
     * wall time and, through shared caches, CPU time too. */
    double other_load;
    int runner_cpus;
    /* The runner's CPU model (proc_cpu_model), NULL when unknown: wall and
     * CPU time compare only between runs on the same CPU model and count. */
    char *runner_cpu;
#define PROF_CPU_MODEL_MAX 200
    /* Where the run came from, for "which profiles are compared". */
    char *git_branch;       /* GITHUB_HEAD_REF / GITHUB_REF_NAME, may be NULL */
    char *ci_run;           /* GITHUB_RUN_ID[/attempt], may be NULL */
    char *ci_run_url;       /* link to the run, may be NULL */
} prof_meta;

prof_meta *prof_meta_of(profile *p);
const prof_meta *prof_meta_get(const profile *p);
/* Replace *dst with a copy of src (src may be NULL). Returns -1 on OOM. */
int prof_set_str(char **dst, const char *src);
int prof_set_argv(profile *p, int argc, char *const *argv);

prof_counters *prof_counters_of(profile *p);

/* Interning. Return the index, or -1 on allocation failure. */
int prof_intern_frame(profile *p, const char *function, const char *file,
                      int line, int first_line, frame_type type);
/* The same with every field of f (module, import); equal frames (all fields)
 * share one index. */
int prof_intern(profile *p, const prof_frame *f);
int prof_add_thread(profile *p, int pid, int tid, const char *name);
int prof_add_process(profile *p, int pid, int ppid, const char *command,
                     const char *python_version);
/* Add count samples of the stack frames[0..depth) (root first) on thread.
 * Equal (thread, idle, frames) stacks are merged. Returns stack index or -1. */
int prof_add_stack(profile *p, uint32_t thread, bool idle,
                   const uint32_t *frames, uint32_t depth, uint64_t count);

size_t prof_nframes(const profile *p);
size_t prof_nthreads(const profile *p);
size_t prof_nprocesses(const profile *p);
size_t prof_nstacks(const profile *p);
const prof_frame *prof_frame_at(const profile *p, size_t i);
const prof_thread *prof_thread_at(const profile *p, size_t i);
const prof_process *prof_process_at(const profile *p, size_t i);
const prof_stack *prof_stack_at(const profile *p, size_t i);
uint64_t prof_total_samples(const profile *p);

/* How many times binomial sampling's variance a share of p's samples has
 * for its sample weights: sum(w^2)/sum(w), w the ticks each sample stands
 * for (one, or several for a round read beside a thread: prof_counters.
 * rounds). 1 when every round was one tick; the counts divided by it are
 * the draws a share's uncertainty rests on. */
double prof_design_effect(const profile *p);
/* The ticks each round read beside a thread stood for, on average, from
 * prof_counters (ticks, beside, rounds); 1 when no round stood for more. */
double prof_beside_every(const profile *p);

/* Seconds one sample stands for: measured interval, else 1/rate. */
double prof_seconds_per_sample(const profile *p);

/* Per-function aggregation used by summaries, diffs and annotations.
 * A "function" is one entry of the function table (below; func is its id,
 * module and kind come from it); self counts samples
 * where it is the leaf; total counts samples where it appears at least once
 * (recursion counted once). hot_line is the line with most self samples
 * (or most total samples when self is 0). */
typedef struct {
    const char *function;
    const char *file;
    int first_line;
    frame_type type;
    uint32_t func;          /* id in prof_functions() */
    uint64_t self;
    uint64_t total;
    int hot_line;
    uint64_t hot_line_samples;
} prof_func_stat;

/* Fills *out with a malloc'd array sorted by self desc, total desc, name.
 * Synthetic PROCESS/THREAD frames are excluded. Returns count or -1. */
long prof_function_stats(const profile *p, prof_func_stat **out);

/* ---- the function table: what "one function" is, for every report ----
 *
 * Identity rule: two frames are one function when they have the same type,
 * function name, file and first_line (the line running is not part of it).
 * On 3.11+ the name is the function object's __qualname__, so wrappers made
 * with functools.wraps (and numpy's API wrappers) are told apart by name;
 * on 3.8-3.10 co_name plus first_line tells two classes' `__init__` apart.
 * Synthetic process/thread roots are not functions. The module, when known,
 * is an attribute (the first frame's), not part of the identity, so
 * profiles recorded before modules were read still match newer ones.
 *
 * Built once per profile on first use (prof_functions) and rebuilt only if
 * frames or metadata changed since; writers, summaries, diffs and
 * annotations read it so that they agree by construction. */
typedef struct {
    const char *name;      /* display name (borrowed from the profile) */
    const char *file;      /* as recorded; NULL when unknown */
    const char *module;    /* __module__ when known, else NULL */
    int first_line;
    frame_type type;
    bool import;           /* an import frame: "import NAME" (see prof_frame) */
    int kind;              /* a code_kind (classify.h), module-aware */
    const char *path;      /* display path: package-relative under site-/dist-packages
                              (sklearn/gaussian_process/_gpr.py), workspace-relative
                              for your code, relative to the lib dir for the stdlib,
                              the object's name for native code, else the file */
    const char *ws_path;   /* workspace-relative path, NULL unless in the workspace */
} prof_func;

typedef struct prof_functable prof_functable;

/* The profile's function table (NULL on allocation failure). Owned by the
 * profile; valid until the profile changes or is freed. Not thread-safe. */
const prof_functable *prof_functions(const profile *p);
size_t prof_nfuncs(const prof_functable *t);
const prof_func *prof_func_at(const prof_functable *t, size_t i);
/* Function id of frame i; UINT32_MAX for synthetic roots or out of range. */
uint32_t prof_func_of(const prof_functable *t, size_t frame);

/* Prepend synthetic roots to every stack so processes and threads stay apart
 * in every report: "process PID (command)" when by_process, "thread TID (name)"
 * when by_thread. Called once by the recorder when sampling ends, so saved
 * profiles already carry their roots and writers need no special case.
 * Returns 0, or -1 on allocation failure (the profile is then unusable). */
int prof_add_roots(profile *p, bool by_process, bool by_thread);

/* Replace, in every stack, each run of importlib's bootstrap frames
 * (classify_importlib_file) by one frame per import: the "import NAME"
 * frames the reader made of `_find_and_load` (line and first_line 0), with
 * the rest of the machinery around them absorbed. What the imported module
 * runs (its `<module>` frame and below) stays beneath its import frame. A run
 * without an import frame is kept as it is. Called once by the recorder,
 * like prof_add_roots. Returns 0, or -1 on allocation failure. */
int prof_collapse_imports(profile *p);

#endif
