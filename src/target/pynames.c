/* pynames.c -- frames named by their function object or import target.
 * See pynames.h. */
#include "pynames.h"
#include "tgtmem.h"

#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "classify.h"
#include "gather.h"
#include "proc.h"
#include "pyreader.h"

#define MAX_NAME_CHARS 1024      /* longer names are cut, marked with "..." */
#define MAX_NAMES (1u << 18)     /* entries before the caller flushes */
#define BLOCK 512
#define NFIELDS 4
#define BATCH 256                /* entries verified per process_vm_readv */
#define SPAN 256                 /* bytes of an object holding its identity fields */

typedef struct {
    uint64_t addr;
    bool import;             /* a str naming an imported module; else a function object */
    bool live;               /* false once replaced by a reload of its address */
    char *function, *module;
    uint64_t ident[NFIELDS]; /* the identity fields as read at load time */
    uint64_t qual_addr, qual_hash;  /* functions: their __qualname__ str and its hash */
    bool qual_fixed;         /* ... which is static (tgtmem.h): its hash needs no check */
    uint32_t checked;        /* generation in which ident was last verified */
    uint32_t memo_code, memo_view;  /* the last code this entry named, and that view */
} name_entry;

typedef struct {
    uint32_t code, entry;
} view_entry;

struct py_names {
    pid_t pid;
    const py_layout *L;
    int minor;
    uint64_t str_type, func_type;
    static_span statics;
    uint32_t span_lo[2], span_hi[2];   /* span_of(), by import */
    name_entry *e;           /* index 0 unused: 0 means "none" */
    size_t n, cap;
    uint32_t *slots;         /* open addressing: addr -> entry index */
    size_t slot_cap;
    view_entry *views;
    size_t nviews, capviews;
    pyname_frame frames[PY_MAX_DEPTH];
    uint32_t ent_of[PY_MAX_DEPTH];
    uint8_t buf[BATCH][SPAN];
    /* pynames_spec_add's entries, and what the caller's read put there */
    uint32_t spec_ent[PYNAMES_SPEC_MAX];
    uint32_t nspec;
    uint64_t spec_hash[PYNAMES_SPEC_MAX];
    uint8_t spec_buf[PYNAMES_SPEC_MAX][SPAN];
};

/* ---- str objects ---- */

static void put_utf8(char *out, size_t *o, size_t cap, uint32_t c) {
    if (c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) c = 0xFFFD;
    char tmp[4];
    size_t n;
    if (c < 0x80) { tmp[0] = (char)c; n = 1; }
    else if (c < 0x800) { tmp[0] = (char)(0xC0 | (c >> 6)); tmp[1] = (char)(0x80 | (c & 0x3F)); n = 2; }
    else if (c < 0x10000) {
        tmp[0] = (char)(0xE0 | (c >> 12)); tmp[1] = (char)(0x80 | ((c >> 6) & 0x3F));
        tmp[2] = (char)(0x80 | (c & 0x3F)); n = 3;
    } else {
        tmp[0] = (char)(0xF0 | (c >> 18)); tmp[1] = (char)(0x80 | ((c >> 12) & 0x3F));
        tmp[2] = (char)(0x80 | ((c >> 6) & 0x3F)); tmp[3] = (char)(0x80 | (c & 0x3F)); n = 4;
    }
    if (*o + n < cap) {
        memcpy(out + *o, tmp, n);
        *o += n;
    }
}

/* Only compact strings are handled: names and filenames always are. */
char *pystr_read(pid_t pid, const py_layout *L, uint64_t str_type, uint64_t not_type,
                 uint64_t addr, size_t max_chars) {
    if (!plausible(addr)) return NULL;
    uint8_t buf[BLOCK + MAX_NAME_CHARS * 4];
    size_t header = L->unicode_compact_size;
    if (header > BLOCK || max_chars > MAX_NAME_CHARS) return NULL;
    ssize_t got = proc_read_partial(pid, addr, buf, header + 256);
    if (got < (ssize_t)L->unicode_ascii_size) return NULL;
    uint64_t type = rd_u64(buf, L->ob_type);
    if ((not_type && type == not_type) || (str_type && type != str_type)) return NULL;
    uint32_t state = rd_u32(buf, L->unicode_state);
    int64_t length = (int64_t)rd_u64(buf, L->unicode_length);
    if (!(state & L->state_compact_bit) || length < 0) return NULL;
    unsigned kind = (state >> L->state_kind_shift) & L->state_kind_mask;
    int ascii = (state & L->state_ascii_bit) != 0;
    if (kind != 1 && kind != 2 && kind != 4) return NULL;
    size_t data = ascii ? L->unicode_ascii_size : header;
    int cut = (uint64_t)length > max_chars;
    size_t nchars = cut ? max_chars : (size_t)length;
    size_t need = data + nchars * kind;
    if ((size_t)got < need) {
        if (need > sizeof buf || proc_read(pid, addr, buf, need)) return NULL;
    }
    size_t cap = nchars * 4 + 4, o = 0;
    char *out = malloc(cap);
    if (!out) return NULL;
    for (size_t i = 0; i < nchars; i++) {
        uint32_t c = kind == 1 ? buf[data + i]
                   : kind == 2 ? (uint32_t)(buf[data + 2 * i] | buf[data + 2 * i + 1] << 8)
                   : rd_u32(buf, (uint32_t)(data + 4 * i));
        if (ascii && c >= 0x80) c = 0xFFFD;
        put_utf8(out, &o, cap, c);
    }
    if (cut && o + 3 < cap) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o] = '\0';
    return out;
}

/* Names set from Python code may hold anything; reports are line- and
 * ';'-separated, so control characters become '?'. */
static void scrub(char *s) {
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f) *s = '?';
}

/* A dotted module name: what `import` accepts (non-ASCII letters allowed). */
static bool module_name(const char *s) {
    if (!*s || *s == '.') return false;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (!(c >= 0x80 || c == '_' || c == '.' || (c >= '0' && c <= '9') ||
              ((c | 0x20) >= 'a' && (c | 0x20) <= 'z')))
            return false;
    }
    return true;
}

/* ---- the entry cache ---- */

static void fields_of(const py_names *nm, bool import, uint32_t f[NFIELDS]) {
    const py_layout *L = nm->L;
    if (import) {
        f[0] = L->ob_type, f[1] = L->unicode_length, f[2] = L->unicode_hash, f[3] = L->unicode_hash;
    } else {
        f[0] = L->ob_type, f[1] = L->func_code, f[2] = L->func_qualname, f[3] = L->func_module;
    }
}

/* The bytes [lo, hi) of an object holding its identity fields (a function
 * object's, or an import target str's), worked out once by pynames_new. */
static void spans_init(py_names *nm) {
    for (int import = 0; import < 2; import++) {
        uint32_t f[NFIELDS], lo = UINT32_MAX, hi = 0;
        fields_of(nm, import, f);
        for (int i = 0; i < NFIELDS; i++) {
            if (f[i] < lo) lo = f[i];
            if (f[i] + 8 > hi) hi = f[i] + 8;
        }
        nm->span_lo[import] = lo;
        nm->span_hi[import] = hi;
    }
}

static void span_of(const py_names *nm, bool import, uint32_t *lo, uint32_t *hi) {
    *lo = nm->span_lo[import];
    *hi = nm->span_hi[import];
}

static void ident_of(const py_names *nm, bool import, const uint8_t *b, uint32_t lo,
                     uint64_t ident[NFIELDS]) {
    uint32_t f[NFIELDS];
    fields_of(nm, import, f);
    for (int i = 0; i < NFIELDS; i++) ident[i] = rd_u64(b, f[i] - lo);
}

/* Whether a check of e copies its __qualname__'s hash as well as its
 * identity fields: a function's, unless the string is static. */
static bool hashed(const name_entry *e) {
    return !e->import && !e->qual_fixed;
}

static void free_entry(name_entry *e) {
    free(e->function);
    free(e->module);
    e->function = e->module = NULL;
    e->live = false;
    e->addr = 0;
}

void pynames_flush(py_names *nm) {
    for (size_t i = 1; i < nm->n; i++) free_entry(&nm->e[i]);
    nm->n = 1;
    nm->nviews = 0;
    memset(nm->slots, 0, nm->slot_cap * sizeof *nm->slots);
}

bool pynames_full(const py_names *nm) {
    return nm->n >= MAX_NAMES || nm->nviews >= MAX_NAMES;
}

static size_t slot_of(uint64_t addr, size_t cap) {
    return (size_t)((addr >> 3) * 0x9E3779B97F4A7C15ULL >> 20) & (cap - 1);
}

static uint32_t find_entry(const py_names *nm, uint64_t addr) {
    size_t mask = nm->slot_cap - 1;
    for (size_t s = slot_of(addr, nm->slot_cap); nm->slots[s]; s = (s + 1) & mask)
        if (nm->e[nm->slots[s]].addr == addr) return nm->slots[s];
    return 0;
}

static int rehash(py_names *nm, size_t ncap) {
    uint32_t *ns = calloc(ncap, sizeof *ns);
    if (!ns) return -1;
    for (size_t i = 1; i < nm->n; i++) {
        if (!nm->e[i].live) continue;
        size_t s = slot_of(nm->e[i].addr, ncap);
        while (ns[s]) s = (s + 1) & (ncap - 1);
        ns[s] = (uint32_t)i;
    }
    free(nm->slots);
    nm->slots = ns;
    nm->slot_cap = ncap;
    return 0;
}

/* Adds e as the entry for its address, retiring any older one. */
static uint32_t add_entry(py_names *nm, name_entry *e) {
    if (nm->n == nm->cap) {
        size_t ncap = nm->cap * 2;
        name_entry *ne = realloc(nm->e, ncap * sizeof *ne);
        if (!ne) return 0;
        nm->e = ne;
        nm->cap = ncap;
    }
    if ((nm->n + 1) * 2 > nm->slot_cap && rehash(nm, nm->slot_cap * 2)) return 0;
    uint32_t idx = (uint32_t)nm->n++;
    nm->e[idx] = *e;
    size_t mask = nm->slot_cap - 1, s = slot_of(e->addr, nm->slot_cap);
    while (nm->slots[s] && nm->e[nm->slots[s]].addr != e->addr) s = (s + 1) & mask;
    if (nm->slots[s]) free_entry(&nm->e[nm->slots[s]]);
    nm->slots[s] = idx;
    return idx;
}

static int read_ident(const py_names *nm, bool import, uint64_t addr, uint64_t ident[NFIELDS]) {
    uint32_t lo, hi;
    span_of(nm, import, &lo, &hi);
    uint8_t b[SPAN];
    if (hi - lo > sizeof b || proc_read(nm->pid, addr + lo, b, hi - lo)) return -1;
    ident_of(nm, import, b, lo, ident);
    return 0;
}

/* A function object whose code is the frame's: its __qualname__ and
 * __module__ (NULL unless a str). */
/* The function object at addr, when it runs code_addr; *other is set when
 * it is a function that runs another code object. */
static uint32_t load_function(py_names *nm, uint64_t addr, uint64_t code_addr, bool *other) {
    const py_layout *L = nm->L;
    name_entry e = {.addr = addr, .live = true};
    if (read_ident(nm, false, addr, e.ident)) return 0;
    if (nm->func_type && e.ident[0] != nm->func_type) return 0;
    if (e.ident[1] != code_addr) {
        *other = true;
        return 0;
    }
    e.qual_addr = e.ident[2];
    e.qual_fixed = in_static(nm->statics, e.qual_addr + L->unicode_hash, sizeof e.qual_hash);
    if (!plausible(e.qual_addr) ||
        proc_read(nm->pid, e.qual_addr + L->unicode_hash, &e.qual_hash, sizeof e.qual_hash))
        return 0;
    e.function = pystr_read(nm->pid, L, nm->str_type, nm->func_type, e.qual_addr, MAX_NAME_CHARS);
    if (!e.function || !*e.function) {
        free(e.function);
        return 0;
    }
    /* __module__ may be None or anything else: only a str names a module. */
    if (nm->str_type) e.module = pystr_read(nm->pid, L, nm->str_type, 0, e.ident[3], MAX_NAME_CHARS);
    scrub(e.function);
    if (e.module) scrub(e.module);
    e.checked = 0;
    uint32_t idx = add_entry(nm, &e);
    if (!idx) free_entry(&e);
    return idx;
}

bool pynames_import_loader(const char *function, const char *file) {
    return function && !strcmp(function, "_find_and_load") && classify_importlib_file(file);
}

/* The str a _find_and_load frame is importing: "import NAME". */
static uint32_t load_import(py_names *nm, uint64_t addr) {
    name_entry e = {.addr = addr, .live = true, .import = true};
    if (read_ident(nm, true, addr, e.ident)) return 0;
    if (nm->str_type && e.ident[0] != nm->str_type) return 0;
    char *s = pystr_read(nm->pid, nm->L, nm->str_type, nm->func_type, addr, 256);
    if (!s || !module_name(s) || !(e.function = malloc(strlen(s) + 8))) {
        free(s);
        return 0;
    }
    strcpy(e.function, "import ");
    strcat(e.function, s);
    free(s);
    uint32_t idx = add_entry(nm, &e);
    if (!idx) free_entry(&e);
    return idx;
}

py_names *pynames_new(pid_t pid, const py_layout *L, int minor, uint64_t str_type,
                      uint64_t func_type, static_span statics) {
    py_names *nm = calloc(1, sizeof *nm);
    if (!nm) return NULL;
    *nm = (py_names){.pid = pid, .L = L, .minor = minor, .str_type = str_type,
                     .func_type = func_type, .statics = statics, .n = 1, .cap = 64, .slot_cap = 256};
    spans_init(nm);
    nm->e = calloc(nm->cap, sizeof *nm->e);
    nm->slots = calloc(nm->slot_cap, sizeof *nm->slots);
    if (!nm->e || !nm->slots) {
        pynames_free(nm);
        return NULL;
    }
    return nm;
}

void pynames_free(py_names *nm) {
    if (!nm) return;
    if (nm->e && nm->slots) pynames_flush(nm);
    free(nm->e);
    free(nm->slots);
    free(nm->views);
    free(nm);
}

pyname_frame *pynames_frames(py_names *nm) { return nm->frames; }

/* ---- naming a stack ---- */

/* The entry naming frame f (loaded when new), or 0 when the code's own
 * names stand; *other as load_function's. */
static uint32_t entry_for(py_names *nm, const pyname_frame *f, uint32_t generation, bool *other) {
    uint64_t tag = nm->L->stackref_tag_mask;
    uint32_t k;
    if (f->import_loader) {
        uint64_t s = f->local0 & ~tag;
        if (!plausible(s)) return 0;
        k = find_entry(nm, s);
        if (k && nm->e[k].import) return k;
        k = load_import(nm, s);
    } else {
        uint64_t fn = f->func & ~tag;
        if (!plausible(fn)) return 0;
        k = find_entry(nm, fn);
        if (k && !nm->e[k].import && nm->e[k].ident[1] == f->code_addr) return k;
        k = load_function(nm, fn, f->code_addr, other);
    }
    if (k) nm->e[k].checked = generation;
    return k;
}

/* Checks, in one process_vm_readv, that entries ks[0..k) (k <= BATCH) still
 * describe the objects at their addresses: sets changed[j] for those that
 * do not (or could not be read), and marks the others verified. */
static void check_entries(py_names *nm, const uint32_t *ks, int k, uint32_t generation,
                          bool *changed) {
    const py_layout *L = nm->L;
    struct iovec local[2 * BATCH], remote[2 * BATCH];
    uint64_t hashes[BATCH];
    int nv = 0;
    if (k <= 0 || k > BATCH) return;
    for (int j = 0; j < k; j++) {
        const name_entry *e = &nm->e[ks[j]];
        uint32_t lo, hi;
        span_of(nm, e->import, &lo, &hi);
        local[nv] = (struct iovec){nm->buf[j], hi - lo};
        remote[nv++] = (struct iovec){(void *)(uintptr_t)(e->addr + lo), hi - lo};
        if (hashed(e)) {
            local[nv] = (struct iovec){&hashes[j], sizeof hashes[0]};
            remote[nv++] = (struct iovec){(void *)(uintptr_t)(e->qual_addr + L->unicode_hash),
                                          sizeof hashes[0]};
        }
    }
    bool full[2 * BATCH];
    gather_seg all = {(size_t)nv, true};
    gather_read(nm->pid, local, remote, all.end, &all, 1, full);
    int piece = 0;   /* the first of this entry's pieces */
    for (int j = 0; j < k; j++) {
        name_entry *e = &nm->e[ks[j]];
        bool ok = full[piece] && (!hashed(e) || full[piece + 1]);
        piece += hashed(e) ? 2 : 1;
        if (ok) {
            uint64_t now[NFIELDS];
            uint32_t lo, hi;
            span_of(nm, e->import, &lo, &hi);
            ident_of(nm, e->import, nm->buf[j], lo, now);
            ok = memcmp(now, e->ident, sizeof now) == 0 &&
                 (!hashed(e) || hashes[j] == e->qual_hash);
        }
        changed[j] = !ok;
        if (ok) e->checked = generation;
    }
}

/* Checks, in one process_vm_readv per batch, that the cached entries of
 * this stack still describe the objects at their addresses; reloads those
 * that changed. */
static void verify(py_names *nm, uint32_t n, uint32_t generation) {
    uint32_t which[BATCH];
    bool changed[BATCH];
    for (uint32_t start = 0; start < n;) {
        int k = 0;
        uint32_t i = start;
        for (; i < n && k < BATCH; i++) {
            name_entry *e = nm->ent_of[i] ? &nm->e[nm->ent_of[i]] : NULL;
            if (!e || e->checked == generation) continue;
            e->checked = generation;   /* once per batch, however many frames it names */
            which[k++] = nm->ent_of[i];
        }
        start = i;
        if (!k) continue;
        check_entries(nm, which, k, generation, changed);
        for (int j = 0; j < k; j++) {
            if (!changed[j]) continue;
            uint32_t old = which[j], fresh = 0;
            for (uint32_t m = 0; m < n; m++) {
                if (nm->ent_of[m] != old) continue;
                if (!fresh && nm->e[old].live) {
                    bool other = false;   /* verify() keeps the code's names then */
                    fresh = nm->e[old].import ? load_import(nm, nm->e[old].addr)
                                              : load_function(nm, nm->e[old].addr,
                                                              nm->frames[m].code_addr, &other);
                    if (fresh) nm->e[fresh].checked = generation;
                    else free_entry(&nm->e[old]);   /* no longer what was cached */
                }
                nm->ent_of[m] = fresh;
            }
        }
    }
}

uint32_t pynames_spec_add(py_names *nm, const uint32_t *views, uint32_t n, struct iovec *local,
                          struct iovec *remote, uint32_t max) {
    const py_layout *L = nm->L;
    uint32_t np = 0;
    nm->nspec = 0;
    for (uint32_t i = 0; i < n && nm->nspec < PYNAMES_SPEC_MAX; i++) {
        uint32_t id = views[i];
        if (id < PYNAMES_VIEW_BASE || id - PYNAMES_VIEW_BASE >= nm->nviews) continue;
        uint32_t k = nm->views[id - PYNAMES_VIEW_BASE].entry;
        name_entry *e = &nm->e[k];
        bool seen = !e->live;
        for (uint32_t j = 0; j < nm->nspec && !seen; j++) seen = nm->spec_ent[j] == k;
        uint32_t lo, hi, pieces = hashed(e) ? 2 : 1;
        span_of(nm, e->import, &lo, &hi);
        if (seen || hi - lo > SPAN) continue;
        if (np + pieces > max) break;
        uint32_t s = nm->nspec++;
        nm->spec_ent[s] = k;
        local[np] = (struct iovec){nm->spec_buf[s], hi - lo};
        remote[np++] = (struct iovec){(void *)(uintptr_t)(e->addr + lo), hi - lo};
        if (hashed(e)) {
            local[np] = (struct iovec){&nm->spec_hash[s], sizeof nm->spec_hash[s]};
            remote[np++] = (struct iovec){(void *)(uintptr_t)(e->qual_addr + L->unicode_hash),
                                          sizeof nm->spec_hash[s]};
        }
    }
    return np;
}

void pynames_spec_check(py_names *nm, const bool *full, uint32_t generation) {
    uint32_t p = 0;
    for (uint32_t s = 0; s < nm->nspec; s++) {
        name_entry *e = &nm->e[nm->spec_ent[s]];
        bool ok = full[p++];
        if (hashed(e)) ok = full[p++] && ok && nm->spec_hash[s] == e->qual_hash;
        if (!ok || !e->live) continue;
        uint32_t lo, hi;
        uint64_t now[NFIELDS];
        span_of(nm, e->import, &lo, &hi);
        ident_of(nm, e->import, nm->spec_buf[s], lo, now);
        if (memcmp(now, e->ident, sizeof now) == 0) e->checked = generation;  /* verify() skips it */
    }
    nm->nspec = 0;
}

static uint32_t view_of(py_names *nm, uint32_t k, uint32_t code) {
    name_entry *e = &nm->e[k];
    if (e->memo_view && e->memo_code == code) return e->memo_view;
    if (nm->nviews == nm->capviews) {
        size_t ncap = nm->capviews ? nm->capviews * 2 : 64;
        view_entry *nv = realloc(nm->views, ncap * sizeof *nv);
        if (!nv) return 0;
        nm->views = nv;
        nm->capviews = ncap;
    }
    nm->views[nm->nviews] = (view_entry){code, k};
    e->memo_code = code;
    e->memo_view = PYNAMES_VIEW_BASE + (uint32_t)nm->nviews++;
    return e->memo_view;
}

int pynames_resolve(py_names *nm, uint32_t n, uint32_t generation, uint32_t *out,
                    uint32_t *other_code) {
    if (n > PY_MAX_DEPTH) n = PY_MAX_DEPTH;
    *other_code = 0;
    for (uint32_t i = 0; i < n; i++) {
        bool other = false;
        nm->ent_of[i] = nm->frames[i].code ? entry_for(nm, &nm->frames[i], generation, &other) : 0;
        *other_code += other;
    }
    verify(nm, n, generation);
    int rc = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t v = nm->ent_of[i] ? view_of(nm, nm->ent_of[i], nm->frames[i].code) : 0;
        if (nm->ent_of[i] && !v) rc = -1;
        out[i] = v ? v : nm->frames[i].code;
    }
    return rc;
}

int pynames_recheck(py_names *nm, const uint32_t *ids, uint32_t n, uint32_t generation) {
    uint32_t which[BATCH];
    bool changed[BATCH];
    int k = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (ids[i] < PYNAMES_VIEW_BASE || (i && ids[i] == ids[i - 1])) continue;
        if (ids[i] - PYNAMES_VIEW_BASE >= nm->nviews) return -1;
        uint32_t ent = nm->views[ids[i] - PYNAMES_VIEW_BASE].entry;
        const name_entry *e = &nm->e[ent];
        if (!e->live) return -1;
        if (e->checked == generation) continue;
        bool listed = false;
        for (int j = 0; j < k && !listed; j++) listed = which[j] == ent;
        if (listed) continue;
        if (k == BATCH) return -1;   /* more than one call: leave it to pynames_resolve */
        which[k++] = ent;
    }
    if (!k) return 0;
    check_entries(nm, which, k, generation, changed);
    for (int j = 0; j < k; j++)
        if (changed[j]) return -1;
    return 0;
}

uint32_t pynames_code_of(const py_names *nm, uint32_t id) {
    if (id < PYNAMES_VIEW_BASE) return id;
    return id - PYNAMES_VIEW_BASE < nm->nviews ? nm->views[id - PYNAMES_VIEW_BASE].code : 0;
}

const pyname_view *pynames_view(const py_names *nm, uint32_t id) {
    static _Thread_local pyname_view v;
    if (id < PYNAMES_VIEW_BASE || id - PYNAMES_VIEW_BASE >= nm->nviews) return NULL;
    const view_entry *ve = &nm->views[id - PYNAMES_VIEW_BASE];
    const name_entry *e = &nm->e[ve->entry];
    v = (pyname_view){ve->code, e->live ? e->function : NULL, e->live ? e->module : NULL,
                      e->import};
    return &v;
}
