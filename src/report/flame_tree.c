/* flame_tree.c -- the flamegraph's call tree and its layout. See flame_tree.h. */
#include <stdlib.h>
#include <string.h>

#include "flame_tree.h"

static uint64_t child_hash(uint32_t parent, uint32_t key) {
    return hash_u64(HASH_INIT, (uint64_t)parent << 32 | key);
}

static uint64_t node_hash_of(const void *ctx, uint32_t i) {
    const flame_node *n = &((const flame_tree *)ctx)->v[i];
    return child_hash(n->parent, n->key);
}

static uint64_t line_hash(uint32_t node, int line) {
    return hash_u64(HASH_INIT, (uint64_t)node << 32 | (uint32_t)line);
}

static uint64_t line_hash_of(const void *ctx, uint32_t i) {
    const flame_line *e = &((const flame_tree *)ctx)->lines[i];
    return line_hash(e->node, e->line);
}

/* Inline in the merge, which looks up once per frame of every stack. */
static inline uint32_t find_child(const flame_tree *t, uint32_t parent, uint32_t key) {
    hidx_iter it;
    for (uint32_t i = hidx_first(&t->idx, child_hash(parent, key), &it); i != HIDX_NONE;
         i = hidx_next(&it))
        if (t->v[i].parent == parent && t->v[i].key == key) return i;
    return FLAME_NONE;
}

uint32_t flame_tree_find(const flame_tree *t, uint32_t parent, uint32_t key) {
    return find_child(t, parent, key);
}

/* The child of parent with this key, created when missing; FLAME_NONE on OOM. */
static uint32_t child_of(flame_tree *t, uint32_t parent, uint32_t key) {
    uint32_t c = find_child(t, parent, key);
    if (c != FLAME_NONE) return c;
    flame_node *v = hidx_reserve(t->v, &t->cap, t->n, sizeof *v);
    if (!v) return FLAME_NONE;
    t->v = v;
    t->v[t->n] = (flame_node){.key = key, .parent = parent, .depth = t->v[parent].depth + 1};
    t->n++;
    if (hidx_add(&t->idx, (uint32_t)(t->n - 1), child_hash(parent, key), t->n, node_hash_of, t)) {
        t->n--;
        return FLAME_NONE;
    }
    return (uint32_t)(t->n - 1);
}

static int add_line(flame_tree *t, uint32_t node, int line, uint64_t count) {
    uint64_t h = line_hash(node, line);
    hidx_iter it;
    for (uint32_t i = hidx_first(&t->lidx, h, &it); i != HIDX_NONE; i = hidx_next(&it)) {
        if (t->lines[i].node == node && t->lines[i].line == line) {
            t->lines[i].count += count;
            return 0;
        }
    }
    flame_line *l = hidx_reserve(t->lines, &t->caplines, t->nlines, sizeof *l);
    if (!l) return -1;
    t->lines = l;
    t->lines[t->nlines++] = (flame_line){.node = node, .line = line, .count = count};
    if (hidx_add(&t->lidx, (uint32_t)(t->nlines - 1), h, t->nlines, line_hash_of, t)) {
        t->nlines--;
        return -1;
    }
    return 0;
}

/* Each node's hottest line: most samples, the lowest line on a tie. */
static void pick_hot_lines(flame_tree *t) {
    for (size_t i = 0; i < t->nlines; i++) {
        const flame_line *e = &t->lines[i];
        flame_node *nd = &t->v[e->node];
        nd->nlines++;
        if (e->count > nd->hot_count || (e->count == nd->hot_count && e->line < nd->hot_line)) {
            nd->hot_count = e->count;
            nd->hot_line = e->line;
        }
    }
}

int flame_tree_build(flame_tree *t, const profile *p, const uint32_t *keymap, bool with_lines) {
    if (!(t->v = hidx_reserve(NULL, &t->cap, 0, sizeof *t->v))) return -1;
    t->v[0] = (flame_node){.key = FLAME_NONE, .parent = FLAME_NONE};
    t->n = 1;
    size_t nf = prof_nframes(p), ns = prof_nstacks(p);
    for (size_t si = 0; si < ns; si++) {
        const prof_stack *s = prof_stack_at(p, si);
        if (!s->count) continue;
        uint32_t cur = 0;
        t->v[0].count += s->count;
        if (s->idle) t->v[0].idle += s->count;
        for (uint32_t d = 0; d < s->depth; d++) {
            uint32_t fi = s->frames[d];
            if (fi >= nf) return -2;
            uint32_t c = child_of(t, cur, keymap[fi]);
            if (c == FLAME_NONE) return -1;
            t->v[c].count += s->count;
            if (s->idle) t->v[c].idle += s->count;
            if (with_lines && add_line(t, c, prof_frame_at(p, fi)->line, s->count)) return -1;
            cur = c;
        }
    }
    if (with_lines) pick_hot_lines(t);
    return 0;
}

/* A counting sort by key rank, then a stable counting sort by parent, so the
 * whole tree is ordered in O(n). */
int flame_tree_sort(flame_tree *t, const flame_names *nm) {
    size_t n = t->n, nk = nm->keys.n;
    uint32_t *by_rank = malloc(n * sizeof *by_rank);
    uint32_t *bucket = calloc((nk > n ? nk : n) + 1, sizeof *bucket);
    t->kids = malloc(n * sizeof *t->kids);
    t->kid_at = calloc(n + 1, sizeof *t->kid_at);
    if (!by_rank || !bucket || !t->kids || !t->kid_at) {
        free(by_rank);
        free(bucket);
        return -1;
    }
    for (size_t i = 1; i < n; i++) bucket[nm->keys.v[t->v[i].key].rank + 1]++;
    for (size_t r = 0; r < nk; r++) bucket[r + 1] += bucket[r];
    for (size_t i = 1; i < n; i++) by_rank[bucket[nm->keys.v[t->v[i].key].rank]++] = (uint32_t)i;
    for (size_t i = 1; i < n; i++) t->kid_at[t->v[i].parent + 1]++;
    for (size_t i = 0; i < n; i++) t->kid_at[i + 1] += t->kid_at[i];
    uint32_t *fill = bucket;  /* reused: sized for both jobs */
    memcpy(fill, t->kid_at, n * sizeof *fill);
    for (size_t j = 0; j + 1 < n; j++) {
        uint32_t c = by_rank[j];
        t->kids[fill[t->v[c].parent]++] = c;
    }
    free(fill);
    free(by_rank);
    return 0;
}

void flame_tree_free(flame_tree *t) {
    free(t->v);
    hidx_free(&t->idx);
    free(t->lines);
    hidx_free(&t->lidx);
    free(t->kids);
    free(t->kid_at);
    *t = (flame_tree){0};
}

/* Lays out u's children from u's start, pushing the shown ones on stack so
 * that they pop left to right; returns the new stack height. */
static size_t lay_out_children(flame_tree *t, uint32_t u, const uint64_t *size, double frame_w,
                               double min_w, uint64_t total, uint32_t *stack, size_t sp,
                               flame_layout *L) {
    uint64_t at = t->v[u].start;
    size_t first_pushed = sp;
    for (uint32_t k = t->kid_at[u]; k < t->kid_at[u + 1]; k++) {
        uint32_t c = t->kids[k];
        t->v[c].start = at;
        at += t->v[c].count;
        if ((double)t->v[c].count * frame_w < min_w * (double)total) {
            L->dropped_frames += size[c];
            L->dropped_samples += t->v[c].count;
        } else {
            stack[sp++] = c;
        }
    }
    for (size_t a = first_pushed, b = sp; a + 1 < b; a++, b--) {
        uint32_t tmp = stack[a];
        stack[a] = stack[b - 1];
        stack[b - 1] = tmp;
    }
    return sp;
}

int flame_lay_out(flame_tree *t, uint64_t total, double frame_w, double min_w, flame_layout *L) {
    size_t n = t->n;
    uint64_t *size = malloc(n * sizeof *size);
    L->vis = malloc(n * sizeof *L->vis);
    uint32_t *stack = malloc(n * sizeof *stack);
    if (!size || !L->vis || !stack) {
        free(size);
        free(stack);
        return -1;
    }
    /* Children are created after their parents, so one backward sweep sums
     * subtree sizes (what a dropped bar takes with it). */
    for (size_t i = 0; i < n; i++) size[i] = 1;
    for (size_t i = n - 1; i > 0; i--) size[t->v[i].parent] += size[i];
    size_t sp = 0;
    stack[sp++] = 0;
    t->v[0].start = 0;
    while (sp) {
        uint32_t u = stack[--sp];
        if (u) {
            L->vis[L->nvis++] = u;
            if (t->v[u].depth - 1 > L->max_level) L->max_level = t->v[u].depth - 1;
        }
        sp = lay_out_children(t, u, size, frame_w, min_w, total, stack, sp, L);
    }
    free(size);
    free(stack);
    return 0;
}
