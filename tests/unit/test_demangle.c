/* test_demangle.c -- C++ and Rust names through libiberty, bounded. */
#include "check.h"
#include "demangle.h"

#include <stdlib.h>
#include <string.h>

static const char *dm(const char *sym, size_t len) {
    static char buf[4096];
    if (len > sizeof buf) len = sizeof buf;
    return demangle(sym, buf, len) ? buf : "(not mangled)";
}

TEST(cpp_names_with_parameters) {
    /* torch's operator entry point, as in the report. */
    CHECK_EQ_STR(dm("_ZN2at4_ops6linear4callERKNS_6TensorES4_RKN3c108optionalIS2_EE", 512),
                 "at::_ops::linear::call(at::Tensor const&, at::Tensor const&, "
                 "c10::optional<at::Tensor> const&)");
    CHECK_EQ_STR(dm("_ZNSt6vectorIiSaIiEE9push_backERKi", 512),
                 "std::vector<int, std::allocator<int> >::push_back(int const&)");
    /* GCC's split-off cold part keeps its function's name. */
    CHECK_EQ_STR(dm("_Z3fooi.cold", 512), "foo(int) [clone .cold]");
}

TEST(rust_names_without_hash) {
    /* Legacy: also a valid C++ name, but the hash goes. */
    CHECK_EQ_STR(dm("_ZN4core3fmt9Formatter3pad17h0123456789abcdefE", 512),
                 "core::fmt::Formatter::pad");
    /* v0: the crate disambiguator goes too. */
    CHECK_EQ_STR(dm("_RNvCs15kBYyAo9fc_7mycrate7example", 512), "mycrate::example");
    CHECK_EQ_STR(dm("_RNvNtCs1234_7mycrate3foo3bar", 512), "mycrate::foo::bar");
}

TEST(plain_and_invalid_names_refused) {
    CHECK_EQ_STR(dm("dpotrf2_", 512), "(not mangled)");
    CHECK_EQ_STR(dm("_PyEval_EvalFrameDefault", 512), "(not mangled)");
    CHECK_EQ_STR(dm("_Zinvalid", 512), "(not mangled)");
    CHECK_EQ_STR(dm("_Rx", 512), "(not mangled)");
    CHECK_EQ_STR(dm("", 512), "(not mangled)");
    CHECK(!demangle(NULL, (char[8]){0}, 8));
    CHECK(!demangle("_Z3fooi", (char[3]){0}, 3));
}

TEST(long_output_cut_with_ellipsis) {
    const char *full = "at::_ops::linear::call(at::Tensor const&, at::Tensor const&, "
                       "c10::optional<at::Tensor> const&)";
    char buf[20];
    CHECK(demangle("_ZN2at4_ops6linear4callERKNS_6TensorES4_RKN3c108optionalIS2_EE", buf,
                   sizeof buf));
    CHECK_EQ_INT(strlen(buf), sizeof buf - 1);
    CHECK(!strncmp(buf, full, sizeof buf - 4));
    CHECK_EQ_STR(buf + sizeof buf - 4, "...");
}

/* A cut never leaves half a UTF-8 character: Rust v0 identifiers may be
 * Unicode (punycode in the symbol), here "mycrate::gödel". */
TEST(cut_respects_utf8) {
    char full[256], buf[256];
    CHECK(demangle("_RNvCs15kBYyAo9fc_7mycrateu8gdel_5qa", full, sizeof full));
    for (size_t len = 4; len < strlen(full) + 1; len++) {
        CHECK(demangle("_RNvCs15kBYyAo9fc_7mycrateu8gdel_5qa", buf, len));
        size_t n = strlen(buf);
        CHECK(n < len);
        if (n >= 3 && !strcmp(buf + n - 3, "...")) {
            /* What precedes the dots is a prefix of the full name ending on
             * a character boundary. */
            CHECK(!strncmp(buf, full, n - 3));
            CHECK(((unsigned char)full[n - 3] & 0xC0) != 0x80);
        } else {
            CHECK_EQ_STR(buf, full);
        }
    }
}

TEST(over_long_input_not_tried) {
    size_t n = DEMANGLE_MAX_INPUT + 10;
    char *sym = malloc(n + 1);
    CHECK(sym != NULL);
    if (!sym) return;
    memcpy(sym, "_ZN", 3);
    memset(sym + 3, '1', n - 3);
    sym[n] = '\0';
    char out[64];
    CHECK(!demangle(sym, out, sizeof out));
    free(sym);
}

TEST(looks_mangled) {
    CHECK(demangle_looks_mangled("_ZN2at6TensorD2Ev"));
    CHECK(demangle_looks_mangled("_RNvCs1_3foo3bar"));
    CHECK(!demangle_looks_mangled("_Rx"));
    CHECK(!demangle_looks_mangled("PyObject_Call"));
    CHECK(!demangle_looks_mangled(NULL));
}

/* The vector function ABI's SIMD variants: libmvec's, and GCC's clones of
 * "declare simd" functions, whose scalar name may itself be C++. Seen raw
 * in a numpy/SciPy report (_ZGVbN4vv_atan2f). */
TEST(simd_variants_name_their_scalar_function) {
    static const char *const cases[][2] = {
        {"_ZGVbN4vv_atan2f", "atan2f [SIMD: SSE, 4 lanes]"},
        {"_ZGVdN4v_cos", "cos [SIMD: AVX2, 4 lanes]"},
        {"_ZGVeM16v_expf", "expf [SIMD: AVX-512, 16 lanes, masked]"},
        {"_ZGVcN8vvv_sincosf", "sincosf [SIMD: AVX, 8 lanes]"},
        {"_ZGVsMxv_sinf", "sinf [SIMD: SVE, scalable, masked]"},
        /* Linear, uniform and aligned parameters, and a C++ scalar name. */
        {"_ZGVbN4ul4va16_foo", "foo [SIMD: SSE, 4 lanes]"},
        {"_ZGVbN4vls1_bar", "bar [SIMD: SSE, 4 lanes]"},
        {"_ZGVbN4v__Z3food", "foo(double) [SIMD: SSE, 4 lanes]"},
        /* Not variants: the plain guard variable stays libiberty's, and
         * broken ones are refused rather than half-read. */
        {"_ZGVZ3foovE1x", "guard variable for foo()::x"},
        {"_ZGVbN4vv_", "(not mangled)"},
        {"_ZGVbN1v_f", "(not mangled)"},
        {"_ZGVqN4v_f", "(not mangled)"},
        {"_ZGVbX4v_f", "(not mangled)"},
        {"_ZGVbN4vq_f", "(not mangled)"},
        {"_ZGVbNxv_f", "(not mangled)"},
        {"_ZGVbN4v_a b", "(not mangled)"},
        {"_ZGVbN123456v_f", "(not mangled)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        CHECK_EQ_STR(dm(cases[i][0], 512), cases[i][1]);
    /* Cut like any other name. */
    char buf[16];
    CHECK(demangle("_ZGVbN4vv_atan2f", buf, sizeof buf));
    CHECK_EQ_STR(buf, "atan2f [SIMD...");
}

int main(void) {
    RUN(cpp_names_with_parameters);
    RUN(rust_names_without_hash);
    RUN(plain_and_invalid_names_refused);
    RUN(long_output_cut_with_ellipsis);
    RUN(cut_respects_utf8);
    RUN(over_long_input_not_tried);
    RUN(looks_mangled);
    RUN(simd_variants_name_their_scalar_function);
    return check_summary();
}
