/* pyoffsets.c -- see pyoffsets.h. */
#include "pyoffsets.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "pyoffsets_gen.h"

#define NLAYOUTS (sizeof py_layouts / sizeof py_layouts[0])

const char *pyoffsets_build_name(py_build build) {
    switch (build) {
    case PY_BUILD_FREE_THREADED: return "free-threaded";
    case PY_BUILD_DEBUG: return "debug";
    case PY_BUILD_DEFAULT: break;
    }
    return "default";
}

/* A Py_DEBUG build has the object layout of the default one (since 3.8
 * Py_DEBUG no longer implies Py_TRACE_REFS; the generator confirms it for
 * every version that has a debug row), so its own row is preferred but the
 * default row serves where none was generated. */
const py_layout *pyoffsets_table(int minor, py_build build) {
    const py_layout *fallback = NULL;
    for (size_t i = 0; i < NLAYOUTS; i++) {
        if ((int)py_layouts[i].minor != minor) continue;
        if (py_layouts[i].build == (uint32_t)build) return &py_layouts[i];
        if (build == PY_BUILD_DEBUG && py_layouts[i].build == PY_BUILD_DEFAULT)
            fallback = &py_layouts[i];
    }
    return fallback;
}

/* "3.8, 3.9, ..., 3.15; free-threaded: 3.13t, 3.14t, 3.15t" */
void pyoffsets_supported(char *buf, size_t len) {
    size_t off = 0;
    buf[0] = '\0';
    for (int pass = 0; pass < 2; pass++) {
        const uint32_t want = pass ? PY_BUILD_FREE_THREADED : PY_BUILD_DEFAULT;
        int first = 1;
        for (size_t i = 0; i < NLAYOUTS && off < len; i++) {
            if (py_layouts[i].build != want) continue;
            const char *sep = !first ? ", " : pass ? "; free-threaded: " : "";
            int n = snprintf(buf + off, len - off, "%s3.%u%s", sep, py_layouts[i].minor,
                             pass ? "t" : "");
            if (n < 0) return;
            off += (size_t)n;
            first = 0;
        }
    }
}

static int debug_u64(const uint8_t *debug, size_t len, uint32_t pos, uint64_t *v) {
    if (pos + sizeof *v > len) return -1;
    memcpy(v, debug + pos, sizeof *v);
    return 0;
}

int pyoffsets_block_free_threaded(const py_layout *t, const uint8_t *debug, size_t debug_len) {
    uint64_t ft;
    if (!t->debug_offsets_size || !debug || debug_len < t->debug_offsets_size ||
        memcmp(debug, "xdebugpy", 8) || debug_u64(debug, debug_len, t->debug_free_threaded, &ft) ||
        ft > 1)
        return -1;
    return (int)ft;
}

size_t pyoffsets_code_counters_313(const py_code_counter_at **list) {
    *list = py_code_counters_313;
    return sizeof py_code_counters_313 / sizeof py_code_counters_313[0];
}

int pyoffsets_resolve(const py_layout *t, const uint8_t *debug, size_t debug_len,
                      uint64_t expect_hexversion, py_layout *out, char *err, size_t errlen) {
    *out = *t;
    if (!t->debug_offsets_size) return 0;
    if (!debug || debug_len < t->debug_offsets_size || memcmp(debug, "xdebugpy", 8)) {
        snprintf(err, errlen, "the _PyRuntime debug offsets are missing or not initialised yet");
        return -1;
    }
    uint64_t ver = 0, ft = 0;
    if (debug_u64(debug, debug_len, t->debug_version, &ver) ||
        debug_u64(debug, debug_len, t->debug_free_threaded, &ft))
        return -1;
    if (expect_hexversion && (ver >> 16) != (expect_hexversion >> 16)) {
        snprintf(err, errlen, "debug offsets say version %#llx, the binary says %#llx",
                 (unsigned long long)ver, (unsigned long long)expect_hexversion);
        return -1;
    }
    if ((ft != 0) != (t->build == PY_BUILD_FREE_THREADED)) {
        snprintf(err, errlen, "the target is %sa free-threaded build, the offsets table is %sone",
                 ft ? "" : "not ", t->build == PY_BUILD_FREE_THREADED ? "" : "not ");
        return -1;
    }
    /* Every field that the generated row gives as a position in the block. */
    uint32_t *fields[] = {
        &out->runtime_interpreters_head, &out->runtime_finalizing, &out->interp_next, &out->interp_threads_head,
        &out->tstate_next, &out->tstate_thread_id, &out->tstate_native_thread_id,
        &out->tstate_frame, &out->iframe_previous, &out->iframe_code, &out->iframe_instr,
        &out->iframe_owner, &out->code_filename, &out->code_name, &out->code_qualname,
        &out->code_firstlineno, &out->code_linetable, &out->code_adaptive,
        &out->unicode_state, &out->unicode_length, &out->unicode_ascii_size,
        &out->iframe_localsplus,
    };
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        uint64_t v;
        if (debug_u64(debug, debug_len, *fields[i], &v) || v > 1u << 20) {
            snprintf(err, errlen, "the target's debug offsets look corrupt (entry %zu)", i);
            return -1;
        }
        *fields[i] = (uint32_t)v;
    }
    /* Positions that only some rows have (0 there: the cookie is never a field). */
    uint32_t *optional[] = {&out->iframe_tlbc_index, &out->code_tlbc};
    for (size_t i = 0; i < sizeof optional / sizeof optional[0]; i++) {
        uint64_t v;
        if (!*optional[i]) continue;
        if (debug_u64(debug, debug_len, *optional[i], &v) || v == 0 || v > 1u << 20) {
            snprintf(err, errlen, "the target's debug offsets look corrupt (optional entry %zu)", i);
            return -1;
        }
        *optional[i] = (uint32_t)v;
    }
    out->runtime_finalizing++;  /* stored as offset + 1, as in the static tables */
    /* The code-object counter is an optimisation: where its offset cannot
     * be trusted there is none, and every sample re-checks its code objects. */
    out->interp_code_counter = 0;
    if (t->minor == 13) {
        uint64_t size = 0;
        if (t->debug_interp_size && !debug_u64(debug, debug_len, t->debug_interp_size, &size))
            for (size_t i = 0; i < sizeof py_code_counters_313 / sizeof py_code_counters_313[0]; i++)
                if (py_code_counters_313[i].build == t->build &&
                    py_code_counters_313[i].interp_size == size)
                    out->interp_code_counter = py_code_counters_313[i].offset_plus1;
    } else if (t->interp_code_counter) {
        uint64_t v = 0;
        bool ok = !debug_u64(debug, debug_len, t->interp_code_counter, &v) && v > 0 &&
                  v < (1u << 20);
        if (ok) out->interp_code_counter = (uint32_t)v + 1;
    }
    return 0;
}
