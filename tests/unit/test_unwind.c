/* test_unwind.c -- stopping, unwinding and resuming a child process. */
#include "check.h"
#include "objfile.h"
#include "proc.h"
#include "unwind.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile unsigned long spin_counter;

/* Not static and not inlined, so that the unwind shows them by name. The
 * leaf's symbol is a C++ name (csprof::unwindtest::leaf()), which the unwind
 * must show demangled. */
void unwind_test_leaf(void) __asm__("_ZN6csprof10unwindtest4leafEv");
void unwind_test_middle(void);
__attribute__((noinline)) void unwind_test_leaf(void) {
    for (;;) spin_counter++;
}
__attribute__((noinline)) void unwind_test_middle(void) {
    unwind_test_leaf();
    __asm__ volatile("" ::: "memory");   /* keeps the call from becoming a jump */
}

/* Spends its time in the vDSO's clock_gettime. */
void unwind_test_clock_loop(void);
__attribute__((noinline)) void unwind_test_clock_loop(void) {
    struct timespec ts;
    for (;;) {
        clock_gettime(CLOCK_MONOTONIC, &ts);
        spin_counter += (unsigned long)ts.tv_nsec;
    }
}

/* A function without an unwind table (no CFI directives) whose frame
 * pointer points at a made-up frame: saved rbp 0, return address 0x10000,
 * below the lowest address Linux lets a process map. libunwind, finding no
 * table, guesses the caller from rbp and gets 0x10000: the walk must stop
 * there instead of showing it as a caller. */
void unwind_test_astray(void);
__asm__(".text\n"
        ".globl unwind_test_astray\n"
        ".type unwind_test_astray, @function\n"
        "unwind_test_astray:\n"
        "  pushq $0x10000\n"
        "  pushq $0\n"
        "  movq %rsp, %rbp\n"
        "1: incq spin_counter(%rip)\n"
        "  jmp 1b\n"
        ".size unwind_test_astray, . - unwind_test_astray\n");

/* A child whose stack changes all the time: dives to a new depth (20-199
 * frames of ~600 bytes) again and again, spinning a while at the bottom.
 * *dive_depth, shared with the parent, is set before the spin starts. */
static volatile int *dive_depth;
void unwind_test_spin(void);
void unwind_test_dive(int level, int deepest);
void unwind_test_diver(void);
__attribute__((noinline)) void unwind_test_spin(void) {
    for (int i = 0; i < 200000; i++) spin_counter++;
}
__attribute__((noinline)) void unwind_test_dive(int level, int deepest) {
    volatile char pad[512];
    pad[0] = (char)level;
    if (level < deepest) {
        unwind_test_dive(level + 1, deepest);
    } else {
        *dive_depth = level;
        unwind_test_spin();
    }
    pad[1] = pad[0];   /* keeps the frame alive across the call: no tail call */
}
__attribute__((noinline)) void unwind_test_diver(void) {
    unsigned x = 1;
    for (;;) {
        x = x * 1103515245u + 12345u;
        unwind_test_dive(1, 20 + (int)((x >> 16) % 180));
    }
}

__attribute__((noinline)) static pid_t spawn_spinner(void) {
    fflush(stdout);   /* the child must not print our buffered lines again */
    pid_t pid = fork();
    if (pid == 0) {
        unwind_test_middle();
        _exit(0);
    }
    return pid;
}

/* A child that runs fn (which never returns), given 50 ms to get there. */
static pid_t fork_into(void (*fn)(void)) {
    fflush(stdout);   /* the child must not print our buffered lines again */
    pid_t child = fork();
    if (child == 0) {
        fn();
        _exit(0);
    }
    struct timespec ts = {0, 50 * 1000000L};
    nanosleep(&ts, NULL);
    return child;
}

static void sleep_ms(int ms) {
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

/* State letter and TracerPid from /proc/PID/status. */
static void status_of(pid_t pid, char *state, long *tracer) {
    char path[64], line[256];
    *state = '?';
    *tracer = -1;
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f) return;
    while (fgets(line, sizeof line, f)) {
        if (!strncmp(line, "State:", 6)) sscanf(line + 6, " %c", state);
        if (!strncmp(line, "TracerPid:", 10)) *tracer = strtol(line + 10, NULL, 10);
    }
    fclose(f);
}

static void kill_and_reap(pid_t pid) {
    kill(pid, SIGKILL);
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
}

TEST(unwinds_child_and_leaves_it_running) {
    pid_t child = spawn_spinner();
    CHECK(child > 0);
    sleep_ms(50);
    native_unwinder *u = native_new(child, NULL, true);
    CHECK(u != NULL);
    if (!u) { kill_and_reap(child); return; }
    uint64_t pcs[NATIVE_MAX_DEPTH];
    int n = -1;
    bool complete = false;
    for (int round = 0; round < 20; round++) {
        CHECK_EQ_INT(native_stop(u, &child, 1), 1);
        CHECK(native_is_stopped(u, child));
        n = native_unwind(u, child, pcs, NATIVE_MAX_DEPTH, &complete);
        native_resume(u);
        CHECK(!native_is_stopped(u, child));
    }
    CHECK(n >= 3);
    CHECK(complete);
    const char *want[] = {"csprof::unwindtest::leaf()", "unwind_test_middle", "spawn_spinner"};
    for (int i = 0; i < 3 && i < n; i++) {
        native_symbol s;
        native_symbolize(u, pcs[i], &s);
        CHECK_EQ_STR(s.function, want[i]);
        CHECK(s.known);
        CHECK(!s.interp);
    }
    char state;
    long tracer;
    status_of(child, &state, &tracer);
    CHECK_EQ_INT(tracer, 0);
    CHECK(state == 'R' || state == 'S');
    native_free(u);
    kill_and_reap(child);
}

/* The vDSO has no file behind it: its unwind table and names are read from
 * the target's memory, and the walk goes on to the caller. */
TEST(unwinds_through_the_vdso) {
    pid_t child = fork_into(unwind_test_clock_loop);
    native_unwinder *u = native_new(child, NULL, true);
    int caught = 0;
    for (int round = 0; round < 2000 && !caught; round++) {
        uint64_t pcs[64];
        bool complete = false;
        if (native_stop(u, &child, 1) != 1) {
            native_resume(u);
            break;
        }
        int n = native_unwind(u, child, pcs, 64, &complete);
        native_resume(u);
        native_symbol leaf;
        if (n < 1) continue;
        native_symbolize(u, pcs[0], &leaf);
        if (strcmp(leaf.object, "[vdso]")) continue;
        caught = 1;
        CHECK(complete);
        /* The leaf may be one of the vDSO's static helpers, which no symbol
         * covers (then named "[vdso]"); the exported clock_gettime is on
         * the way out either way. */
        bool named = false, found = false;
        for (int i = 0; i < n; i++) {
            native_symbol s;
            native_symbolize(u, pcs[i], &s);
            if (!strcmp(s.object, "[vdso]")) {
                CHECK(s.known || !strcmp(s.function, "[vdso]"));
                named |= s.known && strstr(s.function, "clock_gettime") != NULL;
            }
            found |= !strcmp(s.function, "unwind_test_clock_loop");
        }
        CHECK(named);
        CHECK(found);
    }
    if (!caught) printf("  (never caught the child inside the vDSO: nothing checked)\n");
    CHECK(caught);
    native_free(u);
    kill_and_reap(child);
}

/* A return address outside any executable mapping ends the walk, which
 * is then incomplete; the leaf is kept. */
TEST(astray_walk_stops_before_a_made_up_caller) {
    pid_t child = fork_into(unwind_test_astray);
    native_unwinder *u = native_new(child, NULL, true);
    CHECK(u != NULL);
    if (!u) { kill_and_reap(child); return; }
    for (int round = 0; round < 20; round++) {
        uint64_t pcs[64];
        bool complete = true;
        CHECK_EQ_INT(native_stop(u, &child, 1), 1);
        int n = native_unwind(u, child, pcs, 64, &complete);
        native_resume(u);
        CHECK_EQ_INT(n, 1);
        CHECK(!complete);
        native_symbol s;
        if (n >= 1) native_symbolize(u, pcs[0], &s);
        if (n >= 1) CHECK_EQ_STR(s.function, "unwind_test_astray");
        for (int i = 1; i < n; i++) CHECK(pcs[i] != 0x10000 - 1);
    }
    native_free(u);
    kill_and_reap(child);
}

/* A process stopped by job control stays stopped after we let go. */
TEST(group_stopped_child_stays_stopped) {
    pid_t child = spawn_spinner();
    sleep_ms(20);
    kill(child, SIGSTOP);
    int st;
    CHECK(waitpid(child, &st, WUNTRACED) == child && WIFSTOPPED(st));
    native_unwinder *u = native_new(child, NULL, true);
    CHECK_EQ_INT(native_stop(u, &child, 1), 1);
    uint64_t pcs[16];
    bool complete;
    CHECK(native_unwind(u, child, pcs, 16, &complete) >= 1);
    native_resume(u);
    sleep_ms(20);
    char state;
    long tracer;
    status_of(child, &state, &tracer);
    CHECK_EQ_INT(tracer, 0);
    CHECK(state == 'T');
    kill(child, SIGCONT);
    sleep_ms(20);
    status_of(child, &state, &tracer);
    CHECK(state == 'R' || state == 'S');
    native_free(u);
    kill_and_reap(child);
}

/* The exit of our own child is left for our waitpid. */
TEST(exited_child_status_left_to_parent) {
    fflush(stdout);
    pid_t child = fork();
    if (child == 0) _exit(7);
    sleep_ms(50);   /* a zombie by now */
    native_unwinder *u = native_new(child, NULL, true);
    CHECK_EQ_INT(native_stop(u, &child, 1), 0);
    native_resume(u);
    native_free(u);
    int st = 0;
    CHECK(waitpid(child, &st, 0) == child);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 7);
}

static void *spin_thread(void *arg) {
    (void)arg;
    unwind_test_middle();
    return NULL;
}

/* A child whose main thread has exited (pthread_exit) while a second one
 * spins: its leader stays a zombie for as long as the process lives. */
static void leader_exits(void) {
    pthread_t t;
    if (pthread_create(&t, NULL, spin_thread, NULL)) _exit(1);
    pthread_exit(NULL);
}

/* The kernel refuses to seize a thread that has begun to exit with EPERM,
 * as it refuses one csprof may not trace: a thread that ends as a sample is
 * taken must not count as a refusal, which would leave the whole process
 * without C frames (and once freed the unwinder under the sample). */
TEST(an_exited_thread_is_no_refusal) {
    pid_t child = fork_into(leader_exits);
    pid_t *tids = NULL;
    size_t n = 0;
    CHECK(proc_threads(child, &tids, &n) == 0);
    CHECK_EQ_INT((long)n, 2);
    char state;
    long tracer;
    status_of(child, &state, &tracer);
    CHECK(state == 'Z');   /* the leader's state */
    native_unwinder *u = native_new(child, NULL, true);
    CHECK(u != NULL);
    if (u && n == 2) {
        CHECK_EQ_INT((long)native_stop(u, tids, n), 1);
        pid_t other = tids[0] == child ? tids[1] : tids[0];
        CHECK(native_is_stopped(u, other));
        CHECK(!native_is_stopped(u, child));
        native_resume(u);
        CHECK_EQ_INT(native_last_error(u, NULL, 0), 0);
    }
    native_free(u);
    free(tids);
    kill_and_reap(child);
}

/* A thread the sampler has found ended is forgotten with its stack copy;
 * one still stopped is not. Kept, csprof --native grew to 90 MB over 4000
 * threads started one after another (18 MB now). */
TEST(forgets_a_thread_when_told) {
    pid_t child = spawn_spinner();
    sleep_ms(20);
    native_unwinder *u = native_new(child, NULL, true);
    CHECK_EQ_INT(native_stop(u, &child, 1), 1);
    CHECK_EQ_INT(native_copy(u, child), 0);
    native_forget(u, child);   /* stopped: kept */
    CHECK_EQ_INT((long)native_threads_kept(u), 1);
    native_resume(u);
    native_forget(u, child);
    CHECK_EQ_INT((long)native_threads_kept(u), 0);
    native_forget(u, child);   /* not known: nothing */
    CHECK_EQ_INT((long)native_threads_kept(u), 0);
    native_free(u);
    kill_and_reap(child);
}

TEST(probe_reports_missing_process) {
    char why[256];
    fflush(stdout);
    pid_t child = fork();
    if (child == 0) _exit(0);
    int st;
    waitpid(child, &st, 0);
    CHECK_EQ_INT(native_probe(child, false, why, sizeof why), ESRCH);
    CHECK(strstr(why, "exited") != NULL);
}

/* Outside any file, and in a file where no symbol covers the address:
 * named by the object, one name for all its unnamed code. */
TEST(unnamed_code_named_by_object) {
    native_unwinder *u = native_new(getpid(), NULL, false);
    native_symbol s;
    native_symbolize(u, 0x10, &s);
    CHECK(!s.known);
    CHECK_EQ_STR(s.object, "[unknown]");
    CHECK_EQ_STR(s.function, "[unknown]");
    /* libc's ELF header: mapped from the file, covered by no function. */
    FILE *f = fopen("/proc/self/maps", "r");
    CHECK(f != NULL);
    if (!f) return;
    char line[512], path[256] = "";
    unsigned long long start = 0, off = 1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "%llx-%*x %*s %llx %*s %*s %255s", &start, &off, path) == 3 &&
            strstr(path, "/libc.so") && off == 0)
            break;
    fclose(f);
    CHECK(off == 0 && strstr(path, "/libc.so"));
    native_symbolize(u, start + 8, &s);
    CHECK(!s.known);
    CHECK_EQ_STR(s.object, path);
    CHECK_EQ_STR(s.function, "[libc.so.6]");
    native_symbol t;
    native_symbolize(u, start + 64, &t);
    CHECK_EQ_STR(t.function, s.function);
    native_free(u);
}

/* Unnamed code of a Python extension module is named after the module its
 * users import; other files after their name. */
TEST(group_names_of_extension_modules) {
    char b[256];
    native_group_name("/usr/lib/python3/dist-packages/numpy/core/"
                      "_multiarray_umath.cpython-311-x86_64-linux-gnu.so", b, sizeof b);
    CHECK_EQ_STR(b, "[numpy.core._multiarray_umath]");
    native_group_name("/venv/lib/python3.12/site-packages/pkg/_ext.abi3.so", b, sizeof b);
    CHECK_EQ_STR(b, "[pkg._ext]");
    native_group_name("/usr/lib/python3.11/lib-dynload/_ctypes.cpython-311-x86_64-linux-gnu.so",
                      b, sizeof b);
    CHECK_EQ_STR(b, "[_ctypes]");
    /* Packages up to the first directory that is no identifier; a build
     * tree, with no root to count from, gives the module alone. */
    native_group_name("/x/site-packages/a.b/pkg/m.cpython-312-x86_64-linux-gnu.so", b, sizeof b);
    CHECK_EQ_STR(b, "[pkg.m]");
    native_group_name("/work/proj/build/lib/pkg/_fast.cpython-311-x86_64-linux-gnu.so", b,
                      sizeof b);
    CHECK_EQ_STR(b, "[_fast]");
    /* The last root counts: a virtualenv inside another's site-packages. */
    native_group_name("/a/site-packages/venv/lib/python3.11/site-packages/pkg/"
                      "m.cpython-311-x86_64-linux-gnu.so", b, sizeof b);
    CHECK_EQ_STR(b, "[pkg.m]");
    /* Libraries, bundled with a package or not, keep their file name. */
    native_group_name("/venv/lib/python3.11/site-packages/torch/lib/libtorch_cpu.so", b, sizeof b);
    CHECK_EQ_STR(b, "[libtorch_cpu.so]");
    native_group_name("/usr/lib/x86_64-linux-gnu/libc.so.6", b, sizeof b);
    CHECK_EQ_STR(b, "[libc.so.6]");
    native_group_name("/x/site-packages/numpy.libs/libopenblas64_p-r0-15028c96.3.21.so", b,
                      sizeof b);
    CHECK_EQ_STR(b, "[libopenblas64_p-r0-15028c96.3.21.so]");
    native_group_name("/x/site-packages/pkg/9lives.cpython-311-x86_64-linux-gnu.so", b, sizeof b);
    CHECK_EQ_STR(b, "[9lives.cpython-311-x86_64-linux-gnu.so]");
    native_group_name("[vdso]", b, sizeof b);
    CHECK_EQ_STR(b, "[vdso]");
    /* Cut, never overrun. */
    char small[8];
    native_group_name("/usr/lib/x86_64-linux-gnu/libc.so.6", small, sizeof small);
    CHECK_EQ_STR(small, "[libc.s");
}


/* The thread is held only while its stack is copied, and walked from the
 * copy once it runs again (and has rewritten that stack): every walk that
 * ends in the spin shows the depth the child had when it was stopped,
 * also past the first copy's 32 KB (the copy grows to what walks need). */
TEST(walks_the_copy_after_the_thread_ran_on) {
    int *shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    CHECK(shared != MAP_FAILED);
    if (shared == MAP_FAILED) return;
    dive_depth = shared;
    pid_t child = fork_into(unwind_test_diver);
    native_unwinder *u = native_new(child, NULL, true);
    CHECK(u != NULL);
    int checked = 0, deep = 0, cut = 0;
    for (int round = 0; u && round < 300 && (checked < 40 || deep < 5); round++) {
        if (native_stop(u, &child, 1) != 1) {
            native_resume(u);
            break;
        }
        int depth = *dive_depth;
        CHECK_EQ_INT(native_copy(u, child), 0);
        native_resume(u);
        sleep_ms(2);   /* it dives elsewhere meanwhile */
        uint64_t pcs[NATIVE_MAX_DEPTH];
        bool complete = false;
        int n = native_unwind(u, child, pcs, NATIVE_MAX_DEPTH, &complete);
        native_symbol leaf;
        if (n < 1) continue;
        native_symbolize(u, pcs[0], &leaf);
        if (strcmp(leaf.function, "unwind_test_spin")) continue;
        if (!complete) {
            cut++;   /* deeper than any walk before: the copy grows for the next */
            continue;
        }
        int dives = 0, divers = 0;
        for (int i = 1; i < n; i++) {
            native_symbol s;
            native_symbolize(u, pcs[i], &s);
            dives += !strcmp(s.function, "unwind_test_dive");
            divers += !strcmp(s.function, "unwind_test_diver");
        }
        CHECK_EQ_INT(dives, depth);
        CHECK_EQ_INT(divers, 1);
        checked++;
        deep += depth >= 100;   /* > 55 KB of stack: more than the first copy */
    }
    CHECK(checked >= 40);
    CHECK(deep >= 5);
    CHECK(cut <= 4);   /* 32 KB, then twice what a walk wanted: 120 KB in two or three */
    native_free(u);
    kill_and_reap(child);
    munmap(shared, 4096);
}

int main(void) {
    RUN(unwinds_child_and_leaves_it_running);
    RUN(unwinds_through_the_vdso);
    RUN(astray_walk_stops_before_a_made_up_caller);
    RUN(group_stopped_child_stays_stopped);
    RUN(exited_child_status_left_to_parent);
    RUN(an_exited_thread_is_no_refusal);
    RUN(forgets_a_thread_when_told);
    RUN(probe_reports_missing_process);
    RUN(unnamed_code_named_by_object);
    RUN(group_names_of_extension_modules);
    RUN(walks_the_copy_after_the_thread_ran_on);
    objfile_close_all();   /* what the sampler does at the end of a run */
    return check_summary();
}
