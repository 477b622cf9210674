/* cmd_ci.c -- `csprof ci`: what the GitHub Action runs.
 *
 * Reads its settings from CSPROF_* environment variables (action.yml maps
 * its inputs to them), profiles each listed script with `csprof record`,
 * compares with the baseline profile of the same name through `csprof
 * diff` (both run as children of /proc/self/exe, so each keeps its own
 * process and exit status), and reports: job summary, annotations on the
 * hottest lines of the user's code, step outputs. Outside GitHub the same
 * files are written and the GitHub-only parts are skipped.
 *
 * A profiler problem never fails the job: it becomes a ::warning:: and a
 * note in the summary. Only fail-on-regression / fail-on-script-error turn
 * findings into a failing exit status; invalid settings exit 64.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ci_links.h"
#include "classify.h"
#include "commands.h"
#include "fmt_html.h"
#include "history.h"
#include "atomicfile.h"
#include "md.h"
#include "numfmt.h"
#include "output.h"
#include "utf8.h"
#include "profile.h"
#include "sumfmt.h"
#include "summary.h"

static const char usage[] =
    "usage: csprof ci\n"
    "\n"
    "Profiles the scripts listed in CSPROF_SCRIPTS (one per line; a .py path\n"
    "runs with $CSPROF_PYTHON, anything else as a command line with simple\n"
    "shell-like quoting), compares each with its baseline profile, and writes\n"
    "the GitHub job summary, annotations and step outputs. Settings (all optional\n"
    "but CSPROF_SCRIPTS):\n"
    "  CSPROF_PYTHON (python)         CSPROF_RATE (record's default)\n"
    "  CSPROF_NATIVE (false)          CSPROF_SUBPROCESSES (true)\n"
    "  CSPROF_IDLE (false)            CSPROF_TOP (3)\n"
    "  CSPROF_OUTPUT_DIR (artifacts/profiling)   CSPROF_FORMATS (svg,json,md)\n"
    "  CSPROF_BASELINE (auto | none | path of a profile JSON or a directory)\n"
    "  CSPROF_BASELINE_DIR (where auto looks)    CSPROF_BASELINE_SAVE_DIR (copy new profiles and their NAME.history.json here)\n"
    "  CSPROF_REGRESSION_THRESHOLD (10)          CSPROF_FAIL_ON_REGRESSION (false | true | wall)\n"
    "  CSPROF_FAIL_ON_SCRIPT_ERROR (false)       CSPROF_ANNOTATIONS (true)\n"
    "  CSPROF_WORKING_DIRECTORY (where scripts run)\n"
    "  CSPROF_SUMMARY_MAX_BYTES (262144; the job summary stops adding details there)\n"
    "  CSPROF_ARTIFACT_SUFFIX (names the HTML report performance-report<SUFFIX>.html)\n"
    "  CSPROF_SUMMARY_DEFERRED (false; true: summary.md keeps link placeholders and\n"
    "    `csprof ci --finish` completes it and writes the job summary)\n"
    "\n"
    "csprof ci --finish completes a deferred summary: CSPROF_SUMMARY_FILE,\n"
    "CSPROF_HTML_URL (the upload's artifact-url), CSPROF_HTML_FILE, CSPROF_UPLOAD,\n"
    "CSPROF_UPLOAD_OUTCOME.\n"
    "\n"
    "exit status: 0, or 1 when fail-on-regression / fail-on-script-error ask for\n"
    "it; 64 invalid settings.\n";

/* The whole job summary stays far below GitHub's 1 MiB per step
 * (CSPROF_SUMMARY_MAX_BYTES can lower or raise it, up to 900 KiB). */
#define SUMMARY_BUDGET (256 * 1024)
#define SUMMARY_BUDGET_MAX (900 * 1024)
#define SCRIPT_MD_MAX (24 * 1024)
#define DIFF_MD_MAX (16 * 1024)
/* GitHub shows at most 10 notices per step (and 50 per job): the notices
 * csprof ci prints, settings ones included, stay within that. */
#define MAX_NOTICES 10
#define ANNOTATIONS_PER_SCRIPT 3
/* A line is annotated when at least this share of its script's samples is
 * charged to it. */
#define ANNOTATE_MIN_PCT 1.0
/* The last line of a script's stderr kept for its summary, in bytes. */
#define STDERR_TAIL_MAX 512

typedef struct {
    const char *scripts, *python, *rate, *formats, *baseline, *baseline_dir, *save_dir;
    char *output_dir;  /* absolute, owned */
    const char *workdir;
    bool native, subprocesses, idle, fail_on_regression, fail_on_script_error, annotations;
    bool fail_on_wall;       /* fail-on-regression: wall, the plain duration rule */
    int top;
    long summary_max;
    double threshold;
    const char *threshold_str;
    const char *workspace;   /* GITHUB_WORKSPACE, else the starting directory */
    char start_dir[PATH_MAX];
} ci_settings;

/* A line of the user's code to annotate: the time charged to it (it and
 * everything it called) and what that time was spent in. */
typedef struct {
    char *function, *file;   /* file relative to the workspace */
    int line;
    double pct, seconds;
    char *beneath;           /* e.g. "fit (sklearn) 85%", may be empty */
} hot_spot;

typedef struct {
    char *line;              /* as written in CSPROF_SCRIPTS */
    char **argv;             /* what runs */
    int argc;
    char name[96];
    int exit_status;         /* the script's, -1 unknown */
    bool profiled;           /* a fresh profile was written */
    bool script_failed;
    double seconds;
    double cpu_seconds, max_rss_bytes;   /* the script's own (wait4), 0 unknown */
    char *problem;           /* why it could not be profiled / compared */
    char stderr_tail[STDERR_TAIL_MAX];  /* last line of its stderr, csprof's own aside */
    /* hottest function (self) */
    char *top_function, *top_file;
    int top_line;
    double top_self_pct;
    hot_spot hot[ANNOTATIONS_PER_SCRIPT];
    int nhot;
    /* comparison */
    bool has_baseline, compared, regressed;
    bool wall_beyond;        /* wall time beyond the threshold of the baseline's */
    double wall_change_pct;
    char verdict[32];
    char *diff_md;           /* Since-baseline section, bounded */
    char *base_path;         /* the baseline profile compared with */
    char *slower, *faster;   /* significantly slower / faster functions, "`a`, `b`" */
    char *trend_md;          /* the history chart and share table */
    char *hist_path;         /* the run history for the verdict's spread, NULL: none */
    char *profile_md;        /* the script's own summary, bounded */
} script_run;

/* ---- small helpers ---- */

static int notices_printed;  /* ::notice lines so far, against MAX_NOTICES */

static char *xstrdup(const char *s) {
    char *d = strdup(s ? s : "");
    if (!d) fprintf(stderr, "csprof ci: out of memory\n");
    return d;
}

static char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *xasprintf(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    if (vasprintf(&s, fmt, ap) < 0) s = NULL;
    va_end(ap);
    if (!s) fprintf(stderr, "csprof ci: out of memory\n");
    return s;
}

static const char *env(const char *name) {
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

static void gh_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int env_bool(const char *name, bool def, bool *out) {
    const char *v = env(name);
    if (!v) {
        *out = def;
        return 0;
    }
    if (!strcasecmp(v, "true") || !strcasecmp(v, "yes") || !strcmp(v, "1") || !strcasecmp(v, "on"))
        *out = true;
    else if (!strcasecmp(v, "false") || !strcasecmp(v, "no") || !strcmp(v, "0") ||
             !strcasecmp(v, "off"))
        *out = false;
    else {
        gh_error("%s must be true or false, not '%s'", name, v);
        return -1;
    }
    return 0;
}

/* Workflow-command escaping: data keeps %, CR, LF from ending the command;
 * property values also keep ':' and ',' from ending the property. */
static void put_escaped(FILE *out, const char *s, bool property) {
    for (; s && *s; s++) {
        switch (*s) {
        case '%': fputs("%25", out); break;
        case '\r': fputs("%0D", out); break;
        case '\n': fputs("%0A", out); break;
        case ':': property ? fputs("%3A", out) : fputc(':', out); break;
        case ',': property ? fputs("%2C", out) : fputc(',', out); break;
        default: fputc(*s, out);
        }
    }
}

/* One workflow command (warning or error), its message escaped. */
static void gh_command(const char *kind, const char *fmt, va_list ap) {
    char buf[2048];
    vsnprintf(buf, sizeof buf, fmt, ap);
    printf("::%s title=csprof::", kind);
    put_escaped(stdout, buf, false);
    fputc('\n', stdout);
    fflush(stdout);
}

static void gh_warning(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void gh_warning(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    gh_command("warning", fmt, ap);
    va_end(ap);
}

static void gh_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void gh_error(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    gh_command("error", fmt, ap);
    va_end(ap);
}

static char *absolute(const char *base, const char *path) {
    if (path[0] == '/') return xstrdup(path);
    return xasprintf("%s/%s", base, path);
}

static bool on_path(const char *prog) {
    if (strchr(prog, '/')) return access(prog, X_OK) == 0;
    const char *path = getenv("PATH");
    if (!path) return false;
    for (const char *s = path;;) {
        const char *e = strchr(s, ':');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        char buf[PATH_MAX];
        if (snprintf(buf, sizeof buf, "%.*s/%s", (int)n, n ? s : ".", prog) < (int)sizeof buf &&
            access(buf, X_OK) == 0)
            return true;
        if (!e) return false;
        s = e + 1;
    }
}

/* Reads a whole file (at most max bytes, cut at a line boundary with a
 * note). NULL when missing; *truncated tells whether it was cut. */
static char *read_bounded(const char *path, size_t max, bool *truncated) {
    *truncated = false;
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *buf = malloc(max + 1);
    if (!buf) {
        fclose(f);
        return NULL;
    }
    size_t n = fread(buf, 1, max, f);
    int more = fgetc(f) != EOF;
    fclose(f);
    if (more) {
        *truncated = true;
        while (n > 0 && buf[n - 1] != '\n') n--;
    }
    buf[n] = '\0';
    return buf;
}

/* ---- settings ---- */

static int parse_int(const char *name, const char *v, long lo, long hi, long *out) {
    char *end;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (errno || end == v || *end || x < lo || x > hi) {
        gh_error("%s must be a whole number from %ld to %ld, not '%s'", name,
               lo, hi, v);
        return -1;
    }
    *out = x;
    return 0;
}

static int load_settings(ci_settings *s) {
    memset(s, 0, sizeof *s);
    if (!getcwd(s->start_dir, sizeof s->start_dir)) {
        gh_error("cannot read the current directory: %s", strerror(errno));
        return -1;
    }
    s->scripts = env("CSPROF_SCRIPTS");
    if (!s->scripts) {
        gh_error("no scripts to profile: set the 'scripts' input (CSPROF_SCRIPTS), one per line");
        return -1;
    }
    s->python = env("CSPROF_PYTHON");
    if (!s->python) s->python = "python";
    /* "python" is the action's default; a runner or machine that has only
     * python3 still runs the scripts. */
    if (!strcmp(s->python, "python") && !on_path("python") && on_path("python3")) {
        printf("::notice title=csprof::no 'python' on PATH: .py scripts run with python3\n");
        notices_printed++;
        s->python = "python3";
    }
    s->rate = env("CSPROF_RATE");
    if (s->rate) {
        long r;
        if (parse_int("CSPROF_RATE (rate)", s->rate, 1, 10000, &r)) return -1;
    }
    /* fail-on-regression: true (the significance rule), false, or wall
     * (the plain duration rule: wall time beyond the threshold). */
    const char *fr = env("CSPROF_FAIL_ON_REGRESSION");
    s->fail_on_wall = fr && !strcasecmp(fr, "wall");
    if ((!s->fail_on_wall && env_bool("CSPROF_FAIL_ON_REGRESSION", false, &s->fail_on_regression)) ||
        env_bool("CSPROF_NATIVE", false, &s->native) ||
        env_bool("CSPROF_SUBPROCESSES", true, &s->subprocesses) ||
        env_bool("CSPROF_IDLE", false, &s->idle) ||
        env_bool("CSPROF_FAIL_ON_SCRIPT_ERROR", false, &s->fail_on_script_error) ||
        env_bool("CSPROF_ANNOTATIONS", true, &s->annotations))
        return -1;
    long top = 3;
    s->summary_max = SUMMARY_BUDGET;
    if (env("CSPROF_SUMMARY_MAX_BYTES") &&
        parse_int("CSPROF_SUMMARY_MAX_BYTES", env("CSPROF_SUMMARY_MAX_BYTES"), 4096,
                  SUMMARY_BUDGET_MAX, &s->summary_max))
        return -1;
    if (env("CSPROF_TOP") && parse_int("CSPROF_TOP (top)", env("CSPROF_TOP"), 1, 50, &top)) return -1;
    s->top = (int)top;
    s->threshold = 10;
    s->threshold_str = env("CSPROF_REGRESSION_THRESHOLD");
    if (s->threshold_str) {
        char *end;
        errno = 0;
        s->threshold = strtod(s->threshold_str, &end);
        if (errno || end == s->threshold_str || *end || !(s->threshold >= 0 && s->threshold <= 100000)) {
            gh_error("CSPROF_REGRESSION_THRESHOLD (regression-threshold) must be a percentage, not '%s'",
                   s->threshold_str);
            return -1;
        }
    }
    s->formats = env("CSPROF_FORMATS");
    if (!s->formats) s->formats = "svg,json,md";
    char err[256];
    if (output_check_list(s->formats, err, sizeof err)) {
        gh_error("CSPROF_FORMATS (formats): %s", err);
        return -1;
    }
    s->baseline = env("CSPROF_BASELINE");
    if (!s->baseline) s->baseline = "auto";
    s->baseline_dir = env("CSPROF_BASELINE_DIR");
    if (strcasecmp(s->baseline, "auto") && strcasecmp(s->baseline, "none")) {
        /* An explicit baseline names what to compare with: missing is an
         * error of the workflow, not "no baseline yet". */
        char *abs = absolute(s->start_dir, s->baseline);
        struct stat st;
        if (!abs || stat(abs, &st) != 0) {
            gh_error("the baseline %s does not exist (baseline input, CSPROF_BASELINE): give the path of "
                     "a profile JSON or a directory of them, auto, or none", abs ? abs : s->baseline);
            free(abs);
            return -1;
        }
        free(abs);
    }
    s->save_dir = env("CSPROF_BASELINE_SAVE_DIR");
    s->workdir = env("CSPROF_WORKING_DIRECTORY");
    s->workspace = env("GITHUB_WORKSPACE");
    if (!s->workspace) s->workspace = s->start_dir;
    const char *out = env("CSPROF_OUTPUT_DIR");
    s->output_dir = absolute(s->start_dir, out ? out : "artifacts/profiling");
    return s->output_dir ? 0 : -1;
}

/* ---- scripts ---- */

/* Splits a line into words: blanks separate; '...' is literal; "..." keeps
 * blanks and takes \" \\ \$ \` as escapes; a backslash elsewhere escapes
 * the next character. No expansion of any kind. Returns 0, or -1 with err. */
static int split_words(const char *line, char ***argv_out, int *argc_out, const char **err) {
    size_t len = strlen(line);
    char **argv = calloc(len / 2 + 2, sizeof *argv);
    char *buf = malloc(len + 1);
    int argc = 0;
    *err = "out of memory";
    if (!argv || !buf) goto fail;
    const char *p = line;
    for (;;) {
        while (*p == ' ' || *p == '\t') p++;
        if (!*p) break;
        size_t n = 0;
        while (*p && *p != ' ' && *p != '\t') {
            if (*p == '\'') {
                const char *e = strchr(p + 1, '\'');
                if (!e) {
                    *err = "unterminated ' quote";
                    goto fail;
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
                    goto fail;
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
        argv[argc] = strdup(buf);
        if (!argv[argc]) goto fail;
        argc++;
    }
    free(buf);
    *argv_out = argv;
    *argc_out = argc;
    return 0;
fail:
    for (int i = 0; argv && i < argc; i++) free(argv[i]);
    free(argv);
    free(buf);
    return -1;
}

static bool ends_with(const char *s, const char *suffix) {
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && !strcmp(s + a - b, suffix);
}

/* The report name: the script's stem, "python -m pkg" -> "pkg", else the
 * program's name; only [A-Za-z0-9._-], unique within the run. */
static void pick_name(script_run *r, script_run *runs, size_t n) {
    const char *pick = r->argv[0];
    bool is_py = ends_with(r->argv[0], ".py");
    for (int i = 1; i < r->argc && !is_py; i++) {
        if (!strcmp(r->argv[i], "-m") && i + 1 < r->argc) {
            pick = r->argv[i + 1];
            break;
        }
        if (ends_with(r->argv[i], ".py")) {
            pick = r->argv[i];
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
    snprintf(r->name, sizeof r->name, "%s", stem);
    for (int k = 2;; k++) {
        bool taken = false;
        for (size_t i = 0; i < n; i++)
            if (&runs[i] != r && !strcmp(runs[i].name, r->name)) taken = true;
        if (!taken) break;
        snprintf(r->name, sizeof r->name, "%s-%d", stem, k);
    }
}

static void md_cell_code(FILE *out, const char *s);

/* ---- running children ---- */

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

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

/* Keeps the last line of the child's stderr that is not csprof's own
 * ("csprof: wrote ..."): what the script said last, typically why it
 * failed. Lines longer than the tail are cut. */
typedef struct {
    char cur[STDERR_TAIL_MAX];
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

/* Runs our own executable with argv; returns its exit status (128+N for a
 * signal), or -1 when it could not be started. With tail, the child's
 * stderr goes through a pipe so its last line can be kept. */
static int run_self(char *const *argv, char *tail) {
    (void)self_exe();
    fflush(stdout);
    fflush(stderr);
    int pipefd[2] = {-1, -1};
    if (tail && pipe2(pipefd, O_CLOEXEC) != 0) pipefd[0] = pipefd[1] = -1;
    pid_t pid = fork();
    if (pid < 0) {
        gh_warning("cannot start csprof %s: fork: %s", argv[1], strerror(errno));
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
            gh_warning("cannot wait for csprof %s: %s", argv[1], strerror(errno));
            return -1;
        }
    }
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return -1;
}

static bool fresh_file(const char *path, time_t since) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_mtime >= since;
}

/* The formats record writes: the user's, plus json (the comparison and the
 * summary are built from it). */
static char *record_formats(const char *formats) {
    bool has_json = false;
    for (const char *s = formats; *s;) {
        size_t n = strcspn(s, ",");
        const char *a = s, *b = s + n;
        while (a < b && *a == ' ') a++;
        while (b > a && b[-1] == ' ') b--;
        if (b - a == 4 && !strncmp(a, "json", 4)) has_json = true;
        s += n + (s[n] == ',');
    }
    return has_json ? xstrdup(formats) : xasprintf("%s,json", formats);
}

/* File of the user's code relative to the workspace, or NULL. */
static char *relative_to_workspace(const ci_settings *s, const char *file) {
    char abs[PATH_MAX];
    if (file[0] == '/') {
        snprintf(abs, sizeof abs, "%s", file);
    } else {
        char cwd[PATH_MAX];
        if (!getcwd(cwd, sizeof cwd)) return NULL;
        if (snprintf(abs, sizeof abs, "%s/%s", cwd, file) >= (int)sizeof abs) return NULL;
    }
    char ws[PATH_MAX];
    /* Compare real paths so /home/runner/work vs a symlinked workspace agree. */
    if (!realpath(s->workspace, ws)) snprintf(ws, sizeof ws, "%s", s->workspace);
    char real[PATH_MAX];
    const char *a = realpath(abs, real) ? real : abs;
    size_t n = strlen(ws);
    while (n > 1 && ws[n - 1] == '/') n--;
    if (strncmp(a, ws, n) || a[n] != '/') return NULL;
    return xstrdup(a + n + 1);
}

/* "fit (sklearn) 85%, the line itself 10%": what a line spent its time in. */
static char *beneath_text(const summary *S, const user_line *L) {
    sbuf t;
    sbuf_init(&t, 600);
    for (int k = 0; k < L->nbeneath; k++) {
        const beneath_item *it = &L->beneath[k];
        if (k) sbuf_puts(&t, ", ");
        if (it->func < 0) {
            sbuf_puts(&t, "the line itself");
        } else {
            utf8_display(&t, S->stats[it->func].function, 80, false);
            sbuf owner;
            sbuf_init(&owner, 200);
            summary_owner_label(S, it->func, &owner);
            if (owner.len) sbuf_printf(&t, " (%s)", sbuf_str(&owner));
            sbuf_free(&owner);
        }
        sbuf_printf(&t, " %.0f%%", share(it->samples, L->samples));
    }
    char *d = xstrdup(sbuf_str(&t));
    sbuf_free(&t);
    return d;
}

/* The script's headline for the job summary table and the lines of the
 * user's code to annotate, from the same analysis the summary shows. */
static void collect_hot_spots(const ci_settings *s, script_run *r, const profile *p,
                              const output_opts *oo) {
    summary S;
    output_opts o = *oo;
    if (o.top_n < ANNOTATIONS_PER_SCRIPT) o.top_n = ANNOTATIONS_PER_SCRIPT;
    if (summary_analyse(&S, p, &o)) {
        gh_warning("out of memory summarising %s", r->name);
        summary_free(&S);
        return;
    }
    if (!S.failed_early && S.total > 0 && (S.nlines || S.nrows)) {
        const prof_func_stat *f = S.nlines ? &S.stats[S.lines[0].func] : &S.stats[S.rows[0].idx];
        uint64_t n = S.nlines ? S.lines[0].samples : f->self;
        r->top_function = xstrdup(f->function);
        r->top_file = f->file ? relative_to_workspace(s, f->file) : NULL;
        if (!r->top_file) r->top_file = xstrdup(f->file);
        r->top_line = S.nlines ? S.lines[0].line : f->hot_line > 0 ? f->hot_line : f->first_line;
        r->top_self_pct = share(n, S.total);
    }
    for (int i = 0; !S.failed_early && i < S.nlines && r->nhot < ANNOTATIONS_PER_SCRIPT; i++) {
        const user_line *L = &S.lines[i];
        const prof_func_stat *f = &S.stats[L->func];
        if (share(L->samples, S.total) < ANNOTATE_MIN_PCT) break;
        char *rel = f->file ? relative_to_workspace(s, f->file) : NULL;
        /* one notice per line (a comprehension shares its function's line) */
        for (int k = 0; rel && k < r->nhot; k++)
            if (r->hot[k].line == L->line && !strcmp(r->hot[k].file, rel)) {
                free(rel);
                rel = NULL;
            }
        if (!rel) continue;
        hot_spot *h = &r->hot[r->nhot];
        h->function = xstrdup(f->function);
        h->beneath = beneath_text(&S, L);
        h->file = rel;
        h->line = L->line;
        h->pct = share(L->samples, S.total);
        h->seconds = (double)L->samples * S.sps;
        r->nhot++;
        if (!h->function || !h->beneath) break;
    }
    summary_free(&S);
}

/* Baseline profile for name: auto -> BASELINE_DIR/NAME.json; a directory ->
 * DIR/NAME.json; a file -> itself when its stem is name or there is only one
 * script. NULL when there is none. */
static char *baseline_for(const ci_settings *s, const char *name, size_t nscripts) {
    const char *b = s->baseline;
    if (!strcasecmp(b, "none")) return NULL;
    const char *dir = NULL;
    char *abs = NULL;
    if (!strcasecmp(b, "auto")) {
        if (!s->baseline_dir) return NULL;
        abs = absolute(s->start_dir, s->baseline_dir);
    } else {
        abs = absolute(s->start_dir, b);
    }
    if (!abs) return NULL;
    struct stat st;
    if (stat(abs, &st) != 0) {
        free(abs);
        return NULL;
    }
    char *path = NULL;
    if (S_ISDIR(st.st_mode)) {
        dir = abs;
        path = xasprintf("%s/%s.json", dir, name);
        if (path && access(path, R_OK) != 0) {
            free(path);
            path = NULL;
        }
    } else {
        const char *base = strrchr(abs, '/') ? strrchr(abs, '/') + 1 : abs;
        size_t nl = strlen(name);
        if (nscripts == 1 || (!strncmp(base, name, nl) && !strcmp(base + nl, ".json")))
            path = xstrdup(abs);
    }
    free(abs);
    return path;
}

/* Copies through atomicfile.h, so a link planted in the save directory
 * (NAME.json or any temporary name) is never written through. */
static int copy_file(const char *from, const char *to) {
    FILE *in = fopen(from, "rbe");
    if (!in) return -1;
    afile a;
    if (afile_open(&a, to) != 0) {
        int e = errno;
        fclose(in);
        errno = e;
        return -1;
    }
    char buf[65536];
    size_t n;
    bool bad = false;
    while (!bad && (n = fread(buf, 1, sizeof buf, in)) > 0) bad = fwrite(buf, 1, n, a.f) != n;
    bad = bad || ferror(in);
    int e = errno;
    fclose(in);
    if (afile_commit(&a, bad) != 0) {
        errno = bad ? e : errno;
        return -1;
    }
    return 0;
}

/* "`a`, `b`, `c`" from the diff JSON's slower/faster list (at most 5). */
static char *function_list(json_t *arr) {
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    if (!out) return NULL;
    size_t n = json_array_size(arr);
    for (size_t i = 0; i < n && i < 5; i++) {
        const char *f = json_string_value(json_object_get(json_array_get(arr, i), "function"));
        if (!f) continue;
        fputs(i ? ", " : "", out);
        md_cell_code(out, f);
    }
    if (n > 5) fprintf(out, " and %zu more", n - 5);
    if (fclose(out) != 0 || !len) {
        free(buf);
        return NULL;
    }
    return buf;
}

/* The script's run history (history.h), NAME.history.json where its
 * baseline is looked for: auto -> BASELINE_DIR, a directory -> in it, a
 * file X.json -> X.history.json beside it. NULL when there is no baseline
 * to look in. */
static char *history_path(const ci_settings *s, const char *name, size_t nscripts) {
    const char *b = s->baseline;
    if (!strcasecmp(b, "none") || (!strcasecmp(b, "auto") && !s->baseline_dir)) return NULL;
    char *abs = absolute(s->start_dir, strcasecmp(b, "auto") ? b : s->baseline_dir);
    struct stat st;
    char *path = NULL;
    if (abs && stat(abs, &st) == 0 && S_ISDIR(st.st_mode)) {
        path = xasprintf("%s/%s.history.json", abs, name);
    } else {
        char *base = baseline_for(s, name, nscripts);
        size_t n = base ? strlen(base) : 0;
        if (n > 5 && !strcmp(base + n - 5, ".json")) n -= 5;
        if (base) path = xasprintf("%.*s.history.json", (int)n, base);
        free(base);
    }
    free(abs);
    return path;
}

/* The one place `csprof ci` reads the run history: from beside the
 * baseline, charted with this run in the summary (r->trend_md), and named
 * for the verdict's spread (r->hist_path, only a readable, non-empty one).
 * *h and *cur are for keep_baseline. 0, or -1 (out of memory: no history). */
static int read_history(const ci_settings *s, script_run *r, const profile *p, size_t nscripts,
                        history *h, hist_run *cur) {
    if (hist_run_from_profile(p, env("GITHUB_SHA"), cur)) {
        gh_warning("out of memory recording the history of %s", r->name);
        return -1;
    }
    char err[600];
    char *path = history_path(s, r->name, nscripts);
    int rc = path ? hist_load(path, r->name, h, err, sizeof err) : hist_init(h, r->name);
    if (rc == 1)
        gh_warning("%s; starting a fresh history of %s (this run is kept)", err, r->name);
    if (rc < 0) {
        gh_warning("out of memory reading the history of %s", r->name);
        hist_run_free(cur);
        free(path);
        return -1;
    }
    char *md = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&md, &len);
    if (out) {
        hist_write_trend_md(out, h, cur, 30);
        if (fclose(out) == 0 && len) r->trend_md = md;
        else free(md);
    }
    if (rc == 0 && h->n) r->hist_path = path;
    else free(path);
    return 0;
}

/* This run's profile kept as the next baseline in the save directory, and
 * beside it the history h (NULL: none) with this run appended, so a run is
 * added exactly when it is kept as the baseline; bounded to HIST_MAX_RUNS.
 * Takes *cur when it is appended. */
static void keep_baseline(const ci_settings *s, const script_run *r, const char *json_path,
                          history *h, hist_run *cur) {
    char *to = xasprintf("%s/%s.json", s->save_dir, r->name);
    if (!to || output_mkdir(s->save_dir) != 0 || copy_file(json_path, to) != 0)
        gh_warning("could not keep %s as the next baseline in %s: %s", r->name, s->save_dir,
                   strerror(errno));
    free(to);
    if (!h) return;
    to = xasprintf("%s/%s.history.json", s->save_dir, r->name);
    if (to && (output_mkdir(s->save_dir) != 0 || hist_append(h, cur) || hist_save(h, to)))
        gh_warning("could not keep the history of %s in %s: %s", r->name, s->save_dir, strerror(errno));
    free(to);
}

static void compare_with_baseline(const ci_settings *s, script_run *r, const char *profile_json,
                                  size_t nscripts) {
    char *base = baseline_for(s, r->name, nscripts);
    if (!base) return;
    r->has_baseline = true;
    char *stem = xasprintf("%s/%s.diff", s->output_dir, r->name);
    char *threshold = xasprintf("%g", s->threshold);
    char *hist = r->hist_path;
    if (!stem || !threshold) goto out;
    char *argv[] = {"csprof", "diff", base, (char *)profile_json, "-f", "md,json,svg",
                    "-o", stem, "-n", r->name, "--threshold", threshold,
                    hist ? "--history" : NULL, hist, NULL};
    int rc = run_self(argv, NULL);
    if (rc != 0) {
        gh_warning("could not compare %s with its baseline %s (csprof diff exited %d)", r->name,
                   base, rc);
        free(r->problem);
        r->problem = xasprintf("could not compare with the baseline (csprof diff exited %d)", rc);
        goto out;
    }
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s.json", stem);
    json_error_t jerr;
    json_t *j = json_load_file(path, 0, &jerr);
    if (!j) {
        gh_warning("cannot read the comparison %s: %s", path, jerr.text);
        goto out;
    }
    r->compared = true;
    r->regressed = json_is_true(json_object_get(j, "regressed"));
    json_t *w = json_object_get(j, "wall_seconds");
    r->wall_beyond = json_is_true(json_object_get(w, "beyond_threshold"));
    r->wall_change_pct = json_number_value(json_object_get(w, "change_pct"));
    const char *v = json_string_value(json_object_get(j, "verdict"));
    snprintf(r->verdict, sizeof r->verdict, "%s", v ? v : "");
    r->slower = function_list(json_object_get(j, "slower"));
    r->faster = function_list(json_object_get(j, "faster"));
    json_decref(j);
    snprintf(path, sizeof path, "%s.md", stem);
    bool cut;
    r->diff_md = read_bounded(path, DIFF_MD_MAX, &cut);
    if (r->diff_md && cut) {
        char *more = xasprintf("%s\n_(cut to keep the summary small: the whole comparison is %s.md)_\n",
                               r->diff_md, r->name);
        free(r->diff_md);
        r->diff_md = more;
    }
out:
    r->base_path = base;
    free(stem);
    free(threshold);
}

/* Where the flamegraphs are, as a reader of the job summary finds them. */
static const char *flamegraph_where(const ci_settings *s) {
    static char where[PATH_MAX + 128];
    bool upload = false;
    if (env("CSPROF_UPLOAD") && env_bool("CSPROF_UPLOAD", false, &upload) != 0) upload = false;
    if (upload)
        snprintf(where, sizeof where, "in the performance-flamegraphs%s artifact",
                 env("CSPROF_ARTIFACT_SUFFIX") ? env("CSPROF_ARTIFACT_SUFFIX") : "");
    else
        snprintf(where, sizeof where, "in %s", s->output_dir);
    return where;
}

/* The script's own summary, with the requested number of rows, links into
 * the repository at this commit, where its flamegraph is and the last line
 * of its stderr; and its lines to annotate. */
static void summarise(const ci_settings *s, script_run *r, const profile *p) {
    output_opts oo;
    output_opts_init(&oo);
    oo.top_n = s->top;
    oo.server_url = env("GITHUB_SERVER_URL");
    oo.repository = env("GITHUB_REPOSITORY");
    oo.sha = env("GITHUB_SHA");
    oo.stderr_tail = r->stderr_tail[0] ? r->stderr_tail : NULL;
    char *flame = output_list_has(s->formats, "svg")
                      ? xasprintf("%s.svg %s", r->name, flamegraph_where(s)) : NULL;
    oo.flamegraph = flame;
    collect_hot_spots(s, r, p, &oo);
    if (output_write_all(p, s->output_dir, r->name, "md", &oo, 0) == 0) {
        char *md = xasprintf("%s/%s.md", s->output_dir, r->name);
        bool cut = false;
        r->profile_md = md ? read_bounded(md, SCRIPT_MD_MAX, &cut) : NULL;
        if (r->profile_md && cut) {
            char *more = xasprintf("%s\n_(cut to keep the summary small: the whole report is %s.md)_\n",
                                   r->profile_md, r->name);
            free(r->profile_md);
            r->profile_md = more;
        }
        free(md);
    } else {
        gh_warning("could not write the Markdown summary of %s", r->name);
    }
    free(flame);
}

/* csprof record wrote no profile. Its own failures share the exit-status
 * space with the script's; without a profile only "not found / not
 * executable" are surely the script's. */
static void no_profile(script_run *r, int rc) {
    if (rc == EXIT_CMD_NOT_FOUND || rc == EXIT_CANNOT_EXEC) {
        r->script_failed = true;
        r->problem = xasprintf("the command could not be run (exit status %d: %s)", rc,
                               rc == EXIT_CMD_NOT_FOUND ? "not found" : "not executable");
    } else {
        r->problem = xasprintf("csprof record wrote no profile (exit status %d)", rc);
        r->exit_status = -1;
    }
    gh_warning("could not profile %s: %s", r->name, r->problem ? r->problem : "");
}

static void run_script(const ci_settings *s, script_run *r, size_t nscripts) {
    printf("::group::csprof: ");
    put_escaped(stdout, r->line, false);
    putchar('\n');
    fflush(stdout);

    char *formats = record_formats(s->formats);
    int n = 0;
    char **argv = calloc((size_t)r->argc + 20, sizeof *argv);
    if (!formats || !argv) {
        free(formats);
        free(argv);
        printf("::endgroup::\n");
        r->problem = xstrdup("out of memory");
        return;
    }
    argv[n++] = "csprof";
    argv[n++] = "record";
    argv[n++] = "-o";
    argv[n++] = s->output_dir;
    argv[n++] = "-n";
    argv[n++] = r->name;
    argv[n++] = "-f";
    argv[n++] = formats;
    if (s->rate) {
        argv[n++] = "-r";
        argv[n++] = (char *)s->rate;
    }
    if (s->subprocesses) argv[n++] = "--subprocesses";
    if (s->idle) argv[n++] = "--idle";
    if (s->native) argv[n++] = "--native";
    argv[n++] = "--";
    for (int i = 0; i < r->argc; i++) argv[n++] = r->argv[i];
    argv[n] = NULL;

    time_t started = time(NULL);
    double t0 = now_seconds();
    int rc = run_self(argv, r->stderr_tail);
    r->seconds = now_seconds() - t0;
    free(argv);
    free(formats);
    printf("::endgroup::\n");
    fflush(stdout);

    char *json_path = xasprintf("%s/%s.json", s->output_dir, r->name);
    if (!json_path) return;
    r->exit_status = rc;
    r->profiled = rc >= 0 && fresh_file(json_path, started - 1);
    if (!r->profiled) {
        no_profile(r, rc);
        free(json_path);
        return;
    }
    char err[512];
    profile *p = read_profile_json(json_path, err, sizeof err);
    if (!p) {
        r->profiled = false;
        r->problem = xasprintf("cannot read the profile: %s", err);
        gh_warning("could not read the profile of %s: %s", r->name, err);
        free(json_path);
        return;
    }
    const prof_meta *m = prof_meta_get(p);
    if (m->exit_status >= 0) r->exit_status = m->exit_status;
    if (m->wall_seconds > 0) r->seconds = m->wall_seconds;
    if (m->rusage_known) {
        r->cpu_seconds = m->cpu_user_seconds + m->cpu_system_seconds;
        r->max_rss_bytes = m->max_rss_bytes;
    }
    r->script_failed = r->exit_status != 0;
    summarise(s, r, p);
    history h;
    hist_run cur;
    bool have_hist = read_history(s, r, p, nscripts, &h, &cur) == 0;
    prof_free(p);

    /* Compared before anything is saved: the verdict's history is the
     * baseline's, without this run, even when it is saved to the same place. */
    compare_with_baseline(s, r, json_path, nscripts);

    if (s->save_dir) keep_baseline(s, r, json_path, have_hist ? &h : NULL, &cur);
    if (have_hist) {
        hist_run_free(&cur);
        hist_free(&h);
    }
    free(json_path);
}

/* ---- reporting ---- */

/* Untrusted names through md.h: nothing they hold leaves its cell. */
static void md_cell_code(FILE *out, const char *s) {
    sbuf b;
    sbuf_init(&b, SBUF_NO_LIMIT);
    fputs(md_code_span(&b, s, 80, true) ? sbuf_str(&b) : "`?`", out);
    sbuf_free(&b);
}

static const char *verdict_label(const script_run *r, const ci_settings *s) {
    if (!r->profiled) return "—";
    if (!r->has_baseline) return !strcasecmp(s->baseline, "none") ? "—" : "no baseline yet";
    if (!r->compared) return "⚠️ not compared";
    if (!strcmp(r->verdict, "regressed")) return "🔴 regression";
    if (!strcmp(r->verdict, "faster")) return "🟢 faster";
    if (!strcmp(r->verdict, "wall-slower")) return "🟡 wall and CPU time up";
    if (!strcmp(r->verdict, "not-compared")) return "⚪ not compared";
    return "⚪ no significant change";
}

/* On a pull request the summary leads with the verdict against the
 * default branch's latest baseline, the functions that changed, and the
 * differential flamegraph's link. */
static void write_pr_lead(const ci_settings *s, script_run *runs, size_t n, FILE *out) {
    const char *event = env("GITHUB_EVENT_NAME");
    if (!event || strcmp(event, "pull_request")) return;
    bool any = false;
    for (size_t i = 0; i < n; i++) any |= runs[i].compared;
    if (!any) {
        fputs("**This pull request against the default branch:** no baseline profile to compare "
              "with yet (a push to the default branch saves one).\n\n", out);
        return;
    }
    fputs("**This pull request against the default branch's latest baseline:**\n\n", out);
    for (size_t i = 0; i < n; i++) {
        script_run *r = &runs[i];
        if (!r->compared) continue;
        fputs("- ", out);
        md_cell_code(out, r->name);
        fprintf(out, ": %s", verdict_label(r, s));
        if (r->slower) fprintf(out, "; significantly slower: %s", r->slower);
        if (r->faster) fprintf(out, "; significantly faster: %s", r->faster);
        fprintf(out, ".\n" CI_LINK_DIFF "%s-->\n", r->name);
    }
    fputc('\n', out);
}

/* Renders the whole job summary into a memory buffer (bounded). */
static char *render_summary(const ci_settings *s, script_run *runs, size_t n, size_t *len) {
    char *buf = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&buf, &size);
    if (!out) return NULL;
    fputs("## csprof: where the time went\n\n" CI_LINK_REPORT "\n\n", out);
    write_pr_lead(s, runs, n, out);
    fputs("| Script | Wall time | CPU time | Peak RSS | Exit | Top bottleneck | Since baseline |\n"
          "|---|--:|--:|--:|--:|---|---|\n", out);
    for (size_t i = 0; i < n; i++) {
        script_run *r = &runs[i];
        char t[32];
        fmt_secs(t, sizeof t, r->seconds);
        fputs("| ", out);
        md_cell_code(out, r->name);
        fprintf(out, " | %s | ", t);
        if (r->cpu_seconds > 0) {
            fmt_secs(t, sizeof t, r->cpu_seconds);
            fprintf(out, "%s | ", t);
        } else {
            fputs("— | ", out);
        }
        if (r->max_rss_bytes > 0) fprintf(out, "%.1f MiB | ", r->max_rss_bytes / (1024.0 * 1024.0));
        else fputs("— | ", out);
        if (r->exit_status >= 0) fprintf(out, "%s%d", r->exit_status ? "❌ " : "", r->exit_status);
        else fputs("?", out);
        fputs(" | ", out);
        if (r->top_function) {
            md_cell_code(out, r->top_function);
            if (r->top_line > 0) fprintf(out, " line %d", r->top_line);
            fprintf(out, " %.1f%%", r->top_self_pct);
        } else {
            fputs("—", out);
        }
        fprintf(out, " | %s |\n", verdict_label(r, s));
    }
    fputc('\n', out);
    bool budget_hit = false;
    for (size_t i = 0; i < n; i++) {
        script_run *r = &runs[i];
        fflush(out);
        size_t need = (r->profile_md ? strlen(r->profile_md) : 0) + (r->diff_md ? strlen(r->diff_md) : 0) +
                      (r->trend_md ? strlen(r->trend_md) : 0) + 1024;
        if (size + need > (size_t)s->summary_max) {
            if (!budget_hit)
                fputs("\n_Further details are left out to keep this summary small; every script's "
                      "NAME.md and NAME.diff.md are in the output directory._\n", out);
            budget_hit = true;
            continue;
        }
        fputs("\n---\n\n", out);
        if (r->problem) {
            fputs("> ⚠️ ", out);
            md_cell_code(out, r->name);
            fputs(": ", out);
            for (const char *c = r->problem; *c; c++) fputc(*c == '\n' ? ' ' : *c, out);
            fputs("\n\n", out);
        }
        if (r->profile_md) {
            fputs(r->profile_md, out);
            if (r->profile_md[0] && r->profile_md[strlen(r->profile_md) - 1] != '\n') fputc('\n', out);
        }
        if (r->profiled) fprintf(out, "\n" CI_LINK_FLAME "%s-->\n", r->name);
        if (r->diff_md) {
            fputc('\n', out);
            fputs(r->diff_md, out);
            if (r->diff_md[0] && r->diff_md[strlen(r->diff_md) - 1] != '\n') fputc('\n', out);
            fprintf(out, "\n" CI_LINK_DIFF "%s-->\n", r->name);
        } else if (r->profiled && !r->has_baseline && strcasecmp(s->baseline, "none")) {
            fputs("\n_No baseline profile for ", out);
            md_cell_code(out, r->name);
            fputs(" yet: with the action, each push to the default branch saves one for later runs to compare with._\n", out);
        }
        if (r->trend_md) fputs(r->trend_md, out);
    }
    if (fclose(out) != 0) {
        free(buf);
        return NULL;
    }
    *len = size;
    return buf;
}

/* The HTML report of the run (fmt_html.h): OUTPUT_DIR/performance-report
 * <artifact-suffix>.html, a name unique per job because an upload without
 * archive is named after its file. Returns its path, NULL when not written
 * (with a warning). */
static char *write_ci_html(const ci_settings *s, script_run *runs, size_t n) {
    char suffix[64] = "";
    const char *sfx = env("CSPROF_ARTIFACT_SUFFIX");
    for (size_t i = 0, k = 0; sfx && sfx[i] && k + 1 < sizeof suffix; i++, k++) {
        char c = sfx[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '_' || c == '-';
        suffix[k] = ok ? c : '_';
        suffix[k + 1] = '\0';
    }
    char *path = xasprintf("%s/performance-report%s.html", s->output_dir, suffix);
    html_script *hs = calloc(n ? n : 1, sizeof *hs);
    if (!path || !hs) {
        free(path);
        free(hs);
        gh_warning("out of memory writing the HTML report");
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        script_run *r = &runs[i];
        char err[512];
        hs[i].name = r->name;
        hs[i].problem = r->problem;
        char *json = r->profiled ? xasprintf("%s/%s.json", s->output_dir, r->name) : NULL;
        if (json) hs[i].p = read_profile_json(json, err, sizeof err);
        if (r->compared && r->base_path) hs[i].base = read_profile_json(r->base_path, err, sizeof err);
        if (hs[i].base) hs[i].verdict = verdict_label(r, s);
        free(json);
    }
    char *tmp = xasprintf("%s.tmp", path);
    FILE *f = tmp ? fopen(tmp, "wb") : NULL;
    html_opts ho = {.title = "csprof: where the time went", .top_n = s->top > 10 ? s->top : 10};
    int rc = f ? write_html_report(f, hs, n, &ho) : -1;
    if (f && fclose(f) != 0) rc = -1;
    if (rc == 0 && rename(tmp, path) != 0) rc = -1;
    if (rc) {
        gh_warning("could not write the HTML report %s: %s", path, strerror(errno));
        if (tmp) unlink(tmp);
        free(path);
        path = NULL;
    }
    for (size_t i = 0; i < n; i++) {
        prof_free((profile *)hs[i].p);
        prof_free((profile *)hs[i].base);
    }
    free(hs);
    free(tmp);
    return path;
}

static char *results_json(script_run *runs, size_t n) {
    json_t *arr = json_array();
    if (!arr) return NULL;
    for (size_t i = 0; i < n; i++) {
        script_run *r = &runs[i];
        json_t *o = json_pack("{s:s,s:s,s:f,s:b,s:b,s:b,s:b}", "name", r->name, "command", r->line,
                              "duration_s", r->seconds, "profiled", r->profiled, "baseline",
                              r->has_baseline, "compared", r->compared, "regressed", r->regressed);
        if (!o) goto fail;
        int bad = json_object_set_new(o, "exit_status", r->exit_status >= 0 ? json_integer(r->exit_status) : json_null());
        bad |= json_object_set_new(o, "verdict", r->compared ? json_string(r->verdict) : json_null());
        bad |= json_object_set_new(o, "cpu_s", r->cpu_seconds > 0 ? json_real(r->cpu_seconds) : json_null());
        bad |= json_object_set_new(o, "max_rss_bytes",
                                   r->max_rss_bytes > 0 ? json_integer((json_int_t)r->max_rss_bytes) : json_null());
        if (r->top_function) {
            bad |= json_object_set_new(o, "top_function",
                                       json_pack("{s:s,s:s?,s:i,s:f}", "name", r->top_function, "file",
                                                 r->top_file, "line", r->top_line, "self_pct",
                                                 r->top_self_pct));
        } else {
            bad |= json_object_set_new(o, "top_function", json_null());
        }
        if (bad || json_array_append_new(arr, o)) goto fail;
    }
    char *s = json_dumps(arr, JSON_COMPACT | JSON_REAL_PRECISION(6));
    json_decref(arr);
    return s;
fail:
    json_decref(arr);
    return NULL;
}

/* name<<DELIM / value / DELIM, with a delimiter the value cannot contain. */
static int write_output(FILE *f, const char *name, const char *value) {
    char delim[64];
    unsigned long long seed = (unsigned long long)time(NULL) ^ ((unsigned long long)getpid() << 20);
    for (int tries = 0;; tries++) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        snprintf(delim, sizeof delim, "csprof_%016llx", seed);
        if (!strstr(value, delim)) break;
        if (tries > 100) return -1;
    }
    return fprintf(f, "%s<<%s\n%s\n%s\n", name, delim, value, delim) < 0 ? -1 : 0;
}

/* One notice on a line of the user's code, titled with its own script's
 * name and numbers. */
static void emit_notice(const script_run *r, const hot_spot *h, const char *flamegraph_where) {
    char title[256], msg[1024];
    snprintf(title, sizeof title, "csprof: %.1f%% of %s's time is under this line", h->pct,
             r->name);
    snprintf(msg, sizeof msg,
             "%s line %d holds %.1f%% of the samples of %s (%.2f s), counting what it calls%s%s. "
             "Flamegraph: %s.svg %s.",
             h->function, h->line, h->pct, r->name, h->seconds, h->beneath[0] ? ": " : "",
             h->beneath, r->name, flamegraph_where);
    fputs("::notice file=", stdout);
    put_escaped(stdout, h->file, true);
    printf(",line=%d,title=", h->line);
    put_escaped(stdout, title, true);
    fputs("::", stdout);
    put_escaped(stdout, msg, false);
    fputc('\n', stdout);
}

/* The hottest lines of each script, best rank of every script first, as
 * many as GitHub shows. */
static void emit_annotations(script_run *runs, size_t n, const char *flamegraph_where) {
    for (int rank = 0; rank < ANNOTATIONS_PER_SCRIPT; rank++)
        for (size_t i = 0; i < n && notices_printed < MAX_NOTICES; i++) {
            if (rank >= runs[i].nhot) continue;
            emit_notice(&runs[i], &runs[i].hot[rank], flamegraph_where);
            notices_printed++;
        }
    fflush(stdout);
}

static void free_run(script_run *r) {
    free(r->line);
    for (int i = 0; r->argv && i < r->argc; i++) free(r->argv[i]);
    free(r->argv);
    free(r->problem);
    free(r->top_function);
    free(r->top_file);
    for (int i = 0; i < r->nhot; i++) {
        free(r->hot[i].function);
        free(r->hot[i].file);
        free(r->hot[i].beneath);
    }
    free(r->diff_md);
    free(r->profile_md);
    free(r->base_path);
    free(r->slower);
    free(r->faster);
    free(r->trend_md);
    free(r->hist_path);
}

/* Splits CSPROF_SCRIPTS into runs; lines that cannot be parsed become runs
 * with a problem (they count as script errors). */
static script_run *parse_scripts(const ci_settings *s, size_t *count) {
    size_t cap = 8, n = 0;
    script_run *runs = calloc(cap, sizeof *runs);
    if (!runs) return NULL;
    for (const char *p = s->scripts; *p;) {
        size_t len = strcspn(p, "\n");
        char *line = strndup(p, len);
        p += len + (p[len] == '\n');
        if (!line) goto oom;
        /* trim; skip blanks and comments */
        char *a = line, *b = line + strlen(line);
        while (*a == ' ' || *a == '\t' || *a == '\r') a++;
        while (b > a && (b[-1] == ' ' || b[-1] == '\t' || b[-1] == '\r')) b--;
        *b = '\0';
        if (!*a || *a == '#') {
            free(line);
            continue;
        }
        if (n == cap) {
            script_run *more = realloc(runs, cap * 2 * sizeof *runs);
            if (!more) {
                free(line);
                goto oom;
            }
            memset(more + cap, 0, cap * sizeof *runs);
            runs = more;
            cap *= 2;
        }
        script_run *r = &runs[n++];
        r->exit_status = -1;
        r->line = strdup(a);
        free(line);
        if (!r->line) goto oom;
        char **words = NULL;
        int nw = 0;
        const char *err = "nothing to run";
        int bad = split_words(r->line, &words, &nw, &err);
        if (bad || nw == 0) {
            if (words) free(words);
            r->problem = xasprintf("cannot read the script line '%s': %s", r->line,
                                   bad ? err : "nothing to run");
            r->script_failed = true;
            snprintf(r->name, sizeof r->name, "line-%zu", n);
            continue;
        }
        r->argv = words;
        r->argc = nw;
        if (ends_with(words[0], ".py")) {
            /* name from the script, then put the interpreter in front */
            pick_name(r, runs, n);
            char **w = calloc((size_t)nw + 2, sizeof *w);
            char *py = strdup(s->python);
            if (!w || !py) {
                free(w);
                free(py);
                goto oom;
            }
            w[0] = py;
            memcpy(w + 1, words, (size_t)nw * sizeof *w);
            free(words);
            r->argv = w;
            r->argc = nw + 1;
        } else {
            pick_name(r, runs, n);
        }
    }
    *count = n;
    return runs;
oom:
    for (size_t i = 0; i < n; i++) free_run(&runs[i]);
    free(runs);
    fprintf(stderr, "csprof ci: out of memory reading CSPROF_SCRIPTS\n");
    return NULL;
}

int cmd_ci(int argc, char **argv) {
    if (argc > 1) {
        if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
            fputs(usage, stdout);
            return 0;
        }
        if (!strcmp(argv[1], "--finish") && argc == 2) return ci_links_main();
        fprintf(stderr, "csprof ci: takes no arguments; settings come from CSPROF_* variables (try: csprof ci --help)\n");
        return EXIT_USAGE;
    }
    ci_settings s;
    if (load_settings(&s)) {
        free(s.output_dir);
        return EXIT_USAGE;
    }
    int status = 0;
    size_t n = 0;
    script_run *runs = parse_scripts(&s, &n);
    if (!runs) {
        free(s.output_dir);
        return 0;   /* out of memory: a profiler problem, reported above */
    }
    if (!n) {
        gh_error("CSPROF_SCRIPTS (scripts) lists no script, only blank or comment lines");
        free(runs);
        free(s.output_dir);
        return EXIT_USAGE;
    }
    if (output_mkdir(s.output_dir) != 0) {
        gh_warning("cannot create the output directory %s: %s; nothing was profiled", s.output_dir,
                   strerror(errno));
        for (size_t i = 0; i < n; i++) free_run(&runs[i]);
        free(runs);
        free(s.output_dir);
        return 0;
    }
    if (s.workdir && chdir(s.workdir) != 0) {
        gh_error("cannot enter the working directory %s: %s", s.workdir,
               strerror(errno));
        for (size_t i = 0; i < n; i++) free_run(&runs[i]);
        free(runs);
        free(s.output_dir);
        return EXIT_USAGE;
    }

    /* Lines that could not be read are reported with the script errors. */
    for (size_t i = 0; i < n; i++)
        if (runs[i].argv) run_script(&s, &runs[i], n);

    if (s.annotations) emit_annotations(runs, n, flamegraph_where(&s));

    char *html_path = write_ci_html(&s, runs, n);
    size_t len = 0;
    char *job_md = render_summary(&s, runs, n, &len);
    char *summary_path = xasprintf("%s/summary.md", s.output_dir);
    bool deferred = false;
    if (env_bool("CSPROF_SUMMARY_DEFERRED", false, &deferred)) deferred = false;
    if (job_md && summary_path) {
        const char *failed_step;
        if (atomic_write(summary_path, job_md, len, &failed_step) != 0) {
            gh_warning("cannot %s %s: %s", failed_step, summary_path, strerror(errno));
        } else if (!deferred) {
            /* Nobody uploads the page: the summary says where it is. */
            ci_report_link l = {.html_path = html_path, .why = "csprof ci does not upload it"};
            ci_links_finish(summary_path, env("GITHUB_STEP_SUMMARY"), &l);
        }
    } else {
        gh_warning("out of memory writing the summary");
    }

    bool regressed = false, script_error = false;
    for (size_t i = 0; i < n; i++) {
        regressed |= runs[i].regressed;
        script_error |= runs[i].script_failed;
    }
    char *results = results_json(runs, n);
    const char *gho = env("GITHUB_OUTPUT");
    if (gho) {
        FILE *f = fopen(gho, "ab");
        bool bad = !f || write_output(f, "output-dir", s.output_dir) ||
                   write_output(f, "summary", summary_path ? summary_path : "") ||
                   write_output(f, "html", html_path ? html_path : "") ||
                   write_output(f, "regressed", regressed ? "true" : "false") ||
                   write_output(f, "results", results ? results : "[]");
        int e = errno;
        /* closed exactly once, whether or not a write failed */
        if (f && fclose(f) != 0 && !bad) bad = true, e = errno;
        if (bad) gh_warning("cannot write the step outputs to %s: %s", gho, strerror(e));
    }
    if (regressed) {
        for (size_t i = 0; i < n; i++)
            if (runs[i].regressed)
                printf("%s title=csprof::%s got slower since the baseline (see the job summary)\n",
                       s.fail_on_regression ? "::error" : "::warning", runs[i].name);
        if (s.fail_on_regression) status = 1;
    }
    /* The plain duration rule, for teams that ask for it. */
    for (size_t i = 0; s.fail_on_wall && i < n; i++) {
        if (!runs[i].wall_beyond) continue;
        printf("::error title=csprof::%s took %+.1f%% wall time against its baseline, beyond the "
               "%g%% threshold (fail-on-regression: wall)\n", runs[i].name, runs[i].wall_change_pct,
               s.threshold);
        status = 1;
    }
    if (script_error) {
        for (size_t i = 0; i < n; i++) {
            if (!runs[i].script_failed) continue;
            fputs(s.fail_on_script_error ? "::error title=csprof::" : "::warning title=csprof::", stdout);
            char msg[1024];
            if (runs[i].exit_status >= 0)
                snprintf(msg, sizeof msg, "%s exited with status %d%s%.300s", runs[i].line,
                         runs[i].exit_status, runs[i].stderr_tail[0] ? ": " : "",
                         runs[i].stderr_tail);
            else
                snprintf(msg, sizeof msg, "%s", runs[i].problem ? runs[i].problem : "failed");
            put_escaped(stdout, msg, false);
            fputc('\n', stdout);
        }
        if (s.fail_on_script_error) status = 1;
    }
    fflush(stdout);
    free(results);
    free(job_md);
    free(summary_path);
    free(html_path);
    for (size_t i = 0; i < n; i++) free_run(&runs[i]);
    free(runs);
    free(s.output_dir);
    return status;
}
