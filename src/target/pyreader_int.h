/* pyreader_int.h -- what the parts of the CPython reader share; not for
 * use outside them (pyreader.h is the promise to the rest of csprof).
 *
 * The reader is four files, one job each:
 *   pyattach.c  finding the interpreter in the target, its version, build
 *               and struct offsets (py_attach, py_detach)
 *   pycode.c    the cache of code objects: loading, verifying that a cached
 *               address still holds the same code, lines, naming
 *   pywalk.c    the frame walkers: PyFrameObject chains (<= 3.10, through
 *               chainread.h) and _PyInterpreterFrame in the data stack (3.11+)
 *   pyreader.c  one sample: interpreters, thread states, the speculative
 *               batched read, retries (py_sample, py_refresh)
 */
#ifndef CSPROF_PYREADER_INT_H
#define CSPROF_PYREADER_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "chainread.h"
#include "pynames.h"
#include "pyoffsets.h"
#include "pyreader.h"
#include "tgtmem.h"

#define MAX_INTERPRETERS 64
#define WINDOW_PAGES 8
#define PAGE 4096u
#define BLOCK 512                /* bytes read for one thread state / frame / code head */
#define IDENT_FIELDS 6
#define VERIFY_BATCH 256         /* code objects checked per proc_readv */
#define VERIFY_SPAN 256          /* bytes of a code object holding its identity fields */

typedef struct {
    uint64_t addr;
    char *function, *file;
    int first_line;
    uint8_t *linetable;
    size_t linetable_len;
    /* Callers sit at the same offset sample after sample: remember a few. */
    int memo_offset[4], memo_line[4];
    unsigned memo_next;
    /* The fields that identify this code object, as read when it was cached.
     * A freed code object's address is soon reused by another one, so every
     * sample re-reads them (all frames in one batched call) and reloads the
     * entry when they differ. */
    uint64_t ident[IDENT_FIELDS];
    /* Strings die with their code object and are reused at the same
     * addresses too, so the name's cached hash (set when it was interned)
     * is compared as well. */
    uint64_t name_addr, name_hash;
    uint32_t checked;        /* sample generation in which ident was last verified */
    /* The code counter's reading (code_counter.now) when this entry was last
     * verified or loaded; proven says there was one. */
    uint64_t proven_at;
    bool proven;
    /* In the interpreter's static storage (py_static): a code object there
     * is never freed, so once loaded it needs no check; a name string
     * there is never reused, so its hash needs none. */
    bool fixed, name_fixed;
    bool import_loader;      /* importlib's _find_and_load: named by what it imports */
} code_entry;

/* A counter in the target that moves before a cached code object's address
 * can hold another code object (pyoffsets.h, interp_code_counter): 3.12 and
 * 3.13 count code objects made, 3.14+ code objects freed. Each sample reads
 * it in the speculative read, after the frames and before the checks that
 * follow them. A code entry verified or loaded after a reading stays right
 * for as long as the readings equal that one: a frame that still runs its
 * address then runs that same code object (it was not freed, or no other
 * was made), so it is not read again. Only while the target has a single
 * interpreter: each has its own counter. */
typedef struct {
    uint64_t global;         /* 3.12: the counter's address (_Py_next_func_version) */
    uint32_t off;            /* 3.13+: interp_code_counter (offset + 1) */
    uint32_t width;          /* bytes: 4 (3.12, 3.13) or 8 */
    bool zero_stuck;         /* 0 means it wrapped and stands still for good */
    uint64_t raw;            /* this sample's read lands here */
    uint64_t now, last;      /* this sample's reading and the last sample's */
    bool now_ok, last_ok;    /* ... and whether each was read (and usable) */
} code_counter;

typedef struct {
    uint64_t code_addr;
    int offset;              /* byte offset of the current instruction; -1 = not started */
    bool entry;
    uint64_t func, local0;   /* for naming: see raw_names() */
} raw_frame;

/* One thread's OS tid, for versions whose thread state lacks it. glibc
 * gives a finished thread's struct pthread (its pthread_t) to a new thread,
 * so the pthread_t alone names a thread only together with the thread
 * state's serial number, which CPython never reuses. */
typedef struct {
    uint64_t thread_id;      /* pthread_t */
    uint64_t tstate_id;      /* PyThreadState.id */
    uint32_t seen;           /* py_process.generation when last asked for */
    pid_t tid;
} tid_entry;

/* A copy of pages of the target: bytes [start, end) of the target are at
 * buf + (address - base); empty when end is 0. */
typedef struct {
    uint8_t buf[WINDOW_PAGES * PAGE];
    uint64_t start, end;
    uint64_t base;
} frame_window;

/* A sample whose first thread has not moved much since the last one is read
 * in one process_vm_readv: the interpreter's thread list head, that thread
 * state, and from 3.11 its _PyCFrame's current frame (3.11/3.12), the part
 * of its data stack the last walk used, and the identity of the code objects
 * its frames ran. Each piece is used only if it still matches (same thread
 * state, same _PyCFrame, frames inside the copied span, code identity
 * unchanged); anything else is read as without it. */
#define SPEC_CODES 32
/* Bytes of the leaf frame compared from its instruction pointer on: the
 * pointer, then the locals and value stack that executing bytecode writes
 * (a tight loop may be back at the same instruction, rarely with the same
 * values). */
#define LEAF_SPAN 128
#define SPEC_FAR 16       /* frames outside the data stack span: 3.12+'s entry frames
                           * live on the C stack, one per call from C into Python */
#define FAR_SPANS 3       /* spans of pages copied for such frames (spec_memo.fs_lo) */
/* The first interpreter's other thread states copied too: a pool of idle
 * workers costs a read of its own per thread beyond these at every tick. */
#define SPEC_THREADS 128
typedef struct {
    uint64_t ts, cframe;
    uint64_t win_lo, win_hi;
    uint64_t far[SPEC_FAR];
    uint32_t nfar;
    uint32_t codes[SPEC_CODES];
    uint32_t ncodes;
    /* The naming views (pynames.h) of its frames: their function objects
     * are re-checked in the same call. */
    uint32_t views[PYNAMES_SPEC_MAX];
    uint32_t nviews;
    /* 3.11/3.12: the pages of the C stack that held its _PyCFrame and the
     * entry frames beside it, and the page above: copied whole (into
     * far_win), so that a _PyCFrame a call from C moved elsewhere on those
     * pages is read in the same call. 0 = none. */
    uint64_t cs_lo, cs_hi;
    /* 3.11+: the pages of the clusters of frames the walk found outside win
     * (a deep stack's older chunks of the data stack, the C stack's entry
     * frames), each copied into its own window (py_process.fpages) after
     * win. */
    uint64_t fs_lo[FAR_SPANS], fs_hi[FAR_SPANS];
    uint32_t nfs;
    uint64_t leaf;        /* its leaf frame (see spec_got.leaf0) */
    bool chain_whole;     /* <= 3.10: its frames all came from the chain's batch */
    /* The thread states that followed it in the list at the last sample:
     * copied at the end of the call (spec_got.others), so that a thread
     * found idle again costs no read of its own (sample_thread). */
    uint64_t others[SPEC_THREADS];
    uint32_t nothers;
} spec_memo;

typedef struct {
    bool head, tstate, cur, window;  /* which pieces were copied in full */
    bool cstack;                     /* far_win holds spec_memo's C-stack pages */
    bool fpages;                     /* py_process.fpages hold spec_memo's far spans */
    bool far[SPEC_FAR];
    uint64_t head_val, cur_val;
    uint8_t tbuf[2 * BLOCK];
    uint8_t far_buf[SPEC_FAR][BLOCK];
    uint64_t hashes[SPEC_CODES];
    uint8_t checks[SPEC_CODES];   /* the spec_memo.codes entries whose pieces were added */
    uint8_t check_at[SPEC_CODES]; /* ... and the first of each one's pieces */
    uint32_t nchecks;
    /* Copied twice, early in the call and again as its last pieces, to
     * see whether the thread ran meanwhile (thread_ran): the last leaf
     * frame from its instruction pointer on (leaf0/leaf1, leaf_len bytes
     * of both copied), and the thread's current-frame pointer (frame0/
     * frame1, both copied when frame_twice). */
    uint32_t leaf_len;
    bool frame_twice;
    uint64_t frame0, frame1;
    uint8_t leaf0[LEAF_SPAN], leaf1[LEAF_SPAN];
    /* Copies of the thread states at other_ts (spec_memo.others when
     * read), whole where other[i]; each used once. */
    bool other[SPEC_THREADS];
    uint64_t other_ts[SPEC_THREADS];
    uint8_t obuf[SPEC_THREADS][2 * BLOCK];
    uint32_t other_next;     /* where other_copy looks first: copies are used in list order */
} spec_got;

/* The last stack pycode_resolve named whole (strictly: every function object
 * runs its frame's code), per raw frame. A walk that shares its root-side
 * frames with it takes their code ids, lines and names from here instead of
 * looking each up again: deep stacks change at the leaf. It holds while the
 * cache has neither been flushed (epoch) nor retired a code entry
 * (code_retired), and only for the thread state it was made for; the code
 * and function objects behind it are still verified every sample. */
typedef struct {
    uint64_t ts;             /* the thread state; 0 = none */
    uint32_t n, epoch, retired;
    /* Root first (index 0 is the outermost frame), so that a stack that
     * changed at the leaf rewrites only its end. */
    raw_frame raw[PY_MAX_DEPTH];
    uint32_t code[PY_MAX_DEPTH];   /* code cache id, 0 = none (skipped) */
    int line[PY_MAX_DEPTH];
    uint32_t id[PY_MAX_DEPTH];     /* what names it: a view id, or the code id */
} resolve_memo;

struct py_process {
    pid_t pid;
    int minor;
    py_build build;          /* default, free-threaded or debug */
    uint64_t hexversion;
    char version[32];
    char *binary;
    py_layout off;
    uint64_t runtime;        /* address of _PyRuntime in the target */
    uint64_t code_type;      /* address of PyCode_Type; 0 if unknown */
    uint64_t func_type, str_type;  /* PyFunction_Type, PyUnicode_Type; 0 if unknown */
    /* The writable segments of the file holding _PyRuntime, relocated: its
     * static objects (the deep-frozen stdlib's code objects to 3.13, static
     * strings such as "<module>") live there and are never freed. */
    static_span statics;
    py_names *names;         /* function objects and import targets (pynames.h) */

    code_entry *codes;       /* index 0 unused so that 0 means "none" */
    size_t ncodes, capcodes;
    uint32_t *code_slots;    /* open addressing: addr -> code index */
    size_t code_slot_cap;

    tid_entry *tids;         /* (pthread_t, id) -> OS tid, for versions without native_thread_id */
    size_t ntids, captids;
    int pthread_tid_off;     /* discovered offset of tid in glibc's struct pthread; -1 unknown */

    /* 3.11+: a copy of the thread's data stack around the frames being
     * walked (the speculative read may have made it), one of its C stack,
     * and one of wherever else its frames are (a generator's in its
     * object, an older chunk of the data stack): 3.12+ put an entry frame
     * on the C stack at every call from C into Python, so a walk through
     * code that C calls back (properties, dunders, callbacks, generators
     * driven from C) goes back and forth between the three, and one copy
     * would be read again at every switch. */
    frame_window win, far_win, heap_win;
    /* The last frame seen on the C stack of thread state cstack_ts
     * (3.11/3.12's _PyCFrame, 3.12+'s shims), by which pywalk.c tells the
     * frames there: 0 = none. */
    uint64_t cstack_hint, cstack_ts;
    /* 3.14t: the last thread-local bytecode copy looked up (frame_instr_offset). */
    uint64_t tlbc_code, tlbc_base;
    int32_t tlbc_idx;

    py_frame_ref frames[PY_MAX_DEPTH];
    raw_frame raw[PY_MAX_DEPTH];
    uint32_t resolve_scratch[PY_MAX_DEPTH];
    uint32_t code_scratch[PY_MAX_DEPTH];
    uint8_t verify_buf[VERIFY_BATCH][VERIFY_SPAN];
    uint32_t generation;     /* of samples, for code_entry.checked */
    chain_reader *chain;     /* <= 3.10: the frame chain reader, made on first use */
    spec_memo spec;          /* 3.11+: what the first thread's last sample read */
    uint64_t seen_ts[SPEC_THREADS];  /* this sample's other thread states, in list order */
    uint32_t nseen;
    spec_got got;            /* ... and what this sample's speculative read found */
    uint32_t cframe_moving;  /* samples left to copy C-stack pages for (spec_memo.cs_lo) */
    bool bottoms_seen;       /* a walk ended where a thread's frames do (pywalk.c) */
    uint32_t iframe_need;    /* pywalk_iframe_need(), for the layout in off */
    uint64_t walk_lo, walk_hi;     /* the span of the data stack the last walk read */
    uint64_t walk_far[SPEC_FAR];   /* and frames it read outside that span */
    uint32_t walk_nfar;
    /* The frames it read outside [walk_lo, walk_hi), in at most two
     * clusters of a window's span each (another chunk of the data stack;
     * the C stack's entry frames, far away): see far_span. */
    struct {
        uint64_t lo, hi;
        uint32_t n;
    } walk_fc[FAR_SPANS + 1];
    uint32_t far_span_off;   /* samples left before spec_memo.fs_lo is tried again */
    /* This sample's copies of the spans spec_memo.fs_lo names; fpages_n of
     * them are fresh (the rest are empty). */
    frame_window fpages[FAR_SPANS];
    uint64_t walk_leaf;            /* and the first frame it read; 0 = none */
    uint32_t chain_lo;       /* the first byte of a frame object it copies */
    bool chain_ran;          /* its last walk saw the leaf frame execute (head_moved) */
    bool chain_whole;        /* and read every frame from its batch */
    uint32_t epoch;          /* bumped when the cache is flushed: ids are reused */
    uint32_t code_retired;   /* bumped when a code entry gives its address up */
    resolve_memo *memo;      /* made on first use; NULL when out of memory */
    uint64_t resolve_ts;     /* the thread state whose stack is being resolved */
    code_counter cc;
    uint64_t code_checks;    /* code objects re-read to verify the cache, in all */

    /* Interpreter states, re-read by py_refresh(): sub-interpreters come and
     * go rarely, so a sample need not walk _PyRuntime every time. */
    uint64_t interps[MAX_INTERPRETERS];
    int ninterps;
};

/* ---- pycode.c: the code object cache ---- */

/* Allocates the empty cache; -1 when out of memory (pycode_free cleans up). */
int pycode_init(py_process *pp);
void pycode_free(py_process *pp);
/* Forgets every cached code object (and the naming views built on them). */
void pycode_flush(py_process *pp);
/* The byte span [lo, hi) of a code object holding every identity field, and
 * those fields out of a copy of it that starts at byte base. */
void pycode_ident_span(const py_layout *L, uint32_t *lo, uint32_t *hi);
void pycode_ident_of(const py_layout *L, const uint8_t *head, uint32_t base, uint64_t *ident);
/* Whether code entry c needs no re-reading in this sample: verified in it
 * already, or proven by the code counter (see code_counter). */
bool pycode_known(const py_process *pp, const code_entry *c);
/* Records that c was found to be what was cached, now. */
void pycode_verified(py_process *pp, code_entry *c);
/* Turns pp->raw[0..n) into pp->frames[]: cached code objects (verified,
 * reloaded when stale), lines from their tables, names from pynames; for
 * the thread state pp->resolve_ts (0: none), the outer frames it shares
 * with that thread's last stack come from pp->memo (resolve_memo), their
 * objects verified all the same. Leaves the frames' ids in
 * pp->resolve_scratch. Returns the number of frames, or -1 when the stack
 * does not hold together and must be read again; with strict, that
 * includes a frame whose function object runs another code object (see
 * pycode.c). */
int pycode_resolve(py_process *pp, uint32_t n, bool strict);

/* ---- pywalk.c: the frame walkers, filling pp->raw[] leaf first ---- */

/* <= 3.10: the PyFrameObject chain starting at frame, whose thread state ts
 * held it, with extra pieces (NULL: none) read in the same call after the
 * frames (chainread.h). Sets pp->chain_ran. 0, or -1 when the chain could
 * not be read whole. */
int pywalk_frame_objects(py_process *pp, uint64_t ts, uint64_t frame, uint32_t *depth,
                         bool *truncated, const chain_extra *extra);
/* 3.11+: the _PyInterpreterFrame list starting at frame, from this sample's
 * copies where it has them (win, far pages, far frames: spec_got), noting
 * where it went for the next speculative read (walk_lo, walk_fc...). 0, or -1 when the
 * walk was torn: it looped, a frame held no object, a 3.14+ frame had been
 * cleared as it returned, or it did not end where a thread's frames do.
 * Not strict (the last try): frames cleared at the top of the stack are
 * kept, named by their code, and a wrong end is kept in a process where no
 * walk ever ended right (see pywalk.c). */
int pywalk_interpreter_frames(py_process *pp, uint64_t frame, uint32_t *depth, bool *truncated,
                              bool strict);
/* Bytes of a _PyInterpreterFrame the walk reads, naming fields included:
 * set once in pp->iframe_need when the layout is known. */
uint32_t pywalk_iframe_need(const py_process *pp);

#endif
