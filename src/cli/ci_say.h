/* ci_say.h -- how `csprof ci` tells of its own problems.
 *
 * Everything the job's reader should see goes to stdout as a GitHub
 * workflow command (::warning::, ::error::, ::notice::), escaped so that
 * no text, whatever it holds, can end the command or start another.
 * GitHub shows at most 10 notices per step, so every notice ci prints is
 * counted against that budget here.
 *
 * The allocation helpers say "out of memory" on stderr when they fail and
 * return NULL: csprof ci carries on with less (a profiler problem never
 * fails the job), and each caller decides what is lost.
 *
 * Promises: output only on stdout (commands) and stderr (out of memory);
 * stdout is flushed after each command, so it stays in order with what
 * the children print. */
#ifndef CSPROF_CI_SAY_H
#define CSPROF_CI_SAY_H

#include <stdbool.h>
#include <stdio.h>

/* GitHub shows at most 10 notices per step (and 50 per job). */
#define CI_MAX_NOTICES 10

/* Workflow-command escaping of s onto out: data keeps %, CR and LF from
 * ending the command; a property value (property true) also keeps ':' and
 * ',' from ending the property. */
void ci_put_escaped(FILE *out, const char *s, bool property);

/* One "::KIND title=csprof::MESSAGE" line, the message formatted, cut at
 * 2 KiB and escaped. */
void ci_command(const char *kind, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define ci_warning(...) ci_command("warning", __VA_ARGS__)
#define ci_error(...) ci_command("error", __VA_ARGS__)

/* Whether one more ::notice fits in the step's budget; true counts it. */
bool ci_notice_slot(void);

/* strdup (NULL as "") and asprintf that say so on stderr when memory runs
 * out, returning NULL. */
char *ci_strdup(const char *s);
char *ci_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
