/* compare_spread.c -- the usual spread of a script's wall time, CPU time
 * and peak memory over its history, and how a new run stands against it
 * (see compare.h). Pure: no I/O, no globals. */
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "compare.h"
#include "compare_int.h"

static int dbl_cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median_sorted(const double *v, size_t n) {
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double cmp_median(double *v, size_t n) {
    qsort(v, n, sizeof *v, dbl_cmp);
    return median_sorted(v, n);
}

/* The band of the k values x[] (reordered): what cmp_band_of and
 * cmp_share_band share once they have chosen the usable values. */
static void band_core(double *x, size_t k, cmp_band *out) {
    out->n = k;
    if (k < CMP_MIN_HISTORY) return;
    qsort(x, k, sizeof *x, dbl_cmp);
    out->median = median_sorted(x, k);
    for (size_t i = 0; i < k; i++) x[i] = fabs(x[i] - out->median);
    qsort(x, k, sizeof *x, dbl_cmp);
    /* 1.4826 x MAD estimates the standard deviation of normal noise
     * without letting one odd run widen it; the 2% floor keeps a very
     * steady history from calling a 1% wobble unusual. */
    out->mad = median_sorted(x, k);
    double sd = 1.4826 * out->mad;
    if (sd < 0.02 * out->median) sd = 0.02 * out->median;
    out->lo = out->median - CMP_SPREAD_K * sd;
    out->hi = out->median + CMP_SPREAD_K * sd;
    if (out->lo < 0) out->lo = 0;
}

static size_t band_of(const double *v, size_t n, bool zero_counts, cmp_band *out) {
    memset(out, 0, sizeof *out);
    double *x = malloc((n ? n : 1) * sizeof *x);
    if (!x) return 0;
    size_t k = 0;
    for (size_t i = 0; v && i < n; i++)
        if (isfinite(v[i]) && (v[i] > 0 || (zero_counts && v[i] == 0))) x[k++] = v[i];
    band_core(x, k, out);
    free(x);
    return k;
}

void cmp_share_band_floor(cmp_band *b, uint64_t n) {
    if (b->n < CMP_MIN_HISTORY || n == 0) return;
    double p = b->median / 100.0;
    if (p < 0) p = 0;
    if (p > 1) p = 1;
    double sd = 100.0 * sqrt(p * (1 - p) / (double)n);
    if (b->median - CMP_SPREAD_K * sd < b->lo) b->lo = b->median - CMP_SPREAD_K * sd;
    if (b->median + CMP_SPREAD_K * sd > b->hi) b->hi = b->median + CMP_SPREAD_K * sd;
    if (b->lo < 0) b->lo = 0;
}

size_t cmp_band_of(const double *v, size_t n, cmp_band *out) { return band_of(v, n, false, out); }

size_t cmp_share_band(const double *v, size_t n, cmp_band *out) { return band_of(v, n, true, out); }

void cmp_judge(cmp_resource *r, double base, double new_v, const double *hist, size_t nh,
                  double threshold_pct) {
    memset(r, 0, sizeof *r);
    r->base = base;
    r->new_v = new_v;
    r->known = base > 0 && new_v > 0;
    if (!r->known) return;
    r->change_pct = (new_v - base) / base * 100.0;
    cmp_band_of(hist, nh, &r->band);
    r->by_history = r->band.n >= CMP_MIN_HISTORY;
    if (r->by_history)
        r->level = new_v > r->band.hi ? CMP_LEVEL_ABOVE : new_v < r->band.lo ? CMP_LEVEL_BELOW : CMP_LEVEL_WITHIN;
    else
        r->level = r->change_pct > threshold_pct     ? CMP_LEVEL_ABOVE
                   : r->change_pct < -threshold_pct ? CMP_LEVEL_BELOW
                                                    : CMP_LEVEL_WITHIN;
}
