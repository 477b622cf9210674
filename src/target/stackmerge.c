/* stackmerge.c -- Python frames spliced into native stacks. See stackmerge.h. */
#include "stackmerge.h"

#include <string.h>

bool stackmerge_is_eval(const char *function) {
    static const char eval[] = "_PyEval_EvalFrameDefault";
    if (!function || strncmp(function, eval, sizeof eval - 1)) return false;
    const char *rest = function + sizeof eval - 1;
    return !*rest || !strcmp(rest, ".cold");
}

long stackmerge(const sm_native *native, size_t nn, bool native_complete,
                const bool *py_entry, size_t np, sm_frame *out, size_t cap) {
    if (np == 0 || cap < nn + np || !py_entry[0]) return -1;
    size_t evals = 0, groups = 0;
    for (size_t i = 0; i < nn; i++) evals += native[i].eval;
    for (size_t i = 0; i < np; i++) groups += py_entry[i];
    if (evals == 0 || evals > groups || (native_complete && evals != groups)) return -1;

    size_t n = 0, p = 0;
    /* A native stack cut short at the root: the outer groups have no eval
     * frame left to stand in for; they go first, as they are. */
    for (size_t skip = groups - evals; p < np; p++) {
        if (py_entry[p] && skip-- == 0) break;
        out[n++] = (sm_frame){false, (uint32_t)p};
    }
    size_t i = 0;
    while (i < nn && !native[i].eval) i++;   /* the root-side prefix */
    for (; i < nn; i++) {
        if (native[i].eval) {
            do out[n++] = (sm_frame){false, (uint32_t)p++};
            while (p < np && !py_entry[p]);
            continue;
        }
        if (native[i].interp) continue;
        /* Adjacent kept frames of one unnamed group are one frame. */
        if (native[i].group && n > 0 && out[n - 1].native &&
            native[out[n - 1].index].group == native[i].group)
            continue;
        out[n++] = (sm_frame){true, (uint32_t)i};
    }
    return (long)n;
}
