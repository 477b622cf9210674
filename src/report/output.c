/* output.c -- the format registry shared by record, report and ci. */
#include <errno.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "atomicfile.h"
#include "output.h"

static const output_format formats[] = {
    {"svg", ".svg", write_svg},
    {"json", ".json", write_profile_json},
    {"md", ".md", write_markdown},
    {"text", ".txt", write_text},
    {"folded", ".folded", write_folded},
    {"speedscope", ".speedscope.json", write_speedscope},
    {"pprof", ".pb.gz", write_pprof},
    {"html", ".html", write_html},
};

int output_mkdir(const char *dir) {
    char path[PATH_MAX];
    if (snprintf(path, sizeof path, "%s", dir) >= (int)sizeof path) {
        errno = ENAMETOOLONG;
        return -1;
    }
    for (char *p = path + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(path, 0777) && errno != EEXIST) return -1;
        *p = '/';
    }
    if (mkdir(path, 0777) && errno != EEXIST) return -1;
    struct stat st;
    if (stat(path, &st)) return -1;
    if (!S_ISDIR(st.st_mode)) {
        errno = ENOTDIR;
        return -1;
    }
    return access(path, W_OK | X_OK);
}

void output_opts_init(output_opts *o) {
    memset(o, 0, sizeof *o);
    o->top_n = 3;
    o->min_width_px = 0.1;
}

const output_format *output_find(const char *name) {
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++)
        if (!strcmp(formats[i].name, name)) return &formats[i];
    return NULL;
}

/* Calls fn for each non-empty comma-separated entry; stops at the first
 * nonzero return and passes it on. */
static int each_entry(const char *list, int (*fn)(const char *name, void *ctx), void *ctx) {
    char name[32];
    for (const char *s = list; *s;) {
        const char *e = strchr(s, ',');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        while (n && (*s == ' ')) { s++; n--; }
        while (n && s[n - 1] == ' ') n--;
        if (n >= sizeof name) n = sizeof name - 1;
        memcpy(name, s, n);
        name[n] = '\0';
        if (n) {
            int rc = fn(name, ctx);
            if (rc) return rc;
        }
        if (!e) break;
        s = e + 1;
    }
    return 0;
}

static int is_wanted(const char *name, void *ctx) { return !strcmp(name, (const char *)ctx); }

bool output_list_has(const char *list, const char *name) {
    return each_entry(list, is_wanted, (void *)name) != 0;
}

typedef struct { char *err; size_t errlen; } check_ctx;

static int check_one(const char *name, void *ctx) {
    check_ctx *c = ctx;
    if (output_find(name)) return 0;
    snprintf(c->err, c->errlen,
             "unknown format '%s' (known: svg, json, md, text, folded, speedscope, pprof, html)", name);
    return -1;
}

int output_check_list(const char *list, char *err, size_t errlen) {
    check_ctx c = {err, errlen};
    if (!list || !*list) {
        snprintf(err, errlen, "empty format list");
        return -1;
    }
    return each_entry(list, check_one, &c);
}

typedef struct {
    const profile *p;
    const char *dir, *name;
    const output_opts *o;
    int verbose, failed;
} write_ctx;

static int write_one(const char *fmt, void *ctx) {
    write_ctx *c = ctx;
    const output_format *f = output_find(fmt);
    if (!f) {
        fprintf(stderr, "csprof: unknown format '%s'\n", fmt);
        c->failed = 1;
        return 0;
    }
    size_t len = strlen(c->dir) + strlen(c->name) + strlen(f->suffix) + 2;
    char *path = malloc(len);
    if (!path) {
        fprintf(stderr, "csprof: out of memory writing %s output\n", fmt);
        c->failed = 1;
        return 0;
    }
    snprintf(path, len, "%s/%s%s", c->dir, c->name, f->suffix);
    /* A reader never sees half a file, and a link planted at the name or
     * the temporary name is never written through (atomicfile.h). */
    afile a;
    if (afile_open(&a, path) != 0) {
        fprintf(stderr, "csprof: cannot create a temporary file for %s: %s\n", path, strerror(errno));
        c->failed = 1;
    } else {
        int rc = f->write(c->p, a.f, c->o);
        if (afile_commit(&a, rc != 0) != 0) {
            if (rc == 0)
                fprintf(stderr, "csprof: cannot %s %s: %s\n", a.step, path, strerror(errno));
            c->failed = 1;
        } else if (c->verbose) {
            fprintf(stderr, "csprof: wrote %s\n", path);
        }
    }
    free(path);
    return 0;
}

int output_write_all(const profile *p, const char *dir, const char *name, const char *list,
                     const output_opts *o, int verbose) {
    write_ctx c = {p, dir, name, o, verbose, 0};
    each_entry(list, write_one, &c);
    return c.failed ? -1 : 0;
}
