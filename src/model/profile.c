/* profile.c -- interned frames and stacks with counts. See profile.h. */
#include "profile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"

/* Open-addressing table of indices; slot value 0 means empty, else index+1.
 * Kept at most half full so probes stay short on the sampler's hot path. */
typedef struct {
    uint32_t *slots;
    size_t cap;     /* power of two */
    size_t used;
} index_table;

struct profile {
    prof_meta meta;
    prof_counters counters;
    prof_frame *frames;
    size_t nframes, capframes;
    uint64_t *frame_hash;
    index_table frame_index;
    prof_thread *threads;
    size_t nthreads, capthreads;
    prof_process *procs;
    size_t nprocs, capprocs;
    prof_stack *stacks;
    size_t nstacks, capstacks;
    uint64_t *stack_hash;
    index_table stack_index;
    uint64_t total;
    /* The function table, built on first use: see prof_functions(). */
    prof_functable *ft;
    size_t ft_nframes;       /* frames it was built for */
    bool ft_stale;           /* metadata or frames changed since */
};

prof_functable *prof_functable_build(const profile *p);
void prof_functable_free(prof_functable *t);

const prof_functable *prof_functions(const profile *cp) {
    /* A cache: logically the profile does not change. */
    profile *p = (profile *)cp;
    if (p->ft && !p->ft_stale && p->ft_nframes == p->nframes) return p->ft;
    prof_functable_free(p->ft);
    p->ft = prof_functable_build(p);
    p->ft_nframes = p->nframes;
    p->ft_stale = false;
    return p->ft;
}

static uint64_t hash_bytes(uint64_t h, const void *data, size_t len) {
    const unsigned char *b = data;
    for (size_t i = 0; i < len; i++) {
        h ^= b[i];
        h *= 0x100000001b3ULL;  /* FNV-1a: simple, good enough for interning */
    }
    return h;
}

static uint64_t hash_str(uint64_t h, const char *s) {
    return hash_bytes(h, s ? s : "", s ? strlen(s) + 1 : 1);
}

static int grow_array(void **arr, size_t *cap, size_t need, size_t elem) {
    if (need <= *cap) return 0;
    size_t ncap = *cap ? *cap * 2 : 16;
    while (ncap < need) ncap *= 2;
    void *n = realloc(*arr, ncap * elem);
    if (!n) return -1;
    *arr = n;
    *cap = ncap;
    return 0;
}

static int table_grow(index_table *t, const uint64_t *hashes, size_t n) {
    size_t ncap = t->cap ? t->cap * 2 : 256;
    uint32_t *ns = calloc(ncap, sizeof *ns);
    if (!ns) return -1;
    for (size_t i = 0; i < n; i++) {
        size_t pos = hashes[i] & (ncap - 1);
        while (ns[pos]) pos = (pos + 1) & (ncap - 1);
        ns[pos] = (uint32_t)i + 1;
    }
    free(t->slots);
    t->slots = ns;
    t->cap = ncap;
    t->used = n;
    return 0;
}

profile *prof_new(void) {
    profile *p = calloc(1, sizeof *p);
    if (p) {
        p->meta.exit_status = -1;
        p->meta.other_load = -1;
    }
    return p;
}

static void free_meta(prof_meta *m) {
    char **strs[] = {&m->csprof_version, &m->csprof_commit, &m->name, &m->script,
                     &m->python_version, &m->interpreter, &m->python_build, &m->cwd,
                     &m->workspace, &m->git_commit, &m->start_time, &m->note, &m->git_branch,
                     &m->ci_run, &m->ci_run_url, &m->runner_cpu};
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++) free(*strs[i]);
    if (m->argv)
        for (int i = 0; i < m->argc; i++) free(m->argv[i]);
    free(m->argv);
}

void prof_free(profile *p) {
    if (!p) return;
    free_meta(&p->meta);
    for (size_t i = 0; i < p->nframes; i++) {
        free(p->frames[i].function);
        free(p->frames[i].file);
        free(p->frames[i].module);
    }
    free(p->frames);
    free(p->frame_hash);
    free(p->frame_index.slots);
    for (size_t i = 0; i < p->nthreads; i++) free(p->threads[i].name);
    free(p->threads);
    for (size_t i = 0; i < p->nprocs; i++) {
        free(p->procs[i].command);
        free(p->procs[i].python_version);
    }
    free(p->procs);
    for (size_t i = 0; i < p->nstacks; i++) free(p->stacks[i].frames);
    free(p->stacks);
    free(p->stack_hash);
    free(p->stack_index.slots);
    prof_functable_free(p->ft);
    free(p);
}

prof_meta *prof_meta_of(profile *p) {
    p->ft_stale = true;   /* the workspace decides kinds and paths */
    return &p->meta;
}
const prof_meta *prof_meta_get(const profile *p) { return &p->meta; }
prof_counters *prof_counters_of(profile *p) { return &p->counters; }

int prof_set_str(char **dst, const char *src) {
    char *copy = NULL;
    if (src && !(copy = strdup(src))) return -1;
    free(*dst);
    *dst = copy;
    return 0;
}

int prof_set_argv(profile *p, int argc, char *const *argv) {
    char **v = calloc((size_t)argc + 1, sizeof *v);
    if (!v) return -1;
    for (int i = 0; i < argc; i++) {
        if (!(v[i] = strdup(argv[i]))) {
            while (i--) free(v[i]);
            free(v);
            return -1;
        }
    }
    if (p->meta.argv)
        for (int i = 0; i < p->meta.argc; i++) free(p->meta.argv[i]);
    free(p->meta.argv);
    p->meta.argv = v;
    p->meta.argc = argc;
    return 0;
}

static bool str_eq(const char *a, const char *b) {
    if (!a || !b) return a == b;
    return strcmp(a, b) == 0;
}

int prof_intern_frame(profile *p, const char *function, const char *file,
                      int line, int first_line, frame_type type) {
    prof_frame f = {(char *)function, (char *)file, line, first_line, type, NULL, false};
    return prof_intern(p, &f);
}

static uint64_t frame_hash(const prof_frame *f) {
    uint64_t h = 0xcbf29ce484222325ULL;
    h = hash_str(h, f->function);
    h = hash_str(h, f->file);
    int ints[3] = {f->line, f->first_line, (int)f->type};
    h = hash_bytes(h, ints, sizeof ints);
    /* Only frames that have them hash them: old hashes stay as they were. */
    if (f->module) h = hash_str(h, f->module);
    if (f->import) h = hash_bytes(h, "i", 1);
    return h;
}

static bool frame_eq(const prof_frame *a, const prof_frame *b) {
    return a->line == b->line && a->first_line == b->first_line && a->type == b->type &&
           a->import == b->import && str_eq(a->function, b->function) &&
           str_eq(a->file, b->file) && str_eq(a->module, b->module);
}

int prof_intern(profile *p, const prof_frame *key) {
    uint64_t h = frame_hash(key);
    if (p->frame_index.cap) {
        size_t mask = p->frame_index.cap - 1;
        for (size_t pos = h & mask; p->frame_index.slots[pos]; pos = (pos + 1) & mask) {
            uint32_t i = p->frame_index.slots[pos] - 1;
            if (p->frame_hash[i] == h && frame_eq(&p->frames[i], key)) return (int)i;
        }
    }
    if (p->nframes >= INT32_MAX - 1) return -1;
    size_t oldcap = p->capframes;
    if (grow_array((void **)&p->frames, &p->capframes, p->nframes + 1, sizeof *p->frames))
        return -1;
    if (p->capframes != oldcap || !p->frame_hash) {
        /* Only when the arrays grow: a realloc per frame would make big
         * profiles quadratic under allocators that always copy. */
        uint64_t *nh = realloc(p->frame_hash, p->capframes * sizeof *nh);
        if (!nh) return -1;
        p->frame_hash = nh;
    }
    prof_frame f = {.line = key->line, .first_line = key->first_line, .type = key->type,
                    .import = key->import};
    if ((key->function && !(f.function = strdup(key->function))) ||
        (key->file && !(f.file = strdup(key->file))) ||
        (key->module && !(f.module = strdup(key->module)))) {
        free(f.function);
        free(f.file);
        return -1;
    }
    size_t idx = p->nframes;
    p->frames[idx] = f;
    p->frame_hash[idx] = h;
    p->nframes++;
    if ((p->frame_index.used + 1) * 2 > p->frame_index.cap) {
        if (table_grow(&p->frame_index, p->frame_hash, p->nframes)) {
            p->nframes--;
            free(f.function);
            free(f.file);
            free(f.module);
            return -1;
        }
    } else {
        size_t mask = p->frame_index.cap - 1, pos = h & mask;
        while (p->frame_index.slots[pos]) pos = (pos + 1) & mask;
        p->frame_index.slots[pos] = (uint32_t)idx + 1;
        p->frame_index.used++;
    }
    return (int)idx;
}

int prof_add_thread(profile *p, int pid, int tid, const char *name) {
    for (size_t i = 0; i < p->nthreads; i++) {
        if (p->threads[i].pid == pid && p->threads[i].tid == tid) {
            if (name && !str_eq(p->threads[i].name, name) &&
                prof_set_str(&p->threads[i].name, name))
                return -1;
            return (int)i;
        }
    }
    if (grow_array((void **)&p->threads, &p->capthreads, p->nthreads + 1, sizeof *p->threads))
        return -1;
    prof_thread t = {.pid = pid, .tid = tid};
    if (name && !(t.name = strdup(name))) return -1;
    p->threads[p->nthreads] = t;
    return (int)p->nthreads++;
}

int prof_add_process(profile *p, int pid, int ppid, const char *command,
                     const char *python_version) {
    for (size_t i = 0; i < p->nprocs; i++) {
        if (p->procs[i].pid != pid) continue;
        /* Seen again after an exec: the label is the command it runs now. */
        if (command && prof_set_str(&p->procs[i].command, command)) return -1;
        if (python_version && prof_set_str(&p->procs[i].python_version, python_version)) return -1;
        return (int)i;
    }
    if (grow_array((void **)&p->procs, &p->capprocs, p->nprocs + 1, sizeof *p->procs))
        return -1;
    prof_process pr = {.pid = pid, .ppid = ppid};
    if ((command && !(pr.command = strdup(command))) ||
        (python_version && !(pr.python_version = strdup(python_version)))) {
        free(pr.command);
        return -1;
    }
    p->procs[p->nprocs] = pr;
    return (int)p->nprocs++;
}

static uint64_t stack_key_hash(uint32_t thread, bool idle, const uint32_t *frames,
                               uint32_t depth) {
    uint64_t h = 0xcbf29ce484222325ULL;
    uint32_t head[2] = {thread, idle};
    h = hash_bytes(h, head, sizeof head);
    return hash_bytes(h, frames, depth * sizeof *frames);
}

int prof_add_stack(profile *p, uint32_t thread, bool idle, const uint32_t *frames,
                   uint32_t depth, uint64_t count) {
    uint64_t h = stack_key_hash(thread, idle, frames, depth);
    if (p->stack_index.cap) {
        size_t mask = p->stack_index.cap - 1;
        for (size_t pos = h & mask; p->stack_index.slots[pos]; pos = (pos + 1) & mask) {
            uint32_t i = p->stack_index.slots[pos] - 1;
            prof_stack *s = &p->stacks[i];
            if (p->stack_hash[i] == h && s->thread == thread && s->idle == idle &&
                s->depth == depth &&
                (depth == 0 || memcmp(s->frames, frames, depth * sizeof *frames) == 0)) {
                s->count += count;
                p->total += count;
                return (int)i;
            }
        }
    }
    if (p->nstacks >= INT32_MAX - 1) return -1;
    size_t oldcap = p->capstacks;
    if (grow_array((void **)&p->stacks, &p->capstacks, p->nstacks + 1, sizeof *p->stacks))
        return -1;
    if (p->capstacks != oldcap || !p->stack_hash) {
        uint64_t *nh = realloc(p->stack_hash, p->capstacks * sizeof *nh);
        if (!nh) return -1;
        p->stack_hash = nh;
    }
    uint32_t *copy = malloc((depth ? depth : 1) * sizeof *copy);
    if (!copy) return -1;
    if (depth) memcpy(copy, frames, depth * sizeof *frames);
    size_t idx = p->nstacks;
    p->stacks[idx] = (prof_stack){.thread = thread, .idle = idle, .depth = depth,
                                  .frames = copy, .count = count};
    p->stack_hash[idx] = h;
    p->nstacks++;
    if ((p->stack_index.used + 1) * 2 > p->stack_index.cap) {
        if (table_grow(&p->stack_index, p->stack_hash, p->nstacks)) {
            p->nstacks--;
            free(copy);
            return -1;
        }
    } else {
        size_t mask = p->stack_index.cap - 1, pos = h & mask;
        while (p->stack_index.slots[pos]) pos = (pos + 1) & mask;
        p->stack_index.slots[pos] = (uint32_t)idx + 1;
        p->stack_index.used++;
    }
    p->total += count;
    return (int)idx;
}

size_t prof_nframes(const profile *p) { return p->nframes; }
size_t prof_nthreads(const profile *p) { return p->nthreads; }
size_t prof_nprocesses(const profile *p) { return p->nprocs; }
size_t prof_nstacks(const profile *p) { return p->nstacks; }
const prof_frame *prof_frame_at(const profile *p, size_t i) {
    return i < p->nframes ? &p->frames[i] : NULL;
}
const prof_thread *prof_thread_at(const profile *p, size_t i) {
    return i < p->nthreads ? &p->threads[i] : NULL;
}
const prof_process *prof_process_at(const profile *p, size_t i) {
    return i < p->nprocs ? &p->procs[i] : NULL;
}
const prof_stack *prof_stack_at(const profile *p, size_t i) {
    return i < p->nstacks ? &p->stacks[i] : NULL;
}
uint64_t prof_total_samples(const profile *p) { return p->total; }

double prof_beside_every(const profile *p) {
    const prof_counters *c = &p->counters;
    /* Rounds of one tick are ticks - beside; the rest of the rounds stood
     * for the beside ticks, every of them each (sampler.h, placement). */
    double ticks = (double)c->ticks, beside = (double)c->beside, rounds = (double)c->rounds;
    if (!(ticks > 0) || !(beside > 0) || beside > ticks || !(rounds > ticks - beside)) return 1.0;
    double every = beside / (rounds - (ticks - beside));
    return every > 1 ? every : 1.0;
}

double prof_design_effect(const profile *p) {
    const prof_counters *c = &p->counters;
    double every = prof_beside_every(p);
    if (!(every > 1)) return 1.0;
    double ticks = (double)c->ticks, beside = (double)c->beside;
    double d = (ticks - beside + beside * every) / ticks;
    return d > 1e6 ? 1e6 : d;
}

double prof_seconds_per_sample(const profile *p) {
    if (p->meta.interval_seconds > 0) return p->meta.interval_seconds;
    if (p->meta.rate_hz > 0) return 1.0 / p->meta.rate_hz;
    return 0.001;
}

/* ---- per-function statistics ---- */

typedef struct {
    uint32_t func;   /* function id (index into the funcs array) */
} frame_func;

static int func_cmp(const void *a, const void *b) {
    const prof_func_stat *x = a, *y = b;
    if (x->self != y->self) return x->self < y->self ? 1 : -1;
    if (x->total != y->total) return x->total < y->total ? 1 : -1;
    int c = strcmp(x->function ? x->function : "", y->function ? y->function : "");
    if (c) return c;
    c = strcmp(x->file ? x->file : "", y->file ? y->file : "");
    if (c) return c;
    return x->first_line - y->first_line;
}

/* Line histogram entry for one function, so hot_line can be picked. */
typedef struct {
    uint32_t func;
    int line;
    uint64_t self, total;
} line_count;

static int line_cmp(const void *a, const void *b) {
    const line_count *x = a, *y = b;
    if (x->func != y->func) return x->func < y->func ? -1 : 1;
    return (x->line > y->line) - (x->line < y->line);
}

long prof_function_stats(const profile *p, prof_func_stat **out) {
    *out = NULL;
    uint32_t *func_of = malloc((p->nframes ? p->nframes : 1) * sizeof *func_of);
    prof_func_stat *funcs = calloc(p->nframes ? p->nframes : 1, sizeof *funcs);
    uint64_t *seen = calloc(p->nframes ? p->nframes : 1, sizeof *seen);
    line_count *lines = calloc(p->nframes ? p->nframes : 1, sizeof *lines);
    long nfuncs = 0;
    if (!func_of || !funcs || !seen || !lines) goto oom;

    /* One function per entry of the function table: its identity rule. */
    const prof_functable *ft = prof_functions(p);
    if (!ft) goto oom;
    for (size_t i = 0; i < p->nframes; i++) {
        func_of[i] = prof_func_of(ft, i);
        if (func_of[i] == UINT32_MAX) continue;
        const prof_func *fn = prof_func_at(ft, func_of[i]);
        funcs[func_of[i]] = (prof_func_stat){.function = fn->name, .file = fn->file,
                                             .first_line = fn->first_line, .type = fn->type,
                                             .func = func_of[i]};
        lines[i] = (line_count){.func = func_of[i], .line = p->frames[i].line};
    }
    nfuncs = (long)prof_nfuncs(ft);

    /* seen[func] holds the stack index+1 that last counted it, so recursion
     * contributes to total once per stack. */
    for (size_t s = 0; s < p->nstacks; s++) {
        const prof_stack *st = &p->stacks[s];
        for (uint32_t d = 0; d < st->depth; d++) {
            uint32_t fr = st->frames[d];
            if (fr >= p->nframes || func_of[fr] == UINT32_MAX) continue;
            uint32_t fn = func_of[fr];
            if (seen[fn] != s + 1) {
                seen[fn] = s + 1;
                funcs[fn].total += st->count;
                lines[fr].total += st->count;
            }
        }
        /* The leaf is the deepest non-synthetic frame. */
        for (uint32_t d = st->depth; d-- > 0;) {
            uint32_t fr = st->frames[d];
            if (fr >= p->nframes || func_of[fr] == UINT32_MAX) continue;
            funcs[func_of[fr]].self += st->count;
            lines[fr].self += st->count;
            break;
        }
    }
    /* Hot line: merge frame entries by (func, line), then pick the best. */
    size_t nl = 0;
    for (size_t i = 0; i < p->nframes; i++)
        if (func_of[i] != UINT32_MAX) lines[nl++] = lines[i];
    qsort(lines, nl, sizeof *lines, line_cmp);
    for (size_t i = 0; i < nl;) {
        size_t j = i;
        uint64_t self = 0, total = 0;
        while (j < nl && lines[j].func == lines[i].func && lines[j].line == lines[i].line) {
            self += lines[j].self;
            total += lines[j].total;
            j++;
        }
        prof_func_stat *fs = &funcs[lines[i].func];
        uint64_t score = fs->self ? self : total;
        if (fs->hot_line == 0 || score > fs->hot_line_samples) {
            fs->hot_line = lines[i].line;
            fs->hot_line_samples = score;
        }
        i = j;
    }
    qsort(funcs, (size_t)nfuncs, sizeof *funcs, func_cmp);
    free(func_of);
    free(seen);
    free(lines);
    *out = funcs;
    return nfuncs;
oom:
    free(func_of);
    free(funcs);
    free(seen);
    free(lines);
    return -1;
}

/* ---- synthetic roots ---- */

static int root_frame(profile *p, const char *label) {
    return prof_intern_frame(p, label, NULL, 0, 0,
                             label[0] == 'p' ? FRAME_PROCESS : FRAME_THREAD);
}

/* Detaches the stacks so that they can be added again, rewritten. */
static prof_stack *take_stacks(profile *p, size_t *n) {
    prof_stack *old = p->stacks;
    *n = p->nstacks;
    p->stacks = NULL;
    p->nstacks = p->capstacks = 0;
    free(p->stack_hash);
    p->stack_hash = NULL;
    free(p->stack_index.slots);
    p->stack_index = (index_table){0};
    p->total = 0;
    return old;
}

int prof_add_roots(profile *p, bool by_process, bool by_thread) {
    if (!by_process && !by_thread) return 0;
    size_t nold;
    prof_stack *old = take_stacks(p, &nold);
    int rc = 0;
    char label[512];
    uint32_t *buf = NULL;
    size_t bufcap = 0;
    for (size_t i = 0; i < nold && rc == 0; i++) {
        prof_stack *s = &old[i];
        uint32_t roots[2];
        int nroots = 0;
        const prof_thread *t = s->thread < p->nthreads ? &p->threads[s->thread] : NULL;
        if (by_process && t) {
            const char *cmd = "";
            for (size_t k = 0; k < p->nprocs; k++)
                if (p->procs[k].pid == t->pid && p->procs[k].command) cmd = p->procs[k].command;
            snprintf(label, sizeof label, "process %d (%.400s)", t->pid, cmd);
            int fr = root_frame(p, label);
            if (fr < 0) { rc = -1; break; }
            roots[nroots++] = (uint32_t)fr;
        }
        if (by_thread && t) {
            snprintf(label, sizeof label, "thread %d (%.400s)", t->tid,
                     t->name ? t->name : "?");
            int fr = root_frame(p, label);
            if (fr < 0) { rc = -1; break; }
            roots[nroots++] = (uint32_t)fr;
        }
        size_t need = s->depth + (size_t)nroots;
        if (need > bufcap) {
            uint32_t *nb = realloc(buf, need * sizeof *nb);
            if (!nb) { rc = -1; break; }
            buf = nb;
            bufcap = need;
        }
        memcpy(buf, roots, (size_t)nroots * sizeof *buf);
        if (s->depth) memcpy(buf + nroots, s->frames, s->depth * sizeof *buf);
        if (prof_add_stack(p, s->thread, s->idle, buf, (uint32_t)need, s->count) < 0) rc = -1;
    }
    free(buf);
    for (size_t i = 0; i < nold; i++) free(old[i].frames);
    free(old);
    return rc;
}

/* ---- import frames ---- */

/* Builds an index table over n hashes, sized for them. */
static int index_rebuild(index_table *t, const uint64_t *hashes, size_t n) {
    size_t cap = 256;
    while (cap < 2 * (n + 1)) cap *= 2;
    free(t->slots);
    *t = (index_table){.cap = cap / 2};  /* table_grow doubles it */
    return table_grow(t, hashes, n);
}

/* Removes the frames no stack uses (the machinery absorbed into imports), so
 * that every report sees only frames that carry samples. */
static int drop_unused_frames(profile *p) {
    uint32_t *remap = malloc((p->nframes ? p->nframes : 1) * sizeof *remap);
    if (!remap) return -1;
    for (size_t i = 0; i < p->nframes; i++) remap[i] = UINT32_MAX;
    for (size_t s = 0; s < p->nstacks; s++)
        for (uint32_t d = 0; d < p->stacks[s].depth; d++) remap[p->stacks[s].frames[d]] = 0;
    size_t k = 0;
    for (size_t i = 0; i < p->nframes; i++) {
        if (remap[i] == UINT32_MAX) {
            free(p->frames[i].function);
            free(p->frames[i].file);
            free(p->frames[i].module);
            continue;
        }
        remap[i] = (uint32_t)k;
        p->frames[k] = p->frames[i];
        p->frame_hash[k++] = p->frame_hash[i];
    }
    p->nframes = k;
    p->ft_stale = true;
    for (size_t s = 0; s < p->nstacks; s++) {
        prof_stack *st = &p->stacks[s];
        for (uint32_t d = 0; d < st->depth; d++) st->frames[d] = remap[st->frames[d]];
        p->stack_hash[s] = stack_key_hash(st->thread, st->idle, st->frames, st->depth);
    }
    free(remap);
    if (index_rebuild(&p->frame_index, p->frame_hash, p->nframes) ||
        index_rebuild(&p->stack_index, p->stack_hash, p->nstacks))
        return -1;
    return 0;
}

/* role[i]: -1 not machinery, -2 machinery, else the import frame to use. */
static int import_roles(profile *p, int32_t *role, size_t n, bool *any) {
    *any = false;
    for (size_t i = 0; i < n; i++) {
        const prof_frame *f = &p->frames[i];
        role[i] = -1;
        if (f->type != FRAME_PYTHON || !classify_importlib_file(f->file)) continue;
        role[i] = -2;
        if (!f->import) continue;
        /* Where in _find_and_load it was is no one's business: one frame per import. */
        prof_frame key = *f;
        key.line = key.first_line = 0;
        int idx = prof_intern(p, &key);   /* may move p->frames */
        if (idx < 0) return -1;
        role[i] = idx;
        *any = true;
    }
    return 0;
}

/* Rewrites frames[0..depth) into out (root first); returns the new depth. */
static uint32_t collapse_stack(const int32_t *role, const uint32_t *frames, uint32_t depth,
                               uint32_t *out) {
    uint32_t n = 0, run_start = 0;
    bool in_run = false, has_import = false;
    for (uint32_t d = 0; d < depth; d++) {
        int32_t r = role[frames[d]];
        if (r == -1) {
            in_run = has_import = false;
            out[n++] = frames[d];
            continue;
        }
        if (!in_run) {
            in_run = true;
            run_start = n;
        }
        if (r >= 0) {
            if (!has_import) n = run_start;   /* the frames leading to the first import */
            has_import = true;
            out[n++] = (uint32_t)r;
        } else if (!has_import) {
            out[n++] = frames[d];             /* kept unless an import follows */
        }
    }
    return n;
}

int prof_collapse_imports(profile *p) {
    size_t nf = p->nframes;
    int32_t *role = malloc((nf ? nf : 1) * sizeof *role);
    if (!role) return -1;
    bool any;
    if (import_roles(p, role, nf, &any) || !any) {
        free(role);
        return any ? -1 : 0;
    }
    size_t nold;
    prof_stack *old = take_stacks(p, &nold);
    int rc = 0;
    for (size_t i = 0; i < nold; i++) {
        prof_stack *s = &old[i];
        if (rc == 0) {
            uint32_t depth = collapse_stack(role, s->frames, s->depth, s->frames);
            if (prof_add_stack(p, s->thread, s->idle, s->frames, depth, s->count) < 0) rc = -1;
        }
        free(s->frames);
    }
    free(old);
    free(role);
    return rc ? rc : drop_unused_frames(p);
}
