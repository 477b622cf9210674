/* elfread.h -- just enough ELF reading to find CPython in a binary on disk:
 * symbol addresses (.symtab, falling back to .dynsym), named sections,
 * strings in read-only data, and the function containing an address (for
 * naming native frames). Files are mapped read-only; all offsets in the
 * file are checked against its size before use.
 */
#ifndef CSPROF_ELFREAD_H
#define CSPROF_ELFREAD_H

#include <stddef.h>
#include <stdint.h>

typedef struct elf_file elf_file;

elf_file *elf_open(const char *path);
/* An image already in memory (the vDSO copied out of a process), malloc'd:
 * the elf_file owns it from now on, even when NULL is returned. Must be
 * 8-byte aligned, as malloc returns it. */
elf_file *elf_from_memory(void *data, size_t size);
void elf_close(elf_file *e);
/* Symbol value (link-time virtual address) of name; 0 when absent. */
uint64_t elf_symbol(const elf_file *e, const char *name);
/* The values of n symbols, in one pass over the tables: values[i] is
 * names[i]'s (as elf_symbol would give it), 0 when absent. Names must not
 * be empty. */
void elf_symbols(const elf_file *e, const char *const *names, uint64_t *values, size_t n);
/* Lowest p_vaddr - p_offset over PT_LOAD segments: the link-time address of
 * file offset 0. Load bias = (start of the mapping at offset 0) - this. */
uint64_t elf_first_load_vaddr(const elf_file *e);
/* The link-time span [*lo, *hi) of the writable PT_LOAD segments (.data,
 * .bss and the like): the file's static storage, which nothing in the
 * process frees. 0, or -1 (both 0) when there is none. */
int elf_writable_span(const elf_file *e, uint64_t *lo, uint64_t *hi);
/* Read len bytes at link-time virtual address vaddr from the file's data
 * (for initialised data such as Py_Version or version strings). */
int elf_read_vaddr(const elf_file *e, uint64_t vaddr, void *buf, size_t len);
/* Find the CPython version string ("3.12.1", "3.15.0a1+") stored in
 * .rodata, of the given minor version (or any when minor < 0); writes it to
 * buf. Returns 0 when found. */
int elf_python_version(const elf_file *e, int minor, char *buf, size_t len);

/* Link-time virtual address of file offset off, through the PT_LOAD
 * segment holding it. Returns 0 when found, -1 when no segment maps it. */
int elf_offset_to_vaddr(const elf_file *e, uint64_t off, uint64_t *vaddr);

/* The file's function symbols (.symtab and .dynsym merged), sorted by
 * address, for address -> name lookups. Names point into the file's
 * mapping: e must stay open while the table is used. */
typedef struct elf_symtab elf_symtab;
elf_symtab *elf_symtab_new(const elf_file *e);
void elf_symtab_free(elf_symtab *t);
size_t elf_symtab_count(const elf_symtab *t);
/* Name of the function whose [value, value + size) holds vaddr, or NULL.
 * *start receives its address when found. A symbol without a size covers
 * nothing: guessing from the next symbol would misname static functions
 * in stripped binaries. */
const char *elf_symtab_lookup(const elf_symtab *t, uint64_t vaddr, uint64_t *start);

#endif
