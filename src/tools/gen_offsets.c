/* gen_offsets.c -- prints one row of src/target/pyoffsets_gen.h for the CPython
 * whose headers it is compiled against (see gen-offsets.sh):
 *
 *   cc -DPy_BUILD_CORE -I<inc>/python3.X -I<inc>/python3.X/internal gen_offsets.c
 *
 * For 3.8-3.12 the row holds struct offsets straight from the headers. From
 * 3.13 on the interpreter publishes its own offsets in _Py_DebugOffsets at
 * the start of _PyRuntime, so the row holds where each needed value sits
 * *inside* that block (its layout changes between versions), plus the few
 * constants the block does not carry. Nothing here is guessed: every number
 * comes from offsetof/sizeof or an enum of the compiled headers.
 */
#define Py_BUILD_CORE 1
#include <Python.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#if PY_MINOR_VERSION >= 11
#include "internal/pycore_frame.h"
#else
#include "frameobject.h"
#endif
#if PY_MINOR_VERSION >= 9
#include "internal/pycore_interp.h"
#endif
#if PY_MINOR_VERSION >= 9
#include "internal/pycore_runtime.h"
#else
#include "internal/pycore_pystate.h"
#endif
#if PY_MINOR_VERSION >= 14
#include "internal/pycore_stackref.h"
#endif
#if PY_MINOR_VERSION >= 15
#include "internal/pycore_interpframe_structs.h"
#endif

#define F(name, value) printf("    .%s = %lu,\n", #name, (unsigned long)(value))

/* The kind of build these headers were configured for (pyconfig.h, or
 * -DPy_GIL_DISABLED / -DPy_DEBUG from gen-offsets.sh). */
static void build_kind(void) {
#if defined(Py_GIL_DISABLED)
    printf("    .build = PY_BUILD_FREE_THREADED,\n");
#elif defined(Py_DEBUG)
    printf("    .build = PY_BUILD_DEBUG,\n");
#else
    printf("    .build = PY_BUILD_DEFAULT,\n");
#endif
}

/* Bitfields have no offsetof: set one field in a zeroed object and look at
 * which bits of the state word changed. */
static unsigned state_word(PyASCIIObject *o) {
    unsigned w;
    memcpy(&w, (char *)o + offsetof(PyASCIIObject, state), sizeof w);
    return w;
}

static void unicode_state_bits(void) {
    PyASCIIObject o;
    memset(&o, 0, sizeof o);
    o.state.kind = 7;
    unsigned kind = state_word(&o);
    unsigned shift = 0;
    while (!((kind >> shift) & 1)) shift++;
    memset(&o, 0, sizeof o);
    o.state.compact = 1;
    unsigned compact = state_word(&o);
    memset(&o, 0, sizeof o);
    o.state.ascii = 1;
    unsigned ascii = state_word(&o);
    F(state_kind_shift, shift);
    F(state_kind_mask, kind >> shift);
    F(state_compact_bit, compact);
    F(state_ascii_bit, ascii);
    F(unicode_compact_size, sizeof(PyCompactUnicodeObject));
}

static void common_objects(void) {
    F(ob_type, offsetof(PyObject, ob_type));
    F(unicode_hash, offsetof(PyASCIIObject, hash));
    F(bytes_size, offsetof(PyVarObject, ob_size));
    F(bytes_sval, offsetof(PyBytesObject, ob_sval));
    unicode_state_bits();
}

#if PY_MINOR_VERSION <= 12
static void static_table(void) {
    F(runtime_interpreters_head, offsetof(_PyRuntimeState, interpreters.head));
#if PY_MINOR_VERSION == 8
    F(runtime_finalizing, offsetof(_PyRuntimeState, finalizing) + 1);
#else
    F(runtime_finalizing, offsetof(_PyRuntimeState, _finalizing) + 1);
#endif
    F(interp_next, offsetof(PyInterpreterState, next));
#if PY_MINOR_VERSION >= 11
    F(interp_threads_head, offsetof(PyInterpreterState, threads.head));
#else
    F(interp_threads_head, offsetof(PyInterpreterState, tstate_head));
#endif
    F(tstate_next, offsetof(PyThreadState, next));
    F(tstate_thread_id, offsetof(PyThreadState, thread_id));
#if PY_MINOR_VERSION >= 11
    F(tstate_native_thread_id, offsetof(PyThreadState, native_thread_id));
    F(tstate_frame, offsetof(PyThreadState, cframe));
    F(cframe_current_frame, offsetof(_PyCFrame, current_frame));
    F(iframe_previous, offsetof(_PyInterpreterFrame, previous));
    F(iframe_code, offsetof(_PyInterpreterFrame, f_code));
    F(iframe_instr, offsetof(_PyInterpreterFrame, prev_instr));
    F(iframe_owner, offsetof(_PyInterpreterFrame, owner));
#if PY_MINOR_VERSION == 11
    F(iframe_is_entry, offsetof(_PyInterpreterFrame, is_entry) + 1);
    F(owner_thread, FRAME_OWNED_BY_THREAD + 1);
#endif
    F(code_qualname, offsetof(PyCodeObject, co_qualname));
    F(code_linetable, offsetof(PyCodeObject, co_linetable));
    F(code_adaptive, offsetof(PyCodeObject, co_code_adaptive));
#else
    F(tstate_id, offsetof(PyThreadState, id));
    F(tstate_frame, offsetof(PyThreadState, frame));
    F(frame_back, offsetof(PyFrameObject, f_back));
    F(frame_code, offsetof(PyFrameObject, f_code));
    F(frame_lasti, offsetof(PyFrameObject, f_lasti));
#if PY_MINOR_VERSION == 10
    F(frame_live, offsetof(PyFrameObject, f_state) + 1);
    F(frame_live_value, FRAME_EXECUTING);
#else
    F(frame_live, offsetof(PyFrameObject, f_executing) + 1);
    F(frame_live_value, 1);
#endif
#if PY_MINOR_VERSION == 10
    F(code_linetable, offsetof(PyCodeObject, co_linetable));
#else
    F(code_linetable, offsetof(PyCodeObject, co_lnotab));
#endif
#endif
#if PY_MINOR_VERSION == 12
    F(owner_cstack, FRAME_OWNED_BY_CSTACK + 1);
#endif
    F(code_filename, offsetof(PyCodeObject, co_filename));
    F(code_name, offsetof(PyCodeObject, co_name));
    F(code_firstlineno, offsetof(PyCodeObject, co_firstlineno));
    F(unicode_state, offsetof(PyASCIIObject, state));
    F(unicode_length, offsetof(PyASCIIObject, length));
    F(unicode_ascii_size, sizeof(PyASCIIObject));
}
#else
#define D(name, member) F(name, offsetof(_Py_DebugOffsets, member))
static void debug_layout(void) {
    F(debug_offsets_size, sizeof(_Py_DebugOffsets));
    D(runtime_interpreters_head, runtime_state.interpreters_head);
    D(runtime_finalizing, runtime_state.finalizing);
    D(interp_next, interpreter_state.next);
    D(interp_threads_head, interpreter_state.threads_head);
    D(tstate_next, thread_state.next);
    D(tstate_thread_id, thread_state.thread_id);
    D(tstate_native_thread_id, thread_state.native_thread_id);
    D(tstate_frame, thread_state.current_frame);
    D(iframe_previous, interpreter_frame.previous);
    D(iframe_code, interpreter_frame.executable);
    D(iframe_instr, interpreter_frame.instr_ptr);
    D(iframe_owner, interpreter_frame.owner);
    D(code_filename, code_object.filename);
    D(code_name, code_object.name);
    D(code_qualname, code_object.qualname);
    D(code_firstlineno, code_object.firstlineno);
    D(code_linetable, code_object.linetable);
    D(code_adaptive, code_object.co_code_adaptive);
    D(unicode_state, unicode_object.state);
    D(unicode_length, unicode_object.length);
    D(unicode_ascii_size, unicode_object.asciiobject_size);
    D(debug_free_threaded, free_threaded);
    D(debug_version, version);
    /* Constants the block does not carry. 3.15 dropped the C-stack owner:
     * its eval-loop entry frames are owned by the interpreter. */
#if PY_MINOR_VERSION <= 14
    F(owner_cstack, FRAME_OWNED_BY_CSTACK + 1);
#endif
#if PY_MINOR_VERSION >= 14
    F(owner_interpreter, FRAME_OWNED_BY_INTERPRETER + 1);
    F(stackref_tag_mask, Py_TAG_BITS);
#endif
    /* The counter that says whether a code object's address may have been
     * reused (pyoffsets.h, interp_code_counter). */
#if PY_MINOR_VERSION == 13
    /* Not in the block: the offset is in py_code_counters_313 (see main),
     * per size of PyInterpreterState, which the block gives. */
    D(debug_interp_size, interpreter_state.size);
#else
    D(interp_code_counter, interpreter_state.code_object_generation);
#endif
#if PY_MINOR_VERSION >= 14 && defined(Py_GIL_DISABLED)
    D(iframe_tlbc_index, interpreter_frame.tlbc_index);
    D(code_tlbc, code_object.co_tlbc);
    F(codearray_size, offsetof(_PyCodeArray, size));
    F(codearray_entries, offsetof(_PyCodeArray, entries));
#endif
}
#endif

/* What names a frame the way users know it: the function object a frame
 * runs (3.11+) for its __qualname__/__module__, and the frame's first local
 * (the module name an import is loading). */
static void naming_fields(void) {
    F(func_code, offsetof(PyFunctionObject, func_code));
    F(func_qualname, offsetof(PyFunctionObject, func_qualname));
    F(func_module, offsetof(PyFunctionObject, func_module));
#if PY_MINOR_VERSION == 11
    F(iframe_funcobj, offsetof(_PyInterpreterFrame, f_func) + 1);  /* 0 there */
    F(iframe_localsplus, offsetof(_PyInterpreterFrame, localsplus));
#elif PY_MINOR_VERSION == 12
    F(iframe_funcobj, offsetof(_PyInterpreterFrame, f_funcobj) + 1);
    F(iframe_localsplus, offsetof(_PyInterpreterFrame, localsplus));
#elif PY_MINOR_VERSION >= 13
    /* Not in the debug block; it precedes every build-dependent field. */
    F(iframe_funcobj, offsetof(_PyInterpreterFrame, f_funcobj) + 1);
    F(iframe_localsplus, offsetof(_Py_DebugOffsets, interpreter_frame.localsplus));
#else
    F(frame_localsplus, offsetof(PyFrameObject, f_localsplus));
#endif
}

/* 3.13's code counter, func_state.next_version, is not in its debug block,
 * and its offset moved between patch releases along with the size of
 * PyInterpreterState (which the block does give): one entry per header tree,
 * {build, size, offset + 1}, and the reader uses it only on a size match. */
static void code_counter_313(void) {
#if PY_MINOR_VERSION == 13
#if defined(Py_GIL_DISABLED)
    const char *build = "PY_BUILD_FREE_THREADED";
#elif defined(Py_DEBUG)
    const char *build = "PY_BUILD_DEBUG";
#else
    const char *build = "PY_BUILD_DEFAULT";
#endif
    printf("    {%s, %lu, %lu},  /* %s */\n", build, (unsigned long)sizeof(PyInterpreterState),
           (unsigned long)offsetof(PyInterpreterState, func_state.next_version) + 1, PY_VERSION);
#endif
}

int main(int argc, char **argv) {
    if (argc > 1 && !strcmp(argv[1], "counter")) {
        code_counter_313();
        return 0;
    }
    printf("{   /* generated from the headers of %s%s */\n", PY_VERSION,
#if defined(Py_GIL_DISABLED)
           ", free-threaded"
#elif defined(Py_DEBUG)
           ", debug"
#else
           ""
#endif
           );
    F(minor, PY_MINOR_VERSION);
    build_kind();
#if PY_MINOR_VERSION <= 12
    static_table();
#else
    debug_layout();
#endif
    common_objects();
    naming_fields();
    printf("},\n");
    return 0;
}
