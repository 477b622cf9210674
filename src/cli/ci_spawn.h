/* ci_spawn.h -- csprof ci runs `csprof record` and `csprof diff` as
 * children of its own executable, so each keeps its own process, its own
 * exit status and its own failures.
 *
 * Promises: the child's stdout is ours; its stderr is passed through to
 * ours as it comes (and, when asked, its last line kept). A failure to
 * start or wait is one ::warning:: line. Never waits on a daemon that
 * inherited the pipe: waiting ends when the child exits. */
#ifndef CSPROF_CI_SPAWN_H
#define CSPROF_CI_SPAWN_H

/* The last line of a child's stderr kept, in bytes. */
#define CI_STDERR_TAIL_MAX 512

/* Runs our own executable with argv (argv[0] "csprof", argv[1] the
 * command); returns its exit status (128+N for signal N), or -1 when it
 * could not be started or waited for. With tail (CI_STDERR_TAIL_MAX bytes),
 * the last line of its stderr that is not csprof's own ("csprof: wrote
 * ...") is kept there: what the script said last, typically why it
 * failed. */
int ci_run_self(char *const *argv, char *tail);

#endif
