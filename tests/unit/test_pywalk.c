/* Unit tests for pywalk.c's 3.11+ walker, over _PyInterpreterFrames laid
 * out (with the generated offset tables) in this very process and read
 * through process_vm_readv on our own pid. */
#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "check.h"
#include "proc.h"
#include "pyreader_int.h"

/* A data stack: three frames one after another, leaf last. */
#define FRAME_BYTES 1024
static alignas(4096) uint8_t stack[4 * FRAME_BYTES];
static alignas(64) uint8_t code_obj[512], func_obj[64];

static void put_u64(uint8_t *at, uint32_t off, uint64_t v) { memcpy(at + off, &v, sizeof v); }

static uint64_t addr(const void *p) { return (uint64_t)(uintptr_t)p; }

/* Builds, one after another as in a data stack, the eval loop's shim
 * (slot 0, 3.12+: where a thread's frames bottom out) and frames root
 * (slot 1), middle (2) and leaf (3); the leaf's function reference is
 * leaf_func (a tagged stack reference from 3.14). Returns the leaf. */
static uint64_t build(const py_layout *L, uint64_t leaf_func) {
    memset(stack, 0, sizeof stack);
    uint32_t shim_owner = L->owner_cstack ? L->owner_cstack : L->owner_interpreter;
    if (shim_owner) stack[L->iframe_owner] = (uint8_t)(shim_owner - 1);
    for (int i = 1; i <= 3; i++) {
        uint8_t *f = stack + i * FRAME_BYTES;
        uint64_t prev = i > 1 ? addr(stack + (i - 1) * FRAME_BYTES) : shim_owner ? addr(stack) : 0;
        put_u64(f, L->iframe_previous, prev);
        put_u64(f, L->iframe_code, addr(code_obj));
        put_u64(f, L->iframe_instr, addr(code_obj) + L->code_adaptive + 2u * (uint64_t)(i - 1));
        put_u64(f, L->iframe_funcobj - 1, i == 3 ? leaf_func : addr(func_obj));
        f[L->iframe_owner] = 0;   /* owned by the thread */
    }
    return addr(stack + 3 * FRAME_BYTES);
}

static py_process *process_for(int minor) {
    const py_layout *L = pyoffsets_table(minor, PY_BUILD_DEFAULT);
    if (!L) return NULL;
    py_process *pp = calloc(1, sizeof *pp);
    if (!pp) return NULL;
    pp->pid = getpid();
    pp->minor = minor;
    pp->off = *L;
    pp->iframe_need = pywalk_iframe_need(pp);
    return pp;
}

/* One walk from leaf; its return value, the depth found in *depth. */
static int walk(py_process *pp, uint64_t leaf, bool strict, uint32_t *depth) {
    bool truncated = false;
    *depth = 0;
    int rc = pywalk_interpreter_frames(pp, leaf, depth, &truncated, strict);
    CHECK(!truncated);
    return rc;
}

TEST(walks_three_frames_leaf_first) {
    for (int minor = 14; minor <= 15; minor++) {
        py_process *pp = process_for(minor);
        CHECK(pp != NULL);
        if (!pp) return;
        CHECK(pywalk_iframe_need(pp) <= FRAME_BYTES);
        uint64_t leaf = build(&pp->off, addr(func_obj) | 1);   /* a deferred reference */
        uint32_t depth = 0;
        bool truncated = false;
        CHECK_EQ_INT(pywalk_interpreter_frames(pp, leaf, &depth, &truncated, true), 0);
        CHECK_EQ_INT(depth, 3);
        CHECK(!truncated);
        CHECK(pp->raw[0].code_addr == addr(code_obj));
        CHECK_EQ_INT(pp->raw[0].offset, 4);   /* the leaf: 2 code units in */
        CHECK_EQ_INT(pp->raw[2].offset, 0);
        CHECK((pp->raw[0].func & ~(uint64_t)pp->off.stackref_tag_mask) == addr(func_obj));
        free(pp);
    }
}

/* 3.14+ clears a returned frame's f_funcobj to the NULL reference after
 * unlinking it: a walk that meets one raced that return and is read again,
 * not kept with the function's name lost, but for the leaf on the last try. */
TEST(a_frame_cleared_under_the_walk_is_refused) {
    for (int minor = 14; minor <= 15; minor++) {
        py_process *pp = process_for(minor);
        CHECK(pp != NULL);
        if (!pp) return;
        uint32_t depth = 0;
        bool truncated = false;
        uint64_t null_bits[] = {0, 1};   /* NULL with and without the deferred tag */
        for (size_t k = 0; k < 2; k++) {
            uint64_t leaf = build(&pp->off, null_bits[k]);
            CHECK_EQ_INT(pywalk_interpreter_frames(pp, leaf, &depth, &truncated, true), -1);
            /* The last, lenient try keeps a cleared leaf, named by its code. */
            CHECK_EQ_INT(pywalk_interpreter_frames(pp, leaf, &depth, &truncated, false), 0);
            CHECK_EQ_INT(depth, 3);
            CHECK(pp->raw[0].func == 0);
            CHECK(pp->raw[0].code_addr == addr(code_obj));
        }
        /* A caller cleared: refused on every try. */
        uint64_t leaf = build(&pp->off, addr(func_obj) | 1);
        put_u64(stack + 2 * FRAME_BYTES, pp->off.iframe_funcobj - 1, 1);
        CHECK_EQ_INT(pywalk_interpreter_frames(pp, leaf, &depth, &truncated, false), -1);
        free(pp);
    }
}

/* Before 3.14 f_funcobj is a plain pointer that a frame's clearing leaves
 * as it was: no such rule, and a NULL there is not taken for a race. */
TEST(before_3_14_a_null_function_is_kept) {
    py_process *pp = process_for(13);
    CHECK(pp != NULL);
    if (!pp) return;
    uint64_t leaf = build(&pp->off, 0);
    uint32_t depth = 0;
    bool truncated = false;
    CHECK_EQ_INT(pywalk_interpreter_frames(pp, leaf, &depth, &truncated, true), 0);
    CHECK_EQ_INT(depth, 3);
    free(pp);
}

/* Runs check on a fresh process for each of 3.11-3.15's tables. */
static void each_minor(void (*check)(py_process *pp, const py_layout *L)) {
    for (int minor = 11; minor <= 15; minor++) {
        py_process *pp = process_for(minor);
        CHECK(pp != NULL);
        if (!pp) return;
        check(pp, &pp->off);
        free(pp);
    }
}

/* A walk must end where a thread's frames do: at the eval loop's shim
 * (3.12+) or at a frame of the thread's own (3.11). One that ends at a
 * generator's frame (unlinked when it yielded) lost its callers. */
static void ends_where_a_thread_does(py_process *pp, const py_layout *L) {
    uint32_t depth;
    uint64_t leaf = build(L, addr(func_obj));
    CHECK_EQ_INT(walk(pp, leaf, true, &depth), 0);
    CHECK(pp->bottoms_seen);
    /* The root unlinked from its shim (3.12+), or a generator's (3.11). */
    if (pp->minor >= 12) put_u64(stack + FRAME_BYTES, L->iframe_previous, 0);
    else stack[FRAME_BYTES + L->iframe_owner] = 1;   /* FRAME_OWNED_BY_GENERATOR */
    CHECK_EQ_INT(walk(pp, leaf, true, &depth), -1);
    /* The last try keeps it only where no walk ever ended right. */
    CHECK_EQ_INT(walk(pp, leaf, false, &depth), -1);
    pp->bottoms_seen = false;
    CHECK_EQ_INT(walk(pp, leaf, false, &depth), 0);
    CHECK_EQ_INT(depth, 3);
}

TEST(a_walk_ends_where_a_thread_does) { each_minor(ends_where_a_thread_does); }

/* Links read while they changed can loop, and a slot read while it changed
 * can hold no object: both are refused, never walked to the depth bound. */
static void loops_and_torn_slots_refused(py_process *pp, const py_layout *L) {
    uint32_t depth;
    uint64_t leaf = build(L, addr(func_obj));
    put_u64(stack + FRAME_BYTES, L->iframe_previous, leaf);   /* root -> leaf */
    CHECK_EQ_INT(walk(pp, leaf, true, &depth), -1);
    CHECK_EQ_INT(walk(pp, leaf, false, &depth), -1);
    leaf = build(L, addr(func_obj));
    put_u64(stack + 2 * FRAME_BYTES, L->iframe_code, 0x10);
    CHECK_EQ_INT(walk(pp, leaf, true, &depth), -1);
}

TEST(a_looping_or_torn_walk_is_refused) { each_minor(loops_and_torn_slots_refused); }

/* A frame of the walk in mixed_walk, at f: a shim (owned by the C stack)
 * or a frame of the thread's, whose caller is prev. */
static void put_frame(const py_layout *L, uint8_t *f, uint64_t prev, bool shim) {
    memset(f, 0, FRAME_BYTES);
    put_u64(f, L->iframe_previous, prev);
    if (shim) {
        f[L->iframe_owner] = (uint8_t)(L->owner_cstack - 1);
        return;
    }
    put_u64(f, L->iframe_code, addr(code_obj));
    put_u64(f, L->iframe_instr, addr(code_obj) + L->code_adaptive);
    put_u64(f, L->iframe_funcobj - 1, addr(func_obj));
}

/* Code that C calls back (3.12-3.14): the walk goes back and forth between
 * the data stack, the C stack's shims (one per call of the eval loop,
 * older ones above) and a generator's frame in its object. Leaf first:
 * D3 (data stack) -> S1 (C stack) -> G (generator) -> S2 -> D2 -> D1 -> S3,
 * the root's shim. Each of the three places is read once: the C stack
 * upwards from the first shim, where the older ones are. Read in one
 * shared copy, the walk read each shim again (5 reads here). */
static void mixed_walk(py_process *pp, const py_layout *L) {
    if (!L->owner_cstack) return;   /* 3.15 and 3.11: no C-stack shims */
    size_t len = 32u << 20;
    uint8_t *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                      -1, 0);
    CHECK(m != MAP_FAILED);
    if (m == MAP_FAILED) return;
    uint8_t *gen = m + 2 * PAGE + 0x800;            /* 20 MB below the C stack */
    uint8_t *cs = m + (20u << 20);
    uint8_t *s1 = cs + PAGE + 0x100, *s2 = cs + PAGE + 0x900, *s3 = cs + 2 * PAGE + 0x200;
    uint8_t *d1 = stack + FRAME_BYTES, *d2 = stack + 2 * FRAME_BYTES, *d3 = stack + 3 * FRAME_BYTES;
    memset(stack, 0, sizeof stack);
    put_frame(L, s3, 0, true);
    put_frame(L, d1, addr(s3), false);
    put_frame(L, d2, addr(d1), false);
    put_frame(L, s2, addr(d2), true);
    put_frame(L, gen, addr(s2), false);
    put_frame(L, s1, addr(gen), true);
    put_frame(L, d3, addr(s1), false);
    pp->cstack_hint = addr(s1) - 0x40;   /* 3.12's _PyCFrame, or a shim seen before */
    uint64_t before = proc_reads_made();
    uint32_t depth;
    CHECK_EQ_INT(walk(pp, addr(d3), true, &depth), 0);
    CHECK_EQ_INT(depth, 4);
    CHECK(pp->raw[0].entry && pp->raw[1].entry && !pp->raw[2].entry);
    CHECK_EQ_INT(proc_reads_made() - before, 3);
    /* The C stack's end: the pages above the last shim are not mapped.
     * The read stops there and keeps the page it got: no read of the
     * shim on its own after it. */
    CHECK(munmap(cs + 3 * PAGE, PAGE) == 0);
    uint8_t *top = cs + 2 * PAGE + 0x300;
    put_frame(L, top, 0, true);
    put_frame(L, d3, addr(top), false);
    pp->cstack_hint = addr(top);
    before = proc_reads_made();
    CHECK_EQ_INT(walk(pp, addr(d3), true, &depth), 0);
    CHECK_EQ_INT(depth, 1);
    CHECK_EQ_INT(proc_reads_made() - before, 2);
    munmap(m, len);
}

TEST(a_walk_through_c_and_generators_reads_each_place_once) { each_minor(mixed_walk); }

int main(void) {
    RUN(walks_three_frames_leaf_first);
    RUN(a_frame_cleared_under_the_walk_is_refused);
    RUN(before_3_14_a_null_function_is_kept);
    RUN(a_walk_ends_where_a_thread_does);
    RUN(a_looping_or_torn_walk_is_refused);
    RUN(a_walk_through_c_and_generators_reads_each_place_once);
    return check_summary();
}
