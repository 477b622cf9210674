/* pyreader.c -- CPython stacks from outside the process. See pyreader.h. */
#include "pyreader.h"
#include "tgtmem.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "chainread.h"
#include "elfread.h"
#include "linetable.h"
#include "proc.h"
#include "pynames.h"
#include "pyoffsets.h"

#define MAX_THREADS 4096
#define MAX_INTERPRETERS 64
#define MAX_NAME_CHARS 1024      /* longer names are cut, marked with "..." */
#define MAX_LINETABLE (256 * 1024)
#define MAX_CODES (1u << 20)     /* cache bound; flushed beyond it */
#define WINDOW_PAGES 8
#define PAGE 4096u
#define BLOCK 512                /* bytes read for one thread state / frame / code head */
#define IDENT_FIELDS 6
#define VERIFY_BATCH 256         /* code objects checked per process_vm_readv */
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
} code_entry;

typedef struct {
    uint64_t code_addr;
    int offset;              /* byte offset of the current instruction; -1 = not started */
    bool entry;
    uint64_t func, local0;   /* for naming: see raw_names() */
} raw_frame;

typedef struct {
    uint64_t thread_id;
    pid_t tid;
} tid_entry;

/* A sample whose first thread has not moved much since the last one is read
 * in one process_vm_readv: the interpreter's thread list head, that thread
 * state, and from 3.11 its _PyCFrame's current frame (3.11/3.12), the part
 * of its data stack the last walk used, and the identity of the code objects
 * its frames ran. Each piece is used only if it still matches (same thread
 * state, same _PyCFrame, frames inside the copied span, code identity
 * unchanged); anything else is read as without it. */
#define SPEC_CODES 32
#define SPEC_FAR 4        /* frames outside the data stack span: 3.12's entry frames
                           * live on the C stack */
typedef struct {
    uint64_t ts, cframe;
    uint64_t win_lo, win_hi;
    uint64_t far[SPEC_FAR];
    uint32_t nfar;
    uint32_t codes[SPEC_CODES];
    uint32_t ncodes;
} spec_memo;

typedef struct {
    bool head, tstate, cur, window;  /* which pieces were copied in full */
    bool far[SPEC_FAR];
    uint64_t head_val, cur_val;
    uint8_t tbuf[2 * BLOCK];
    uint8_t far_buf[SPEC_FAR][BLOCK];
    uint64_t hashes[SPEC_CODES];
} spec_got;

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
    py_names *names;         /* function objects and import targets (pynames.h) */

    code_entry *codes;       /* index 0 unused so that 0 means "none" */
    size_t ncodes, capcodes;
    uint32_t *code_slots;    /* open addressing: addr -> code index */
    size_t code_slot_cap;

    tid_entry *tids;         /* pthread_t -> OS tid, for versions without native_thread_id */
    size_t ntids, captids;
    int pthread_tid_off;     /* discovered offset of tid in glibc's struct pthread; -1 unknown */

    /* 3.11+: a copy of the thread's data stack around the frames being walked. */
    uint8_t window[WINDOW_PAGES * PAGE];
    uint64_t win_start, win_end;   /* the valid part of window[] */
    uint64_t win_base;             /* the remote address of window[0] */
    /* 3.14t: the last thread-local bytecode copy looked up (frame_instr_offset). */
    uint64_t tlbc_code, tlbc_base;
    int32_t tlbc_idx;

    py_frame_ref frames[PY_MAX_DEPTH];
    raw_frame raw[PY_MAX_DEPTH];
    uint32_t resolve_scratch[PY_MAX_DEPTH];
    uint8_t verify_buf[VERIFY_BATCH][VERIFY_SPAN];
    uint32_t generation;     /* of samples, for code_entry.checked */
    chain_reader *chain;     /* <= 3.10: the frame chain reader, made on first use */
    spec_memo spec;          /* 3.11+: what the first thread's last sample read */
    spec_got got;            /* ... and what this sample's speculative read found */
    uint64_t walk_lo, walk_hi;     /* the span of the data stack the last walk read */
    uint64_t walk_far[SPEC_FAR];   /* and frames it read outside that span */
    uint32_t walk_nfar;
    uint32_t chain_lo;       /* the first byte of a frame object it copies */
    uint32_t epoch;          /* bumped when the cache is flushed: ids are reused */

    /* Interpreter states, re-read by py_refresh(): sub-interpreters come and
     * go rarely, so a sample need not walk _PyRuntime every time. */
    uint64_t interps[MAX_INTERPRETERS];
    int ninterps;
};

/* ---- small helpers ---- */

static const char *base_name(const char *path) {
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/* "python3.12", "libpython3.12.so.1.0", "libpython3.12d.so" -> 12; else -1 */
static int minor_from_name(const char *path) {
    const char *b = base_name(path), *s = strstr(b, "python3.");
    if (!s) return -1;
    s += strlen("python3.");
    if (*s < '0' || *s > '9') return -1;
    return atoi(s);
}

/* ---- strings and bytes from the target ---- */

/* Code object names and filenames. */
static char *read_unicode(py_process *pp, uint64_t addr) {
    return pystr_read(pp->pid, &pp->off, 0, pp->code_type, addr, MAX_NAME_CHARS);
}

static uint8_t *read_bytes(py_process *pp, uint64_t addr, size_t *len) {
    *len = 0;
    if (!plausible(addr)) return NULL;
    const py_layout *L = &pp->off;
    uint8_t head[64];
    if (L->bytes_sval > sizeof head || proc_read(pp->pid, addr, head, L->bytes_sval)) return NULL;
    int64_t n = (int64_t)rd_u64(head, L->bytes_size);
    if (n < 0 || n > MAX_LINETABLE) return NULL;
    uint8_t *b = malloc(n ? (size_t)n : 1);
    if (!b) return NULL;
    if (n && proc_read(pp->pid, addr + L->bytes_sval, b, (size_t)n)) {
        free(b);
        return NULL;
    }
    *len = (size_t)n;
    return b;
}

/* ---- the code object cache ---- */

static void free_code(code_entry *c) {
    free(c->function);
    free(c->file);
    free(c->linetable);
}

static void flush_codes(py_process *pp) {
    for (size_t i = 1; i < pp->ncodes; i++) free_code(&pp->codes[i]);
    if (pp->names) pynames_flush(pp->names);  /* its views name code ids */
    pp->ncodes = 1;
    memset(pp->code_slots, 0, pp->code_slot_cap * sizeof *pp->code_slots);
}

static size_t slot_of(uint64_t addr, size_t cap) {
    return (size_t)((addr >> 3) * 0x9E3779B97F4A7C15ULL >> 20) & (cap - 1);
}

static int rehash_codes(py_process *pp, size_t ncap) {
    uint32_t *ns = calloc(ncap, sizeof *ns);
    if (!ns) return -1;
    for (size_t i = 1; i < pp->ncodes; i++) {
        size_t s = slot_of(pp->codes[i].addr, ncap);
        while (ns[s]) s = (s + 1) & (ncap - 1);
        ns[s] = (uint32_t)i;
    }
    free(pp->code_slots);
    pp->code_slots = ns;
    pp->code_slot_cap = ncap;
    return 0;
}

static void ident_fields(const py_layout *L, uint32_t out[IDENT_FIELDS]) {
    out[0] = L->ob_type;
    out[1] = L->code_filename;
    out[2] = L->code_name;
    out[3] = L->code_qualname ? L->code_qualname : L->code_name;
    out[4] = L->code_linetable;
    out[5] = L->code_firstlineno;  /* an int: the u64 read also covers its neighbour, */
}                                  /* which is as immutable in every version */

/* The byte span [lo, hi) of a code object holding every identity field. */
static void ident_span(const py_layout *L, uint32_t *lo, uint32_t *hi) {
    uint32_t f[IDENT_FIELDS];
    ident_fields(L, f);
    *lo = UINT32_MAX;
    *hi = 0;
    for (int i = 0; i < IDENT_FIELDS; i++) {
        if (f[i] < *lo) *lo = f[i];
        if (f[i] + 8 > *hi) *hi = f[i] + 8;
    }
}

static void ident_of(const py_layout *L, const uint8_t *head, uint32_t base, uint64_t *ident) {
    uint32_t f[IDENT_FIELDS];
    ident_fields(L, f);
    for (int i = 0; i < IDENT_FIELDS; i++) ident[i] = rd_u64(head, f[i] - base);
    ident[5] &= 0xFFFFFFFFu;  /* co_firstlineno is an int: ignore what follows it */
}

static uint32_t code_find(const py_process *pp, uint64_t addr) {
    size_t mask = pp->code_slot_cap - 1;
    for (size_t s = slot_of(addr, pp->code_slot_cap); pp->code_slots[s]; s = (s + 1) & mask)
        if (pp->codes[pp->code_slots[s]].addr == addr) return pp->code_slots[s];
    return 0;
}

/* Reads the code object at addr into a new cache entry, which replaces any
 * entry for the same address. Returns its index, 0 when it is not a
 * readable code object. */
static uint32_t code_load(py_process *pp, uint64_t addr) {
    if (!plausible(addr)) return 0;
    const py_layout *L = &pp->off;
    uint8_t head[BLOCK];
    uint32_t lo, need;
    ident_span(L, &lo, &need);
    /* Partial: a code object near the end of a mapping is still readable. */
    if (need > sizeof head || proc_read_partial(pp->pid, addr, head, sizeof head) < (ssize_t)need)
        return 0;
    if (pp->code_type && rd_u64(head, L->ob_type) != pp->code_type) return 0;
    code_entry c = {.addr = addr, .checked = pp->generation};
    ident_of(L, head, 0, c.ident);
    c.first_line = rd_i32(head, L->code_firstlineno);
    c.name_addr = rd_u64(head, L->code_qualname ? L->code_qualname : L->code_name);
    if (proc_read(pp->pid, c.name_addr + L->unicode_hash, &c.name_hash, sizeof c.name_hash))
        return 0;
    c.function = read_unicode(pp, c.name_addr);
    c.file = read_unicode(pp, rd_u64(head, L->code_filename));
    c.linetable = read_bytes(pp, rd_u64(head, L->code_linetable), &c.linetable_len);
    if (!c.function || !c.file || c.first_line < 0) {
        free_code(&c);
        return 0;
    }
    for (int i = 0; i < 4; i++) c.memo_offset[i] = -2;

    if (pp->ncodes == pp->capcodes) {
        size_t ncap = pp->capcodes * 2;
        code_entry *nc = realloc(pp->codes, ncap * sizeof *nc);
        if (!nc) { free_code(&c); return 0; }
        pp->codes = nc;
        pp->capcodes = ncap;
    }
    if ((pp->ncodes + 1) * 2 > pp->code_slot_cap && rehash_codes(pp, pp->code_slot_cap * 2)) {
        free_code(&c);
        return 0;
    }
    uint32_t idx = (uint32_t)pp->ncodes++;
    pp->codes[idx] = c;
    size_t mask = pp->code_slot_cap - 1, s = slot_of(addr, pp->code_slot_cap);
    while (pp->code_slots[s] && pp->codes[pp->code_slots[s]].addr != addr) s = (s + 1) & mask;
    if (pp->code_slots[s]) {
        /* A stale entry for a reused address: the slot now names the new one;
         * the old entry keeps its index (ids are never reused before a
         * flush) but no longer needs its strings. */
        code_entry *old = &pp->codes[pp->code_slots[s]];
        free_code(old);
        old->function = old->file = NULL;
        old->linetable = NULL;
        old->addr = 0;
    }
    pp->code_slots[s] = idx;
    return idx;
}

/* Checks, in one process_vm_readv, that every cached code object used by
 * raw[0..n) still is what we cached (see code_entry.ident); reloads those
 * that are not. codes[i] holds the entry index of raw[i] (0 = none). */
static int verify_codes(py_process *pp, uint32_t *codes, uint32_t n) {
    enum { BATCH = VERIFY_BATCH };
    const py_layout *L = &pp->off;
    uint32_t lo, hi;
    ident_span(L, &lo, &hi);
    uint32_t span = hi - lo;
    uint8_t (*buf)[VERIFY_SPAN] = pp->verify_buf;
    if (span > VERIFY_SPAN) return -1;  /* cannot happen with real layouts */
    struct iovec local[2 * BATCH], remote[2 * BATCH];
    uint32_t which[BATCH];
    for (uint32_t start = 0; start < n;) {
        int k = 0;
        uint32_t i = start;
        for (; i < n && k < BATCH; i++) {
            code_entry *c = codes[i] ? &pp->codes[codes[i]] : NULL;
            if (!c || c->checked == pp->generation) continue;
            c->checked = pp->generation;
            local[k] = (struct iovec){buf[k], span};
            remote[k] = (struct iovec){(void *)(uintptr_t)(c->addr + lo), span};
            which[k++] = codes[i];
        }
        start = i;
        if (!k) continue;
        /* The names' hashes ride along in the same call: the name address
         * is the cached one, and if the code object changed, ident differs
         * anyway. */
        uint64_t hashes[BATCH];
        for (int j = 0; j < k; j++) {
            code_entry *c = &pp->codes[which[j]];
            local[k + j] = (struct iovec){&hashes[j], sizeof hashes[0]};
            remote[k + j] = (struct iovec){(void *)(uintptr_t)(c->name_addr + L->unicode_hash),
                                           sizeof hashes[0]};
        }
        ssize_t got = proc_readv(pp->pid, local, remote, (size_t)(2 * k));
        size_t idents = (size_t)k * span;
        for (int j = 0; j < k; j++) {
            code_entry *c = &pp->codes[which[j]];
            uint64_t now[IDENT_FIELDS];
            bool ok = got >= (ssize_t)((size_t)(j + 1) * span);
            if (ok) {
                ident_of(L, buf[j], lo, now);
                ok = memcmp(now, c->ident, sizeof now) == 0;
            }
            ok = ok && got >= (ssize_t)(idents + (size_t)(j + 1) * sizeof hashes[0]) &&
                 hashes[j] == c->name_hash;
            if (ok) continue;
            uint32_t fresh = code_load(pp, c->addr);
            for (uint32_t m = 0; m < n; m++)
                if (codes[m] == which[j]) codes[m] = fresh;
        }
    }
    return 0;
}

static int code_line(py_process *pp, uint32_t idx, int offset) {
    code_entry *c = &pp->codes[idx];
    for (int i = 0; i < 4; i++)
        if (c->memo_offset[i] == offset) return c->memo_line[i];
    int line = offset < 0 ? c->first_line
             : linetable_line(pp->minor, c->linetable, c->linetable_len, c->first_line, offset);
    if (line <= 0) line = c->first_line;
    unsigned k = c->memo_next++ & 3;
    c->memo_offset[k] = offset;
    c->memo_line[k] = line;
    return line;
}

/* ---- naming (pynames.h) ---- */

/* Bytes of a frame that raw_names() reads. */
static uint32_t raw_names_need(const py_process *pp) {
    const py_layout *L = &pp->off;
    uint32_t need = 0;
    uint32_t fields[] = {L->iframe_funcobj ? L->iframe_funcobj - 1 : 0, L->iframe_localsplus,
                         L->frame_localsplus};
    for (size_t i = 0; i < 3; i++)
        if (fields[i] && fields[i] + 8 > need) need = fields[i] + 8;
    return need;
}

/* What names a frame besides its code: its function object (3.11+) and its
 * first local (what `_find_and_load` imports), from the frame bytes f. */
static void raw_names(const py_process *pp, raw_frame *r, const uint8_t *f) {
    const py_layout *L = &pp->off;
    if (pp->minor >= 11) {
        r->func = L->iframe_funcobj ? rd_u64(f, L->iframe_funcobj - 1) : 0;
        r->local0 = L->iframe_localsplus ? rd_u64(f, L->iframe_localsplus) : 0;
    } else {
        r->local0 = L->frame_localsplus ? rd_u64(f, L->frame_localsplus) : 0;
    }
}

/* Names frames[0..n) (code ids in codes[]) through pynames: frames[i].code
 * becomes a view id where a function object or an import target names it. */
static void name_frames(py_process *pp, const uint32_t *codes, uint32_t n) {
    pyname_frame *in = pynames_frames(pp->names);
    uint32_t k = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (!codes[i]) continue;
        const code_entry *c = &pp->codes[codes[i]];
        in[k++] = (pyname_frame){codes[i], c->addr, c->function, c->file, pp->raw[i].func,
                                 pp->raw[i].local0};
    }
    uint32_t *out = pp->resolve_scratch;
    pynames_resolve(pp->names, k, pp->generation, out);  /* on failure: code ids */
    for (uint32_t i = 0; i < k; i++) pp->frames[i].code = out[i];
}

/* ---- thread ids ---- */

/* Before 3.11 a thread state only knows its pthread_t, which in glibc is the
 * address of the thread's struct pthread. The kernel tid is a field in it
 * whose offset differs between glibc builds, so find it once by looking for
 * a live tid of the process in the first KB of the struct. Known threads
 * come from the cache; only a new one costs a listing of /proc/PID/task. */
static pid_t tid_of_pthread(py_process *pp, uint64_t thread_id) {
    for (size_t i = 0; i < pp->ntids; i++)
        if (pp->tids[i].thread_id == thread_id) return pp->tids[i].tid;
    uint8_t buf[1024];
    pid_t *tids = NULL;
    size_t ntids = 0;
    if (!plausible(thread_id) || proc_read(pp->pid, thread_id, buf, sizeof buf) ||
        proc_threads(pp->pid, &tids, &ntids))
        return 0;
    pid_t found = 0;
    if (pp->pthread_tid_off >= 0) {
        pid_t t = rd_i32(buf, (uint32_t)pp->pthread_tid_off);
        for (size_t k = 0; k < ntids; k++)
            if (tids[k] == t) found = t;
    }
    for (uint32_t off = 0; !found && off + 4 <= sizeof buf; off += 4) {
        pid_t t = rd_i32(buf, off);
        for (size_t k = 0; k < ntids && !found; k++) {
            /* tid and pid share a field layout ({tid, pid} was common): the
             * first match at a plausible offset wins and is remembered. */
            if (tids[k] == t && off >= 64) {
                found = t;
                pp->pthread_tid_off = (int)off;
            }
        }
    }
    free(tids);
    if (!found) return 0;
    if (pp->ntids == pp->captids) {
        size_t ncap = pp->captids ? pp->captids * 2 : 16;
        tid_entry *nt = realloc(pp->tids, ncap * sizeof *nt);
        if (!nt) return found;
        pp->tids = nt;
        pp->captids = ncap;
    }
    pp->tids[pp->ntids++] = (tid_entry){thread_id, found};
    return found;
}

/* ---- frames, <= 3.10: one heap PyFrameObject per frame ---- */

/* The chain is read by chainread.h: the frames at the addresses of the last
 * sample in one call, verified, and refused when torn. ts is the thread
 * state whose frame pointer held frame. */
static int walk_frame_objects(py_process *pp, uint64_t ts, uint64_t frame, uint32_t *depth,
                              bool *truncated) {
    const py_layout *L = &pp->off;
    if (!frame) {
        *depth = 0;
        return 0;
    }
    if (!pp->chain) {
        uint32_t lo = L->frame_back, hi = L->frame_lasti + 4;
        if (L->frame_code < lo) lo = L->frame_code;
        if (L->frame_lasti < lo) lo = L->frame_lasti;
        if (L->frame_back + 8 > hi) hi = L->frame_back + 8;
        if (L->frame_code + 8 > hi) hi = L->frame_code + 8;
        /* Naming reads the first local (f_localsplus, far into the object):
         * copy records from the frame's start so raw_names() sees its offsets. */
        if (raw_names_need(pp)) {
            lo = 0;
            if (raw_names_need(pp) > hi) hi = raw_names_need(pp);
        }
        chain_layout cl = {lo, hi - lo, L->frame_back, L->frame_code};
        if (!(pp->chain = chain_new(pp->pid, &cl, PY_MAX_DEPTH))) return -1;
        pp->chain_lo = lo;
    }
    chain_result r;
    if (chain_read(pp->chain, ts, ts + L->tstate_frame, frame, &r)) return -1;
    uint32_t lo = pp->chain_lo;
    for (uint32_t i = 0; i < r.n; i++) {
        const uint8_t *f = r.records[i];
        int lasti = rd_i32(f, L->frame_lasti - lo);
        /* 3.10 counts instructions, earlier versions bytes. */
        pp->raw[i] = (raw_frame){rd_u64(f, L->frame_code - lo),
                                 lasti < 0 ? -1 : pp->minor >= 10 ? lasti * 2 : lasti, true, 0, 0};
        if (lo == 0) raw_names(pp, &pp->raw[i], f);
    }
    *depth = r.n;
    *truncated = r.truncated;
    return 0;
}

/* ---- frames, 3.11+: _PyInterpreterFrame in the thread's data stack ---- */

/* Makes [addr, addr+len) available in the window, reading the pages at and
 * below it in one call. Pages are requested top-down so that a read which
 * runs into the unmapped start of the stack still returns the upper part. */
static const uint8_t *window_get(py_process *pp, uint64_t addr, uint32_t len) {
    if (addr >= pp->win_start && addr + len <= pp->win_end) return pp->window + (addr - pp->win_base);
    /* Most stacks fit in the 8 KiB below the end of the leaf frame; only a
     * stack that outgrew them pays for the full window. */
    uint64_t span = pp->win_end ? sizeof pp->window : 2 * PAGE;
    uint64_t top = addr + len;
    uint64_t start = top > span ? top - span : 0;
    struct iovec local[WINDOW_PAGES + 1], remote[WINDOW_PAGES + 1];
    int n = 0;
    uint64_t hi = top;
    while (hi > start && n < WINDOW_PAGES + 1) {
        uint64_t lo = (hi - 1) & ~(uint64_t)(PAGE - 1);
        if (lo < start) lo = start;
        local[n].iov_base = pp->window + (lo - start);
        local[n].iov_len = hi - lo;
        remote[n].iov_base = (void *)(uintptr_t)lo;
        remote[n].iov_len = hi - lo;
        n++;
        hi = lo;
    }
    ssize_t got = proc_readv(pp->pid, local, remote, (size_t)n);
    if (got <= 0) {
        pp->win_start = pp->win_end = 0;
        return NULL;
    }
    uint64_t low = top;
    for (int i = 0; i < n && got >= (ssize_t)remote[i].iov_len; i++) {
        got -= (ssize_t)remote[i].iov_len;
        low = (uint64_t)(uintptr_t)remote[i].iov_base;
    }
    if (low > addr) {
        pp->win_start = pp->win_end = 0;
        return NULL;
    }
    pp->win_base = start;
    pp->win_start = low;
    pp->win_end = top;
    return pp->window + (addr - start);
}

/* Byte offset of the frame's current instruction in the bytecode it runs,
 * -1 when not known. 3.14+ free-threaded: a thread that specialised its
 * own copy of the bytecode runs co_tlbc->entries[f.tlbc_index] rather than
 * the copy at the end of the code object (index 0). The last lookup is
 * remembered for the stack being walked (recursion repeats it); its frames
 * hold their code objects alive, so the copy cannot move meanwhile. */
static int frame_instr_offset(py_process *pp, const uint8_t *f, uint64_t code_addr) {
    const py_layout *L = &pp->off;
    uint64_t base = code_addr + L->code_adaptive;
    int32_t idx = L->iframe_tlbc_index ? rd_i32(f, L->iframe_tlbc_index) : 0;
    if (idx != 0) {
        if (idx < 0 || idx > 1 << 16) return -1;
        if (code_addr != pp->tlbc_code || idx != pp->tlbc_idx) {
            uint64_t arr = 0, size = 0, entry = 0;
            struct iovec local[2] = {{&size, 8}, {&entry, 8}}, remote[2];
            if (proc_read(pp->pid, code_addr + L->code_tlbc, &arr, sizeof arr) || !plausible(arr))
                return -1;
            remote[0] = (struct iovec){(void *)(uintptr_t)(arr + L->codearray_size), 8};
            remote[1] = (struct iovec){
                (void *)(uintptr_t)(arr + L->codearray_entries + 8 * (uint64_t)idx), 8};
            /* Size and entry in one call; the entry is used only when idx
             * is within the size (a read past the array cannot fault). */
            if (proc_readv(pp->pid, local, remote, 2) != 16 ||
                (int64_t)size <= idx || !plausible(entry))
                return -1;
            pp->tlbc_code = code_addr;
            pp->tlbc_idx = idx;
            pp->tlbc_base = entry;
        }
        base = pp->tlbc_base;
    }
    int64_t off = (int64_t)(rd_u64(f, L->iframe_instr) - base);
    return off < 0 || off > (1 << 24) ? -1 : (int)off;
}

/* Bytes of a _PyInterpreterFrame holding every field the walk reads,
 * naming fields included (pynames). */
static uint32_t iframe_need(const py_process *pp) {
    const py_layout *L = &pp->off;
    uint32_t need = L->iframe_owner + 1;
    if (L->iframe_is_entry > need) need = L->iframe_is_entry;
    if (L->iframe_tlbc_index + 4 > need) need = L->iframe_tlbc_index + 4;
    uint32_t fields[] = {L->iframe_previous, L->iframe_code, L->iframe_instr};
    for (size_t i = 0; i < 3; i++)
        if (fields[i] + 8 > need) need = fields[i] + 8;
    if (raw_names_need(pp) > need) need = raw_names_need(pp);
    return need;
}

static int walk_interpreter_frames(py_process *pp, uint64_t frame, uint32_t *depth,
                                   bool *truncated) {
    const py_layout *L = &pp->off;
    uint32_t need = iframe_need(pp);
    pp->tlbc_code = 0;   /* the bytecode copy looked up last may be of another thread */
    uint64_t tag_mask = L->stackref_tag_mask;
    uint32_t n = 0, steps = 0;
    /* A window copied by this sample's speculative read is fresh; any
     * other is from an earlier read, of another thread. */
    if (!pp->got.window) pp->win_start = pp->win_end = 0;
    pp->got.window = false;
    pp->walk_lo = UINT64_MAX;
    pp->walk_hi = 0;
    pp->walk_nfar = 0;
    while (frame) {
        if (n == PY_MAX_DEPTH || ++steps > 4 * PY_MAX_DEPTH) {
            *truncated = true;
            break;
        }
        if (!plausible(frame)) return -1;
        if (!pp->walk_hi) pp->walk_hi = frame + need;
        bool near = frame < pp->walk_hi && pp->walk_hi - frame <= sizeof pp->window;
        if (near && frame < pp->walk_lo) pp->walk_lo = frame;
        const uint8_t *f = NULL;
        for (uint32_t k = 0; !near && k < pp->spec.nfar && !f; k++)
            if (pp->got.far[k] && pp->spec.far[k] == frame) f = pp->got.far_buf[k];
        if (!near && pp->walk_nfar < SPEC_FAR) pp->walk_far[pp->walk_nfar++] = frame;
        if (!f) f = window_get(pp, frame, need);
        uint8_t single[BLOCK];
        if (!f) {
            if (need > sizeof single || proc_read(pp->pid, frame, single, need)) return -1;
            f = single;
        }
        uint64_t prev = rd_u64(f, L->iframe_previous);
        unsigned owner = f[L->iframe_owner];
        int shim = (L->owner_cstack && owner + 1 == L->owner_cstack) ||
                   (L->owner_interpreter && owner + 1 == L->owner_interpreter);
        /* 3.12+: each call of the eval loop pushes a shim frame (owned by the
         * C stack, or from 3.15 by the interpreter) below its first frame. */
        if (shim && n > 0) pp->raw[n - 1].entry = true;
        if (!shim) {
            uint64_t code_addr = rd_u64(f, L->iframe_code) & ~tag_mask;
            pp->raw[n] = (raw_frame){code_addr, frame_instr_offset(pp, f, code_addr),
                                     L->iframe_is_entry && f[L->iframe_is_entry - 1] != 0, 0, 0};
            raw_names(pp, &pp->raw[n], f);
            n++;
        }
        frame = prev;
    }
    *depth = n;
    return 0;
}

/* Turns raw[0..n) into frames[]: cached code objects (verified, reloaded
 * when stale), lines from their tables. Returns the number of frames, or -1
 * when the stack does not hold together and must be dropped. */
static int resolve_frames(py_process *pp, uint32_t n) {
    uint32_t *codes = (uint32_t *)pp->resolve_scratch;
    for (uint32_t i = 0; i < n; i++) {
        uint64_t addr = pp->raw[i].code_addr;
        codes[i] = plausible(addr) ? code_find(pp, addr) : 0;
        if (!codes[i] && plausible(addr)) codes[i] = code_load(pp, addr);
    }
    if (verify_codes(pp, codes, n)) return -1;
    uint32_t out = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (!codes[i]) {
            /* From 3.13 a frame may run something that is not a code object
             * (a trampoline); before, it means we read a frame mid-update. */
            if (pp->minor < 13) return -1;
            continue;
        }
        pp->frames[out].code = codes[i];
        pp->frames[out].line = code_line(pp, codes[i], pp->raw[i].offset);
        pp->frames[out].entry = pp->raw[i].entry;
        out++;
    }
    name_frames(pp, codes, n);
    return (int)out;
}

/* ---- attaching ---- */

static int find_runtime(py_process *pp, const proc_maps *maps, char *err, size_t errlen) {
    char exe[4096];
    proc_exe(pp->pid, exe, sizeof exe);   /* "" when unreadable: then only python-named files */
    /* Try libpython first: when present it is the one holding the runtime. */
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < maps->n; i++) {
            const char *path = maps->maps[i].path;
            if (!path || maps->maps[i].offset != 0) continue;
            int is_lib = strstr(base_name(path), "libpython") != NULL;
            if (pass == 0 ? !is_lib : is_lib) continue;
            /* Any python-named file, or the executable itself (a renamed
             * interpreter); scanning every shared library would be slow. */
            if (pass == 1 && !strstr(base_name(path), "python") && strcmp(path, exe)) continue;
            elf_file *e = elf_open(path);
            if (!e) continue;
            uint64_t runtime = elf_symbol(e, "_PyRuntime");
            if (!runtime) {
                elf_close(e);
                continue;
            }
            uint64_t bias = proc_maps_base(maps, path) - elf_first_load_vaddr(e);
            pp->runtime = runtime + bias;
            uint64_t code_type = elf_symbol(e, "PyCode_Type");
            pp->code_type = code_type ? code_type + bias : 0;
            /* Py_DEBUG implies Py_REF_DEBUG, whose global reference total
             * only such a build exports (3.12+ / up to 3.11). */
            if (elf_symbol(e, "_Py_GetGlobalRefTotal") || elf_symbol(e, "_Py_RefTotal"))
                pp->build = PY_BUILD_DEBUG;
            uint64_t func_type = elf_symbol(e, "PyFunction_Type");
            uint64_t str_type = elf_symbol(e, "PyUnicode_Type");
            pp->func_type = func_type ? func_type + bias : 0;
            pp->str_type = str_type ? str_type + bias : 0;
            uint64_t pyver = elf_symbol(e, "Py_Version");
            uint32_t hex = 0;
            int minor = -1;
            if (pyver && elf_read_vaddr(e, pyver, &hex, sizeof hex) == 0 && (hex >> 24) == 3) {
                static const char *levels[16] = {[0xA] = "a", [0xB] = "b", [0xC] = "rc"};
                unsigned level = (hex >> 4) & 0xF;
                minor = (int)((hex >> 16) & 0xFF);
                int n = snprintf(pp->version, sizeof pp->version, "3.%d.%u", minor, (hex >> 8) & 0xFF);
                if (levels[level] && n > 0 && (size_t)n < sizeof pp->version)
                    snprintf(pp->version + n, sizeof pp->version - (size_t)n, "%s%u",
                             levels[level], hex & 0xF);
                pp->hexversion = hex;
            } else {
                int hint = minor_from_name(path);
                if (elf_python_version(e, hint, pp->version, sizeof pp->version) == 0)
                    minor = atoi(pp->version + 2);
                else if (hint >= 0)
                    minor = hint, snprintf(pp->version, sizeof pp->version, "3.%d", hint);
            }
            elf_close(e);
            if (minor < 0) {
                snprintf(err, errlen, "found _PyRuntime in %s but could not tell its Python version",
                         path);
                return -1;
            }
            pp->minor = minor;
            if (!(pp->binary = strdup(path))) return -1;
            return 0;
        }
    }
    snprintf(err, errlen, "no Python interpreter (_PyRuntime) in the process's mappings");
    return 1;
}

/* Picks the offsets table for the target's version and build kind. From
 * 3.13 the _Py_DebugOffsets block at the start of _PyRuntime says whether
 * the build is free-threaded (its object header is larger: ob_tid, biased
 * reference counts) and is left in debug[0..*dlen) for pyoffsets_resolve().
 * NULL with status and err set when there is none. */
static const py_layout *select_table(py_process *pp, uint8_t *debug, size_t cap, size_t *dlen,
                                     py_status *status, char *err, size_t errlen) {
    const py_layout *table = pp->minor >= 8 ? pyoffsets_table(pp->minor, pp->build) : NULL;
    *dlen = 0;
    if (table && table->debug_offsets_size) {
        *dlen = table->debug_offsets_size < cap ? table->debug_offsets_size : cap;
        if (proc_read(pp->pid, pp->runtime, debug, *dlen)) {
            *status = errno == EPERM ? PY_NO_PERMISSION : errno == ESRCH ? PY_GONE : PY_ERROR;
            snprintf(err, errlen, "cannot read the target's memory: %s", strerror(errno));
            return NULL;
        }
        if (pyoffsets_block_free_threaded(table, debug, *dlen) == 1) {
            pp->build = PY_BUILD_FREE_THREADED;
            table = pyoffsets_table(pp->minor, PY_BUILD_FREE_THREADED);
        }
    }
    if (!table) {
        char have[160];
        pyoffsets_supported(have, sizeof have);
        snprintf(err, errlen, "Python %s%s is not supported (supported: %s)", pp->version,
                 pp->build == PY_BUILD_FREE_THREADED ? " (free-threaded build)" : "", have);
        *status = PY_UNSUPPORTED;
    }
    return table;
}

py_process *py_attach(pid_t pid, py_status *status, char *err, size_t errlen) {
    err[0] = '\0';
    proc_maps maps;
    if (proc_maps_read(pid, &maps)) {
        *status = errno == ENOENT || errno == ESRCH ? PY_GONE
                : errno == EACCES || errno == EPERM ? PY_NO_PERMISSION : PY_ERROR;
        snprintf(err, errlen, "cannot read /proc/%d/maps: %s", (int)pid, strerror(errno));
        return NULL;
    }
    py_process *pp = calloc(1, sizeof *pp);
    if (!pp) {
        proc_maps_free(&maps);
        *status = PY_ERROR;
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    pp->pid = pid;
    pp->pthread_tid_off = -1;
    int rc = find_runtime(pp, &maps, err, errlen);
    proc_maps_free(&maps);
    if (rc) {
        *status = rc > 0 ? PY_NOT_PYTHON : PY_ERROR;
        py_detach(pp);
        return NULL;
    }
    uint8_t debug[4096];
    size_t dlen = 0;
    const py_layout *table = select_table(pp, debug, sizeof debug, &dlen, status, err, errlen);
    if (!table) {
        py_detach(pp);
        return NULL;
    }
    if (pyoffsets_resolve(table, dlen ? debug : NULL, dlen, pp->hexversion, &pp->off, err, errlen)) {
        /* Before the runtime initialises, the block is still zero. */
        *status = dlen && memcmp(debug, "xdebugpy", 8) ? PY_NOT_READY : PY_UNSUPPORTED;
        py_detach(pp);
        return NULL;
    }
    uint64_t head = 0;
    if (proc_read(pid, pp->runtime + pp->off.runtime_interpreters_head, &head, sizeof head)) {
        *status = errno == EPERM ? PY_NO_PERMISSION : errno == ESRCH ? PY_GONE : PY_ERROR;
        snprintf(err, errlen, "cannot read the target's memory: %s", strerror(errno));
        py_detach(pp);
        return NULL;
    }
    if (!head) {
        *status = PY_NOT_READY;
        snprintf(err, errlen, "Python %s has not initialised yet", pp->version);
        py_detach(pp);
        return NULL;
    }
    pp->capcodes = 256;
    pp->ncodes = 1;
    pp->code_slot_cap = 1024;
    pp->codes = calloc(pp->capcodes, sizeof *pp->codes);
    pp->code_slots = calloc(pp->code_slot_cap, sizeof *pp->code_slots);
    pp->names = pynames_new(pid, &pp->off, pp->minor, pp->str_type, pp->func_type);
    if (!pp->codes || !pp->code_slots || !pp->names) {
        *status = PY_ERROR;
        snprintf(err, errlen, "out of memory");
        py_detach(pp);
        return NULL;
    }
    *status = PY_OK;
    return pp;
}

void py_detach(py_process *pp) {
    if (!pp) return;
    if (pp->codes) flush_codes(pp);
    chain_free(pp->chain);
    free(pp->codes);
    free(pp->code_slots);
    pynames_free(pp->names);
    free(pp->tids);
    free(pp->binary);
    free(pp);
}

const char *py_version(const py_process *pp) { return pp->version; }
const char *py_binary(const py_process *pp) { return pp->binary; }
const char *py_build_name(const py_process *pp) { return pyoffsets_build_name(pp->build); }
uint32_t py_cache_epoch(const py_process *pp) { return pp->epoch; }

const py_code_info *py_code_at(const py_process *pp, uint32_t code) {
    static _Thread_local py_code_info info;
    const pyname_view *v = pynames_view(pp->names, code);
    if (v) code = v->code;
    if (code == 0 || code >= pp->ncodes) return NULL;
    const code_entry *c = &pp->codes[code];
    info = (py_code_info){c->function, c->file, c->first_line, NULL, false};
    if (v && v->function) info = (py_code_info){v->function, c->file, c->first_line, v->module,
                                                 v->import};
    return &info;
}


/* ---- the speculative read (see spec_memo) ---- */

/* Reads, in one call and in the order a plain sample would, everything the
 * last sample's first thread needed; fills pp->got. */
static void spec_read(py_process *pp, uint32_t tneed) {
    const py_layout *L = &pp->off;
    spec_memo *m = &pp->spec;
    spec_got *g = &pp->got;
    uint32_t lo, hi;
    ident_span(L, &lo, &hi);
    struct iovec local[4 + SPEC_FAR + 2 * SPEC_CODES], remote[4 + SPEC_FAR + 2 * SPEC_CODES];
    int n = 0;
    memset(g, 0, offsetof(spec_got, head_val));
#define SPEC_IOV(dst, addr, len)                                                     \
    (local[n] = (struct iovec){(dst), (len)},                                         \
     remote[n++] = (struct iovec){(void *)(uintptr_t)(addr), (len)})
    SPEC_IOV(&g->head_val, pp->interps[0] + L->interp_threads_head, 8);
    if (m->ts && tneed <= sizeof g->tbuf) SPEC_IOV(g->tbuf, m->ts, tneed);
    if (m->cframe) SPEC_IOV(&g->cur_val, m->cframe + L->cframe_current_frame, 8);
    if (m->win_hi) SPEC_IOV(pp->window, m->win_lo, m->win_hi - m->win_lo);
    uint32_t need = iframe_need(pp);
    if (need > sizeof g->far_buf[0]) m->nfar = 0;  /* cannot happen with real layouts */
    for (uint32_t i = 0; i < m->nfar; i++) SPEC_IOV(g->far_buf[i], m->far[i], need);
    int first_code = n;
    for (uint32_t i = 0; i < m->ncodes; i++) {
        const code_entry *c = &pp->codes[m->codes[i]];
        if (!c->addr) c = &pp->codes[m->codes[0]];  /* replaced since: harmless filler */
        SPEC_IOV(pp->verify_buf[i], c->addr + lo, hi - lo);
        SPEC_IOV(&g->hashes[i], c->name_addr + L->unicode_hash, 8);
    }
#undef SPEC_IOV
    ssize_t got = proc_readv(pp->pid, local, remote, (size_t)n);
    bool full[4 + SPEC_FAR + 2 * SPEC_CODES];
    for (int i = 0; i < n; i++) {
        full[i] = got >= (ssize_t)local[i].iov_len;
        got = full[i] ? got - (ssize_t)local[i].iov_len : 0;
    }
    int k = 0;
    g->head = full[k++];
    if (m->ts && tneed <= sizeof g->tbuf) g->tstate = full[k++] && g->head && g->head_val == m->ts;
    if (m->cframe) g->cur = full[k++];
    if (m->win_hi && full[k++]) {
        g->window = true;
        pp->win_base = pp->win_start = m->win_lo;
        pp->win_end = m->win_hi;
    }
    for (uint32_t i = 0; i < m->nfar; i++) g->far[i] = full[k++];
    for (uint32_t i = 0; i < m->ncodes; i++) {
        code_entry *c = &pp->codes[m->codes[i]];
        uint64_t now[IDENT_FIELDS];
        if (!full[first_code + 2 * i] || !full[first_code + 2 * i + 1]) continue;
        ident_of(L, pp->verify_buf[i], lo, now);
        if (!memcmp(now, c->ident, sizeof now) && g->hashes[i] == c->name_hash)
            c->checked = pp->generation;   /* verify_codes() skips it */
    }
}

/* After the first thread was read: what to read at once next time. */
static void spec_remember(py_process *pp, uint64_t ts, const uint8_t *tbuf, uint32_t depth) {
    const py_layout *L = &pp->off;
    spec_memo *m = &pp->spec;
    *m = (spec_memo){.ts = ts};
    /* Before 3.11 only the thread state: the frame chain is read by
     * chainread.h, and code objects must be checked after the frames. */
    if (pp->minor <= 10) return;
    m->cframe = pp->minor <= 12 ? rd_u64(tbuf, L->tstate_frame) : 0;
    if (pp->walk_hi > pp->walk_lo) {
        /* Up to the end of the page: a deeper leaf is often still inside. */
        uint64_t top = (pp->walk_hi + PAGE - 1) & ~(uint64_t)(PAGE - 1);
        if (top - pp->walk_lo > sizeof pp->window) top = pp->walk_lo + sizeof pp->window;
        if (top >= pp->walk_hi) m->win_lo = pp->walk_lo, m->win_hi = top;
    }
    m->nfar = pp->walk_nfar;
    memcpy(m->far, pp->walk_far, sizeof m->far);
    m->ncodes = 0;
    /* name_frames() left view ids (pynames.h) in the scratch: the code
     * objects to re-check are the ones behind them. */
    const uint32_t *ids = pp->resolve_scratch;
    for (uint32_t i = 0; i < depth && m->ncodes < SPEC_CODES; i++) {
        const pyname_view *v = pynames_view(pp->names, ids[i]);
        uint32_t code = v ? v->code : ids[i];
        bool seen = !code || code >= pp->ncodes;
        for (uint32_t j = 0; j < m->ncodes && !seen; j++) seen = m->codes[j] == code;
        if (!seen) m->codes[m->ncodes++] = code;
    }
}

/* ---- sampling ---- */

static py_status errno_status(void) {
    return errno == ESRCH ? PY_GONE : PY_ERROR;
}

/* Walks and resolves the stack of the thread state copied in tbuf. */
static int read_stack(py_process *pp, uint64_t ts, const uint8_t *tbuf, py_thread_stack *st) {
    const py_layout *L = &pp->off;
    uint64_t frame = rd_u64(tbuf, L->tstate_frame);
    int rc = 0;
    st->depth = 0;
    st->truncated = false;
    if (pp->minor <= 10) {
        rc = walk_frame_objects(pp, ts, frame, &st->depth, &st->truncated);
    } else {
        if (pp->minor <= 12 && frame) {  /* 3.11/3.12: through _PyCFrame */
            uint64_t cur = 0;
            if (pp->got.cur && frame == pp->spec.cframe)
                cur = pp->got.cur_val;
            else
                rc = !plausible(frame) ||
                     proc_read(pp->pid, frame + L->cframe_current_frame, &cur, sizeof cur);
            frame = cur;
        }
        pp->got.cur = false;
        if (!rc) rc = walk_interpreter_frames(pp, frame, &st->depth, &st->truncated);
    }
    if (!rc) {
        int got = resolve_frames(pp, st->depth);
        if (got < 0) return -1;
        st->depth = (uint32_t)got;
    }
    return rc;
}

py_status py_refresh(py_process *pp) {
    const py_layout *L = &pp->off;
    uint64_t interp = 0;
    if (proc_read(pp->pid, pp->runtime + L->runtime_interpreters_head, &interp, sizeof interp))
        return errno_status();
    int n = 0;
    while (interp && n < MAX_INTERPRETERS) {
        if (!plausible(interp)) break;
        pp->interps[n++] = interp;
        if (proc_read(pp->pid, interp + L->interp_next, &interp, sizeof interp))
            return errno_status();
    }
    pp->ninterps = n;
    return PY_OK;
}

py_status py_sample(py_process *pp, py_thread_fn fn, void *ctx, py_sample_result *res) {
    const py_layout *L = &pp->off;
    res->threads = res->dropped = 0;
    res->finalizing = false;
    if (!pp->ninterps) {
        py_status st = py_refresh(pp);
        if (st != PY_OK) return st;
    }
    pp->generation++;
    /* Only here, between stacks, may ids be reused. */
    if (pp->ncodes >= MAX_CODES || pynames_full(pp->names)) {
        flush_codes(pp);
        pp->epoch++;
        pp->spec.ncodes = 0;
    }
    uint32_t tneed = 0;
    uint32_t tfields[] = {L->tstate_next, L->tstate_thread_id, L->tstate_native_thread_id,
                          L->tstate_frame};
    for (size_t i = 0; i < 4; i++)
        if (tfields[i] + 8 > tneed) tneed = tfields[i] + 8;
    spec_read(pp, tneed);
    py_status status = PY_OK;
    for (int ni = 0; ni < pp->ninterps; ni++) {
        uint64_t ts = 0;
        if (ni == 0 && pp->got.head) {
            ts = pp->got.head_val;
        } else if (proc_read(pp->pid, pp->interps[ni] + L->interp_threads_head, &ts, sizeof ts)) {
            /* The interpreter may have been finalised: re-read the list next time. */
            pp->ninterps = 0;
            status = errno_status();
            break;
        }
        for (int nt = 0; ts && nt < MAX_THREADS; nt++) {
            uint8_t tbuf[2 * BLOCK];
            bool first = ni == 0 && nt == 0;
            /* The copies that followed the thread state in the speculative
             * read are in order only after that same copy of it. */
            bool batched = first && pp->got.tstate && ts == pp->spec.ts;
            if (!batched) pp->got.cur = pp->got.window = false;
            if (batched) {
                memcpy(tbuf, pp->got.tbuf, tneed);
            } else if (!plausible(ts) || tneed > sizeof tbuf ||
                       proc_read(pp->pid, ts, tbuf, tneed)) {
                /* A thread state freed under us: the rest of the list is gone too. */
                res->dropped++;
                break;
            }
            res->threads++;
            py_thread_stack st = {.thread_id = rd_u64(tbuf, L->tstate_thread_id)};
            st.tid = L->tstate_native_thread_id
                         ? (pid_t)rd_u64(tbuf, L->tstate_native_thread_id)
                         : tid_of_pthread(pp, st.thread_id);
            /* The target runs on while we read: a stack caught mid-change is
             * read again, from a fresh thread state, before it is dropped. */
            int rc = read_stack(pp, ts, tbuf, &st);
            pp->got.cur = pp->got.window = false;  /* a retry reads afresh */
            /* Up to four more times: a stack that changes every few
             * microseconds (start-up, imports) is often caught whole at a
             * later try, which costs one batched read (the refused walk left
             * its addresses). A try only follows a failed one. */
            for (int again = 0; rc && again < 4 && proc_read(pp->pid, ts, tbuf, tneed) == 0; again++)
                rc = read_stack(pp, ts, tbuf, &st);
            if (first) {
                if (rc) pp->spec = (spec_memo){0};
                else spec_remember(pp, ts, tbuf, st.depth);
            }
            if (rc) {
                res->dropped++;
            } else {
                st.frames = pp->frames;
                if (fn(ctx, &st)) return PY_OK;
            }
            ts = rd_u64(tbuf, L->tstate_next);
        }
    }
    /* Stacks torn while the interpreter shuts down are its teardown, not
     * samples we lost: look only when something failed. */
    uint64_t fin = 0;
    if ((res->dropped || status != PY_OK) && L->runtime_finalizing &&
        proc_read(pp->pid, pp->runtime + L->runtime_finalizing - 1, &fin, sizeof fin) == 0 && fin) {
        res->dropped = 0;
        res->finalizing = true;
        if (status != PY_GONE) status = PY_OK;
    }
    return status;
}
