/* objfile.c -- mapped files opened once per run (see objfile.h). */
#include "objfile.h"

#include <stdbool.h>
#include <stdlib.h>
#include <sys/stat.h>

struct objfile {
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime;
    uint64_t serial;
    elf_file *elf;
    elf_symtab *syms;
    bool syms_tried;
};

/* A few dozen files in a typical run (libpython, libc, extension modules):
 * a list searched from the newest is enough. */
static objfile **files;
static size_t nfiles, capfiles;
static uint64_t serials;

static bool same_file(const objfile *f, const struct stat *st) {
    return f->dev == st->st_dev && f->ino == st->st_ino && f->size == st->st_size &&
           f->mtime.tv_sec == st->st_mtim.tv_sec && f->mtime.tv_nsec == st->st_mtim.tv_nsec;
}

objfile *objfile_get(const char *path) {
    struct stat st;
    if (stat(path, &st)) return NULL;
    for (size_t i = nfiles; i-- > 0;)
        if (same_file(files[i], &st)) return files[i];
    if (nfiles == capfiles) {
        size_t ncap = capfiles ? capfiles * 2 : 32;
        objfile **n = realloc(files, ncap * sizeof *n);
        if (!n) return NULL;
        files = n;
        capfiles = ncap;
    }
    objfile *f = calloc(1, sizeof *f);
    if (!f) return NULL;
    /* The identity is taken before the file is opened: a file rewritten in
     * between is seen as changed at the next lookup, never the reverse. */
    f->elf = elf_open(path);
    if (!f->elf) {
        free(f);
        return NULL;
    }
    f->dev = st.st_dev;
    f->ino = st.st_ino;
    f->size = st.st_size;
    f->mtime = st.st_mtim;
    f->serial = ++serials;
    files[nfiles++] = f;
    return f;
}

const elf_file *objfile_elf(const objfile *f) { return f->elf; }

const elf_symtab *objfile_symbols(objfile *f) {
    if (!f->syms_tried) {
        f->syms_tried = true;
        f->syms = elf_symtab_new(f->elf);
    }
    return f->syms;
}

uint64_t objfile_serial(const objfile *f) { return f->serial; }

void objfile_close_all(void) {
    for (size_t i = 0; i < nfiles; i++) {
        elf_symtab_free(files[i]->syms);
        elf_close(files[i]->elf);
        free(files[i]);
    }
    free(files);
    files = NULL;
    nfiles = capfiles = 0;
}
