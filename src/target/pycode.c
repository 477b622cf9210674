/* pycode.c -- the reader's cache of code objects (see pyreader_int.h):
 * names, files and line tables read once per code object, and checked
 * again every sample, in one batched read, against the reuse of a freed
 * object's address. */
#include "pyreader_int.h"
#include "tgtmem.h"

#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "linetable.h"
#include "gather.h"
#include "proc.h"

#define MAX_NAME_CHARS 1024      /* longer names are cut, marked with "..." */
#define MAX_LINETABLE (256 * 1024)

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

void pycode_flush(py_process *pp) {
    for (size_t i = 1; i < pp->ncodes; i++) free_code(&pp->codes[i]);
    if (pp->names) pynames_flush(pp->names);  /* its views name code ids */
    pp->ncodes = 1;
    memset(pp->code_slots, 0, pp->code_slot_cap * sizeof *pp->code_slots);
}

int pycode_init(py_process *pp) {
    pp->capcodes = 256;
    pp->ncodes = 1;
    pp->code_slot_cap = 1024;
    pp->codes = calloc(pp->capcodes, sizeof *pp->codes);
    pp->code_slots = calloc(pp->code_slot_cap, sizeof *pp->code_slots);
    return pp->codes && pp->code_slots ? 0 : -1;
}

void pycode_free(py_process *pp) {
    free(pp->memo);
    pp->memo = NULL;
    if (pp->codes && pp->code_slots) pycode_flush(pp);  /* both, unless init ran out of memory */
    free(pp->codes);
    free(pp->code_slots);
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

void pycode_ident_span(const py_layout *L, uint32_t *lo, uint32_t *hi) {
    uint32_t f[IDENT_FIELDS];
    ident_fields(L, f);
    *lo = UINT32_MAX;
    *hi = 0;
    for (int i = 0; i < IDENT_FIELDS; i++) {
        if (f[i] < *lo) *lo = f[i];
        if (f[i] + 8 > *hi) *hi = f[i] + 8;
    }
}

void pycode_ident_of(const py_layout *L, const uint8_t *head, uint32_t base, uint64_t *ident) {
    uint32_t f[IDENT_FIELDS];
    ident_fields(L, f);
    for (int i = 0; i < IDENT_FIELDS; i++) ident[i] = rd_u64(head, f[i] - base);
    ident[5] &= 0xFFFFFFFFu;  /* co_firstlineno is an int: ignore what follows it */
}

bool pycode_known(const py_process *pp, const code_entry *c) {
    return c->fixed || c->checked == pp->generation ||
           (pp->cc.now_ok && c->proven && c->proven_at == pp->cc.now);
}

void pycode_verified(py_process *pp, code_entry *c) {
    c->checked = pp->generation;
    /* The counter was read before anything this sample verifies or loads. */
    c->proven = pp->cc.now_ok;
    c->proven_at = pp->cc.now;
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
    pycode_ident_span(L, &lo, &need);
    /* Partial: a code object near the end of a mapping is still readable. */
    if (need > sizeof head || proc_read_partial(pp->pid, addr, head, sizeof head) < (ssize_t)need)
        return 0;
    if (pp->code_type && rd_u64(head, L->ob_type) != pp->code_type) return 0;
    code_entry c = {.addr = addr};
    pycode_verified(pp, &c);
    pycode_ident_of(L, head, 0, c.ident);
    c.first_line = rd_i32(head, L->code_firstlineno);
    c.name_addr = rd_u64(head, L->code_qualname ? L->code_qualname : L->code_name);
    c.fixed = in_static(pp->statics, addr, need);
    c.name_fixed = in_static(pp->statics, c.name_addr + L->unicode_hash, sizeof c.name_hash);
    if (proc_read(pp->pid, c.name_addr + L->unicode_hash, &c.name_hash, sizeof c.name_hash))
        return 0;
    c.function = read_unicode(pp, c.name_addr);
    c.file = read_unicode(pp, rd_u64(head, L->code_filename));
    c.linetable = read_bytes(pp, rd_u64(head, L->code_linetable), &c.linetable_len);
    if (!c.function || !c.file || c.first_line < 0) {
        free_code(&c);
        return 0;
    }
    c.import_loader = pynames_import_loader(c.function, c.file);
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
        pp->code_retired++;   /* resolve_memo's code ids may name it */
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
    pycode_ident_span(L, &lo, &hi);
    uint32_t span = hi - lo;
    uint8_t (*buf)[VERIFY_SPAN] = pp->verify_buf;
    if (span > VERIFY_SPAN) return -1;  /* cannot happen with real layouts */
    struct iovec local[2 * BATCH], remote[2 * BATCH];
    uint32_t which[BATCH];
    for (uint32_t start = 0; start < n;) {
        int k = 0;
        uint32_t i = start;
        for (; i < n && k < BATCH; i++) {
            if (i && codes[i] == codes[i - 1]) continue;   /* recursion: just seen */
            code_entry *c = codes[i] ? &pp->codes[codes[i]] : NULL;
            if (!c || pycode_known(pp, c)) continue;
            c->checked = pp->generation;   /* once per call, however many frames run it */
            local[k] = (struct iovec){buf[k], span};
            remote[k] = (struct iovec){(void *)(uintptr_t)(c->addr + lo), span};
            which[k++] = codes[i];
        }
        start = i;
        if (!k) continue;
        pp->code_checks += (uint64_t)k;
        /* The names' hashes ride along in the same call: the name address
         * is the cached one, and if the code object changed, ident differs
         * anyway. A static name has none to check (code_entry.name_fixed). */
        uint64_t hashes[BATCH];
        int hash_at[BATCH], np = k;
        for (int j = 0; j < k; j++) {
            code_entry *c = &pp->codes[which[j]];
            hash_at[j] = c->name_fixed ? -1 : np;
            if (c->name_fixed) continue;
            local[np] = (struct iovec){&hashes[j], sizeof hashes[0]};
            remote[np++] = (struct iovec){(void *)(uintptr_t)(c->name_addr + L->unicode_hash),
                                          sizeof hashes[0]};
        }
        bool full[2 * BATCH];
        gather_seg all = {(size_t)np, true};
        gather_read(pp->pid, local, remote, all.end, &all, 1, full);
        for (int j = 0; j < k; j++) {
            code_entry *c = &pp->codes[which[j]];
            uint64_t now[IDENT_FIELDS];
            bool ok = full[j];
            if (ok) {
                pycode_ident_of(L, buf[j], lo, now);
                ok = memcmp(now, c->ident, sizeof now) == 0;
            }
            ok = ok && (hash_at[j] < 0 || (full[hash_at[j]] && hashes[j] == c->name_hash));
            if (ok) {
                pycode_verified(pp, c);
                continue;
            }
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

/* Names frames[0..n) (code ids in codes[]) through pynames: frames[i].code
 * becomes a view id where a function object or an import target names it.
 * Returns how many frames' function objects run another code object. */
static uint32_t name_frames(py_process *pp, const uint32_t *codes, uint32_t n) {
    pyname_frame *in = pynames_frames(pp->names);
    uint32_t k = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (!codes[i]) continue;
        const code_entry *c = &pp->codes[codes[i]];
        in[k++] = (pyname_frame){codes[i], c->addr, c->function, c->file, pp->raw[i].func,
                                 pp->raw[i].local0, c->import_loader};
    }
    uint32_t *out = pp->resolve_scratch, other = 0;
    pynames_resolve(pp->names, k, pp->generation, out, &other);  /* on failure: code ids */
    for (uint32_t i = 0; i < k; i++) pp->frames[i].code = out[i];
    return other;
}

/* ---- a stack's frames ---- */

/* How many of pp->raw[0..n)'s outermost frames the memo holds as they are
 * now (see resolve_memo); 0 when it does not hold. */
static uint32_t memo_shared(const py_process *pp, uint32_t n) {
    const resolve_memo *m = pp->memo;
    if (!m || !m->ts || m->ts != pp->resolve_ts || m->epoch != pp->epoch ||
        m->retired != pp->code_retired)
        return 0;
    uint32_t k = 0;
    for (; k < n && k < m->n; k++) {
        const raw_frame *a = &pp->raw[n - 1 - k], *b = &m->raw[k];
        if (a->code_addr != b->code_addr || a->offset != b->offset || a->entry != b->entry ||
            a->func != b->func || a->local0 != b->local0)
            break;
    }
    return k;
}

/* Names the frames: the fresh (leaf-side) ones through pynames, the kept
 * ones from the memo when every function object behind them was verified
 * in this sample (pynames_recheck), else all of them again. Leaves each
 * frame's id in pp->frames[].code and pp->resolve_scratch. Returns what
 * name_frames does. */
static uint32_t name_with_memo(py_process *pp, const uint32_t *codes, uint32_t n,
                               uint32_t fresh) {
    const resolve_memo *m = pp->memo;
    if (fresh == n) return name_frames(pp, codes, n);
    uint32_t other = name_frames(pp, codes, fresh), p = 0;
    for (uint32_t i = 0; i < fresh; i++) p += codes[i] != 0;
    uint32_t first = p;
    for (uint32_t i = fresh; i < n; i++) {
        if (!codes[i]) continue;
        pp->resolve_scratch[p] = pp->frames[p].code = m->id[n - 1 - i];
        p++;
    }
    if (pynames_recheck(pp->names, pp->resolve_scratch + first, p - first, pp->generation))
        return name_frames(pp, codes, n);
    return other;
}

/* Whether frame i (codes[i], named id) could be named otherwise at the next
 * sample with nothing changed in the memo's sight: it has a function object
 * or an import target, and it is named by its code all the same (the
 * object could not be read, or is not a function). pynames would try again
 * at every sample; the memo must not keep it from that. */
static bool unsettled(const py_process *pp, const uint32_t *codes, uint32_t i, uint32_t id) {
    if (id >= PYNAMES_VIEW_BASE) return false;
    uint64_t tag = pp->off.stackref_tag_mask;
    return plausible(pp->raw[i].func & ~tag) || pp->codes[codes[i]].import_loader;
}

/* Remembers the stack just named (see resolve_memo) up to its first
 * unsettled frame from the root; fresh: how many of its frames, leaf
 * first, were not already there. */
static void memo_store(py_process *pp, const uint32_t *codes, uint32_t n, uint32_t fresh) {
    if (!pp->memo && !(pp->memo = calloc(1, sizeof *pp->memo))) return;
    resolve_memo *m = pp->memo;
    uint32_t named = 0, keep = 0;
    for (uint32_t i = 0; i < n; i++) named += codes[i] != 0;
    for (uint32_t i = n; i-- > 0; keep++) {
        if (!codes[i]) continue;
        if (unsettled(pp, codes, i, pp->resolve_scratch[--named])) break;
    }
    /* Every id is rewritten: a recheck that failed named the kept ones anew. */
    for (uint32_t i = 0, p = 0; i < n; i++) {
        uint32_t r = n - 1 - i;
        m->id[r] = codes[i] ? pp->resolve_scratch[p] : 0;
        if (i < fresh) {
            m->raw[r] = pp->raw[i];
            m->code[r] = codes[i];
            m->line[r] = codes[i] ? pp->frames[p].line : 0;
        }
        p += codes[i] != 0;
    }
    m->ts = pp->resolve_ts;
    m->n = keep;
    m->epoch = pp->epoch;
    m->retired = pp->code_retired;
}

int pycode_resolve(py_process *pp, uint32_t n, bool strict) {
    uint32_t *codes = pp->code_scratch;
    uint32_t fresh = n - memo_shared(pp, n);
    for (uint32_t i = 0; i < fresh; i++) {
        uint64_t addr = pp->raw[i].code_addr;
        codes[i] = plausible(addr) ? code_find(pp, addr) : 0;
        if (!codes[i] && plausible(addr)) codes[i] = code_load(pp, addr);
    }
    for (uint32_t i = fresh; i < n; i++) codes[i] = pp->memo->code[n - 1 - i];
    uint32_t retired = pp->code_retired;
    if (verify_codes(pp, codes, n)) return -1;
    /* A code object replaced: the memo's lines and names may be its. */
    if (pp->code_retired != retired) fresh = n;
    uint32_t out = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (!codes[i]) {
            /* From 3.13 a frame may run something that is not a code object
             * (a trampoline); before, it means we read a frame mid-update. */
            if (pp->minor < 13) return -1;
            continue;
        }
        pp->frames[out].code = codes[i];
        pp->frames[out].line = i < fresh ? code_line(pp, codes[i], pp->raw[i].offset)
                                         : pp->memo->line[n - 1 - i];
        pp->frames[out].entry = pp->raw[i].entry;
        out++;
    }
    /* A frame whose function object runs another code object was copied
     * while its slot was being set up for the next call (3.11+ reuse a
     * returned frame's place at once): the walk is refused and read again.
     * Only a last try keeps it, named by its code: that is also what a
     * function whose __code__ was replaced while the frame ran looks like. */
    uint32_t other = name_with_memo(pp, codes, n, fresh);
    if (other && strict) return -1;
    if (!other && pp->resolve_ts) memo_store(pp, codes, n, fresh);
    return (int)out;
}

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
