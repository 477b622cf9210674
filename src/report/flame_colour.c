/* flame_colour.c -- how a flamegraph bar is coloured. See flame_colour.h. */
#include <stdio.h>
#include <string.h>

#include "flame_colour.h"
#include "hashidx.h"
#include "numfmt.h"

unsigned flame_shade(const char *raw) {
    /* Two bits of the FNV-1a hash of the name's bytes; a missing name as
     * the empty one with its bits flipped, so it differs from "". */
    uint64_t h = raw ? hash_bytes(HASH_INIT, raw, strlen(raw)) : HASH_INIT ^ 0x9e3779b97f4a7c15ULL;
    return (unsigned)(h >> 7) & 3;
}

bool flame_diff_colour(double delta_pp, double scale, unsigned shade, char out[8]) {
    double t = delta_pp / scale;
    if (t > 1) t = 1;
    if (t < -1) t = -1;
    if (delta_pp < 0.05 && delta_pp > -0.05) t = 0;
    /* Ease out so a change of a tenth of the scale is already visible. */
    t = t < 0 ? -(-t * (2 + t)) : t * (2 - t);
    double base = 236 - 6.0 * shade;
    double r = base, g = base, b = base;
    if (t > 0) {
        r = base + (214 - base) * t;
        g = base + (48 - base) * t;
        b = base + (39 - base) * t;
    } else if (t < 0) {
        r = base + (33 - base) * -t;
        g = base + (102 - base) * -t;
        b = base + (172 - base) * -t;
    }
    snprintf(out, 8, "#%02x%02x%02x", (unsigned)(r + 0.5) & 0xFF, (unsigned)(g + 0.5) & 0xFF,
             (unsigned)(b + 0.5) & 0xFF);
    return t > 0.6 || t < -0.6;  /* dark enough to want white labels */
}

double flame_match_base(const flame_tree *t, const flame_tree *bt, const flame_names *nm,
                        const flame_layout *L, uint64_t total, uint64_t base_total,
                        uint32_t *bmatch) {
    bmatch[0] = 0;
    double maxabs = 0;
    /* Preorder: a bar's parent is matched before the bar. */
    for (size_t v = 0; v < L->nvis; v++) {
        uint32_t u = L->vis[v];
        const flame_node *nd = &t->v[u];
        uint32_t bp = bmatch[nd->parent];
        uint32_t b = FLAME_NONE;
        if (bp != FLAME_NONE) b = flame_tree_find(bt, bp, nm->keys.v[nd->key].match);
        bmatch[u] = b;
        double d = share(nd->count, total) - share(b == FLAME_NONE ? 0 : bt->v[b].count, base_total);
        if (d < 0) d = -d;
        if (d > maxabs) maxabs = d;
    }
    /* Colour saturates at the largest change shown, but never below one
     * percentage point, so noise in an unchanged profile stays pale. */
    return maxabs > 1.0 ? maxabs : 1.0;
}
