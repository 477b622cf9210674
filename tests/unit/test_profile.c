/* Unit tests: profile model, profile JSON round trip, folded writer,
 * record option parsing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "output.h"
#include "profile.h"
#include "record_args.h"

static profile *small_profile(void) {
    profile *p = prof_new();
    prof_meta *m = prof_meta_of(p);
    prof_set_str(&m->name, "demo");
    prof_set_str(&m->script, "scripts/demo.py");
    prof_set_str(&m->python_version, "3.12.1");
    prof_set_str(&m->start_time, "2026-11-24T19:30:00Z");
    char *argv[] = {"python3", "scripts/demo.py", "--fast"};
    prof_set_argv(p, 3, argv);
    m->rate_hz = 1000;
    m->interval_seconds = 0.001;
    m->wall_seconds = 1.5;
    m->exit_status = 0;
    int t0 = prof_add_thread(p, 100, 100, "MainThread");
    int t1 = prof_add_thread(p, 100, 101, "worker");
    prof_add_process(p, 100, 1, "python3 scripts/demo.py --fast", "3.12.1");
    int mod = prof_intern_frame(p, "<module>", "scripts/demo.py", 10, 1, FRAME_PYTHON);
    int main_ = prof_intern_frame(p, "main", "scripts/demo.py", 5, 3, FRAME_PYTHON);
    int hot = prof_intern_frame(p, "hot;loop", "scripts/demo.py", 8, 7, FRAME_PYTHON);
    int hot2 = prof_intern_frame(p, "hot;loop", "scripts/demo.py", 9, 7, FRAME_PYTHON);
    int nat = prof_intern_frame(p, "memcpy", "/lib/libc.so.6", 0, 0, FRAME_NATIVE);
    uint32_t a[] = {(uint32_t)mod, (uint32_t)main_, (uint32_t)hot};
    uint32_t b[] = {(uint32_t)mod, (uint32_t)main_, (uint32_t)hot2};
    uint32_t c[] = {(uint32_t)mod, (uint32_t)main_, (uint32_t)hot, (uint32_t)nat};
    prof_add_stack(p, (uint32_t)t0, false, a, 3, 60);
    prof_add_stack(p, (uint32_t)t0, false, b, 3, 20);
    prof_add_stack(p, (uint32_t)t1, false, c, 4, 15);
    prof_add_stack(p, (uint32_t)t0, true, a, 2, 5);
    prof_counters *cn = prof_counters_of(p);
    cn->ticks = 101;
    cn->taken = 100;
    cn->dropped = 1;
    cn->idle = 5;
    return p;
}

TEST(interning_merges_equal_frames_and_stacks) {
    profile *p = small_profile();
    CHECK_EQ_INT(prof_nframes(p), 5);
    CHECK_EQ_INT(prof_intern_frame(p, "main", "scripts/demo.py", 5, 3, FRAME_PYTHON), 1);
    uint32_t a[] = {0, 1, 2};
    CHECK_EQ_INT(prof_add_stack(p, 0, false, a, 3, 2), 0);
    CHECK_EQ_INT(prof_stack_at(p, 0)->count, 62);
    CHECK_EQ_INT(prof_total_samples(p), 102);
    /* Same frames on another thread or idle stay apart. */
    CHECK(prof_add_stack(p, 1, false, a, 3, 1) != 0);
    CHECK_EQ_INT(prof_nstacks(p), 5);
    prof_free(p);
}

TEST(many_frames_and_stacks_survive_rehashing) {
    profile *p = prof_new();
    int t = prof_add_thread(p, 1, 1, NULL);
    char name[32];
    for (int i = 0; i < 5000; i++) {
        snprintf(name, sizeof name, "f%d", i);
        int f = prof_intern_frame(p, name, "x.py", i, 1, FRAME_PYTHON);
        CHECK_EQ_INT(f, i);
        uint32_t st[2] = {0, (uint32_t)f};
        prof_add_stack(p, (uint32_t)t, false, st, 2, 1);
    }
    for (int i = 0; i < 5000; i += 499) {
        snprintf(name, sizeof name, "f%d", i);
        CHECK_EQ_INT(prof_intern_frame(p, name, "x.py", i, 1, FRAME_PYTHON), i);
    }
    CHECK_EQ_INT(prof_nframes(p), 5000);
    CHECK_EQ_INT(prof_nstacks(p), 5000);
    CHECK_EQ_INT(prof_total_samples(p), 5000);
    prof_free(p);
}

TEST(function_stats_self_total_and_hot_line) {
    profile *p = small_profile();
    prof_func_stat *fs;
    long n = prof_function_stats(p, &fs);
    CHECK_EQ_INT(n, 4);
    /* hot;loop: self 60+20 = 80 (the 15 under memcpy are memcpy's self). */
    CHECK_EQ_STR(fs[0].function, "hot;loop");
    CHECK_EQ_INT(fs[0].self, 80);
    CHECK_EQ_INT(fs[0].total, 95);
    CHECK_EQ_INT(fs[0].hot_line, 8);
    CHECK_EQ_INT(fs[0].first_line, 7);
    CHECK_EQ_STR(fs[1].function, "memcpy");
    CHECK_EQ_INT(fs[1].self, 15);
    /* main: self from the idle stack that ends in it. */
    CHECK_EQ_STR(fs[2].function, "main");
    CHECK_EQ_INT(fs[2].self, 5);
    CHECK_EQ_INT(fs[2].total, 100);
    CHECK_EQ_STR(fs[3].function, "<module>");
    CHECK_EQ_INT(fs[3].total, 100);
    free(fs);
    prof_free(p);
}

TEST(recursion_counts_once_in_total) {
    profile *p = prof_new();
    prof_add_thread(p, 1, 1, NULL);
    int f = prof_intern_frame(p, "rec", "r.py", 3, 1, FRAME_PYTHON);
    uint32_t st[4] = {(uint32_t)f, (uint32_t)f, (uint32_t)f, (uint32_t)f};
    prof_add_stack(p, 0, false, st, 4, 10);
    prof_func_stat *fs;
    CHECK_EQ_INT(prof_function_stats(p, &fs), 1);
    CHECK_EQ_INT(fs[0].total, 10);
    CHECK_EQ_INT(fs[0].self, 10);
    free(fs);
    prof_free(p);
}

TEST(roots_prepend_process_and_thread) {
    profile *p = small_profile();
    CHECK_EQ_INT(prof_add_roots(p, true, true), 0);
    CHECK_EQ_INT(prof_total_samples(p), 100);
    for (size_t i = 0; i < prof_nstacks(p); i++) {
        const prof_stack *s = prof_stack_at(p, i);
        CHECK_EQ_INT(prof_frame_at(p, s->frames[0])->type, FRAME_PROCESS);
        CHECK_EQ_INT(prof_frame_at(p, s->frames[1])->type, FRAME_THREAD);
    }
    CHECK_EQ_STR(prof_frame_at(p, prof_stack_at(p, 0)->frames[0])->function,
                 "process 100 (python3 scripts/demo.py --fast)");
    CHECK_EQ_STR(prof_frame_at(p, prof_stack_at(p, 0)->frames[1])->function,
                 "thread 100 (MainThread)");
    prof_free(p);
}

static char *render(output_writer w, const profile *p) {
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    output_opts o;
    output_opts_init(&o);
    CHECK_EQ_INT(w(p, f, &o), 0);
    fclose(f);
    return buf;
}

TEST(folded_writer_exact_text) {
    profile *p = small_profile();
    char *text = render(write_folded, p);
    CHECK_EQ_STR(text,
                 "<module> (scripts/demo.py:10);main (scripts/demo.py:5);hot:loop (scripts/demo.py:8) 60\n"
                 "<module> (scripts/demo.py:10);main (scripts/demo.py:5);hot:loop (scripts/demo.py:9) 20\n"
                 "<module> (scripts/demo.py:10);main (scripts/demo.py:5);hot:loop (scripts/demo.py:8);"
                 "memcpy (/lib/libc.so.6) 15\n"
                 "<module> (scripts/demo.py:10);main (scripts/demo.py:5);[idle] 5\n");
    free(text);
    prof_free(p);
}

static void same_profile(const profile *a, const profile *b) {
    CHECK_EQ_INT(prof_nframes(a), prof_nframes(b));
    CHECK_EQ_INT(prof_nstacks(a), prof_nstacks(b));
    CHECK_EQ_INT(prof_nthreads(a), prof_nthreads(b));
    CHECK_EQ_INT(prof_nprocesses(a), prof_nprocesses(b));
    CHECK_EQ_INT(prof_total_samples(a), prof_total_samples(b));
    for (size_t i = 0; i < prof_nframes(a) && i < prof_nframes(b); i++) {
        const prof_frame *x = prof_frame_at(a, i), *y = prof_frame_at(b, i);
        CHECK_EQ_STR(x->function, y->function);
        CHECK(x->line == y->line && x->first_line == y->first_line && x->type == y->type);
        CHECK((!x->file && !y->file) || (x->file && y->file && !strcmp(x->file, y->file)));
    }
    for (size_t i = 0; i < prof_nstacks(a) && i < prof_nstacks(b); i++) {
        const prof_stack *x = prof_stack_at(a, i), *y = prof_stack_at(b, i);
        CHECK(x->thread == y->thread && x->idle == y->idle && x->depth == y->depth &&
              x->count == y->count);
        CHECK(!memcmp(x->frames, y->frames, x->depth * sizeof *x->frames));
    }
    const prof_meta *ma = prof_meta_get(a), *mb = prof_meta_get(b);
    CHECK_EQ_STR(ma->name, mb->name);
    CHECK_EQ_STR(ma->script, mb->script);
    CHECK_EQ_STR(ma->python_version, mb->python_version);
    CHECK_EQ_STR(ma->start_time, mb->start_time);
    CHECK_EQ_INT(ma->argc, mb->argc);
    CHECK_EQ_STR(ma->argv[2], mb->argv[2]);
    CHECK(ma->wall_seconds == mb->wall_seconds && ma->rate_hz == mb->rate_hz);
    CHECK_EQ_INT(prof_counters_of((profile *)a)->dropped, prof_counters_of((profile *)b)->dropped);
    CHECK_EQ_INT(prof_counters_of((profile *)a)->ticks, prof_counters_of((profile *)b)->ticks);
}

TEST(json_round_trip_is_lossless_and_stable) {
    profile *p = small_profile();
    char path[] = "/tmp/csprof-json-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    FILE *f = fdopen(fd, "w");
    output_opts o;
    output_opts_init(&o);
    CHECK_EQ_INT(write_profile_json(p, f, &o), 0);
    fclose(f);
    char err[256];
    profile *q = read_profile_json(path, err, sizeof err);
    CHECK(q != NULL);
    if (q) {
        same_profile(p, q);
        /* Writing the re-read profile gives the same bytes. */
        char *a = render(write_profile_json, p), *b = render(write_profile_json, q);
        CHECK_EQ_STR(a, b);
        free(a);
        free(b);
    }
    prof_free(q);
    prof_free(p);
    unlink(path);
}

TEST(json_invalid_utf8_is_replaced_not_lost) {
    profile *p = prof_new();
    prof_add_thread(p, 1, 1, NULL);
    int f = prof_intern_frame(p, "bad\xff\xfe name", "f\xc3.py", 1, 1, FRAME_PYTHON);
    uint32_t st[1] = {(uint32_t)f};
    prof_add_stack(p, 0, false, st, 1, 3);
    char *text = render(write_profile_json, p);
    CHECK(strstr(text, "bad\xEF\xBF\xBD\xEF\xBF\xBD name") != NULL);
    free(text);
    prof_free(p);
}

static void write_file(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
}

TEST(json_reader_rejects_bad_input_with_a_reason) {
    char path[] = "/tmp/csprof-bad-XXXXXX";
    int fd = mkstemp(path);
    close(fd);
    char err[256];
    struct { const char *text, *expect; } cases[] = {
        {"{", "not valid JSON"},
        {"{\"schema\": \"other\"}", "not a csprof profile"},
        {"{\"schema\": \"csprof-profile\", \"schema_version\": 99}", "schema version 99"},
        {"{\"schema\": \"csprof-profile\", \"schema_version\": 1, \"threads\": [{\"pid\":1,\"tid\":1}],"
         " \"frames\": [], \"stacks\": [{\"thread\": 0, \"frames\": [3], \"count\": 1}]}",
         "stacks[0].frames[0] refers to a frame that does not exist"},
        {"{\"schema\": \"csprof-profile\", \"schema_version\": 1, \"threads\": [],"
         " \"frames\": [], \"stacks\": [{\"thread\": 0, \"frames\": [], \"count\": 1}]}",
         "stacks[0].thread"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        write_file(path, cases[i].text);
        profile *p = read_profile_json(path, err, sizeof err);
        CHECK(p == NULL);
        CHECK(strstr(err, cases[i].expect) != NULL);
        if (!strstr(err, cases[i].expect)) fprintf(stderr, "  got: %s\n", err);
        prof_free(p);
    }
    unlink(path);
    CHECK(read_profile_json("/nonexistent/x.json", err, sizeof err) == NULL);
    CHECK(strstr(err, "cannot read") != NULL);
}

static int parse(record_opts *o, int n, char **argv) {
    FILE *saved = stderr;
    stderr = fopen("/dev/null", "w");
    int rc = record_parse_args(n, argv, o);
    fclose(stderr);
    stderr = saved;
    return rc;
}

TEST(record_options_parse) {
    record_opts o;
    char *a1[] = {"record", "-o", "out", "-n", "nm", "-r", "250", "-d", "1.5", "--subprocesses",
                  "--idle", "-f", "json,folded", "--", "python3", "x.py", "-o", "y"};
    CHECK_EQ_INT(parse(&o, 18, a1), 0);
    CHECK_EQ_STR(o.output, "out");
    CHECK_EQ_STR(o.name, "nm");
    CHECK(o.rate == 250 && o.duration == 1.5 && o.subprocesses && o.idle);
    CHECK_EQ_STR(o.formats, "json,folded");
    CHECK_EQ_INT(o.ncmd, 4);
    CHECK_EQ_STR(o.cmd[0], "python3");
    CHECK_EQ_STR(o.cmd[2], "-o");  /* the command's own options are left alone */

    char *a2[] = {"record", "python3", "--rate", "5"};
    CHECK_EQ_INT(parse(&o, 4, a2), 0);  /* stops at the first non-option */
    CHECK_EQ_INT(o.ncmd, 3);
    CHECK(o.rate == 1000);
    CHECK_EQ_STR(o.output, "artifacts/profiling");
    CHECK_EQ_STR(o.formats, "svg,json,md");

    char *a3[] = {"record", "--pid", "42", "-d", "3"};
    CHECK_EQ_INT(parse(&o, 5, a3), 0);
    CHECK_EQ_INT(o.pid, 42);
    CHECK_EQ_INT(o.ncmd, 0);
    CHECK_EQ_INT(o.same_cpu, SAME_CPU_OFF);  /* the default */
    CHECK(same_cpu_beside_hz(o.same_cpu, o.rate) == 0);

    /* --same-cpu alone is auto; =WHEN picks; the sampler's rate beside a
     * thread follows (every: the rate itself). */
    char *a4[] = {"record", "--same-cpu", "-r", "400", "--", "x"};
    CHECK_EQ_INT(parse(&o, 6, a4), 0);
    CHECK_EQ_INT(o.same_cpu, SAME_CPU_AUTO);
    CHECK(same_cpu_beside_hz(o.same_cpu, o.rate) == SAME_CPU_AUTO_HZ);
    char *a9[] = {"record", "--same-cpu=every", "-r", "400", "--", "x"};
    CHECK_EQ_INT(parse(&o, 6, a9), 0);
    CHECK_EQ_INT(o.same_cpu, SAME_CPU_EVERY);
    CHECK(same_cpu_beside_hz(o.same_cpu, o.rate) == 400);
    char *a5[] = {"record", "--same-cpu=off", "--", "x"};
    CHECK_EQ_INT(parse(&o, 4, a5), 0);
    CHECK_EQ_INT(o.same_cpu, SAME_CPU_OFF);
    CHECK(same_cpu_beside_hz(o.same_cpu, o.rate) == 0);
    char *a6[] = {"record", "--same-cpu=every", "--same-cpu=auto", "--", "x"};
    CHECK_EQ_INT(parse(&o, 5, a6), 0);
    CHECK_EQ_INT(o.same_cpu, SAME_CPU_AUTO);  /* the last one given */
    CHECK(same_cpu_beside_hz(o.same_cpu, o.rate) == SAME_CPU_AUTO_HZ);
    char *a7[] = {"record", "--same-cpu", "off", "python3", "x.py"};
    CHECK_EQ_INT(parse(&o, 5, a7), 0);  /* the value may follow as a word */
    CHECK_EQ_INT(o.same_cpu, SAME_CPU_OFF);
    CHECK_EQ_INT(o.ncmd, 2);
    CHECK_EQ_STR(o.cmd[0], "python3");
    char *a8[] = {"record", "--same-cpu", "python3", "x.py"};
    CHECK_EQ_INT(parse(&o, 4, a8), 0);  /* ... but only one of the three */
    CHECK_EQ_INT(o.same_cpu, SAME_CPU_AUTO);
    CHECK_EQ_STR(o.cmd[0], "python3");
}

TEST(record_options_reject) {
    record_opts o;
    char *bad[][6] = {
        {"record", "--rate", "0", "--", "x", NULL},
        {"record", "--rate", "10001", "--", "x", NULL},
        {"record", "--duration", "0", "--", "x", NULL},
        {"record", "--format", "svg,gif", "--", "x", NULL},
        {"record", "--pid", "12x", NULL},
        {"record", "--pid", "5", "--", "x", NULL},
        {"record", "--name", "a/b", "--", "x", NULL},
        {"record", "--nope", "--", "x", NULL},
        {"record", "--same-cpu=yes", "--", "x", NULL},
        {"record", "--same-cpu=", "--", "x", NULL},
        {"record", NULL},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int n = 0;
        while (n < 6 && bad[i][n]) n++;
        CHECK_EQ_INT(parse(&o, n, bad[i]), 64);
    }
}

int main(void) {
    RUN(interning_merges_equal_frames_and_stacks);
    RUN(many_frames_and_stacks_survive_rehashing);
    RUN(function_stats_self_total_and_hot_line);
    RUN(recursion_counts_once_in_total);
    RUN(roots_prepend_process_and_thread);
    RUN(folded_writer_exact_text);
    RUN(json_round_trip_is_lossless_and_stable);
    RUN(json_invalid_utf8_is_replaced_not_lost);
    RUN(json_reader_rejects_bad_input_with_a_reason);
    RUN(record_options_parse);
    RUN(record_options_reject);
    return check_summary();
}
