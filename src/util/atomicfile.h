/* atomicfile.h -- write a file so that readers never see half of it and a
 * planted link is never followed.
 *
 * The content goes to a new temporary file in the target's directory,
 * created with O_CREAT|O_EXCL|O_NOFOLLOW (so an existing file or symlink of
 * that name is never opened, truncated or written through), is flushed to
 * disk, and is renamed over the target; rename replaces a symlink at the
 * target itself rather than writing where it points. On any failure the
 * temporary file is removed and the target is left as it was.
 */
#ifndef CSPROF_ATOMICFILE_H
#define CSPROF_ATOMICFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

typedef struct {
    FILE *f;           /* write here between afile_open and afile_commit */
    char *path;        /* the target */
    char *tmp;         /* the temporary file's name */
    const char *step;  /* after a failure: "create", "write" or "rename" */
} afile;

/* Creates the temporary file. Returns 0, or -1 with errno set (a->step is
 * "create"; nothing is left behind). */
int afile_open(afile *a, const char *path);

/* Flushes, syncs, closes and renames into place. With failed (the caller's
 * writer reported an error) it only cleans up and returns -1. Returns 0, or
 * -1 with errno and a->step set; the temporary file is removed either way.
 * Always releases a. */
int afile_commit(afile *a, bool failed);

/* Writes len bytes of data to path as above. Returns 0 or -1 with errno;
 * *step (may be NULL) names the failing step. */
int atomic_write(const char *path, const void *data, size_t len, const char **step);

#endif
