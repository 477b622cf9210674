/* pyattach.c -- finding the interpreter in a target (see pyreader_int.h):
 * which mapped file holds _PyRuntime, its version and build kind, and the
 * struct offsets for them (py_attach, py_detach). */
#include "pyreader_int.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "elfread.h"
#include "objfile.h"
#include "proc.h"

/* ---- small helpers ---- */

static const char *base_name(const char *path) {
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/* "python3.12", "libpython3.12.so.1.0", "libpython3.12d.so" -> 12; else -1 */
static int minor_from_name(const char *path) {
    const char *b = base_name(path), *s = strstr(b, "python3.");
    if (!s) return -1;
    s += strlen("python3.");
    if (*s < '0' || *s > '9') return -1;
    return atoi(s);
}

/* Why a read of the target failed, as a status. */
static py_status read_status(int err) {
    return err == EPERM ? PY_NO_PERMISSION : err == ESRCH ? PY_GONE : PY_ERROR;
}

/* ---- finding the runtime ---- */

/* What the reader takes from the file that defines _PyRuntime, in link-time
 * addresses (0 when the file lacks the symbol): it depends on the file
 * alone, so it is read once per file and run (see runtime_file). */
typedef struct {
    uint64_t serial;            /* objfile_serial of the file; 0: slot unused */
    uint64_t runtime;           /* 0: not an interpreter (the rest unset) */
    uint64_t first_load, code_type, func_type, str_type;
    uint64_t next_func_version; /* 3.12, unstripped (pyreader_int.h, code_counter) */
    uint64_t statics_lo, statics_hi;
    bool debug;
    int minor;                  /* -1: could not be told */
    uint32_t hexversion;
    char version[32];
} runtime_facts;

/* The minor version of the interpreter in e (path), its full version in
 * f->version; -1 when it cannot be told. Py_Version (3.11+) is exact;
 * before, the version string in the binary, else the file name. */
static int read_version(runtime_facts *f, const elf_file *e, uint64_t pyver,
                        const char *path) {
    uint32_t hex = 0;
    int minor = -1;
    if (pyver && elf_read_vaddr(e, pyver, &hex, sizeof hex) == 0 && (hex >> 24) == 3) {
        static const char *levels[16] = {[0xA] = "a", [0xB] = "b", [0xC] = "rc"};
        unsigned level = (hex >> 4) & 0xF;
        minor = (int)((hex >> 16) & 0xFF);
        int n = snprintf(f->version, sizeof f->version, "3.%d.%u", minor, (hex >> 8) & 0xFF);
        if (levels[level] && n > 0 && (size_t)n < sizeof f->version)
            snprintf(f->version + n, sizeof f->version - (size_t)n, "%s%u",
                     levels[level], hex & 0xF);
        f->hexversion = hex;
    } else {
        int hint = minor_from_name(path);
        if (elf_python_version(e, hint, f->version, sizeof f->version) == 0)
            minor = atoi(f->version + 2);
        else if (hint >= 0)
            minor = hint, snprintf(f->version, sizeof f->version, "3.%d", hint);
    }
    return minor;
}

/* Reads f from the ELF file e (path), in one pass over its symbols. */
static void read_facts(runtime_facts *f, const elf_file *e, const char *path) {
    enum { RUNTIME, CODE, FUNC, STR, VERSION, GLOBAL_REFS, REF_TOTAL, NEXT_FUNC, N };
    static const char *const names[N] = {
        [RUNTIME] = "_PyRuntime", [CODE] = "PyCode_Type", [FUNC] = "PyFunction_Type",
        [STR] = "PyUnicode_Type", [VERSION] = "Py_Version",
        [GLOBAL_REFS] = "_Py_GetGlobalRefTotal", [REF_TOTAL] = "_Py_RefTotal",
        [NEXT_FUNC] = "_Py_next_func_version"};
    uint64_t v[N];
    elf_symbols(e, names, v, N);
    f->runtime = v[RUNTIME];
    if (!f->runtime) return;
    f->first_load = elf_first_load_vaddr(e);
    f->code_type = v[CODE];
    f->func_type = v[FUNC];
    f->str_type = v[STR];
    /* Py_DEBUG implies Py_REF_DEBUG, whose global reference total
     * only such a build exports (3.12+ / up to 3.11). */
    f->debug = v[GLOBAL_REFS] || v[REF_TOTAL];
    if (elf_writable_span(e, &f->statics_lo, &f->statics_hi)) f->statics_lo = f->statics_hi = 0;
    f->minor = read_version(f, e, v[VERSION], path);
    f->next_func_version = f->minor == 12 ? v[NEXT_FUNC] : 0;
}

/* The facts of the file at path, read once per file and run: every worker
 * of a pool usually runs one interpreter (objfile.h). Slots are reused round
 * robin; there are enough that the executables of other programs a script
 * runs (each checked for a runtime while young) do not push the
 * interpreters out. The sampler has one thread. NULL when the file cannot
 * be read. */
static const runtime_facts *runtime_file(const char *path) {
    static runtime_facts cache[32];
    static unsigned next;
    const objfile *file = objfile_get(path);
    if (!file) return NULL;
    uint64_t serial = objfile_serial(file);
    for (size_t i = 0; i < sizeof cache / sizeof cache[0]; i++)
        if (cache[i].serial == serial) return &cache[i];
    runtime_facts *f = &cache[next++ % (sizeof cache / sizeof cache[0])];
    *f = (runtime_facts){.serial = serial};
    read_facts(f, objfile_elf(file), path);
    return f;
}

/* Takes what the reader needs from f, the facts of the file at path:
 * addresses relocated by where the target mapped it, the build kind, the
 * version. 0, or -1 (err set). */
static int use_runtime(py_process *pp, const runtime_facts *f, const proc_maps *maps,
                       const char *path, char *err, size_t errlen) {
    uint64_t bias = proc_maps_base(maps, path) - f->first_load;
    pp->runtime = f->runtime + bias;
    pp->code_type = f->code_type ? f->code_type + bias : 0;
    if (f->debug) pp->build = PY_BUILD_DEBUG;
    pp->func_type = f->func_type ? f->func_type + bias : 0;
    pp->str_type = f->str_type ? f->str_type + bias : 0;
    if (f->statics_lo + bias < f->statics_hi + bias)
        pp->statics = (static_span){f->statics_lo + bias, f->statics_hi + bias};
    if (f->minor < 0) {
        snprintf(err, errlen, "found _PyRuntime in %s but could not tell its Python version",
                 path);
        return -1;
    }
    pp->minor = f->minor;
    pp->hexversion = f->hexversion;
    snprintf(pp->version, sizeof pp->version, "%s", f->version);
    pp->cc.global = f->next_func_version ? f->next_func_version + bias : 0;
    return (pp->binary = strdup(path)) ? 0 : -1;
}

/* Finds the file defining _PyRuntime among the target's mappings. 0 when
 * found, 1 when there is none (not Python), -1 on an error (err set). */
static int find_runtime(py_process *pp, const proc_maps *maps, char *err, size_t errlen) {
    char exe[4096];
    proc_exe(pp->pid, exe, sizeof exe);   /* "" when unreadable: then only python-named files */
    /* Try libpython first: when present it is the one holding the runtime. */
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < maps->n; i++) {
            const char *path = maps->maps[i].path;
            if (!path || maps->maps[i].offset != 0) continue;
            int is_lib = strstr(base_name(path), "libpython") != NULL;
            if (pass == 0 ? !is_lib : is_lib) continue;
            /* Any python-named file, or the executable itself (a renamed
             * interpreter); scanning every shared library would be slow. */
            if (pass == 1 && !strstr(base_name(path), "python") && strcmp(path, exe)) continue;
            const runtime_facts *f = runtime_file(path);
            if (f && f->runtime) return use_runtime(pp, f, maps, path, err, errlen);
        }
    }
    snprintf(err, errlen, "no Python interpreter (_PyRuntime) in the process's mappings");
    return 1;
}

/* Picks the offsets table for the target's version and build kind. From
 * 3.13 the _Py_DebugOffsets block at the start of _PyRuntime says whether
 * the build is free-threaded (its object header is larger: ob_tid, biased
 * reference counts) and is left in debug[0..*dlen) for pyoffsets_resolve().
 * NULL with status and err set when there is none. */
static const py_layout *select_table(py_process *pp, uint8_t *debug, size_t cap, size_t *dlen,
                                     py_status *status, char *err, size_t errlen) {
    const py_layout *table = pp->minor >= 8 ? pyoffsets_table(pp->minor, pp->build) : NULL;
    *dlen = 0;
    if (table && table->debug_offsets_size) {
        *dlen = table->debug_offsets_size < cap ? table->debug_offsets_size : cap;
        if (proc_read(pp->pid, pp->runtime, debug, *dlen)) {
            *status = read_status(errno);
            snprintf(err, errlen, "cannot read the target's memory: %s", strerror(errno));
            return NULL;
        }
        if (pyoffsets_block_free_threaded(table, debug, *dlen) == 1) {
            pp->build = PY_BUILD_FREE_THREADED;
            table = pyoffsets_table(pp->minor, PY_BUILD_FREE_THREADED);
        }
    }
    if (!table) {
        char have[160];
        pyoffsets_supported(have, sizeof have);
        snprintf(err, errlen, "Python %s%s is not supported (supported: %s)", pp->version,
                 pp->build == PY_BUILD_FREE_THREADED ? " (free-threaded build)" : "", have);
        *status = PY_UNSUPPORTED;
    }
    return table;
}

/* ---- attaching ---- */

/* The runtime's file, from the target's mappings. */
static py_status locate(py_process *pp, char *err, size_t errlen) {
    proc_maps maps;
    if (proc_maps_read(pp->pid, &maps)) {
        int e = errno;
        snprintf(err, errlen, "cannot read /proc/%d/maps: %s", (int)pp->pid, strerror(e));
        return e == ENOENT || e == ESRCH ? PY_GONE
             : e == EACCES || e == EPERM ? PY_NO_PERMISSION : PY_ERROR;
    }
    int rc = find_runtime(pp, &maps, err, errlen);
    proc_maps_free(&maps);
    return rc > 0 ? PY_NOT_PYTHON : rc < 0 ? PY_ERROR : PY_OK;
}

/* Every step of py_attach after the allocation; PY_OK or why it failed. */
static py_status attach_steps(py_process *pp, char *err, size_t errlen) {
    py_status st = locate(pp, err, errlen);
    if (st != PY_OK) return st;
    uint8_t debug[4096];
    size_t dlen = 0;
    const py_layout *table = select_table(pp, debug, sizeof debug, &dlen, &st, err, errlen);
    if (!table) return st;
    if (pyoffsets_resolve(table, dlen ? debug : NULL, dlen, pp->hexversion, &pp->off, err, errlen))
        /* Before the runtime initialises, the block is still zero. */
        return dlen && memcmp(debug, "xdebugpy", 8) ? PY_NOT_READY : PY_UNSUPPORTED;
    uint64_t head = 0;
    if (proc_read(pp->pid, pp->runtime + pp->off.runtime_interpreters_head, &head, sizeof head)) {
        int e = errno;
        snprintf(err, errlen, "cannot read the target's memory: %s", strerror(e));
        return read_status(e);
    }
    if (!head) {
        snprintf(err, errlen, "Python %s has not initialised yet", pp->version);
        return PY_NOT_READY;
    }
    pp->iframe_need = pywalk_iframe_need(pp);
    pp->cc.off = pp->off.interp_code_counter;
    pp->cc.width = pp->minor >= 14 ? 8 : 4;
    pp->cc.zero_stuck = pp->minor <= 13;
    pp->names = pynames_new(pp->pid, &pp->off, pp->minor, pp->str_type, pp->func_type,
                           pp->statics);
    if (pycode_init(pp) || !pp->names) {
        snprintf(err, errlen, "out of memory");
        return PY_ERROR;
    }
    return PY_OK;
}

py_process *py_attach(pid_t pid, py_status *status, char *err, size_t errlen) {
    err[0] = '\0';
    py_process *pp = calloc(1, sizeof *pp);
    if (!pp) {
        *status = PY_ERROR;
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    pp->pid = pid;
    pp->pthread_tid_off = -1;
    *status = attach_steps(pp, err, errlen);
    if (*status == PY_OK) return pp;
    py_detach(pp);
    return NULL;
}

void py_detach(py_process *pp) {
    if (!pp) return;
    pycode_free(pp);
    chain_free(pp->chain);
    pynames_free(pp->names);
    free(pp->tids);
    free(pp->binary);
    free(pp);
}

const char *py_version(const py_process *pp) { return pp->version; }
const char *py_binary(const py_process *pp) { return pp->binary; }
const char *py_build_name(const py_process *pp) { return pyoffsets_build_name(pp->build); }
uint32_t py_cache_epoch(const py_process *pp) { return pp->epoch; }
