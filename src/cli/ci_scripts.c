/* ci_scripts.c -- script lines to argument vectors and report names
 * (ci_scripts.h). */
#include "ci_scripts.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ci_say.h"

/* One word from *pp into buf (room for the rest of the line): 0, or -1
 * with *err for an unterminated quote. */
static int next_word(const char **pp, char *buf, const char **err) {
    const char *p = *pp;
    size_t n = 0;
    while (*p && *p != ' ' && *p != '\t') {
        if (*p == '\'') {
            const char *e = strchr(p + 1, '\'');
            if (!e) {
                *err = "unterminated ' quote";
                return -1;
            }
            memcpy(buf + n, p + 1, (size_t)(e - p - 1));
            n += (size_t)(e - p - 1);
            p = e + 1;
        } else if (*p == '"') {
            p++;
            while (*p && *p != '"') {
                if (*p == '\\' && p[1] && strchr("\"\\$`", p[1])) p++;
                buf[n++] = *p++;
            }
            if (*p != '"') {
                *err = "unterminated \" quote";
                return -1;
            }
            p++;
        } else if (*p == '\\' && p[1]) {
            buf[n++] = p[1];
            p += 2;
        } else {
            buf[n++] = *p++;
        }
    }
    buf[n] = '\0';
    *pp = p;
    return 0;
}

int ci_split_words(const char *line, char ***argv_out, int *argc_out, const char **err) {
    /* A word takes at least one character and one blank after it, so a
     * line of len characters has at most len / 2 + 1 words; no word is
     * longer than the line. */
    size_t len = strlen(line);
    char **argv = calloc(len / 2 + 2, sizeof *argv);
    char *buf = malloc(len + 1);
    int argc = 0;
    *err = "out of memory";
    if (!argv || !buf) goto fail;
    for (const char *p = line;;) {
        while (*p == ' ' || *p == '\t') p++;
        if (!*p) break;
        if (next_word(&p, buf, err)) goto fail;
        argv[argc] = strdup(buf);
        if (!argv[argc]) {
            *err = "out of memory";
            goto fail;
        }
        argc++;
    }
    free(buf);
    *argv_out = argv;
    *argc_out = argc;
    return 0;
fail:
    ci_words_free(argv, argc);
    free(buf);
    return -1;
}

void ci_words_free(char **argv, int argc) {
    for (int i = 0; argv && i < argc; i++) free(argv[i]);
    free(argv);
}

static bool ends_with(const char *s, const char *suffix) {
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && !strcmp(s + a - b, suffix);
}

/* Names sc (see ci_script.name) among all[0..n), sc included. */
static void pick_name(ci_script *sc, const ci_script *all, size_t n) {
    const char *pick = sc->argv[0];
    bool is_py = ends_with(sc->argv[0], ".py");
    for (int i = 1; i < sc->argc && !is_py; i++) {
        if (!strcmp(sc->argv[i], "-m") && i + 1 < sc->argc) {
            pick = sc->argv[i + 1];
            break;
        }
        if (ends_with(sc->argv[i], ".py")) {
            pick = sc->argv[i];
            break;
        }
    }
    const char *base = strrchr(pick, '/') ? strrchr(pick, '/') + 1 : pick;
    char stem[64];
    snprintf(stem, sizeof stem, "%s", base);
    if (ends_with(stem, ".py")) stem[strlen(stem) - 3] = '\0';
    for (char *c = stem; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
              *c == '.' || *c == '_' || *c == '-'))
            *c = '_';
    if (!stem[0] || stem[0] == '.') snprintf(stem, sizeof stem, "script");
    snprintf(sc->name, sizeof sc->name, "%s", stem);
    for (int k = 2;; k++) {
        bool taken = false;
        for (size_t i = 0; i < n; i++)
            if (&all[i] != sc && !strcmp(all[i].name, sc->name)) taken = true;
        if (!taken) break;
        snprintf(sc->name, sizeof sc->name, "%s-%d", stem, k);
    }
}

/* Fills all[n - 1] from its line: words, name, the interpreter in front of
 * a .py script. 0, or -1 when out of memory. */
static int read_line(ci_script *all, size_t n, const char *python) {
    ci_script *sc = &all[n - 1];
    char **words = NULL;
    int nw = 0;
    const char *err = "nothing to run";
    int bad = ci_split_words(sc->line, &words, &nw, &err);
    if (bad || nw == 0) {
        free(words);
        sc->error = ci_asprintf("cannot read the script line '%s': %s", sc->line,
                                bad ? err : "nothing to run");
        snprintf(sc->name, sizeof sc->name, "line-%zu", n);
        return 0;
    }
    sc->argv = words;
    sc->argc = nw;
    /* named from the script itself, before the interpreter goes in front */
    pick_name(sc, all, n);
    if (!ends_with(words[0], ".py")) return 0;
    char **w = calloc((size_t)nw + 2, sizeof *w);
    char *py = strdup(python);
    if (!w || !py) {
        free(w);
        free(py);
        return -1;
    }
    w[0] = py;
    memcpy(w + 1, words, (size_t)nw * sizeof *w);
    free(words);
    sc->argv = w;
    sc->argc = nw + 1;
    return 0;
}

/* The next line of *pp, trimmed, as a copy; "" for a blank or comment line
 * (the caller skips it); NULL when out of memory. */
static char *next_line(const char **pp) {
    const char *p = *pp;
    size_t len = strcspn(p, "\n");
    *pp = p + len + (p[len] == '\n');
    const char *a = p, *b = p + len;
    while (a < b && (*a == ' ' || *a == '\t' || *a == '\r')) a++;
    while (b > a && (b[-1] == ' ' || b[-1] == '\t' || b[-1] == '\r')) b--;
    if (a == b || *a == '#') return strdup("");
    return strndup(a, (size_t)(b - a));
}

ci_script *ci_scripts_parse(const char *text, const char *python, size_t *count) {
    size_t cap = 8, n = 0;
    ci_script *all = calloc(cap, sizeof *all);
    if (!all) goto oom;
    for (const char *p = text; *p;) {
        char *line = next_line(&p);
        if (!line) goto oom;
        if (!*line) {
            free(line);
            continue;
        }
        if (n == cap) {
            ci_script *more = realloc(all, cap * 2 * sizeof *all);
            if (!more) {
                free(line);
                goto oom;
            }
            memset(more + cap, 0, cap * sizeof *all);
            all = more;
            cap *= 2;
        }
        all[n++].line = line;
        if (read_line(all, n, python)) goto oom;
    }
    *count = n;
    return all;
oom:
    for (size_t i = 0; i < n; i++) ci_script_free(&all[i]);
    free(all);
    fprintf(stderr, "csprof ci: out of memory reading CSPROF_SCRIPTS\n");
    return NULL;
}

void ci_script_free(ci_script *sc) {
    free(sc->line);
    ci_words_free(sc->argv, sc->argc);
    free(sc->error);
    *sc = (ci_script){0};
}
