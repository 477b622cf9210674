/* unwind.h -- native (C) stacks of another process's threads, for --native.
 *
 * A thread's registers can only be read while it is stopped, so unlike the
 * Python reader this module stops threads, briefly: native_stop() seizes
 * each thread with ptrace (PTRACE_SEIZE, no options: nothing else about the
 * target changes) and interrupts it; native_copy() copies a stopped
 * thread's registers and stack; native_resume() detaches every thread
 * again; native_unwind() then walks each copy with libunwind's remote API. Between native_stop() and native_resume() the
 * termination and job-control signals (INT, TERM, HUP, QUIT, TSTP...) are
 * blocked in csprof, so they are handled only once the target runs again;
 * if csprof dies anyway, the kernel detaches the threads itself. A signal
 * that reached a thread while it was stopped is handed back to it on
 * detach, and a thread stopped by job control stays stopped.
 *
 * Program counters are turned into (object, function) with the target's
 * /proc/PID/maps and the objects' ELF symbol tables, cached per object.
 */
#ifndef CSPROF_UNWIND_H
#define CSPROF_UNWIND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define NATIVE_MAX_DEPTH 512   /* frames per unwind; deeper stacks are cut at the root side */

typedef struct native_unwinder native_unwinder;

/* For process pid. interp: the file holding the interpreter (its frames are
 * flagged interp). our_child: pid is csprof's own child, whose exit status
 * belongs to the caller's waitpid(pid) and must not be collected here.
 * NULL on allocation failure. */
native_unwinder *native_new(pid_t pid, const char *interp, bool our_child);
/* Resumes anything still stopped, then frees. */
void native_free(native_unwinder *u);

/* Stops the threads tids[0..n) of the process and waits until each is
 * stopped. Returns how many are stopped; native_resume() must follow in
 * every case, even when that is 0. A thread that cannot be stopped is
 * skipped: it exited (ESRCH), or ptrace is refused (EPERM: see
 * native_last_error()). */
size_t native_stop(native_unwinder *u, const pid_t *tids, size_t n);
bool native_is_stopped(const native_unwinder *u, pid_t tid);
/* Detaches every thread native_stop() stopped and restores the signal mask. */
void native_resume(native_unwinder *u);
/* Detaches one stopped thread as soon as it has been read (native_copy),
 * so that with several threads none waits stopped while the others are
 * read. The signals stay blocked until native_resume(), which must still
 * follow. */
void native_release(native_unwinder *u, pid_t tid);
/* Forgets a thread that has ended (its registers, stack copy and
 * libunwind state, 16 KB or more): the caller knows, as a thread that is
 * gone is never asked to stop again. Not while it is stopped. */
void native_forget(native_unwinder *u, pid_t tid);
/* How many threads the unwinder keeps state for. */
size_t native_threads_kept(const native_unwinder *u);

/* How long threads were held stopped in total (from the moment each stop
 * was seen to its detach), and how many stops: the cost to the target. */
void native_held(const native_unwinder *u, double *seconds, uint64_t *stops);

/* The errno of the last refused PTRACE_SEIZE (EPERM...), 0 if none, and a
 * one-line explanation of it (already traced by another process, a
 * seccomp policy forbidding ptrace...). */
int native_last_error(const native_unwinder *u, char *why, size_t len);

/* Copies stopped thread tid's registers and its stack from the stack
 * pointer up (as far as its last walk needed, twice over), so that
 * native_unwind can walk it after native_release: the thread is held only
 * for the copy. Returns -1 when the thread is not stopped or its registers
 * cannot be read. */
int native_copy(native_unwinder *u, pid_t tid);

/* Unwinds thread tid into pcs[0..return), leaf first, from the copy
 * native_copy took in the current stop window (taken now if the thread is
 * still stopped and has none). pcs[0] is the
 * thread's current instruction; the others are return addresses minus one
 * (inside the call instruction), so that each looks up to its caller even
 * when a call is a function's last instruction. *complete is set when the
 * walk reached the outermost frame rather than stopping on an error or the
 * max bound, or the end of the copy. Returns -1 when there is no copy
 * and the thread is not stopped, or its registers could not be read. */
int native_unwind(native_unwinder *u, pid_t tid, uint64_t *pcs, int max, bool *complete);

typedef struct {
    const char *function;  /* the function's name (see native_symbolize) */
    const char *object;    /* path of the mapped file, or "[unknown]" */
    bool interp;           /* inside the interpreter file given to native_new */
    bool known;            /* function is the name of the function holding pc */
    char buf[1024];        /* storage for a demangled or made-up name */
} native_symbol;

/* Names pc (as returned by native_unwind), from the symbol tables of the
 * file mapped there (.symtab, else .dynsym). C++ and Rust names are
 * demangled (demangle.h). A pc no symbol covers (a static function of a
 * stripped library: most of numpy's C code on Debian) is named after its
 * object alone, in brackets: a Python extension module by the module its
 * users import ("[numpy.core._multiarray_umath]"), another file by its
 * name ("[libc.so.6]"), so that all the
 * unnamed code of one library adds up in one frame instead of scattering
 * over one frame per address; "[vdso]" for the vDSO, and "[unknown]" for
 * code outside any file (JIT or trampolines). known is false for these.
 * The strings live until native_free() (or in out->buf). Does not need the
 * thread stopped. */
void native_symbolize(native_unwinder *u, uint64_t pc, native_symbol *out);

/* The name native_symbolize gives code of object that no symbol covers: an
 * extension module's module (classify_extension_module) in brackets,
 * "[numpy.core._multiarray_umath]", any other file's name, "[libc.so.6]",
 * and object itself when it is in brackets already ("[vdso]"). Written to
 * out (cut to len). */
void native_group_name(const char *object, char *out, size_t len);

/* Probes whether pid's threads may be stopped: seizes and interrupts its
 * main thread, and detaches at once. Returns 0, or an errno (EPERM, ESRCH)
 * with the explanation in why. */
int native_probe(pid_t pid, bool our_child, char *why, size_t len);

#endif
