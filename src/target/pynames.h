/* pynames.h -- names frames the way users know them (part of the reader).
 *
 * A code object's co_qualname is where a function was written, not what it
 * is called: functools.wraps copies __qualname__ and __module__ onto the
 * wrapper function, and numpy 1.x's `public_api` wrappers share one code
 * location while each wrapper function carries its own name (concatenate,
 * dot, ...). From 3.11 a frame holds its function object, so the reader can
 * name a frame by that function's __qualname__ and __module__. Frames with
 * no usable function object keep the code object's names.
 *
 * A frame running importlib's `_find_and_load` is named by its first local,
 * the module being imported ("import sklearn.gaussian_process"); profile.h
 * collapses the rest of the import machinery around it.
 *
 * Function objects and import-name strings are cached by address and, like
 * code objects, re-verified in one batched read per sample: freed objects'
 * addresses (and their strings') are reused. Everything read is untrusted:
 * types are checked against PyFunction_Type/PyUnicode_Type when the binary
 * exports them, lengths are bounded, and the text is valid UTF-8 with no
 * control characters.
 *
 * A "view" is the pair (code object, name): pynames_resolve() gives frames
 * view ids (>= PYNAMES_VIEW_BASE) in place of code ids, so anything keyed by
 * a frame's id (the sampler's frame interning) tells the names apart.
 */
#ifndef CSPROF_PYNAMES_H
#define CSPROF_PYNAMES_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "pyoffsets.h"
#include "tgtmem.h"

#define PYNAMES_VIEW_BASE 0x80000000u

typedef struct py_names py_names;

/* Reads a compact str object into a malloc'd UTF-8 string of at most
 * max_chars characters (longer ones are cut and end in "..."). str_type:
 * PyUnicode_Type's address, checked when nonzero; not_type: a type the
 * object must not have (0 = none). NULL when it is not a readable str. */
char *pystr_read(pid_t pid, const py_layout *L, uint64_t str_type, uint64_t not_type,
                 uint64_t addr, size_t max_chars);

/* statics: the target's static storage (tgtmem.h): a __qualname__ string
 * there needs no check against reuse. */
py_names *pynames_new(pid_t pid, const py_layout *L, int minor, uint64_t str_type,
                      uint64_t func_type, static_span statics);
void pynames_free(py_names *nm);
/* Forget every entry and view: call whenever code ids are reused. */
void pynames_flush(py_names *nm);
/* True when the caches reached their bound and should be flushed. */
bool pynames_full(const py_names *nm);

/* One frame to name, filled by the reader. */
typedef struct {
    uint32_t code;            /* code cache id, 0 = none */
    uint64_t code_addr;
    const char *code_function, *code_file;   /* the code object's names */
    uint64_t func;            /* the frame's function object (3.11+), 0 = none */
    uint64_t local0;          /* the frame's first local (a tagged ref from 3.14) */
    bool import_loader;       /* its code is importlib's _find_and_load (pynames_import_loader):
                               * named by local0, the module it imports */
} pyname_frame;

/* Whether code named function in file is importlib's _find_and_load, whose
 * frames are named by what they import. The reader asks once per code
 * object and keeps the answer (pyname_frame.import_loader). */
bool pynames_import_loader(const char *function, const char *file);

/* Scratch for n <= max frames, owned by nm. */
pyname_frame *pynames_frames(py_names *nm);
/* Names in[0..n) (from pynames_frames): out[i] is a view id, or in[i].code
 * when the code's own names stand. generation: the sample's, so that each
 * entry is verified once per sample. *other_code counts the frames whose
 * function object runs another code object than the frame: a frame caught
 * while it was being set up for another call (its slot reused), unless
 * the function's __code__ was replaced while the frame ran; the code's own
 * names stand for them. Returns 0, or -1 on allocation failure (then
 * out[i] = in[i].code for all i). */
int pynames_resolve(py_names *nm, uint32_t n, uint32_t generation, uint32_t *out,
                    uint32_t *other_code);

typedef struct {
    uint32_t code;            /* code cache id the view names */
    const char *function;     /* __qualname__, or "import NAME" */
    const char *module;       /* __module__ when it is a str, else NULL */
    bool import;              /* a frame loading a module: function is "import NAME" */
} pyname_view;

/* The reader's speculative read (pyreader.c) re-checks, in its own batched
 * call, the entries behind the views the last stack used, so that a sample
 * whose functions are the last one's needs no second call to verify them.
 * pynames_spec_add appends the pieces for the entries behind views[0..n)
 * (two per function object, one per import string; whole entries only, at
 * most max pieces and PYNAMES_SPEC_MAX entries) to local/remote, into nm's
 * own buffers, and returns how many. They must be read after the frames
 * that name them, as pynames_resolve would. */
#define PYNAMES_SPEC_MAX 32
uint32_t pynames_spec_add(py_names *nm, const uint32_t *views, uint32_t n, struct iovec *local,
                          struct iovec *remote, uint32_t max);
/* After that call, before any other: full[i] says whether its piece i was
 * copied whole. Entries whose identity still matches what was cached count
 * as verified in this generation; pynames_resolve verifies only the rest. */
void pynames_spec_check(py_names *nm, const bool *full, uint32_t generation);

/* Whether the names behind ids[0..n) (view ids; code ids have none) still
 * stand in this generation: each view's function object or import target
 * is the one cached, verified in this sample already (pynames_spec_check,
 * or a pynames_resolve that named other frames) or now, those not yet in
 * one batched read. 0 if so; -1 when one changed or was replaced (then
 * name the frames with pynames_resolve, which reloads it; a changed entry
 * is left unverified for it). */
int pynames_recheck(py_names *nm, const uint32_t *ids, uint32_t n, uint32_t generation);

/* The code id behind id: a view's code, a code id itself; 0 for an id that
 * is neither (a view id out of range). Cheaper than pynames_view. */
uint32_t pynames_code_of(const py_names *nm, uint32_t id);
/* The view with this id, or NULL (not a view id, or its entry was reloaded). */
const pyname_view *pynames_view(const py_names *nm, uint32_t id);

#endif
