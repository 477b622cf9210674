/* test_stackmerge.c -- splicing Python frames into native stacks. */
#include "check.h"
#include "stackmerge.h"

#include <stdbool.h>
#include <stdio.h>

#define LIBPY "/opt/py/lib/libpython3.12.so.1.0"
#define EXT "/site/_fast.cpython-312-x86_64-linux-gnu.so"
#define LIBC "/lib/x86_64-linux-gnu/libc.so.6"

/* A native frame in the interpreter, in an extension or libc, or the loop. */
#define I(fn) {fn, LIBPY, false, true, 0}
#define X(fn, obj) {fn, obj, false, false, 0}
#define EVAL {"_PyEval_EvalFrameDefault", LIBPY, true, true, 0}
/* An unnamed frame of an object, standing for all of it (group id g). */
#define G(name, obj, g) {name, obj, false, false, g}

typedef struct {
    const char *name;
    bool entry;
} pyf;

/* Renders the merge as "a;b;c" (Python names plain, native ones in [ ]), or
 * "MISMATCH". */
static const char *merge(const sm_native *nat, size_t nn, bool complete, const pyf *py,
                         size_t np) {
    static char buf[2048];
    bool entry[64];
    sm_frame out[128];
    for (size_t i = 0; i < np; i++) entry[i] = py[i].entry;
    long n = stackmerge(nat, nn, complete, entry, np, out, sizeof out / sizeof out[0]);
    if (n < 0) return "MISMATCH";
    size_t o = 0;
    buf[0] = '\0';
    for (long i = 0; i < n; i++) {
        const char *name = out[i].native ? nat[out[i].index].function : py[out[i].index].name;
        o += (size_t)snprintf(buf + o, sizeof buf - o, "%s%s%s%s", i ? ";" : "",
                              out[i].native ? "[" : "", name, out[i].native ? "]" : "");
    }
    return buf;
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* Before 3.11: one eval call per Python frame, every frame an entry. */
TEST(one_frame_per_eval_call_before_311) {
    sm_native nat[] = {X("_start", "/usr/bin/python3.8"), X("__libc_start_main", LIBC),
                       I("Py_BytesMain"), I("PyRun_SimpleFileExFlags"), I("PyEval_EvalCode"),
                       EVAL, I("_PyFunction_Vectorcall"), I("function_code_fastcall"), EVAL,
                       I("call_function"), I("_PyFunction_Vectorcall"), EVAL};
    pyf py[] = {{"<module>", true}, {"main", true}, {"work", true}};
    CHECK_EQ_STR(merge(nat, N(nat), true, py, N(py)), "<module>;main;work");
}

/* 3.11+: Python-to-Python calls stay in one eval call. */
TEST(several_frames_per_eval_call_311) {
    sm_native nat[] = {X("_start", "/usr/bin/python3.11"), I("Py_RunMain"), EVAL,
                       I("_PyObject_Vectorcall"), X("qsort_r", LIBC), X("msort", LIBC),
                       X("_CallPythonObject", EXT), I("_PyObject_Call"), EVAL};
    pyf py[] = {{"<module>", true}, {"main", false}, {"sort_it", false},
                {"compare", true}, {"key_of", false}};
    CHECK_EQ_STR(merge(nat, N(nat), true, py, N(py)),
                 "<module>;main;sort_it;[qsort_r];[msort];[_CallPythonObject];compare;key_of");
}

/* The interpreter's own C code at the leaf (sorted()'s list_sort, attribute
 * lookup) is charged to the Python frame running it... */
TEST(interpreter_leaf_charged_to_python_frame) {
    sm_native nat[] = {I("Py_RunMain"), EVAL, I("PyObject_Vectorcall"), I("builtin_sorted"),
                       I("list_sort"), I("unsafe_long_compare")};
    pyf py[] = {{"<module>", true}, {"main", false}};
    CHECK_EQ_STR(merge(nat, N(nat), true, py, N(py)), "<module>;main");
    sm_native attr[] = {EVAL, I("PyObject_GetAttr"), I("_PyObject_GenericGetAttrWithDict")};
    CHECK_EQ_STR(merge(attr, N(attr), true, py, N(py)), "<module>;main");
}

/* ...while C beneath it that is not the interpreter's stays, in order. */
TEST(library_frames_beneath_interpreter_kept) {
    sm_native nat[] = {EVAL, I("cfunction_vectorcall_FASTCALL"),
                       X("cholesky", "/numpy/linalg/_umath_linalg.so"),
                       X("dpotrf2_", "/lib/liblapack.so.3"), X("dtrsm_", "/lib/libblas.so.3")};
    pyf py[] = {{"fit", true}, {"cho_factor", false}};
    CHECK_EQ_STR(merge(nat, N(nat), true, py, N(py)),
                 "fit;cho_factor;[cholesky];[dpotrf2_];[dtrsm_]");
    /* libc under the interpreter (the allocator, memmove) hangs directly
     * under the Python frame. */
    sm_native lc[] = {EVAL, I("list_resize"), I("PyMem_Realloc"), X("realloc", LIBC),
                      X("_int_realloc", LIBC)};
    CHECK_EQ_STR(merge(lc, N(lc), true, py, N(py)), "fit;cho_factor;[realloc];[_int_realloc]");
}

/* Unnamed frames of one object are one frame where they are adjacent (even
 * through interpreter frames that are left out); a named frame or another
 * object between them keeps them apart. */
TEST(unnamed_frames_grouped_per_object) {
    sm_native nat[] = {EVAL, I("_PyObject_MakeTpCall"), G("[_multiarray_umath.so]", EXT, 7),
                       G("[_multiarray_umath.so]", EXT, 7), I("PyNumber_Add"),
                       G("[_multiarray_umath.so]", EXT, 7), X("PyArray_Dot", EXT),
                       G("[_multiarray_umath.so]", EXT, 7), G("[libopenblas.so]", LIBC, 9),
                       G("[libopenblas.so]", LIBC, 9)};
    pyf py[] = {{"step", true}};
    CHECK_EQ_STR(merge(nat, N(nat), true, py, N(py)),
                 "step;[[_multiarray_umath.so]];[PyArray_Dot];[[_multiarray_umath.so]];"
                 "[[libopenblas.so]]");
    /* Across a Python frame, the same group shows again. */
    sm_native cb[] = {EVAL, G("[ext]", EXT, 3), EVAL, G("[ext]", EXT, 3)};
    pyf two[] = {{"outer", true}, {"callback", true}};
    CHECK_EQ_STR(merge(cb, N(cb), true, two, N(two)), "outer;[[ext]];callback;[[ext]]");
}

TEST(extension_leaf_under_python_caller) {
    sm_native nat[] = {EVAL, I("cfunction_vectorcall_O"), X("fast_hash", EXT),
                       X("sha256_block", "/lib/libcrypto.so.3")};
    pyf py[] = {{"<module>", true}, {"digest", false}};
    CHECK_EQ_STR(merge(nat, N(nat), true, py, N(py)), "<module>;digest;[fast_hash];[sha256_block]");
}

/* The same extension call, with and without a Python callback running,
 * hangs under its Python caller the same way; the interpreter work an
 * extension asks for (PyLong_FromLong) is charged to the extension. */
TEST(extension_path_same_with_and_without_callback) {
    sm_native busy[] = {EVAL, I("_PyObject_MakeTpCall"), X("PyCFuncPtr_call", EXT),
                        X("qsort_r", LIBC), X("_CallPythonObject", EXT), I("_PyObject_Call"), EVAL};
    sm_native quiet[] = {EVAL, I("_PyObject_MakeTpCall"), X("PyCFuncPtr_call", EXT),
                         X("qsort_r", LIBC), X("_CallPythonObject", EXT), I("PyLong_FromLong"),
                         I("_PyObject_Malloc")};
    pyf two[] = {{"sort_it", true}, {"py_cmp", true}};
    pyf one[] = {{"sort_it", true}};
    CHECK_EQ_STR(merge(busy, N(busy), true, two, N(two)),
                 "sort_it;[PyCFuncPtr_call];[qsort_r];[_CallPythonObject];py_cmp");
    CHECK_EQ_STR(merge(quiet, N(quiet), true, one, N(one)),
                 "sort_it;[PyCFuncPtr_call];[qsort_r];[_CallPythonObject]");
}

TEST(thread_in_eval_loop_has_python_leaf) {
    sm_native nat[] = {X("start_thread", LIBC), I("thread_run"), EVAL, I("_PyObject_Call"), EVAL};
    pyf py[] = {{"run", true}, {"spin", true}, {"inner", false}};
    CHECK_EQ_STR(merge(nat, N(nat), true, py, N(py)), "run;spin;inner");
}

/* The .cold part of the loop is the same call, not a second one. */
TEST(eval_symbol_names) {
    CHECK(stackmerge_is_eval("_PyEval_EvalFrameDefault"));
    CHECK(stackmerge_is_eval("_PyEval_EvalFrameDefault.cold"));
    CHECK(!stackmerge_is_eval("_PyEval_EvalFrameDefault.part.0"));
    CHECK(!stackmerge_is_eval("PyEval_EvalFrameEx"));
    CHECK(!stackmerge_is_eval("_PyEval_EvalFrame"));
    CHECK(!stackmerge_is_eval("_PyEval_EvalFrameDefaultX"));
    CHECK(!stackmerge_is_eval(NULL));
}

/* A frame pushed but its eval call not entered yet: one group too many. */
TEST(count_mismatch_falls_back) {
    sm_native nat[] = {EVAL, I("_PyFunction_Vectorcall")};
    pyf py[] = {{"<module>", true}, {"f", true}};
    CHECK_EQ_STR(merge(nat, N(nat), true, py, N(py)), "MISMATCH");
    sm_native more[] = {EVAL, I("x"), EVAL, I("y"), EVAL};
    CHECK_EQ_STR(merge(more, N(more), true, py, N(py)), "MISMATCH");
    /* Even an incomplete unwind cannot hold more eval calls than groups. */
    CHECK_EQ_STR(merge(more, N(more), false, py, N(py)), "MISMATCH");
}

TEST(no_eval_frame_falls_back) {
    sm_native nat[] = {X("main", "/usr/bin/app"), X("work", "/usr/bin/app")};
    pyf py[] = {{"f", true}};
    CHECK_EQ_STR(merge(nat, N(nat), true, py, N(py)), "MISMATCH");
    CHECK_EQ_STR(merge(nat, 0, true, py, N(py)), "MISMATCH");
}

/* The outermost Python frame always starts an eval call; if it does not,
 * the Python stack is cut (deeper than the reader's limit). */
TEST(python_stack_without_leading_entry_falls_back) {
    sm_native nat[] = {EVAL};
    pyf py[] = {{"f", false}, {"g", false}};
    CHECK_EQ_STR(merge(nat, N(nat), false, py, N(py)), "MISMATCH");
    CHECK_EQ_STR(merge(nat, N(nat), true, py, 0), "MISMATCH");
}

/* An unwind cut short at the root lines up from the leaf. */
TEST(truncated_native_stack_matched_from_leaf) {
    sm_native nat[] = {I("_PyFunction_Vectorcall"), EVAL, X("qsort", LIBC), EVAL, I("list_sort")};
    pyf py[] = {{"<module>", true}, {"a", true}, {"b", true}, {"cmp", true}, {"key", false}};
    CHECK_EQ_STR(merge(nat, N(nat), false, py, N(py)), "<module>;a;b;[qsort];cmp;key");
    CHECK_EQ_STR(merge(nat, N(nat), true, py, N(py)), "MISMATCH");
}

TEST(output_capacity_checked) {
    sm_native nat[] = {EVAL, X("c", EXT)};
    bool entry[] = {true, false};
    sm_frame out[3];
    CHECK_EQ_INT(stackmerge(nat, 2, true, entry, 2, out, 3), -1);
    sm_frame out4[4];
    CHECK_EQ_INT(stackmerge(nat, 2, true, entry, 2, out4, 4), 3);
    CHECK(!out4[0].native && out4[0].index == 0);
    CHECK(!out4[1].native && out4[1].index == 1);
    CHECK(out4[2].native && out4[2].index == 1);
}

/* Deep recursion before 3.11: every level is one eval call. */
TEST(deep_recursion_pairs_every_level) {
    enum { DEPTH = 40 };
    sm_native nat[2 * DEPTH];
    pyf py[DEPTH];
    char names[DEPTH][16];
    for (int i = 0; i < DEPTH; i++) {
        nat[2 * i] = (sm_native)EVAL;
        nat[2 * i + 1] = (sm_native)I("_PyFunction_Vectorcall");
        snprintf(names[i], sizeof names[i], "d%d", i);
        py[i] = (pyf){names[i], true};
    }
    char want[512];
    size_t o = 0;
    for (int i = 0; i < DEPTH; i++)
        o += (size_t)snprintf(want + o, sizeof want - o, "%sd%d", i ? ";" : "", i);
    CHECK_EQ_STR(merge(nat, N(nat), true, py, N(py)), want);
}

int main(void) {
    RUN(one_frame_per_eval_call_before_311);
    RUN(several_frames_per_eval_call_311);
    RUN(interpreter_leaf_charged_to_python_frame);
    RUN(library_frames_beneath_interpreter_kept);
    RUN(unnamed_frames_grouped_per_object);
    RUN(extension_leaf_under_python_caller);
    RUN(extension_path_same_with_and_without_callback);
    RUN(thread_in_eval_loop_has_python_leaf);
    RUN(eval_symbol_names);
    RUN(count_mismatch_falls_back);
    RUN(no_eval_frame_falls_back);
    RUN(python_stack_without_leading_entry_falls_back);
    RUN(truncated_native_stack_matched_from_leaf);
    RUN(output_capacity_checked);
    RUN(deep_recursion_pairs_every_level);
    return check_summary();
}
