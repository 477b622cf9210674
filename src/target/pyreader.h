/* pyreader.h -- reads CPython thread stacks out of another process.
 *
 * py_attach() finds the interpreter in the target's mappings (the executable,
 * a libpython3.X.so, or a python started through ld-linux), detects its
 * version from the binary, and resolves the struct offsets. py_sample() then
 * walks every thread's frames with process_vm_readv only: the target is
 * never stopped.
 *
 * Everything read is untrusted: depths, lengths and string sizes are
 * bounded, code objects are checked against PyCode_Type, and a stack that
 * does not hold together is reported as dropped instead of being guessed.
 *
 * Code objects and their strings are cached by address so a warm sample
 * costs about one read per frame (<= 3.10) or one read per stack (3.11+,
 * where frames live in the thread's contiguous data stack).
 */
#ifndef CSPROF_PYREADER_H
#define CSPROF_PYREADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define PY_MAX_DEPTH 4096   /* deeper stacks keep their innermost frames */

typedef struct py_process py_process;

typedef enum {
    PY_OK = 0,
    PY_NOT_PYTHON,      /* no _PyRuntime in any mapping */
    PY_NOT_READY,       /* Python, but the runtime is not initialised yet */
    PY_UNSUPPORTED,     /* a version we have no offsets for */
    PY_NO_PERMISSION,   /* process_vm_readv refused (EPERM) */
    PY_GONE,            /* the process exited */
    PY_ERROR,           /* anything else: see the message */
} py_status;

py_process *py_attach(pid_t pid, py_status *status, char *err, size_t errlen);
void py_detach(py_process *pp);
const char *py_version(const py_process *pp);      /* "3.12.1" */
const char *py_binary(const py_process *pp);       /* path holding _PyRuntime */
/* "default", "free-threaded" (3.13t+, from the target's _Py_DebugOffsets)
 * or "debug" (a Py_DEBUG build: its binary exports the reference total). */
const char *py_build_name(const py_process *pp);

typedef struct {
    /* From 3.11 the frame's function's __qualname__ (what functools.wraps
     * and numpy's API wrappers set), else co_qualname (3.11+) or co_name;
     * "import NAME" for a frame of importlib's _find_and_load. */
    const char *function;
    const char *file;
    int first_line;
    const char *module;    /* the function's __module__ (3.11+), else NULL */
    bool import;           /* an importlib _find_and_load frame: see pynames.h */
} py_code_info;

typedef struct {
    uint32_t code;         /* id for py_code_at(); stable while the cache lives; two
                              frames of one code object named differently (see
                              py_code_info) have different ids */
    int line;
    /* First Python frame run by its own call of the C eval loop: where a
     * native stack's _PyEval_EvalFrameDefault frame splices in. Always true
     * before 3.11 (one eval call per frame). */
    bool entry;
} py_frame_ref;

typedef struct {
    uint64_t thread_id;    /* PyThreadState.thread_id (pthread_t) */
    pid_t tid;             /* OS thread id; 0 when it could not be determined */
    uint32_t depth;
    bool truncated;        /* deeper than PY_MAX_DEPTH: outer frames cut */
    /* Seen executing Python code while this sample read it, so it was on a
     * CPU at the sample (see pyreader.c, thread_ran); false says nothing. */
    bool running;
    /* Its stack changed while this sample read it: a try was refused, or
     * (3.11+, the first thread) the current-frame pointer differed between
     * the read's two copies of it. Calls shorter than a read (sampler.h,
     * placement); false says nothing. */
    bool moved;
    const py_frame_ref *frames;  /* leaf first; valid during the callback */
} py_thread_stack;

/* Called once per thread with a consistent stack. Nonzero return stops. */
typedef int (*py_thread_fn)(void *ctx, const py_thread_stack *stack);
/* Called before a thread's stack is read, with its ids only (depth 0, no
 * frames): true leaves the stack unread, and fn is not called for it. */
typedef bool (*py_thread_skip_fn)(void *ctx, const py_thread_stack *ids);

typedef struct {
    uint32_t threads;      /* thread states seen */
    uint32_t dropped;      /* stacks dropped as inconsistent */
    bool finalizing;       /* the runtime is shutting down: failures were not counted */
    uint32_t code_checks;  /* code objects re-read to verify the cache (see pyreader_int.h,
                            * code_counter: from 3.12 a steady stack needs none) */
} py_sample_result;

/* Sample every thread of every interpreter. Returns PY_OK, PY_GONE when the
 * process has exited, or PY_ERROR when even the thread list was unreadable
 * (the round is then counted by the caller as one dropped sample). */
py_status py_sample(py_process *pp, py_thread_fn fn, py_thread_skip_fn skip, void *ctx,
                    py_sample_result *res);

/* Re-read the list of interpreters (cached between samples). The sampler
 * calls it a few times a second. */
py_status py_refresh(py_process *pp);

const py_code_info *py_code_at(const py_process *pp, uint32_t code);

/* Changes when the code cache was flushed and code ids may mean other code
 * objects: anything keyed by code id must then be forgotten. */
uint32_t py_cache_epoch(const py_process *pp);

#endif
