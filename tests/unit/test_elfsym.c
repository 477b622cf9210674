/* test_elfsym.c -- address -> function lookups in ELF files (elfread). */
#include "check.h"
#include "elfread.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char self_path[4096];

/* Non-static so that it is in .symtab (and .dynsym with -rdynamic). */
int elfsym_marker_function(int x);
int elfsym_marker_function(int x) {
    return x * 3 + 1;
}

TEST(lookup_finds_containing_function) {
    elf_file *e = elf_open(self_path);
    CHECK(e != NULL);
    if (!e) return;
    uint64_t v = elf_symbol(e, "elfsym_marker_function");
    CHECK(v != 0);
    elf_symtab *t = elf_symtab_new(e);
    CHECK(t != NULL && elf_symtab_count(t) > 10);
    if (t && v) {
        uint64_t start = 0;
        CHECK_EQ_STR(elf_symtab_lookup(t, v, &start), "elfsym_marker_function");
        CHECK_EQ_INT(start, v);
        CHECK_EQ_STR(elf_symtab_lookup(t, v + 1, &start), "elfsym_marker_function");
        CHECK_EQ_INT(start, v);
        uint64_t m = elf_symbol(e, "main");
        CHECK_EQ_STR(elf_symtab_lookup(t, m + 2, NULL), "main");
        CHECK(elf_symtab_lookup(t, 0, NULL) == NULL);
        CHECK(elf_symtab_lookup(t, UINT64_MAX, NULL) == NULL);
    }
    elf_symtab_free(t);
    elf_close(e);
}

/* The same lookups on an image copied into memory (how the vDSO is read). */
TEST(image_in_memory) {
    FILE *f = fopen(self_path, "rb");
    CHECK(f != NULL);
    if (!f) return;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *data = malloc((size_t)size);
    CHECK(data && fread(data, 1, (size_t)size, f) == (size_t)size);
    fclose(f);
    elf_file *e = elf_from_memory(data, (size_t)size);
    CHECK(e != NULL);
    if (!e) return;
    uint64_t v = elf_symbol(e, "elfsym_marker_function");
    elf_symtab *t = elf_symtab_new(e);
    CHECK(v && t);
    if (t) CHECK_EQ_STR(elf_symtab_lookup(t, v + 1, NULL), "elfsym_marker_function");
    elf_symtab_free(t);
    elf_close(e);
    /* Too small to be ELF: refused, and the buffer is still freed. */
    CHECK(elf_from_memory(malloc(16), 16) == NULL);
}

/* File offset <-> link-time address through the program headers. */
TEST(offset_to_vaddr) {
    elf_file *e = elf_open(self_path);
    CHECK(e != NULL);
    if (!e) return;
    uint64_t v = 0;
    CHECK_EQ_INT(elf_offset_to_vaddr(e, 0, &v), 0);
    CHECK_EQ_INT(v, elf_first_load_vaddr(e));
    CHECK_EQ_INT(elf_offset_to_vaddr(e, UINT64_MAX - 5, &v), -1);
    elf_close(e);
}

/* Non-static so that it is in .symtab: one object in .data, one in .bss. */
int elfsym_marker_data = 7, elfsym_marker_bss;

/* The writable segments hold the file's static storage (.data and .bss),
 * and nothing of its code. */
TEST(writable_span_holds_static_storage) {
    elf_file *e = elf_open(self_path);
    CHECK(e != NULL);
    if (!e) return;
    uint64_t lo = 0, hi = 0;
    CHECK_EQ_INT(elf_writable_span(e, &lo, &hi), 0);
    uint64_t d = elf_symbol(e, "elfsym_marker_data"), b = elf_symbol(e, "elfsym_marker_bss");
    uint64_t f = elf_symbol(e, "elfsym_marker_function");
    CHECK(d && b && f);
    CHECK(lo < hi && d >= lo && d < hi && b >= lo && b < hi);
    CHECK(f < lo || f >= hi);
    elf_close(e);
}

/* Several names in one pass give what one lookup each gives, absent names
 * 0, and names sharing a first byte do not shadow each other. */
TEST(batched_lookup_matches_single_lookups) {
    elf_file *e = elf_open(self_path);
    CHECK(e != NULL);
    if (!e) return;
    const char *names[] = {"elfsym_marker_data", "elfsym_no_such_symbol", "main",
                           "elfsym_marker_bss", "elfsym_marker_function"};
    enum { N = sizeof names / sizeof names[0] };
    uint64_t got[N];
    for (size_t j = 0; j < N; j++) got[j] = 42;
    elf_symbols(e, names, got, N);
    for (size_t j = 0; j < N; j++) CHECK_EQ_INT(got[j], elf_symbol(e, names[j]));
    CHECK(got[0] && got[2] && got[3] && got[4]);
    CHECK_EQ_INT(got[1], 0);
    CHECK(got[0] != got[3] && got[3] != got[4]);
    elf_close(e);
}

/* Truncated and scribbled-over copies: no crash, lookups simply fail. */
TEST(hostile_files_do_not_crash) {
    FILE *f = fopen(self_path, "rb");
    CHECK(f != NULL);
    if (!f) return;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *data = malloc((size_t)size);
    CHECK(data && fread(data, 1, (size_t)size, f) == (size_t)size);
    fclose(f);
    if (!data) return;
    char tmp[] = "/tmp/csprof-elfsym-XXXXXX";
    int fd = mkstemp(tmp);
    CHECK(fd >= 0);
    uint32_t seed = 12345;
    for (int round = 0; round < 40 && fd >= 0; round++) {
        unsigned char *copy = malloc((size_t)size);
        memcpy(copy, data, (size_t)size);
        long len = round < 10 ? size * (round + 1) / 11 : size;
        for (int k = 0; round >= 10 && k < 200; k++) {
            seed = seed * 1103515245u + 12345u;
            copy[(seed >> 4) % (uint32_t)size] = (unsigned char)(seed >> 24);
        }
        CHECK(ftruncate(fd, 0) == 0);
        CHECK(pwrite(fd, copy, (size_t)len, 0) == len);
        elf_file *e = elf_open(tmp);
        if (e) {
            elf_symtab *t = elf_symtab_new(e);
            for (uint64_t a = 0; t && a < 0x100000; a += 0x777) elf_symtab_lookup(t, a, NULL);
            uint64_t v, vals[3];
            elf_offset_to_vaddr(e, 0x1000, &v);
            const char *names[] = {"main", "elfsym_marker_data", "_PyRuntime"};
            elf_symbols(e, names, vals, 3);
            elf_symtab_free(t);
            elf_close(e);
        }
        free(copy);
    }
    if (fd >= 0) close(fd);
    unlink(tmp);
    free(data);
}

int main(void) {
    ssize_t n = readlink("/proc/self/exe", self_path, sizeof self_path - 1);
    if (n <= 0) return 1;
    self_path[n] = '\0';
    RUN(lookup_finds_containing_function);
    RUN(offset_to_vaddr);
    RUN(image_in_memory);
    RUN(writable_span_holds_static_storage);
    RUN(batched_lookup_matches_single_lookups);
    RUN(hostile_files_do_not_crash);
    return check_summary();
}
