/* pyoffsets.h -- where CPython keeps what we read, per minor version.
 *
 * 3.8-3.12: fixed tables generated from each version's internal headers
 * (src/pyoffsets_gen.h, `make offsets`). 3.13+: the target publishes its own
 * offsets in _Py_DebugOffsets at the start of _PyRuntime; the generated
 * table then says where each value sits inside that block, and
 * pyoffsets_resolve() reads them out. Either way the caller gets one
 * resolved py_layout of plain byte offsets.
 */
#ifndef CSPROF_PYOFFSETS_H
#define CSPROF_PYOFFSETS_H

#include <stddef.h>
#include <stdint.h>

/* Which kind of CPython build a table is for: the object header and some
 * struct layouts differ (free-threaded: ob_tid, biased reference counts;
 * Py_DEBUG: reference-count bookkeeping). */
typedef enum {
    PY_BUILD_DEFAULT = 0,
    PY_BUILD_FREE_THREADED = 1,   /* --disable-gil, "3.14t"; Py_GIL_DISABLED */
    PY_BUILD_DEBUG = 2,           /* --with-pydebug, "python3.14d"; Py_DEBUG */
} py_build;

/* "default", "free-threaded", "debug": the profile JSON's python.build. */
const char *pyoffsets_build_name(py_build build);

typedef struct {
    uint32_t minor;
    uint32_t build;                /* py_build */
    uint32_t debug_offsets_size;   /* 3.13+: sizeof(_Py_DebugOffsets); 0 for static tables */
    uint32_t debug_version, debug_free_threaded;  /* 3.13+: positions inside the block */
    /* _PyRuntimeState, PyInterpreterState, PyThreadState */
    uint32_t runtime_interpreters_head;
    uint32_t runtime_finalizing;    /* thread state finalizing the runtime; <=3.12: offset + 1 */
    uint32_t interp_next, interp_threads_head;
    uint32_t tstate_next, tstate_thread_id, tstate_native_thread_id;  /* 0 = absent */
    uint32_t tstate_id;             /* <=3.10: the thread state's serial number; 0 = absent */
    uint32_t tstate_frame;          /* <=3.10 PyFrameObject*, 3.11/12 _PyCFrame*, 3.13+ _PyInterpreterFrame* */
    uint32_t cframe_current_frame;  /* 3.11/3.12 only */
    /* PyFrameObject, <= 3.10 */
    uint32_t frame_back, frame_code, frame_lasti;
    uint32_t frame_live, frame_live_value;  /* offset + 1 of the byte that says the frame
                                             * has not returned (f_state, f_executing), and
                                             * its value then; 0 = none */
    /* _PyInterpreterFrame, 3.11+ */
    uint32_t iframe_previous, iframe_code, iframe_instr, iframe_owner;
    uint32_t iframe_is_entry;       /* 3.11 only: offset + 1 of is_entry; 0 = absent */
    uint32_t owner_cstack, owner_interpreter;  /* enum value + 1; 0 = none */
    uint32_t owner_thread;          /* 3.11 only: FRAME_OWNED_BY_THREAD + 1, the owner of a
                                     * thread's bottom frame */
    uint32_t stackref_tag_mask;     /* 3.14+: low bits of f_executable to clear */
    /* 3.14+ free-threaded: each thread may run its own copy of the bytecode
     * (co_tlbc->entries[frame.tlbc_index]); 0 = absent. */
    uint32_t iframe_tlbc_index, code_tlbc;
    uint32_t codearray_size, codearray_entries;   /* _PyCodeArray */
    /* Naming: PyFunctionObject; the frame's function object (3.11+) and first
     * local (3.11+: position in the debug block from 3.13, like the fields above) */
    uint32_t func_code, func_qualname, func_module;
    uint32_t iframe_funcobj;                     /* offset + 1; 0 = absent */
    uint32_t iframe_localsplus;                  /* 0 = absent */
    uint32_t frame_localsplus;                   /* PyFrameObject, <= 3.10 */
    /* PyCodeObject */
    uint32_t code_filename, code_name, code_qualname /* 0 = absent */, code_firstlineno;
    uint32_t code_linetable, code_adaptive;
    /* objects */
    uint32_t ob_type, bytes_size, bytes_sval;
    uint32_t unicode_state, unicode_length, unicode_ascii_size, unicode_compact_size;
    uint32_t unicode_hash;          /* cached hash of a str (-1 until computed) */
    uint32_t state_kind_shift, state_kind_mask, state_compact_bit, state_ascii_bit;
    /* A counter in PyInterpreterState that moves before a code object's
     * address can hold another code object: 3.13 counts code objects made
     * (func_state.next_version, 32 bits, stuck at 0 once it wraps), 3.14+
     * code objects freed (_code_object_generation, 64 bits). Resolved:
     * offset + 1, 0 = none. In a 3.14+ row, its position in the debug
     * block; 3.13's block lacks it, and the offset comes from a list of the
     * header trees' (py_code_counters_313), picked by the size of
     * PyInterpreterState that the block gives at debug_interp_size. 3.12's
     * counter is a global (_Py_next_func_version), found by symbol. */
    uint32_t interp_code_counter;
    uint32_t debug_interp_size;
} py_layout;

/* 3.13's code counter offset (func_state.next_version + 1) in a
 * PyInterpreterState of interp_size bytes, for one header tree (see
 * py_layout.interp_code_counter); the list holds one per tree `make offsets`
 * found, and its length is returned. */
typedef struct {
    uint32_t build;
    uint32_t interp_size;
    uint32_t offset_plus1;
} py_code_counter_at;
size_t pyoffsets_code_counters_313(const py_code_counter_at **list);

/* Minor versions with a generated table, for messages ("3.8, 3.9, ..."). */
void pyoffsets_supported(char *buf, size_t len);
/* Table for the minor version and build kind, or NULL when we have none. */
const py_layout *pyoffsets_table(int minor, py_build build);
/* 3.13+: the build kind the target's _Py_DebugOffsets block declares
 * (free-threaded or not; it does not record Py_DEBUG), read with the
 * default table's positions, which the kinds share. -1 when the block is not
 * readable as one. */
int pyoffsets_block_free_threaded(const py_layout *table, const uint8_t *debug, size_t debug_len);
/* Resolve the table into plain offsets. For 3.13+ `debug` must hold the
 * target's _Py_DebugOffsets block (debug_len bytes). Returns 0, or -1 with a
 * one-line reason in err (bad cookie, version mismatch, a free-threaded
 * block given to a table for another build). */
int pyoffsets_resolve(const py_layout *table, const uint8_t *debug, size_t debug_len,
                      uint64_t expect_hexversion, py_layout *out, char *err, size_t errlen);

#endif
