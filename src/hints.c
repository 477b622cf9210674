/* hints.c -- the advice rules. See hints.h. Rules are tried in order; the
 * first that matches writes the hint:
 *   waiting (idle samples, or sleep/lock/I-O functions)  -> it isn't computing
 *   garbage collector internals                        -> fewer containers, gc.freeze
 *   import machinery                                   -> lazy imports
 *   json, re, logging, copy/pickle (by module)         -> what usually helps there
 *   other library or native code                       -> change the calling code
 *   your code: mostly recursive                          -> memoisation
 *   your code: own lines dominate, few callees          -> hot loop
 *   your code: one call site brings most of it           -> caching
 *   your code otherwise                                -> where to start
 */
#include "hints.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

typedef struct {
    char *buf;
    size_t len, cap;
} sbuf;

static void add(sbuf *b, const char *fmt, ...) {
    if (b->len + 1 >= b->cap) return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(b->buf + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    b->len += (size_t)n;
    if (b->len >= b->cap) b->len = b->cap - 1;
}

/* A name as code: control characters dropped (so no marker can be forged),
 * long names cut with an ellipsis. */
static void add_code(sbuf *b, const char *s) {
    char tmp[100];
    size_t n = 0;
    for (s = s ? s : "?"; *s && n < 80; s++)
        if ((unsigned char)*s >= 0x20 && *s != 0x7f) tmp[n++] = *s;
    if (*s) {
        /* don't cut a UTF-8 sequence in half */
        while (n > 0 && ((unsigned char)tmp[n - 1] & 0xC0) == 0x80) n--;
        if (n > 0 && ((unsigned char)tmp[n - 1] & 0xC0) == 0xC0) n--;
        memcpy(tmp + n, "\xE2\x80\xA6", 3);
        n += 3;
    }
    tmp[n] = '\0';
    add(b, "%c%s%c", HINT_CODE_ON, tmp, HINT_CODE_OFF);
}

static int pct(uint64_t part, uint64_t whole) {
    return whole ? (int)((100.0 * (double)part / (double)whole) + 0.5) : 0;
}

static const char *base_name(const char *path) {
    const char *s = path ? strrchr(path, '/') : NULL;
    return s ? s + 1 : path ? path : "";
}

static bool ends_with(const char *s, const char *suffix) {
    size_t n = s ? strlen(s) : 0, m = strlen(suffix);
    return n >= m && !strcmp(s + n - m, suffix);
}

static bool contains(const char *s, const char *part) { return s && strstr(s, part); }

static bool name_in(const char *name, const char *const *list) {
    if (!name) return false;
    /* qualified names: compare the last component (Event.wait -> wait) */
    const char *dot = strrchr(name, '.');
    const char *last = dot ? dot + 1 : name;
    for (; *list; list++)
        if (!strcmp(last, *list)) return true;
    return false;
}

static bool is_waiting(const hint_input *in) {
    const prof_func_stat *s = in->stat;
    if (in->kind == CODE_IDLE) return true;
    if (s->self && in->idle_self * 2 > s->self) return true;
    static const char *const native_waits[] = {
        "epoll_wait", "epoll_pwait", "select", "__select", "pselect", "poll", "ppoll",
        "nanosleep", "clock_nanosleep", "__clock_nanosleep", "usleep", "sleep",
        "pthread_cond_wait", "pthread_cond_timedwait", "__pthread_cond_wait",
        "sem_wait", "sem_timedwait", "do_futex_wait", "__futex_abstimed_wait_common",
        "futex_wait", "syscall", "read", "__libc_read", "recv", "recvfrom", "__libc_recv",
        "accept", "accept4", "waitpid", "__waitpid", "wait4", "PyThread_acquire_lock_timed",
        "pysleep", "time_sleep", NULL};
    if (s->type == FRAME_NATIVE) return name_in(s->function, native_waits);
    /* stdlib functions that block, in the modules where they block */
    static const char *const waiting_modules[] = {
        "threading.py", "queue.py", "selectors.py", "subprocess.py", "socket.py", "ssl.py",
        "connection.py", "synchronize.py", "_base.py", "base_events.py", "popen_fork.py", NULL};
    static const char *const waiting_funcs[] = {
        "wait", "_wait_for_tstate_lock", "join", "get", "select", "poll", "accept", "recv",
        "recv_into", "readinto", "read", "communicate", "_communicate", "acquire", "sleep",
        "_wait", "_try_wait", "result", "_recv", "_recv_bytes", "_poll", "_run_once", NULL};
    bool module = false;
    for (const char *const *m = waiting_modules; *m && !module; m++)
        module = !strcmp(base_name(s->file), *m);
    return in->kind == CODE_STDLIB && module && name_in(s->function, waiting_funcs);
}

static bool is_gc(const hint_input *in) {
    const char *f = in->stat->function;
    if (in->stat->type != FRAME_NATIVE || !f) return false;
    return !strncmp(f, "gc_collect", 10) || !strncmp(f, "_PyGC_", 6) ||
           !strcmp(f, "collect") || !strcmp(f, "collect_generations") ||
           !strcmp(f, "deduce_unreachable") || !strcmp(f, "move_unreachable") ||
           !strcmp(f, "subtract_refs") || !strcmp(f, "update_refs") ||
           !strcmp(f, "visit_decref") || !strcmp(f, "visit_reachable");
}

static bool is_import(const hint_input *in) {
    const char *file = in->stat->file;
    return contains(file, "<frozen importlib") || contains(file, "/importlib/_bootstrap");
}

/* The module a stdlib path belongs to: "json" for .../python3.12/json/decoder.py */
static bool in_stdlib_module(const hint_input *in, const char *mod) {
    if (in->kind != CODE_STDLIB || !in->stat->file) return false;
    char dir[64], file[64];
    snprintf(dir, sizeof dir, "/%s/", mod);
    snprintf(file, sizeof file, "/%s.py", mod);
    return contains(in->stat->file, dir) || ends_with(in->stat->file, file);
}

static bool native_named(const hint_input *in, const char *part) {
    return in->stat->type == FRAME_NATIVE &&
           (contains(in->stat->function, part) || contains(base_name(in->stat->file), part));
}

static bool third_party_pkg(const hint_input *in, const char *pkg) {
    char dir[64];
    snprintf(dir, sizeof dir, "-packages/%s", pkg);
    const char *s = in->stat->file ? strstr(in->stat->file, dir) : NULL;
    if (!s) return false;
    char c = s[strlen(dir)];
    return c == '/' || c == '.' || c == '\0';
}

/* Third-party top-level package ("numpy") or native object ("libc.so.6"). */
static void package_of(const hint_input *in, char *out, size_t len) {
    const char *file = in->stat->file ? in->stat->file : "";
    const char *s = strstr(file, "site-packages/");
    if (!s) s = strstr(file, "dist-packages/");
    if (s) {
        s = strchr(s, '/') + 1;
        size_t n = strcspn(s, "/");
        if (n > 3 && !strncmp(s + n - 3, ".py", 3) && s[n] == '\0') n -= 3;
        snprintf(out, len, "%.*s", (int)n, s);
        return;
    }
    snprintf(out, len, "%s", base_name(file));
}

static void mention_user_caller(sbuf *b, const hint_input *in) {
    const hint_site *u = &in->user_caller;
    if (u->function && u->samples) {
        add(b, " %d%% of it is reached from your ", pct(u->samples, in->stat->total));
        add_code(b, u->function);
        if (u->where) add(b, " (%s)", u->where);
        add(b, ": start there.");
    }
}

hint_kind hint_for(const hint_input *in, char *buf, size_t len) {
    sbuf b = {buf, 0, len};
    if (len) buf[0] = '\0';
    const prof_func_stat *s = in->stat;
    hint_kind k;

    if (is_waiting(in)) {
        k = HINT_WAITING;
        add(&b, "This is waiting, not computing: the thread was blocked (sleep, lock, I/O or "
                "a child process). Faster code won't shorten it; wait less often, overlap "
                "the waits (threads, asyncio, fewer round trips), or look at what it waits for.");
        if (in->kind != CODE_YOURS) mention_user_caller(&b, in);
    } else if (is_gc(in)) {
        k = HINT_GC;
        add(&b, "Cyclic garbage collection: the program creates many container objects "
                "(lists, dicts, instances). Creating fewer or reusing them cuts the "
                "collections; gc.freeze() after start-up exempts long-lived objects, and "
                "gc.set_threshold() trades memory for fewer passes.");
    } else if (is_import(in)) {
        k = HINT_IMPORT;
        add(&b, "Importing modules (start-up cost). Import heavy modules lazily inside the "
                "functions that need them and drop unused imports; python -X importtime "
                "shows which import is slow.");
    } else if (in_stdlib_module(in, "json") || native_named(in, "_json") ||
               third_party_pkg(in, "simplejson") || third_party_pkg(in, "ujson") ||
               third_party_pkg(in, "orjson")) {
        k = HINT_JSON;
        add(&b, "JSON encoding/decoding. Avoid encoding or parsing the same data repeatedly "
                "(parse once and keep the objects); if the volume is inherent, a faster "
                "parser such as orjson helps.");
        mention_user_caller(&b, in);
    } else if (in_stdlib_module(in, "re") || in_stdlib_module(in, "sre_compile") ||
               in_stdlib_module(in, "sre_parse") || native_named(in, "_sre") ||
               third_party_pkg(in, "regex")) {
        k = HINT_REGEX;
        bool compiling = in_stdlib_module(in, "sre_compile") ||
                         in_stdlib_module(in, "sre_parse") || contains(s->file, "/re/_compiler") ||
                         contains(s->file, "/re/_parser") || contains(s->function, "compile");
        if (compiling)
            add(&b, "Compiling regular expressions: patterns are being built again and again. "
                    "Compile each once (re.compile at module level) and reuse it; re's own "
                    "cache is small.");
        else
            add(&b, "Regular-expression matching. Precompile patterns once, simplify them "
                    "(anchor them, avoid nested quantifiers that backtrack), or use str methods "
                    "(startswith, in, split) where no pattern is needed.");
        mention_user_caller(&b, in);
    } else if (in_stdlib_module(in, "logging")) {
        k = HINT_LOGGING;
        add(&b, "Logging overhead. Pass arguments to the logger (log.debug(\"x=%%s\", x)) "
                "instead of formatting messages eagerly, guard expensive ones with "
                "isEnabledFor(), and check the levels so unread messages aren't built or "
                "written.");
        mention_user_caller(&b, in);
    } else if (in_stdlib_module(in, "copy") || in_stdlib_module(in, "pickle") ||
               in_stdlib_module(in, "copyreg") || native_named(in, "_pickle")) {
        k = HINT_COPY;
        if (in_stdlib_module(in, "copy"))
            add(&b, "Deep copies walk every object reachable from what is copied. Avoid "
                    "copying data that won't be changed, copy only the part that changes, or "
                    "use shallow copies or immutable structures.");
        else
            add(&b, "Pickling. Use protocol 5 (pickle.HIGHEST_PROTOCOL), which passes large "
                    "buffers out of band, and avoid pickling the same objects repeatedly "
                    "(for example when sending them to worker processes).");
        mention_user_caller(&b, in);
    } else if (in->kind != CODE_YOURS) {
        k = HINT_LIBRARY;
        char pkg[80];
        package_of(in, pkg, sizeof pkg);
        if (in->kind == CODE_NATIVE) {
            add(&b, "Time in native code (");
            add_code(&b, pkg);
            add(&b, ").");
        } else if (in->kind == CODE_STDLIB) {
            add(&b, "Time in the standard library.");
        } else {
            add(&b, "Time inside a library (");
            add_code(&b, pkg);
            add(&b, ").");
        }
        add(&b, " The library itself is rarely what to change; look at the code calling it.");
        if (in->user_caller.function && in->user_caller.samples)
            mention_user_caller(&b, in);
        else
            add(&b, " No caller in your code was sampled.");
        add(&b, " Make fewer, larger calls (batch or vectorise the work) and avoid converting "
                "data back and forth.");
    } else {
        uint32_t own = (uint32_t)pct(s->self, s->total);
        bool hot_line = s->hot_line > 0;
        bool one_site = in->caller.function && in->caller.samples * 100 >= s->total * 80 &&
                        s->total >= 10;
        if (s->total >= 10 && in->recursive * 2 >= s->total) {
            k = HINT_CACHE;
            add(&b, "Recursive: %d%% of its samples are inside nested calls of itself. If it "
                    "computes the same arguments again and again, as naive recursive "
                    "definitions do, memoise it (functools.cache) or rewrite the recursion as a "
                    "loop over a table of results.",
                pct(in->recursive, s->total));
        } else if (own >= 50 && in->ncallees <= 3) {
            k = HINT_LOOP;
            add(&b, "A hot loop in your code: %u%% of its time is on its own lines", own);
            if (hot_line) add(&b, " (line %d is the hottest)", s->hot_line);
            add(&b, ", not in calls. Move the loop into C: vectorise with numpy, or use "
                    "built-ins (sum, sorted, comprehensions, str.join); or change the algorithm "
                    "(a dict or set lookup instead of a scan, no nested loops over the same "
                    "data).");
        } else if (one_site) {
            k = HINT_CACHE;
            add(&b, "%d%% of it comes through one call site, ", pct(in->caller.samples, s->total));
            add_code(&b, in->caller.function);
            if (in->caller.where) add(&b, " (%s)", in->caller.where);
            add(&b, ". If that site calls it again and again with the same arguments, cache "
                    "the results (functools.cache) or move the call out of the loop.");
        } else {
            k = HINT_GENERAL;
            if (own >= 50)
                add(&b, "Most of its time (%u%%) is on its own lines", own);
            else
                add(&b, "Its time is spread over the %u functions it calls", in->ncallees);
            if (hot_line) add(&b, "; start at line %d", s->hot_line);
            add(&b, ". The table by total time below shows which callee dominates.");
        }
    }
    return k;
}
