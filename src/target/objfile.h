/* objfile.h -- the files targets map (interpreters, libraries, extension
 * modules), each opened once per run and shared by every process that maps
 * it: its ELF image and, when asked, its function symbols.
 *
 * With --subprocesses every worker of a pool maps the same libpython and
 * libc; a forked worker may live 15 ms, and building libpython's and libc's
 * symbol tables again for each cost ~4.7 ms of CPU (pyenv 3.12). A file is
 * known by its identity (device, inode, size, modification time), not its
 * path, so a file replaced on disk is opened afresh.
 *
 * Files stay open until objfile_close_all(), at the end of a run. The
 * sampler has one thread: nothing here is locked.
 */
#ifndef CSPROF_OBJFILE_H
#define CSPROF_OBJFILE_H

#include <stdint.h>

#include "elfread.h"

typedef struct objfile objfile;

/* The file at path, opened now or found among those open; NULL when it
 * cannot be read, is not ELF, or memory ran out (asking again tries again). */
objfile *objfile_get(const char *path);
const elf_file *objfile_elf(const objfile *f);
/* Its function symbols (elf_symtab_new), built at the first call; NULL when
 * that failed (not retried). */
const elf_symtab *objfile_symbols(objfile *f);
/* A number no other file opened by this process has had, even after
 * objfile_close_all(): what a cache of facts about a file is keyed by. */
uint64_t objfile_serial(const objfile *f);
/* Closes every file; pointers from objfile_get() are invalid after it. */
void objfile_close_all(void);

#endif
