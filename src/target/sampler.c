/* sampler.c -- the sampling loop (see sampler.h): ticks, frame interning and
 * the --native merging; the process table is sampler_targets.c. */
#include "sampler.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "objfile.h"
#include "proc.h"
#include "sampler_int.h"
#include "stackmerge.h"

#define REFRESH_NS 100000000LL   /* refresh interpreters, look for exec, every 100 ms */
/* New children are looked for this often in the kept-open
 * /proc/PID/task/TID/children of every followed process: a child that
 * lives 20 ms is then seen within its first few. Where the kernel has no
 * children files, a scan of all of /proc every REFRESH_NS does it. */
#define CHILDREN_NS 2000000LL
#define FULL_SCAN_NS 1000000000LL  /* the /proc scan as a safety net otherwise */
/* The longest stack a sample may have: Python and native frames merged
 * (the Python ones alone, with a truncation mark, are fewer). */
#define MERGED_MAX (PY_MAX_DEPTH + NATIVE_MAX_DEPTH)

static size_t slot_pos(uint64_t key, size_t cap) {
    return (size_t)(key * 0x9E3779B97F4A7C15ULL >> 32) & (cap - 1);
}

/* The slot of key: its entry (*found = true), or the empty slot to fill in
 * (then counted as used). NULL when growing failed. */
static frame_slot *frame_map_slot(frame_map *m, uint64_t key, bool *found) {
    if ((m->used + 1) * 2 > m->cap) {
        size_t ncap = m->cap ? m->cap * 2 : 1024;
        frame_slot *n = calloc(ncap, sizeof *n);
        if (!n) return NULL;
        for (size_t i = 0; i < m->cap; i++) {
            if (!m->slots[i].key) continue;
            size_t pos = slot_pos(m->slots[i].key, ncap);
            while (n[pos].key) pos = (pos + 1) & (ncap - 1);
            n[pos] = m->slots[i];
        }
        free(m->slots);
        m->slots = n;
        m->cap = ncap;
    }
    size_t pos = slot_pos(key, m->cap);
    for (; m->slots[pos].key; pos = (pos + 1) & (m->cap - 1)) {
        if (m->slots[pos].key == key) {
            *found = true;
            return &m->slots[pos];
        }
    }
    *found = false;
    return &m->slots[pos];
}


/* The scheduler's own count, in ns: getrusage() may tick in jiffies, far
 * coarser than one sample. */
static double cpu_seconds(void) {
    struct timespec ts;
    if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)) return 0;
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- frame and thread interning, per target ---- */

/* When the reader reused code ids, (code, line) keys mean other frames. */
static void forget_stale_frames(target *t) {
    if (t->fmap_epoch == py_cache_epoch(t->py)) return;
    if (t->fmap.slots) memset(t->fmap.slots, 0, t->fmap.cap * sizeof *t->fmap.slots);
    t->fmap.used = 0;
    t->fmap_epoch = py_cache_epoch(t->py);
}

static uint64_t frame_key(const py_frame_ref *fr) {
    return ((uint64_t)fr->code << 24 | (uint32_t)(fr->line & 0xFFFFFF)) + 1;
}

static int frame_index(sampler *s, target *t, const py_frame_ref *fr) {
    uint64_t key = frame_key(fr);
    bool found;
    frame_slot *slot = frame_map_slot(&t->fmap, key, &found);
    if (!slot) return -1;
    if (found) return (int)slot->frame;
    const py_code_info *ci = py_code_at(t->py, fr->code);
    if (!ci) return -1;
    prof_frame fk = {(char *)ci->function, (char *)ci->file, fr->line, ci->first_line,
                      FRAME_PYTHON, (char *)ci->module, ci->import};
    int idx = prof_intern(s->p, &fk);
    if (idx < 0) return -1;
    *slot = (frame_slot){.key = key, .frame = (uint32_t)idx};
    t->fmap.used++;
    return idx;
}

/* Appends st's Python frames, root first, to s->stack_buf[*n...] as
 * profile frames: those its thread's last stack shared with it, root side,
 * from that stack (thread_entry.last_keys), the rest through frame_index;
 * then remembers this one. -1 when out of memory. */
static int python_frames(sampler *s, target *t, thread_entry *e, const py_thread_stack *st,
                         uint32_t *n) {
    uint32_t depth = st->depth, k = 0;
    bool memo = e->last_epoch == t->fmap_epoch && e->last_keys;
    if (depth > e->last_cap) {
        uint32_t cap = depth < 64 ? 64 : depth;
        uint64_t *keys = realloc(e->last_keys, cap * sizeof *keys);
        if (keys) e->last_keys = keys;
        uint32_t *frames = keys ? realloc(e->last_frames, cap * sizeof *frames) : NULL;
        if (frames) e->last_frames = frames;
        if (!keys || !frames) return -1;
        e->last_cap = cap;
    }
    if (memo)
        for (; k < depth && k < e->last_n; k++) {
            if (frame_key(&st->frames[depth - 1 - k]) != e->last_keys[k]) break;
            s->stack_buf[(*n)++] = e->last_frames[k];
        }
    for (uint32_t i = k; i < depth; i++) {
        const py_frame_ref *fr = &st->frames[depth - 1 - i];
        int idx = frame_index(s, t, fr);
        if (idx < 0) return -1;
        e->last_keys[i] = frame_key(fr);
        e->last_frames[i] = (uint32_t)idx;
        s->stack_buf[(*n)++] = (uint32_t)idx;
    }
    e->last_n = depth;
    e->last_epoch = t->fmap_epoch;
    return 0;
}

static thread_entry *thread_of(sampler *s, target *t, const py_thread_stack *st) {
    thread_entry *known = thread_known(t, st);
    if (known) return known;
    if (t->nthreads == t->capthreads) {
        size_t ncap = t->capthreads ? t->capthreads * 2 : 8;
        thread_entry *n = realloc(t->threads, ncap * sizeof *n);
        if (!n) return NULL;
        t->threads = n;
        t->capthreads = ncap;
    }
    char name[64] = "";
    if (st->tid) proc_thread_name(t->pid, st->tid, name, sizeof name);
    int pt = prof_add_thread(s->p, t->pid, st->tid, name[0] ? name : NULL);
    if (pt < 0) return NULL;
    thread_entry *e = &t->threads[t->nthreads++];
    *e = (thread_entry){.thread_id = st->thread_id, .tid = st->tid, .prof_thread = pt,
                        .files = {-1, -1, -1}, .sched_status = -1, .children_fd = -1};
    if (st->tid) {
        proc_thread_files_open(t->pid, st->tid, &e->files);
        /* The main thread's children are read through the target's own fd. */
        if (s->have_children && st->tid != t->pid)
            e->children_fd = proc_open_children(t->pid, st->tid);
    }
    return e;
}

/* Counted once per process and tick, as the CPU-time gate counts. */
static void count_waiting(sampler *s, target *t) {
    if (t->waiting_tick != this_tick(s)) prof_counters_of(s->p)->waiting += s->weight;
    t->waiting_tick = this_tick(s);
}

static int add_sample(sampler *s, thread_entry *e, bool idle, const uint32_t *stack, uint32_t n) {
    if (prof_add_stack(s->p, (uint32_t)e->prof_thread, idle, stack, n, s->weight) < 0) {
        s->oom = 1;
        return -1;
    }
    prof_counters_of(s->p)->taken += s->weight;
    if (!idle) e->samples += s->weight;
    return 0;
}

/* Adds a sample of thread e of t (root-first stack), but holds it when e
 * is one of those waiting in the queue of csprof's own CPU (thread_sched):
 * at most one of them was on that CPU when csprof took it, and two that
 * took turns there since the last tick would otherwise both count. The one
 * held is the one whose samples lag most behind its CPU time; when there
 * are two, the process counts as waiting too (for the other).
 * release_queue_sample adds it once all are read. */
static int take_sample(sampler *s, target *t, thread_entry *e, bool idle, const uint32_t *stack,
                       uint32_t n) {
    if (!thread_queued_here(s, e)) return add_sample(s, e, idle, stack, n);
    double credit = thread_queue_credit(s, e);
    if (s->queue_held) {
        count_waiting(s, t);   /* one of the two is left */
        if (credit <= s->queue_credit) return 0;
    }
    memcpy(s->queue_stack, stack, n * sizeof *stack);
    s->queue_n = n;
    s->queue_thread = (size_t)(e - t->threads);
    s->queue_credit = credit;
    s->queue_held = true;
    return 0;
}

/* The table of threads only grows during a sample: the index stands. */
static void release_queue_sample(sampler *s, target *t) {
    if (!s->queue_held) return;
    s->queue_held = false;
    add_sample(s, &t->threads[s->queue_thread], false, s->queue_stack, s->queue_n);
}

static int on_thread(void *ctx, const py_thread_stack *st) {
    sampler *s = ctx;
    target *t = s->cur;
    prof_counters *c = prof_counters_of(s->p);
    if (st->depth == 0) return 0;  /* a thread outside Python code: nothing to attribute */
    forget_stale_frames(t);
    thread_entry *e = thread_of(s, t, st);
    if (!e) { s->oom = 1; return 1; }
    c->moved += st->moved ? s->weight : 0;
    place_note(s, t, e, st->moved, st->running);
    /* The reader may have seen the thread execute during this sample (its
     * leaf frame's instruction moved under our read): it was on a CPU then,
     * which is what the kernel's state would say, without the pread. */
    proc_sched_state ss = PROC_ON_CPU;   /* seen executing by the reader: on a CPU */
    if (st->running) e->oncpu_tick = this_tick(s);
    else if (thread_sched(s, e, &ss) != 0) ss = PROC_ON_CPU;
    if (thread_leave_for_later(s, t, e, ss)) {
        count_waiting(s, t);
        return 0;
    }
    bool idle = ss == PROC_NOT_RUNNABLE;
    if (idle) {
        c->idle += s->weight;
        e->idle_tick = this_tick(s);
        if (!s->o->idle) return 0;
    }
    uint32_t n = 0;
    if (st->truncated) {
        int fr = prof_intern_frame(s->p, "[truncated: deeper frames omitted]", NULL, 0, 0,
                                   FRAME_PYTHON);
        if (fr < 0) { s->oom = 1; return 1; }
        s->stack_buf[n++] = (uint32_t)fr;
    }
    if (python_frames(s, t, e, st, &n)) { s->oom = 1; return 1; }
    return take_sample(s, t, e, idle, s->stack_buf, n) < 0;
}

/* ---- --native: C frames merged into the Python stacks ----
 *
 * Per tick and process: the threads that are running are stopped (a thread
 * that is sleeping or waiting has no C work to show, and stopping it could
 * cut a wait short), both stacks of each are read while it is stopped, the
 * threads are resumed, and only then are the native frames named and
 * merged. Threads not stopped (idle, or first seen this tick) are recorded
 * as without --native. */

typedef struct {
    size_t thread;           /* index into the target's threads */
    uint32_t depth;
    bool truncated;
    py_frame_ref *py;        /* leaf first, as the reader gives them */
    uint32_t pycap;
    int nn;
    bool complete;
    uint64_t pcs[NATIVE_MAX_DEPTH];
} native_pending;

struct native_state {
    native_pending *pending;
    size_t npending, cappending;
    pid_t *tids;
    size_t captids;
    sm_native *nat;          /* root first */
    uint32_t *nat_frames;    /* their profile frames */
    bool *entry;             /* root first */
    sm_frame *merged;
    uint32_t *stack;
};


static void native_state_free(native_state *n);

static native_state *native_state_new(void) {
    native_state *n = calloc(1, sizeof *n);
    if (!n) return NULL;
    n->nat = malloc(NATIVE_MAX_DEPTH * sizeof *n->nat);
    n->nat_frames = malloc(NATIVE_MAX_DEPTH * sizeof *n->nat_frames);
    n->entry = malloc(PY_MAX_DEPTH * sizeof *n->entry);
    n->merged = malloc(MERGED_MAX * sizeof *n->merged);
    n->stack = malloc(MERGED_MAX * sizeof *n->stack);
    if (!n->nat || !n->nat_frames || !n->entry || !n->merged || !n->stack) {
        native_state_free(n);
        return NULL;
    }
    return n;
}

static void native_state_free(native_state *n) {
    if (!n) return;
    for (size_t i = 0; i < n->cappending; i++) free(n->pending[i].py);
    free(n->pending);
    free(n->tids);
    free(n->nat);
    free(n->nat_frames);
    free(n->entry);
    free(n->merged);
    free(n->stack);
    free(n);
}

/* ptrace refused (EPERM...): say so once and go on without C frames there. */
static void native_refused(sampler *s, target *t) {
    char why[400];
    if (!native_last_error(t->nu, why, sizeof why)) return;
    fprintf(stderr, "csprof: %s; recording Python frames only for process %d\n", why, (int)t->pid);
    s->res->native_refused++;
    target_native_account(s, t);
    native_free(t->nu);
    t->nu = NULL;
}

/* The profile frame for a native pc, named on first sight. */
static const frame_slot *native_frame(sampler *s, target *t, uint64_t pc) {
    bool found;
    frame_slot *slot = frame_map_slot(&t->nmap, pc, &found);
    if (!slot) return NULL;
    if (found) return slot;
    native_symbol sym;
    native_symbolize(t->nu, pc, &sym);
    int idx = prof_intern_frame(s->p, sym.function, sym.object, 0, 0, FRAME_NATIVE);
    if (idx < 0) return NULL;
    *slot = (frame_slot){.key = pc, .frame = (uint32_t)idx,
                         .eval = sym.known && stackmerge_is_eval(sym.function),
                         .interp = sym.interp,
                         /* every unnamed pc of an object interns to its one frame */
                         .group = sym.known ? 0 : (uint32_t)idx + 1};
    t->nmap.used++;
    return slot;
}

/* Reader callback while the threads are stopped: copy the Python stack,
 * and the registers and stack the native walk needs (native_copy); walk,
 * name and merge once every thread runs again. */
static int on_thread_native(void *ctx, const py_thread_stack *st) {
    sampler *s = ctx;
    target *t = s->cur;
    native_state *n = s->nat;
    if (st->depth == 0 || !st->tid || !native_is_stopped(t->nu, st->tid)) return on_thread(ctx, st);
    thread_entry *e = thread_of(s, t, st);
    if (!e) { s->oom = 1; return 1; }
    if (n->npending == n->cappending) {
        size_t ncap = n->cappending ? n->cappending * 2 : 8;
        native_pending *np = realloc(n->pending, ncap * sizeof *np);
        if (!np) { s->oom = 1; return 1; }
        memset(np + n->cappending, 0, (ncap - n->cappending) * sizeof *np);
        n->pending = np;
        n->cappending = ncap;
    }
    native_pending *pd = &n->pending[n->npending];
    if (pd->pycap < st->depth) {
        py_frame_ref *py = realloc(pd->py, st->depth * sizeof *py);
        if (!py) { s->oom = 1; return 1; }
        pd->py = py;
        pd->pycap = st->depth;
    }
    memcpy(pd->py, st->frames, st->depth * sizeof *pd->py);
    pd->thread = (size_t)(e - t->threads);
    pd->depth = st->depth;
    pd->truncated = st->truncated;
    pd->complete = false;
    pd->nn = native_copy(t->nu, st->tid);   /* 0: copied, to walk; -1: no native stack */
    /* Both of its stacks are copied: let it run while the others are read. */
    native_release(t->nu, st->tid);
    n->npending++;
    return 0;
}

/* Adds one stopped thread's sample: merged when the stacks line up, else
 * its Python stack alone (counted). */
static void add_native_sample(sampler *s, target *t, const native_pending *pd) {
    native_state *n = s->nat;
    forget_stale_frames(t);
    int nn = pd->nn > 0 ? pd->nn : 0;
    for (int k = 0; k < nn; k++) {
        const frame_slot *ns = native_frame(s, t, pd->pcs[nn - 1 - k]);
        if (!ns) { s->oom = 1; return; }
        n->nat_frames[k] = ns->frame;
        n->nat[k] = (sm_native){NULL, NULL, ns->eval, ns->interp, ns->group};
    }
    for (uint32_t d = 0; d < pd->depth; d++) n->entry[d] = pd->py[pd->depth - 1 - d].entry;
    long m = pd->truncated ? -1
           : stackmerge(n->nat, (size_t)nn, pd->complete, n->entry, pd->depth, n->merged, MERGED_MAX);
    uint32_t depth = 0;
    if (m >= 0) {
        for (long i = 0; i < m; i++) {
            const sm_frame *f = &n->merged[i];
            int fr = f->native ? (int)n->nat_frames[f->index]
                               : frame_index(s, t, &pd->py[pd->depth - 1 - f->index]);
            if (fr < 0) { s->oom = 1; return; }
            n->stack[depth++] = (uint32_t)fr;
        }
        s->res->native_merged++;
    } else {
        if (pd->truncated) {
            int fr = prof_intern_frame(s->p, "[truncated: deeper frames omitted]", NULL, 0, 0,
                                       FRAME_PYTHON);
            if (fr < 0) { s->oom = 1; return; }
            n->stack[depth++] = (uint32_t)fr;
        }
        for (uint32_t d = pd->depth; d-- > 0;) {
            int fr = frame_index(s, t, &pd->py[d]);
            if (fr < 0) { s->oom = 1; return; }
            n->stack[depth++] = (uint32_t)fr;
        }
        s->res->native_mismatch++;
    }
    take_sample(s, t, &t->threads[pd->thread], false, n->stack, depth);
}

/* Running now, by the files opened when the thread was first seen: they
 * stop answering once that thread is gone, so a tid the kernel has since
 * given to another process is never stopped. A thread waiting for a CPU
 * is stopped only when its sample would be taken (thread_leave_for_later). */
static bool native_stoppable(sampler *s, target *t, thread_entry *e) {
    proc_sched_state st;
    return e->tid && thread_sched(s, e, &st) == 0 && st != PROC_NOT_RUNNABLE &&
           !thread_leave_for_later(s, t, e, st);
}

static py_status sample_native(sampler *s, target *t, py_sample_result *r) {
    native_state *n = s->nat;
    if (n->captids < t->nthreads) {
        pid_t *nt = realloc(n->tids, t->nthreads * sizeof *nt);
        if (!nt) { s->oom = 1; return PY_ERROR; }
        n->tids = nt;
        n->captids = t->nthreads;
    }
    /* Every thread of csprof's CPU queue is stopped, though take_sample
     * keeps one of their samples: picking it here as well would be a
     * second copy of that rule, and a tie between a thread stopped and one
     * not would keep the one without C frames. Two in that queue at once
     * is rare outside threads that compute in parallel. */
    size_t ntids = 0;
    for (size_t i = 0; i < t->nthreads; i++)
        if (native_stoppable(s, t, &t->threads[i])) n->tids[ntids++] = t->threads[i].tid;
    native_stop(t->nu, n->tids, ntids);
    n->npending = 0;
    py_status st = py_sample(t->py, on_thread_native, NULL, s, r);
    native_resume(t->nu);
    /* The table of threads only grows during a sample: the index stands. */
    for (size_t i = 0; i < n->npending; i++) {
        native_pending *pd = &n->pending[i];
        if (pd->nn == 0)
            pd->nn = native_unwind(t->nu, t->threads[pd->thread].tid, pd->pcs, NATIVE_MAX_DEPTH,
                                   &pd->complete);
    }
    /* The samples first: naming their C frames needs t->nu, which a
     * refusal frees. */
    for (size_t i = 0; i < n->npending && !s->oom; i++) add_native_sample(s, t, &n->pending[i]);
    if (native_last_error(t->nu, NULL, 0) == EPERM) native_refused(s, t);
    return st;
}

/* Samples every attached process; returns how many were sampled. */
static int sample_all(sampler *s) {
    prof_counters *c = prof_counters_of(s->p);
    int sampled = 0;
    for (size_t i = 0; i < s->ntargets && !s->oom; i++) {
        target *t = &s->targets[i];
        if (!t->py || t->dead) continue;
        sampled++;
        if (!target_cpu_credit(s, t)) {
            c->waiting += s->weight;
            continue;
        }
        py_sample_result r = {0};
        s->cur = t;
        uint64_t before = c->taken;
        py_status st = t->nu ? sample_native(s, t, &r) : py_sample(t->py, on_thread, thread_still_idle, s, &r);
        release_queue_sample(s, t);
        c->code_checks += r.code_checks;
        t->credit -= (double)(c->taken - before);
        /* A process that is exiting tears its own stacks down under us: what
         * failed then is its end, not a sample we lost. Nor is a process that
         * exec'd: it is another program now. The kernel may show either only
         * a tick later, so failures are counted one tick late. */
        if (!r.dropped && st == PY_OK) {
            c->dropped += t->pending_dropped;
            t->pending_dropped = 0;
            continue;
        }
        if (!proc_alive(t->pid)) {
            t->dead = true;
            continue;
        }
        if (target_exec_happened(s, t)) {
            target_attach(s, t);
            continue;
        }
        c->dropped += t->pending_dropped;
        t->pending_dropped = (r.dropped + (st != PY_OK && st != PY_GONE)) * s->weight;
        if (st == PY_GONE) t->dead = true;
    }
    return sampled;
}

/* ---- the loop ---- */

/* Reaps the child with wait4, whose resource usage is the child's own plus
 * that of every descendant it waited for (the kernel folds a reaped
 * child's usage into its parent's): the script's CPU time and peak memory,
 * subprocesses included, at no cost. */
static int reap_child(pid_t pid, int *status, bool block, sampler_result *res) {
    int ws;
    pid_t r;
    struct rusage ru;
    do r = wait4(pid, &ws, block ? 0 : WNOHANG, &ru);
    while (r < 0 && errno == EINTR);
    if (r != pid) return 0;
    *status = WIFEXITED(ws) ? WEXITSTATUS(ws) : WIFSIGNALED(ws) ? 128 + WTERMSIG(ws) : -1;
    res->child_user_seconds = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6;
    res->child_system_seconds = (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
    /* Linux reports ru_maxrss in KiB: the largest resident set of the child
     * or of any one descendant it reaped (a maximum, not a sum). */
    res->child_max_rss_bytes = ru.ru_maxrss > 0 ? (double)ru.ru_maxrss * 1024.0 : 0.0;
    res->child_rusage = true;
    return 1;
}

/* The loop's clock, and what it measured. */
typedef struct {
    int64_t interval, start, next, last_refresh, last_full_scan, last_children, last_reap;
    uint64_t rng;            /* xorshift: where within each tick to sample */
    int64_t end_sampling;    /* when --duration ended sampling; 0 if it did not */
    int64_t first_tick;      /* the first tick with Python to sample; 0 if none yet */
    int64_t work_ns;         /* monotonic time inside sample_all: CPU-bound syscalls */
    int last_sampled;        /* processes sampled at the last tick */
    double cpu0;
    double own0, busy0;      /* csprof's CPU time and the machine's busy time at the start; busy0 < 0: unknown */
    bool sampling, child_done;
} ticker;

/* Set by SIGCHLD: the child may have exited. A wait4 at every tick would
 * cost a system call per sample; the signal says when one is worth making.
 * It starts set, so the first tick looks once (a child that ended before
 * the handler was installed sent its signal to no one), and a look every
 * REAP_SAFETY_NS covers anything else. */
static volatile sig_atomic_t child_event = 1;
#define REAP_SAFETY_NS 100000000LL

static void on_sigchld(int sig) {
    (void)sig;
    child_event = 1;
}

/* Reaps the child if it has exited and there is reason to look. */
static bool child_exited(sampler *s, ticker *k, int64_t now) {
    if (!child_event && now - k->last_reap < REAP_SAFETY_NS) return false;
    child_event = 0;   /* cleared first: a signal after this is not lost */
    k->last_reap = now;
    return reap_child(s->root, &s->res->exit_status, false, s->res) == 1;
}

/* Whether the run ends before this tick: the child exited, a stop was asked
 * for (attach mode), or the duration is over (a child is then waited for). */
static bool run_over(sampler *s, ticker *k, volatile sig_atomic_t *stop, int64_t now) {
    const sampler_opts *o = s->o;
    if (o->is_child && child_exited(s, k, now)) {
        k->child_done = true;
        return true;
    }
    if (!o->is_child && *stop) return true;
    if (k->sampling && o->duration > 0 && now - k->start >= (int64_t)(o->duration * 1e9)) {
        k->sampling = false;
        k->end_sampling = now;
        if (!o->is_child) return true;
    }
    if (!k->sampling) {
        /* Duration over: the child runs on untouched; just wait for it. */
        reap_child(s->root, &s->res->exit_status, true, s->res);
        k->child_done = true;
        return true;
    }
    return false;
}

/* Refreshes the process table every REFRESH_NS, and between refreshes
 * looks for new children and retries young processes. False when an
 * attached root has exited. */
static bool look_around(sampler *s, ticker *k, int64_t now) {
    if (now - k->last_refresh >= REFRESH_NS) {
        /* An attached process is not our child: no waitpid tells us it
         * ended, so look at /proc here, a few times a second. */
        if (!s->o->is_child && !proc_alive(s->root)) return false;
        bool full = now - k->last_full_scan >= (s->have_children ? FULL_SCAN_NS : REFRESH_NS);
        targets_refresh(s, s->root, full);
        k->last_refresh = now;
        if (full) k->last_full_scan = now;
    } else {
        if (s->have_children && now - k->last_children >= CHILDREN_NS) {
            targets_scan_children(s);
            k->last_children = now;
        }
        targets_retry_young(s);
    }
    return true;
}

/* Samples every process once and counts the tick; returns how many
 * processes were sampled. */
static int tick(sampler *s, ticker *k, int64_t now) {
    prof_counters *c = prof_counters_of(s->p);
    /* A tick counts once there is Python to sample: the time before
     * (exec, interpreter start-up) is not time we could have sampled. */
    int64_t t0 = now_ns();
    uint64_t taken0 = c->taken, reads0 = proc_reads_made();
    int sampled = sample_all(s);
    if (sampled > 0) place_tick(s);
    k->work_ns += now_ns() - t0;
    c->reads += proc_reads_made() - reads0;
    uint64_t at_once = (c->taken - taken0) / s->weight;
    if (at_once > c->max_per_tick) c->max_per_tick = at_once;
    if (sampled > 0) {
        if (!k->first_tick) {
            k->first_tick = now;
            k->cpu0 = cpu_seconds();  /* the per-sample cost, not the attach */
        }
        c->ticks += s->weight;
        c->rounds++;
    }
    return sampled;
}

/* Sleeps until the next tick; wakes early when the child exits or a stop
 * is asked for. */
static void wait_next(sampler *s, ticker *k, int sampled, volatile sig_atomic_t *stop) {
    const sampler_opts *o = s->o;
    prof_counters *c = prof_counters_of(s->p);
    k->next += k->interval * s->weight;
    /* The next round stands for weight ticks, and samples a random point
     * of them: each sample so counts for the time it stood for, however
     * many ticks apart the rounds are (placement: place_weight). */
    s->weight = place_weight(s);
    int64_t span = k->interval * s->weight;
    int64_t now = now_ns();
    /* Behind by a whole tick: the point within this one (below) may have
     * passed; less than that, the tick is still sampled, at once if need
     * be, and the grid holds (the rate with it). */
    if (k->next + span <= now) {
        /* Fell behind (a slow attach, a busy machine): don't burst, but
         * count the ticks skipped while there was Python to sample. */
        /* Owed only while there is Python to sample: not before the
         * first attach, nor after an exec into another program. */
        if (sampled > 0 && k->last_sampled > 0)
            c->missed += (uint64_t)((now - k->next) / k->interval);
        k->next = now;
    }
    k->last_sampled = sampled;
    /* A random point within the tick, not its start: a program whose loop
     * repeats at a fixed period would otherwise be seen at the same few
     * phases of it, run after run (aliasing). */
    k->rng ^= k->rng << 13;
    k->rng ^= k->rng >> 7;
    k->rng ^= k->rng << 17;
    int64_t at = k->next + (int64_t)(k->rng % (uint64_t)span);
    struct timespec ts = {at / 1000000000LL, at % 1000000000LL};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR) {
        if (o->is_child && child_exited(s, k, now_ns())) {
            k->child_done = true;
            break;
        }
        if (!o->is_child && *stop) break;
    }
}

/* The sampler's tables; -1 (said on stderr) when out of memory. */
static int sampler_init(sampler *s) {
    if (s->o->subprocesses) {
        int fd = proc_open_children(getpid(), getpid());
        s->have_children = fd >= 0;
        if (fd >= 0) close(fd);
    }
    s->targets = calloc(MAX_PROCESSES, sizeof *s->targets);
    s->stack_buf = malloc((PY_MAX_DEPTH + 4) * sizeof *s->stack_buf);
    s->queue_stack = malloc(MERGED_MAX * sizeof *s->queue_stack);
    if (s->o->native) s->nat = native_state_new();
    if (!s->targets || !s->stack_buf || !s->queue_stack || (s->o->native && !s->nat)) {
        free(s->targets);
        free(s->stack_buf);
        free(s->queue_stack);
        native_state_free(s->nat);
        fprintf(stderr, "csprof: out of memory starting the sampler\n");
        return -1;
    }
    place_init(s);
    return 0;
}

/* The rest of the machine's load while the child ran (sampler_result): the
 * machine's busy time less the child's (reaped descendants included) and
 * csprof's own, over the wall time. Jiffies of 10 ms make runs under
 * 0.2 s too coarse to say. */
static void other_load(const ticker *k, sampler_result *res) {
    double busy1, wall = res->wall_seconds;
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    res->other_load = -1;
    res->runner_cpus = ncpu > 0 && ncpu < 65536 ? (int)ncpu : 0;
    if (k->busy0 < 0 || !res->child_rusage || wall < 0.2 || res->runner_cpus == 0 || proc_machine_busy(&busy1))
        return;
    double others = busy1 - k->busy0 - res->child_user_seconds - res->child_system_seconds -
                    (cpu_seconds() - k->own0);
    double load = others / wall;
    res->other_load = load < 0 ? 0 : load > res->runner_cpus ? res->runner_cpus : load;
}

/* Fills the result and the profile's interval, counts the failures still
 * pending, and frees the process table. */
static void sampler_finish(sampler *s, const ticker *k) {
    sampler_result *res = s->res;
    place_finish(s);
    prof_counters *c = prof_counters_of(s->p);
    int64_t stop_ns = k->end_sampling ? k->end_sampling : now_ns();
    res->wall_seconds = (double)(now_ns() - k->start) / 1e9;
    res->cpu_seconds = cpu_seconds() - k->cpu0;
    res->work_seconds = (double)k->work_ns / 1e9;
    double sampled = k->first_tick ? (double)(stop_ns - k->first_tick) / 1e9 : 0;
    prof_meta *m = prof_meta_of(s->p);
    m->interval_seconds = c->ticks ? sampled / (double)c->ticks : 0;
    if (s->oom && s->o->is_child && !k->child_done)
        reap_child(s->root, &res->exit_status, true, res);
    other_load(k, res);
    for (size_t i = 0; i < s->ntargets; i++) {
        if (!s->targets[i].dead && proc_alive(s->targets[i].pid))
            c->dropped += s->targets[i].pending_dropped;
        target_native_account(s, &s->targets[i]);
        target_free(&s->targets[i]);
    }
    free(s->targets);
    free(s->stack_buf);
    free(s->queue_stack);
    native_state_free(s->nat);
    objfile_close_all();   /* after every target's reader and unwinder is gone */
}

int sampler_run(profile *p, pid_t root, const sampler_opts *o, volatile sig_atomic_t *stop,
                sampler_result *res) {
    memset(res, 0, sizeof *res);
    res->exit_status = -1;
    sampler s = {.p = p, .o = o, .res = res, .root = root, .weight = 1};
    if (sampler_init(&s)) return -1;
    /* SIGCHLD marks when the child may have exited (child_event); it also
     * cuts the sleep to the next tick short, so the exit is seen at once.
     * SA_RESTART: the reads in a tick are not cut short by it. */
    struct sigaction chld = {.sa_handler = on_sigchld, .sa_flags = SA_RESTART | SA_NOCLDSTOP}, old_chld;
    sigemptyset(&chld.sa_mask);
    child_event = 1;
    bool chld_set = o->is_child && sigaction(SIGCHLD, &chld, &old_chld) == 0;
    /* Wake-ups within microseconds of the deadline, not the default 50 us slack. */
    prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
    ticker k = {.interval = (int64_t)(1e9 / (o->rate_hz > 0 ? o->rate_hz : 1000)),
                .sampling = true};
    k.start = k.next = now_ns();
    k.rng = ((uint64_t)k.start ^ ((uint64_t)getpid() << 32)) | 1;
    k.cpu0 = k.own0 = cpu_seconds();
    if (proc_machine_busy(&k.busy0)) k.busy0 = -1;
    while (!k.child_done) {
        int64_t now = now_ns();
        if (run_over(&s, &k, stop, now) || !look_around(&s, &k, now)) break;
        int sampled = tick(&s, &k, now);
        if (s.oom) {
            fprintf(stderr, "csprof: out of memory while sampling; writing what was collected\n");
            break;
        }
        wait_next(&s, &k, sampled, stop);
    }
    sampler_finish(&s, &k);
    /* A failed sigaction leaves the safety-net look every REAP_SAFETY_NS:
     * an exit is then seen up to 0.1 s late, nothing worse. */
    if (chld_set) sigaction(SIGCHLD, &old_chld, NULL);
    return 0;
}
