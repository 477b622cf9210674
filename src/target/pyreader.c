/* pyreader.c -- CPython stacks from outside the process. See pyreader.h;
 * this file takes one sample (py_sample): the interpreters' thread lists,
 * a speculative batched read of what the last sample needed, each thread's
 * stack through the walkers (pywalk.c) and the code cache (pycode.c), and
 * the retries of a stack caught mid-change. Attaching is pyattach.c. */
#include "pyreader_int.h"
#include "tgtmem.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "gather.h"
#include "loopcheck.h"
#include "proc.h"

#define MAX_THREADS 4096
#define MAX_CODES (1u << 20)     /* cache bound; flushed beyond it */

/* ---- thread ids ---- */

/* Before 3.11 a thread state only knows its pthread_t, which in glibc is the
 * address of the thread's struct pthread. The kernel tid is a field in it
 * whose offset differs between glibc builds, so find it once by looking for
 * a live tid of the process in the first KB of the struct. */
static pid_t read_pthread_tid(py_process *pp, uint64_t thread_id) {
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
    return found;
}

/* Makes room for one more entry: when full, drops those not asked for
 * since the last sample (their threads are gone: every live one is asked
 * for at every sample), and grows only when that frees nothing. */
static bool tid_room(py_process *pp) {
    if (pp->ntids < pp->captids) return true;
    size_t keep = 0;
    for (size_t i = 0; i < pp->ntids; i++)
        if (pp->tids[i].seen + 1 >= pp->generation) pp->tids[keep++] = pp->tids[i];
    pp->ntids = keep;
    if (pp->ntids < pp->captids) return true;
    size_t ncap = pp->captids ? pp->captids * 2 : 16;
    tid_entry *nt = realloc(pp->tids, ncap * sizeof *nt);
    if (!nt) return false;
    pp->tids = nt;
    pp->captids = ncap;
    return true;
}

/* The OS tid of the thread whose state has serial number tstate_id and
 * pthread_t thread_id; 0 when not found. Known threads come from the
 * cache; only a new one costs a listing of /proc/PID/task. */
static pid_t tid_of_pthread(py_process *pp, uint64_t thread_id, uint64_t tstate_id) {
    for (size_t i = 0; i < pp->ntids; i++) {
        tid_entry *e = &pp->tids[i];
        if (e->thread_id == thread_id && e->tstate_id == tstate_id) {
            e->seen = pp->generation;
            return e->tid;
        }
    }
    pid_t found = read_pthread_tid(pp, thread_id);
    if (found && tid_room(pp))
        pp->tids[pp->ntids++] = (tid_entry){thread_id, tstate_id, pp->generation, found};
    return found;
}

/* ---- the speculative read (see spec_memo) ---- */

/* The most pieces check_pieces adds. */
#define CHECK_PIECES (2 * SPEC_CODES + 2 * PYNAMES_SPEC_MAX)

/* The pieces that re-check what named the last sample's frames: each code
 * object's identity and its name's hash, then the function objects of the
 * naming views (pynames.h). They must be copied after the frames that use
 * them: 3.11+ add them to the speculative read after the data stack, 3.8-3.10
 * to the frame chain's batched read (chainread.h). A code object the code
 * counter proved at the last sample's reading is left out: if this sample's
 * reading equals it, it needs no check (pycode_known); if not, pycode_resolve
 * verifies it. Returns how many pieces were added at local/remote (at most
 * max); *names_at is the first of the function objects'. */
static int check_pieces(py_process *pp, struct iovec *local, struct iovec *remote, int max,
                        int *names_at) {
    const py_layout *L = &pp->off;
    const spec_memo *m = &pp->spec;
    spec_got *g = &pp->got;
    uint32_t lo, hi;
    pycode_ident_span(L, &lo, &hi);
    int n = 0;
    g->nchecks = 0;
    for (uint32_t i = 0; i < m->ncodes && n + 2 <= max; i++) {
        const code_entry *c = &pp->codes[m->codes[i]];
        if (!c->addr) continue;  /* replaced since: the walk finds its successor */
        if (c->fixed || (pp->cc.last_ok && c->proven && c->proven_at == pp->cc.last)) continue;
        uint32_t k = g->nchecks++;
        g->checks[k] = (uint8_t)i;
        g->check_at[k] = (uint8_t)n;
        local[n] = (struct iovec){pp->verify_buf[k], hi - lo};
        remote[n++] = (struct iovec){(void *)(uintptr_t)(c->addr + lo), hi - lo};
        if (c->name_fixed) continue;   /* a static name: no hash to check */
        local[n] = (struct iovec){&g->hashes[k], 8};
        remote[n++] = (struct iovec){(void *)(uintptr_t)(c->name_addr + L->unicode_hash), 8};
    }
    pp->code_checks += g->nchecks;
    *names_at = n;
    if (pp->names && n < max)
        n += (int)pynames_spec_add(pp->names, m->views, m->nviews, local + n, remote + n,
                                   (uint32_t)(max - n));
    return n;
}

/* Marks verified for this sample (verify_codes and pynames skip them) the
 * code and function objects whose pieces were copied whole (full[i], as
 * check_pieces laid them out) and still match the cache. */
static void check_results(py_process *pp, const bool *full, int npieces, int names_at) {
    const py_layout *L = &pp->off;
    const spec_memo *m = &pp->spec;
    const spec_got *g = &pp->got;
    uint32_t lo, hi;
    pycode_ident_span(L, &lo, &hi);
    for (uint32_t k = 0; k < g->nchecks; k++) {
        code_entry *c = &pp->codes[m->codes[g->checks[k]]];
        uint64_t now[IDENT_FIELDS];
        int at = g->check_at[k];
        if (at + 1 + !c->name_fixed > names_at || !full[at] || (!c->name_fixed && !full[at + 1]))
            continue;
        pycode_ident_of(L, pp->verify_buf[k], lo, now);
        if (!memcmp(now, c->ident, sizeof now) && (c->name_fixed || g->hashes[k] == c->name_hash))
            pycode_verified(pp, c);
    }
    if (pp->names && npieces > names_at)
        pynames_spec_check(pp->names, full + names_at, pp->generation);
}

/* The code counter's address in the target, 0 when it is not to be read:
 * none, or more than one interpreter (each has its own). */
static uint64_t code_counter_at(const py_process *pp) {
    if (pp->ninterps != 1) return 0;
    if (pp->cc.global) return pp->cc.global;
    return pp->cc.off ? pp->interps[0] + pp->cc.off - 1 : 0;
}

/* This sample's reading of the code counter, copied (or not) into cc.raw. */
static void code_counter_took(py_process *pp, bool copied) {
    code_counter *cc = &pp->cc;
    uint64_t v = cc->width == 4 ? (cc->raw & 0xFFFFFFFFu) : cc->raw;
    cc->now_ok = copied && !(cc->zero_stuck && v == 0);
    cc->now = v;
}

/* The speculative read's copies of the first thread are used once, by the
 * walk they were read for: a retry, or another thread, reads afresh. */
static void forget_spec_copies(py_process *pp) {
    pp->got.cur = pp->got.window = pp->got.cstack = pp->got.frame_twice = false;
    pp->got.fpages = false;
    pp->got.leaf_len = 0;
}

/* Whether far frame i of the last walk is read on its own, outside the
 * C-stack pages and the data stack's far pages (need: the bytes of a frame
 * read). */
static bool far_alone(const spec_memo *m, uint32_t i, uint32_t need) {
    uint64_t f = m->far[i];
    if (f >= m->cs_lo && f + need <= m->cs_hi) return false;
    for (uint32_t k = 0; k < m->nfs; k++)
        if (f >= m->fs_lo[k] && f + need <= m->fs_hi[k]) return false;
    return true;
}

/* Starts this sample's reading of the code counter: the last one is kept
 * for the checks. Returns the address to copy it from, 0 for none. */
static uint64_t code_counter_start(py_process *pp) {
    pp->cc.last = pp->cc.now;
    pp->cc.last_ok = pp->cc.now_ok;
    pp->cc.now_ok = false;
    pp->cc.raw = 0;
    return code_counter_at(pp);
}

/* What the speculative read's window (its piece at win) and far pages
 * (their pieces from far) hold, for the walk (frame_copy). */
static void windows_took(py_process *pp, const bool *win, const bool *far) {
    const spec_memo *m = &pp->spec;
    if (m->win_hi && win[0]) {
        pp->got.window = true;
        pp->win.base = pp->win.start = m->win_lo;
        pp->win.end = m->win_hi;
    }
    for (uint32_t s = 0; s < FAR_SPANS; s++) {
        frame_window *w = &pp->fpages[s];
        w->start = w->end = 0;
        if (s >= m->nfs) continue;
        if (!far[s]) {
            pp->far_span_off = 64;   /* do not lose the checks to it again soon */
            continue;
        }
        w->base = w->start = m->fs_lo[s];
        w->end = m->fs_hi[s];
        pp->got.fpages = true;
    }
}

/* The speculative read's pieces on the C stack (3.11/3.12's _PyCFrame, and
 * 3.12+'s entry frames): the pages of spec_memo.cs_lo/cs_hi, or the
 * current-frame pointer alone, and the frames outside them. Returns how
 * many were added; c_stack_took reads their results. */
static int c_stack_pieces(py_process *pp, struct iovec *local, struct iovec *remote) {
    const py_layout *L = &pp->off;
    spec_memo *m = &pp->spec;
    spec_got *g = &pp->got;
    int n = 0;
#define C_IOV(dst, addr, len)                                                        \
    (local[n] = (struct iovec){(dst), (len)},                                         \
     remote[n++] = (struct iovec){(void *)(uintptr_t)(addr), (len)})
    if (m->cs_hi) C_IOV(pp->far_win.buf, m->cs_lo, m->cs_hi - m->cs_lo);
    if (m->cframe && !m->cs_hi) C_IOV(&g->cur_val, m->cframe + L->cframe_current_frame, 8);
    uint32_t need = pp->iframe_need;
    if (need > sizeof g->far_buf[0]) m->nfar = 0;  /* cannot happen with real layouts */
    for (uint32_t i = 0; i < m->nfar; i++)
        if (far_alone(m, i, need)) C_IOV(g->far_buf[i], m->far[i], need);
#undef C_IOV
    return n;
}

static void c_stack_took(py_process *pp, const bool *full) {
    const py_layout *L = &pp->off;
    const spec_memo *m = &pp->spec;
    spec_got *g = &pp->got;
    uint32_t need = pp->iframe_need;
    int k = 0;
    if (m->cs_hi && full[k++]) {
        g->cstack = true;
        pp->far_win.base = pp->far_win.start = m->cs_lo;
        pp->far_win.end = m->cs_hi;
        g->cur = true;
        g->cur_val = rd_u64(pp->far_win.buf, m->cframe + L->cframe_current_frame - m->cs_lo);
    }
    if (m->cframe && !m->cs_hi) g->cur = full[k++];
    for (uint32_t i = 0; i < m->nfar; i++)
        if (far_alone(m, i, need)) g->far[i] = full[k++];
}

/* Where the first thread's current-frame pointer is (in its _PyCFrame up
 * to 3.12, in its thread state after), 0 when unknown. */
static uint64_t frame_ptr_at(const py_process *pp, uint32_t tneed) {
    const spec_memo *m = &pp->spec;
    const py_layout *L = &pp->off;
    if (pp->minor <= 12) return m->cframe ? m->cframe + L->cframe_current_frame : 0;
    return m->ts && tneed <= sizeof pp->got.tbuf ? m->ts + L->tstate_frame : 0;
}

/* The bytes of the last leaf frame copied twice (see thread_ran), from
 * *at; 0 when it is not inside the window. */
static uint32_t leaf_span(const py_process *pp, uint64_t *at) {
    const spec_memo *m = &pp->spec;
    *at = m->leaf + pp->off.iframe_instr;
    if (!m->leaf || !m->win_hi || *at < m->win_lo || *at + 8 > m->win_hi) return 0;
    return (uint32_t)(m->win_hi - *at < LEAF_SPAN ? m->win_hi - *at : LEAF_SPAN);
}

/* The speculative read's pieces for the thread states after the first
 * (spec_memo.others, into spec_got.obuf); returns how many. */
static int other_pieces(py_process *pp, uint32_t tneed, struct iovec *local, struct iovec *remote) {
    const spec_memo *m = &pp->spec;
    uint32_t n = tneed <= sizeof pp->got.obuf[0] ? m->nothers : 0;
    for (uint32_t i = 0; i < n; i++) {
        local[i] = (struct iovec){pp->got.obuf[i], tneed};
        remote[i] = (struct iovec){(void *)(uintptr_t)m->others[i], tneed};
    }
    return (int)n;
}

/* Reads, in one call and in the order a plain sample would (but for the
 * C-stack frames, read with the current-frame pointer beside them),
 * everything the last sample's first thread needed; fills pp->got. Before 3.11 that is the
 * thread list head and the thread state: the frames, and the checks that
 * must follow them, are the chain's batched read (read_stack). */
static void spec_read(py_process *pp, uint32_t tneed) {
    const py_layout *L = &pp->off;
    spec_memo *m = &pp->spec;
    spec_got *g = &pp->got;
    /* head, thread state, current frame, window; the C-stack frames; the
     * data stack's far pages; the code counter; the checks; the current
     * frame and the leaf again; the other thread states. */
    enum { MAXP = 4 + SPEC_FAR + 1 + FAR_SPANS + CHECK_PIECES + 2 + SPEC_THREADS };
    struct iovec local[MAXP], remote[MAXP];
    int n = 0;
    memset(g->far, 0, sizeof g->far);
    g->head = g->tstate = false;
    forget_spec_copies(pp);
#define SPEC_IOV(dst, addr, len)                                                     \
    (local[n] = (struct iovec){(dst), (len)},                                         \
     remote[n++] = (struct iovec){(void *)(uintptr_t)(addr), (len)})
    SPEC_IOV(&g->head_val, pp->interps[0] + L->interp_threads_head, 8);
    if (m->ts && tneed <= sizeof g->tbuf) SPEC_IOV(g->tbuf, m->ts, tneed);
    /* The current-frame pointer and the frames on the C stack (3.12's
     * entry frames) share a page: one read (see gather_read), before the
     * data stack's frames as before. */
    int c_stack = n;
    n += c_stack_pieces(pp, local + n, remote + n);
    int c_stack_end = n;
    if (m->win_hi) SPEC_IOV(pp->win.buf, m->win_lo, m->win_hi - m->win_lo);
    /* After the window: if the pages are gone (the stack unwound below
     * them), the call ends there, and what came before still counts. */
    int far_pages = n;
    for (uint32_t s = 0; s < m->nfs; s++)
        SPEC_IOV(pp->fpages[s].buf, m->fs_lo[s], m->fs_hi[s] - m->fs_lo[s]);
    /* The code counter: after every frame this read copies, before the
     * checks (see code_counter). */
    uint64_t counter_at = code_counter_start(pp);
    if (counter_at) SPEC_IOV(&pp->cc.raw, counter_at, pp->cc.width);
    int first_check = n, names_at = 0;
    if (pp->minor >= 11) n += check_pieces(pp, local + n, remote + n, CHECK_PIECES, &names_at);
    int checks_end = n;
    /* Last, as late in the call as can be: the thread's current-frame
     * pointer and the leaf frame once more (see thread_ran). The pointer
     * was copied first with the thread state (3.13+) or the _PyCFrame;
     * the leaf lies inside the window. */
    uint64_t frame_at = frame_ptr_at(pp, tneed), leaf_at;
    uint32_t leaf_len = leaf_span(pp, &leaf_at);
    if (frame_at) SPEC_IOV(&g->frame1, frame_at, 8);
    if (leaf_len) SPEC_IOV(g->leaf1, leaf_at, leaf_len);
#undef SPEC_IOV
    /* The other thread states last: they are read whatever the first
     * thread's pieces found, and would only part them. */
    int others_at = n;
    n += other_pieces(pp, tneed, local + n, remote + n);
    /* The checks come after the frames and in any order among themselves:
     * they may be merged into fewer pieces (a function's name is often its
     * code's, read twice). */
    bool full[MAXP];
    const gather_seg seg[] = {{(size_t)c_stack, false}, {(size_t)c_stack_end, true},
                            {(size_t)first_check, false}, {(size_t)checks_end, true},
                            {(size_t)others_at, false}, {(size_t)n, true}};
    gather_read(pp->pid, local, remote, (size_t)n, seg, sizeof seg / sizeof seg[0], full);
    int k = 0;
    g->head = full[k++];
    if (m->ts && tneed <= sizeof g->tbuf) g->tstate = full[k++] && g->head && g->head_val == m->ts;
    c_stack_took(pp, full + c_stack);
    windows_took(pp, full + c_stack_end, full + far_pages);
    k = far_pages + (int)m->nfs;
    if (counter_at) code_counter_took(pp, full[k++]);
    check_results(pp, full + first_check, checks_end - first_check, names_at);
    k = checks_end;
    if (frame_at && full[k++]) {
        bool first = pp->minor <= 12 ? g->cur : g->tstate;
        g->frame0 = pp->minor <= 12 ? g->cur_val : rd_u64(g->tbuf, L->tstate_frame);
        g->frame_twice = first;
    }
    if (leaf_len && g->window && full[k]) {
        memcpy(g->leaf0, pp->win.buf + (leaf_at - m->win_lo), leaf_len);
        g->leaf_len = leaf_len;
    }
    for (int i = 0; i < n - others_at; i++) g->other[i] = full[others_at + i];
    memcpy(g->other_ts, m->others, (size_t)(n - others_at) * sizeof m->others[0]);
}

/* The C-stack pages to copy next time (spec_memo.cs_lo/cs_hi): those of
 * the _PyCFrame and of the entry frames within reach of it, and the page
 * above them, which older C frames keep mapped (the page below may not be
 * mapped yet, and a piece that faults ends the whole read). At most the
 * window's size. */
static void c_stack_span(const py_process *pp, spec_memo *m) {
    const uint64_t cap = sizeof pp->far_win.buf;
    uint32_t need = pp->iframe_need;
    uint64_t lo = m->cframe, hi = m->cframe + pp->off.cframe_current_frame + 8;
    for (uint32_t i = 0; i < m->nfar; i++)
        if (m->far[i] + cap > m->cframe && m->far[i] < m->cframe + cap) {
            if (m->far[i] < lo) lo = m->far[i];
            if (m->far[i] + need > hi) hi = m->far[i] + need;
        }
    lo &= ~(uint64_t)(PAGE - 1);
    hi = ((hi + PAGE - 1) & ~(uint64_t)(PAGE - 1)) + PAGE;
    if (hi - lo > cap) hi = lo + cap;
    if (!plausible(lo) || hi < m->cframe + pp->off.cframe_current_frame + 8) return;
    m->cs_lo = lo;
    m->cs_hi = hi;
}

/* The pages to copy next time outside the window (spec_memo.fs_lo/fs_hi):
 * those of the clusters of frames the walk found beyond it (a deep stack's
 * older chunks of the data stack; the C stack's entry frames), largest
 * first, when they fit in a window. A lone frame is read on its own. */
static void far_span(py_process *pp, spec_memo *m) {
    m->nfs = 0;
    if (pp->far_span_off) {
        pp->far_span_off--;
        return;
    }
    bool taken[FAR_SPANS + 1] = {0};
    while (m->nfs < FAR_SPANS) {
        int c = -1;
        for (int i = 0; i < FAR_SPANS + 1; i++)
            if (!taken[i] && pp->walk_fc[i].n >= 2 && (c < 0 || pp->walk_fc[i].n > pp->walk_fc[c].n))
                c = i;
        if (c < 0) return;
        taken[c] = true;
        uint64_t lo = pp->walk_fc[c].lo & ~(uint64_t)(PAGE - 1);
        uint64_t hi = (pp->walk_fc[c].hi + PAGE - 1) & ~(uint64_t)(PAGE - 1);
        if (!plausible(lo) || hi - lo > sizeof pp->fpages[0].buf) continue;
        m->fs_lo[m->nfs] = lo;
        m->fs_hi[m->nfs++] = hi;
    }
}

/* After the first thread was read: what to read at once next time. */
static void spec_remember(py_process *pp, uint64_t ts, const uint8_t *tbuf, uint32_t depth) {
    const py_layout *L = &pp->off;
    spec_memo *m = &pp->spec;
    uint64_t cframe_before = m->cframe;
    *m = (spec_memo){.ts = ts};
    /* Before 3.11 the frame chain is chainread.h's own speculation: only
     * the thread state, and the objects to check after the frames. */
    if (pp->minor >= 11) {
        m->cframe = pp->minor <= 12 ? rd_u64(tbuf, L->tstate_frame) : 0;
        if (pp->walk_hi > pp->walk_lo) {
            /* Up to the end of the page: a deeper leaf is often still inside. */
            uint64_t top = (pp->walk_hi + PAGE - 1) & ~(uint64_t)(PAGE - 1);
            if (top - pp->walk_lo > sizeof pp->win.buf) top = pp->walk_lo + sizeof pp->win.buf;
            if (top >= pp->walk_hi) m->win_lo = pp->walk_lo, m->win_hi = top;
        }
        m->nfar = pp->walk_nfar;
        memcpy(m->far, pp->walk_far, sizeof m->far);
        m->leaf = pp->walk_leaf;
        /* The C-stack pages only while calls from C move the _PyCFrame
         * (a few samples after it last moved): a steady one is 8 bytes. */
        if (m->cframe != cframe_before) pp->cframe_moving = 16;
        else if (pp->cframe_moving) pp->cframe_moving--;
        if (m->cframe && pp->cframe_moving) c_stack_span(pp, m);
        if (!m->cs_hi) far_span(pp, m);
    } else {
        m->chain_whole = pp->chain_whole;
    }
    m->ncodes = m->nviews = 0;
    /* name_frames() left view ids (pynames.h) in the scratch: the code
     * objects to re-check are the ones behind them, and the views' own
     * function objects too. */
    const uint32_t *ids = pp->resolve_scratch;
    for (uint32_t i = 0; i < depth; i++) {
        if (i && ids[i] == ids[i - 1]) continue;   /* recursion: seen just now */
        bool view = ids[i] >= PYNAMES_VIEW_BASE;
        uint32_t code = pynames_code_of(pp->names, ids[i]);
        bool seen = !code || code >= pp->ncodes || m->ncodes == SPEC_CODES;
        for (uint32_t j = 0; j < m->ncodes && !seen; j++) seen = m->codes[j] == code;
        if (!seen) m->codes[m->ncodes++] = code;
        seen = !view || m->nviews == PYNAMES_SPEC_MAX;
        for (uint32_t j = 0; j < m->nviews && !seen; j++) seen = m->views[j] == ids[i];
        if (!seen) m->views[m->nviews++] = ids[i];
    }
}

/* Whether the first thread was seen running during this sample: whether
 * memory that only it writes changed between two copies of the same
 * speculative read, a microsecond or more apart. Two such places:
 * - its current-frame pointer (in the thread state from 3.13, in the
 *   _PyCFrame on its own C stack before): only the thread pushes and
 *   pops its frames. Calls and returns, every microsecond or so in most
 *   code, move it.
 * - the last sample's leaf frame, when the walk found it the leaf again,
 *   from its instruction pointer on: the pointer, then the locals and the
 *   value stack, which executing bytecode writes. A tight loop may be back
 *   at the same instruction, rarely with the same values in its locals.
 *   Other threads read these frames, and may give them frame objects
 *   (a field before the instruction pointer, not compared); the only
 *   other writer is frame.f_locals assignment from another thread (3.13+),
 *   which would have to fall inside that microsecond.
 * A change means it executed: it was on a CPU at the sample, which is
 * what the idle rule asks the kernel. No change proves nothing (asleep, or
 * in a long C call), and the caller asks the kernel then. Not "the stack
 * moved since the last tick": a thread that ran, then blocked before this
 * tick, is idle. */
static bool thread_ran(const py_process *pp) {
    const spec_got *g = &pp->got;
    if (g->frame_twice && g->frame0 != g->frame1) return true;
    return g->leaf_len && pp->spec.leaf && pp->walk_leaf == pp->spec.leaf &&
           memcmp(g->leaf0, g->leaf1, g->leaf_len) != 0;
}

/* ---- sampling ---- */

static py_status errno_status(void) {
    return errno == ESRCH ? PY_GONE : PY_ERROR;
}

/* Walks and resolves the stack of the thread state copied in tbuf. */
static int read_stack(py_process *pp, uint64_t ts, const uint8_t *tbuf, py_thread_stack *st,
                      bool checks, bool strict) {
    const py_layout *L = &pp->off;
    uint64_t frame = rd_u64(tbuf, L->tstate_frame);
    int rc = 0;
    st->depth = 0;
    st->truncated = false;
    if (pp->minor <= 10) {
        /* The last sample's code objects (and naming views) are checked in
         * the chain's batched read, after its frames: no call of their own.
         * Only when the last walk read every frame from its batch: while
         * the stack changes (start-up, imports) frames are read on their
         * own after it, the checks would not count, and the longer call
         * would leave the chain more time to change before its check. */
        struct iovec xl[CHECK_PIECES], xr[CHECK_PIECES];
        bool xf[CHECK_PIECES] = {0};   /* unread when there is no chain to walk */
        int names_at = 0;
        chain_extra x = {xl, xr, 0, xf};
        if (checks && pp->spec.chain_whole)
            x.n = (uint32_t)check_pieces(pp, xl, xr, CHECK_PIECES, &names_at);
        rc = pywalk_frame_objects(pp, ts, frame, &st->depth, &st->truncated, x.n ? &x : NULL);
        if (x.n) check_results(pp, xf, (int)x.n, names_at);
    } else {
        /* What pywalk.c knows of a C stack is this thread's only. */
        if (pp->cstack_ts != ts) pp->cstack_hint = 0;
        pp->cstack_ts = ts;
        if (pp->minor <= 12 && frame) {  /* 3.11/3.12: through _PyCFrame */
            pp->cstack_hint = frame;
            uint64_t cur = 0;
            if (pp->got.cur && frame == pp->spec.cframe)
                cur = pp->got.cur_val;
            else if (pp->got.cstack && frame >= pp->far_win.start &&
                     frame + L->cframe_current_frame + 8 <= pp->far_win.end)
                /* A call from C moved it, within the pages just copied. */
                cur = rd_u64(pp->far_win.buf, frame + L->cframe_current_frame - pp->far_win.base);
            else
                rc = !plausible(frame) ||
                     proc_read(pp->pid, frame + L->cframe_current_frame, &cur, sizeof cur);
            frame = cur;
        }
        pp->got.cur = false;
        if (!rc) rc = pywalk_interpreter_frames(pp, frame, &st->depth, &st->truncated, strict);
    }
    if (!rc) {
        int got = pycode_resolve(pp, st->depth, strict);
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

/* Bytes of a thread state that a sample reads. */
static uint32_t tstate_need(const py_layout *L) {
    uint32_t need = 0;
    uint32_t fields[] = {L->tstate_next, L->tstate_thread_id, L->tstate_native_thread_id,
                         L->tstate_id, L->tstate_frame};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        if (fields[i] + 8 > need) need = fields[i] + 8;
    return need;
}

/* A fresh copy (tneed bytes into tbuf) of thread state ts, whose stack a
 * walk just refused, for another try. 3.11+'s first thread gets it from a
 * speculative read of where that walk went (its data stack span, C-stack
 * pages, far frames), in one call: its frames are then copied within
 * microseconds of each other, where the refused walk read them in several
 * calls, one after the other, while the stack changed (in code that calls
 * every microsecond, the reason it was refused). No checks of code objects
 * ride along: the walk's are verified as without them. 0, or -1. */
static int reread_thread(py_process *pp, uint64_t ts, bool first, uint32_t tneed, uint8_t *tbuf) {
    if (first && pp->minor >= 11) {
        spec_remember(pp, ts, tbuf, 0);
        spec_read(pp, tneed);
        if (pp->got.tstate) {
            memcpy(tbuf, pp->got.tbuf, tneed);
            return 0;
        }
        forget_spec_copies(pp);
    }
    return proc_read(pp->pid, ts, tbuf, tneed);
}

/* The speculative read's copy of thread state ts (not the first), or
 * NULL; each is used once. */
static const uint8_t *other_copy(py_process *pp, uint64_t ts) {
    spec_got *g = &pp->got;
    for (uint32_t k = 0; k < SPEC_THREADS; k++) {
        uint32_t i = (g->other_next + k) % SPEC_THREADS;
        if (g->other[i] && g->other_ts[i] == ts) {
            g->other[i] = false;
            g->other_next = i + 1;
            return g->obuf[i];
        }
    }
    return NULL;
}

/* The ids of the thread whose state was copied to tbuf (st's other fields
 * zeroed). */
static void thread_ids(py_process *pp, const uint8_t *tbuf, py_thread_stack *st) {
    const py_layout *L = &pp->off;
    *st = (py_thread_stack){.thread_id = rd_u64(tbuf, L->tstate_thread_id)};
    st->tid = L->tstate_native_thread_id
                  ? (pid_t)rd_u64(tbuf, L->tstate_native_thread_id)
                  : tid_of_pthread(pp, st->thread_id, L->tstate_id ? rd_u64(tbuf, L->tstate_id) : 0);
}

/* Reads the stack of the thread state at ts (first: the first thread of
 * the first interpreter, which the speculative read may have copied) and
 * hands it to fn. *next is the following thread state, 0 at the end of the
 * list. Returns nonzero when fn asked to stop. */
static int sample_thread(py_process *pp, uint64_t ts, bool first, uint32_t tneed, py_thread_fn fn,
                         py_thread_skip_fn skip, void *ctx, py_sample_result *res,
                         uint64_t *next) {
    const py_layout *L = &pp->off;
    uint8_t tbuf[2 * BLOCK];
    *next = 0;
    /* The copies that followed the thread state in the speculative
     * read are in order only after that same copy of it. */
    bool batched = first && pp->got.tstate && ts == pp->spec.ts;
    if (!batched) forget_spec_copies(pp);
    /* Another thread whose state the speculative read copied: the copy
     * tells whether it is idle still, where the list goes on, and where its
     * stack starts. It is tens of microseconds old by now (the first
     * thread was read in between), but a fresh one would be no better: the
     * stack is read after it all the same, and a walk that does not hold
     * together is read again from a fresh copy (reread_thread). */
    const uint8_t *copy = first ? NULL : other_copy(pp, ts);
    if (batched) {
        memcpy(tbuf, pp->got.tbuf, tneed);
    } else if (copy) {
        memcpy(tbuf, copy, tneed);
    } else if (!plausible(ts) || tneed > sizeof tbuf || proc_read(pp->pid, ts, tbuf, tneed)) {
        /* A thread state freed under us: the rest of the list is gone too. */
        res->dropped++;
        return 0;
    }
    res->threads++;
    py_thread_stack st;
    thread_ids(pp, tbuf, &st);
    if (skip && skip(ctx, &st)) {
        forget_spec_copies(pp);
        *next = rd_u64(tbuf, L->tstate_next);
        return 0;
    }
    /* The target runs on while we read: a stack caught mid-change is
     * read again, from a fresh thread state, before it is dropped. The
     * first thread's stacks are resolved through the memo (resolve_memo). */
    pp->resolve_ts = first ? ts : 0;
    int rc = read_stack(pp, ts, tbuf, &st, first && ts == pp->spec.ts, true);
    st.running = !rc && (pp->minor <= 10 ? pp->chain_ran : batched && thread_ran(pp));
    bool moved = rc != 0 || (pp->minor >= 11 && batched && pp->got.frame_twice &&
                             pp->got.frame0 != pp->got.frame1);
    forget_spec_copies(pp);
    /* Up to four more times: a stack that changes every few
     * microseconds (start-up, imports, code that calls every microsecond)
     * is often caught whole at a later try, which costs one batched read
     * (the refused walk left its addresses: reread_thread). A try only
     * follows a failed one; the last keeps a frame whose function object
     * runs another code (pycode_resolve). */
    for (int again = 0; rc && again < 4 && reread_thread(pp, ts, first, tneed, tbuf) == 0;
         again++) {
        rc = read_stack(pp, ts, tbuf, &st, false, again < 3);
        /* Caught mid-change, then whole: it changed its own stack, within
         * microseconds, so it ran (see thread_ran). Not when only the last,
         * lenient try passed: a stack that fails the strict ones may not
         * have changed at all. */
        if (!rc && again < 3) st.running = true;
    }
    if (first) {
        if (rc) pp->spec = (spec_memo){0};
        else spec_remember(pp, ts, tbuf, st.depth);
    }
    if (rc) {
        res->dropped++;
    } else {
        st.moved = moved;
        st.frames = pp->frames;
        if (fn(ctx, &st)) return 1;
    }
    *next = rd_u64(tbuf, L->tstate_next);
    return 0;
}

/* Whether the runtime is shutting down (read only when something failed). */
static bool finalizing(py_process *pp) {
    const py_layout *L = &pp->off;
    uint64_t fin = 0;
    return L->runtime_finalizing &&
           proc_read(pp->pid, pp->runtime + L->runtime_finalizing - 1, &fin, sizeof fin) == 0 &&
           fin;
}

py_status py_sample(py_process *pp, py_thread_fn fn, py_thread_skip_fn skip, void *ctx,
                    py_sample_result *res) {
    const py_layout *L = &pp->off;
    res->threads = res->dropped = 0;
    res->finalizing = false;
    res->code_checks = 0;
    uint64_t checks_before = pp->code_checks;
    if (!pp->ninterps) {
        py_status st = py_refresh(pp);
        if (st != PY_OK) return st;
    }
    pp->generation++;
    /* Only here, between stacks, may ids be reused. */
    if (pp->ncodes >= MAX_CODES || pynames_full(pp->names)) {
        pycode_flush(pp);
        pp->epoch++;
        pp->spec.ncodes = pp->spec.nviews = 0;
    }
    uint32_t tneed = tstate_need(L);
    memset(pp->got.other, 0, sizeof pp->got.other);
    pp->got.other_next = 0;
    spec_read(pp, tneed);
    pp->nseen = 0;
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
        /* A list that meets itself is torn there (loopcheck.h). */
        loopcheck seen = LOOPCHECK_INIT;
        for (int nt = 0; ts && nt < MAX_THREADS; nt++) {
            uint64_t next;
            if (loopcheck_seen(&seen, ts)) {
                res->dropped++;
                break;
            }
            if (ni == 0 && nt > 0 && pp->nseen < SPEC_THREADS) pp->seen_ts[pp->nseen++] = ts;
            if (sample_thread(pp, ts, ni == 0 && nt == 0, tneed, fn, skip, ctx, res, &next)) {
                res->code_checks = (uint32_t)(pp->code_checks - checks_before);
                return PY_OK;
            }
            ts = next;
        }
    }
    res->code_checks = (uint32_t)(pp->code_checks - checks_before);
    memcpy(pp->spec.others, pp->seen_ts, pp->nseen * sizeof pp->seen_ts[0]);
    pp->spec.nothers = pp->nseen;
    /* Stacks torn while the interpreter shuts down are its teardown, not
     * samples we lost: look only when something failed. */
    if ((res->dropped || status != PY_OK) && finalizing(pp)) {
        res->dropped = 0;
        res->finalizing = true;
        if (status != PY_GONE) status = PY_OK;
    }
    return status;
}
