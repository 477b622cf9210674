/* flame_tree.h -- the flamegraph's call tree and its layout.
 *
 * Stacks are merged into a tree whose nodes are keys (flame_names.h) under
 * a parent, so one function is one bar per call path whatever line it was
 * on; the line seen most often is kept for the tooltip.
 *
 * Promises:
 *  - Node 0 is the virtual root (key FLAME_NONE, depth 0); every other node
 *    is created after its parent, so parent < child.
 *  - After flame_tree_sort, each node's children are in their keys' rank
 *    order (name order), so a call path lands in the same place in every
 *    run and in diffs.
 *  - The layout gives each node its first sample (start) from integer
 *    sample offsets, so siblings tile exactly, and lists the bars wide
 *    enough to show in preorder, counting what it leaves out.
 *  - Allocation failure is returned, never abort().
 */
#ifndef CSPROF_FLAME_TREE_H
#define CSPROF_FLAME_TREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flame_names.h"
#include "hashidx.h"
#include "profile.h"

typedef struct {
    uint32_t key, parent, depth;  /* depth 0 is the virtual root */
    int hot_line;                 /* the line with most samples (with_lines) */
    uint64_t count, idle, hot_count, start;
    uint32_t nlines;              /* distinct lines seen (with_lines) */
} flame_node;

typedef struct {
    uint32_t node;
    int line;
    uint64_t count;
} flame_line;

typedef struct {
    flame_node *v;
    size_t n, cap;
    hidx idx;               /* (parent, key) -> child */
    flame_line *lines;      /* (node, line) -> samples, when wanted */
    size_t nlines, caplines;
    hidx lidx;
    uint32_t *kids;         /* children of node i: kids[kid_at[i] .. kid_at[i+1]) */
    uint32_t *kid_at;
} flame_tree;

/* Merges every stack of p into t (zeroed), keymap giving each frame's key;
 * with_lines also keeps each node's hottest line. Returns 0, -1 on OOM, -2
 * when a stack names a frame the profile does not have. */
int flame_tree_build(flame_tree *t, const profile *p, const uint32_t *keymap, bool with_lines);

/* The child of parent with this key; FLAME_NONE when there is none. */
uint32_t flame_tree_find(const flame_tree *t, uint32_t parent, uint32_t key);

/* Orders every node's children by their keys' rank. 0, or -1 on OOM. */
int flame_tree_sort(flame_tree *t, const flame_names *nm);

void flame_tree_free(flame_tree *t);

typedef struct {
    uint32_t *vis;          /* shown bars in preorder */
    size_t nvis;
    uint32_t max_level;     /* highest level shown (0 = roots) */
    uint64_t dropped_frames, dropped_samples;
} flame_layout;

/* Sets every node's start and lists in L (zeroed) the bars at least min_w
 * px wide when total samples span frame_w px; a narrower bar is left out
 * with everything above it. 0, or -1 on OOM. */
int flame_lay_out(flame_tree *t, uint64_t total, double frame_w, double min_w, flame_layout *L);

#endif
