/* pywalk.c -- the frame walkers of the reader (see pyreader_int.h): the
 * chain of heap PyFrameObjects (<= 3.10) and the _PyInterpreterFrames in a
 * thread's data stack (3.11+). Each fills pp->raw[] leaf first with what
 * the code cache needs: code address, instruction offset, entry flag and
 * the fields that name a frame. */
#include "pyreader_int.h"
#include "tgtmem.h"

#include <stdint.h>
#include <string.h>
#include <sys/uio.h>

#include "loopcheck.h"
#include "proc.h"

/* ---- what names a frame (pynames.h) ---- */

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

/* ---- frames, <= 3.10: one heap PyFrameObject per frame ---- */

/* The chain is read by chainread.h: the frames at the addresses of the last
 * sample in one call, verified, and refused when torn; extra pieces (NULL:
 * none) ride at the end of that call. ts is the thread state whose frame
 * pointer held frame. */
int pywalk_frame_objects(py_process *pp, uint64_t ts, uint64_t frame, uint32_t *depth,
                         bool *truncated, const chain_extra *extra) {
    const py_layout *L = &pp->off;
    pp->chain_ran = pp->chain_whole = false;
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
        if (L->frame_live > hi) hi = L->frame_live;
        /* Naming reads the first local (f_localsplus, far into the object):
         * copy records from the frame's start so raw_names() sees its offsets. */
        if (raw_names_need(pp)) {
            lo = 0;
            if (raw_names_need(pp) > hi) hi = raw_names_need(pp);
        }
        chain_layout cl = {lo, hi - lo, L->frame_back, L->frame_code, L->frame_lasti,
                           L->frame_live, (uint8_t)L->frame_live_value};
        if (!(pp->chain = chain_new(pp->pid, &cl, PY_MAX_DEPTH))) return -1;
        pp->chain_lo = lo;
    }
    chain_result r;
    if (chain_read(pp->chain, ts, ts + L->tstate_frame, frame, extra, &r)) return -1;
    /* Before 3.11 the eval loop stores the instruction index in the frame
     * object at every instruction. */
    pp->chain_ran = r.head_moved;
    pp->chain_whole = r.singles == 0;
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

/* Makes [addr, addr+len) available in window w, reading the pages at and
 * below it in one call. Pages are requested top-down so that a read which
 * runs into the unmapped start of the stack still returns the upper part. */
static const uint8_t *window_get(py_process *pp, frame_window *w, uint64_t addr, uint32_t len) {
    if (addr >= w->start && addr + len <= w->end) return w->buf + (addr - w->base);
    /* Most stacks fit in the 8 KiB below the end of the leaf frame; only a
     * walk that went on down past the window (a stack that outgrew it)
     * pays for the full one. */
    bool down = w->end && addr < w->start && w->start - addr <= sizeof w->buf;
    uint64_t span = down ? sizeof w->buf : 2 * PAGE;
    uint64_t top = addr + len;
    uint64_t start = top > span ? top - span : 0;
    struct iovec local[WINDOW_PAGES + 1], remote[WINDOW_PAGES + 1];
    int n = 0;
    uint64_t hi = top;
    while (hi > start && n < WINDOW_PAGES + 1) {
        uint64_t lo = (hi - 1) & ~(uint64_t)(PAGE - 1);
        if (lo < start) lo = start;
        local[n].iov_base = w->buf + (lo - start);
        local[n].iov_len = hi - lo;
        remote[n].iov_base = (void *)(uintptr_t)lo;
        remote[n].iov_len = hi - lo;
        n++;
        hi = lo;
    }
    ssize_t got = n ? proc_readv(pp->pid, local, remote, (size_t)n) : 0;
    if (got <= 0) {
        w->start = w->end = 0;
        return NULL;
    }
    uint64_t low = top;
    for (int i = 0; i < n && got >= (ssize_t)remote[i].iov_len; i++) {
        got -= (ssize_t)remote[i].iov_len;
        low = (uint64_t)(uintptr_t)remote[i].iov_base;
    }
    if (low > addr) {
        w->start = w->end = 0;
        return NULL;
    }
    w->base = start;
    w->start = low;
    w->end = top;
    return w->buf + (addr - start);
}

/* The C stack's pages read at once above a frame on it (window_up). */
#define C_STACK_PAGES 4

/* Whether frame lies on the C stack of the thread walked: near the last
 * frame seen there (pp->cstack_hint). 3.12+ put a shim there at every call
 * of the eval loop (every call from C into Python), and older frames of a
 * stack lie above newer ones. A guess: a frame taken for another kind is
 * read all the same, in more calls. */
static bool on_c_stack(const py_process *pp, uint64_t frame) {
    uint64_t h = pp->cstack_hint;
    return h && frame + (64u << 10) >= h && frame <= h + (8u << 20);
}

/* Like window_get, for a frame on a C stack, which grows down: the walk
 * goes on to the older shims above it, so the pages from the frame's up
 * are read, bottom-up, one piece each (the top of the stack ends the read
 * there, and what came before is kept). */
static const uint8_t *window_up(py_process *pp, frame_window *w, uint64_t addr, uint32_t len) {
    if (addr >= w->start && addr + len <= w->end) return w->buf + (addr - w->base);
    uint64_t start = addr & ~(uint64_t)(PAGE - 1);
    struct iovec local[C_STACK_PAGES], remote[C_STACK_PAGES];
    for (uint32_t i = 0; i < C_STACK_PAGES; i++) {
        local[i] = (struct iovec){w->buf + (size_t)i * PAGE, PAGE};
        remote[i] = (struct iovec){(void *)(uintptr_t)(start + (uint64_t)i * PAGE), PAGE};
    }
    ssize_t got = proc_readv(pp->pid, local, remote, C_STACK_PAGES);
    uint64_t end = start + (got > 0 ? (uint64_t)got - (uint64_t)got % PAGE : 0);
    if (end < addr + len) {
        w->start = w->end = 0;
        return NULL;
    }
    w->base = w->start = start;
    w->end = end;
    return w->buf + (addr - start);
}

/* Whether frame may start the walk's data-stack span (walk_lo, walk_hi):
 * not a frame on the C stack, and, for the first thread, one near the span
 * its last walk read. A walk may start elsewhere (a generator's frame in
 * its object, a shim), and a span started there would leave every frame
 * of the data stack outside it, each read on its own. */
static bool seeds_span(const py_process *pp, uint64_t frame) {
    if (on_c_stack(pp, frame)) return false;
    const spec_memo *m = &pp->spec;
    if (!m->win_hi || pp->resolve_ts != m->ts) return true;
    uint64_t reach = sizeof pp->win.buf;
    return frame + reach >= m->win_lo && frame < m->win_hi + reach;
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

uint32_t pywalk_iframe_need(const py_process *pp) {
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

/* Notes a frame read outside the data stack span in the first cluster
 * (pp->walk_fc) whose span it keeps within a window's size. */
static void far_note(py_process *pp, uint64_t frame, uint32_t need) {
    for (int c = 0; c < FAR_SPANS + 1; c++) {
        uint64_t lo = pp->walk_fc[c].lo, hi = pp->walk_fc[c].hi;
        if (pp->walk_fc[c].n) {
            if (frame < lo) lo = frame;
            if (frame + need > hi) hi = frame + need;
        } else {
            lo = frame;
            hi = frame + need;
        }
        if (hi - lo > sizeof pp->far_win.buf) continue;
        pp->walk_fc[c].lo = lo;
        pp->walk_fc[c].hi = hi;
        pp->walk_fc[c].n++;
        return;
    }
}

/* A copy of the frame at address frame (need bytes): from this sample's
 * speculative read, a window, or read on its own into single[BLOCK]. Notes
 * where the walk went for the next speculative read. NULL when unreadable. */
static const uint8_t *frame_copy(py_process *pp, uint64_t frame, uint32_t need, uint8_t *single) {
    if (!pp->walk_hi && seeds_span(pp, frame)) pp->walk_hi = frame + need;
    bool near = frame < pp->walk_hi && pp->walk_hi - frame <= sizeof pp->win.buf;
    if (near && frame < pp->walk_lo) pp->walk_lo = frame;
    const uint8_t *f = NULL;
    for (uint32_t k = 0; !near && k < pp->spec.nfar && !f; k++)
        if (pp->got.far[k] && pp->spec.far[k] == frame) f = pp->got.far_buf[k];
    /* The speculative read copies far frames one by one, but for those in
     * pages it copied whole (spec_memo.fs_lo). (Those in far_win stay
     * listed: c_stack_span finds the C-stack pages to copy by them.) */
    bool paged = false;
    for (uint32_t k = 0; !near && !paged && k < FAR_SPANS; k++) {
        const frame_window *w = &pp->fpages[k];
        if (!w->end || frame < w->start || frame + need > w->end) continue;
        paged = true;
        if (!f) f = w->buf + (frame - w->base);
    }
    if (!near && !paged && pp->walk_nfar < SPEC_FAR) pp->walk_far[pp->walk_nfar++] = frame;
    if (!near) far_note(pp, frame, need);
    /* Frames elsewhere have windows of their own, and the data stack's
     * stays: the C stack's shims (read upwards, where the older ones are),
     * and the rest (another chunk of the data stack, a generator's frame in
     * its object). */
    if (!f && near) f = window_get(pp, &pp->win, frame, need);
    else if (!f && on_c_stack(pp, frame)) f = window_up(pp, &pp->far_win, frame, need);
    else if (!f) f = window_get(pp, &pp->heap_win, frame, need);
    if (!f && need <= BLOCK && proc_read(pp->pid, frame, single, need) == 0) f = single;
    return f;
}

/* Fills pp->raw[n] from the copy f of a frame that is not a shim. *cleared
 * counts the frames at the top of the stack kept though the interpreter
 * had cleared them. 0, or -1 when the frame shows the walk was torn. */
static int take_frame(py_process *pp, const uint8_t *f, uint32_t n, bool strict,
                      uint32_t *cleared) {
    const py_layout *L = &pp->off;
    uint64_t tag_mask = L->stackref_tag_mask;
    uint64_t code_addr = rd_u64(f, L->iframe_code) & ~tag_mask;
    /* Every frame runs an object (a code object, or None for a
     * trampoline): anything else is a slot read while it changed. */
    if (strict && !plausible(code_addr)) return -1;
    pp->raw[n] = (raw_frame){code_addr, frame_instr_offset(pp, f, code_addr),
                             L->iframe_is_entry && f[L->iframe_is_entry - 1] != 0, 0, 0};
    raw_names(pp, &pp->raw[n], f);
    /* 3.14+ sets f_funcobj to NULL when it clears a frame that has
     * returned, after unlinking it: such a frame was read in the
     * microseconds between our copy of the thread state and of its data
     * stack. The walk raced a return and is read again; kept, it would
     * lose the function's name. (Shims hold no function; trampolines hold
     * None.) In code that calls every microsecond the leaf has nearly
     * always returned by then, so the last, lenient try keeps the frames
     * cleared so at the top of the stack: the leaf was the thread's
     * current frame when the thread state was copied, and they were its
     * callers; clearing leaves their code and links as they were. They are
     * named by their code. A cleared frame below one that was not is
     * refused still: that stack changed under the walk. */
    if (tag_mask && L->iframe_funcobj && !(pp->raw[n].func & ~tag_mask)) {
        if (strict || n > *cleared) return -1;
        (*cleared)++;
        pp->raw[n].func = 0;
    }
    return 0;
}

/* Whether a walk whose last frame was (or was not) a shim, with this
 * owner, ended where a thread's frames do (see pywalk_interpreter_frames). */
static bool ends_right(const py_layout *L, bool shim, unsigned owner) {
    if (L->owner_cstack || L->owner_interpreter) return shim;
    return !L->owner_thread || owner + 1 == L->owner_thread;
}

int pywalk_interpreter_frames(py_process *pp, uint64_t frame, uint32_t *depth,
                              bool *truncated, bool strict) {
    const py_layout *L = &pp->off;
    uint32_t need = pp->iframe_need;
    pp->tlbc_code = 0;   /* the bytecode copy looked up last may be of another thread */
    uint32_t n = 0, steps = 0, cleared = 0;
    loopcheck seen = LOOPCHECK_INIT;
    bool ended_right = true;
    /* A window copied by this sample's speculative read is fresh; any
     * other is from an earlier read, of another thread. */
    if (!pp->got.window) pp->win.start = pp->win.end = 0;
    if (!pp->got.cstack) pp->far_win.start = pp->far_win.end = 0;
    pp->heap_win.start = pp->heap_win.end = 0;
    for (uint32_t k = 0; k < FAR_SPANS && !pp->got.fpages; k++)
        pp->fpages[k].start = pp->fpages[k].end = 0;
    pp->got.window = pp->got.cstack = pp->got.fpages = false;
    pp->walk_lo = UINT64_MAX;
    pp->walk_hi = 0;
    pp->walk_nfar = 0;
    memset(pp->walk_fc, 0, sizeof pp->walk_fc);
    pp->walk_leaf = frame;
    while (frame) {
        if (n == PY_MAX_DEPTH || ++steps > 4 * PY_MAX_DEPTH) {
            *truncated = true;
            break;
        }
        if (!plausible(frame)) return -1;
        if (loopcheck_seen(&seen, frame)) return -1;
        uint8_t single[BLOCK];
        const uint8_t *f = frame_copy(pp, frame, need, single);
        if (!f) return -1;
        uint64_t prev = rd_u64(f, L->iframe_previous);
        unsigned owner = f[L->iframe_owner];
        bool shim = (L->owner_cstack && owner + 1 == L->owner_cstack) ||
                    (L->owner_interpreter && owner + 1 == L->owner_interpreter);
        /* 3.12+: each call of the eval loop pushes a shim frame (owned by the
         * C stack, or from 3.15 by the interpreter) below its first frame. */
        if (shim && n > 0) pp->raw[n - 1].entry = true;
        if (shim && !(frame >= pp->win.start && frame < pp->win.end)) pp->cstack_hint = frame;
        if (!shim && take_frame(pp, f, n++, strict, &cleared)) return -1;
        ended_right = ends_right(L, shim, owner);
        frame = prev;
    }
    /* A thread's frames bottom out in the shim its first call of the eval
     * loop pushed (3.12+), or in a frame of its own data stack (3.11). A
     * walk that ends elsewhere followed a frame unlinked under it (a
     * generator that yielded has no caller): its callers are missing, and
     * the stack is read again, and dropped at last. Only in a process whose
     * stacks never bottomed out so does the last, lenient try keep it: an
     * eval loop that some extension replaced might push no shim. */
    if (n > 0 && !*truncated) {
        if (ended_right) pp->bottoms_seen = true;
        else if (strict || pp->bottoms_seen) return -1;
    }
    *depth = n;
    return 0;
}
