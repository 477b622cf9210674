/* ci_scripts.h -- the script lines of `csprof ci` (CSPROF_SCRIPTS): what
 * each runs and the name its reports get.
 *
 * One script per line; blank lines and lines starting with '#' are
 * skipped. A line is split into words with simple shell-like quoting and
 * no expansion of any kind (ci_split_words). A line whose first word ends
 * in .py runs with the given Python in front; anything else is a command
 * line.
 *
 * Promises: no output but "out of memory" on stderr; a line that cannot
 * be read is kept with its reason (error), so the caller reports it with
 * the script errors. */
#ifndef CSPROF_CI_SCRIPTS_H
#define CSPROF_CI_SCRIPTS_H

#include <stddef.h>

typedef struct {
    char *line;              /* as written in CSPROF_SCRIPTS, trimmed */
    char **argv;             /* what runs; NULL when the line cannot be read */
    int argc;
    /* The report name: the script's stem, "python -m pkg" -> "pkg", else
     * the program's name; only [A-Za-z0-9._-], unique within the run;
     * "line-N" for a line that cannot be read. */
    char name[96];
    char *error;             /* why the line cannot be read, else NULL */
} ci_script;

/* Splits line into words: blanks separate; '...' is literal; "..." keeps
 * blanks and takes \" \\ \$ \` as escapes; a backslash elsewhere escapes
 * the next character. 0 with *argv (argc words, then NULL; free with
 * ci_words_free), or -1 with *err (a constant string) and nothing
 * allocated. */
int ci_split_words(const char *line, char ***argv, int *argc, const char **err);
void ci_words_free(char **argv, int argc);

/* Every script of text, python running the .py ones. NULL when out of
 * memory (said on stderr); else *count scripts, possibly 0. Free each with
 * ci_script_free, then the array. */
ci_script *ci_scripts_parse(const char *text, const char *python, size_t *count);
void ci_script_free(ci_script *sc);

#endif
