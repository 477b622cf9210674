/* atomicfile.c -- see atomicfile.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "atomicfile.h"

enum { TMP_TRIES = 64 };

/* A temporary name that another run or a planted file is unlikely to hold;
 * O_EXCL makes a collision harmless (we try the next name). */
static void tmp_name(char *out, size_t len, const char *path, unsigned attempt) {
    static unsigned counter;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    unsigned long salt = (unsigned long)ts.tv_nsec ^ ((unsigned long)counter++ << 20) ^ attempt;
    snprintf(out, len, "%s.tmp-%ld-%lx", path, (long)getpid(), salt & 0xFFFFFFFFul);
}

int afile_open(afile *a, const char *path) {
    *a = (afile){.step = "create"};
    size_t len = strlen(path) + 48;
    a->path = strdup(path);
    a->tmp = malloc(len);
    if (!a->path || !a->tmp) {
        free(a->path);
        free(a->tmp);
        *a = (afile){.step = "create"};
        errno = ENOMEM;
        return -1;
    }
    int fd = -1;
    for (unsigned i = 0; i < TMP_TRIES && fd < 0; i++) {
        tmp_name(a->tmp, len, path, i);
        fd = open(a->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
        if (fd < 0 && errno != EEXIST) break;
    }
    if (fd >= 0 && !(a->f = fdopen(fd, "wb"))) {
        int e = errno;
        close(fd);
        unlink(a->tmp);
        errno = e;
        fd = -1;
    }
    if (fd < 0) {
        int e = errno;
        free(a->path);
        free(a->tmp);
        *a = (afile){.step = "create"};
        errno = e;
        return -1;
    }
    return 0;
}

int afile_commit(afile *a, bool failed) {
    int rc = 0, e = 0;
    if (!a->f) {
        errno = EBADF;
        return -1;
    }
    a->step = "write";
    if (failed) rc = -1, e = EIO;
    if (!rc && (fflush(a->f) != 0 || fsync(fileno(a->f)) != 0)) rc = -1, e = errno;
    if (fclose(a->f) != 0 && !rc) rc = -1, e = errno;
    a->f = NULL;
    if (!rc) {
        a->step = "rename";
        if (rename(a->tmp, a->path) != 0) rc = -1, e = errno;
    }
    if (rc) unlink(a->tmp);
    free(a->path);
    free(a->tmp);
    a->path = a->tmp = NULL;
    if (rc) errno = e;
    return rc;
}

int atomic_write(const char *path, const void *data, size_t len, const char **step) {
    afile a;
    int rc = afile_open(&a, path);
    if (!rc) {
        bool bad = len && fwrite(data, 1, len, a.f) != len;
        int e = errno;
        rc = afile_commit(&a, bad);
        if (bad) errno = e;
    }
    if (step) *step = a.step;
    return rc;
}
