/* fmt_json.c -- the profile JSON: csprof's own re-readable format.
 *
 * Schema "csprof-profile", version 1 (documented in README.md):
 *   { "schema": "csprof-profile", "schema_version": 1,
 *     "csprof": {"version", "commit"},
 *     "command": [argv...], "name", "script", "cwd", "workspace", "git_commit",
 *     "python": {"version", "interpreter"},
 *     "start_time", "wall_seconds", "exit_status",
 *     "rate_hz", "interval_seconds", "native", "idle_included", "subprocesses",
 *     "note", "sampler_cpu_seconds", "sampler_work_seconds",
 *     "samples": {"ticks", "taken", "dropped", "idle"},
 *     "processes": [{"pid", "ppid", "command", "python_version"}],
 *     "threads": [{"pid", "tid", "name"}],
 *     "frames": [{"function", "file", "line", "first_line", "kind"}],
 *     "stacks": [{"thread", "idle", "frames": [root..leaf], "count"}] }
 * Readers ignore unknown keys, so later minor additions stay compatible;
 * a different schema_version is refused with a message.
 */
#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "output.h"
#include "utf8.h"

#define SCHEMA_NAME "csprof-profile"
#define SCHEMA_VERSION 1

static const char *const type_names[] = {"python", "native", "process", "thread"};

/* json_string refuses invalid UTF-8, and names from a target may be any
 * bytes, so replace bad sequences (utf8.h) rather than lose the frame. */
static json_t *jstr(const char *s) {
    if (!s) return json_null();
    size_t n = strlen(s);
    if (utf8_valid(s, n)) return json_stringn(s, n);
    sbuf b;
    sbuf_init(&b, SBUF_NO_LIMIT);
    json_t *j = utf8_sanitize(&b, s, n) ? json_stringn(sbuf_str(&b), b.len) : NULL;
    sbuf_free(&b);
    return j;
}

/* json_object_set_new that remembers the first failure. */
static void put(json_t *obj, const char *key, json_t *val, int *err) {
    if (!val || json_object_set_new(obj, key, val)) *err = 1;
}

static json_t *meta_json(const profile *p, int *err) {
    const prof_meta *m = prof_meta_get(p);
    const prof_counters *c = prof_counters_of((profile *)p);
    json_t *o = json_object();
    if (!o) { *err = 1; return NULL; }
    put(o, "schema", json_string(SCHEMA_NAME), err);
    put(o, "schema_version", json_integer(SCHEMA_VERSION), err);
    json_t *cs = json_object();
    if (cs) {
        put(cs, "version", jstr(m->csprof_version), err);
        put(cs, "commit", jstr(m->csprof_commit), err);
    }
    put(o, "csprof", cs, err);
    json_t *argv = json_array();
    for (int i = 0; argv && i < m->argc; i++)
        if (json_array_append_new(argv, jstr(m->argv[i]))) *err = 1;
    put(o, "command", argv, err);
    put(o, "name", jstr(m->name), err);
    put(o, "script", jstr(m->script), err);
    put(o, "cwd", jstr(m->cwd), err);
    put(o, "workspace", jstr(m->workspace), err);
    put(o, "git_commit", jstr(m->git_commit), err);
    json_t *py = json_object();
    if (py) {
        put(py, "version", jstr(m->python_version), err);
        put(py, "interpreter", jstr(m->interpreter), err);
    }
    put(o, "python", py, err);
    put(o, "start_time", jstr(m->start_time), err);
    put(o, "wall_seconds", json_real(m->wall_seconds), err);
    put(o, "exit_status", json_integer(m->exit_status), err);
    put(o, "rate_hz", json_real(m->rate_hz), err);
    put(o, "interval_seconds", json_real(m->interval_seconds), err);
    put(o, "native", json_boolean(m->native), err);
    put(o, "idle_included", json_boolean(m->idle_included), err);
    put(o, "subprocesses", json_boolean(m->subprocesses), err);
    put(o, "note", jstr(m->note), err);
    put(o, "sampler_cpu_seconds", json_real(m->sampler_cpu_seconds), err);
    put(o, "sampler_work_seconds", json_real(m->sampler_work_seconds), err);
    json_t *s = json_object();
    if (s) {
        put(s, "ticks", json_integer((json_int_t)c->ticks), err);
        put(s, "taken", json_integer((json_int_t)c->taken), err);
        put(s, "dropped", json_integer((json_int_t)c->dropped), err);
        put(s, "idle", json_integer((json_int_t)c->idle), err);
    }
    put(o, "samples", s, err);
    return o;
}

static json_t *tables_json(const profile *p, json_t *o, int *err) {
    json_t *procs = json_array(), *threads = json_array(), *frames = json_array(),
           *stacks = json_array();
    put(o, "processes", procs, err);
    put(o, "threads", threads, err);
    put(o, "frames", frames, err);
    put(o, "stacks", stacks, err);
    if (*err) return o;
    for (size_t i = 0; i < prof_nprocesses(p); i++) {
        const prof_process *pr = prof_process_at(p, i);
        json_t *j = json_object();
        if (!j) { *err = 1; break; }
        put(j, "pid", json_integer(pr->pid), err);
        put(j, "ppid", json_integer(pr->ppid), err);
        put(j, "command", jstr(pr->command), err);
        put(j, "python_version", jstr(pr->python_version), err);
        if (json_array_append_new(procs, j)) *err = 1;
    }
    for (size_t i = 0; i < prof_nthreads(p); i++) {
        const prof_thread *t = prof_thread_at(p, i);
        json_t *j = json_object();
        if (!j) { *err = 1; break; }
        put(j, "pid", json_integer(t->pid), err);
        put(j, "tid", json_integer(t->tid), err);
        put(j, "name", jstr(t->name), err);
        if (json_array_append_new(threads, j)) *err = 1;
    }
    for (size_t i = 0; i < prof_nframes(p); i++) {
        const prof_frame *f = prof_frame_at(p, i);
        json_t *j = json_object();
        if (!j) { *err = 1; break; }
        put(j, "function", jstr(f->function), err);
        put(j, "file", jstr(f->file), err);
        put(j, "line", json_integer(f->line), err);
        put(j, "first_line", json_integer(f->first_line), err);
        put(j, "kind", json_string(type_names[f->type]), err);
        if (json_array_append_new(frames, j)) *err = 1;
    }
    for (size_t i = 0; i < prof_nstacks(p) && !*err; i++) {
        const prof_stack *s = prof_stack_at(p, i);
        json_t *j = json_object(), *fr = json_array();
        if (!j || !fr) { json_decref(j); json_decref(fr); *err = 1; break; }
        for (uint32_t d = 0; d < s->depth; d++)
            if (json_array_append_new(fr, json_integer(s->frames[d]))) *err = 1;
        put(j, "thread", json_integer(s->thread), err);
        put(j, "idle", json_boolean(s->idle), err);
        put(j, "frames", fr, err);
        put(j, "count", json_integer((json_int_t)s->count), err);
        if (json_array_append_new(stacks, j)) *err = 1;
    }
    return o;
}

int write_profile_json(const profile *p, FILE *out, const output_opts *o) {
    (void)o;
    int err = 0;
    json_t *root = meta_json(p, &err);
    if (root) tables_json(p, root, &err);
    if (err || !root) {
        json_decref(root);
        fprintf(stderr, "csprof: out of memory while building the profile JSON\n");
        return -1;
    }
    /* Compact arrays keep big profiles small; sorted keys keep output stable. */
    int rc = json_dumpf(root, out, JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(9));
    json_decref(root);
    if (rc || fputc('\n', out) == EOF) {
        fprintf(stderr, "csprof: cannot write the profile JSON: %s\n", strerror(errno));
        return -1;
    }
    return 0;
}

/* ---- reading ---- */

static void fail(char *err, size_t errlen, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static const char *get_str(json_t *o, const char *key) {
    return json_string_value(json_object_get(o, key));
}

static double get_num(json_t *o, const char *key, double dflt) {
    json_t *v = json_object_get(o, key);
    return json_is_number(v) ? json_number_value(v) : dflt;
}

static long long get_int(json_t *o, const char *key, long long dflt) {
    json_t *v = json_object_get(o, key);
    return json_is_integer(v) ? (long long)json_integer_value(v) : dflt;
}

static int read_meta(profile *p, json_t *root) {
    prof_meta *m = prof_meta_of(p);
    json_t *cs = json_object_get(root, "csprof"), *py = json_object_get(root, "python");
    struct { char **dst; const char *src; } strs[] = {
        {&m->csprof_version, get_str(cs, "version")},
        {&m->csprof_commit, get_str(cs, "commit")},
        {&m->name, get_str(root, "name")},
        {&m->script, get_str(root, "script")},
        {&m->cwd, get_str(root, "cwd")},
        {&m->workspace, get_str(root, "workspace")},
        {&m->git_commit, get_str(root, "git_commit")},
        {&m->python_version, get_str(py, "version")},
        {&m->interpreter, get_str(py, "interpreter")},
        {&m->start_time, get_str(root, "start_time")},
        {&m->note, get_str(root, "note")},
    };
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
        if (prof_set_str(strs[i].dst, strs[i].src)) return -1;
    json_t *cmd = json_object_get(root, "command");
    if (json_is_array(cmd)) {
        size_t n = json_array_size(cmd);
        char **argv = calloc(n + 1, sizeof *argv);
        if (!argv) return -1;
        for (size_t i = 0; i < n; i++) {
            const char *a = json_string_value(json_array_get(cmd, i));
            argv[i] = (char *)(a ? a : "");
        }
        int rc = prof_set_argv(p, (int)n, argv);
        free(argv);
        if (rc) return -1;
    }
    m->wall_seconds = get_num(root, "wall_seconds", 0);
    m->exit_status = (int)get_int(root, "exit_status", -1);
    m->rate_hz = get_num(root, "rate_hz", 0);
    m->sampler_cpu_seconds = get_num(root, "sampler_cpu_seconds", 0);
    m->sampler_work_seconds = get_num(root, "sampler_work_seconds", 0);
    m->interval_seconds = get_num(root, "interval_seconds", 0);
    m->native = json_is_true(json_object_get(root, "native"));
    m->idle_included = json_is_true(json_object_get(root, "idle_included"));
    m->subprocesses = json_is_true(json_object_get(root, "subprocesses"));
    json_t *s = json_object_get(root, "samples");
    prof_counters *c = prof_counters_of(p);
    c->ticks = (uint64_t)get_int(s, "ticks", 0);
    c->dropped = (uint64_t)get_int(s, "dropped", 0);
    c->idle = (uint64_t)get_int(s, "idle", 0);
    return 0;
}

static int parse_type(const char *s, frame_type *t) {
    for (int i = 0; i < 4; i++)
        if (s && !strcmp(s, type_names[i])) { *t = (frame_type)i; return 0; }
    return -1;
}

static int read_tables(profile *p, json_t *root, char *err, size_t errlen) {
    json_t *v;
    size_t i;
    json_array_foreach(json_object_get(root, "processes"), i, v) {
        if (prof_add_process(p, (int)get_int(v, "pid", 0), (int)get_int(v, "ppid", 0),
                             get_str(v, "command"), get_str(v, "python_version")) < 0)
            goto oom;
    }
    json_t *threads = json_object_get(root, "threads");
    json_array_foreach(threads, i, v) {
        if (prof_add_thread(p, (int)get_int(v, "pid", 0), (int)get_int(v, "tid", 0),
                            get_str(v, "name")) != (int)i) {
            fail(err, errlen, "thread %zu is missing or repeated", i);
            return -1;
        }
    }
    json_t *frames = json_object_get(root, "frames");
    json_array_foreach(frames, i, v) {
        frame_type t;
        if (parse_type(get_str(v, "kind"), &t)) {
            fail(err, errlen, "frame %zu has an unknown kind", i);
            return -1;
        }
        if (prof_intern_frame(p, get_str(v, "function"), get_str(v, "file"),
                              (int)get_int(v, "line", 0), (int)get_int(v, "first_line", 0),
                              t) != (int)i) {
            fail(err, errlen, "frame %zu is missing or repeated", i);
            return -1;
        }
    }
    size_t nframes = json_array_size(frames), nthreads = json_array_size(threads);
    uint32_t *buf = NULL;
    size_t cap = 0;
    json_array_foreach(json_object_get(root, "stacks"), i, v) {
        json_t *fr = json_object_get(v, "frames");
        long long th = get_int(v, "thread", -1), count = get_int(v, "count", -1);
        size_t depth = json_array_size(fr);
        if (th < 0 || (size_t)th >= nthreads || count < 0 || !json_is_array(fr)) {
            free(buf);
            fail(err, errlen, "stack %zu has a bad thread, count or frame list", i);
            return -1;
        }
        if (depth > cap) {
            uint32_t *nb = realloc(buf, depth * sizeof *nb);
            if (!nb) { free(buf); goto oom; }
            buf = nb;
            cap = depth;
        }
        for (size_t d = 0; d < depth; d++) {
            long long fi = json_is_integer(json_array_get(fr, d))
                               ? (long long)json_integer_value(json_array_get(fr, d)) : -1;
            if (fi < 0 || (size_t)fi >= nframes) {
                free(buf);
                fail(err, errlen, "stack %zu refers to frame %lld, which does not exist", i, fi);
                return -1;
            }
            buf[d] = (uint32_t)fi;
        }
        if (prof_add_stack(p, (uint32_t)th, json_is_true(json_object_get(v, "idle")), buf,
                           (uint32_t)depth, (uint64_t)count) < 0) {
            free(buf);
            goto oom;
        }
    }
    free(buf);
    prof_counters_of(p)->taken = prof_total_samples(p);
    return 0;
oom:
    fail(err, errlen, "out of memory");
    return -1;
}

profile *read_profile_json(const char *path, char *err, size_t errlen) {
    json_error_t jerr;
    if (errlen) err[0] = '\0';
    json_t *root = json_load_file(path, 0, &jerr);
    if (!root) {
        if (jerr.line < 1 && access(path, R_OK) != 0)
            fail(err, errlen, "cannot read %s: %s", path, strerror(errno));
        else
            fail(err, errlen, "%s is not valid JSON (line %d: %s)", path, jerr.line, jerr.text);
        return NULL;
    }
    const char *schema = get_str(root, "schema");
    long long ver = get_int(root, "schema_version", -1);
    if (!schema || strcmp(schema, SCHEMA_NAME)) {
        fail(err, errlen, "%s is not a csprof profile (no \"schema\": \"%s\")", path, SCHEMA_NAME);
        json_decref(root);
        return NULL;
    }
    if (ver != SCHEMA_VERSION) {
        fail(err, errlen, "%s has profile schema version %lld; this csprof reads version %d",
             path, ver, SCHEMA_VERSION);
        json_decref(root);
        return NULL;
    }
    profile *p = prof_new();
    if (!p || read_meta(p, root) || read_tables(p, root, err, errlen)) {
        if (p && !err[0]) fail(err, errlen, "out of memory reading %s", path);
        if (!p) fail(err, errlen, "out of memory reading %s", path);
        prof_free(p);
        json_decref(root);
        return NULL;
    }
    json_decref(root);
    return p;
}
