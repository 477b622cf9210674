/* compare_leads.c -- the verdict's leads: the innermost functions of the
 * user's code whose total time grew, and what beneath them grew. See
 * compare.h (cmp_lead) and compare_int.h. */
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "compare.h"
#include "compare_int.h"

/* ---- leads: the innermost user functions whose total grew ---- */

typedef struct {
    size_t entry;       /* table entry */
    size_t func;        /* index into funcs (before sorting) */
    double base, now;   /* estimated seconds in the function, total, in each run */
    double added;       /* now - base */
} candidate;

static int cand_cmp(const void *a, const void *b) {
    const candidate *x = a, *y = b;
    if (x->added != y->added) return x->added > y->added ? -1 : 1;
    return x->entry < y->entry ? -1 : x->entry > y->entry;
}

#define MAX_CANDIDATES 64

/* Drops a candidate whose growth the candidates beneath it explain: main()
 * grows because plant() does, and the verdict names plant(). Candidate j is
 * beneath i when it runs under i in at least half of j's new samples. What
 * is left of i once the outermost candidates beneath it are taken away is
 * i's remainder; i stays a lead only when its remainder grew too: by the
 * threshold (up, a ratio), and by at least a fifth of what i added. So a
 * user function that calls a library which calls the user back (a SciPy
 * optimiser and its objective) is named when it called the library more
 * often (the library's own work grew with the callback's), and the
 * callback alone when only the callback got slower. Returns how many
 * remain (compacted, order kept). */
static long keep_innermost(const side_map *m, candidate *c, size_t nc, double up) {
    if (nc < 2) return (long)nc;
    uint64_t *nest = calloc(nc * nc, sizeof *nest), *own = calloc(nc, sizeof *own);
    int *slot = NULL;
    size_t nent = 0, nf = prof_nframes(m->p);
    for (size_t i = 0; i < nc; i++)
        if (c[i].entry + 1 > nent) nent = c[i].entry + 1;
    slot = malloc(nent * sizeof *slot);
    if (!nest || !own || !slot) {
        free(nest);
        free(own);
        free(slot);
        return -1;
    }
    for (size_t i = 0; i < nent; i++) slot[i] = -1;
    for (size_t i = 0; i < nc; i++) slot[c[i].entry] = (int)i;
    int on[MAX_CANDIDATES];
    for (size_t s = 0; s < prof_nstacks(m->p); s++) {
        const prof_stack *st = prof_stack_at(m->p, s);
        if (cmp_first_import(m, st) >= 0) continue;
        size_t non = 0;
        for (uint32_t d = 0; d < st->depth; d++) {
            uint32_t fr = st->frames[d];
            long k = fr < nf ? m->key_of[fr] : -1;
            if (k < 0 || (size_t)k >= nent || slot[k] < 0) continue;
            bool dup = false;
            for (size_t j = 0; j < non; j++) dup |= on[j] == slot[k];
            if (!dup) on[non++] = slot[k];
        }
        for (size_t j = 0; j < non; j++) {
            own[on[j]] += st->count;
            for (size_t i = 0; i < j; i++) nest[(size_t)on[i] * nc + (size_t)on[j]] += st->count;
        }
    }
#define BENEATH(i, j) ((j) != (i) && own[j] && 2 * nest[(size_t)(i) * nc + (j)] >= own[j])
    bool *drop = calloc(nc, sizeof *drop);
    if (!drop) {
        free(nest);
        free(own);
        free(slot);
        return -1;
    }
    for (size_t i = 0; i < nc; i++) {
        double base = c[i].base, now = c[i].now;
        bool any = false;
        for (size_t j = 0; j < nc; j++) {
            if (!BENEATH(i, j)) continue;
            /* Only the outermost candidates beneath i: a candidate inside
             * another one beneath i is part of that one's time already. */
            bool inner = false;
            for (size_t k = 0; k < nc && !inner; k++)
                inner = k != i && k != j && BENEATH(i, k) && BENEATH(k, j);
            if (inner) continue;
            base -= c[j].base;
            now -= c[j].now;
            any = true;
        }
        bool grew = now - base >= c[i].added / 5 && (base > 0 ? now / base >= up : now > 0);
        drop[i] = any && !grew;
    }
#undef BENEATH
    size_t kept = 0;
    for (size_t i = 0; i < nc; i++)
        if (!drop[i]) c[kept++] = c[i];
    free(drop);
    free(nest);
    free(own);
    free(slot);
    return (long)kept;
}

/* Adds, per table entry, the samples in which the frame right below the
 * innermost user frame is that entry, when the innermost user frame is
 * the lead `entry`. */
static void count_beneath(const side_map *m, size_t entry, uint64_t *under) {
    size_t nf = prof_nframes(m->p);
    for (size_t s = 0; s < prof_nstacks(m->p); s++) {
        const prof_stack *st = prof_stack_at(m->p, s);
        if (cmp_first_import(m, st) >= 0) continue;
        long du = -1;
        for (uint32_t d = 0; d < st->depth; d++)
            if (st->frames[d] < nf && m->key_of[st->frames[d]] >= 0 && m->yours[st->frames[d]]) du = d;
        if (du < 0 || (size_t)m->key_of[st->frames[du]] != entry) continue;
        for (uint32_t d = (uint32_t)du + 1; d < st->depth; d++) {
            uint32_t fr = st->frames[d];
            if (fr < nf && m->key_of[fr] >= 0) {
                under[m->key_of[fr]] += st->count;
                break;
            }
        }
    }
}


static int fill_beneath(const lead_ctx *lc, const side_map sm[2], size_t entry, cmp_lead *lead) {
    uint64_t *under = calloc(lc->nentries * 2 + 1, sizeof *under);
    if (!under) return -1;
    count_beneath(&sm[0], entry, under);
    count_beneath(&sm[1], entry, under + lc->nentries);
    double up = 1.0 + lc->o->threshold_pct / 100.0;
    for (size_t e = 0; e < lc->nentries; e++) {
        uint64_t b = under[e], n = under[lc->nentries + e];
        double added = (double)n * lc->spp[1] - (double)b * lc->spp[0];
        double ratio = cmp_time_ratio(b, lc->spp[0], n, lc->spp[1]);
        if (n < lc->o->min_samples || !(added > 0) || ratio < up) continue;
        /* Keep the three that added most time, largest first. */
        size_t at = lead->nbeneath;
        while (at > 0) {
            const cmp_beneath *p = &lead->beneath[at - 1];
            if ((double)p->new_n * lc->spp[1] - (double)p->base * lc->spp[0] >= added) break;
            at--;
        }
        if (at >= 3) continue;
        size_t last = lead->nbeneath < 3 ? lead->nbeneath : 2;
        memmove(&lead->beneath[at + 1], &lead->beneath[at], (last - at) * sizeof lead->beneath[0]);
        lead->beneath[at] = (cmp_beneath){.func = e, .base = b, .new_n = n, .time_ratio = ratio};
        if (lead->nbeneath < 3) lead->nbeneath++;
    }
    free(under);
    return 0;
}

int cmp_find_leads(const lead_ctx *lc, const side_map sm[2], cmp_result *out) {
    candidate c[MAX_CANDIDATES];
    size_t nc = 0;
    for (size_t i = 0; i < out->nfuncs; i++) {
        const cmp_func *f = &out->funcs[i];
        if (!f->yours || f->total_dir != CMP_SLOWER) continue;
        double base = (double)f->base_total * lc->spp[0], now = (double)f->new_total * lc->spp[1];
        double added = now - base;
        candidate x = {.entry = i, .func = i, .base = base, .now = now, .added = added};
        if (nc < MAX_CANDIDATES) {
            c[nc++] = x;
        } else {
            /* Too many to nest-check: keep those that added most. */
            qsort(c, nc, sizeof *c, cand_cmp);
            if (added > c[nc - 1].added) c[nc - 1] = x;
        }
    }
    long kept = keep_innermost(&sm[1], c, nc, 1.0 + lc->o->threshold_pct / 100.0);
    if (kept < 0) return -1;
    qsort(c, (size_t)kept, sizeof *c, cand_cmp);
    out->nleads_all = (size_t)kept;
    for (long i = 0; i < kept && out->nleads < CMP_MAX_LEADS; i++) {
        cmp_lead *l = &out->leads[out->nleads++];
        l->func = c[i].func;
        out->funcs[c[i].func].lead = true;
        if (fill_beneath(lc, sm, c[i].entry, l)) return -1;
    }
    return 0;
}

