/* fmt_json.c -- the profile JSON: csprof's own re-readable format.
 *
 * Schema "csprof-profile", version 1 (documented in README.md):
 *   { "schema": "csprof-profile", "schema_version": 1,
 *     "csprof": {"version", "commit"},
 *     "command": [argv...], "name", "script", "cwd", "workspace", "git_commit",
 *     "python": {"version", "interpreter", "build"},
 *     "start_time", "wall_seconds", "exit_status",
 *     "rate_hz", "interval_seconds", "native", "idle_included", "subprocesses",
 *     "note", "sampler_cpu_seconds", "sampler_work_seconds",
 *     "cpu_seconds", "cpu_user_seconds", "cpu_system_seconds", "max_rss_bytes"
 *       (the command's own usage from wait4; null when attached),
 *     "other_load", "runner_cpus" (CPUs other processes kept busy meanwhile, of
 *       how many; null when unknown), "runner_cpu" (the CPU model, or null),
 *     "git_branch", "ci_run", "ci_run_url" (GitHub run it came from, or null),
 *     "samples": {"ticks", "taken", "dropped", "idle", "waiting", "max_per_tick", "missed",
 *                 "unsampled_processes", "state_reads", "code_checks", "reads",
 *                 "moved", "beside", "rounds"},
 *     "processes": [{"pid", "ppid", "command", "python_version"}],
 *     "threads": [{"pid", "tid", "name"}],
 *     "frames": [{"function", "file", "line", "first_line", "kind",
 *                 "module" (when known), "import" (true on import frames)}],
 *     "stacks": [{"thread", "idle", "frames": [root..leaf], "count"}] }
 * Readers ignore unknown keys, so later minor additions stay compatible;
 * a different schema_version is refused with a message.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
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

/* The script's CPU time and peak memory (wait4) and where the run came
 * from; null when unknown (attached to a pid, or outside CI). */
static void rusage_json(const prof_meta *m, json_t *o, int *err) {
    put(o, "cpu_seconds", m->rusage_known ? json_real(m->cpu_user_seconds + m->cpu_system_seconds)
                                          : json_null(), err);
    put(o, "cpu_user_seconds", m->rusage_known ? json_real(m->cpu_user_seconds) : json_null(), err);
    put(o, "cpu_system_seconds", m->rusage_known ? json_real(m->cpu_system_seconds) : json_null(), err);
    put(o, "max_rss_bytes", m->rusage_known ? json_integer((json_int_t)m->max_rss_bytes) : json_null(), err);
    put(o, "other_load", m->other_load >= 0 ? json_real(m->other_load) : json_null(), err);
    put(o, "runner_cpus", m->runner_cpus > 0 ? json_integer(m->runner_cpus) : json_null(), err);
    put(o, "runner_cpu", jstr(m->runner_cpu), err);
    put(o, "git_branch", jstr(m->git_branch), err);
    put(o, "ci_run", jstr(m->ci_run), err);
    put(o, "ci_run_url", jstr(m->ci_run_url), err);
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
        put(py, "build", jstr(m->python_build), err);
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
        put(s, "max_per_tick", json_integer((json_int_t)c->max_per_tick), err);
        put(s, "dropped", json_integer((json_int_t)c->dropped), err);
        put(s, "idle", json_integer((json_int_t)c->idle), err);
        put(s, "waiting", json_integer((json_int_t)c->waiting), err);
        put(s, "missed", json_integer((json_int_t)c->missed), err);
        put(s, "unsampled_processes", json_integer((json_int_t)c->unsampled_processes), err);
        put(s, "state_reads", json_integer((json_int_t)c->state_reads), err);
        put(s, "code_checks", json_integer((json_int_t)c->code_checks), err);
        put(s, "reads", json_integer((json_int_t)c->reads), err);
        put(s, "moved", json_integer((json_int_t)c->moved), err);
        put(s, "beside", json_integer((json_int_t)c->beside), err);
        put(s, "rounds", json_integer((json_int_t)c->rounds), err);
    }
    put(o, "samples", s, err);
    rusage_json(m, o, err);
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
        /* Only when known, so profiles without them read as before. */
        if (f->module) put(j, "module", jstr(f->module), err);
        if (f->import) put(j, "import", json_true(), err);
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

/* A profile file is untrusted input: every value is type- and range-checked
 * here, so no writer ever sees a count that overflows a sum, a time that
 * overflows nanoseconds, or an index out of its table. Absent (or null)
 * optional values take their default; a present value of the wrong type or
 * out of range is refused with the field's name. */
#define COUNT_MAX (1LL << 48)        /* samples: centuries at 10 kHz */
#define SECONDS_MAX 1e8              /* ~3 years of wall or CPU time */
#define PID_MAX 4194304              /* the kernel's PID_MAX_LIMIT */
#define DEPTH_MAX 65536
#define PROFILE_BYTES_MAX (1LL << 30)

typedef struct {
    const char *path;
    char *err;
    size_t errlen;
} reader;

__attribute__((format(printf, 2, 3))) static int bad(reader *r, const char *fmt, ...) {
    char what[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    snprintf(r->err, r->errlen, "%s: %s", r->path, what);
    return -1;
}

static const char *get_str(json_t *o, const char *key) {
    return json_string_value(json_object_get(o, key));
}

/* An optional string: NULL when absent or null; an error for other types. */
static int opt_str(reader *r, json_t *o, const char *field, const char *key, const char **out) {
    json_t *v = json_object_get(o, key);
    *out = json_string_value(v);
    if (v && !json_is_null(v) && !json_is_string(v))
        return bad(r, "%s%s is not a string", field, key);
    return 0;
}

static int opt_num(reader *r, json_t *o, const char *key, double lo, double hi, double dflt,
                   double *out) {
    json_t *v = json_object_get(o, key);
    *out = dflt;
    if (!v || json_is_null(v)) return 0;
    double x = json_number_value(v);
    if (!json_is_number(v) || !isfinite(x) || x < lo || x > hi)
        return bad(r, "%s is out of range (a number from %g to %g expected)", key, lo, hi);
    *out = x;
    return 0;
}

/* field names the value for the message, e.g. "stacks[3]." + "count". */
static int opt_int(reader *r, json_t *o, const char *field, const char *key, long long lo,
                   long long hi, long long dflt, long long *out) {
    json_t *v = json_object_get(o, key);
    *out = dflt;
    if (!v || json_is_null(v)) return 0;
    long long x = json_is_integer(v) ? (long long)json_integer_value(v) : 0;
    if (!json_is_integer(v) || x < lo || x > hi)
        return bad(r, "%s%s is out of range (an integer from %lld to %lld expected)", field, key,
                   lo, hi);
    *out = x;
    return 0;
}

static int opt_bool(reader *r, json_t *o, const char *field, const char *key, bool *out) {
    json_t *v = json_object_get(o, key);
    *out = json_is_true(v);
    if (v && !json_is_null(v) && !json_is_boolean(v))
        return bad(r, "%s%s is not true or false", field, key);
    return 0;
}

/* "YYYY-MM-DDTHH:MM:SSZ" as record writes it, in years whose nanoseconds
 * fit in an int64 (pprof's time_nanos). */
static bool valid_start_time(const char *t) {
    int y, mo, d, h, mi, sec, n = 0;
    if (sscanf(t, "%4d-%2d-%2dT%2d:%2d:%2dZ%n", &y, &mo, &d, &h, &mi, &sec, &n) != 6 ||
        n != 20 || t[n])
        return false;
    return y >= 1970 && y <= 2261 && mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && h <= 23 &&
           mi <= 59 && sec <= 60 && h >= 0 && mi >= 0 && sec >= 0;
}

static int read_strings(reader *r, profile *p, json_t *root) {
    prof_meta *m = prof_meta_of(p);
    json_t *cs = json_object_get(root, "csprof"), *py = json_object_get(root, "python");
    struct { char **dst; json_t *obj; const char *field, *key; } strs[] = {
        {&m->csprof_version, cs, "csprof.", "version"},
        {&m->csprof_commit, cs, "csprof.", "commit"},
        {&m->name, root, "", "name"},
        {&m->script, root, "", "script"},
        {&m->cwd, root, "", "cwd"},
        {&m->workspace, root, "", "workspace"},
        {&m->git_commit, root, "", "git_commit"},
        {&m->python_version, py, "python.", "version"},
        {&m->interpreter, py, "python.", "interpreter"},
        {&m->python_build, py, "python.", "build"},
        {&m->start_time, root, "", "start_time"},
        {&m->note, root, "", "note"},
        {&m->git_branch, root, "", "git_branch"},
        {&m->ci_run, root, "", "ci_run"},
        {&m->ci_run_url, root, "", "ci_run_url"},
        {&m->runner_cpu, root, "", "runner_cpu"},
    };
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++) {
        const char *v;
        if (opt_str(r, strs[i].obj, strs[i].field, strs[i].key, &v)) return -1;
        if (prof_set_str(strs[i].dst, v)) return bad(r, "out of memory");
    }
    if (m->runner_cpu && (!m->runner_cpu[0] || strlen(m->runner_cpu) > PROF_CPU_MODEL_MAX))
        return bad(r, "runner_cpu is not a CPU model of 1 to %d bytes", PROF_CPU_MODEL_MAX);
    if (m->start_time && !valid_start_time(m->start_time))
        return bad(r, "start_time is not a date from 1970 to 2261 as YYYY-MM-DDTHH:MM:SSZ");
    json_t *cmd = json_object_get(root, "command");
    if (cmd && !json_is_null(cmd) && !json_is_array(cmd)) return bad(r, "command is not a list");
    if (json_is_array(cmd)) {
        size_t n = json_array_size(cmd);
        if (n > INT_MAX - 1) return bad(r, "command is too long");
        char **argv = calloc(n + 1, sizeof *argv);
        if (!argv) return bad(r, "out of memory");
        for (size_t i = 0; i < n; i++) {
            const char *a = json_string_value(json_array_get(cmd, i));
            if (!a) {
                free(argv);
                return bad(r, "command[%zu] is not a string", i);
            }
            argv[i] = (char *)a;
        }
        int rc = prof_set_argv(p, (int)n, argv);
        free(argv);
        if (rc) return bad(r, "out of memory");
    }
    return 0;
}

static int read_meta(reader *r, profile *p, json_t *root) {
    prof_meta *m = prof_meta_of(p);
    if (read_strings(r, p, root)) return -1;
    long long exit_status;
    if (opt_num(r, root, "wall_seconds", 0, SECONDS_MAX, 0, &m->wall_seconds) ||
        opt_int(r, root, "", "exit_status", -1, 255, -1, &exit_status) ||
        opt_num(r, root, "rate_hz", 0, 1e6, 0, &m->rate_hz) ||
        opt_num(r, root, "sampler_cpu_seconds", 0, SECONDS_MAX, 0, &m->sampler_cpu_seconds) ||
        opt_num(r, root, "sampler_work_seconds", 0, SECONDS_MAX, 0, &m->sampler_work_seconds) ||
        opt_num(r, root, "interval_seconds", 0, 3600, 0, &m->interval_seconds) ||
        opt_bool(r, root, "", "native", &m->native) ||
        opt_bool(r, root, "", "idle_included", &m->idle_included) ||
        opt_bool(r, root, "", "subprocesses", &m->subprocesses))
        return -1;
    m->exit_status = (int)exit_status;
    /* Rates below 1 mHz or intervals below 1 us would turn into absurd
     * seconds per sample: treat them as the nonsense they are. */
    if (m->rate_hz > 0 && m->rate_hz < 1e-3) return bad(r, "rate_hz is out of range (0, or 0.001 to 1e6)");
    if (m->interval_seconds > 0 && m->interval_seconds < 1e-6)
        return bad(r, "interval_seconds is out of range (0, or 1e-6 to 3600)");
    /* Resource usage: all three present (null when attached), or unknown. */
    double ut, st, rss;
    if (opt_num(r, root, "cpu_user_seconds", 0, SECONDS_MAX, -1, &ut) ||
        opt_num(r, root, "cpu_system_seconds", 0, SECONDS_MAX, -1, &st) ||
        opt_num(r, root, "max_rss_bytes", 0, 1e15, -1, &rss))
        return -1;
    m->rusage_known = ut >= 0 && st >= 0 && rss >= 0;
    m->cpu_user_seconds = m->rusage_known ? ut : 0;
    m->cpu_system_seconds = m->rusage_known ? st : 0;
    m->max_rss_bytes = m->rusage_known ? rss : 0;
    /* The runner's other load, in CPUs, bounded by its CPUs when known. */
    double load;
    long long cpus;
    if (opt_num(r, root, "other_load", 0, 65535, -1, &load) || opt_int(r, root, "", "runner_cpus", 1, 65535, 0, &cpus))
        return -1;
    if (cpus > 0 && load > cpus) return bad(r, "other_load is more than runner_cpus");
    m->other_load = load;
    m->runner_cpus = (int)cpus;
    json_t *s = json_object_get(root, "samples");
    if (s && !json_is_object(s)) return bad(r, "samples is not an object");
    prof_counters *c = prof_counters_of(p);
    long long ticks, dropped, idle, max_per_tick, missed, unsampled, waiting, state_reads,
        code_checks, reads, moved, beside, rounds;
    if (opt_int(r, s, "samples.", "ticks", 0, COUNT_MAX, 0, &ticks) ||
        opt_int(r, s, "samples.", "dropped", 0, COUNT_MAX, 0, &dropped) ||
        opt_int(r, s, "samples.", "idle", 0, COUNT_MAX, 0, &idle) ||
        opt_int(r, s, "samples.", "max_per_tick", 0, COUNT_MAX, 0, &max_per_tick) ||
        opt_int(r, s, "samples.", "missed", 0, COUNT_MAX, 0, &missed) ||
        opt_int(r, s, "samples.", "unsampled_processes", 0, COUNT_MAX, 0, &unsampled) ||
        opt_int(r, s, "samples.", "waiting", 0, COUNT_MAX, 0, &waiting) ||
        opt_int(r, s, "samples.", "state_reads", 0, COUNT_MAX, 0, &state_reads) ||
        opt_int(r, s, "samples.", "code_checks", 0, COUNT_MAX, 0, &code_checks) ||
        opt_int(r, s, "samples.", "reads", 0, COUNT_MAX, 0, &reads) ||
        opt_int(r, s, "samples.", "moved", 0, COUNT_MAX, 0, &moved) ||
        opt_int(r, s, "samples.", "beside", 0, COUNT_MAX, 0, &beside) ||
        opt_int(r, s, "samples.", "rounds", 0, COUNT_MAX, 0, &rounds))
        return -1;
    c->rounds = (uint64_t)rounds;
    c->reads = (uint64_t)reads;
    c->moved = (uint64_t)moved;
    c->beside = (uint64_t)beside;
    c->state_reads = (uint64_t)state_reads;
    c->code_checks = (uint64_t)code_checks;
    c->waiting = (uint64_t)waiting;
    c->ticks = (uint64_t)ticks;
    c->dropped = (uint64_t)dropped;
    c->idle = (uint64_t)idle;
    c->max_per_tick = (uint64_t)max_per_tick;
    c->missed = (uint64_t)missed;
    c->unsampled_processes = (uint64_t)unsampled;
    return 0;
}

static int parse_type(const char *s, frame_type *t) {
    for (int i = 0; i < 4; i++)
        if (s && !strcmp(s, type_names[i])) { *t = (frame_type)i; return 0; }
    return -1;
}

/* The array at key (absent = empty); an error when it is something else. */
static int get_array(reader *r, json_t *root, const char *key, json_t **out) {
    *out = json_object_get(root, key);
    if (*out && !json_is_null(*out) && !json_is_array(*out)) return bad(r, "%s is not a list", key);
    return 0;
}

static int read_procs_threads(reader *r, profile *p, json_t *root) {
    json_t *arr, *v;
    size_t i;
    char field[48];
    if (get_array(r, root, "processes", &arr)) return -1;
    json_array_foreach(arr, i, v) {
        long long pid, ppid;
        const char *cmd, *ver;
        snprintf(field, sizeof field, "processes[%zu].", i);
        if (!json_is_object(v)) return bad(r, "processes[%zu] is not an object", i);
        if (opt_int(r, v, field, "pid", 0, PID_MAX, 0, &pid) ||
            opt_int(r, v, field, "ppid", 0, PID_MAX, 0, &ppid) ||
            opt_str(r, v, field, "command", &cmd) || opt_str(r, v, field, "python_version", &ver))
            return -1;
        if (prof_add_process(p, (int)pid, (int)ppid, cmd, ver) < 0) return bad(r, "out of memory");
    }
    if (get_array(r, root, "threads", &arr)) return -1;
    json_array_foreach(arr, i, v) {
        long long pid, tid;
        const char *name;
        snprintf(field, sizeof field, "threads[%zu].", i);
        if (!json_is_object(v)) return bad(r, "threads[%zu] is not an object", i);
        if (opt_int(r, v, field, "pid", 0, PID_MAX, 0, &pid) ||
            opt_int(r, v, field, "tid", 0, PID_MAX, 0, &tid) || opt_str(r, v, field, "name", &name))
            return -1;
        int idx = prof_add_thread(p, (int)pid, (int)tid, name);
        if (idx < 0) return bad(r, "out of memory");
        if ((size_t)idx != i) return bad(r, "threads[%zu] is repeated", i);
    }
    return 0;
}

static int read_frames(reader *r, profile *p, json_t *root) {
    json_t *arr, *v;
    size_t i;
    char field[48];
    if (get_array(r, root, "frames", &arr)) return -1;
    json_array_foreach(arr, i, v) {
        frame_type t;
        long long line, first;
        const char *fn, *file;
        snprintf(field, sizeof field, "frames[%zu].", i);
        if (!json_is_object(v)) return bad(r, "frames[%zu] is not an object", i);
        if (parse_type(get_str(v, "kind"), &t)) return bad(r, "frames[%zu].kind is unknown", i);
        if (opt_int(r, v, field, "line", 0, INT_MAX, 0, &line) ||
            opt_int(r, v, field, "first_line", 0, INT_MAX, 0, &first) ||
            opt_str(r, v, field, "function", &fn) || opt_str(r, v, field, "file", &file))
            return -1;
        const char *module;
        bool is_import;
        if (opt_str(r, v, field, "module", &module) || opt_bool(r, v, field, "import", &is_import))
            return -1;
        prof_frame key = {(char *)fn, (char *)file, (int)line, (int)first, t, (char *)module,
                          is_import};
        int idx = prof_intern(p, &key);
        if (idx < 0) return bad(r, "out of memory");
        if ((size_t)idx != i) return bad(r, "frames[%zu] is repeated", i);
    }
    return 0;
}

/* One stack into buf (grown as needed); sums its count into *total. */
static int read_stack(reader *r, profile *p, json_t *v, size_t i, uint32_t **buf, size_t *cap,
                     uint64_t *total) {
    char field[48];
    snprintf(field, sizeof field, "stacks[%zu].", i);
    if (!json_is_object(v)) return bad(r, "stacks[%zu] is not an object", i);
    long long th, count;
    bool idle;
    if (prof_nthreads(p) == 0) return bad(r, "stacks[%zu].thread refers to a thread that does not exist", i);
    if (opt_int(r, v, field, "thread", 0, (long long)prof_nthreads(p) - 1, -1, &th) ||
        opt_int(r, v, field, "count", 0, COUNT_MAX, -1, &count) ||
        opt_bool(r, v, field, "idle", &idle))
        return -1;
    json_t *fr = json_object_get(v, "frames");
    if (th < 0 || count < 0 || !json_is_array(fr))
        return bad(r, "stacks[%zu] lacks its thread, count or frame list", i);
    size_t depth = json_array_size(fr), nframes = prof_nframes(p);
    if (depth > DEPTH_MAX) return bad(r, "stacks[%zu].frames is deeper than %d", i, DEPTH_MAX);
    if ((uint64_t)count > (uint64_t)COUNT_MAX - *total)
        return bad(r, "stacks[%zu].count makes the sample total exceed %lld", i, COUNT_MAX);
    *total += (uint64_t)count;
    if (depth > *cap) {
        uint32_t *nb = realloc(*buf, depth * sizeof *nb);
        if (!nb) return bad(r, "out of memory");
        *buf = nb;
        *cap = depth;
    }
    for (size_t d = 0; d < depth; d++) {
        json_t *e = json_array_get(fr, d);
        long long fi = json_is_integer(e) ? (long long)json_integer_value(e) : -1;
        if (fi < 0 || (size_t)fi >= nframes)
            return bad(r, "stacks[%zu].frames[%zu] refers to a frame that does not exist", i, d);
        (*buf)[d] = (uint32_t)fi;
    }
    if (prof_add_stack(p, (uint32_t)th, idle, *buf, (uint32_t)depth, (uint64_t)count) < 0)
        return bad(r, "out of memory");
    return 0;
}

static int read_tables(reader *r, profile *p, json_t *root) {
    if (read_procs_threads(r, p, root) || read_frames(r, p, root)) return -1;
    json_t *arr, *v;
    size_t i, cap = 0;
    uint32_t *buf = NULL;
    uint64_t total = 0;
    if (get_array(r, root, "stacks", &arr)) return -1;
    json_array_foreach(arr, i, v) {
        if (read_stack(r, p, v, i, &buf, &cap, &total)) {
            free(buf);
            return -1;
        }
    }
    free(buf);
    prof_counters_of(p)->taken = prof_total_samples(p);
    return 0;
}

/* Only a regular file of sane size is read: a FIFO or device would block or
 * never end, and a file of gigabytes is no profile we wrote. */
static json_t *load(reader *r) {
    int fd = open(r->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0) {
        bad(r, "cannot read: %s", strerror(errno));
        return NULL;
    }
    struct stat st;
    json_t *root = NULL;
    if (fstat(fd, &st) != 0) {
        bad(r, "cannot read: %s", strerror(errno));
    } else if (!S_ISREG(st.st_mode)) {
        bad(r, "is not a regular file");
    } else if (st.st_size > PROFILE_BYTES_MAX) {
        bad(r, "is %lld bytes, more than any profile csprof writes (%lld)", (long long)st.st_size,
            (long long)PROFILE_BYTES_MAX);
    } else {
        FILE *f = fdopen(fd, "rb");
        if (!f) {
            bad(r, "cannot read: %s", strerror(errno));
        } else {
            fd = -1;
            json_error_t jerr;
            root = json_loadf(f, JSON_REJECT_DUPLICATES, &jerr);
            if (!root && ferror(f))
                bad(r, "cannot read: %s", strerror(errno));
            else if (!root)
                bad(r, "is not valid JSON (line %d: %s)", jerr.line, jerr.text);
            fclose(f);
        }
    }
    if (fd >= 0) close(fd);
    return root;
}

profile *read_profile_json(const char *path, char *err, size_t errlen) {
    reader r = {path, err, errlen};
    if (errlen) err[0] = '\0';
    json_t *root = load(&r);
    if (!root) return NULL;
    if (!json_is_object(root)) {
        bad(&r, "is not a csprof profile (not a JSON object)");
        json_decref(root);
        return NULL;
    }
    const char *schema = get_str(root, "schema");
    json_t *ver = json_object_get(root, "schema_version");
    if (!schema || strcmp(schema, SCHEMA_NAME)) {
        bad(&r, "is not a csprof profile (no \"schema\": \"%s\")", SCHEMA_NAME);
        json_decref(root);
        return NULL;
    }
    if (!json_is_integer(ver) || json_integer_value(ver) != SCHEMA_VERSION) {
        char shown[32] = "unknown";
        if (json_is_integer(ver)) snprintf(shown, sizeof shown, "%lld", (long long)json_integer_value(ver));
        bad(&r, "has profile schema version %s; this csprof reads version %d", shown, SCHEMA_VERSION);
        json_decref(root);
        return NULL;
    }
    profile *p = prof_new();
    if (!p) bad(&r, "out of memory");
    if (!p || read_meta(&r, p, root) || read_tables(&r, p, root)) {
        prof_free(p);
        json_decref(root);
        return NULL;
    }
    json_decref(root);
    return p;
}
