/* pyoffsets.c -- see pyoffsets.h. */
#include "pyoffsets.h"

#include <stdio.h>
#include <string.h>

#include "pyoffsets_gen.h"

#define NLAYOUTS (sizeof py_layouts / sizeof py_layouts[0])

const py_layout *pyoffsets_table(int minor) {
    for (size_t i = 0; i < NLAYOUTS; i++)
        if ((int)py_layouts[i].minor == minor) return &py_layouts[i];
    return NULL;
}

void pyoffsets_supported(char *buf, size_t len) {
    size_t off = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < NLAYOUTS && off < len; i++) {
        int n = snprintf(buf + off, len - off, "%s3.%u", i ? ", " : "", py_layouts[i].minor);
        if (n < 0) break;
        off += (size_t)n;
    }
}

static int debug_u64(const uint8_t *debug, size_t len, uint32_t pos, uint64_t *v) {
    if (pos + sizeof *v > len) return -1;
    memcpy(v, debug + pos, sizeof *v);
    return 0;
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
    if (ft) {
        snprintf(err, errlen, "free-threaded (no-GIL) CPython builds are not supported yet");
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
    out->runtime_finalizing++;  /* stored as offset + 1, as in the static tables */
    return 0;
}
