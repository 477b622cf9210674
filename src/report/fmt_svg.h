/* fmt_svg.h -- the flamegraph renderer for writers that embed it in a page
 * (fmt_html.c). write_svg (output.h) writes the standalone SVG document. */
#ifndef CSPROF_FMT_SVG_H
#define CSPROF_FMT_SVG_H

#include <stddef.h>
#include "output.h"

/* The same picture as write_svg (bars, labels, <title> tooltips, legend;
 * differential when o->base), for inline use in HTML:
 *  svg   the <svg> element alone: no XML declaration and no <script>; its
 *        <style> and element ids are those of the standalone SVG;
 *  data  the tree the standalone SVG's script reads (its D), as one JSON object
 *        {"W": frame area width px, "P": left margin px, "C": label character
 *         advance px (the label rule: C per code point, 3 px padding each
 *         side, ".." when cut, no label under 3 characters), "T": total samples,
 *         "F": [level, first sample, samples, name index, file index] per
 *              bar, in the order of the <g> elements under #frames,
 *         "S": [string, ...]}
 *        ('<' and '>' are escaped, so it can sit in a <script> element).
 * Both are NUL-terminated. Returns 0, or -1 after one line on stderr. */
typedef struct {
    char *svg, *data;
    size_t svg_len, data_len;
} svg_embedded;

int svg_render_embedded(const profile *p, const output_opts *o, svg_embedded *out);
void svg_embedded_free(svg_embedded *e);

/* The script that gives a flamegraph zoom, search and details
 * (src/flamecore.js, also the standalone SVG's): it defines
 * csprofFlame(svg element, data), for a page to call on each embedded
 * flamegraph from a script after it. */
const char *svg_flame_script(void);

#endif
