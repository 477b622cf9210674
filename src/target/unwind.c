/* unwind.c -- native stacks through ptrace + libunwind. See unwind.h.
 *
 * ptrace(2) facts this relies on:
 *  - PTRACE_SEIZE attaches without stopping and without sending a signal;
 *    PTRACE_INTERRUPT then stops the thread, reported to waitpid as a
 *    PTRACE_EVENT_STOP (status >> 16). A signal arriving first is reported
 *    as a signal-delivery-stop instead: it must be handed back on detach or
 *    the thread never gets it.
 *  - PTRACE_DETACH works only on a stopped tracee; a seized thread that was
 *    not stopped can therefore only be released by stopping it first, which
 *    is why every seized thread is waited for before anything else.
 *  - A traced thread that exits must be reaped by its tracer (us), except
 *    that the exit of a process that is also our child is its parent's
 *    (the sampler's) to collect: it is only peeked at (WNOWAIT).
 *  - Stopping a thread interrupts a blocking system call; most are
 *    restarted transparently on resume, a few (epoll_wait...) return EINTR
 *    as after SIGSTOP/SIGCONT, which programs retry.
 *  - PTRACE_SEIZE of a thread that has begun to exit fails with EPERM,
 *    as a refusal does; only the thread's state tells the two apart.
 *  - When the tracer exits, the kernel detaches its tracees and resumes
 *    them: a csprof crash never leaves the target stopped.
 */
#include "unwind.h"

#include <elf.h>
#include <errno.h>
#include <libunwind-ptrace.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "classify.h"
#include "demangle.h"
#include "elfread.h"
#include "objfile.h"
#include "proc.h"

typedef enum { TH_IDLE, TH_STOPPED } th_state;

typedef struct {
    pid_t tid;
    th_state state;
    int inject;       /* signal to hand back on detach */
    int64_t stopped_at;   /* ns, when the stop was seen */
    void *upt;        /* libunwind's per-thread ptrace state, kept across samples */
    /* What native_copy took while the thread was stopped, in stop window
     * copy_gen (0: none): its registers, and its stack from the page of
     * the stack pointer up, bytes [stack_lo, stack_hi) at stack. */
    uint32_t copy_gen;
    struct user_regs_struct regs;
    uint8_t *stack;
    size_t stack_cap;
    uint64_t stack_lo, stack_hi;
    size_t want;      /* bytes to copy next time (copy_span) */
    uint64_t used_hi; /* the highest stack address the last walk read, or wanted */
} thread_slot;

typedef struct {
    char *path;
    bool tried;       /* opened (or failed to) already */
    objfile *file;    /* shared with every process mapping it (objfile.h) */
    void *upt;        /* libunwind's lookup state for this object (see find_info) */
} object_entry;

struct native_unwinder {
    pid_t pid;
    uint32_t generation;  /* new per stop window: cached memory is stale after it */
    bool our_child;
    char *interp;
    unw_addr_space_t as;
    thread_slot *threads;
    size_t nthreads, capthreads;
    bool window;          /* between native_stop and native_resume */
    sigset_t saved_mask;
    int last_error;
    pid_t last_error_tid;
    proc_maps maps;
    bool maps_fresh;      /* re-read since the last stop window */
    uint32_t maps_epoch;  /* changes whenever maps is read (see cached_read) */
    int64_t maps_read_at; /* ns */
    object_entry *objects;
    size_t nobjects, capobjects;
    int64_t held_ns;      /* total time threads spent stopped by us */
    uint64_t holds;
    bool vdso_tried;
    unw_dyn_info_t vdso;  /* the vDSO's unwind table; format -1 when none */
    uint64_t vdso_bias;   /* address in the target - link-time address */
    elf_file *vdso_elf;   /* its image, for symbol names */
    elf_symtab *vdso_syms;
};

/* ---- target memory for libunwind ----
 *
 * A thread is held stopped only while its registers and its stack are
 * copied (native_copy: one process_vm_readv from the page of its stack
 * pointer up); it is walked afterwards, running again, from that copy.
 * The walk reads three kinds of memory:
 *  - the stack (saved registers, return addresses): from the copy. A word
 *    above it is not there: the walk stops (incomplete), and the next copy
 *    of that thread is made longer (copy_span);
 *  - file mappings and the vDSO (.eh_frame and its search table, code, the
 *    personality pointers C++ entries hold in a library's data): what the
 *    walk reads there does not change while the mapping stays, so whole
 *    pages are read with process_vm_readv and kept until the maps are read
 *    again (map_stable);
 *  - anything else (the heap, a signal handler's alternate stack): only
 *    while the thread is still stopped, as then it is what the registers
 *    belong to; else the walk stops there.
 * libunwind-ptrace would read one word per PTRACE_PEEKDATA, which needs a
 * stopped thread: it is used only for words of an unreadable page of a
 * stopped thread. libunwind hands access_mem the _UPT handle, not ours, so
 * the walk at work is found through `unwinding` and `unwinding_slot`
 * (csprof walks one thread at a time, from one thread). Only reads: a
 * write request is refused. */

#define PAGE_SIZE_ 4096u
#define MEM_PAGES 256

typedef struct {
    pid_t pid;
    uint32_t maps_epoch;    /* the maps that said it cannot change */
    uint64_t page;          /* address / PAGE_SIZE_ + 1; 0 = empty */
    uint8_t data[PAGE_SIZE_];
} mem_page;

static mem_page mem_cache[MEM_PAGES];
static native_unwinder *unwinding;
static thread_slot *unwinding_slot;
static uint32_t generations;   /* unique across unwinders: a pid may be reused */

#define COPY_FIRST (32u * 1024)     /* a thread's first stack copy */
#define COPY_LEAST (8u * 1024)
#define COPY_MOST (1024u * 1024)    /* NATIVE_MAX_DEPTH frames of up to 2 KB */
#define COPY_REACH (8u * 1024 * 1024)  /* a word this far above the copy is the same stack's */

static const proc_map *map_of(const proc_maps *m, uint64_t pc);

/* A mapping the walk reads only what stays put in while it is mapped: a
 * file's code and unwind tables, and in its writable data only the
 * personality pointers of C++ unwind entries, which the loader's
 * relocation sets once; the vDSO. */
static bool map_stable(const proc_map *map) {
    return map && map->path && (map->path[0] == '/' || !strcmp(map->path, "[vdso]"));
}

/* The page cache: only pages map_stable allowed are kept, so a page kept
 * under the current maps is good without asking the maps again. */
static mem_page *page_kept(const native_unwinder *u, uint64_t addr) {
    uint64_t page = addr / PAGE_SIZE_ + 1;
    mem_page *m = &mem_cache[(page ^ (page >> 8)) % MEM_PAGES];
    return m->page == page && m->pid == u->pid && m->maps_epoch == u->maps_epoch ? m : NULL;
}

static mem_page *page_keep(const native_unwinder *u, uint64_t addr) {
    uint64_t page = addr / PAGE_SIZE_ + 1;
    mem_page *m = &mem_cache[(page ^ (page >> 8)) % MEM_PAGES];
    m->page = 0;
    if (proc_read(u->pid, (page - 1) * PAGE_SIZE_, m->data, PAGE_SIZE_)) return NULL;
    m->page = page;
    m->pid = u->pid;
    m->maps_epoch = u->maps_epoch;
    return m;
}

static int cached_read(unw_addr_space_t as, unw_word_t addr, unw_word_t *val, int write,
                       void *arg) {
    native_unwinder *u = unwinding;
    thread_slot *s = unwinding_slot;
    if (write || !u || !s) return -UNW_EINVAL;
    if (addr >= s->stack_lo && addr < s->stack_hi && s->stack_hi - addr >= sizeof *val) {
        memcpy(val, s->stack + (addr - s->stack_lo), sizeof *val);
        if (addr + sizeof *val > s->used_hi) s->used_hi = addr + sizeof *val;
        return 0;
    }
    bool one_page = addr % PAGE_SIZE_ <= PAGE_SIZE_ - sizeof *val;
    mem_page *m = one_page ? page_kept(u, addr) : NULL;
    if (!m && one_page && map_stable(map_of(&u->maps, addr))) m = page_keep(u, addr);
    if (m) {
        memcpy(val, m->data + addr % PAGE_SIZE_, sizeof *val);
        return 0;
    }
    /* The same stack, above what was copied: the next copy reaches it. */
    if (addr >= s->stack_hi && addr - s->stack_hi < COPY_REACH && addr + sizeof *val > s->used_hi)
        s->used_hi = addr + sizeof *val;
    if (s->state != TH_STOPPED) return -UNW_EINVAL;
    /* Stopped still: its memory is as the registers left it. Pages
     * without read permission are still open to PEEKDATA. */
    if (proc_read(u->pid, addr, val, sizeof *val) == 0) return 0;
    return _UPT_access_mem(as, addr, val, 0, s->upt);
}

/* ---- registers ----
 *
 * libunwind-ptrace reads each register with its own PTRACE_PEEKUSER, which
 * needs a stopped thread; native_copy's one PTRACE_GETREGS has them all. */

static int cached_reg(unw_addr_space_t as, unw_regnum_t reg, unw_word_t *val, int write,
                      void *arg) {
#define R(name) offsetof(struct user_regs_struct, name)
    /* libunwind's x86-64 numbering: RAX RDX RCX RBX RSI RDI RBP RSP R8..R15 RIP */
    static const size_t where[] = {R(rax), R(rdx), R(rcx), R(rbx), R(rsi), R(rdi),
                                   R(rbp), R(rsp), R(r8), R(r9), R(r10), R(r11),
                                   R(r12), R(r13), R(r14), R(r15), R(rip)};
#undef R
    if (write || !unwinding_slot || reg < 0 || (size_t)reg >= sizeof where / sizeof where[0])
        return -UNW_EBADREG;
    unsigned long long v;
    memcpy(&v, (const char *)&unwinding_slot->regs + where[reg], sizeof v);
    *val = (unw_word_t)v;
    return 0;
}

/* ---- the vDSO ----
 *
 * clock_gettime and friends run in the kernel's vDSO, an ELF image with no
 * file behind it, which libunwind-ptrace (opening the path in the maps)
 * cannot find: without its tables the walk stops right there, and every
 * sample taken in time.time() or time.perf_counter() lost its Python
 * callers. Its .eh_frame_hdr search table is read from the target instead
 * and handed to libunwind's DWARF table search, the same routine its
 * ptrace accessors use for files (exported for them, though not declared
 * in the public headers). */
extern int _Ux86_64_dwarf_search_unwind_table(unw_addr_space_t as, unw_word_t ip,
                                              unw_dyn_info_t *di, unw_proc_info_t *pi,
                                              int need_unwind_info, void *arg);

#define VDSO_MAX (64 * 1024)

/* Fills u->vdso from the image in the target. Everything in it is checked
 * against the bytes read: the target's memory is not trusted. */
static void vdso_load(native_unwinder *u) {
    u->vdso_tried = true;
    u->vdso.format = -1;
    uint64_t base = proc_auxv(u->pid, AT_SYSINFO_EHDR);  /* where the kernel mapped it */
    if (!base) return;
    uint8_t *img = malloc(VDSO_MAX);
    if (!img) return;
    ssize_t got = proc_read_partial(u->pid, base, img, VDSO_MAX);
    size_t size = got > 0 ? (size_t)got : 0;
    Elf64_Ehdr eh;
    if (size < sizeof eh) goto out;
    memcpy(&eh, img, sizeof eh);
    if (memcmp(eh.e_ident, ELFMAG, SELFMAG) || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
        eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phoff > size ||
        (uint64_t)eh.e_phnum * sizeof(Elf64_Phdr) > size - eh.e_phoff)
        goto out;
    uint64_t first_vaddr = UINT64_MAX, text_lo = 0, text_hi = 0, hdr_vaddr = 0, hdr_off = 0;
    bool have_hdr = false;
    for (size_t i = 0; i < eh.e_phnum; i++) {
        Elf64_Phdr ph;
        memcpy(&ph, img + eh.e_phoff + i * sizeof ph, sizeof ph);
        if (ph.p_type == PT_LOAD && ph.p_vaddr - ph.p_offset < first_vaddr)
            first_vaddr = ph.p_vaddr - ph.p_offset;
        if (ph.p_type == PT_LOAD && (ph.p_flags & PF_X) && ph.p_memsz < VDSO_MAX) {
            text_lo = ph.p_vaddr;
            text_hi = ph.p_vaddr + ph.p_memsz;
        }
        if (ph.p_type == PT_GNU_EH_FRAME) {
            hdr_vaddr = ph.p_vaddr;
            hdr_off = ph.p_offset;
            have_hdr = true;
        }
    }
    if (!have_hdr || first_vaddr == UINT64_MAX || text_hi <= text_lo || hdr_off > size ||
        size - hdr_off < 12)
        goto out;
    /* The layout every linker writes: version 1, .eh_frame pointer as
     * pcrel sdata4, the count as udata4, the table as datarel sdata4. */
    const uint8_t *h = img + hdr_off;
    uint32_t count;
    memcpy(&count, h + 8, sizeof count);
    if (h[0] != 1 || h[1] != 0x1b || h[2] != 0x03 || h[3] != 0x3b ||
        count > (size - hdr_off - 12) / 8 || count == 0)
        goto out;
    uint64_t bias = base - first_vaddr;
    u->vdso_bias = bias;
    memset(&u->vdso, 0, sizeof u->vdso);
    u->vdso.start_ip = bias + text_lo;
    u->vdso.end_ip = bias + text_hi;
    u->vdso.format = UNW_INFO_FORMAT_REMOTE_TABLE;
    u->vdso.u.rti.segbase = bias + hdr_vaddr;
    u->vdso.u.rti.table_data = bias + hdr_vaddr + 12;
    u->vdso.u.rti.table_len = (uint64_t)count * 8 / sizeof(unw_word_t);
    uint8_t *keep = realloc(img, size);
    if ((u->vdso_elf = elf_from_memory(keep ? keep : img, size)))
        u->vdso_syms = elf_symtab_new(u->vdso_elf);
    return;
out:
    free(img);
}

/* pc is in the vDSO's code (known once vdso_load has run). */
static bool in_vdso(const native_unwinder *u, uint64_t pc) {
    return u->vdso.format != -1 && pc >= u->vdso.start_ip && pc < u->vdso.end_ip;
}

/* libunwind-ptrace remembers the unwind tables of one object per _UPT
 * handle and maps the object's file again whenever a pc falls in another:
 * a stack through libc, libpython and an extension did that several times
 * per sample. One handle per object keeps each object's tables. */
static object_entry *object_at(native_unwinder *u, uint64_t pc, const proc_map **map);
static bool is_code(native_unwinder *u, uint64_t pc);

static int find_info(unw_addr_space_t as, unw_word_t ip, unw_proc_info_t *pi, int need,
                     void *arg) {
    native_unwinder *u = unwinding;
    if (u && !u->vdso_tried) vdso_load(u);
    if (u && in_vdso(u, ip))
        return _Ux86_64_dwarf_search_unwind_table(as, ip, &u->vdso, pi, need, arg);
    object_entry *o = u ? object_at(u, ip, NULL) : NULL;
    if (o && !o->upt) o->upt = _UPT_create(u->pid);
    if (o && o->upt && _UPT_find_proc_info(as, ip, pi, need, o->upt) >= 0) return 0;
    /* Not in a file we know (or the main thread is gone): the thread's own. */
    return _UPT_find_proc_info(as, ip, pi, need, arg);
}

/* ---- lifetime ---- */

native_unwinder *native_new(pid_t pid, const char *interp, bool our_child) {
    native_unwinder *u = calloc(1, sizeof *u);
    if (!u) return NULL;
    u->pid = pid;
    u->our_child = our_child;
    u->interp = interp ? strdup(interp) : NULL;
    unw_accessors_t acc = _UPT_accessors;
    acc.access_mem = cached_read;
    acc.access_reg = cached_reg;
    acc.find_proc_info = find_info;
    u->as = unw_create_addr_space(&acc, 0);
    if ((interp && !u->interp) || !u->as) {
        native_free(u);
        return NULL;
    }
    /* Return addresses repeat sample after sample: libunwind then skips the
     * DWARF lookup (file mapping, table search) for every cached one. */
    unw_set_caching_policy(u->as, UNW_CACHE_GLOBAL);
    unw_set_cache_size(u->as, 4096, 0);
    return u;
}

void native_free(native_unwinder *u) {
    if (!u) return;
    if (u->window) native_resume(u);
    for (size_t i = 0; i < u->nthreads; i++) {
        if (u->threads[i].upt) _UPT_destroy(u->threads[i].upt);
        free(u->threads[i].stack);
    }
    free(u->threads);
    for (size_t i = 0; i < u->nobjects; i++) {
        if (u->objects[i].upt) _UPT_destroy(u->objects[i].upt);
        free(u->objects[i].path);
    }
    free(u->objects);
    proc_maps_free(&u->maps);
    elf_symtab_free(u->vdso_syms);
    elf_close(u->vdso_elf);
    if (u->as) unw_destroy_addr_space(u->as);
    free(u->interp);
    free(u);
}

/* ---- stopping and resuming ---- */

static thread_slot *slot_of(const native_unwinder *u, pid_t tid) {
    for (size_t i = 0; i < u->nthreads; i++)
        if (u->threads[i].tid == tid) return &u->threads[i];
    return NULL;
}

static thread_slot *slot_add(native_unwinder *u, pid_t tid) {
    thread_slot *s = slot_of(u, tid);
    if (s) return s;
    if (u->nthreads == u->capthreads) {
        size_t ncap = u->capthreads ? u->capthreads * 2 : 16;
        thread_slot *n = realloc(u->threads, ncap * sizeof *n);
        if (!n) return NULL;
        u->threads = n;
        u->capthreads = ncap;
    }
    s = &u->threads[u->nthreads++];
    *s = (thread_slot){.tid = tid};
    return s;
}

/* A thread that is gone: forget it (its tid may be reused by another). */
static void slot_drop(native_unwinder *u, thread_slot *s) {
    if (s->upt) _UPT_destroy(s->upt);
    free(s->stack);
    *s = u->threads[--u->nthreads];
}

static int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void sleep_us(long us) {
    struct timespec ts = {0, us * 1000};
    while (nanosleep(&ts, &ts) && errno == EINTR) {}
}

/* Collects a traced thread's exit, unless it is the exit of our own child's
 * main thread, which the sampler's waitpid must see. Bounded: the thread is
 * dying, but its final notification may lag behind the stop we saw. */
static void reap_exit(const native_unwinder *u, pid_t tid) {
    if (u->our_child && tid == u->pid) return;
    for (int i = 0; i < 200; i++) {
        int st;
        pid_t r = waitpid(tid, &st, __WALL | WNOHANG);
        if (r == tid || (r < 0 && errno == ECHILD)) return;
        sleep_us(500);
    }
}

/* Waits for the interrupt to stop the thread. Returns 0 when stopped; -1
 * when it exited instead (then reaped as reap_exit says). */
static int wait_stopped(native_unwinder *u, thread_slot *s) {
    for (;;) {
        siginfo_t si;
        memset(&si, 0, sizeof si);
        /* Peek first: an exit may not be ours to collect. */
        if (waitid(P_PID, (id_t)s->tid, &si, WEXITED | WSTOPPED | __WALL | WNOWAIT)) {
            if (errno == EINTR) continue;
            return -1;   /* ECHILD: not (or no longer) traced by us */
        }
        if (si.si_code != CLD_TRAPPED && si.si_code != CLD_STOPPED) {
            reap_exit(u, s->tid);
            return -1;
        }
        int st;
        pid_t r;
        do r = waitpid(s->tid, &st, __WALL);
        while (r < 0 && errno == EINTR);
        if (r != s->tid) return -1;
        if (!WIFSTOPPED(st)) return -1;   /* died between the peek and now: already reaped */
        /* PTRACE_EVENT_STOP is our interrupt, or a group stop that detaching
         * leaves in place; anything else is a signal on its way in. */
        s->inject = (st >> 16) == PTRACE_EVENT_STOP ? 0 : WSTOPSIG(st);
        s->state = TH_STOPPED;
        s->stopped_at = now_ns();
        return 0;
    }
}

static void block_signals(native_unwinder *u) {
    static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGTSTP, SIGTTIN, SIGTTOU,
                               SIGPIPE, SIGALRM, SIGUSR1, SIGUSR2, SIGXCPU, SIGXFSZ, SIGVTALRM,
                               SIGPROF};
    sigset_t set;
    sigemptyset(&set);
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) sigaddset(&set, sigs[i]);
    sigprocmask(SIG_BLOCK, &set, &u->saved_mask);
}

size_t native_stop(native_unwinder *u, const pid_t *tids, size_t n) {
    if (!u->window) {
        block_signals(u);
        u->window = true;
        u->maps_fresh = false;
        u->generation = ++generations;
    }
    /* Seize and interrupt them all first, so they stop in parallel. */
    size_t seized = 0;
    pid_t *order = malloc((n ? n : 1) * sizeof *order);
    if (!order) return 0;
    for (size_t i = 0; i < n; i++) {
        thread_slot *s = slot_add(u, tids[i]);
        if (!s || s->state == TH_STOPPED) continue;
        if (ptrace(PTRACE_SEIZE, tids[i], NULL, NULL)) {
            /* The kernel answers EPERM, not ESRCH, for a thread that has
             * begun to exit (it is a zombie, or about to be released): that
             * is the thread going away, not csprof lacking permission,
             * which would leave the process without C frames for good. */
            if (errno == ESRCH || (errno == EPERM && !proc_thread_alive(u->pid, tids[i]))) {
                slot_drop(u, s);
            } else {
                u->last_error = errno;
                u->last_error_tid = tids[i];
            }
            continue;
        }
        /* Fails only when the thread died since the seize; the wait below
         * then collects its exit. */
        ptrace(PTRACE_INTERRUPT, tids[i], NULL, NULL);
        order[seized++] = tids[i];
    }
    size_t stopped = 0;
    for (size_t i = 0; i < seized; i++) {
        thread_slot *s = slot_of(u, order[i]);
        if (wait_stopped(u, s) == 0) stopped++;
        else slot_drop(u, s);
    }
    free(order);
    return stopped;
}

bool native_is_stopped(const native_unwinder *u, pid_t tid) {
    const thread_slot *s = slot_of(u, tid);
    return s && s->state == TH_STOPPED;
}

/* Detaches the stopped thread in slot i. Returns false when the slot was
 * dropped (the thread died while stopped), so the caller does not step on. */
static bool detach_slot(native_unwinder *u, size_t i) {
    thread_slot *s = &u->threads[i];
    s->state = TH_IDLE;
    if (ptrace(PTRACE_DETACH, s->tid, NULL, (void *)(intptr_t)s->inject) == 0) {
        u->held_ns += now_ns() - s->stopped_at;
        u->holds++;
        return true;
    }
    /* Only a thread killed (SIGKILL) while stopped refuses: collect it. */
    reap_exit(u, s->tid);
    slot_drop(u, s);
    return false;
}

void native_release(native_unwinder *u, pid_t tid) {
    thread_slot *s = slot_of(u, tid);
    if (s && s->state == TH_STOPPED) detach_slot(u, (size_t)(s - u->threads));
}

void native_forget(native_unwinder *u, pid_t tid) {
    thread_slot *s = u ? slot_of(u, tid) : NULL;
    if (s && s->state != TH_STOPPED) slot_drop(u, s);
}

size_t native_threads_kept(const native_unwinder *u) { return u->nthreads; }

void native_resume(native_unwinder *u) {
    for (size_t i = 0; i < u->nthreads;)
        if (u->threads[i].state != TH_STOPPED || detach_slot(u, i)) i++;
    if (u->window) {
        u->window = false;
        sigprocmask(SIG_SETMASK, &u->saved_mask, NULL);
    }
}

void native_held(const native_unwinder *u, double *seconds, uint64_t *stops) {
    *seconds = (double)u->held_ns / 1e9;
    *stops = u->holds;
}

int native_last_error(const native_unwinder *u, char *why, size_t len) {
    if (u->last_error && why) proc_ptrace_refusal(u->pid, u->last_error_tid, u->last_error, why, len);
    return u->last_error;
}

int native_probe(pid_t pid, bool our_child, char *why, size_t len) {
    native_unwinder *u = native_new(pid, NULL, our_child);
    if (!u) {
        snprintf(why, len, "out of memory");
        return ENOMEM;
    }
    size_t stopped = native_stop(u, &pid, 1);
    native_resume(u);
    int err = stopped ? 0 : u->last_error ? u->last_error : ESRCH;
    if (err) proc_ptrace_refusal(pid, pid, err, why, len);
    native_free(u);
    return err;
}

/* ---- copying and unwinding ---- */

/* How many bytes of s's stack to copy, from the page of its stack pointer
 * up: what its last walk read, and a quarter more and a page, as the stack
 * may be deeper at the next sample; twice as far as it wanted when it
 * wanted more than was copied (that walk was cut short there, so how much
 * more is unknown). After a deep stack it shrinks by 1/32 per sample (by
 * half in 22), not at once: a stack that goes deep now and then is copied
 * whole. */
static size_t copy_span(const thread_slot *s) {
    if (!s->want) return COPY_FIRST;
    uint64_t used = s->used_hi > s->stack_lo ? s->used_hi - s->stack_lo : 0;
    uint64_t want = used >= COPY_MOST / 2 ? COPY_MOST
                    : s->used_hi > s->stack_hi ? 2 * used : used + used / 4 + PAGE_SIZE_;
    if (want < s->want - s->want / 32) want = s->want - s->want / 32;
    want = (want + PAGE_SIZE_ - 1) & ~(uint64_t)(PAGE_SIZE_ - 1);
    return want < COPY_LEAST ? COPY_LEAST : want > COPY_MOST ? COPY_MOST : (size_t)want;
}

int native_copy(native_unwinder *u, pid_t tid) {
    thread_slot *s = slot_of(u, tid);
    if (!s || s->state != TH_STOPPED) return -1;
    s->copy_gen = 0;
    if (ptrace(PTRACE_GETREGS, tid, NULL, &s->regs)) return -1;
    size_t want = copy_span(s);
    uint64_t lo = s->regs.rsp & ~(uint64_t)(PAGE_SIZE_ - 1);
    s->want = want;
    if (want > s->stack_cap) {
        uint8_t *b = realloc(s->stack, want);
        if (b) {
            s->stack = b;
            s->stack_cap = want;
        } else {
            want = s->stack_cap;   /* a shorter copy: the walk may stop early */
        }
    }
    /* The top of the stack's mapping ends the copy there (partial read). */
    ssize_t got = want ? proc_read_partial(u->pid, lo, s->stack, want) : 0;
    s->stack_lo = s->used_hi = lo;
    s->stack_hi = lo + (got > 0 ? (uint64_t)got : 0);
    s->copy_gen = u->generation;
    return 0;
}

int native_unwind(native_unwinder *u, pid_t tid, uint64_t *pcs, int max, bool *complete) {
    *complete = false;
    thread_slot *s = slot_of(u, tid);
    if (!s || max <= 0) return -1;
    if (s->copy_gen != u->generation && native_copy(u, tid)) return -1;
    if (!s->upt && !(s->upt = _UPT_create(tid))) return -1;
    unw_cursor_t c;
    unwinding = u;
    unwinding_slot = s;
    if (unw_init_remote(&c, u->as, s->upt) < 0) {
        unwinding = NULL;
        unwinding_slot = NULL;
        return -1;
    }
    int n = 0;
    bool exact = true;   /* the leaf, and the frame a signal interrupted, hold no return address */
    while (n < max) {
        unw_word_t ip;
        if (unw_get_reg(&c, UNW_REG_IP, &ip) < 0 || ip == 0) {
            /* A zero return address is how the outermost frame ends. */
            *complete = n > 0 && ip == 0;
            break;
        }
        /* A return address outside any executable mapping is not one: the
         * walk went astray (libunwind guesses from the frame pointer where
         * a function has no unwind table, and a function that uses rbp for
         * data leaves it pointing anywhere). Stop there rather than show a
         * made-up caller; the walk is then incomplete. The leaf is the
         * thread's own instruction pointer and is always kept. */
        if (n > 0 && !is_code(u, ip)) break;
        pcs[n++] = exact ? ip : ip - 1;
        exact = unw_is_signal_frame(&c) > 0;
        int r = unw_step(&c);
        if (r == 0) {
            *complete = true;
            break;
        }
        if (r < 0) break;
    }
    unwinding = NULL;
    unwinding_slot = NULL;
    return n;
}

/* ---- symbols ---- */

static const proc_map *map_of(const proc_maps *m, uint64_t pc) {
    size_t lo = 0, hi = m->n;   /* maps are sorted by address, as the kernel lists them */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (m->maps[mid].end <= pc) lo = mid + 1;
        else hi = mid;
    }
    return lo < m->n && m->maps[lo].start <= pc ? &m->maps[lo] : NULL;
}

static object_entry *object_of(native_unwinder *u, const char *path) {
    for (size_t i = 0; i < u->nobjects; i++)
        if (!strcmp(u->objects[i].path, path)) return &u->objects[i];
    if (u->nobjects == u->capobjects) {
        size_t ncap = u->capobjects ? u->capobjects * 2 : 16;
        object_entry *n = realloc(u->objects, ncap * sizeof *n);
        if (!n) return NULL;
        u->objects = n;
        u->capobjects = ncap;
    }
    object_entry *o = &u->objects[u->nobjects];
    *o = (object_entry){.path = strdup(path)};
    if (!o->path) return NULL;
    u->nobjects++;
    return o;
}

static const char *base_name(const char *path) {
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/* The mapping holding pc, or NULL. */
static const proc_map *map_at(native_unwinder *u, uint64_t pc) {
    const proc_map *m = map_of(&u->maps, pc);
    /* A library loaded since the maps were read: read them again, at most
     * once per stop window. Code in an anonymous mapping (libffi's
     * trampolines, a JIT) is usually just that, and reading the maps of a
     * big process costs a millisecond, so only once a second for it. */
    if (u->maps_fresh || (m && m->path)) return m;   /* every frame of every walk: no clock */
    int64_t now = now_ns();
    if (!m || now - u->maps_read_at > 1000000000LL) {
        proc_maps fresh;
        if (proc_maps_read(u->pid, &fresh) == 0) {
            proc_maps_free(&u->maps);
            u->maps = fresh;
            u->maps_epoch = ++generations;
        }
        u->maps_fresh = true;
        u->maps_read_at = now;
        m = map_of(&u->maps, pc);
    }
    return m;
}

/* The mapped file holding pc, or NULL. */
static object_entry *object_at(native_unwinder *u, uint64_t pc, const proc_map **map) {
    const proc_map *m = map_at(u, pc);
    if (map) *map = m;
    return m && m->path ? object_of(u, m->path) : NULL;
}

/* pc lies in memory the target may execute: the vDSO or an executable
 * mapping. */
static bool is_code(native_unwinder *u, uint64_t pc) {
    if (!u->vdso_tried) vdso_load(u);
    if (in_vdso(u, pc)) return true;
    const proc_map *m = map_at(u, pc);
    return m && m->perms[2] == 'x';
}

/* out->function = sym, demangled into out->buf when it is a C++ or Rust name. */
static void set_name(native_symbol *out, const char *sym) {
    out->function = demangle(sym, out->buf, sizeof out->buf) ? out->buf : sym;
    out->known = true;
}

void native_group_name(const char *object, char *out, size_t len) {
    char module[512];
    if (object[0] == '[') snprintf(out, len, "%s", object);
    else if (classify_extension_module(object, module, sizeof module))
        snprintf(out, len, "[%s]", module);
    else
        snprintf(out, len, "[%s]", base_name(object));
}

/* No symbol covers the pc: the object stands for it (native_group_name). */
static void set_group(native_symbol *out, const char *object) {
    if (object[0] == '[') {
        out->function = object;
        return;
    }
    native_group_name(object, out->buf, sizeof out->buf);
    out->function = out->buf;
}

void native_symbolize(native_unwinder *u, uint64_t pc, native_symbol *out) {
    out->object = "[unknown]";
    out->interp = out->known = false;
    const proc_map *m = NULL;
    if (!u->vdso_tried) vdso_load(u);
    if (in_vdso(u, pc)) {
        out->object = "[vdso]";
        const char *name =
            u->vdso_syms ? elf_symtab_lookup(u->vdso_syms, pc - u->vdso_bias, NULL) : NULL;
        if (name) set_name(out, name);
        else set_group(out, out->object);
        return;
    }
    object_entry *o = object_at(u, pc, &m);
    if (o) {
        out->object = o->path;
        out->interp = u->interp && !strcmp(o->path, u->interp);
        if (!o->tried) {
            o->tried = true;
            o->file = objfile_get(o->path);
        }
        const elf_symtab *syms = o->file ? objfile_symbols(o->file) : NULL;
        uint64_t vaddr;
        if (syms && elf_offset_to_vaddr(objfile_elf(o->file), pc - m->start + m->offset,
                                        &vaddr) == 0) {
            const char *name = elf_symtab_lookup(syms, vaddr, NULL);
            if (name) {
                set_name(out, name);
                return;
            }
        }
    }
    set_group(out, out->object);
}
