/* Unit tests for atomicfile.c. */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomicfile.h"
#include "check.h"

static char dir[] = "/tmp/csprof-afile-XXXXXX";

static char *slurp(const char *path) {
    static char buf[256];
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return buf;
}

static int entries(void) {
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)))
        if (e->d_name[0] != '.') n++;
    if (d) closedir(d);
    return n;
}

static void path_of(char *out, const char *name) { snprintf(out, 512, "%s/%s", dir, name); }

TEST(writes_and_replaces) {
    char p[512];
    path_of(p, "out.txt");
    CHECK_EQ_INT(atomic_write(p, "one", 3, NULL), 0);
    CHECK_EQ_STR(slurp(p), "one");
    CHECK_EQ_INT(atomic_write(p, "two!", 4, NULL), 0);
    CHECK_EQ_STR(slurp(p), "two!");
    CHECK_EQ_INT(entries(), 1);  /* no temporary file left */
    unlink(p);
}

TEST(planted_link_at_target_is_replaced_not_followed) {
    char p[512], victim[512];
    path_of(p, "summary.md");
    path_of(victim, "victim");
    FILE *v = fopen(victim, "wb");
    fputs("precious", v);
    fclose(v);
    CHECK_EQ_INT(symlink(victim, p), 0);
    CHECK_EQ_INT(atomic_write(p, "report", 6, NULL), 0);
    struct stat st;
    CHECK(lstat(p, &st) == 0 && S_ISREG(st.st_mode));
    CHECK_EQ_STR(slurp(p), "report");
    CHECK_EQ_STR(slurp(victim), "precious");
    unlink(p);
    unlink(victim);
}

TEST(planted_links_at_temporary_names_are_never_used) {
    /* Plant links at the old fixed name and check the new file still goes
     * through a fresh, exclusively created one. */
    char p[512], tmp[600], victim[512];
    path_of(p, "NAME.svg");
    path_of(victim, "victim");
    snprintf(tmp, sizeof tmp, "%s.tmp", p);
    FILE *v = fopen(victim, "wb");
    fputs("precious", v);
    fclose(v);
    CHECK_EQ_INT(symlink(victim, tmp), 0);
    afile a;
    CHECK_EQ_INT(afile_open(&a, p), 0);
    struct stat st;
    CHECK(lstat(a.tmp, &st) == 0 && S_ISREG(st.st_mode) && st.st_nlink == 1);
    fputs("<svg/>", a.f);
    CHECK_EQ_INT(afile_commit(&a, false), 0);
    CHECK_EQ_STR(slurp(p), "<svg/>");
    CHECK_EQ_STR(slurp(victim), "precious");
    unlink(p);
    unlink(tmp);
    unlink(victim);
}

TEST(failure_keeps_the_old_file) {
    char p[512];
    path_of(p, "keep.json");
    CHECK_EQ_INT(atomic_write(p, "old", 3, NULL), 0);
    afile a;
    CHECK_EQ_INT(afile_open(&a, p), 0);
    fputs("half", a.f);
    CHECK_EQ_INT(afile_commit(&a, true), -1);
    CHECK_EQ_STR(a.step, "write");
    CHECK_EQ_STR(slurp(p), "old");
    CHECK_EQ_INT(entries(), 1);
    unlink(p);
}

TEST(create_failure_names_the_step) {
    const char *step = NULL;
    errno = 0;
    CHECK_EQ_INT(atomic_write("/nonexistent-dir-csprof/x", "a", 1, &step), -1);
    CHECK_EQ_STR(step, "create");
    CHECK_EQ_INT(errno, ENOENT);
    /* renaming over a directory fails at the rename, and cleans up */
    char p[512];
    path_of(p, "adir");
    CHECK_EQ_INT(mkdir(p, 0700), 0);
    CHECK_EQ_INT(atomic_write(p, "a", 1, &step), -1);
    CHECK_EQ_STR(step, "rename");
    CHECK_EQ_INT(entries(), 1);
    rmdir(p);
}

int main(void) {
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    RUN(writes_and_replaces);
    RUN(planted_link_at_target_is_replaced_not_followed);
    RUN(planted_links_at_temporary_names_are_never_used);
    RUN(failure_keeps_the_old_file);
    RUN(create_failure_names_the_step);
    rmdir(dir);
    return check_summary();
}
