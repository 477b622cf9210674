/* test_sched.c -- where a thread stands with the scheduler (proc.h,
 * proc_thread_sched): the text it reads, hostile or short, and real
 * threads that are running, sleeping, or runnable but kept off their one
 * CPU by another process. */

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "proc.h"

static const char STATUS[] =
    "Name:\tpython3\nUmask:\t0022\nState:\tR (running)\nTgid:\t42\n"
    "voluntary_ctxt_switches:\t150\nnonvoluntary_ctxt_switches:\t545\n";

TEST(status_and_schedstat_text) {
    char st = 0;
    uint64_t sw = 0, pc = 0, run = 0;
    CHECK_EQ_INT(proc_status_switches(STATUS, &st, &sw), 0);
    CHECK(st == 'R');
    CHECK(sw == 695);
    CHECK_EQ_INT(proc_schedstat("2054128383 431270153 696\n", &run, &pc), 0);
    CHECK(pc == 696);
    CHECK(run == 2054128383u);
    /* A thread may name itself after the keys: the kernel escapes the
     * newline in a name, so only the real lines count. */
    const char *named =
        "Name:\tState:\\tS voluntary_ctxt_switches:\\t9\nState:\tS (sleeping)\n"
        "voluntary_ctxt_switches:\t3\nnonvoluntary_ctxt_switches:\t4\n";
    CHECK_EQ_INT(proc_status_switches(named, &st, &sw), 0);
    CHECK(st == 'S');
    CHECK(sw == 7);
}

TEST(short_or_hostile_text_is_refused) {
    char st;
    uint64_t sw, pc, run;
    CHECK_EQ_INT(proc_status_switches("", &st, &sw), -1);
    CHECK_EQ_INT(proc_status_switches("Name:\tx\nState:\tR (running)\n", &st, &sw), -1);
    CHECK_EQ_INT(proc_status_switches("Name:\tx\nState:\t", &st, &sw), -1);
    CHECK_EQ_INT(proc_status_switches("x\nState:\tR\nvoluntary_ctxt_switches:\t-1\n"
                                      "nonvoluntary_ctxt_switches:\t1\n", &st, &sw), -1);
    /* Beyond 64 bits, alone or summed. */
    CHECK_EQ_INT(proc_status_switches("x\nState:\tR\nvoluntary_ctxt_switches:\t99999999999999999999\n"
                                      "nonvoluntary_ctxt_switches:\t1\n", &st, &sw), -1);
    CHECK_EQ_INT(proc_status_switches("x\nState:\tR\nvoluntary_ctxt_switches:\t18446744073709551615\n"
                                      "nonvoluntary_ctxt_switches:\t1\n", &st, &sw), -1);
    CHECK_EQ_INT(proc_schedstat("", &run, &pc), -1);
    CHECK_EQ_INT(proc_schedstat("1 2\n", &run, &pc), -1);
    CHECK_EQ_INT(proc_schedstat("1 2 3", &run, &pc), -1);   /* cut short */
    CHECK_EQ_INT(proc_schedstat("1 2 x\n", &run, &pc), -1);
    int cpu = -1;
    const char *stat = "42 (a) b) c) R 1 42 42 0 -1 4194560 100 0 0 0 5 6 0 0 20 0 1 0 "
                       "100 1000 200 18446744073709551615 1 1 0 0 0 0 0 0 2 0 0 0 17 1 0 0 0 0 0\n";
    char letter = 0;
    CHECK_EQ_INT(proc_stat_state_cpu(stat, &letter, &cpu), 0);
    CHECK_EQ_INT(cpu, 1);
    CHECK(letter == 'R');
    CHECK_EQ_INT(proc_stat_state_cpu("42 (a) R 1 2\n", &letter, &cpu), -1);
    CHECK_EQ_INT(proc_stat_state_cpu("no parenthesis", &letter, &cpu), -1);
    /* The state is one letter between spaces. */
    CHECK_EQ_INT(proc_stat_state_cpu("42 (a) RR 1\n", &letter, &cpu), -1);
    CHECK_EQ_INT(proc_stat_state_cpu("42 (a)  1\n", &letter, &cpu), -1);
}

static void spin_forever(void) {
    volatile unsigned long n = 0;
    for (;;) n++;
}

static pid_t spawn_on_cpu(int cpu, bool sleep_instead) {
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(cpu, &set);
        sched_setaffinity(0, sizeof set, &set);
        if (sleep_instead) pause();
        spin_forever();
    }
    return pid;
}

static void reap(pid_t pid) {
    kill(pid, SIGKILL);
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {}
}

static void sleep_ms(int ms) {
    struct timespec ts = {0, (long)ms * 1000000};
    nanosleep(&ts, NULL);
}

/* Two spinning processes share CPU 0 while this test reads them from
 * another CPU: at almost every read one is on the CPU and the other waits,
 * which the state letter ('R' for both) cannot tell. */
TEST(a_thread_kept_off_its_cpu_is_told_from_one_running) {
    cpu_set_t mine;
    CHECK_EQ_INT(sched_getaffinity(0, sizeof mine, &mine), 0);
    CHECK(CPU_COUNT(&mine) >= 2);   /* the machine the tests need has 2 */
    if (CPU_COUNT(&mine) < 2) return;
    int other = -1;
    for (int c = 1; c < CPU_SETSIZE && other < 0; c++)
        if (CPU_ISSET(c, &mine)) other = c;
    cpu_set_t away;
    CPU_ZERO(&away);
    CPU_SET(other, &away);
    CHECK_EQ_INT(sched_setaffinity(0, sizeof away, &away), 0);
    pid_t a = spawn_on_cpu(0, false), b = spawn_on_cpu(0, false), z = spawn_on_cpu(0, true);
    sleep_ms(100);
    proc_thread_files fa, fb, fz;
    CHECK_EQ_INT(proc_thread_files_open(a, a, &fa), 0);
    CHECK_EQ_INT(proc_thread_files_open(b, b, &fb), 0);
    CHECK_EQ_INT(proc_thread_files_open(z, z, &fz), 0);
    int one_each = 0, reads = 400, asleep = 0;
    proc_sched z_ = {0};
    for (int i = 0; i < reads; i++) {
        proc_sched a_, b_, was_z = z_;
        /* Every other read as if the last had found all three asleep:
         * stat first, then the same answers (the sleeper's from stat alone). */
        proc_sched slept = {.state = PROC_NOT_RUNNABLE, .cpu = -1, .switches = 1};
        const proc_sched *prev = i % 2 ? &slept : NULL;
        CHECK_EQ_INT(proc_thread_sched(&fa, prev, &a_), 0);
        CHECK_EQ_INT(proc_thread_sched(&fb, prev, &b_), 0);
        CHECK_EQ_INT(proc_thread_sched(&fz, i ? &was_z : NULL, &z_), 0);
        if (i) CHECK(z_.switches == was_z.switches);
        proc_sched_state sa = a_.state, sb = b_.state, sz = z_.state;
        /* the queue it waits in is CPU 0's; the one running has no queue */
        CHECK(sa == PROC_WAITING_CPU ? a_.cpu == 0 : a_.cpu == -1);
        CHECK(z_.cpu == -1);
        CHECK(sa != PROC_NOT_RUNNABLE && sb != PROC_NOT_RUNNABLE);
        one_each += (sa == PROC_ON_CPU) != (sb == PROC_ON_CPU);
        asleep += sz == PROC_NOT_RUNNABLE;
        sleep_ms(1);
    }
    /* Measured here: 396-399 of 400 (a switch between two reads is the
     * rest). Without the switch counts both would look on a CPU. */
    printf("  one on CPU 0 and one waiting in %d of %d reads\n", one_each, reads);
    CHECK(one_each >= reads * 9 / 10);
    CHECK_EQ_INT(asleep, reads);
    proc_thread_files_close(&fa);
    proc_thread_files_close(&fb);
    proc_thread_files_close(&fz);
    CHECK(fa.status_fd == -1 && fa.schedstat_fd == -1);
    reap(a);
    reap(b);
    /* A thread gone: its kept-open files stop answering. */
    proc_sched me;
    reap(z);
    CHECK_EQ_INT(proc_thread_files_open(getpid(), getpid(), &fz), 0);
    CHECK_EQ_INT(proc_thread_sched(&fz, NULL, &me), 0);
    CHECK(me.state == PROC_ON_CPU);   /* this very thread, reading */
    proc_thread_files_close(&fz);
    sched_setaffinity(0, sizeof mine, &mine);
}

TEST(a_thread_gone_does_not_answer) {
    pid_t z = spawn_on_cpu(0, true);
    proc_thread_files f;
    CHECK_EQ_INT(proc_thread_files_open(z, z, &f), 0);
    reap(z);
    proc_sched s;
    errno = 0;
    CHECK_EQ_INT(proc_thread_sched(&f, NULL, &s), -1);
    CHECK(errno == ESRCH);
    /* nor when last seen asleep (stat is asked first then) */
    proc_sched slept = {.state = PROC_NOT_RUNNABLE, .cpu = -1, .switches = 3};
    errno = 0;
    CHECK_EQ_INT(proc_thread_sched(&f, &slept, &s), -1);
    CHECK(errno == ESRCH);
    proc_thread_files_close(&f);
    CHECK_EQ_INT(proc_thread_files_open(z, z, &f), -1);
}

/* A child that wakes every millisecond and sleeps again at once. */
static pid_t spawn_waker(void) {
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0)
        for (;;) sleep_ms(1);
    return pid;
}

/* Found asleep, then asked again: schedstat alone answers while the thread
 * has not been put on a CPU since (the same pcount), with stat and status
 * closed to prove it; one that woke since is asked further. */
TEST(a_sleeper_not_run_since_is_told_by_schedstat_alone) {
    pid_t z = spawn_on_cpu(0, true), w = spawn_waker();
    sleep_ms(50);
    proc_thread_files fz, fw;
    CHECK_EQ_INT(proc_thread_files_open(z, z, &fz), 0);
    CHECK_EQ_INT(proc_thread_files_open(w, w, &fw), 0);
    proc_sched z1, z2, z3, w1, w2, w3;
    /* first status, then schedstat and stat: the count it was put on a CPU */
    CHECK_EQ_INT(proc_thread_sched(&fz, NULL, &z1), 0);
    CHECK_EQ_INT(proc_thread_sched(&fz, &z1, &z2), 0);
    CHECK(z1.state == PROC_NOT_RUNNABLE && z2.state == PROC_NOT_RUNNABLE);
    CHECK(z2.pcount > 0 && z2.switches == z1.switches);
    proc_thread_files only = {.status_fd = -1, .schedstat_fd = fz.schedstat_fd, .stat_fd = -1};
    sleep_ms(20);
    CHECK_EQ_INT(proc_thread_sched(&only, &z2, &z3), 0);
    CHECK(z3.state == PROC_NOT_RUNNABLE && z3.pcount == z2.pcount);
    /* the waker ran since its last read: schedstat alone cannot answer */
    int tries = 0;
    do {   /* asleep at two reads in a row (it is, but for a microsecond a millisecond) */
        CHECK_EQ_INT(proc_thread_sched(&fw, NULL, &w1), 0);
        CHECK_EQ_INT(proc_thread_sched(&fw, &w1, &w2), 0);
    } while ((w1.state != PROC_NOT_RUNNABLE || w2.state != PROC_NOT_RUNNABLE) && ++tries < 1000);
    CHECK(w2.state == PROC_NOT_RUNNABLE && w2.pcount > 0);
    only.schedstat_fd = fw.schedstat_fd;
    sleep_ms(20);
    errno = 0;
    CHECK_EQ_INT(proc_thread_sched(&only, &w2, &w3), -1);
    CHECK(errno == EBADF);
    proc_thread_files_close(&fz);
    proc_thread_files_close(&fw);
    reap(z);
    reap(w);
}

int main(void) {
    RUN(status_and_schedstat_text);
    RUN(short_or_hostile_text_is_refused);
    RUN(a_thread_kept_off_its_cpu_is_told_from_one_running);
    RUN(a_thread_gone_does_not_answer);
    RUN(a_sleeper_not_run_since_is_told_by_schedstat_alone);
    return check_summary();
}
