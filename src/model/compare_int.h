/* compare_int.h -- what compare.c shares with compare_leads.c: one
 * profile's frames mapped to the comparison's function table, and the
 * estimated-time ratio. Internal to the comparison; compare.h is the
 * promise to everyone else. */
#ifndef CSPROF_COMPARE_INT_H
#define CSPROF_COMPARE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "compare.h"
#include "profile.h"

/* One profile's frames mapped to the table, kept for the second pass that
 * finds what lead functions call. */
typedef struct {
    const profile *p;
    long *key_of;      /* frame -> table entry, -1 for synthetic roots */
    bool *is_import;   /* frame is import machinery */
    bool *yours;       /* frame is in the user's files */
} side_map;

/* Index of the stack's first import-machinery frame, or -1. */
long cmp_first_import(const side_map *m, const prof_stack *st);

/* Estimated time new/base of a function: its samples times the time one
 * sample stands for. Unlike share x wall time this follows CPU time when
 * the runner is busy (idle samples are not recorded by default). */
double cmp_time_ratio(uint64_t x1, double spp1, uint64_t x2, double spp2);

/* The script's own CPU time (user + system), 0 when unknown. */
double cmp_cpu_seconds(const profile *p);
/* Judges wall time, CPU time, peak memory and the runner's load and kind,
 * and sets wall_flag (compare_measures.c); needs the sample counts and
 * imports' samples already counted. 0, or -1 on OOM. */
int cmp_judge_measures(const profile *base, const profile *new_p, const cmp_opts *o, cmp_result *out);
/* Withdraws wall_flag when the CPU time grew by no more than the slower
 * imports took (needs the imports judged). */
void cmp_wall_by_imports(const cmp_opts *o, cmp_result *out);

/* The median of v[0..n) (n > 0), sorting v (compare_spread.c). */
double cmp_median(double *v, size_t n);

typedef struct {
    const cmp_opts *o;
    double spp[2];
    size_t nentries;
} lead_ctx;

/* Fills out->leads: the innermost functions of the user's code whose total
 * time grew, each with the library functions beneath it whose time grew
 * (compare_leads.c). -1 on out of memory. */
int cmp_find_leads(const lead_ctx *lc, const side_map sm[2], cmp_result *out);

#endif
