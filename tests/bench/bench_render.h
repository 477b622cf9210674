/* bench_render.h -- a deterministic, realistic-looking big profile, shared by
 * the render benchmark and the flamegraph property test.
 *
 * Functions form a layered call graph (callees always have a higher index,
 * plus a few self-recursive ones) spread over your code, the standard
 * library, third-party packages and native libraries. Stacks are random
 * walks from <module>; the first nstacks distinct ones get one sample each
 * and the remaining samples go to them with a heavy skew, the way a few hot
 * paths dominate a real profile. */
#ifndef CSPROF_BENCH_RENDER_H
#define CSPROF_BENCH_RENDER_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profile.h"

typedef struct {
    uint64_t s;
} gen_rng;

static uint64_t gen_next(gen_rng *r) {
    /* splitmix64: tiny, deterministic everywhere */
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static double gen_unit(gen_rng *r) { return (double)(gen_next(r) >> 11) / 9007199254740992.0; }

#define GEN_MAX_DEPTH 64

typedef struct {
    int first_line;
    int ncallees;
    uint32_t callees[8];
    int recursive;
    int frames[6];  /* interned frame per line offset 0..5 */
} gen_func;

/* Returns a profile of exactly nsamples samples in exactly nstacks distinct
 * stacks (nsamples >= nstacks), on one thread with a thread root, or NULL
 * when out of memory. */
static profile *gen_big_profile(uint64_t seed, size_t nfuncs, size_t nstacks, uint64_t nsamples) {
    gen_rng r = {seed};
    profile *p = prof_new();
    gen_func *fn = calloc(nfuncs, sizeof *fn);
    uint32_t (*paths)[GEN_MAX_DEPTH] = malloc(nstacks * sizeof *paths);
    uint8_t *depths = malloc(nstacks);
    if (!p || !fn || !paths || !depths) goto fail;
    prof_meta *m = prof_meta_of(p);
    if (prof_set_str(&m->script, "bench/generated.py") || prof_set_str(&m->name, "generated") ||
        prof_set_str(&m->python_version, "3.12.1") || prof_set_str(&m->cwd, "/work/app") ||
        prof_set_str(&m->start_time, "2026-01-02T03:04:05Z"))
        goto fail;
    m->rate_hz = 100;
    m->wall_seconds = (double)nsamples / 100.0;

    static const char *pkgs[] = {"numpy", "pandas", "requests", "urllib3", "sqlalchemy"};
    static const char *std[] = {"json/decoder", "json/encoder", "re/_parser", "threading",
                                "socket", "collections/__init__", "functools", "selectors"};
    for (size_t i = 0; i < nfuncs; i++) {
        char name[96], file[160];
        frame_type type = FRAME_PYTHON;
        unsigned kind = i == 0 ? 0 : (unsigned)(gen_next(&r) % 10);
        if (i == 0) {
            snprintf(name, sizeof name, "<module>");
            snprintf(file, sizeof file, "bench/generated.py");
        } else if (kind < 4) {
            snprintf(name, sizeof name, "Service%zu.handle_%zu", i % 37, i);
            snprintf(file, sizeof file, "app/module_%zu.py", i % 53);
        } else if (kind < 6) {
            size_t k = i % (sizeof std / sizeof std[0]);
            const char *base = strrchr(std[k], '/');
            snprintf(name, sizeof name, "%s_helper_%zu", base ? base + 1 : std[k], i);
            snprintf(file, sizeof file, "/usr/lib/python3.12/%s.py", std[k]);
        } else if (kind < 9) {
            size_t k = i % (sizeof pkgs / sizeof pkgs[0]);
            snprintf(name, sizeof name, "%s.core.op_%zu", pkgs[k], i);
            snprintf(file, sizeof file, "/venv/lib/python3.12/site-packages/%s/core_%zu.py", pkgs[k],
                     i % 11);
        } else {
            snprintf(name, sizeof name, "native_kernel_%zu", i);
            snprintf(file, sizeof file, "/usr/lib/x86_64-linux-gnu/libkernel%zu.so", i % 7);
            type = FRAME_NATIVE;
        }
        fn[i].first_line = type == FRAME_NATIVE ? 0 : 1 + (int)(gen_next(&r) % 900);
        for (int l = 0; l < 6; l++) {
            int line = type == FRAME_NATIVE ? 0 : fn[i].first_line + 1 + l * 3;
            fn[i].frames[l] = prof_intern_frame(p, name, file, line, fn[i].first_line, type);
            if (fn[i].frames[l] < 0) goto fail;
            if (type == FRAME_NATIVE) {
                for (int k = 1; k < 6; k++) fn[i].frames[k] = fn[i].frames[0];
                break;
            }
        }
        fn[i].recursive = gen_next(&r) % 40 == 0;
        if (type != FRAME_NATIVE) {
            int nc = 1 + (int)(gen_next(&r) % 8);
            for (int c = 0; c < nc; c++) {
                size_t j = i + 1 + gen_next(&r) % 300;
                if (j < nfuncs) fn[i].callees[fn[i].ncallees++] = (uint32_t)j;
            }
        }
    }
    int th = prof_add_thread(p, 4242, 4242, "MainThread");
    if (th < 0) goto fail;

    /* Distinct stacks, one sample each. */
    size_t have = 0;
    uint64_t attempts = 0;
    while (have < nstacks) {
        uint32_t st[GEN_MAX_DEPTH];
        uint32_t depth = 0;
        uint32_t f = 0;
        for (;;) {
            double u = gen_unit(&r);
            int line = (int)(u * u * 6);
            st[depth++] = (uint32_t)fn[f].frames[line];
            if (depth == GEN_MAX_DEPTH || !fn[f].ncallees || gen_unit(&r) < 0.06) break;
            if (fn[f].recursive && gen_unit(&r) < 0.5) continue;
            double v = gen_unit(&r);
            f = fn[f].callees[(int)(v * v * fn[f].ncallees)];
        }
        bool idle = gen_next(&r) % 20 == 0;
        if (attempts >= nsamples) goto fail;  /* cannot make that many distinct stacks */
        attempts++;
        int idx = prof_add_stack(p, (uint32_t)th, idle, st, depth, 1);
        if (idx < 0) goto fail;
        if ((size_t)idx == have) {
            memcpy(paths[have], st, depth * sizeof *st);
            depths[have] = (uint8_t)depth | (idle ? 0x80 : 0);
            have++;
        }
    }
    /* The rest: stack k gets a share that falls off like k^-2. */
    for (uint64_t i = attempts; i < nsamples; i++) {
        double u = gen_unit(&r);
        size_t k = (size_t)(u * u * u * (double)nstacks);
        if (k >= nstacks) k = nstacks - 1;
        if (prof_add_stack(p, (uint32_t)th, depths[k] & 0x80, paths[k], depths[k] & 0x7F, 1) < 0)
            goto fail;
    }
    if (prof_add_roots(p, false, true)) goto fail;
    free(fn);
    free(paths);
    free(depths);
    return p;
fail:
    free(fn);
    free(paths);
    free(depths);
    prof_free(p);
    return NULL;
}

#endif
