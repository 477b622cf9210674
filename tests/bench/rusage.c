/* rusage.c -- runs a command and writes its CPU time and peak RSS.
 *
 * Usage: rusage OUTFILE COMMAND [ARG...] -> exit status of COMMAND; OUTFILE
 * gets "CPU_SECONDS MAXRSS_KIB". A small C parent, so the command's peak RSS
 * is its own (a child forked from a big parent, e.g. Python, counts the
 * parent's pages until it execs). Used by tests/bench/peers.py. */
#include <stdio.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: rusage OUTFILE COMMAND [ARG...]\n");
        return 2;
    }
    pid_t pid = fork();
    if (pid < 0) {
        perror("rusage: fork");
        return 1;
    }
    if (pid == 0) {
        execvp(argv[2], argv + 2);
        perror("rusage: exec");
        _exit(127);
    }
    int status;
    struct rusage ru;
    if (wait4(pid, &status, 0, &ru) != pid) {
        perror("rusage: wait4");
        return 1;
    }
    FILE *f = fopen(argv[1], "w");
    if (!f) {
        perror("rusage: cannot write OUTFILE");
        return 1;
    }
    fprintf(f, "%.6f %ld\n", (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
                                 (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6,
            ru.ru_maxrss);
    if (fclose(f)) {
        perror("rusage: cannot write OUTFILE");
        return 1;
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
