/* Unit tests for history.c: bounded append, load of missing / corrupt /
 * oversized files, save + reload (the verdict's measures included), the
 * series the verdict reads, and the spread statistic (compare.h's). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "history.h"

static hist_run make_run(int i, double wall) {
    hist_run r = {0};
    char c[48];
    snprintf(c, sizeof c, "%040x", i);
    r.commit = strdup(c);
    r.date = strdup("2026-11-29T20:00:00Z");
    r.wall_seconds = wall;
    r.samples = 100 + (uint64_t)i;
    r.top[0] = (hist_func){strdup("f"), strdup("a.py"), 40.0, 0.4};
    r.ntop = 1;
    return r;
}

static char tmpdir[] = "/tmp/csprof-history-XXXXXX";

static void write_text(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

TEST(append_is_bounded_and_keeps_the_newest) {
    history h;
    CHECK_EQ_INT(hist_init(&h, "w"), 0);
    for (int i = 0; i < HIST_MAX_RUNS + 25; i++) {
        hist_run r = make_run(i, 1.0);
        CHECK_EQ_INT(hist_append(&h, &r), 0);
        CHECK(r.commit == NULL);   /* ownership moved */
    }
    CHECK_EQ_INT(h.n, HIST_MAX_RUNS);
    CHECK_EQ_INT(h.runs[0].samples, 125);
    CHECK_EQ_INT(h.runs[HIST_MAX_RUNS - 1].samples, 100 + HIST_MAX_RUNS + 24);
    hist_free(&h);
}

TEST(save_and_load_round_trip) {
    char path[128], err[256];
    snprintf(path, sizeof path, "%s/w.history.json", tmpdir);
    history h, back;
    hist_init(&h, "w");
    for (int i = 0; i < 3; i++) {
        hist_run r = make_run(i, 1.0 + i);
        hist_append(&h, &r);
    }
    CHECK_EQ_INT(hist_save(&h, path), 0);
    CHECK_EQ_INT(hist_load(path, "w", &back, err, sizeof err), 0);
    CHECK_EQ_INT(back.n, 3);
    CHECK_EQ_STR(back.runs[2].commit, h.runs[2].commit);
    CHECK(fabs(back.runs[2].wall_seconds - 3.0) < 1e-9);
    CHECK_EQ_STR(back.runs[1].top[0].function, "f");
    CHECK(fabs(hist_share(&back.runs[1], "f", "a.py") - 40.0) < 1e-9);
    CHECK(hist_share(&back.runs[1], "g", "a.py") < 0);
    hist_free(&h);
    hist_free(&back);
}

TEST(verdict_measures_round_trip_and_are_optional) {
    char path[128], err[256];
    snprintf(path, sizeof path, "%s/v.history.json", tmpdir);
    history h, back;
    hist_init(&h, "v");
    hist_run r = make_run(0, 1.5);
    r.branch = strdup("main");
    r.run = strdup("104");
    r.cpu_seconds = 1.25;
    r.max_rss_bytes = 21e6;
    r.other_load = 0.0;      /* a quiet runner: known, and zero */
    r.other_load_known = true;
    hist_append(&h, &r);
    r = make_run(1, 1.6);   /* an older csprof's record: no CPU, RSS, load, branch, run */
    hist_append(&h, &r);
    CHECK_EQ_INT(hist_save(&h, path), 0);
    CHECK_EQ_INT(hist_load(path, "v", &back, err, sizeof err), 0);
    CHECK_EQ_INT(back.n, 2);
    CHECK_EQ_STR(back.runs[0].branch, "main");
    CHECK_EQ_STR(back.runs[0].run, "104");
    CHECK(fabs(back.runs[0].cpu_seconds - 1.25) < 1e-9);
    CHECK(fabs(back.runs[0].max_rss_bytes - 21e6) < 1);
    CHECK_EQ_STR(back.runs[1].branch, "");
    CHECK(back.runs[1].cpu_seconds == 0 && back.runs[1].max_rss_bytes == 0);
    CHECK(back.runs[0].other_load_known && back.runs[0].other_load == 0);
    CHECK(!back.runs[1].other_load_known);
    /* The verdict's series, 0 where unknown (the load: -1, as 0 is a value). */
    hist_series s;
    CHECK_EQ_INT(hist_series_of(&back, &s), 0);
    CHECK_EQ_INT(s.view.n, 2);
    CHECK(fabs(s.view.wall[1] - 1.6) < 1e-9);
    CHECK(fabs(s.view.cpu[0] - 1.25) < 1e-9 && s.view.cpu[1] == 0);
    CHECK(fabs(s.view.rss[0] - 21e6) < 1 && s.view.rss[1] == 0);
    CHECK(s.view.other_load[0] == 0 && s.view.other_load[1] < 0);
    hist_series_free(&s);
    hist_free(&h);
    hist_free(&back);
    /* Out of range is corrupt, like any other member. */
    write_text(path, "{\"schema\": \"csprof-history\", \"schema_version\": 1, \"runs\": [{\"wall_seconds\": 1,"
                     " \"samples\": 1, \"top\": [], \"cpu_seconds\": -2}]}");
    CHECK_EQ_INT(hist_load(path, "v", &back, err, sizeof err), 1);
    hist_free(&back);
    write_text(path, "{\"schema\": \"csprof-history\", \"schema_version\": 1, \"runs\": [{\"wall_seconds\": 1,"
                     " \"samples\": 1, \"top\": [], \"other_load\": -0.5}]}");
    CHECK_EQ_INT(hist_load(path, "v", &back, err, sizeof err), 1);
    hist_free(&back);
}

TEST(function_shares_round_trip_and_are_optional) {
    char path[128], err[256];
    snprintf(path, sizeof path, "%s/s.history.json", tmpdir);
    history h, back;
    hist_init(&h, "s");
    hist_run r = make_run(0, 1.0);
    r.funcs = calloc(2, sizeof *r.funcs);
    CHECK(r.funcs != NULL);
    if (!r.funcs) return;
    r.funcs[0] = (cmp_share){strdup("main"), strdup("app.py"), 0, 100};
    r.funcs[1] = (cmp_share){strdup("parse"), strdup("app.py"), 21.5, 23.25};
    r.nfuncs = 2;
    r.funcs_cutoff_pct = 0.5;
    r.funcs_known = true;
    hist_append(&h, &r);
    r = make_run(1, 1.1);   /* an older csprof's record: no shares */
    hist_append(&h, &r);
    CHECK_EQ_INT(hist_save(&h, path), 0);
    CHECK_EQ_INT(hist_load(path, "s", &back, err, sizeof err), 0);
    CHECK_EQ_INT(back.n, 2);
    CHECK(back.runs[0].funcs_known && back.runs[0].nfuncs == 2);
    CHECK(back.runs[0].nfuncs == 2 && !strcmp(back.runs[0].funcs[1].function, "parse") &&
          fabs(back.runs[0].funcs[1].self_pct - 21.5) < 1e-9 && fabs(back.runs[0].funcs[1].total_pct - 23.25) < 1e-9);
    CHECK(fabs(back.runs[0].funcs_cutoff_pct - 0.5) < 1e-9);
    CHECK(!back.runs[1].funcs_known && back.runs[1].nfuncs == 0);
    /* The verdict sees them, and which runs have none. */
    hist_series sr;
    CHECK_EQ_INT(hist_series_of(&back, &sr), 0);
    CHECK(sr.view.funcs && sr.view.funcs[0].known && sr.view.funcs[0].n == 2 && !sr.view.funcs[1].known);
    hist_series_free(&sr);
    hist_free(&h);
    hist_free(&back);
    /* A share out of range is corrupt. */
    write_text(path, "{\"schema\": \"csprof-history\", \"schema_version\": 1, \"runs\": [{\"wall_seconds\": 1,"
                     " \"samples\": 1, \"top\": [], \"funcs_cutoff_pct\": 0.5, \"funcs\": [{\"function\": \"f\","
                     " \"file\": \"a.py\", \"self_pct\": 150, \"total_pct\": 1}]}]}");
    CHECK_EQ_INT(hist_load(path, "s", &back, err, sizeof err), 1);
    hist_free(&back);
}

TEST(missing_and_corrupt_files_give_a_fresh_history) {
    char path[128], err[256];
    history h;
    snprintf(path, sizeof path, "%s/none.history.json", tmpdir);
    CHECK_EQ_INT(hist_load(path, "none", &h, err, sizeof err), 0);
    CHECK_EQ_INT(h.n, 0);
    hist_free(&h);
    static const char *bad[] = {
        "{not json",
        "{\"schema\": \"other\", \"schema_version\": 1, \"runs\": []}",
        "{\"schema\": \"csprof-history\", \"schema_version\": 2, \"runs\": []}",
        "{\"schema\": \"csprof-history\", \"schema_version\": 1, \"runs\": {}}",
        "{\"schema\": \"csprof-history\", \"schema_version\": 1, \"runs\": [{\"wall_seconds\": -1, \"samples\": 1, \"top\": []}]}",
        "{\"schema\": \"csprof-history\", \"schema_version\": 1, \"runs\": [{\"wall_seconds\": 1, \"samples\": 1, \"top\": [{\"function\": \"f\", \"self_pct\": 500, \"self_seconds\": 1}]}]}",
        "{\"schema\": \"csprof-history\", \"schema_version\": 1, \"runs\": [{\"wall_seconds\": 1, \"samples\": 1, \"top\": 3}]}",
    };
    snprintf(path, sizeof path, "%s/bad.history.json", tmpdir);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        write_text(path, bad[i]);
        err[0] = '\0';
        CHECK_EQ_INT(hist_load(path, "bad", &h, err, sizeof err), 1);
        CHECK_EQ_INT(h.n, 0);
        CHECK(err[0] != '\0');
        CHECK_EQ_STR(h.name, "bad");
        /* A fresh history still takes the current run. */
        hist_run r = make_run(1, 2.0);
        CHECK_EQ_INT(hist_append(&h, &r), 0);
        CHECK_EQ_INT(h.n, 1);
        hist_free(&h);
    }
}

TEST(spread_median_mad_and_outside) {
    history h;
    hist_init(&h, "w");
    static const double walls[] = {1.00, 1.04, 0.96, 1.02, 0.98, 3.00, 1.00};
    for (int i = 0; i < 7; i++) {
        hist_run r = make_run(i, walls[i]);
        hist_append(&h, &r);
    }
    hist_spread s;
    CHECK_EQ_INT(hist_wall_spread(&h, 0, h.n, NULL, &s), 0);
    CHECK(s.ok);
    CHECK_EQ_INT(s.n, 7);
    CHECK(fabs(s.median - 1.00) < 1e-9);
    CHECK(fabs(s.mad - 0.02) < 1e-9);
    /* +-3 robust SD (1.4826 x MAD) around the median. */
    CHECK(fabs(s.lo - (1.0 - 3 * 1.4826 * 0.02)) < 1e-9);
    CHECK(fabs(s.hi - (1.0 + 3 * 1.4826 * 0.02)) < 1e-9);
    CHECK(hist_outside(&s, 3.00));
    CHECK(!hist_outside(&s, 1.08));
    CHECK(hist_outside(&s, 1.09));
    /* One statistic: the verdict's band of the same values. */
    cmp_band b;
    CHECK_EQ_INT(cmp_band_of(walls, 7, &b), 7);
    CHECK(b.lo == s.lo && b.hi == s.hi && b.median == s.median);
    /* Identical runs: the floor (2% of the median) keeps a small change in. */
    history same;
    hist_init(&same, "s");
    for (int i = 0; i < 5; i++) {
        hist_run r = make_run(i, 2.0);
        hist_append(&same, &r);
    }
    CHECK_EQ_INT(hist_wall_spread(&same, 0, same.n, NULL, &s), 0);
    CHECK(fabs(s.mad) < 1e-12);
    CHECK(!hist_outside(&s, 2.11));
    CHECK(hist_outside(&s, 2.13));
    hist_free(&same);
    CHECK_EQ_INT(hist_wall_spread(&h, 0, CMP_MIN_HISTORY - 1, NULL, &s), 0);
    CHECK(!s.ok);                  /* fewer than CMP_MIN_HISTORY runs: no spread */
    CHECK(!hist_outside(&s, 100)); /* and nothing is outside it */
    hist_free(&h);
}

TEST(runner_kind_round_trips_and_sets_the_spread) {
    char path[128], err[256];
    snprintf(path, sizeof path, "%s/k.history.json", tmpdir);
    history h, back;
    hist_init(&h, "k");
    /* Five runs on a fast CPU near 1 s, three on a slow one near 1.5 s,
     * and one from before kinds were recorded. */
    static const double walls[] = {1.00, 1.50, 1.02, 1.48, 0.98, 1.52, 1.01, 0.99, 1.2};
    for (int i = 0; i < 9; i++) {
        hist_run r = make_run(i, walls[i]);
        r.runner_cpu = strdup(i == 8 ? "" : walls[i] > 1.3 ? "Slow" : "Fast");
        r.runner_cpus = i == 8 ? 0 : 4;
        hist_append(&h, &r);
    }
    CHECK_EQ_INT(hist_save(&h, path), 0);
    CHECK_EQ_INT(hist_load(path, "k", &back, err, sizeof err), 0);
    CHECK_EQ_INT(back.n, 9);
    CHECK_EQ_STR(back.runs[1].runner_cpu, "Slow");
    CHECK_EQ_INT(back.runs[1].runner_cpus, 4);
    CHECK_EQ_STR(back.runs[8].runner_cpu, "");
    CHECK_EQ_INT(back.runs[8].runner_cpus, 0);
    hist_spread s;
    /* For a run on the fast CPU: the five fast runs alone. */
    hist_run fast = make_run(20, 1.4);
    fast.runner_cpu = strdup("Fast");
    fast.runner_cpus = 4;
    CHECK_EQ_INT(hist_wall_spread(&back, 0, back.n, &fast, &s), 0);
    CHECK(s.ok && s.n == 5 && fabs(s.median - 1.00) < 1e-9);
    CHECK_EQ_INT(s.other_kind, 3);
    CHECK(hist_outside(&s, fast.wall_seconds));
    CHECK(hist_spread_covers(&s, &fast, &back.runs[0]));
    CHECK(!hist_spread_covers(&s, &fast, &back.runs[1]));
    CHECK(!hist_spread_covers(&s, &fast, &back.runs[8]));
    /* For a run on the slow CPU: three runs, too few for a spread. */
    hist_run slow = make_run(21, 1.5);
    slow.runner_cpu = strdup("Slow");
    slow.runner_cpus = 4;
    CHECK_EQ_INT(hist_wall_spread(&back, 0, back.n, &slow, &s), 0);
    CHECK(!s.ok && s.n == 3 && s.other_kind == 5);
    /* No run to be like: all nine, as before kinds were recorded. */
    CHECK_EQ_INT(hist_wall_spread(&back, 0, back.n, NULL, &s), 0);
    CHECK(s.n == 9 && s.other_kind == 0 && hist_spread_covers(&s, NULL, &back.runs[1]));
    hist_run_free(&fast);
    hist_run_free(&slow);
    hist_free(&back);
    hist_free(&h);
}

int main(void) {
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    RUN(append_is_bounded_and_keeps_the_newest);
    RUN(save_and_load_round_trip);
    RUN(verdict_measures_round_trip_and_are_optional);
    RUN(function_shares_round_trip_and_are_optional);
    RUN(missing_and_corrupt_files_give_a_fresh_history);
    RUN(spread_median_mad_and_outside);
    RUN(runner_kind_round_trips_and_sets_the_spread);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmpdir);
    return check_summary();
}
