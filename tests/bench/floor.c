/* floor.c -- the machine's floor for a sampler: a loop that only sleeps to
 * the next tick at a fixed rate, as csprof's sampler does (absolute
 * deadlines on CLOCK_MONOTONIC, 1 ns timer slack), and nothing else.
 *
 * Usage: floor RATE_HZ SECONDS -> prints "WAKEUPS CPU_US_PER_WAKEUP".
 * `make bench` runs it interleaved with csprof and prints csprof's CPU per
 * sample as a ratio to this. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <time.h>

static long long ns(clockid_t c) {
    struct timespec ts;
    if (clock_gettime(c, &ts)) {
        perror("floor: clock_gettime");
        exit(1);
    }
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: floor RATE_HZ SECONDS\n");
        return 2;
    }
    double rate = atof(argv[1]), secs = atof(argv[2]);
    if (!(rate > 0 && rate <= 100000) || !(secs > 0 && secs <= 3600)) {
        fprintf(stderr, "floor: rate must be in (0, 100000] Hz and seconds in (0, 3600]\n");
        return 2;
    }
    if (prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0)) perror("floor: PR_SET_TIMERSLACK");
    long long interval = (long long)(1e9 / rate), start = ns(CLOCK_MONOTONIC), next = start;
    long long end = start + (long long)(secs * 1e9), cpu0 = ns(CLOCK_PROCESS_CPUTIME_ID);
    long long wakeups = 0;
    while (next < end) {
        next += interval;
        long long now = ns(CLOCK_MONOTONIC);
        if (next < now) next = now;
        struct timespec ts = {next / 1000000000LL, next % 1000000000LL};
        int rc;
        while ((rc = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL)) == EINTR) {}
        if (rc) {
            fprintf(stderr, "floor: clock_nanosleep failed (%d)\n", rc);
            return 1;
        }
        wakeups++;
    }
    double cpu_us = (double)(ns(CLOCK_PROCESS_CPUTIME_ID) - cpu0) / 1e3;
    printf("%lld %.3f\n", wakeups, cpu_us / (double)wakeups);
    return 0;
}
