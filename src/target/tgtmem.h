/* tgtmem.h -- decoding bytes copied out of the target process.
 *
 * One definition for the readers of the target (pyreader, pynames,
 * chainread): fixed-width little-endian fields at an offset of a copied
 * buffer (memcpy, so no alignment is assumed), and the one test of whether
 * a value read from the target can be a pointer to a real object, or to
 * one that lives as long as the process. Callers bounds-check offsets
 * against the buffer they copied.
 */
#ifndef CSPROF_TGTMEM_H
#define CSPROF_TGTMEM_H

#include <stdint.h>
#include <string.h>

static inline uint64_t rd_u64(const uint8_t *b, uint32_t off) {
    uint64_t v;
    memcpy(&v, b + off, sizeof v);
    return v;
}

static inline uint32_t rd_u32(const uint8_t *b, uint32_t off) {
    uint32_t v;
    memcpy(&v, b + off, sizeof v);
    return v;
}

static inline int32_t rd_i32(const uint8_t *b, uint32_t off) {
    int32_t v;
    memcpy(&v, b + off, sizeof v);
    return v;
}

/* A user-space pointer that could be a real object: canonical (below the
 * x86_64 user limit), not in the zero page, 8-byte aligned. */
static inline int plausible(uint64_t p) {
    return p >= 4096 && p < (1ULL << 47) && (p & 7) == 0;
}

/* The target's static storage: the writable segments of the file holding
 * the interpreter (elf_writable_span, relocated). An object there (a static
 * string such as "<module>", a deep-frozen code object) is never freed, so
 * its address never comes to hold another: once read right, it stays right
 * and needs no check against reuse. {0, 0} holds nothing. */
typedef struct {
    uint64_t lo, hi;
} static_span;

/* Whether the len bytes at p lie in s. */
static inline int in_static(static_span s, uint64_t p, uint64_t len) {
    return p >= s.lo && p < s.hi && len <= s.hi - p;
}

#endif
