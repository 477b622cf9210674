/* test_objfile.c -- mapped files opened once per run, known by identity. */
#include "check.h"
#include "objfile.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char self_path[4096];

/* Non-static so that it is in .symtab. */
int objfile_marker_function(int x);
int objfile_marker_function(int x) {
    return x * 5 + 2;
}

/* Copies this test's own executable to path; 0 on success. */
static int copy_self(const char *path) {
    FILE *in = fopen(self_path, "rb"), *out = fopen(path, "wb");
    int rc = in && out ? 0 : -1;
    char buf[65536];
    size_t n;
    while (!rc && (n = fread(buf, 1, sizeof buf, in)) > 0)
        if (fwrite(buf, 1, n, out) != n) rc = -1;
    if (in) fclose(in);
    if (out && fclose(out)) rc = -1;
    return rc;
}

/* One file asked for twice (under two names) is one objfile, whose symbols
 * are built once; another file is another objfile. */
TEST(one_file_opened_once) {
    objfile *a = objfile_get(self_path);
    CHECK(a != NULL);
    if (!a) return;
    char link[] = "/tmp/csprof-objfile-link-XXXXXX";
    int fd = mkstemp(link);
    CHECK(fd >= 0);
    if (fd < 0) return;
    close(fd);
    unlink(link);
    CHECK(symlink(self_path, link) == 0);
    CHECK(objfile_get(link) == a);
    CHECK(objfile_get(self_path) == a);
    const elf_symtab *t = objfile_symbols(a);
    CHECK(t != NULL && objfile_symbols(a) == t);
    uint64_t v = elf_symbol(objfile_elf(a), "objfile_marker_function");
    CHECK(v != 0);
    if (t && v) CHECK_EQ_STR(elf_symtab_lookup(t, v + 1, NULL), "objfile_marker_function");
    unlink(link);
    objfile_close_all();
}

/* A file rewritten on disk (new modification time) or replaced (new inode)
 * is opened afresh, with a new serial; files that are not ELF, or missing,
 * give NULL. */
TEST(changed_file_opened_afresh) {
    char path[] = "/tmp/csprof-objfile-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    if (fd < 0) return;
    close(fd);
    CHECK(objfile_get(path) == NULL);   /* empty: not ELF */
    CHECK(copy_self(path) == 0);
    objfile *a = objfile_get(path);
    CHECK(a != NULL);
    uint64_t sa = a ? objfile_serial(a) : 0;
    /* Rewritten in place with another modification time. */
    struct timespec times[2] = {{.tv_nsec = UTIME_OMIT}, {.tv_sec = 1000000000}};
    CHECK(utimensat(AT_FDCWD, path, times, 0) == 0);
    objfile *b = objfile_get(path);
    CHECK(b != NULL && b != a);
    uint64_t sb = b ? objfile_serial(b) : 0;
    CHECK(sb != sa && sb != 0);
    CHECK(objfile_get(path) == b);
    /* Replaced: another inode at the same path. */
    char other[sizeof path + 4];
    snprintf(other, sizeof other, "%s.new", path);
    CHECK(copy_self(other) == 0 && rename(other, path) == 0);
    objfile *c = objfile_get(path);
    CHECK(c != NULL && c != b);
    objfile_close_all();
    /* Serials are not reused after a close. */
    objfile *d = objfile_get(path);
    CHECK(d != NULL && objfile_serial(d) > sb);
    CHECK(objfile_get("/nonexistent/csprof-objfile") == NULL);
    objfile_close_all();
    unlink(path);
}

int main(void) {
    ssize_t n = readlink("/proc/self/exe", self_path, sizeof self_path - 1);
    if (n <= 0) return 1;
    self_path[n] = '\0';
    RUN(one_file_opened_once);
    RUN(changed_file_opened_afresh);
    return check_summary();
}
