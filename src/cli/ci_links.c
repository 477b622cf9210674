/* ci_links.c -- completes the job summary with the HTML report's links
 * (ci_links.h). */
#include "ci_links.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "atomicfile.h"
#include "ci_say.h"
#include "ci_settings.h"

static void warn(const char *what, const char *path) {
    ci_warning("cannot %s %s: %s", what, path ? path : "", strerror(errno));
}

static const char *base_name(const char *p) {
    const char *s = p ? strrchr(p, '/') : NULL;
    return s ? s + 1 : p ? p : "";
}

/* The replacement of one placeholder line (without its newline). */
static void replace(FILE *out, const char *line, size_t len, const ci_report_link *l) {
    bool flame = !strncmp(line, CI_LINK_FLAME, strlen(CI_LINK_FLAME));
    bool diff = !strncmp(line, CI_LINK_DIFF, strlen(CI_LINK_DIFF));
    const char *name = line + (flame ? strlen(CI_LINK_FLAME) : strlen(CI_LINK_DIFF));
    int nlen = (int)(line + len - name) - 3;   /* up to "-->" */
    if (len == strlen(CI_LINK_REPORT) && !strncmp(line, CI_LINK_REPORT, len)) {
        if (l->url)
            fprintf(out, "**[📊 Open the flamegraphs](%s)**: one page with every script's flamegraph "
                         "(zoom, search) and top functions.\n", l->url);
        else if (l->html_path)
            fprintf(out, "_The flamegraphs are in `%s` (one page for every script; open it in a "
                         "browser), in the output directory: %s._\n", base_name(l->html_path),
                    l->why ? l->why : "no link to it");
        return;
    }
    if ((!flame && !diff) || nlen <= 0) {
        fwrite(line, 1, len, out);
        fputc('\n', out);
        return;
    }
    if (l->url)
        fprintf(out, "%s[%s](%s#%s-%.*s)\n", flame ? "📊 " : "", flame ? "Open the flamegraph"
                : "Open the differential flamegraph", l->url, flame ? "s" : "d", nlen, name);
    else
        fprintf(out, "_%s: `%.*s%s` in the output directory%s%s._\n",
                flame ? "Flamegraph" : "Differential flamegraph", nlen, name,
                flame ? ".svg" : ".diff.svg", l->html_path ? ", and in " : "",
                l->html_path ? base_name(l->html_path) : "");
}

static char *finished(const char *text, size_t *len, const ci_report_link *l) {
    char *buf = NULL;
    FILE *out = open_memstream(&buf, len);
    if (!out) return NULL;
    for (const char *p = text; *p;) {
        size_t n = strcspn(p, "\n");
        if (!strncmp(p, "<!--csprof:", 11)) replace(out, p, n, l);
        else {
            fwrite(p, 1, n, out);
            if (p[n] == '\n') fputc('\n', out);
        }
        p += n + (p[n] == '\n');
    }
    if (fclose(out) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

/* Appends to the job summary file (GitHub's, so not ours to replace). */
static int append(const char *path, const char *s, size_t len) {
    FILE *f = fopen(path, "ab");
    if (!f) return -1;
    bool ok = fwrite(s, 1, len, f) == len;
    if (fclose(f) != 0) ok = false;
    return ok ? 0 : -1;
}

/* The whole of the file at path, NUL-terminated; NULL with errno. */
static char *read_all(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *text = NULL;
    size_t cap = 0, n = 0;
    bool oom = false;
    for (;;) {
        if (n + 65536 + 1 > cap) {
            char *more = realloc(text, cap = n + 65536 + 1);
            if (!more) {
                oom = true;
                break;
            }
            text = more;
        }
        size_t got = fread(text + n, 1, 65536, f);
        n += got;
        if (got == 0) break;
    }
    bool bad = oom || ferror(f);
    int e = oom ? ENOMEM : errno;
    fclose(f);  /* read only: nothing to lose when closing fails */
    if (bad) {
        free(text);
        errno = e;
        return NULL;
    }
    text[n] = '\0';
    return text;
}

int ci_links_finish(const char *summary_path, const char *step_summary, const ci_report_link *l) {
    char *text = read_all(summary_path);
    if (!text) {
        warn("read the summary", summary_path);
        return -1;
    }
    size_t len = 0;
    char *out = finished(text, &len, l);
    free(text);
    if (!out) {
        errno = ENOMEM;
        warn("complete the summary", summary_path);
        return -1;
    }
    int rc = 0;
    if (atomic_write(summary_path, out, len, NULL)) {
        warn("write", summary_path);
        rc = -1;
    }
    if (step_summary && append(step_summary, out, len)) {
        warn("append to the job summary", step_summary);
        rc = -1;
    }
    free(out);
    return rc;
}

int ci_links_main(void) {
    const char *summary = ci_env("CSPROF_SUMMARY_FILE");
    if (!summary) {
        printf("::warning title=csprof::no summary to complete (CSPROF_SUMMARY_FILE is not set)\n");
        return 0;
    }
    ci_report_link l = {.url = ci_env("CSPROF_HTML_URL"), .html_path = ci_env("CSPROF_HTML_FILE")};
    const char *upload = ci_env("CSPROF_UPLOAD"), *outcome = ci_env("CSPROF_UPLOAD_OUTCOME");
    if (!l.url) {
        if (upload && strcmp(upload, "true"))
            l.why = "the upload input is off";
        else if (outcome && strcmp(outcome, "success"))
            l.why = "its upload did not succeed (see the upload step); the SVGs are in the "
                    "performance-flamegraphs artifact";
        else
            l.why = "the upload gave no link (an upload-artifact without `archive: false` "
                    "support?); the SVGs are in the performance-flamegraphs artifact";
        if (l.html_path)
            printf("::notice title=csprof::no link to the HTML report: %s\n", l.why);
    }
    ci_links_finish(summary, ci_env("GITHUB_STEP_SUMMARY"), &l);
    fflush(stdout);
    return 0;
}
