/* functable.c -- the function table of a profile. See profile.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "profile.h"

/* For profile.c, which caches the table. */
prof_functable *prof_functable_build(const profile *p);
void prof_functable_free(prof_functable *t);

struct prof_functable {
    prof_func *f;
    size_t n;
    uint32_t *of_frame;      /* frame index -> function id */
    size_t nframes;
    char **owned;            /* paths made here */
    size_t nowned;
};

static uint64_t mix(uint64_t h, const void *data, size_t len) {
    const unsigned char *b = data;
    for (size_t i = 0; i < len; i++) h = (h ^ b[i]) * 0x100000001b3ULL;
    return h;
}

static uint64_t mix_str(uint64_t h, const char *s) {
    return mix(h, s ? s : "", s ? strlen(s) + 1 : 1);
}

static bool same(const char *a, const char *b) {
    return (!a || !b) ? a == b : strcmp(a, b) == 0;
}

/* The identity rule of profile.h. */
static uint64_t func_hash(const prof_frame *f) {
    uint64_t h = mix_str(mix_str(0xcbf29ce484222325ULL, f->function), f->file);
    int ints[2] = {f->first_line, (int)f->type};
    return mix(h, ints, sizeof ints);
}

static bool same_func(const prof_func *a, const prof_frame *f) {
    return a->first_line == f->first_line && a->type == f->type && same(a->name, f->function) &&
           same(a->file, f->file);
}

/* file relative to the workspace (relative files: to the command's cwd), or NULL. */
static char *workspace_rel(const prof_meta *m, const char *file) {
    const char *ws = m->workspace ? m->workspace : m->cwd;
    if (!ws || !*ws || !file || !*file || file[0] == '<') return NULL;
    char abs[4096];
    const char *cwd = m->cwd ? m->cwd : ws;
    int k = file[0] == '/' ? snprintf(abs, sizeof abs, "%s", file)
                           : snprintf(abs, sizeof abs, "%s/%s", cwd, file);
    if (k < 0 || (size_t)k >= sizeof abs) return NULL;
    classify_normalise_path(abs);
    char root[4096];
    if ((size_t)snprintf(root, sizeof root, "%s", ws) >= sizeof root) return NULL;
    classify_normalise_path(root);
    size_t n = strcmp(root, "/") ? strlen(root) : 0;
    if (strncmp(abs, root, n) || abs[n] != '/' || !abs[n + 1]) return NULL;
    return strdup(abs + n + 1);
}

/* What a reader recognises a file by (see prof_func.path). */
static const char *display_path(const prof_func *fn, const char *ws_rel) {
    const char *file = fn->file;
    if (!file) return NULL;
    if (fn->type == FRAME_NATIVE) {
        const char *slash = strrchr(file, '/');
        return slash ? slash + 1 : file;
    }
    if (ws_rel) return ws_rel;
    const char *s = strstr(file, "/site-packages/");
    if (!s) s = strstr(file, "/dist-packages/");
    if (s) return s + strlen("/site-packages/");
    if ((s = strstr(file, "/lib/python")) != NULL) {
        const char *e = strchr(s + 1, '/');
        e = e ? strchr(e + 1, '/') : NULL;
        if (e && e[1]) return e + 1;
    }
    return file;
}

void prof_functable_free(prof_functable *t) {
    if (!t) return;
    for (size_t i = 0; i < t->nowned; i++) free(t->owned[i]);
    free(t->owned);
    free(t->f);
    free(t->of_frame);
    free(t);
}

static int add_func(prof_functable *t, const profile *p, const prof_frame *f) {
    prof_func *fn = &t->f[t->n];
    *fn = (prof_func){.name = f->function, .file = f->file, .module = f->module,
                      .first_line = f->first_line, .type = f->type, .import = f->import};
    fn->kind = (int)classify_func_module(p, f->file, f->module, f->type);
    char *rel = f->type == FRAME_NATIVE ? NULL : workspace_rel(prof_meta_get(p), f->file);
    if (rel) t->owned[t->nowned++] = rel;
    fn->ws_path = rel;
    fn->path = display_path(fn, rel);
    return (int)t->n++;
}

prof_functable *prof_functable_build(const profile *p) {
    size_t nf = prof_nframes(p);
    prof_functable *t = calloc(1, sizeof *t);
    uint32_t *slots = NULL;
    uint64_t *hashes = malloc((nf ? nf : 1) * sizeof *hashes);
    size_t cap = 16;
    while (cap < 2 * (nf + 1)) cap *= 2;
    if (!t || !hashes || !(slots = calloc(cap, sizeof *slots)) ||
        !(t->f = calloc(nf ? nf : 1, sizeof *t->f)) ||
        !(t->of_frame = malloc((nf ? nf : 1) * sizeof *t->of_frame)) ||
        !(t->owned = calloc(nf ? nf : 1, sizeof *t->owned))) {
        free(slots);
        free(hashes);
        prof_functable_free(t);
        return NULL;
    }
    t->nframes = nf;
    for (size_t i = 0; i < nf; i++) {
        const prof_frame *f = prof_frame_at(p, i);
        t->of_frame[i] = UINT32_MAX;
        if (f->type == FRAME_PROCESS || f->type == FRAME_THREAD) continue;
        uint64_t h = func_hash(f);
        size_t pos = h & (cap - 1);
        for (; slots[pos]; pos = (pos + 1) & (cap - 1)) {
            uint32_t k = slots[pos] - 1;
            if (hashes[k] == h && same_func(&t->f[k], f)) break;
        }
        if (!slots[pos]) {
            hashes[t->n] = h;
            slots[pos] = (uint32_t)add_func(t, p, f) + 1;
        }
        t->of_frame[i] = slots[pos] - 1;
    }
    free(slots);
    free(hashes);
    return t;
}

size_t prof_nfuncs(const prof_functable *t) { return t ? t->n : 0; }
const prof_func *prof_func_at(const prof_functable *t, size_t i) {
    return t && i < t->n ? &t->f[i] : NULL;
}
uint32_t prof_func_of(const prof_functable *t, size_t frame) {
    return t && frame < t->nframes ? t->of_frame[frame] : UINT32_MAX;
}
