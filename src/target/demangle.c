/* demangle.c -- C++ and Rust symbol names through libiberty. See demangle.h.
 *
 * The callback entry points are used rather than cplus_demangle(): they
 * allocate nothing (the rest of libiberty aborts the process through
 * xmalloc_failed when memory runs out) and write straight into our buffer,
 * so an over-long result is cut instead of allocated. */
#include "demangle.h"

#include <string.h>

#include <libiberty/demangle.h>

typedef struct {
    char *out;
    size_t len, used;
    bool cut;
} sink;

static void put(const char *s, size_t n, void *opaque) {
    sink *k = opaque;
    if (k->cut) return;
    size_t room = k->len - 1 - k->used;   /* keeps the terminator's byte */
    if (n > room) {
        n = room;
        k->cut = true;
    }
    memcpy(k->out + k->used, s, n);
    k->used += n;
}

/* Ends a cut name in "...", not inside a UTF-8 sequence (Rust identifiers
 * may hold any character). */
static void finish(sink *k) {
    if (k->cut) {
        size_t end = k->len - 4;
        while (end > 0 && ((unsigned char)k->out[end] & 0xC0) == 0x80) end--;
        memcpy(k->out + end, "...", 3);
        k->used = end + 3;
    }
    k->out[k->used] = '\0';
}

bool demangle_looks_mangled(const char *name) {
    if (!name || name[0] != '_') return false;
    return name[1] == 'Z' || (name[1] == 'R' && name[2] >= 'A' && name[2] <= 'Z');
}

bool demangle(const char *sym, char *out, size_t len) {
    if (!sym || len < 4 || !demangle_looks_mangled(sym) ||
        strnlen(sym, DEMANGLE_MAX_INPUT + 1) > DEMANGLE_MAX_INPUT)
        return false;
    sink k = {out, len, 0, false};
    /* Legacy Rust names are valid C++ names too (a path of identifiers,
     * the last one "h" and the hash), so Rust gets the first try, as
     * cplus_demangle() does with DMGL_AUTO. Each returns 0 when sym is not
     * its kind; a partial write is then discarded by starting over. */
    if (rust_demangle_callback(sym, DMGL_PARAMS | DMGL_ANSI, put, &k) && k.used) {
        finish(&k);
        return true;
    }
    k = (sink){out, len, 0, false};
    if (cplus_demangle_v3_callback(sym, DMGL_PARAMS | DMGL_ANSI, put, &k) && k.used) {
        finish(&k);
        return true;
    }
    return false;
}
