/* floor.c -- the machine's floor for a sampler: a loop that only sleeps to
 * the next tick at a fixed rate, as csprof's sampler does (absolute
 * deadlines on CLOCK_MONOTONIC, 1 ns timer slack), and nothing else.
 *
 * Usage: floor RATE_HZ SECONDS [--read PID [PIECES]]
 *   -> prints "WAKEUPS CPU_US_PER_WAKEUP [READ_US_PER_WAKEUP]".
 * With --read, every wake-up also copies 8 bytes out of process PID with one
 * process_vm_readv (the least any sampler that reads its target does per
 * sample), and the wall time inside that call is the third figure. With a
 * PIECES file (lines "ADDRESS LENGTH", hex address), that one call copies
 * those pieces instead: bench.py replays csprof's own read with it.
 * `make bench` runs it interleaved with csprof and prints csprof's CPU per
 * sample as a ratio to these. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/uio.h>
#include <time.h>

static long long ns(clockid_t c) {
    struct timespec ts;
    if (clock_gettime(c, &ts)) {
        perror("floor: clock_gettime");
        exit(1);
    }
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* The start of pid's first readable mapping, or 0. */
static unsigned long readable_address(int pid) {
    char path[64], line[512];
    snprintf(path, sizeof path, "/proc/%d/maps", pid);
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    unsigned long start = 0, lo, hi;
    char perms[8];
    while (!start && fgets(line, sizeof line, f))
        if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) == 3 && perms[0] == 'r') start = lo;
    fclose(f);
    return start;
}

#define MAX_PIECES 1024
#define MAX_BYTES (1 << 20)
static struct iovec local[MAX_PIECES], remote[MAX_PIECES];
static unsigned char buf[MAX_BYTES];

/* Reads a PIECES file into remote[] / local[]; returns the count, or -1. */
static int load_pieces(const char *path, size_t *total) {
    FILE *f = fopen(path, "r");
    if (!f) {
        perror("floor: cannot open the pieces file");
        return -1;
    }
    unsigned long addr, len;
    int n = 0;
    *total = 0;
    while (fscanf(f, "%lx %lu", &addr, &len) == 2) {
        if (n == MAX_PIECES || len == 0 || len > MAX_BYTES - *total) {
            fprintf(stderr, "floor: %s: more than %d pieces or %d bytes, or an empty one\n", path,
                    MAX_PIECES, MAX_BYTES);
            fclose(f);
            return -1;
        }
        remote[n] = (struct iovec){(void *)addr, len};
        local[n] = (struct iovec){buf + *total, len};
        *total += len;
        n++;
    }
    fclose(f);
    if (!n) fprintf(stderr, "floor: %s holds no \"ADDRESS LENGTH\" line\n", path);
    return n ? n : -1;
}

int main(int argc, char **argv) {
    if (argc != 3 && !((argc == 5 || argc == 6) && !strcmp(argv[3], "--read"))) {
        fprintf(stderr, "usage: floor RATE_HZ SECONDS [--read PID [PIECES]]\n");
        return 2;
    }
    int pid = argc >= 5 ? atoi(argv[4]) : 0;
    unsigned long from = pid > 0 ? readable_address(pid) : 0;
    if (argc >= 5 && !from) {
        fprintf(stderr, "floor: no readable mapping in /proc/%s/maps\n", argv[4]);
        return 1;
    }
    int npieces = 1;
    size_t total = 8;
    local[0] = (struct iovec){buf, 8};
    remote[0] = (struct iovec){(void *)from, 8};
    if (argc == 6 && (npieces = load_pieces(argv[5], &total)) < 0) return 1;
    double rate = atof(argv[1]), secs = atof(argv[2]);
    if (!(rate > 0 && rate <= 100000) || !(secs > 0 && secs <= 3600)) {
        fprintf(stderr, "floor: rate must be in (0, 100000] Hz and seconds in (0, 3600]\n");
        return 2;
    }
    if (prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0)) perror("floor: PR_SET_TIMERSLACK");
    long long interval = (long long)(1e9 / rate), start = ns(CLOCK_MONOTONIC), next = start;
    long long end = start + (long long)(secs * 1e9), cpu0 = ns(CLOCK_PROCESS_CPUTIME_ID);
    long long wakeups = 0, read_ns = 0;
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
        if (from) {
            long long t0 = ns(CLOCK_MONOTONIC);
            ssize_t got = process_vm_readv(pid, local, (unsigned long)npieces, remote,
                                           (unsigned long)npieces, 0);
            if (got != (ssize_t)total) {
                if (got < 0) perror("floor: process_vm_readv");
                else fprintf(stderr, "floor: process_vm_readv copied %zd of %zu bytes: a piece is "
                             "no longer mapped\n", got, total);
                return 1;
            }
            read_ns += ns(CLOCK_MONOTONIC) - t0;
        }
    }
    double cpu_us = (double)(ns(CLOCK_PROCESS_CPUTIME_ID) - cpu0) / 1e3;
    if (from)
        printf("%lld %.3f %.3f\n", wakeups, cpu_us / (double)wakeups,
               (double)read_ns / 1e3 / (double)wakeups);
    else
        printf("%lld %.3f\n", wakeups, cpu_us / (double)wakeups);
    return 0;
}
