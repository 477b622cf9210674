/* Unit tests for pycode.c's resolution of a walk (pycode_resolve) and its
 * memo of the last stack (resolve_memo), over code objects laid out (with
 * 3.12's generated offsets) in this very process and read through
 * process_vm_readv on our own pid. */
#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "pyreader_int.h"

static alignas(64) uint8_t code_a[512], code_b[512], strs[7][256], empty_bytes[64], func[512];
enum { FILE_A, NAME_A, FILE_B, NAME_B, NAME_B2, NAME_C, EMPTY };

static void put_u64(uint8_t *at, uint32_t off, uint64_t v) { memcpy(at + off, &v, sizeof v); }
static void put_u32(uint8_t *at, uint32_t off, uint32_t v) { memcpy(at + off, &v, sizeof v); }
static uint64_t addr(const void *p) { return (uint64_t)(uintptr_t)p; }

/* A compact ASCII str holding text, with a cached hash. */
static void make_str(const py_layout *L, uint8_t *s, const char *text, uint64_t hash) {
    memset(s, 0, 256);
    put_u32(s, L->unicode_state, L->state_compact_bit | L->state_ascii_bit |
                                     (1u << L->state_kind_shift));
    put_u64(s, L->unicode_length, strlen(text));
    put_u64(s, L->unicode_hash, hash);
    memcpy(s + L->unicode_ascii_size, text, strlen(text) + 1);
}

/* A code object named name in file, first line line, with no line table. */
static void make_code(const py_layout *L, uint8_t *c, const uint8_t *file, const uint8_t *name,
                      int line) {
    memset(c, 0, 512);
    put_u64(c, L->code_filename, addr(file));
    put_u64(c, L->code_name, addr(name));
    if (L->code_qualname) put_u64(c, L->code_qualname, addr(name));
    put_u64(c, L->code_linetable, addr(empty_bytes));
    put_u32(c, L->code_firstlineno, (uint32_t)line);
}

static py_process *process(const py_layout *L) {
    py_process *pp = calloc(1, sizeof *pp);
    if (!pp) return NULL;
    pp->pid = getpid();
    pp->minor = 12;
    pp->off = *L;
    pp->names = pynames_new(pp->pid, &pp->off, 12, 0, 0, (static_span){0, 0});
    if (!pp->names || pycode_init(pp)) {
        pynames_free(pp->names);
        free(pp);
        return NULL;
    }
    return pp;
}

/* Lays out a walk, leaf first, of the code objects in codes[0..n) at
 * instruction offset 0, and resolves it as the first thread's next sample.
 * Returns the depth; the frames' function names go to names[]. */
static int resolve(py_process *pp, uint8_t *const *codes, uint32_t n, const char **names) {
    pp->generation++;
    pp->resolve_ts = 0x10000;   /* the first thread: the memo is used */
    for (uint32_t i = 0; i < n; i++) pp->raw[i] = (raw_frame){addr(codes[i]), -1, false, 0, 0};
    int depth = pycode_resolve(pp, n, true);
    for (int i = 0; i < depth; i++) {
        const py_code_info *ci = py_code_at(pp, pp->frames[i].code);
        names[i] = ci ? ci->function : NULL;
    }
    return depth;
}

/* The memo gives a stack the names of the last one where their outer
 * frames agree, but never past a code object replaced at the same address:
 * verify_codes reloads it, and every frame is named again. */
TEST(memo_follows_a_code_object_replaced_in_place) {
    const py_layout *L = pyoffsets_table(12, PY_BUILD_DEFAULT);
    CHECK(L != NULL);
    if (!L) return;
    make_str(L, strs[FILE_A], "a.py", 11);
    make_str(L, strs[NAME_A], "alpha", 12);
    make_str(L, strs[FILE_B], "b.py", 13);
    make_str(L, strs[NAME_B], "beta", 14);
    make_str(L, strs[NAME_B2], "beta_two", 15);
    make_str(L, strs[NAME_C], "gamma", 16);
    make_code(L, code_a, strs[FILE_A], strs[NAME_A], 10);
    make_code(L, code_b, strs[FILE_B], strs[NAME_B], 20);
    py_process *pp = process(L);
    CHECK(pp != NULL);
    if (!pp) return;
    uint8_t *walk[3] = {code_a, code_b, code_b};   /* leaf first */
    const char *names[3] = {0};
    CHECK_EQ_INT(resolve(pp, walk, 3, names), 3);
    CHECK_EQ_STR(names[0], "alpha");
    CHECK_EQ_STR(names[2], "beta");
    CHECK(pp->memo && pp->memo->n == 3);
    /* The same walk again, then one whose leaf changed: the outer frames
     * come from the memo, the leaf is looked up. */
    CHECK_EQ_INT(resolve(pp, walk, 3, names), 3);
    CHECK_EQ_STR(names[1], "beta");
    walk[0] = code_b;
    CHECK_EQ_INT(resolve(pp, walk, 3, names), 3);
    CHECK_EQ_STR(names[0], "beta");
    CHECK_EQ_STR(names[2], "beta");
    /* The outer code object freed and another made at its address. */
    make_code(L, code_b, strs[FILE_B], strs[NAME_B2], 20);
    CHECK_EQ_INT(resolve(pp, walk, 3, names), 3);
    CHECK_EQ_STR(names[0], "beta_two");
    CHECK_EQ_STR(names[1], "beta_two");
    CHECK_EQ_STR(names[2], "beta_two");
    /* Its name changed in place (same address, another str): the hash
     * check sees it, as before the memo. */
    make_str(L, strs[NAME_B2], "gamma", 16);
    CHECK_EQ_INT(resolve(pp, walk, 3, names), 3);
    CHECK_EQ_STR(names[2], "gamma");
    /* Another thread's stack is not given the first thread's names. */
    pp->generation++;
    pp->resolve_ts = 0x20000;
    pp->raw[0] = (raw_frame){addr(code_a), -1, false, 0, 0};
    CHECK_EQ_INT(pycode_resolve(pp, 1, true), 1);
    const py_code_info *ci = py_code_at(pp, pp->frames[0].code);
    CHECK(ci && !strcmp(ci->function, "alpha"));
    pycode_free(pp);
    pynames_free(pp->names);
    free(pp);
}

/* A frame whose function object cannot name it (here: an empty
 * __qualname__) is named by its code, and pynames tries it again at every
 * sample: the memo keeps only the frames outside it. */
TEST(memo_stops_at_a_frame_named_by_its_code_for_want_of_its_function) {
    const py_layout *L = pyoffsets_table(12, PY_BUILD_DEFAULT);
    CHECK(L != NULL);
    if (!L) return;
    make_str(L, strs[FILE_A], "a.py", 11);
    make_str(L, strs[NAME_A], "alpha", 12);
    make_str(L, strs[EMPTY], "", 17);
    make_code(L, code_a, strs[FILE_A], strs[NAME_A], 10);
    memset(func, 0, sizeof func);
    put_u64(func, L->func_code, addr(code_a));
    put_u64(func, L->func_qualname, addr(strs[EMPTY]));
    py_process *pp = process(L);
    CHECK(pp != NULL);
    if (!pp) return;
    uint8_t *walk[3] = {code_a, code_a, code_a};
    const char *names[3] = {0};
    CHECK_EQ_INT(resolve(pp, walk, 3, names), 3);
    CHECK(pp->memo && pp->memo->n == 3);   /* no function objects: all kept */
    pp->raw[1].func = addr(func);          /* the middle frame's function */
    pp->generation++;
    CHECK_EQ_INT(pycode_resolve(pp, 3, true), 3);
    CHECK(pp->memo && pp->memo->n == 1);   /* the root frame alone */
    const py_code_info *ci = py_code_at(pp, pp->frames[1].code);
    CHECK(ci && !strcmp(ci->function, "alpha"));
    pycode_free(pp);
    pynames_free(pp->names);
    free(pp);
}

int main(void) {
    const py_layout *L = pyoffsets_table(12, PY_BUILD_DEFAULT);
    if (L) put_u64(empty_bytes, L->bytes_size, 0);
    RUN(memo_follows_a_code_object_replaced_in_place);
    RUN(memo_stops_at_a_frame_named_by_its_code_for_want_of_its_function);
    return check_summary();
}
