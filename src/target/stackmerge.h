/* stackmerge.h -- splices a thread's Python frames into its native stack.
 *
 * Pure: no I/O, no allocation. The caller unwinds the native stack and reads
 * the Python stack while the thread is stopped, then asks for the merged
 * order here.
 *
 * Every call of the interpreter's eval loop (one native frame) runs the
 * Python frames from one "entry" frame up to the next entry frame: before
 * 3.11 exactly one frame, from 3.11 on any number (Python-to-Python calls
 * stay inside the loop). The merged stack, root first:
 *
 *  - native frames before the first eval loop call (_start, main,
 *    Py_RunMain, pythread_wrapper...) are left out, so that merged stacks
 *    keep the same roots as Python-only ones;
 *  - each eval loop frame is replaced by the Python frames of its call;
 *  - every other frame in the interpreter (its executable or libpython) is
 *    left out, wherever it is: its time is charged to the nearest frame
 *    rootward that is shown, which is the Python frame it was running
 *    (_PyObject_GenericGetAttrWithDict, the call machinery, list_sort under
 *    sorted()) or the extension function that called into the interpreter
 *    (numpy's C code asking for PyLong_FromLong). The interpreter's C code
 *    is how Python runs, not a place a user can change: as a leaf it
 *    crowded the top tables with interpreter internals, while the Python
 *    line that made it work is what the user can act on. Standard-library
 *    modules built into the interpreter file (Debian links many in) count
 *    as the interpreter;
 *  - native frames outside the interpreter (C extensions, BLAS/LAPACK, libc,
 *    libffi, a ctypes callback's qsort) are kept, in order, between the
 *    Python frames: cholesky -> dpotrf2_ -> dtrsm_;
 *  - an unnamed frame stands for its whole object ([libfoo.so], see
 *    unwind.h), so a run of adjacent frames of one group is kept once.
 *
 * When the native stack is complete (the unwinder reached the thread's
 * first frame), the number of eval loop frames must equal the number of
 * entry frames; a native stack cut short at the root side may hold fewer,
 * and is then matched from the leaf, the outer Python frames going first
 * unmatched. Any other disagreement (a thread caught between pushing a
 * frame and entering the loop, an eval hook replacing the loop) makes the
 * merge fail: the caller keeps the Python-only stack and counts it, rather
 * than guessing.
 */
#ifndef CSPROF_STACKMERGE_H
#define CSPROF_STACKMERGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    const char *function;   /* for the caller's use; the merge reads only the fields below */
    const char *object;
    bool eval;              /* a frame of the interpreter's eval loop */
    bool interp;            /* code in the interpreter binary or libpython */
    uint32_t group;         /* nonzero: an unnamed frame standing for its object,
                               this number the same for every frame of it */
} sm_native;

typedef struct {
    bool native;            /* index is into the native frames, else the Python ones */
    uint32_t index;
} sm_frame;

/* native[0..nn) and py_entry[0..np) are root first. native_complete: the
 * unwinder reached the outermost frame. Writes the merged stack (root first)
 * to out, which must hold nn + np entries. Returns its length, or -1 when the
 * stacks do not line up (out is then unspecified). */
long stackmerge(const sm_native *native, size_t nn, bool native_complete,
                const bool *py_entry, size_t np, sm_frame *out, size_t cap);

/* True for the function that runs one call of the eval loop, by its ELF
 * symbol name. 3.8-3.15 all name it _PyEval_EvalFrameDefault (GCC may move
 * its cold paths into "_PyEval_EvalFrameDefault.cold", still the same call).
 * PyEval_EvalFrameEx / PyEval_EvalFrame / _PyEval_EvalFrame only forward to
 * it (or are inlined), so counting them would count one call twice. */
bool stackmerge_is_eval(const char *function);

#endif
