/* flame_names.h -- what a flamegraph bar stands for: the strings and keys
 * of one render (a profile, and a diff's base).
 *
 * Promises:
 *  - A bar's identity (its key) is the function table's rule (profile.h):
 *    function, file, first_line and type; equal frames get equal keys, in
 *    both profiles of a diff, since they share one table.
 *  - Every key also has a match key, by which a diff finds the same bar in
 *    its base: without first_line (a function whose first line moved still
 *    matches), and for process/thread roots without the pid/tid (they
 *    differ from run to run).
 *  - Strings are borrowed from the profiles, which outlive the render; the
 *    shown form of each (flame_clean) is made once, when first shown.
 *  - After flame_rank_keys, keys[k].rank is k's position in name order, the
 *    order children are laid out in, so a call path lands in the same place
 *    in every run.
 *  - Allocation failure is returned (NULL or -1), never abort().
 */
#ifndef CSPROF_FLAME_NAMES_H
#define CSPROF_FLAME_NAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hashidx.h"
#include "profile.h"
#include "sbuf.h"

#define FLAME_NONE HIDX_NONE

typedef struct {
    const char *raw;   /* NULL when the profile has no such name */
    uint64_t hash;
    char *clean;       /* the shown form, NULL until first shown */
    size_t ncp;        /* code points of clean */
    uint32_t js;       /* index in the tree data's string table, FLAME_NONE until used */
} flame_str;

typedef struct {
    uint32_t fn, file;   /* flame_str ids */
    int first_line;
    const char *module;  /* for the kind: the first frame's __module__ */
    frame_type type;
    uint32_t match;      /* match key (itself for a diff base's keys) */
    uint32_t rank;       /* position in name order */
    int kind;            /* code_kind, -1 until asked */
    uint64_t hash;
} flame_key;

typedef struct {
    flame_str *v;
    size_t n, cap;
    hidx idx;
} flame_strs;

typedef struct {
    flame_key *v;
    size_t n, cap;
    hidx idx;
} flame_keys;

typedef struct {
    flame_strs strs;
    flame_keys keys;
    char **owned;        /* strings made here (match names), freed with the rest */
    size_t nowned, capowned;
} flame_names;

/* The key of every frame of p (malloc'd, one per frame), or NULL on OOM.
 * match_only: p is a diff's base, whose bars are only ever looked up, so
 * its frames map to match keys. */
uint32_t *flame_map_frames(flame_names *nm, const profile *p, bool match_only);

/* Sets every key's rank. 0, or -1 on OOM. */
int flame_rank_keys(flame_names *nm);

/* The kind of code of key k (classify.h), worked out on first use. */
code_kind flame_key_kind(flame_names *nm, const profile *p, uint32_t k);

/* String id with its shown form made; NULL on OOM. */
const flame_str *flame_shown(flame_names *nm, uint32_t id);

void flame_names_free(flame_names *nm);

/* Appends s (NULL = "") as the flamegraph shows text: valid UTF-8 of
 * characters XML allows and no control characters (a newline in a name
 * would break the tooltip's layout); anything else becomes U+FFFD. Stores
 * the code points appended in *ncp when ncp is not NULL. */
bool flame_clean(sbuf *out, const char *s, size_t *ncp);

#endif
