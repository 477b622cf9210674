/* elfread.c -- symbol and section lookup in a 64-bit little-endian ELF file.
 *
 * The file is mapped read-only and every header, table and string is
 * bounds-checked against the file size: a truncated or hostile binary gives
 * "not found", never a crash.
 */
#include "elfread.h"

#include <elf.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

struct elf_file {
    const unsigned char *data;
    size_t size;
    const Elf64_Ehdr *eh;
    bool heap;      /* data is malloc'd (elf_from_memory), not a file mapping */
};

static int in_file(const elf_file *e, uint64_t off, uint64_t len) {
    return off <= e->size && len <= e->size - off;
}

/* Checks the header of e (data and size set); closes it when unusable. */
static elf_file *elf_check(elf_file *e) {
    const Elf64_Ehdr *h = e->eh;
    if (memcmp(h->e_ident, ELFMAG, SELFMAG) || h->e_ident[EI_CLASS] != ELFCLASS64 ||
        h->e_ident[EI_DATA] != ELFDATA2LSB || h->e_shentsize != sizeof(Elf64_Shdr) ||
        h->e_phentsize != sizeof(Elf64_Phdr) || h->e_shoff % 8 || h->e_phoff % 8 ||
        !in_file(e, h->e_shoff, (uint64_t)h->e_shnum * sizeof(Elf64_Shdr)) ||
        !in_file(e, h->e_phoff, (uint64_t)h->e_phnum * sizeof(Elf64_Phdr))) {
        elf_close(e);
        return NULL;
    }
    return e;
}

elf_file *elf_open(const char *path) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return NULL;
    struct stat st;
    if (fstat(fd, &st) || st.st_size < (off_t)sizeof(Elf64_Ehdr)) {
        close(fd);
        return NULL;
    }
    void *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (map == MAP_FAILED) return NULL;
    elf_file *e = calloc(1, sizeof *e);
    if (!e) {
        munmap(map, (size_t)st.st_size);
        return NULL;
    }
    e->data = map;
    e->size = (size_t)st.st_size;
    e->eh = map;
    return elf_check(e);
}

elf_file *elf_from_memory(void *data, size_t size) {
    if (size < sizeof(Elf64_Ehdr)) {
        free(data);
        return NULL;
    }
    elf_file *e = calloc(1, sizeof *e);
    if (!e) {
        free(data);
        return NULL;
    }
    e->data = data;
    e->size = size;
    e->eh = data;
    e->heap = true;
    return elf_check(e);
}

void elf_close(elf_file *e) {
    if (!e) return;
    if (e->heap) free((void *)e->data);
    else munmap((void *)e->data, e->size);
    free(e);
}

static const Elf64_Shdr *section_at(const elf_file *e, size_t i) {
    if (i >= e->eh->e_shnum) return NULL;
    return (const Elf64_Shdr *)(e->data + e->eh->e_shoff) + i;
}

static const char *string_at(const elf_file *e, const Elf64_Shdr *strtab, uint64_t off) {
    if (!strtab || off >= strtab->sh_size || !in_file(e, strtab->sh_offset, strtab->sh_size))
        return NULL;
    const char *s = (const char *)e->data + strtab->sh_offset + off;
    if (!memchr(s, '\0', strtab->sh_size - off)) return NULL;
    return s;
}

/* One pass over the tables of one type: fills the values[j] still 0 from
 * the first defined symbol named names[j]. A symbol's first byte is checked
 * against the names' before its string is bounds-checked and compared,
 * since a libpython has tens of thousands of symbols and we want ~10. */
static void lookup_in(const elf_file *e, uint32_t type, const char *const *names,
                      uint64_t *values, size_t n) {
    bool first[256] = {false};
    for (size_t j = 0; j < n; j++) first[(unsigned char)names[j][0]] = true;
    for (size_t i = 0; i < e->eh->e_shnum; i++) {
        const Elf64_Shdr *sh = section_at(e, i);
        if (sh->sh_type != type || sh->sh_entsize != sizeof(Elf64_Sym) ||
            !in_file(e, sh->sh_offset, sh->sh_size))
            continue;
        const Elf64_Shdr *strtab = section_at(e, sh->sh_link);
        if (!strtab || !in_file(e, strtab->sh_offset, strtab->sh_size)) continue;
        const char *str = (const char *)e->data + strtab->sh_offset;
        const Elf64_Sym *syms = (const Elf64_Sym *)(e->data + sh->sh_offset);
        size_t nsyms = sh->sh_size / sizeof(Elf64_Sym);
        for (size_t k = 0; k < nsyms; k++) {
            if (syms[k].st_value == 0 || syms[k].st_shndx == SHN_UNDEF ||
                syms[k].st_name >= strtab->sh_size ||
                !first[(unsigned char)str[syms[k].st_name]])
                continue;
            const char *s = string_at(e, strtab, syms[k].st_name);
            for (size_t j = 0; s && j < n; j++)
                if (!values[j] && !strcmp(s, names[j])) values[j] = syms[k].st_value;
        }
    }
}

void elf_symbols(const elf_file *e, const char *const *names, uint64_t *values, size_t n) {
    memset(values, 0, n * sizeof *values);
    lookup_in(e, SHT_SYMTAB, names, values, n);
    for (size_t j = 0; j < n; j++)
        if (!values[j]) {   /* what .symtab lacks (or a stripped file): .dynsym */
            lookup_in(e, SHT_DYNSYM, names, values, n);
            break;
        }
}

uint64_t elf_symbol(const elf_file *e, const char *name) {
    uint64_t v;
    elf_symbols(e, &name, &v, 1);
    return v;
}

uint64_t elf_first_load_vaddr(const elf_file *e) {
    const Elf64_Phdr *ph = (const Elf64_Phdr *)(e->data + e->eh->e_phoff);
    uint64_t lowest = UINT64_MAX;
    for (size_t i = 0; i < e->eh->e_phnum; i++)
        if (ph[i].p_type == PT_LOAD && ph[i].p_vaddr - ph[i].p_offset < lowest)
            lowest = ph[i].p_vaddr - ph[i].p_offset;
    return lowest == UINT64_MAX ? 0 : lowest;
}

int elf_writable_span(const elf_file *e, uint64_t *lo, uint64_t *hi) {
    const Elf64_Phdr *ph = (const Elf64_Phdr *)(e->data + e->eh->e_phoff);
    *lo = UINT64_MAX;
    *hi = 0;
    for (size_t i = 0; i < e->eh->e_phnum; i++) {
        if (ph[i].p_type != PT_LOAD || !(ph[i].p_flags & PF_W) ||
            ph[i].p_memsz > UINT64_MAX - ph[i].p_vaddr)
            continue;
        if (ph[i].p_vaddr < *lo) *lo = ph[i].p_vaddr;
        if (ph[i].p_vaddr + ph[i].p_memsz > *hi) *hi = ph[i].p_vaddr + ph[i].p_memsz;
    }
    if (*lo < *hi) return 0;
    *lo = *hi = 0;
    return -1;
}

int elf_read_vaddr(const elf_file *e, uint64_t vaddr, void *buf, size_t len) {
    const Elf64_Phdr *ph = (const Elf64_Phdr *)(e->data + e->eh->e_phoff);
    for (size_t i = 0; i < e->eh->e_phnum; i++) {
        if (ph[i].p_type != PT_LOAD || vaddr < ph[i].p_vaddr ||
            vaddr - ph[i].p_vaddr > ph[i].p_filesz || len > ph[i].p_filesz - (vaddr - ph[i].p_vaddr))
            continue;
        uint64_t off = ph[i].p_offset + (vaddr - ph[i].p_vaddr);
        if (!in_file(e, off, len)) return -1;
        memcpy(buf, e->data + off, len);
        return 0;
    }
    return -1;
}

/* A version string is "3.<minor>.<micro>" optionally followed by a release
 * tag such as "a1", "rc2" or "+", standing alone between NUL bytes. */
static int looks_like_version(const char *s, size_t n) {
    if (n < 5 || n > 16 || s[0] != '3' || s[1] != '.') return 0;
    size_t i = 2, digits = 0;
    while (i < n && s[i] >= '0' && s[i] <= '9') i++, digits++;
    if (!digits || i >= n || s[i] != '.') return 0;
    i++;
    digits = 0;
    while (i < n && s[i] >= '0' && s[i] <= '9') i++, digits++;
    if (!digits) return 0;
    for (; i < n; i++)
        if (!strchr("abrc0123456789+", s[i])) return 0;
    return 1;
}

/* PY_VERSION is a string of its own, but the linker may merge it into the
 * tail of a longer one ("/opt/python/3.8.18"), so a second pass accepts a
 * version preceded by any character that cannot be part of it. */
int elf_python_version(const elf_file *e, int minor, char *buf, size_t len) {
    const Elf64_Shdr *names = section_at(e, e->eh->e_shstrndx);
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < e->eh->e_shnum; i++) {
            const Elf64_Shdr *sh = section_at(e, i);
            const char *s = string_at(e, names, sh->sh_name);
            if (!s || strcmp(s, ".rodata") || !in_file(e, sh->sh_offset, sh->sh_size)) continue;
            uint64_t size = sh->sh_size;
            const char *d = (const char *)e->data + sh->sh_offset;
            for (uint64_t k = 1; k + 5 < size; k++) {
                if (d[k] != '3' || d[k + 1] != '.') continue;
                char before = d[k - 1];
                if (pass == 0 ? before != '\0'
                              : (before == '.' || (before >= '0' && before <= '9')))
                    continue;
                const char *end = memchr(d + k, '\0', size - k);
                if (!end) break;
                size_t n = (size_t)(end - (d + k));
                if (looks_like_version(d + k, n) && n < len &&
                    (minor < 0 || atoi(d + k + 2) == minor)) {
                    memcpy(buf, d + k, n);
                    buf[n] = '\0';
                    return 0;
                }
            }
        }
    }
    return -1;
}

int elf_offset_to_vaddr(const elf_file *e, uint64_t off, uint64_t *vaddr) {
    const Elf64_Phdr *ph = (const Elf64_Phdr *)(e->data + e->eh->e_phoff);
    for (size_t i = 0; i < e->eh->e_phnum; i++) {
        if (ph[i].p_type != PT_LOAD || off < ph[i].p_offset ||
            off - ph[i].p_offset >= ph[i].p_filesz)
            continue;
        *vaddr = ph[i].p_vaddr + (off - ph[i].p_offset);
        return 0;
    }
    return -1;
}

/* ---- address -> function ---- */

typedef struct {
    uint64_t value, size;
    const char *name;
    unsigned char rank;   /* lower wins among aliases: global, weak, local */
} sym_entry;

struct elf_symtab {
    sym_entry *syms;
    size_t n;
};

static unsigned char bind_rank(unsigned char info) {
    switch (ELF64_ST_BIND(info)) {
    case STB_GLOBAL: return 0;
    case STB_WEAK: return 1;
    default: return 2;
    }
}

static int sym_order(const void *a, const void *b) {
    const sym_entry *x = a, *y = b;
    if (x->value != y->value) return x->value < y->value ? -1 : 1;
    if (x->size != y->size) return x->size > y->size ? -1 : 1;
    if (x->rank != y->rank) return x->rank < y->rank ? -1 : 1;
    return strcmp(x->name, y->name);
}

static int collect_functions(const elf_file *e, uint32_t type, sym_entry **out, size_t *n,
                             size_t *cap) {
    for (size_t i = 0; i < e->eh->e_shnum; i++) {
        const Elf64_Shdr *sh = section_at(e, i);
        if (sh->sh_type != type || sh->sh_entsize != sizeof(Elf64_Sym) || sh->sh_offset % 8 ||
            !in_file(e, sh->sh_offset, sh->sh_size))
            continue;
        const Elf64_Shdr *strtab = section_at(e, sh->sh_link);
        const Elf64_Sym *syms = (const Elf64_Sym *)(e->data + sh->sh_offset);
        size_t count = sh->sh_size / sizeof(Elf64_Sym);
        for (size_t k = 0; k < count; k++) {
            unsigned t = ELF64_ST_TYPE(syms[k].st_info);
            if ((t != STT_FUNC && t != STT_GNU_IFUNC) || syms[k].st_shndx == SHN_UNDEF ||
                syms[k].st_size == 0 || syms[k].st_value > UINT64_MAX - syms[k].st_size)
                continue;
            const char *name = string_at(e, strtab, syms[k].st_name);
            if (!name || !name[0]) continue;
            if (*n == *cap) {
                size_t ncap = *cap ? *cap * 2 : 1024;
                sym_entry *ns = realloc(*out, ncap * sizeof *ns);
                if (!ns) return -1;
                *out = ns;
                *cap = ncap;
            }
            (*out)[(*n)++] = (sym_entry){syms[k].st_value, syms[k].st_size, name,
                                         bind_rank(syms[k].st_info)};
        }
    }
    return 0;
}

elf_symtab *elf_symtab_new(const elf_file *e) {
    elf_symtab *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    size_t cap = 0;
    if (collect_functions(e, SHT_SYMTAB, &t->syms, &t->n, &cap) ||
        collect_functions(e, SHT_DYNSYM, &t->syms, &t->n, &cap)) {
        elf_symtab_free(t);
        return NULL;
    }
    if (t->n) qsort(t->syms, t->n, sizeof *t->syms, sym_order);
    /* .dynsym repeats what .symtab has, and aliases share an address: keep
     * the first of each address, which the order made the preferred one. */
    size_t w = 0;
    for (size_t i = 0; i < t->n; i++)
        if (w == 0 || t->syms[w - 1].value != t->syms[i].value) t->syms[w++] = t->syms[i];
    t->n = w;
    return t;
}

void elf_symtab_free(elf_symtab *t) {
    if (!t) return;
    free(t->syms);
    free(t);
}

size_t elf_symtab_count(const elf_symtab *t) { return t->n; }

/* How far back to look for a symbol enclosing vaddr when the nearest one
 * below it ends too early (a nested local label, an alias of a callee). */
#define ENCLOSING_LOOKBACK 8

const char *elf_symtab_lookup(const elf_symtab *t, uint64_t vaddr, uint64_t *start) {
    size_t lo = 0, hi = t->n;   /* first symbol with value > vaddr */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (t->syms[mid].value <= vaddr) lo = mid + 1;
        else hi = mid;
    }
    for (size_t k = 0; k < ENCLOSING_LOOKBACK && lo > k; k++) {
        const sym_entry *s = &t->syms[lo - 1 - k];
        if (vaddr - s->value < s->size) {
            if (start) *start = s->value;
            return s->name;
        }
    }
    return NULL;
}
