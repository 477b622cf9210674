/* Unit tests for pyreader.c's sample (py_sample) over an interpreter laid
 * out (with 3.12's generated offsets) in this very process and read
 * through process_vm_readv on our own pid: its thread list, thread state,
 * _PyCFrame and data stack. */
#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "check.h"
#include "proc.h"
#include "pyreader_int.h"

#define FRAME_BYTES 256
static alignas(64) uint8_t interp[4096], tstate[4096], cframe[256], runtime[4096];
static alignas(64) uint8_t code_obj[512], func_obj[64];

static void put_u64(uint8_t *at, uint32_t off, uint64_t v) { memcpy(at + off, &v, sizeof v); }
static uint64_t addr(const void *p) { return (uint64_t)(uintptr_t)p; }

static int stacks_seen;
static int count_stack(void *ctx, const py_thread_stack *st) {
    (void)ctx;
    (void)st;
    stacks_seen++;
    return 0;
}

/* A 3.12 process whose one thread's walk never holds together: its five
 * frames (in a data stack of their own, far from the _PyCFrame on the C
 * stack) end at a frame of the thread's own, not at the eval loop's shim,
 * where every walk of this process ended before (bottoms_seen). */
static uint8_t *stack;   /* its data stack, mapped apart from the rest */

static py_process *torn_process(void) {
    const py_layout *L = pyoffsets_table(12, PY_BUILD_DEFAULT);
    if (!L) return NULL;
    stack = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (stack == MAP_FAILED) return NULL;
    py_process *pp = calloc(1, sizeof *pp);
    if (!pp) return NULL;
    pp->pid = getpid();
    pp->minor = 12;
    pp->off = *L;
    pp->runtime = addr(runtime);
    pp->iframe_need = pywalk_iframe_need(pp);
    pp->names = pynames_new(pp->pid, &pp->off, 12, 0, 0, (static_span){0, 0});
    if (!pp->names || pycode_init(pp)) {
        pynames_free(pp->names);
        free(pp);
        return NULL;
    }
    pp->interps[0] = addr(interp);
    pp->ninterps = 1;
    pp->bottoms_seen = true;
    put_u64(interp, L->interp_threads_head, addr(tstate));
    put_u64(tstate, L->tstate_next, 0);
    put_u64(tstate, L->tstate_thread_id, 0x1234);
    put_u64(tstate, L->tstate_native_thread_id, (uint64_t)syscall(SYS_gettid));
    put_u64(tstate, L->tstate_frame, addr(cframe));
    for (int i = 0; i < 5; i++) {
        uint8_t *f = stack + i * FRAME_BYTES;
        put_u64(f, L->iframe_previous, i ? addr(f - FRAME_BYTES) : 0);
        put_u64(f, L->iframe_code, addr(code_obj));
        put_u64(f, L->iframe_instr, addr(code_obj) + L->code_adaptive);
        put_u64(f, L->iframe_funcobj - 1, addr(func_obj));
    }
    put_u64(cframe, L->cframe_current_frame, addr(stack + 4 * FRAME_BYTES));
    return pp;
}

static void free_process(py_process *pp) {
    pycode_free(pp);
    pynames_free(pp->names);
    free(pp->memo);
    free(pp);
    munmap(stack, 4096);
}

/* A stack that does not hold together is read four more times before it
 * is dropped. Each try of the first thread is one speculative read of
 * where the refused walk went (thread list head, thread state, the
 * current frame through its _PyCFrame, the data stack), so that its
 * frames are copied within microseconds of each other. Here: the first
 * sample's four reads (the thread list head, the thread state, the
 * current frame, the data stack), one per try, and the look at whether
 * the runtime is shutting down that a dropped stack costs. Read piece by
 * piece, a try was three reads (the thread state, the current frame, the
 * data stack): 17 in all. */
TEST(a_stack_read_again_is_read_in_one_call_a_try) {
    py_process *pp = torn_process();
    CHECK(pp != NULL);
    if (!pp) return;
    py_sample_result res;
    stacks_seen = 0;
    uint64_t before = proc_reads_made();
    CHECK_EQ_INT(py_sample(pp, count_stack, NULL, NULL, &res), PY_OK);
    uint64_t reads = proc_reads_made() - before;
    CHECK_EQ_INT(res.threads, 1);
    CHECK_EQ_INT(res.dropped, 1);
    CHECK_EQ_INT(stacks_seen, 0);
    CHECK_EQ_INT(reads, 4 + 4 + 1);
    free_process(pp);
}

static alignas(64) uint8_t tstate2[4096];

static bool second_idle(void *ctx, const py_thread_stack *ids) {
    (void)ctx;
    return ids->thread_id == 0x5678;
}

/* A thread found idle again costs no read of its own: the speculative
 * read copies every thread state the last sample went through, after the
 * first thread's pieces. Here the first thread runs no Python (its current
 * frame is NULL) and the second is idle: after the first sample (the
 * thread list head, then each thread state, and the first's current frame
 * through its _PyCFrame: 4 reads) a sample is one read. */
TEST(an_idle_thread_costs_no_read) {
    py_process *pp = torn_process();
    CHECK(pp != NULL);
    if (!pp) return;
    const py_layout *L = &pp->off;
    put_u64(cframe, L->cframe_current_frame, 0);
    memcpy(tstate2, tstate, sizeof tstate2);
    put_u64(tstate, L->tstate_next, addr(tstate2));
    put_u64(tstate2, L->tstate_thread_id, 0x5678);
    py_sample_result res;
    for (int i = 0; i < 3; i++) {
        uint64_t before = proc_reads_made();
        CHECK_EQ_INT(py_sample(pp, count_stack, second_idle, NULL, &res), PY_OK);
        CHECK_EQ_INT(res.threads, 2);
        CHECK_EQ_INT(res.dropped, 0);
        CHECK_EQ_INT(proc_reads_made() - before, i == 0 ? 4 : 1);
    }
    put_u64(tstate, L->tstate_next, 0);
    free_process(pp);
}

static bool pool_idle(void *ctx, const py_thread_stack *ids) {
    (void)ctx;
    return ids->thread_id >= 0x10000;
}

/* A pool of 100 idle workers: after the first sample (the head, each
 * thread state, the first's current frame: 103 reads), a sample is one
 * read. With 16 thread states in the speculative read it was 85: the 84
 * beyond them one read each, at every tick (64 idle workers at 1000 Hz:
 * csprof used 36% of a CPU, 19% now). */
#define POOL 100
static alignas(64) uint8_t pool_ts[POOL][1024];

TEST(a_pool_of_idle_threads_costs_one_read) {
    py_process *pp = torn_process();
    CHECK(pp != NULL);
    if (!pp) return;
    const py_layout *L = &pp->off;
    put_u64(cframe, L->cframe_current_frame, 0);
    put_u64(tstate, L->tstate_next, addr(pool_ts[0]));
    for (int i = 0; i < POOL; i++) {
        memcpy(pool_ts[i], tstate, sizeof pool_ts[i]);
        put_u64(pool_ts[i], L->tstate_thread_id, 0x10000 + (uint64_t)i);
        put_u64(pool_ts[i], L->tstate_next, i + 1 < POOL ? addr(pool_ts[i + 1]) : 0);
    }
    py_sample_result res;
    for (int i = 0; i < 3; i++) {
        uint64_t before = proc_reads_made();
        CHECK_EQ_INT(py_sample(pp, count_stack, pool_idle, NULL, &res), PY_OK);
        CHECK_EQ_INT(res.threads, POOL + 1);
        CHECK_EQ_INT(res.dropped, 0);
        CHECK_EQ_INT(proc_reads_made() - before, i == 0 ? POOL + 3 : 1);
    }
    put_u64(tstate, L->tstate_next, 0);
    free_process(pp);
}

static bool all_idle(void *ctx, const py_thread_stack *ids) {
    (void)ctx;
    (void)ids;
    return true;
}

/* A thread state freed under the walk may link back into the list (a free
 * list's pointers, read as links): the walk stops at the loop, counting
 * one dropped sample, rather than go round it to MAX_THREADS (4096 reads
 * of thread states, seen to hold one tick for 85 ms to 1.3 s). */
TEST(a_thread_list_that_meets_itself_is_cut) {
    py_process *pp = torn_process();
    CHECK(pp != NULL);
    if (!pp) return;
    const py_layout *L = &pp->off;
    memcpy(tstate2, tstate, sizeof tstate2);
    put_u64(tstate, L->tstate_next, addr(tstate2));
    put_u64(tstate2, L->tstate_thread_id, 0x5678);
    put_u64(tstate2, L->tstate_next, addr(tstate));
    py_sample_result res;
    for (int i = 0; i < 2; i++) {
        CHECK_EQ_INT(py_sample(pp, count_stack, all_idle, NULL, &res), PY_OK);
        CHECK(res.threads <= 4);
        CHECK_EQ_INT(res.dropped, 1);
    }
    put_u64(tstate2, L->tstate_next, addr(tstate2));   /* one that links to itself */
    CHECK_EQ_INT(py_sample(pp, count_stack, all_idle, NULL, &res), PY_OK);
    CHECK(res.threads <= 4);
    CHECK_EQ_INT(res.dropped, 1);
    put_u64(tstate, L->tstate_next, 0);
    free_process(pp);
}

int main(void) {
    RUN(a_stack_read_again_is_read_in_one_call_a_try);
    RUN(an_idle_thread_costs_no_read);
    RUN(a_thread_list_that_meets_itself_is_cut);
    RUN(a_pool_of_idle_threads_costs_one_read);
    return check_summary();
}
