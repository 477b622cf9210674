/* compare_keys.c -- how functions are matched across two profiles: the
 * machine-independent file and the name comprehensions fold into (see
 * compare.h). Pure: no I/O, no globals. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "compare.h"

static int is_py_version_dir(const char *s) {
    /* "python3.12/" */
    if (strncmp(s, "python", 6)) return 0;
    s += 6;
    if (*s < '0' || *s > '9') return 0;
    while (*s >= '0' && *s <= '9') s++;
    if (*s++ != '.') return 0;
    if (*s < '0' || *s > '9') return 0;
    while (*s >= '0' && *s <= '9') s++;
    while (*s == 't' || *s == 'd') s++;  /* free-threaded / debug builds */
    return *s == '/';
}

/* A new string: prefix then rest; NULL when out of memory. */
static char *prefixed(const char *prefix, const char *rest) {
    size_t p = strlen(prefix), l = strlen(rest);
    char *k = malloc(p + l + 1);
    if (k) {
        memcpy(k, prefix, p);
        memcpy(k + p, rest, l + 1);
    }
    return k;
}

char *cmp_key_file(const char *file, const char *workspace) {
    if (!file) return strdup("");
    if (workspace && *workspace) {
        size_t wl = strlen(workspace);
        while (wl > 1 && workspace[wl - 1] == '/') wl--;
        if (!strncmp(file, workspace, wl) && file[wl] == '/') return strdup(file + wl + 1);
    }
    const char *best = NULL;
    for (const char *s = file; (s = strstr(s, "-packages/")); s++) {
        if ((s - file >= 5 && !strncmp(s - 5, "/site-packages/", 15)) ||
            (s - file >= 5 && !strncmp(s - 5, "/dist-packages/", 15)))
            best = s + 10;
    }
    if (best) return prefixed("site-packages/", best);
    for (const char *s = file; (s = strstr(s, "/lib/python")); s++)
        if (is_py_version_dir(s + 5)) return prefixed("stdlib/", strchr(s + 5, '/') + 1);
    return strdup(file);
}

char *cmp_key_function(const char *name) {
    if (!name) return strdup("");
    static const char *const inner[] = {"<genexpr>", "<listcomp>", "<dictcomp>", "<setcomp>",
                                        "<lambda>"};
    size_t len = strlen(name);
    /* Peel "X.<locals>.<genexpr>" (repeatedly: a genexpr in a lambda) down
     * to X; a bare "<genexpr>" (no qualified names before 3.11) stays. */
    for (;;) {
        bool peeled = false;
        for (size_t i = 0; i < sizeof inner / sizeof inner[0]; i++) {
            size_t il = strlen(inner[i]), ll = strlen(".<locals>.");
            if (len > il + ll && !strncmp(name + len - il, inner[i], il) &&
                !strncmp(name + len - il - ll, ".<locals>.", ll)) {
                len -= il + ll;
                peeled = true;
                break;
            }
        }
        if (!peeled) break;
    }
    return strndup(name, len);
}
