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

/* A later row that would repeat the advice of an earlier one names itself
 * and points back, so no sentence appears twice in one summary. */
static void refer_back(sbuf *b, const hint_input *in, int first_row) {
    b->len = 0;
    if (b->cap) b->buf[0] = '\0';
    add_code(b, in->stat->function);
    add(b, " (%s:%d) is the same kind of cost as #%d: what is said there applies to it too.",
        base_name(in->stat->file), in->stat->first_line, first_row);
    if (in->kind != CODE_YOURS) mention_user_caller(b, in);
}

static hint_kind hint_rules(const hint_input *in, sbuf *b);

hint_kind hint_for(const hint_input *in, int row, hint_memory *mem, char *buf, size_t len) {
    sbuf b = {buf, 0, len};
    if (len) buf[0] = '\0';
    hint_kind k = hint_rules(in, &b);
    if (mem && (unsigned)k < HINT_KIND_COUNT) {
        if (mem->func_row[k]) refer_back(&b, in, mem->func_row[k]);
        else mem->func_row[k] = row;
    }
    return k;
}

/* Library, standard-library or native code: change the code calling it. */
static hint_kind hint_library(const hint_input *in, sbuf *b_) {
    sbuf b = *b_;
    hint_kind k;
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
    *b_ = b;
    return k;
}

/* Your own function: recursion, a hot loop, one call site, or spread out. */
static hint_kind hint_yours(const hint_input *in, sbuf *b_) {
    sbuf b = *b_;
    const prof_func_stat *s = in->stat;
    hint_kind k;
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
    *b_ = b;
    return k;
}

static hint_kind hint_rules(const hint_input *in, sbuf *bp) {
    sbuf b = *bp;
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
        k = hint_library(in, &b);
    } else {
        k = hint_yours(in, &b);
    }
    *bp = b;
    return k;
}

/* ---- what the time beneath a line of your code was doing ---- */

static bool module_is(const char *m, const char *prefix) {
    size_t n = strlen(prefix);
    return !strncmp(m, prefix, n) && (m[n] == '\0' || m[n] == '.');
}

static bool module_in(const char *m, const char *const *list) {
    for (; *list; list++)
        if (module_is(m, *list)) return true;
    return false;
}

static bool starts_with(const char *s, const char *prefix) {
    return !strncmp(s, prefix, strlen(prefix));
}

/* Native objects that are linear algebra whatever function is running. */
static bool linalg_object(const char *obj) {
    static const char *const libs[] = {"libopenblas", "libblas", "liblapack", "libmkl",
                                       "libcblas", "_umath_linalg", "libflexiblas", NULL};
    for (const char *const *l = libs; *l; l++)
        if (starts_with(obj, *l)) return true;
    return false;
}

static work_kind work_of_python(const char *m, const char *fn) {
    static const char *const linalg_mods[] = {"numpy.linalg", "scipy.linalg", "scipy.sparse.linalg",
                                              "torch.linalg", NULL};
    static const char *const linalg_funcs[] = {"dot", "vdot", "matmul", "einsum", "inner", "outer",
                                               "tensordot", "kron", "solve", "inv", "cholesky",
                                               "svd", "eigh", "eig", "lstsq", "qr", "pinv", "det",
                                               "multi_dot", NULL};
    static const char *const io_mods[] = {"csv", "io", "_pyio", "codecs", "pathlib", "shutil",
                                          "gzip", "bz2", "lzma", "zipfile", "tarfile", "tempfile",
                                          "numpy.lib.npyio", "numpy.lib._npyio_impl",
                                          "numpy.lib.format", "pandas.io", NULL};
    static const char *const wait_mods[] = {"threading", "queue", "subprocess", "selectors",
                                            "socket", "ssl", "multiprocessing", "concurrent.futures",
                                            "asyncio", NULL};
    static const char *const wait_funcs[] = {"wait", "join", "get", "select", "poll", "accept",
                                             "recv", "communicate", "acquire", "sleep", "result",
                                             "_wait_for_tstate_lock", "_communicate", NULL};
    if (module_is(m, "importlib")) return WORK_IMPORT;
    if (module_in(m, (const char *const[]){"json", "simplejson", "orjson", "ujson", NULL}))
        return WORK_JSON;
    if (module_in(m, (const char *const[]){"re", "sre_compile", "sre_parse", "regex", NULL}))
        return WORK_REGEX;
    if (module_is(m, "logging")) return WORK_LOGGING;
    if (module_in(m, (const char *const[]){"copy", "pickle", "copyreg", NULL})) return WORK_COPY;
    if (module_is(m, "scipy.optimize")) return WORK_OPTIMIZE;
    if (module_in(m, linalg_mods) || (module_is(m, "numpy") && name_in(fn, linalg_funcs)))
        return WORK_LINALG;
    if (module_is(m, "sklearn") && contains(fn, "fit")) return WORK_FIT;
    if (module_in(m, (const char *const[]){"torch.autograd", "torch.optim", "torch.nn", NULL}) ||
        (module_is(m, "torch") && name_in(fn, (const char *const[]){"backward", NULL})))
        return WORK_NEURAL;
    if (module_is(m, "matplotlib")) return WORK_PLOT;
    if (module_in(m, io_mods)) return WORK_IO;
    if (module_in(m, wait_mods) && name_in(fn, wait_funcs)) return WORK_WAITING;
    return WORK_COUNT;
}

work_kind work_of_frame(const char *module, const char *function, frame_type type) {
    const char *m = module ? module : "";
    if (type == FRAME_NATIVE) {
        if (linalg_object(m)) return WORK_LINALG;
        if (starts_with(m, "_json")) return WORK_JSON;
        if (starts_with(m, "_sre")) return WORK_REGEX;
        if (starts_with(m, "_pickle")) return WORK_COPY;
        return WORK_COUNT;
    }
    return work_of_python(m, function);
}

const char *work_name(work_kind w) {
    static const char *const names[WORK_COUNT] = {
        "the line's own work", "waiting", "importing modules", "linear algebra",
        "optimiser iterations", "model fitting", "network training", "drawing figures",
        "JSON encoding or decoding", "regular expressions", "file I/O", "logging",
        "copying or pickling", "library code", "standard-library code", "native code"};
    return (unsigned)w < WORK_COUNT ? names[w] : "?";
}

/* The advice for each kind of work, given once per summary. */
static void line_advice(sbuf *b, const line_hint_input *in) {
    switch (in->work) {
    case WORK_OWN:
        add(b, "If the line runs inside a loop, move the loop into C: vectorise with numpy, or "
               "use built-ins (sum, sorted, comprehensions, str.join); or change the algorithm "
               "(a dict or set lookup instead of a scan, no nested loops over the same data).");
        break;
    case WORK_WAITING:
        add(b, "Faster code won't shorten a wait: wait less often, overlap the waits (threads, "
               "asyncio, fewer round trips), or look at what it waits for.");
        break;
    case WORK_IMPORT:
        add(b, "Import heavy packages inside the functions that need them, or only in the "
               "scripts that use them, and drop unused imports; python -X importtime shows "
               "which import is slow.");
        break;
    case WORK_LINALG:
        add(b, "Reuse a factorisation instead of recomputing it (cho_factor or lu_factor once, "
               "then cho_solve or lu_solve), solve systems rather than forming inverses, and "
               "batch many small products into one large one.");
        break;
    case WORK_OPTIMIZE:
        add(b, "Every iteration evaluates the objective, so fewer evaluations pay most: a better "
               "starting point, a looser tolerance or iteration cap (tol, options), and an "
               "analytic gradient (jac=) instead of finite differences.");
        break;
    case WORK_FIT:
        add(b, "Fit on a sample of the data while validating, cap iterations and restarts "
               "(max_iter, n_restarts_optimizer), and reuse a fitted model (warm_start) instead "
               "of refitting an unchanged one.");
        break;
    case WORK_NEURAL:
        add(b, "In CI, train fewer steps or on less data, evaluate under torch.no_grad(), keep "
               "tensors on one device and dtype, and set torch.set_num_threads to the cores the "
               "runner has.");
        break;
    case WORK_PLOT:
        add(b, "Plot fewer points (decimate dense series), lower the dpi of saved figures, "
               "rasterize dense artists (rasterized=True), and close figures when done "
               "(plt.close).");
        break;
    case WORK_JSON:
        add(b, "Avoid encoding or parsing the same data repeatedly (parse once and keep the "
               "objects); if the volume is inherent, a faster parser such as orjson helps.");
        break;
    case WORK_REGEX:
        add(b, "Compile each pattern once (re.compile at module level), anchor patterns and "
               "avoid nested quantifiers, or use str methods where no pattern is needed.");
        break;
    case WORK_IO:
        add(b, "Read each file once and keep the data, write in larger chunks, and store "
               "arrays in a binary format (np.save, np.load) rather than as text.");
        break;
    case WORK_LOGGING:
        add(b, "Pass arguments to the logger instead of formatting messages eagerly, and check "
               "the levels so unread messages aren't built or written.");
        break;
    case WORK_COPY:
        add(b, "Copy or pickle only what changes, and avoid sending the same objects to "
               "workers again and again.");
        break;
    default:
        add(b, "The library is rarely what to change: make fewer, larger calls into it (batch "
               "or vectorise the work) and avoid converting data back and forth.");
        break;
    }
}

void hint_for_line(const line_hint_input *in, int row, hint_memory *mem, char *buf, size_t len) {
    sbuf b = {buf, 0, len};
    if (len) buf[0] = '\0';
    work_kind w = (unsigned)in->work < WORK_COUNT ? in->work : WORK_LIBRARY;
    uint64_t part = in->by_work ? in->by_work[w] : in->samples;
    /* The first sentence carries this line's own numbers and names, so it
     * is never the same as another row's. */
    add(&b, "%d%% of the time of line %d is %s", pct(part, in->samples), in->line,
        w == WORK_OWN ? "spent on the line itself (its bytecode, or built-in and C functions it "
                        "calls directly)"
                      : work_name(w));
    if (w != WORK_OWN && in->callee && in->callee_samples) {
        add(&b, "; the busiest call beneath it is ");
        add_code(&b, in->callee);
        if (in->callee_owner && *in->callee_owner) add(&b, " (%s)", in->callee_owner);
        add(&b, " with %d%%", pct(in->callee_samples, in->samples));
    }
    add(&b, ". ");
    int *first = mem ? &mem->line_row[w] : NULL;
    if (first && *first) {
        add(&b, "The advice for %s under #%d applies to ", work_name(w), *first);
        add_code(&b, in->function);
        add(&b, " line %d as well.", in->line);
    } else {
        line_advice(&b, in);
        if (first) *first = row;
    }
}
