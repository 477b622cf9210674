/* ci_spawn.c -- running csprof's own executable as a child (ci_spawn.h). */
#include "ci_spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ci_say.h"
#include "commands.h"

/* Our own executable: the path /proc/self/exe names (under valgrind,
 * executing /proc/self/exe itself would start the valgrind tool, while the
 * link is reported as the client), else the link itself. */
static const char *self_exe(void) {
    static char path[PATH_MAX];
    if (!path[0]) {
        ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
        path[n > 0 ? n : 0] = '\0';
        if (n <= 0 || access(path, X_OK) != 0 || strstr(path, " (deleted)"))
            snprintf(path, sizeof path, "/proc/self/exe");
    }
    return path;
}

/* The line being read and the last kept one; lines longer than the tail
 * are cut. */
typedef struct {
    char cur[CI_STDERR_TAIL_MAX];
    size_t n;
    char *tail;
} tail_keeper;

static void tail_line_done(tail_keeper *k) {
    size_t n = k->n;
    while (n && (k->cur[n - 1] == '\r' || k->cur[n - 1] == ' ')) n--;
    k->cur[n] = '\0';
    if (n && strncmp(k->cur, "csprof", 6)) memcpy(k->tail, k->cur, n + 1);
    k->n = 0;
}

static void tail_feed(tail_keeper *k, const char *buf, size_t len) {
    for (size_t i = 0; i < len; i++) {
        if (buf[i] == '\n') tail_line_done(k);
        else if (k->n + 1 < sizeof k->cur) k->cur[k->n++] = buf[i];
    }
}

/* Passes everything from fd through to our stderr and keeps its tail,
 * until the child exits (a daemon it left holding the pipe does not keep
 * us waiting) and the pipe is drained. */
static void pass_stderr(int fd, pid_t pid, int *status, bool *reaped, tail_keeper *k) {
    char buf[4096];
    for (;;) {
        struct pollfd pfd = {fd, POLLIN, 0};
        int pr = poll(&pfd, 1, *reaped ? 0 : 100);
        if (pr < 0 && errno != EINTR) break;
        ssize_t n = pr > 0 ? read(fd, buf, sizeof buf) : 0;
        if (n > 0) {
            if (fwrite(buf, 1, (size_t)n, stderr) != (size_t)n) {}  /* best effort: it's a log */
            tail_feed(k, buf, (size_t)n);
            continue;
        }
        if (n < 0 && errno != EAGAIN && errno != EINTR) break;
        if (pr > 0 && n == 0) break;  /* EOF: every writer closed it */
        if (*reaped) break;           /* exited, and nothing more to read now */
        pid_t w = waitpid(pid, status, WNOHANG);
        if (w == pid) *reaped = true;
        else if (w < 0 && errno != EINTR) break;
    }
    if (k->n) tail_line_done(k);
    fflush(stderr);
}

int ci_run_self(char *const *argv, char *tail) {
    (void)self_exe();  /* resolved before the fork, so the child only execs */
    fflush(stdout);
    fflush(stderr);
    int pipefd[2] = {-1, -1};
    /* Without a pipe the child's stderr is simply ours: no tail, no harm. */
    if (tail && pipe2(pipefd, O_CLOEXEC) != 0) pipefd[0] = pipefd[1] = -1;
    pid_t pid = fork();
    if (pid < 0) {
        ci_warning("cannot start csprof %s: fork: %s", argv[1], strerror(errno));
        if (pipefd[0] >= 0) close(pipefd[0]), close(pipefd[1]);
        return -1;
    }
    if (pid == 0) {
        if (pipefd[1] >= 0 && dup2(pipefd[1], STDERR_FILENO) < 0) _exit(EXIT_SOFTWARE);
        execv(self_exe(), argv);
        fprintf(stderr, "csprof ci: cannot run %s: %s\n", self_exe(), strerror(errno));
        _exit(EXIT_SOFTWARE);
    }
    int status = 0;
    bool reaped = false;
    if (pipefd[0] >= 0) {
        close(pipefd[1]);
        tail_keeper k = {.tail = tail};
        if (fcntl(pipefd[0], F_SETFL, O_NONBLOCK) == 0) pass_stderr(pipefd[0], pid, &status, &reaped, &k);
        close(pipefd[0]);
    }
    while (!reaped && waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            ci_warning("cannot wait for csprof %s: %s", argv[1], strerror(errno));
            return -1;
        }
    }
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return -1;
}
