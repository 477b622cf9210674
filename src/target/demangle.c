/* demangle.c -- C++ and Rust symbol names through libiberty. See demangle.h.
 *
 * The callback entry points are used rather than cplus_demangle(): they
 * allocate nothing (the rest of libiberty aborts the process through
 * xmalloc_failed when memory runs out) and write straight into our buffer,
 * so an over-long result is cut instead of allocated. */
#include "demangle.h"

#include <stdio.h>
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

static void put_str(sink *k, const char *s) { put(s, strlen(s), k); }

static const char *digits(const char *p, unsigned *value) {
    unsigned v = 0;
    const char *start = p;
    while (*p >= '0' && *p <= '9' && p - start < 5) v = v * 10 + (unsigned)(*p++ - '0');
    if (value) *value = v;
    return p > start && !(*p >= '0' && *p <= '9') ? p : NULL;
}

/* One parameter of a vector variant: its kind (vector, uniform, linear,
 * linear reference/value/address), then an optional step ("s" and the
 * position of the parameter holding it, "n" and a negative step, or a
 * number) and an optional alignment ("a" and a number). NULL when p does
 * not start one. */
static const char *vector_param(const char *p) {
    if (!*p || !strchr("vulRLU", *p)) return NULL;
    p++;
    if ((*p == 's' || *p == 'n') && p[1] >= '0' && p[1] <= '9') p++;
    if (*p >= '0' && *p <= '9' && !(p = digits(p, NULL))) return NULL;
    if (*p == 'a' && !(p = digits(p + 1, NULL))) return NULL;
    return p;
}

static bool demangle_scalar(const char *sym, sink *k);

/* The SIMD variants compilers emit for "#pragma omp declare simd" and
 * glibc's libmvec exports (the vector function ABI): "_ZGV", the
 * instruction set, N or M (masked), the lanes, one letter group per
 * parameter, "_" and the scalar function's own (possibly mangled) name:
 * _ZGVbN4vv_atan2f is atan2f on 4 lanes of SSE. libiberty reads "_ZGV" as
 * a C++ guard variable and refuses these, which left them raw in reports.
 * They come out as the scalar name with the variant in brackets, so they
 * stay apart from the scalar function, as GCC's "[clone .cold]" does. */
static bool demangle_vector(const char *sym, sink *k) {
    static const char isa_codes[] = "bcdens";
    static const char *const isa_names[] = {"SSE", "AVX", "AVX2", "AVX-512", "AdvSIMD", "SVE"};
    if (strncmp(sym, "_ZGV", 4)) return false;
    const char *p = sym + 4, *isa = *p ? strchr(isa_codes, *p) : NULL;
    if (!isa || (p[1] != 'N' && p[1] != 'M')) return false;
    bool masked = p[1] == 'M';
    p += 2;
    unsigned lanes = 0;
    if (*p == 'x' && *isa == 's') p++;      /* SVE: as many as the hardware has */
    else if (!(p = digits(p, &lanes)) || lanes < 2 || lanes > 1024) return false;
    while (*p != '_')
        if (!(p = vector_param(p))) return false;
    const char *name = p + 1;
    if (!*name) return false;
    size_t start = k->used;
    if (!demangle_looks_mangled(name) || !demangle_scalar(name, k)) {
        k->used = start;
        k->cut = false;
        for (const char *c = name; *c; c++)
            if (!((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') ||
                  (*c >= '0' && *c <= '9') || *c == '_' || *c == '.' || *c == '$'))
                return false;
        put_str(k, name);
    }
    char width[24] = "scalable", tag[64];
    if (lanes) snprintf(width, sizeof width, "%u lanes", lanes);
    snprintf(tag, sizeof tag, " [SIMD: %s, %s%s]", isa_names[isa - isa_codes], width,
             masked ? ", masked" : "");
    put_str(k, tag);
    return true;
}

bool demangle(const char *sym, char *out, size_t len) {
    if (!sym || len < 4 || !demangle_looks_mangled(sym) ||
        strnlen(sym, DEMANGLE_MAX_INPUT + 1) > DEMANGLE_MAX_INPUT)
        return false;
    sink k = {out, len, 0, false};
    if (demangle_vector(sym, &k)) {
        finish(&k);
        return true;
    }
    k = (sink){out, len, 0, false};
    if (!demangle_scalar(sym, &k)) return false;
    finish(&k);
    return true;
}

/* C++ or Rust, written to k from its start; false when sym is neither. */
static bool demangle_scalar(const char *sym, sink *k) {
    size_t start = k->used;
    /* Legacy Rust names are valid C++ names too (a path of identifiers,
     * the last one "h" and the hash), so Rust gets the first try, as
     * cplus_demangle() does with DMGL_AUTO. Each returns 0 when sym is not
     * its kind; a partial write is then discarded by starting over. */
    if (rust_demangle_callback(sym, DMGL_PARAMS | DMGL_ANSI, put, k) && k->used > start)
        return true;
    k->used = start;
    k->cut = false;
    return cplus_demangle_v3_callback(sym, DMGL_PARAMS | DMGL_ANSI, put, k) && k->used > start;
}
