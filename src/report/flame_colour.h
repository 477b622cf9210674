/* flame_colour.h -- how a flamegraph bar is coloured.
 *
 * A plain flamegraph colours a bar by its kind of code, one of four shades
 * chosen by its name, so neighbours stay apart and a function keeps its
 * colour in every run (the CSS classes a0..f3 of flamegraph.css: the kind's
 * letter, 'a' + code_kind, and the shade). A differential flamegraph colours
 * it by how its share of all samples changed against the base.
 */
#ifndef CSPROF_FLAME_COLOUR_H
#define CSPROF_FLAME_COLOUR_H

#include <stdbool.h>
#include <stdint.h>

#include "flame_names.h"
#include "flame_tree.h"

/* The shade (0-3) of a bar whose function is named raw (NULL: no name). */
unsigned flame_shade(const char *raw);

/* Light grey for no change, towards red as the share grew and towards blue
 * as it shrank, full colour at |delta_pp| >= scale; "#rrggbb" into out.
 * Returns whether a label on it should be white. */
bool flame_diff_colour(double delta_pp, double scale, unsigned shade, char out[8]);

/* A differential flamegraph's matching: bmatch[u] (one per node of t) is
 * the node of the base tree bt on the same call path as each bar shown in
 * L (FLAME_NONE when the base has none). Returns the colour scale: the
 * largest change of share shown, in percentage points, at least 1. */
double flame_match_base(const flame_tree *t, const flame_tree *bt, const flame_names *nm,
                        const flame_layout *L, uint64_t total, uint64_t base_total,
                        uint32_t *bmatch);

#endif
