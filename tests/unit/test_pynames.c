/* Unit tests for pynames.c's speculative check (pynames_spec_add/_check),
 * over a function object and its __qualname__ str laid out (with 3.12's
 * generated offsets) in this very process and read through
 * process_vm_readv on our own pid. */
#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "check.h"
#include "proc.h"
#include "pynames.h"

static alignas(64) uint8_t code_obj[512], func_obj[512], name_a[256], name_b[256];

static void put_u64(uint8_t *at, uint32_t off, uint64_t v) { memcpy(at + off, &v, sizeof v); }
static void put_u32(uint8_t *at, uint32_t off, uint32_t v) { memcpy(at + off, &v, sizeof v); }
static uint64_t addr(const void *p) { return (uint64_t)(uintptr_t)p; }

/* A compact ASCII str holding text, with a cached hash. */
static void make_str(const py_layout *L, uint8_t *s, const char *text, uint64_t hash) {
    memset(s, 0, 256);
    uint32_t state = L->state_compact_bit | L->state_ascii_bit | (1u << L->state_kind_shift);
    put_u32(s, L->unicode_state, state);
    put_u64(s, L->unicode_length, strlen(text));
    put_u64(s, L->unicode_hash, hash);
    memcpy(s + L->unicode_ascii_size, text, strlen(text) + 1);
}

static void make_func(const py_layout *L, uint64_t qualname) {
    memset(func_obj, 0, sizeof func_obj);
    put_u64(func_obj, L->func_code, addr(code_obj));
    put_u64(func_obj, L->func_qualname, qualname);
}

/* The layout, strs name_a and name_b holding a and b, func_obj named by
 * name_a, and a py_names over them (statics: the target's static storage);
 * NULL (a check failed) when there is none. */
static py_names *setup(const py_layout **L, const char *a, const char *b, static_span statics) {
    *L = pyoffsets_table(12, PY_BUILD_DEFAULT);
    CHECK(*L != NULL);
    if (!*L) return NULL;
    make_str(*L, name_a, a, 1111);
    make_str(*L, name_b, b, 2222);
    make_func(*L, addr(name_a));
    py_names *nm = pynames_new(getpid(), *L, 12, 0, 0, statics);
    CHECK(nm != NULL);
    return nm;
}

/* Names one frame of code_obj run by func_obj; returns the view's name. */
static const char *name_now(py_names *nm, uint32_t gen, uint32_t *view) {
    pyname_frame *in = pynames_frames(nm);
    in[0] = (pyname_frame){1, addr(code_obj), "code_name", "file.py", addr(func_obj), 0, false};
    uint32_t other = 0;
    CHECK_EQ_INT(pynames_resolve(nm, 1, gen, view, &other), 0);
    CHECK_EQ_INT(other, 0);
    const pyname_view *v = pynames_view(nm, *view);
    return v ? v->function : NULL;
}

/* What a sampler's speculative read does: the pieces, read in one call. */
static void spec_round(py_names *nm, uint32_t view, uint32_t gen, uint32_t *npieces) {
    struct iovec local[8], remote[8];
    bool full[8];
    uint32_t n = pynames_spec_add(nm, &view, 1, local, remote, 8);
    *npieces = n;
    ssize_t got = proc_readv(getpid(), local, remote, n);
    for (uint32_t i = 0; i < n; i++) {
        full[i] = got >= (ssize_t)local[i].iov_len;
        got = full[i] ? got - (ssize_t)local[i].iov_len : 0;
    }
    pynames_spec_check(nm, full, gen);
}

/* A function object unchanged since the last sample counts as verified:
 * the naming that follows in the same sample does not read it again (its
 * __qualname__ pointer is changed after the check to show that). */
TEST(unchanged_function_is_verified_by_the_speculative_read) {
    const py_layout *L;
    py_names *nm = setup(&L, "outer.<locals>.alpha", "outer.<locals>.beta", (static_span){0, 0});
    if (!nm) return;
    uint32_t view = 0, pieces = 0;
    CHECK_EQ_STR(name_now(nm, 1, &view), "outer.<locals>.alpha");
    spec_round(nm, view, 2, &pieces);
    CHECK_EQ_INT(pieces, 2);   /* the object's identity span, its name's hash */
    put_u64(func_obj, L->func_qualname, addr(name_b));
    CHECK_EQ_STR(name_now(nm, 2, &view), "outer.<locals>.alpha");
    /* The next sample's own verification sees the change. */
    CHECK_EQ_STR(name_now(nm, 3, &view), "outer.<locals>.beta");
    pynames_free(nm);
}

/* A function object whose address now holds another function (another
 * __qualname__), or whose name's hash changed, is left to pynames_resolve,
 * which reloads it: the speculative check never vouches for a change. */
TEST(changed_function_is_left_to_the_full_verification) {
    const py_layout *L;
    py_names *nm = setup(&L, "outer.<locals>.alpha", "outer.<locals>.beta", (static_span){0, 0});
    if (!nm) return;
    uint32_t view = 0, pieces = 0;
    CHECK_EQ_STR(name_now(nm, 1, &view), "outer.<locals>.alpha");
    put_u64(func_obj, L->func_qualname, addr(name_b));
    spec_round(nm, view, 2, &pieces);
    CHECK_EQ_STR(name_now(nm, 2, &view), "outer.<locals>.beta");
    /* Same object, same str address, new text and hash: a str reused in place. */
    make_str(L, name_b, "outer.<locals>.gamma", 3333);
    spec_round(nm, view, 3, &pieces);
    CHECK_EQ_STR(name_now(nm, 3, &view), "outer.<locals>.gamma");
    pynames_free(nm);
}

/* A piece the read could not copy proves nothing. */
TEST(unread_piece_verifies_nothing) {
    const py_layout *L;
    py_names *nm = setup(&L, "outer.<locals>.alpha", "outer.<locals>.beta", (static_span){0, 0});
    if (!nm) return;
    uint32_t view = 0;
    CHECK_EQ_STR(name_now(nm, 1, &view), "outer.<locals>.alpha");
    struct iovec local[8], remote[8];
    bool full[8] = {true, false};
    CHECK_EQ_INT(pynames_spec_add(nm, &view, 1, local, remote, 1), 0);  /* no room: nothing */
    CHECK_EQ_INT(pynames_spec_add(nm, &view, 1, local, remote, 8), 2);
    /* The identity span is read (and matches), the name's hash is not. */
    CHECK(proc_readv(getpid(), local, remote, 1) == (ssize_t)local[0].iov_len);
    pynames_spec_check(nm, full, 2);
    put_u64(func_obj, L->func_qualname, addr(name_b));
    CHECK_EQ_STR(name_now(nm, 2, &view), "outer.<locals>.beta");
    pynames_free(nm);
}

/* A frame whose function object runs another code object (its slot was
 * being set up for another call when copied): counted, and named by its
 * code, never by that other function's name. */
TEST(function_running_another_code_is_counted) {
    const py_layout *L = pyoffsets_table(12, PY_BUILD_DEFAULT);
    CHECK(L != NULL);
    if (!L) return;
    make_str(L, name_a, "concatenate", 3333);
    make_func(L, addr(name_a));
    put_u64(func_obj, L->func_code, addr(code_obj) + 64);   /* another code object */
    py_names *nm = pynames_new(getpid(), L, 12, 0, 0, (static_span){0, 0});
    CHECK(nm != NULL);
    if (!nm) return;
    pyname_frame *in = pynames_frames(nm);
    in[0] = (pyname_frame){1, addr(code_obj), "public_api", "file.py", addr(func_obj), 0, false};
    uint32_t view = 0, other = 0;
    CHECK_EQ_INT(pynames_resolve(nm, 1, 1, &view, &other), 0);
    CHECK_EQ_INT(other, 1);
    CHECK_EQ_INT(view, 1);   /* the code's own id: its names stand */
    /* The same function running the frame's code: named by it, not counted. */
    put_u64(func_obj, L->func_code, addr(code_obj));
    CHECK_EQ_INT(pynames_resolve(nm, 1, 2, &view, &other), 0);
    CHECK_EQ_INT(other, 0);
    const pyname_view *v = pynames_view(nm, view);
    CHECK(v && v->function && !strcmp(v->function, "concatenate"));
    pynames_free(nm);
}

/* A __qualname__ in the target's static storage is never freed, so its
 * address never holds another str: a check copies the function object's
 * identity alone (one piece, not two), and still sees the function change.
 * The span covers name_a only. */
TEST(static_name_needs_no_hash_piece) {
    const py_layout *L;
    static_span statics = {addr(name_a), addr(name_a) + sizeof name_a};
    py_names *nm = setup(&L, "<module>", "outer.<locals>.beta", statics);
    if (!nm) return;
    uint32_t view = 0, pieces = 0;
    CHECK_EQ_STR(name_now(nm, 1, &view), "<module>");
    spec_round(nm, view, 2, &pieces);
    CHECK_EQ_INT(pieces, 1);
    put_u64(func_obj, L->func_qualname, addr(name_b));
    CHECK_EQ_STR(name_now(nm, 2, &view), "<module>");   /* verified before the change */
    spec_round(nm, view, 3, &pieces);                   /* sees it: left to the full check */
    CHECK_EQ_STR(name_now(nm, 3, &view), "outer.<locals>.beta");
    /* A name outside the span keeps its hash piece. */
    spec_round(nm, view, 4, &pieces);
    CHECK_EQ_INT(pieces, 2);
    pynames_free(nm);
}

/* A stack kept from the last sample is named by its views if each one's
 * function object is still the one cached: pynames_recheck reads those not
 * verified in this generation, and refuses when one changed, which
 * pynames_resolve then reloads. */
TEST(recheck_vouches_only_for_unchanged_functions) {
    const py_layout *L;
    py_names *nm = setup(&L, "outer.<locals>.alpha", "outer.<locals>.beta", (static_span){0, 0});
    if (!nm) return;
    uint32_t view = 0, code_id = 1;
    CHECK_EQ_STR(name_now(nm, 1, &view), "outer.<locals>.alpha");
    CHECK_EQ_INT(pynames_recheck(nm, &view, 1, 1), 0);   /* verified when named */
    CHECK_EQ_INT(pynames_recheck(nm, &view, 1, 2), 0);   /* read now, unchanged */
    CHECK_EQ_INT(pynames_recheck(nm, &code_id, 1, 3), 0);   /* a code id: nothing to check */
    put_u64(func_obj, L->func_qualname, addr(name_b));
    CHECK_EQ_INT(pynames_recheck(nm, &view, 1, 2), 0);   /* verified in generation 2 already */
    CHECK_EQ_INT(pynames_recheck(nm, &view, 1, 3), -1);  /* read in 3: changed */
    CHECK_EQ_STR(name_now(nm, 3, &view), "outer.<locals>.beta");
    uint32_t bad = PYNAMES_VIEW_BASE + 1000;
    CHECK_EQ_INT(pynames_recheck(nm, &bad, 1, 3), -1);   /* no such view */
    pynames_free(nm);
}

/* The one test of importlib's _find_and_load, cached per code object. */
TEST(import_loader_is_importlibs_find_and_load) {
    CHECK(pynames_import_loader("_find_and_load", "<frozen importlib._bootstrap>"));
    CHECK(!pynames_import_loader("_find_and_load", "mymodule.py"));
    CHECK(!pynames_import_loader("_find_and_load_unlocked", "<frozen importlib._bootstrap>"));
    CHECK(!pynames_import_loader(NULL, "<frozen importlib._bootstrap>"));
}

int main(void) {
    RUN(unchanged_function_is_verified_by_the_speculative_read);
    RUN(changed_function_is_left_to_the_full_verification);
    RUN(unread_piece_verifies_nothing);
    RUN(function_running_another_code_is_counted);
    RUN(static_name_needs_no_hash_piece);
    RUN(recheck_vouches_only_for_unchanged_functions);
    RUN(import_loader_is_importlibs_find_and_load);
    return check_summary();
}
