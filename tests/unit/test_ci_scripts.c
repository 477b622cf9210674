/* Unit tests for ci_scripts.c (csprof ci's script lines) and optval.c. */
#include <float.h>
#include <limits.h>
#include <stdlib.h>

#include "check.h"
#include "ci_scripts.h"
#include "optval.h"

/* Splits line and joins the words with '|' into out (or "ERR:" + reason). */
static const char *split(const char *line, char *out, size_t size) {
    char **argv = NULL;
    int argc = -1;
    const char *err = NULL;
    if (ci_split_words(line, &argv, &argc, &err)) {
        snprintf(out, size, "ERR:%s", err);
        return out;
    }
    size_t n = 0;
    out[0] = '\0';
    for (int i = 0; i < argc; i++) n += (size_t)snprintf(out + n, size - n, "%s%s", i ? "|" : "", argv[i]);
    if (argv[argc] != NULL) snprintf(out, size, "not NULL-terminated");
    ci_words_free(argv, argc);
    return out;
}

/* A line and its words joined with '|', or "ERR:" and the reason. */
static const struct {
    const char *line, *want;
} split_cases[] = {
    {"a b\tc", "a|b|c"},
    {"  lead  trail  ", "lead|trail"},
    {"", ""},
    {"   ", ""},
    {"'a b' \"c d\"", "a b|c d"},
    {"'$HOME' \"x'y\" 'x\"y'", "$HOME|x'y|x\"y"},
    {"e\\ f g\\\\h", "e f|g\\h"},
    /* inside "...", only \" \\ \$ \` are escapes; a backslash before
     * anything else stays */
    {"\"a\\\"b\\\\c\\$d\\`e\\nf\"", "a\"b\\c$d`e\\nf"},
    {"''", ""},
    {"'' x", "|x"},
    {"a'b c'd\"e f\"", "ab cde f"},
    {"trailing\\", "trailing\\"},
    {"$HOME *.py ~ `x`", "$HOME|*.py|~|`x`"},
    /* one-character words, one blank apart: the most words a line holds */
    {"a b c d e f g h", "a|b|c|d|e|f|g|h"},
    {"'''''' ''", "|"},
    {"python3 -c 'print(1)", "ERR:unterminated ' quote"},
    {"a \"b", "ERR:unterminated \" quote"},
    {"a \"b\\\"", "ERR:unterminated \" quote"},
};

TEST(words_quotes_and_errors) {
    char o[256];
    for (size_t i = 0; i < sizeof split_cases / sizeof split_cases[0]; i++)
        CHECK_EQ_STR(split(split_cases[i].line, o, sizeof o), split_cases[i].want);
}

static ci_script *parse(const char *text, size_t *n) {
    ci_script *s = ci_scripts_parse(text, "py", n);
    CHECK(s != NULL);
    return s;
}

static void free_all(ci_script *s, size_t n) {
    for (size_t i = 0; i < n; i++) ci_script_free(&s[i]);
    free(s);
}

TEST(lines_names_and_interpreter) {
    size_t n = 99;
    ci_script *s = parse("  # a comment\n\nbench/run.py --fast\r\n"
                         "python3 -m pkg.tool x\n"
                         "python3 tools/x.py\n"
                         "bench/run.py\n"
                         "'weird name!.py'\n"
                         "/usr/bin/.hidden\n", &n);
    if (!s) return;
    CHECK_EQ_INT(n, 6);
    CHECK_EQ_STR(s[0].line, "bench/run.py --fast");
    CHECK_EQ_STR(s[0].name, "run");
    CHECK_EQ_INT(s[0].argc, 3);
    CHECK_EQ_STR(s[0].argv[0], "py");
    CHECK_EQ_STR(s[0].argv[1], "bench/run.py");
    CHECK(s[0].argv[3] == NULL);
    CHECK_EQ_STR(s[1].name, "pkg.tool");
    CHECK_EQ_STR(s[1].argv[0], "python3");
    CHECK_EQ_STR(s[2].name, "x");
    CHECK_EQ_STR(s[3].name, "run-2");
    CHECK_EQ_STR(s[4].name, "weird_name_");
    CHECK_EQ_STR(s[5].name, "script");
    for (size_t i = 0; i < n; i++) CHECK(s[i].error == NULL);
    free_all(s, n);
}

TEST(unreadable_lines_are_kept_with_the_reason) {
    size_t n = 0;
    ci_script *s = parse("ok\nbad 'quote\n\"\"\n", &n);
    if (!s) return;
    CHECK_EQ_INT(n, 3);
    CHECK(s[0].error == NULL);
    CHECK(s[1].argv == NULL);
    CHECK_EQ_STR(s[1].name, "line-2");
    CHECK_EQ_STR(s[1].error, "cannot read the script line 'bad 'quote': unterminated ' quote");
    /* "" is one empty word, a program with no name: still a line to run */
    CHECK(s[2].error == NULL);
    CHECK_EQ_STR(s[2].name, "script");
    free_all(s, n);
    s = parse("# only\n   \n", &n);
    if (s) CHECK_EQ_INT(n, 0);
    free_all(s, n);
}

TEST(many_lines_grow_the_array) {
    char text[20 * 4 + 1] = "";
    for (int i = 0; i < 20; i++) strcat(text, "x a\n");
    size_t n = 0;
    ci_script *s = parse(text, &n);
    if (!s) return;
    CHECK_EQ_INT(n, 20);
    CHECK_EQ_STR(s[0].name, "x");
    CHECK_EQ_STR(s[19].name, "x-20");
    free_all(s, n);
}

TEST(option_values) {
    double d = -1;
    long l = -1;
    CHECK(optval_double("2.5", 0, 10, &d) == 0 && d == 2.5);
    CHECK(optval_double("10", 0, 10, &d) == 0 && d == 10);
    d = 7;
    CHECK(optval_double("nan", 0, 10, &d) == -1 && d == 7);
    CHECK(optval_double("11", 0, 10, &d) == -1);
    CHECK(optval_double("1x", 0, 10, &d) == -1);
    CHECK(optval_double("", 0, 10, &d) == -1);
    CHECK(optval_double("1e999", 0, DBL_MAX, &d) == -1);
    CHECK(optval_long("42", 1, 50, &l) == 0 && l == 42);
    CHECK(optval_long("0", 1, 50, &l) == -1 && l == 42);
    CHECK(optval_long("3.0", 1, 50, &l) == -1);
    CHECK(optval_long("99999999999999999999", 1, LONG_MAX, &l) == -1);
    CHECK(optval_long("", 1, 50, &l) == -1);
}

int main(void) {
    RUN(words_quotes_and_errors);
    RUN(lines_names_and_interpreter);
    RUN(unreadable_lines_are_kept_with_the_reason);
    RUN(many_lines_grow_the_array);
    RUN(option_values);
    return check_summary();
}
