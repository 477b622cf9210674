/* classify.c -- see classify.h for the rule. */
#include "classify.h"

#include <stdlib.h>
#include <string.h>

#include "stdlib_names_gen.h"

static int under(const char *path, const char *dir) {
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/') n--;
    return n > 0 && strncmp(path, dir, n) == 0 && (path[n] == '/' || path[n] == '\0');
}

static int is_stdlib_path(const char *file) {
    if (file[0] == '<') return 1;  /* <frozen importlib._bootstrap>, <built-in>, <string> */
    const char *s = strstr(file, "/lib/python");
    if (!s) return 0;
    s += strlen("/lib/python");
    /* /lib/python3.12/..., or /lib/python312.zip/... */
    while (*s && *s != '/') s++;
    return *s == '/';
}

static int name_cmp(const void *key, const void *elem) {
    return strcmp(key, *(const char *const *)elem);
}

/* A pseudo-file's code belongs to its module: the standard library's when
 * the top-level package is one of its modules, the script's for __main__. */
static code_kind module_kind(const char *module) {
    char top[128];
    size_t n = strcspn(module, ".");
    if (n == 0 || n >= sizeof top) return CODE_THIRD_PARTY;
    memcpy(top, module, n);
    top[n] = '\0';
    if (strcmp(top, "__main__") == 0) return CODE_YOURS;
    return bsearch(top, stdlib_names, sizeof stdlib_names / sizeof stdlib_names[0],
                   sizeof stdlib_names[0], name_cmp) ? CODE_STDLIB : CODE_THIRD_PARTY;
}

code_kind classify_func(const profile *p, const char *file, frame_type type) {
    return classify_func_module(p, file, NULL, type);
}

code_kind classify_func_module(const profile *p, const char *file, const char *module,
                               frame_type type) {
    if (type == FRAME_PROCESS || type == FRAME_THREAD) return CODE_SYNTHETIC;
    if (type == FRAME_NATIVE) return CODE_NATIVE;
    if (!file || !*file) return CODE_THIRD_PARTY;
    if (file[0] == '<' && module && *module) return module_kind(module);
    if (strstr(file, "/site-packages/") || strstr(file, "/dist-packages/"))
        return CODE_THIRD_PARTY;
    if (is_stdlib_path(file)) return CODE_STDLIB;
    if (file[0] != '/') return CODE_YOURS;
    const prof_meta *m = prof_meta_get(p);
    const char *ws = m->workspace ? m->workspace : m->cwd;
    if (ws && under(file, ws)) return CODE_YOURS;
    return CODE_THIRD_PARTY;
}

code_kind classify_frame(const profile *p, const prof_frame *f) {
    return classify_func_module(p, f->file, f->module, f->type);
}

const char *code_kind_name(code_kind k) {
    static const char *names[CODE_KIND_COUNT] = {"your code", "stdlib", "third-party",
                                                 "native", "idle", "root"};
    return (unsigned)k < CODE_KIND_COUNT ? names[k] : "?";
}

static bool ends_with(const char *s, const char *tail) {
    size_t n = strlen(s), m = strlen(tail);
    return n >= m && strcmp(s + n - m, tail) == 0;
}

bool classify_importlib_file(const char *file) {
    return file && (strcmp(file, "<frozen importlib._bootstrap>") == 0 ||
                    strcmp(file, "<frozen importlib._bootstrap_external>") == 0 ||
                    ends_with(file, "/importlib/_bootstrap.py") ||
                    ends_with(file, "/importlib/_bootstrap_external.py"));
}

bool classify_frame_is_import(const prof_frame *f) {
    if (!f || f->type != FRAME_PYTHON) return false;
    if (f->import) return true;
    return f->file && (classify_importlib_file(f->file) || !strcmp(f->file, "<frozen zipimport>") ||
                       ends_with(f->file, "/zipimport.py"));
}

/* Collapses "//", "/./" and "dir/.." of an absolute path, in place. */
void classify_normalise_path(char *path) {
    char *out = path, *p = path;
    while (*p) {
        while (*p == '/') p++;
        if (!*p) break;
        char *seg = p;
        while (*p && *p != '/') p++;
        size_t n = (size_t)(p - seg);
        if (n == 1 && seg[0] == '.') continue;
        if (n == 2 && seg[0] == '.' && seg[1] == '.') {
            while (out > path && *--out != '/') {}
            continue;
        }
        *out++ = '/';
        memmove(out, seg, n);
        out += n;
    }
    if (out == path) *out++ = '/';
    *out = '\0';
}

/* ---- extension modules ---- */

/* Whether s[0, n) could be a Python package or module name. */
static bool identifier(const char *s, size_t n) {
    if (n == 0 || (s[0] >= '0' && s[0] <= '9')) return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
              (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
            return false;
    return true;
}

bool classify_extension_module(const char *path, char *out, size_t len) {
    const char *slash = strrchr(path, '/'), *base = slash ? slash + 1 : path;
    const char *dot = strchr(base, '.');
    size_t n = strlen(base);
    if (!dot || !identifier(base, (size_t)(dot - base)) || n < 3 || strcmp(base + n - 3, ".so") ||
        (strncmp(dot, ".cpython-", 9) && strcmp(dot, ".abi3.so")))
        return false;
    static const char *const roots[] = {"/site-packages/", "/dist-packages/", "/lib-dynload/"};
    const char *top = NULL;
    for (size_t i = 0; i < sizeof roots / sizeof roots[0]; i++)
        for (const char *r = path; (r = strstr(r, roots[i])) != NULL; r++)
            if (!top || r + strlen(roots[i]) > top) top = r + strlen(roots[i]);
    /* The packages: from the last directory that is no identifier on. */
    const char *from = base;
    if (top)
        for (const char *d = base - 1; d > top;) {
            const char *start = d - 1;
            while (start >= top && *start != '/') start--;
            start++;
            if (!identifier(start, (size_t)(d - start))) break;
            from = start;
            d = start - 1;
        }
    size_t k = 0;
    for (const char *c = from; c < dot && k + 1 < len; c++) out[k++] = *c == '/' ? '.' : *c;
    if (len) out[k] = '\0';
    return true;
}
