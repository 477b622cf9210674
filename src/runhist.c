/* runhist.c -- a script's past runs, read and appended (see runhist.h). */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runhist.h"

#define LINE_MAX_BYTES 4096

static double num_in(json_t *o, const char *key, double hi) {
    json_t *v = json_object_get(o, key);
    double x = json_is_number(v) ? json_number_value(v) : 0;
    return isfinite(x) && x > 0 && x < hi ? x : 0;
}

static int push(runhist *h, size_t *cap, double wall, double cpu, double rss) {
    if (h->n == *cap) {
        size_t c = *cap ? *cap * 2 : 32;
        double *w = realloc(h->wall, c * sizeof *w);
        if (!w) return -1;
        h->wall = w;
        double *u = realloc(h->cpu, c * sizeof *u);
        if (!u) return -1;
        h->cpu = u;
        double *r = realloc(h->rss, c * sizeof *r);
        if (!r) return -1;
        h->rss = r;
        *cap = c;
    }
    h->wall[h->n] = wall;
    h->cpu[h->n] = cpu;
    h->rss[h->n] = rss;
    h->n++;
    return 0;
}

int runhist_read(const char *path, runhist *h, char *err, size_t errlen) {
    memset(h, 0, sizeof *h);
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "cannot read the history %s: %s", path, strerror(errno));
        return -1;
    }
    char line[LINE_MAX_BYTES];
    size_t cap = 0;
    while (fgets(line, sizeof line, f)) {
        size_t len = strlen(line);
        if (len == sizeof line - 1 && line[len - 1] != '\n') {
            /* Longer than any record we write: skip the rest of it. */
            int c;
            while ((c = fgetc(f)) != EOF && c != '\n') {}
            h->skipped++;
            continue;
        }
        if (strspn(line, " \t\r\n") == len) continue;
        json_t *o = json_loads(line, JSON_REJECT_DUPLICATES, NULL);
        double wall = json_is_object(o) ? num_in(o, "wall_seconds", 1e7) : 0;
        if (wall <= 0) {
            h->skipped++;
        } else if (push(h, &cap, wall, num_in(o, "cpu_seconds", 1e9), num_in(o, "max_rss_bytes", 1e15))) {
            json_decref(o);
            fclose(f);
            runhist_free(h);
            snprintf(err, errlen, "out of memory reading the history %s", path);
            return -1;
        }
        json_decref(o);
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        runhist_free(h);
        snprintf(err, errlen, "cannot read the history %s", path);
        return -1;
    }
    if (h->n > RUNHIST_MAX) {
        size_t drop = h->n - RUNHIST_MAX;
        memmove(h->wall, h->wall + drop, RUNHIST_MAX * sizeof *h->wall);
        memmove(h->cpu, h->cpu + drop, RUNHIST_MAX * sizeof *h->cpu);
        memmove(h->rss, h->rss + drop, RUNHIST_MAX * sizeof *h->rss);
        h->n = RUNHIST_MAX;
    }
    return 0;
}

void runhist_free(runhist *h) {
    free(h->wall);
    free(h->cpu);
    free(h->rss);
    memset(h, 0, sizeof *h);
}

cmp_history runhist_view(const runhist *h) {
    return (cmp_history){.wall = h->wall, .cpu = h->cpu, .rss = h->rss, .n = h->n};
}

/* The record for p, one line without the newline (caller frees). */
static char *record_of(const profile *p) {
    const prof_meta *m = prof_meta_get(p);
    json_t *o = json_pack("{s:f}", "wall_seconds", m->wall_seconds);
    if (!o) return NULL;
    int bad = 0;
    if (m->rusage_known) {
        bad |= json_object_set_new(o, "cpu_seconds", json_real(m->cpu_user_seconds + m->cpu_system_seconds));
        bad |= json_object_set_new(o, "max_rss_bytes", json_integer((json_int_t)m->max_rss_bytes));
    }
    if (m->git_commit) bad |= json_object_set_new(o, "commit", json_string(m->git_commit));
    if (m->start_time) bad |= json_object_set_new(o, "date", json_string(m->start_time));
    if (m->ci_run) bad |= json_object_set_new(o, "run", json_string(m->ci_run));
    char *s = bad ? NULL : json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(9));
    json_decref(o);
    return s;
}

int runhist_append(const char *in_path, const char *out_path, const profile *p) {
    char *rec = record_of(p);
    if (!rec) {
        errno = ENOMEM;
        return -1;
    }
    /* Keep the newest RUNHIST_MAX - 1 old lines that are records. */
    char **keep = calloc(RUNHIST_MAX, sizeof *keep);
    size_t nk = 0, head = 0;
    FILE *in = in_path ? fopen(in_path, "rb") : NULL;
    char line[LINE_MAX_BYTES];
    while (keep && in && fgets(line, sizeof line, in)) {
        size_t len = strlen(line);
        if (!len || line[len - 1] != '\n' || line[0] != '{') continue;
        char *dup = strdup(line);
        if (!dup) break;
        size_t slot = (head + nk) % (RUNHIST_MAX - 1);
        if (nk == RUNHIST_MAX - 1) {
            free(keep[head]);
            head = (head + 1) % (RUNHIST_MAX - 1);
            slot = (head + nk - 1) % (RUNHIST_MAX - 1);
        } else {
            nk++;
        }
        keep[slot] = dup;
    }
    if (in) fclose(in);
    char tmp[4096];
    int rc = -1;
    FILE *out = NULL;
    if (keep && snprintf(tmp, sizeof tmp, "%s.tmp", out_path) < (int)sizeof tmp &&
        (out = fopen(tmp, "wb"))) {
        for (size_t i = 0; i < nk; i++) fputs(keep[(head + i) % (RUNHIST_MAX - 1)], out);
        fprintf(out, "%s\n", rec);
        rc = fclose(out) == 0 && rename(tmp, out_path) == 0 ? 0 : -1;
        if (rc) {
            int e = errno;
            unlink(tmp);
            errno = e;
        }
    } else if (!keep) {
        errno = ENOMEM;
    }
    for (size_t i = 0; keep && i < RUNHIST_MAX; i++) free(keep[i]);
    free(keep);
    free(rec);
    return rc;
}
