/* cmd_report.c -- `csprof report PROFILE.json`: render a saved profile again,
 * in any format of the registry, without re-running anything. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"
#include "atomicfile.h"
#include "compare.h"
#include "fmt_html.h"
#include "optval.h"
#include "output.h"

static const char usage[] =
    "usage: csprof report PROFILE.json [options]\n"
    "       csprof report A.json [B.json ...] --format html [--baseline PATH] [-o PATH]\n"
    "\n"
    "Renders a profile saved by `csprof record` (its .json output) again: the\n"
    "bottleneck summary, a flamegraph, or a file for another profiler's viewer.\n"
    "\n"
    "options:\n"
    "  -f, --format LIST   one or more of: text (default), md, svg, speedscope,\n"
    "                      pprof, folded, json, html; comma-separated\n"
    "  -o, --output PATH   where to write:\n"
    "                        -          standard output (one format only; the default\n"
    "                                   for a single format)\n"
    "                        DIR        an existing directory (or PATH ending in '/'):\n"
    "                                   writes DIR/NAME.SUFFIX per format\n"
    "                        FILE       the file to write (one format only)\n"
    "                      Several formats without -o write NAME.SUFFIX files in the\n"
    "                      current directory. Suffixes: .txt .md .svg .speedscope.json\n"
    "                      .pb.gz .folded .json .html\n"
    "                      html takes several profiles at once: one page for all\n"
    "                      (default file: NAME.html, or report.html for several)\n"
    "  -n, --name NAME     NAME of the files written (default: the profile's name,\n"
    "                      else PROFILE without .json)\n"
    "      --top N         bottleneck rows in text and md (1-100, default 3)\n"
    "      --title TEXT    flamegraph title (svg), page title (html)\n"
    "      --baseline PATH html: a baseline profile JSON (one input), or a directory\n"
    "                      holding NAME.json per input: adds the verdict and the\n"
    "                      differential flamegraph\n"
    "  -h, --help          show this help\n"
    "\n"
    "In md, file:line links point at GITHUB_SERVER_URL/GITHUB_REPOSITORY at\n"
    "GITHUB_SHA (else at the profile's commit) when those are set.\n"
    "\n"
    "exit status: 0 written, 64 bad option, 66 profile missing or unreadable,\n"
    "70 internal error, 73 output not writable.\n";

typedef struct {
    const char *formats;
    const char *output;
    const char *name;
    const char *title;
    const char *baseline;
    int top;
    const char *input;
    char **inputs;   /* html: every profile named */
    int ninputs;
} report_opts;

static const char *nonempty(const char *s) { return s && *s ? s : NULL; }

/* 0 ok, -1 help shown, else an exit status. */
static int parse_args(int argc, char **argv, report_opts *o) {
    static const struct option longopts[] = {
        {"format", required_argument, 0, 'f'}, {"output", required_argument, 0, 'o'},
        {"name", required_argument, 0, 'n'},   {"top", required_argument, 0, 'T'},
        {"title", required_argument, 0, 't'},  {"help", no_argument, 0, 'h'},
        {"baseline", required_argument, 0, 'B'},
        {0, 0, 0, 0}};
    *o = (report_opts){.formats = "text", .top = 3};
    optval_getopt_start();
    int c;
    while ((c = getopt_long(argc, argv, ":f:o:n:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'f': o->formats = optarg; break;
        case 'o': o->output = optarg; break;
        case 'n': o->name = optarg; break;
        case 't': o->title = optarg; break;
        case 'B': o->baseline = optarg; break;
        case 'T': {
            long v;
            if (optval_long(optarg, 1, 100, &v)) {
                fprintf(stderr, "csprof report: --top wants a number from 1 to 100, not '%s'\n",
                        optarg);
                return EXIT_USAGE;
            }
            o->top = (int)v;
            break;
        }
        case 'h': fputs(usage, stdout); return -1;
        case ':':
            fprintf(stderr, "csprof report: option %s needs a value (see csprof report --help)\n",
                    argv[optind - 1]);
            return EXIT_USAGE;
        default:
            fprintf(stderr, "csprof report: unknown option '%s' (see csprof report --help)\n",
                    argv[optind - 1]);
            return EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "csprof report: which profile? usage: csprof report PROFILE.json "
                        "[--format LIST] [-o PATH]\n");
        return EXIT_USAGE;
    }
    o->input = argv[optind];
    o->inputs = argv + optind;
    o->ninputs = argc - optind;
    bool html = !strcmp(o->formats, "html");
    if (o->ninputs > 1 && !html) {
        fprintf(stderr, "csprof report: one profile at a time except with --format html (got '%s' "
                        "after '%s')\n", argv[optind + 1], argv[optind]);
        return EXIT_USAGE;
    }
    if (o->baseline && !html) {
        fprintf(stderr, "csprof report: --baseline goes with --format html (use csprof diff for the "
                        "other formats)\n");
        return EXIT_USAGE;
    }
    char err[200];
    if (output_check_list(o->formats, err, sizeof err)) {
        fprintf(stderr, "csprof report: %s\n", err);
        return EXIT_USAGE;
    }
    if (o->name && (!*o->name || strchr(o->name, '/'))) {
        fprintf(stderr, "csprof report: --name must be a file name without '/'\n");
        return EXIT_USAGE;
    }
    return 0;
}

static int count_formats(const char *list) {
    int n = 0;
    bool in = false;
    for (const char *s = list; *s; s++) {
        bool sep = *s == ',' || *s == ' ';
        if (!sep && !in) n++;
        in = !sep;
    }
    return n;
}

/* The single format name of a one-entry list, trimmed. */
static void single_format(const char *list, char *out, size_t len) {
    while (*list == ' ' || *list == ',') list++;
    size_t n = strcspn(list, ", ");
    snprintf(out, len, "%.*s", (int)(n < len ? n : len - 1), list);
}

/* File stem: --name, the profile's own name, or the input's base name
 * without .json. */
static void stem_of(const report_opts *o, const profile *p, char *out, size_t len) {
    const char *meta = prof_meta_get(p)->name;
    if (o->name) {
        snprintf(out, len, "%s", o->name);
    } else if (meta && *meta && !strchr(meta, '/')) {
        snprintf(out, len, "%s", meta);
    } else {
        const char *b = strrchr(o->input, '/');
        b = b ? b + 1 : o->input;
        size_t n = strlen(b);
        if (n > 5 && !strcmp(b + n - 5, ".json")) n -= 5;
        snprintf(out, len, "%.*s", (int)n, b);
    }
}

static bool is_dir(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Whether writing path would overwrite the input profile. */
static bool same_file(const char *a, const char *b) {
    struct stat sa, sb;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
}

/* Writes one format to a file through a temporary name, so a reader never
 * sees half a file (and never through a planted link: atomicfile.h). */
static int write_file(const output_format *f, const profile *p, const output_opts *oo,
                      const char *path) {
    afile a;
    if (afile_open(&a, path) != 0) {
        fprintf(stderr, "csprof report: cannot create a temporary file for %s: %s\n", path,
                strerror(errno));
        return EXIT_CANTCREAT;
    }
    int rc = f->write(p, a.f, oo);
    if (afile_commit(&a, rc != 0) != 0) {
        if (rc == 0)
            fprintf(stderr, "csprof report: cannot %s %s: %s\n", a.step, path, strerror(errno));
        return EXIT_CANTCREAT;
    }
    return 0;
}

/* Refuses a format list whose files would overwrite the input profile
 * (e.g. json written next to itself). */
static int check_clashes(const char *list, const char *dir, const char *stem, const char *input) {
    char name[32];
    for (const char *s = list; *s;) {
        while (*s == ',' || *s == ' ') s++;
        if (!*s) break;
        single_format(s, name, sizeof name);
        s += strcspn(s, ",");
        const output_format *f = output_find(name);
        char path[PATH_MAX];
        if (f && (size_t)snprintf(path, sizeof path, "%s/%s%s", dir, stem, f->suffix) < sizeof path &&
            same_file(path, input)) {
            fprintf(stderr, "csprof report: writing %s would overwrite the input profile; choose "
                            "another -o directory or --name\n", path);
            return EXIT_USAGE;
        }
    }
    return 0;
}

/* ---- html: one page for several profiles ---- */

/* The verdict line of the page against a baseline: compare.c's rule. */
static const char *html_verdict(const profile *base, const profile *p) {
    cmp_opts co;
    cmp_opts_init(&co);
    cmp_result cr;
    if (cmp_profiles(base, p, &co, &cr)) return "not compared (out of memory)";
    const char *v = cr.regressed ? "🔴 regression" : cr.nfaster ? "🟢 faster"
                    : cr.wall_flag ? "🟡 wall and CPU time up" : "⚪ no significant change";
    cmp_result_free(&cr);
    return v;
}

/* The baseline of input i: --baseline FILE (one input, or a file named like
 * the profile), or DIR/NAME.json. NULL when there is none. */
static profile *html_base(const report_opts *o, const char *name, int *rc) {
    if (!o->baseline) return NULL;
    char path[PATH_MAX];
    if (is_dir(o->baseline)) {
        if ((size_t)snprintf(path, sizeof path, "%s/%s.json", o->baseline, name) >= sizeof path ||
            access(path, R_OK) != 0)
            return NULL;
    } else {
        snprintf(path, sizeof path, "%s", o->baseline);
    }
    char err[512];
    profile *b = read_profile_json(path, err, sizeof err);
    if (!b) {
        fprintf(stderr, "csprof report: baseline %s\n", err[0] ? err : "cannot be read");
        *rc = EXIT_NOINPUT;
    }
    return b;
}

static int write_html_file(const char *path, const html_script *s, size_t n, const html_opts *ho) {
    char tmp[PATH_MAX];
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp", path) >= sizeof tmp) {
        fprintf(stderr, "csprof report: output path too long: %s\n", path);
        return EXIT_CANTCREAT;
    }
    FILE *out = fopen(tmp, "wb");
    if (!out) {
        fprintf(stderr, "csprof report: cannot create %s: %s\n", tmp, strerror(errno));
        return EXIT_CANTCREAT;
    }
    int rc = write_html_report(out, s, n, ho);
    if (fclose(out) != 0 && rc == 0) {
        fprintf(stderr, "csprof report: cannot write %s: %s\n", tmp, strerror(errno));
        rc = -1;
    }
    if (rc == 0 && rename(tmp, path) != 0) {
        fprintf(stderr, "csprof report: cannot rename %s to %s: %s\n", tmp, path, strerror(errno));
        rc = -1;
    }
    if (rc) remove(tmp);
    return rc ? EXIT_CANTCREAT : 0;
}

static int report_html(report_opts *o) {
    int n = o->ninputs, rc = 0;
    html_script *s = calloc((size_t)n, sizeof *s);
    profile **bases = calloc((size_t)n, sizeof *bases);
    char (*names)[256] = calloc((size_t)n, sizeof *names);
    if (!s || !bases || !names) {
        fprintf(stderr, "csprof report: out of memory\n");
        rc = EXIT_SOFTWARE;
        goto out;
    }
    for (int i = 0; i < n && !rc; i++) {
        char err[512];
        profile *p = read_profile_json(o->inputs[i], err, sizeof err);
        if (!p) {
            fprintf(stderr, "csprof report: %s\n", err[0] ? err : "cannot read the profile");
            rc = EXIT_NOINPUT;
            break;
        }
        report_opts one = *o;
        one.input = o->inputs[i];
        if (n > 1) one.name = NULL;
        stem_of(&one, p, names[i], sizeof names[i]);
        s[i] = (html_script){.name = names[i], .p = p};
        bases[i] = html_base(o, names[i], &rc);
        s[i].base = bases[i];
        if (bases[i]) s[i].verdict = html_verdict(bases[i], p);
    }
    if (rc) goto out;
    html_opts ho = {.title = o->title, .top_n = o->top > 3 ? o->top : 10};
    char path[PATH_MAX];
    const char *stem = n == 1 ? names[0] : "report";
    if (o->output && !strcmp(o->output, "-")) {
        rc = write_html_report(stdout, s, (size_t)n, &ho) ? EXIT_CANTCREAT : 0;
        goto out;
    }
    size_t olen = o->output ? strlen(o->output) : 0;
    if (!o->output || is_dir(o->output) || o->output[olen - 1] == '/') {
        const char *dir = o->output ? o->output : ".";
        if (!is_dir(dir) && mkdir(dir, 0777) != 0) {
            fprintf(stderr, "csprof report: cannot create directory %s: %s\n", dir, strerror(errno));
            rc = EXIT_CANTCREAT;
            goto out;
        }
        snprintf(path, sizeof path, "%s/%s.html", dir, stem);
    } else {
        snprintf(path, sizeof path, "%s", o->output);
    }
    rc = write_html_file(path, s, (size_t)n, &ho);
    if (!rc) fprintf(stderr, "csprof: wrote %s\n", path);
out:
    for (int i = 0; s && i < n; i++) prof_free((profile *)s[i].p);
    for (int i = 0; bases && i < n; i++) prof_free(bases[i]);
    free(s);
    free(bases);
    free(names);
    return rc;
}

int cmd_report(int argc, char **argv) {
    report_opts o;
    int rc = parse_args(argc, argv, &o);
    if (rc) return rc < 0 ? 0 : rc;
    if (!strcmp(o.formats, "html")) return report_html(&o);

    int nformats = count_formats(o.formats);
    bool to_stdout = (!o.output && nformats == 1) || (o.output && !strcmp(o.output, "-"));
    if (to_stdout && nformats > 1) {
        fprintf(stderr, "csprof report: several formats cannot share standard output; give -o "
                        "DIR\n");
        return EXIT_USAGE;
    }
    size_t olen = o.output ? strlen(o.output) : 0;
    bool to_dir = !to_stdout && (nformats > 1 || !o.output || is_dir(o.output) ||
                                 (olen && o.output[olen - 1] == '/'));
    char fmt[32];
    single_format(o.formats, fmt, sizeof fmt);
    if (to_stdout && !strcmp(fmt, "pprof") && isatty(STDOUT_FILENO)) {
        fprintf(stderr, "csprof report: pprof output is gzip data; give -o FILE (e.g. -o "
                        "profile.pb.gz)\n");
        return EXIT_USAGE;
    }

    struct stat st;
    if (stat(o.input, &st) != 0) {
        fprintf(stderr, "csprof report: cannot read %s: %s\n", o.input, strerror(errno));
        return EXIT_NOINPUT;
    }
    char err[512];
    profile *p = read_profile_json(o.input, err, sizeof err);
    if (!p) {
        fprintf(stderr, "csprof report: %s\n", err[0] ? err : "cannot read the profile");
        return EXIT_NOINPUT;
    }

    output_opts oo;
    output_opts_init(&oo);
    oo.top_n = o.top;
    oo.title = o.title;
    oo.server_url = nonempty(getenv("GITHUB_SERVER_URL"));
    oo.repository = nonempty(getenv("GITHUB_REPOSITORY"));
    oo.sha = nonempty(getenv("GITHUB_SHA"));
    if (!oo.sha) oo.sha = nonempty(prof_meta_get(p)->git_commit);

    char stem[256];
    stem_of(&o, p, stem, sizeof stem);
    if (to_stdout) {
        const output_format *f = output_find(fmt);
        rc = f->write(p, stdout, &oo) == 0 && fflush(stdout) == 0 ? 0 : EXIT_CANTCREAT;
    } else if (to_dir) {
        const char *dir = o.output ? o.output : ".";
        if (!is_dir(dir) && mkdir(dir, 0777) != 0) {
            fprintf(stderr, "csprof report: cannot create directory %s: %s\n", dir,
                    strerror(errno));
            rc = EXIT_CANTCREAT;
        } else if ((rc = check_clashes(o.formats, dir, stem, o.input)) == 0) {
            rc = output_write_all(p, dir, stem, o.formats, &oo, 1) == 0 ? 0 : EXIT_CANTCREAT;
        }
    } else if (same_file(o.output, o.input)) {
        fprintf(stderr, "csprof report: -o %s is the input profile; choose another file\n",
                o.output);
        rc = EXIT_USAGE;
    } else {
        rc = write_file(output_find(fmt), p, &oo, o.output);
    }
    prof_free(p);
    return rc;
}
