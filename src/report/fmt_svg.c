/* fmt_svg.c -- write_svg: the flamegraph, one self-contained SVG (and the
 * same picture for inline use in the HTML report, fmt_svg.h).
 *
 * This file writes the document; what the bars are comes from
 * flame_names.c (identity), flame_tree.c (merged stacks and layout) and
 * flame_colour.c (colours). Roots sit at the bottom (classic flame layout).
 *
 * The picture is complete without script: every bar is a <g> holding a
 * <title> (the tooltip), a <rect> and, when it fits, a <text> label. The
 * script (src/flamecore.js and src/flamegraph.js; the style is
 * src/flamegraph.css, all embedded at build time) only adds zoom, search, a
 * details bar and relabelling. It reads the tree from a compact array F
 * written after the bars (level, first sample, samples, name, file per bar,
 * in preorder) and a string table S, so it never parses tooltips and can
 * count search matches exactly.
 *
 * Geometry is computed from integer sample offsets and each edge is rounded
 * once, so siblings tile exactly and a child never pokes out of its parent.
 */
#include "output.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "flame_colour.h"
#include "flame_names.h"
#include "flame_tree.h"
#include "flamegraph_assets.h"   /* generated: flamegraph_css, flamecore_js, flamegraph_js */
#include "fmt_svg.h"
#include "numfmt.h"
#include "sbuf.h"

#define IMG_W 1200
#define PAD_X 10
#define FRAME_W (IMG_W - 2 * PAD_X)   /* width that stands for all samples */
#define ROW_H 16
#define RECT_H 15
/* Advance of one character of the 12px monospace label font, slightly
 * generous so a fallback font still fits; the script reads it from the
 * tree data ("C"). */
#define CHAR_W 7.4
#define STR(x) #x
#define XSTR(x) STR(x)

/* ------------------------------------------------------------ text */

/* A coordinate in hundredths of a pixel, printed without trailing zeros. */
static void put_hund(sbuf *s, int64_t v) {
    if (v < 0) {
        sbuf_putc(s, '-');
        v = -v;
    }
    int64_t whole = v / 100, frac = v % 100;
    if (frac == 0)
        sbuf_printf(s, "%lld", (long long)whole);
    else if (frac % 10 == 0)
        sbuf_printf(s, "%lld.%lld", (long long)whole, (long long)(frac / 10));
    else
        sbuf_printf(s, "%lld.%02lld", (long long)whole, (long long)frac);
}

static int64_t to_hund(double px) { return (int64_t)(px * 100.0 + 0.5); }

static void put_count(sbuf *s, uint64_t v) {
    char buf[32];
    sbuf_puts(s, fmt_count(buf, sizeof buf, v));
}

/* Tooltip durations keep a tenth of a millisecond and name hours, more
 * than numfmt's column format: a tooltip has the room. */
static void put_seconds(sbuf *s, double sec) {
    if (sec < 1.0)
        sbuf_printf(s, "%.1f ms", sec * 1000.0);
    else if (sec < 100.0)
        sbuf_printf(s, "%.2f s", sec);
    else if (sec < 6000.0)
        sbuf_printf(s, "%.0f s", sec);
    else
        sbuf_printf(s, "%.0f s (%.1f h)", sec, sec / 3600.0);
}

/* Escapes clean text (flame_clean) for element content or an attribute
 * value, keeping at most maxcp code points (SIZE_MAX: all). */
static void put_xml_n(sbuf *s, const char *t, size_t maxcp) {
    size_t cps = 0;
    const char *run = t;
    for (const char *c = t; *c; c++) {
        if ((*c & 0xC0) != 0x80 && cps++ == maxcp) {
            sbuf_putn(s, run, (size_t)(c - run));
            return;
        }
        const char *rep = NULL;
        switch (*c) {
        case '&': rep = "&amp;"; break;
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '"': rep = "&quot;"; break;
        case '\'': rep = "&#39;"; break;
        }
        if (rep) {
            sbuf_putn(s, run, (size_t)(c - run));
            sbuf_puts(s, rep);
            run = c + 1;
        }
    }
    sbuf_puts(s, run);
}

static void put_xml(sbuf *s, const char *t) { put_xml_n(s, t, SIZE_MAX); }

/* Text that is not yet clean (metadata strings). */
static void put_xml_raw(sbuf *s, const char *raw) {
    sbuf c;
    sbuf_init(&c, SBUF_NO_LIMIT);
    flame_clean(&c, raw, NULL);
    if (c.oom) s->oom = true;
    else put_xml(s, sbuf_str(&c));
    sbuf_free(&c);
}

/* A JavaScript string literal inside CDATA: no "]]>" can appear because '>'
 * is escaped, and the line separators old engines reject are escaped too. */
static void put_js_string(sbuf *s, const char *t) {
    sbuf_putc(s, '"');
    const char *run = t;
    for (const char *c = t; *c; c++) {
        const char *rep = NULL;
        size_t len = 1;
        if (*c == '"') rep = "\\\"";
        else if (*c == '\\') rep = "\\\\";
        else if (*c == '>') rep = "\\u003e";
        else if (*c == '<') rep = "\\u003c";
        else if (c[0] == '\xE2' && c[1] == '\x80' && (c[2] == '\xA8' || c[2] == '\xA9'))
            rep = c[2] == '\xA8' ? "\\u2028" : "\\u2029", len = 3;
        if (rep) {
            sbuf_putn(s, run, (size_t)(c - run));
            sbuf_puts(s, rep);
            c += len - 1;
            run = c + 1;
        }
    }
    sbuf_puts(s, run);
    sbuf_putc(s, '"');
}

/* ------------------------------------------------------------ bars */

typedef struct {
    const profile *p, *base;
    const output_opts *o;
    flame_names nm;
    flame_tree t, bt;
    flame_layout L;
    uint32_t *bmatch;       /* per tree node: the same call path in the base */
    uint64_t total, base_total;
    double sps, min_w;
    double diff_scale;
    uint32_t njs;           /* strings in the script's table */
    int bottom;             /* y of the bottom edge of the root row */
    sbuf *data;             /* embedded: the tree as JSON goes here, no script */
} render;

static uint32_t js_index(render *r, uint32_t id) {
    flame_str *e = &r->nm.strs.v[id];
    if (e->js == FLAME_NONE) e->js = r->njs++;
    return e->js;
}

/* The base's samples on node u's call path (differential only). */
static uint64_t base_count(const render *r, uint32_t u) {
    return r->bmatch[u] == FLAME_NONE ? 0 : r->bt.v[r->bmatch[u]].count;
}

/* Name, file:hottest line, samples, time, share, idle, and the change
 * against the base. */
static void write_tooltip(render *r, sbuf *s, uint32_t u, const flame_str *fn,
                          const flame_str *file) {
    const flame_node *nd = &r->t.v[u];
    put_xml(s, fn->clean[0] ? fn->clean : "?");
    if (file->clean[0]) {
        sbuf_puts(s, "&#10;");
        put_xml(s, file->clean);
        if (nd->hot_line > 0) sbuf_printf(s, ":%d", nd->hot_line);
        if (nd->nlines > 1 && nd->count)
            sbuf_printf(s, " (hottest line, %.0f%% of its samples)",
                        100.0 * (double)nd->hot_count / (double)nd->count);
    }
    sbuf_puts(s, "&#10;");
    put_count(s, nd->count);
    sbuf_puts(s, nd->count == 1 ? " sample, " : " samples, ");
    put_seconds(s, (double)nd->count * r->sps);
    sbuf_printf(s, ", %.2f%%", share(nd->count, r->total));
    if (nd->idle) sbuf_printf(s, ", %.0f%% idle", 100.0 * (double)nd->idle / (double)nd->count);
    if (r->base) {
        uint64_t bc = base_count(r, u);
        double was = share(bc, r->base_total), now = share(nd->count, r->total);
        sbuf_printf(s, "&#10;base %.2f%% \xE2\x86\x92 %.2f%% (%+.2f pp)%s", was, now, now - was,
                    bc ? "" : ", not in base");
    }
}

/* The label, by the rule flamegraph.js's fit() repeats: CHAR_W px per code
 * point, 3 px padding each side, ".." when cut, none under 3 characters. */
static void write_label(sbuf *s, const flame_str *fn, double w, int64_t hx, int y) {
    long maxc = (long)((w - 6) / CHAR_W);
    const char *name = fn->clean[0] ? fn->clean : "?";
    size_t ncp = fn->clean[0] ? fn->ncp : 1;
    if ((long)ncp > maxc && maxc < 3) return;
    sbuf_puts(s, "<text x=\"");
    put_hund(s, hx + 300);
    sbuf_printf(s, "\" y=\"%d\">", y + 11);
    if ((long)ncp <= maxc) {
        put_xml(s, name);
    } else {
        put_xml_n(s, name, (size_t)maxc - 2);
        sbuf_puts(s, "..");
    }
    sbuf_puts(s, "</text>");
}

static void write_bar(render *r, sbuf *s, uint32_t u) {
    const flame_node *nd = &r->t.v[u];
    const flame_key *key = &r->nm.keys.v[nd->key];
    const flame_str *fn = flame_shown(&r->nm, key->fn);
    const flame_str *file = flame_shown(&r->nm, key->file);
    if (!fn || !file) {
        s->oom = true;
        return;
    }
    double x0 = PAD_X + (double)nd->start * FRAME_W / (double)r->total;
    double x1 = PAD_X + (double)(nd->start + nd->count) * FRAME_W / (double)r->total;
    double w = (double)nd->count * FRAME_W / (double)r->total;
    int64_t hx = to_hund(x0), hw = to_hund(x1) - hx;
    int y = r->bottom - (int)nd->depth * ROW_H;  /* roots in the bottom row */
    unsigned shade = flame_shade(fn->raw);

    char fill[8] = "";
    bool dark = false;
    if (r->base) {
        double was = share(base_count(r, u), r->base_total), now = share(nd->count, r->total);
        dark = flame_diff_colour(now - was, r->diff_scale, shade, fill);
    }
    sbuf_puts(s, dark ? "<g class=\"dk\"><title>" : "<g><title>");
    write_tooltip(r, s, u, fn, file);
    sbuf_puts(s, "</title><rect x=\"");
    put_hund(s, hx);
    sbuf_printf(s, "\" y=\"%d\" width=\"", y);
    put_hund(s, hw);
    if (r->base) {
        sbuf_printf(s, "\" height=\"%d\" fill=\"%s\"/>", RECT_H, fill);
    } else {
        code_kind k = flame_key_kind(&r->nm, r->p, nd->key);
        if (k != CODE_SYNTHETIC && nd->idle * 2 > nd->count) k = CODE_IDLE;
        sbuf_printf(s, "\" height=\"%d\" class=\"%c%u\"/>", RECT_H, 'a' + (int)k, shade);
    }
    write_label(s, fn, w, hx, y);
    sbuf_puts(s, "</g>\n");
}

/* ---------------------------------------------------- title and legend */

static const char *title_of(const profile *p, const output_opts *o) {
    const prof_meta *m = prof_meta_get(p);
    if (o && o->title && *o->title) return o->title;
    if (m->script && *m->script) return m->script;
    if (m->name && *m->name) return m->name;
    return "csprof flamegraph";
}

/* "date · commit · wall · samples · rate · Python" for one profile. */
static void write_facts(sbuf *s, const profile *p) {
    const prof_meta *m = prof_meta_get(p);
    const char *sep = "";
#define NEXT() (sbuf_puts(s, sep), sep = " \xC2\xB7 ")
    if (m->start_time && *m->start_time) {
        NEXT();
        put_xml_raw(s, m->start_time);
    }
    if (m->git_commit && *m->git_commit) {
        NEXT();
        sbuf_puts(s, "commit ");
        char shortc[13];
        snprintf(shortc, sizeof shortc, "%s", m->git_commit);
        put_xml_raw(s, shortc);
    }
    if (m->wall_seconds > 0) {
        NEXT();
        sbuf_puts(s, "wall ");
        put_seconds(s, m->wall_seconds);
    }
    NEXT();
    put_count(s, prof_total_samples(p));
    sbuf_puts(s, prof_total_samples(p) == 1 ? " sample" : " samples");
    if (m->rate_hz > 0) {
        NEXT();
        sbuf_printf(s, "%g Hz", m->rate_hz);
        if (m->interval_seconds > 0) sbuf_printf(s, " (measured %.4g Hz)", 1.0 / m->interval_seconds);
    }
    if (m->python_version && *m->python_version) {
        NEXT();
        sbuf_puts(s, "Python ");
        put_xml_raw(s, m->python_version);
    }
    if (m->idle_included) {
        NEXT();
        sbuf_puts(s, "idle included");
    }
#undef NEXT
}

static int legend_width(const char *label) { return 12 + 6 + (int)strlen(label) * 7 + 18; }

/* The differential legend: five steps of the colour scale. */
static void write_diff_legend(render *r, sbuf *s, int y) {
    static const double steps[] = {-1, -0.5, 0, 0.5, 1};
    int x = PAD_X;
    sbuf_printf(s, "<text x=\"%d\" y=\"%d\" class=\"sub\">change in share of all samples vs base:</text>\n",
                x, y + 10);
    x += 270;
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        char fill[8], label[64];
        flame_diff_colour(steps[i] * r->diff_scale, r->diff_scale, 0, fill);
        if (steps[i] == 0) snprintf(label, sizeof label, "no change");
        else snprintf(label, sizeof label, "%+.2g pp%s", steps[i] * r->diff_scale,
                      steps[i] == 1 ? " or more" : steps[i] == -1 ? " or less" : "");
        sbuf_printf(s, "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" fill=\"%s\" stroke=\"#999\" stroke-width=\".5\"/>"
                    "<text x=\"%d\" y=\"%d\">%s</text>\n",
                    x, y, fill, x + 16, y + 10, label);
        x += legend_width(label) - 10;
    }
    sbuf_printf(s, "<text x=\"%d\" y=\"%d\" class=\"note\">red grew, blue shrank; bars only in the base are not shown</text>\n",
                PAD_X, y + 28);
}

/* Whether a process or thread root is among the bars shown. */
static bool shows_roots(const render *r) {
    for (size_t v = 0; v < r->L.nvis; v++)
        if (r->nm.keys.v[r->t.v[r->L.vis[v]].key].type >= FRAME_PROCESS) return true;
    return false;
}

/* The plain legend: share of samples by the kind of the leaf frame (idle
 * samples apart), where the time actually went. */
static void write_kind_legend(render *r, sbuf *s, int y) {
    uint64_t by_kind[CODE_KIND_COUNT] = {0};
    size_t ns = prof_nstacks(r->p), nf = prof_nframes(r->p);
    for (size_t i = 0; i < ns; i++) {
        const prof_stack *st = prof_stack_at(r->p, i);
        code_kind k = CODE_SYNTHETIC;
        if (st->idle) k = CODE_IDLE;
        else if (st->depth && st->frames[st->depth - 1] < nf)
            k = classify_frame(r->p, prof_frame_at(r->p, st->frames[st->depth - 1]));
        by_kind[k] += st->count;
    }
    static const code_kind order[] = {CODE_YOURS, CODE_STDLIB, CODE_THIRD_PARTY, CODE_NATIVE,
                                      CODE_IDLE, CODE_SYNTHETIC};
    int x = PAD_X;
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        code_kind k = order[i];
        if (k == CODE_SYNTHETIC && !by_kind[k] && !shows_roots(r)) continue;
        char label[64];
        const char *nm = k == CODE_SYNTHETIC ? "process/thread" : k == CODE_IDLE ? "idle (off CPU)"
                                                                                 : code_kind_name(k);
        if (k == CODE_SYNTHETIC)
            snprintf(label, sizeof label, "%s", nm);
        else
            snprintf(label, sizeof label, "%s %.1f%%", nm, share(by_kind[k], r->total));
        sbuf_printf(s, "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" class=\"%c0\"/>"
                    "<text x=\"%d\" y=\"%d\">%s</text>\n",
                    x, y, 'a' + (int)k, x + 16, y + 10, label);
        x += legend_width(label);
    }
    sbuf_printf(s, "<text x=\"%d\" y=\"%d\" class=\"note\">legend: share of samples by the kind of code they were in (leaf frame)</text>\n",
                PAD_X, y + 28);
}

/* ------------------------------------------------------- the document */

/* The bars in preorder (level, first sample, samples, name, file: F) and
 * the string table (S), as array elements both JavaScript and JSON read;
 * between closes F and opens S. */
static int write_tree_arrays(render *r, sbuf *s, const char *between) {
    for (size_t v = 0; v < r->L.nvis; v++) {
        const flame_node *nd = &r->t.v[r->L.vis[v]];
        const flame_key *key = &r->nm.keys.v[nd->key];
        sbuf_printf(s, "%s%u,%llu,%llu,%u,%u", v ? "," : "", nd->depth - 1,
                    (unsigned long long)nd->start, (unsigned long long)nd->count,
                    js_index(r, key->fn), js_index(r, key->file));
        if (v % 16 == 15) sbuf_puts(s, "\n");
    }
    sbuf_puts(s, between);
    /* Strings in js order. */
    const char **order = calloc(r->njs ? r->njs : 1, sizeof *order);
    if (!order) {
        s->oom = true;
        return -1;
    }
    for (size_t i = 0; i < r->nm.strs.n; i++) {
        const flame_str *e = &r->nm.strs.v[i];
        if (e->js != FLAME_NONE) order[e->js] = e->clean;
    }
    for (uint32_t i = 0; i < r->njs; i++) {
        if (i) sbuf_puts(s, i % 8 ? "," : ",\n");
        put_js_string(s, order[i] ? order[i] : "");
    }
    free(order);
    return s->oom ? -1 : 0;
}

/* Everything above the bars: title, facts, buttons and legend. */
static void write_head(render *r, sbuf *s, int height) {
    bool diff = r->base != NULL;
    if (!r->data) sbuf_puts(s, "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n");
    sbuf_printf(s, "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%d\" height=\"%d\" "
                   "viewBox=\"0 0 %d %d\">\n",
                IMG_W, height, IMG_W, height);
    sbuf_puts(s, "<title>");
    if (diff) sbuf_puts(s, "differential flamegraph: ");
    put_xml_raw(s, title_of(r->p, r->o));
    sbuf_puts(s, "</title>\n<style>\n");
    sbuf_puts(s, flamegraph_css);
    sbuf_puts(s, "</style>\n");
    sbuf_printf(s, "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"#fff\"/>\n", IMG_W, height);
    sbuf_printf(s, "<text id=\"title\" x=\"%d\" y=\"24\" text-anchor=\"middle\">", IMG_W / 2);
    if (diff) sbuf_puts(s, "Differential: ");
    put_xml_raw(s, title_of(r->p, r->o));
    sbuf_puts(s, "</text>\n");
    sbuf_printf(s, "<text class=\"sub\" x=\"%d\" y=\"42\" text-anchor=\"middle\">", IMG_W / 2);
    write_facts(s, r->p);
    sbuf_puts(s, "</text>\n");
    if (diff) {
        const prof_meta *bm = prof_meta_get(r->base);
        sbuf_printf(s, "<text class=\"sub\" x=\"%d\" y=\"58\" text-anchor=\"middle\">base: ", IMG_W / 2);
        const char *bname = bm->script && *bm->script ? bm->script : bm->name;
        if (bname && *bname) {
            put_xml_raw(s, bname);
            sbuf_puts(s, " \xC2\xB7 ");
        }
        write_facts(s, r->base);
        sbuf_puts(s, "</text>\n");
    }
    sbuf_printf(s, "<text id=\"reset\" class=\"btn\" x=\"%d\" y=\"24\">Reset zoom</text>\n", PAD_X);
    sbuf_printf(s, "<text id=\"search\" class=\"btn\" x=\"%d\" y=\"24\" text-anchor=\"end\">Search (Ctrl-F or /)</text>\n",
                IMG_W - PAD_X);
    sbuf_printf(s, "<text id=\"clear\" class=\"btn\" x=\"%d\" y=\"42\" text-anchor=\"end\" style=\"display:none\">Clear search</text>\n",
                IMG_W - PAD_X);
    if (diff) write_diff_legend(r, s, 70);
    else write_kind_legend(r, s, 52);
}

/* Everything below the bars: the details line and the footnote. */
static void write_foot(render *r, sbuf *s, int top, int foot) {
    const prof_meta *m = prof_meta_get(r->p);
    if (!r->total) {
        sbuf_printf(s, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" class=\"sub\">No samples were recorded.</text>\n",
                    IMG_W / 2, top + 10);
    }
    sbuf_printf(s, "<text id=\"details\" x=\"%d\" y=\"%d\">Hover a frame for details; click to zoom.</text>\n",
                PAD_X, foot);
    sbuf_printf(s, "<text id=\"matched\" x=\"%d\" y=\"%d\" text-anchor=\"end\"></text>\n", IMG_W - PAD_X,
                foot);
    sbuf_printf(s, "<text class=\"note\" x=\"%d\" y=\"%d\">", PAD_X, foot + 18);
    if (r->L.dropped_frames) {
        put_count(s, r->L.dropped_frames);
        sbuf_puts(s, r->L.dropped_frames == 1 ? " frame" : " frames");
        sbuf_printf(s, " narrower than %g px omitted, %.2f%% of samples. ", r->min_w,
                    share(r->L.dropped_samples, r->total));
    }
    if (m->note && *m->note) {
        sbuf_puts(s, "Note: ");
        put_xml_raw(s, m->note);
        sbuf_puts(s, ". ");
    }
    sbuf_puts(s, r->base ? "Width = share of samples; colour = change of that share vs the base"
                         : "Width = share of samples; colour = kind of code");
    sbuf_puts(s, ". Made by csprof");
    if (m->csprof_version && *m->csprof_version) {
        sbuf_puts(s, " ");
        put_xml_raw(s, m->csprof_version);
    }
    sbuf_puts(s, ".</text>\n");
}

/* The tree as one JSON object (fmt_svg.h), what flamecore.js reads as D. */
static int write_tree(render *r, sbuf *d) {
    sbuf_printf(d, "{\"W\":%d,\"P\":%d,\"C\":%s,\"T\":%llu,\"F\":[", FRAME_W, PAD_X,
                XSTR(CHAR_W), (unsigned long long)r->total);
    int rc = write_tree_arrays(r, d, "],\"S\":[");
    sbuf_puts(d, "]}");
    return rc || d->oom ? -1 : 0;
}

static int render_svg(render *r, sbuf *s) {
    int top = r->base ? 118 : 100;  /* first row's top edge */
    int rows = r->L.nvis ? (int)r->L.max_level + 1 : 0;
    r->bottom = top + rows * ROW_H;
    int foot = top + rows * ROW_H + 20;
    write_head(r, s, foot + 42);
    sbuf_puts(s, "<g id=\"frames\">\n");
    for (size_t v = 0; v < r->L.nvis && !s->oom; v++) write_bar(r, s, r->L.vis[v]);
    sbuf_puts(s, "</g>\n");
    write_foot(r, s, top, foot);

    if (r->data) {
        /* Embedded in a page: the page's own script reads the tree. */
        sbuf_puts(s, "</svg>\n");
        return write_tree(r, r->data) || s->oom ? -1 : 0;
    }
    /* JSON is a JavaScript expression; CDATA keeps '<' and '&' literal (the
     * strings escape '>', so "]]>" cannot occur). */
    sbuf_puts(s, "<script type=\"text/ecmascript\"><![CDATA[\nvar D = ");
    if (write_tree(r, s)) return -1;
    sbuf_puts(s, ";\n");
    sbuf_puts(s, flamecore_js);
    sbuf_puts(s, flamegraph_js);
    sbuf_puts(s, "]]></script>\n</svg>\n");
    return s->oom ? -1 : 0;
}

/* Names, trees, layout and diff matching; 0, -1 on OOM, -2 when a stack
 * names a frame its profile does not have. */
static int prepare(render *r) {
    uint32_t *map = flame_map_frames(&r->nm, r->p, false), *bmap = NULL;
    int rc = -1;
    if (!map || (r->base && !(bmap = flame_map_frames(&r->nm, r->base, true)))) goto done;
    if (flame_rank_keys(&r->nm)) goto done;
    rc = flame_tree_build(&r->t, r->p, map, true);
    if (rc == 0 && r->base) rc = flame_tree_build(&r->bt, r->base, bmap, false);
    if (rc) goto done;
    rc = -1;
    if (flame_tree_sort(&r->t, &r->nm)) goto done;
    if (flame_lay_out(&r->t, r->total, FRAME_W, r->min_w, &r->L)) goto done;
    if (r->base) {
        if (!(r->bmatch = malloc(r->t.n * sizeof *r->bmatch))) goto done;
        r->diff_scale = flame_match_base(&r->t, &r->bt, &r->nm, &r->L, r->total, r->base_total,
                                         r->bmatch);
    }
    rc = 0;
done:
    free(map);
    free(bmap);
    return rc;
}

/* Renders into s (and, embedded, the tree into data); 0 or -1 after one
 * line on stderr. */
static int render_to(const profile *p, const output_opts *o, sbuf *s, sbuf *data) {
    render r = {.p = p, .o = o, .base = o ? o->base : NULL, .data = data};
    r.min_w = 0.1;
    if (o && o->min_width_px >= 0 && o->min_width_px < 1e9) r.min_w = o->min_width_px;
    r.total = prof_total_samples(p);
    r.sps = prof_seconds_per_sample(p);
    if (r.base) r.base_total = prof_total_samples(r.base);
    int rc = prepare(&r);
    if (rc == 0) rc = render_svg(&r, s);
    if (rc)
        fprintf(stderr, "csprof: cannot render the flamegraph SVG: %s\n",
                rc == -2 ? "a stack refers to a frame the profile does not have" : "out of memory");
    free(r.bmatch);
    free(r.L.vis);
    flame_tree_free(&r.t);
    flame_tree_free(&r.bt);
    flame_names_free(&r.nm);
    return rc ? -1 : 0;
}

int write_svg(const profile *p, FILE *out, const output_opts *o) {
    sbuf s;
    sbuf_init(&s, SBUF_NO_LIMIT);
    int rc = render_to(p, o, &s, NULL);
    if (rc == 0 && (fwrite(sbuf_str(&s), 1, s.len, out) != s.len || fflush(out) != 0 || ferror(out))) {
        fprintf(stderr, "csprof: cannot write the flamegraph SVG: %s (check disk space and permissions)\n",
                strerror(errno));
        rc = -1;
    }
    sbuf_free(&s);
    return rc;
}

int svg_render_embedded(const profile *p, const output_opts *o, svg_embedded *out) {
    sbuf s, d;
    sbuf_init(&s, SBUF_NO_LIMIT);
    sbuf_init(&d, SBUF_NO_LIMIT);
    *out = (svg_embedded){0};
    if (render_to(p, o, &s, &d) == 0) {
        out->svg = sbuf_detach(&s, &out->svg_len);
        out->data = sbuf_detach(&d, &out->data_len);
    }
    sbuf_free(&s);
    sbuf_free(&d);
    if (out->svg && out->data) return 0;
    svg_embedded_free(out);
    return -1;
}

const char *svg_flame_script(void) { return flamecore_js; }

void svg_embedded_free(svg_embedded *e) {
    free(e->svg);
    free(e->data);
    *e = (svg_embedded){0};
}
