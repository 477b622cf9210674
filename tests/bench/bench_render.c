/* bench_render.c -- how long write_svg takes on a big profile, and how big
 * the SVG gets. Usage: bench_render [RUNS] [OUT.svg]
 * The profile is 1,000,000 samples in 100,000 distinct stacks (see
 * bench_render.h); times are medians of RUNS renders, interleaved with
 * write_folded on the same profile for a ratio. OUT.svg keeps one render. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_render.h"
#include "output.h"

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    int runs = argc > 1 ? atoi(argv[1]) : 7;
    if (runs < 1 || runs > 1000) {
        fprintf(stderr, "usage: bench_render [RUNS 1..1000] [OUT.svg]\n");
        return 64;
    }
    double t0 = now();
    profile *p = gen_big_profile(12345, 4000, 100000, 1000000);
    if (!p) {
        fprintf(stderr, "bench_render: out of memory generating the profile\n");
        return 70;
    }
    double tgen = now() - t0;
    output_opts o = {.top_n = 3, .min_width_px = 0.1};
    double *times = malloc((size_t)runs * sizeof *times);
    if (!times) {
        fprintf(stderr, "bench_render: out of memory\n");
        return 70;
    }
    /* write_folded is the simplest linear writer: interleaving the two gives
     * a ratio that means something on a busy or slow machine. */
    double *folded = malloc((size_t)runs * sizeof *folded);
    if (!folded) {
        fprintf(stderr, "bench_render: out of memory\n");
        return 70;
    }
    size_t size = 0, fsize = 0;
    for (int i = 0; i < runs; i++) {
        for (int which = 0; which < 2; which++) {
            char *buf = NULL;
            size_t len = 0;
            FILE *f = open_memstream(&buf, &len);
            if (!f) {
                perror("bench_render: open_memstream");
                return 70;
            }
            double a = now();
            int rc = which == 0 ? write_svg(p, f, &o) : write_folded(p, f, &o);
            double b = now();
            if (fclose(f) != 0 || rc != 0) {
                fprintf(stderr, "bench_render: %s failed\n", which ? "write_folded" : "write_svg");
                return 70;
            }
            (which ? folded : times)[i] = b - a;
            *(which ? &fsize : &size) = len;
            if (which == 0 && i == 0 && argc > 2) {
                FILE *out = fopen(argv[2], "w");
                if (!out || fwrite(buf, 1, len, out) != len || fclose(out) != 0) {
                    perror(argv[2]);
                    return 73;
                }
            }
            free(buf);
        }
    }
    qsort(times, (size_t)runs, sizeof *times, cmp_double);
    qsort(folded, (size_t)runs, sizeof *folded, cmp_double);
    printf("bench-render: profile %llu samples, %zu stacks, %zu frames (generated in %.2f s)\n",
           (unsigned long long)prof_total_samples(p), prof_nstacks(p), prof_nframes(p), tgen);
    printf("bench-render: write_svg median %.1f ms (min %.1f, max %.1f) over %d runs; svg %.2f MB "
           "(%.2f of the 3 MB budget); %.0f ns per sample\n",
           times[runs / 2] * 1e3, times[0] * 1e3, times[runs - 1] * 1e3, runs, (double)size / 1e6,
           (double)size / 3e6, times[runs / 2] * 1e9 / (double)prof_total_samples(p));
    printf("bench-render: write_folded median %.1f ms (%.2f MB); svg/folded time ratio %.2f\n",
           folded[runs / 2] * 1e3, (double)fsize / 1e6, times[runs / 2] / folded[runs / 2]);
    free(folded);
    free(times);
    prof_free(p);
    return 0;
}
