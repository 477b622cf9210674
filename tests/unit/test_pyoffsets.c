/* test_pyoffsets.c -- offsets tables per version and build kind, and the
 * reading of a target's _Py_DebugOffsets block (built here by hand). */
#include "check.h"
#include "pyoffsets.h"

#include <stdint.h>
#include <string.h>

/* A block with every position the table names set to a small valid offset
 * (its own position / 8 + 1, so that each one differs), the cookie, the
 * version and the free-threaded flag. */
static void fake_block(const py_layout *t, uint8_t *buf, size_t len, uint64_t ft) {
    memset(buf, 0, len);
    for (size_t pos = 8; pos + 8 <= t->debug_offsets_size; pos += 8) {
        uint64_t v = pos / 8 + 1;
        memcpy(buf + pos, &v, 8);
    }
    memcpy(buf, "xdebugpy", 8);
    uint64_t ver = (3ULL << 24) | ((uint64_t)t->minor << 16);
    memcpy(buf + t->debug_version, &ver, 8);
    memcpy(buf + t->debug_free_threaded, &ft, 8);
}

TEST(tables_per_build_kind) {
    for (int minor = 13; minor <= 14; minor++) {
        const py_layout *def = pyoffsets_table(minor, PY_BUILD_DEFAULT);
        const py_layout *ft = pyoffsets_table(minor, PY_BUILD_FREE_THREADED);
        const py_layout *dbg = pyoffsets_table(minor, PY_BUILD_DEBUG);
        CHECK(def && ft && dbg);
        if (!def || !ft || !dbg) continue;
        CHECK_EQ_INT(def->build, PY_BUILD_DEFAULT);
        CHECK_EQ_INT(ft->build, PY_BUILD_FREE_THREADED);
        /* The free-threaded object header is larger: ob_tid and friends. */
        CHECK(ft->ob_type > def->ob_type);
        CHECK(ft->unicode_hash > def->unicode_hash);
        /* Py_DEBUG leaves the object layout alone. */
        CHECK_EQ_INT(dbg->ob_type, def->ob_type);
        CHECK_EQ_INT(dbg->bytes_sval, def->bytes_sval);
    }
    /* 3.14t runs per-thread bytecode copies; 3.13t does not have them. */
    CHECK(pyoffsets_table(14, PY_BUILD_FREE_THREADED)->iframe_tlbc_index != 0);
    CHECK_EQ_INT(pyoffsets_table(13, PY_BUILD_FREE_THREADED)->iframe_tlbc_index, 0);
    CHECK_EQ_INT(pyoffsets_table(14, PY_BUILD_DEFAULT)->iframe_tlbc_index, 0);
    /* No free-threaded build before 3.13; a debug 3.12 reads as the default. */
    CHECK(pyoffsets_table(12, PY_BUILD_FREE_THREADED) == NULL);
    CHECK(pyoffsets_table(12, PY_BUILD_DEBUG) == pyoffsets_table(12, PY_BUILD_DEFAULT));
    CHECK(pyoffsets_table(7, PY_BUILD_DEFAULT) == NULL);
}

TEST(names_and_supported_list) {
    CHECK_EQ_STR(pyoffsets_build_name(PY_BUILD_DEFAULT), "default");
    CHECK_EQ_STR(pyoffsets_build_name(PY_BUILD_FREE_THREADED), "free-threaded");
    CHECK_EQ_STR(pyoffsets_build_name(PY_BUILD_DEBUG), "debug");
    char buf[200];
    pyoffsets_supported(buf, sizeof buf);
    CHECK(strncmp(buf, "3.8, 3.9, ", 10) == 0);
    CHECK(strstr(buf, "; free-threaded: 3.13t, 3.14t") != NULL);
    char tiny[12];
    pyoffsets_supported(tiny, sizeof tiny);  /* cut, still terminated */
    CHECK(strlen(tiny) < sizeof tiny);
}

TEST(resolve_checks_the_build_kind) {
    const py_layout *def = pyoffsets_table(14, PY_BUILD_DEFAULT);
    const py_layout *ft = pyoffsets_table(14, PY_BUILD_FREE_THREADED);
    uint8_t block[4096];
    py_layout out;
    char err[200];
    CHECK(def->debug_offsets_size <= sizeof block);

    fake_block(def, block, sizeof block, 1);
    CHECK_EQ_INT(pyoffsets_block_free_threaded(def, block, def->debug_offsets_size), 1);
    CHECK_EQ_INT(pyoffsets_resolve(def, block, def->debug_offsets_size, 0, &out, err, sizeof err), -1);
    CHECK(strstr(err, "free-threaded") != NULL);

    CHECK_EQ_INT(pyoffsets_resolve(ft, block, ft->debug_offsets_size, 0, &out, err, sizeof err), 0);
    CHECK_EQ_INT(out.iframe_tlbc_index, ft->iframe_tlbc_index / 8 + 1);
    CHECK_EQ_INT(out.code_tlbc, ft->code_tlbc / 8 + 1);
    CHECK_EQ_INT(out.ob_type, ft->ob_type);  /* a constant, not a position */

    fake_block(def, block, sizeof block, 0);
    CHECK_EQ_INT(pyoffsets_block_free_threaded(def, block, def->debug_offsets_size), 0);
    CHECK_EQ_INT(pyoffsets_resolve(ft, block, ft->debug_offsets_size, 0, &out, err, sizeof err), -1);
    CHECK_EQ_INT(pyoffsets_resolve(def, block, def->debug_offsets_size, 0, &out, err, sizeof err), 0);

    /* A corrupt optional entry (0 or huge) is refused, not used. */
    fake_block(ft, block, sizeof block, 1);
    uint64_t huge = 1ULL << 40;
    memcpy(block + ft->iframe_tlbc_index, &huge, 8);
    CHECK_EQ_INT(pyoffsets_resolve(ft, block, ft->debug_offsets_size, 0, &out, err, sizeof err), -1);
    /* Not a block at all. */
    memcpy(block, "notdebug", 8);
    CHECK_EQ_INT(pyoffsets_block_free_threaded(def, block, def->debug_offsets_size), -1);
    CHECK_EQ_INT(pyoffsets_block_free_threaded(def, block, 16), -1);
}

/* The code counter (pyoffsets.h, interp_code_counter): from the block's
 * position from 3.14, from the size-keyed list for 3.13, else none. */
TEST(code_counter_offsets) {
    uint8_t block[4096];
    py_layout out;
    char err[200];
    const py_layout *t14 = pyoffsets_table(14, PY_BUILD_DEFAULT);
    CHECK(t14->interp_code_counter != 0);
    fake_block(t14, block, sizeof block, 0);
    CHECK_EQ_INT(pyoffsets_resolve(t14, block, t14->debug_offsets_size, 0, &out, err, sizeof err), 0);
    CHECK_EQ_INT(out.interp_code_counter, t14->interp_code_counter / 8 + 1 + 1);
    /* An entry of 0 or beyond 1 MB: no counter, and the target is still read. */
    uint64_t bad[] = {0, 1ULL << 40};
    for (int i = 0; i < 2; i++) {
        memcpy(block + t14->interp_code_counter, &bad[i], 8);
        CHECK_EQ_INT(pyoffsets_resolve(t14, block, t14->debug_offsets_size, 0, &out, err, sizeof err), 0);
        CHECK_EQ_INT(out.interp_code_counter, 0);
    }

    /* 3.13: the block's size of PyInterpreterState picks the offset; a size
     * no header tree had gives none. */
    const py_build builds[] = {PY_BUILD_DEFAULT, PY_BUILD_FREE_THREADED, PY_BUILD_DEBUG};
    for (int b = 0; b < 3; b++) {
        const py_layout *t13 = pyoffsets_table(13, builds[b]);
        CHECK(t13 && t13->debug_interp_size != 0);
        if (!t13) continue;
        CHECK_EQ_INT(t13->interp_code_counter, 0);   /* not in the row */
        fake_block(t13, block, sizeof block, builds[b] == PY_BUILD_FREE_THREADED);
        CHECK_EQ_INT(pyoffsets_resolve(t13, block, t13->debug_offsets_size, 0, &out, err, sizeof err), 0);
        CHECK_EQ_INT(out.interp_code_counter, 0);    /* the fake size matches no tree */
        size_t found = 0;
        const py_code_counter_at *list;
        size_t nlist = pyoffsets_code_counters_313(&list);
        for (size_t i = 0; i < nlist; i++) {
            const py_code_counter_at *c = &list[i];
            if (c->build != builds[b]) continue;
            found++;
            uint64_t size = c->interp_size;
            memcpy(block + t13->debug_interp_size, &size, 8);
            CHECK_EQ_INT(pyoffsets_resolve(t13, block, t13->debug_offsets_size, 0, &out, err,
                                           sizeof err), 0);
            CHECK_EQ_INT(out.interp_code_counter, c->offset_plus1);
            /* Inside the struct, past the thread list (its head is read first). */
            CHECK(c->offset_plus1 > out.interp_threads_head && c->offset_plus1 < size);
        }
        CHECK(found >= 1);
    }
    /* 3.12 and before have no row entry: 3.12's counter is a global. */
    CHECK_EQ_INT(pyoffsets_table(12, PY_BUILD_DEFAULT)->interp_code_counter, 0);
    CHECK_EQ_INT(pyoffsets_table(11, PY_BUILD_DEFAULT)->interp_code_counter, 0);
}

int main(void) {
    RUN(tables_per_build_kind);
    RUN(names_and_supported_list);
    RUN(resolve_checks_the_build_kind);
    RUN(code_counter_offsets);
    return check_summary();
}
