/* sampler_targets.c -- the sampler's process table (see sampler_int.h):
 * the processes followed (the root and, with --subprocesses, its
 * descendants), found through their children files or a scan of /proc;
 * attaching to each once it runs Python, and noticing exec and exit. */
#include "sampler_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proc.h"

/* A new child is first attached once it is this old: a fork that is about
 * to exec (subprocess) is then usually past the exec, and not attached twice. */
#define SETTLE_NS 5000000LL
/* A process is checked for Python at every refresh while it is this young
 * (libpython is mapped, and the runtime initialised, after the exec); later
 * only when its executable changes. */
#define YOUNG_NS 3000000000LL
/* A dynamically linked program has its libraries mapped by the loader
 * before its main runs: milliseconds after the exec, a few tens on a busy
 * machine. */
#define LINKED_NS 50000000LL

static void thread_entry_free(thread_entry *e) {
    proc_thread_files_close(&e->files);
    if (e->children_fd >= 0) close(e->children_fd);
    free(e->last_keys);
    free(e->last_frames);
}

void target_free(target *t) {
    native_free(t->nu);   /* after target_native_account() took its numbers */
    free(t->nmap.slots);
    py_detach(t->py);
    free(t->fmap.slots);
    for (size_t i = 0; i < t->nthreads; i++) thread_entry_free(&t->threads[i]);
    free(t->threads);
    if (t->children_fd >= 0) close(t->children_fd);
}

static void native_attach(sampler *s, target *t) {
    t->nu = native_new(t->pid, py_binary(t->py), s->o->is_child && t->pid == s->root);
    if (!t->nu) s->oom = 1;
}

void target_native_account(sampler *s, target *t) {
    if (!t->nu) return;
    double held;
    uint64_t stops;
    native_held(t->nu, &held, &stops);
    s->res->native_held_seconds += held;
    s->res->native_stops += stops;
}

/* ---- the table ---- */

static target *find_target(sampler *s, pid_t pid) {
    for (size_t i = 0; i < s->ntargets; i++)
        if (s->targets[i].pid == pid) return &s->targets[i];
    return NULL;
}

static void note_error(sampler *s, py_status st, const char *err) {
    if (s->res->first_error[0]) return;
    snprintf(s->res->first_error, sizeof s->res->first_error, "%s", err);
    s->res->first_error_status = (int)st;
}

/* Counts pid, once, as a process not followed for lack of room. */
static void count_unsampled(sampler *s, pid_t pid) {
    size_t n = s->nunsampled < RECENT_UNSAMPLED ? s->nunsampled : RECENT_UNSAMPLED;
    for (size_t i = 0; i < n; i++)
        if (s->unsampled[i] == pid) return;
    s->unsampled[s->nunsampled++ % RECENT_UNSAMPLED] = pid;
    prof_counters_of(s->p)->unsampled_processes++;
}

/* A new slot for pid, or NULL when the table is full (then counted). */
static target *add_target(sampler *s, pid_t pid) {
    if (s->ntargets == MAX_PROCESSES) {
        count_unsampled(s, pid);
        return NULL;
    }
    target *t = &s->targets[s->ntargets++];
    memset(t, 0, sizeof *t);
    t->pid = pid;
    t->first_seen = now_ns();
    t->children_fd = s->o->subprocesses && s->have_children ? proc_open_children(pid, pid) : -1;
    return t;
}

/* Exited processes give their slot back, once their numbers are taken. */
static void drop_dead(sampler *s) {
    for (size_t i = 0; i < s->ntargets;) {
        target *t = &s->targets[i];
        if (!t->dead || t->pid == s->root) {
            i++;
            continue;
        }
        target_native_account(s, t);
        target_free(t);
        s->targets[i] = s->targets[--s->ntargets];
    }
}

/* After an exec the attached interpreter is gone (another program, or a
 * new interpreter at other addresses): forget it, so that the process is
 * attached afresh and labelled with its new command line. */
bool target_exec_happened(sampler *s, target *t) {
    uint64_t id;
    if (!t->py || proc_exec_id(t->pid, &id) || id == t->exec_id) return false;
    target_native_account(s, t);
    int cfd = t->children_fd;
    pid_t pid = t->pid;
    t->children_fd = -1;
    target_free(t);
    memset(t, 0, sizeof *t);
    t->pid = pid;
    t->children_fd = cfd;
    t->first_seen = now_ns();  /* young again: retried every tick until Python starts */
    return true;
}

/* Attach to pid if it runs Python; quietly retry later while it is not
 * ready or not (yet) Python: a fork is followed by an exec we may not have
 * seen yet, and libpython is mapped after the executable. */
void target_attach(sampler *s, target *t) {
    if (t->py) {
        if (py_refresh(t->py) == PY_GONE) t->dead = true;
        else if (target_exec_happened(s, t)) target_attach(s, t);
        return;
    }
    if (t->dead || t->reported) return;
    char exe[sizeof t->exe];
    proc_exe(t->pid, exe, sizeof exe);
    uint64_t exec_id = 0;
    bool have_id = proc_exec_id(t->pid, &exec_id) == 0;
    char err[256];
    py_status st;
    t->py = py_attach(t->pid, &st, err, sizeof err);
    if (t->py) {
        /* Taken before the attach: an exec in between shows up next refresh. */
        t->exec_id = have_id ? exec_id : 0;
        char cmd[512] = "";
        pid_t ppid = 0;
        proc_cmdline(t->pid, cmd, sizeof cmd);
        proc_ppid(t->pid, &ppid);
        size_t known = prof_nprocesses(s->p);
        /* Seen before an exec: the label becomes the new command line. */
        if (prof_add_process(s->p, t->pid, ppid, cmd, py_version(t->py)) < 0) s->oom = 1;
        if (prof_nprocesses(s->p) > known) s->res->python_processes++;
        if (s->nat) native_attach(s, t);
        t->has_clock = proc_cpu_clock(t->pid, &t->cpu_clock) == 0 && proc_cpu_ns(t->cpu_clock, &t->cpu_ns) == 0;
        t->credit = credit_most(s);
        prof_meta *m = prof_meta_of(s->p);
        if (!m->python_version && (prof_set_str(&m->python_version, py_version(t->py)) ||
                                   prof_set_str(&m->interpreter, py_binary(t->py)) ||
                                   prof_set_str(&m->python_build, py_build_name(t->py))))
            s->oom = 1;
        return;
    }
    if (st == PY_GONE) {
        t->dead = true;
    } else if (st == PY_ERROR && now_ns() - t->first_seen <= YOUNG_NS) {
        /* Caught mid-exec (maps and memory changing under us): retried. */
    } else if (st == PY_UNSUPPORTED || st == PY_NO_PERMISSION || st == PY_ERROR) {
        t->reported = true;
        note_error(s, st, err);
    } else if (st == PY_NOT_PYTHON) {
        if (strcmp(t->exe, exe)) t->not_python_at = now_ns();   /* a verdict on this exe */
        snprintf(t->exe, sizeof t->exe, "%s", exe);
    }
}

/* Whether t still runs the exe it was last found not to be Python in: no
 * exec since that verdict. */
static bool same_exe(const target *t) {
    char exe[sizeof t->exe];
    proc_exe(t->pid, exe, sizeof exe);
    return !strcmp(exe, t->exe);
}

static bool settling(const sampler *s, const target *t, int64_t now) {
    return t->pid != s->root && now - t->first_seen < SETTLE_NS;
}

/* Follows pid from now on; the root is attached at once, others once settled. */
static void follow(sampler *s, pid_t pid) {
    if (find_target(s, pid) || !proc_alive(pid)) return;
    target *t = add_target(s, pid);
    if (t && pid == s->root) target_attach(s, t);
}

/* New children of every followed process, from their children files. */
void targets_scan_children(sampler *s) {
    size_t n = s->ntargets;  /* those added now are scanned next time */
    for (size_t i = 0; i < n; i++) {
        const target *t = &s->targets[i];
        if (t->dead) continue;
        for (size_t k = 0; k <= t->nthreads; k++) {
            int fd = k == 0 ? t->children_fd : t->threads[k - 1].children_fd;
            pid_t *kids;
            size_t nk;
            if (fd < 0 || proc_children_fd(fd, &kids, &nk)) continue;
            for (size_t j = 0; j < nk; j++) follow(s, kids[j]);
            free(kids);
        }
    }
}

/* Gives up the slots of threads that have ended: their files (three or
 * four fds each), last stacks, and what --native kept of them (a stack
 * copy each: csprof grew to 90 MB over 4000 threads, 18 MB now). A
 * program that starts a thread per task would otherwise run csprof out
 * of fds after a few hundred (and then its
 * threads could not be asked whether they sleep), and every tick would
 * ask after each thread it ever had. Their samples stay in the profile.
 * Only between samples: a sample holds indices into the table. */
static void drop_ended_threads(target *t) {
    size_t keep = 0;
    for (size_t i = 0; i < t->nthreads; i++) {
        thread_entry *e = &t->threads[i];
        bool ended = e->tid && (e->files.stat_fd >= 0 ? proc_thread_gone(&e->files)
                                                      : !proc_thread_alive(t->pid, e->tid));
        if (ended) {
            native_forget(t->nu, e->tid);
            thread_entry_free(e);
        } else {
            t->threads[keep++] = *e;
        }
    }
    t->nthreads = keep;
}

/* Every REFRESH_NS: frees the slots of exited processes and of ended
 * threads, refreshes the
 * attached ones (and notices an exec), retries the others, and with
 * full_scan looks for descendants through all of /proc. */
void targets_refresh(sampler *s, pid_t root, bool full_scan) {
    for (size_t i = 0; i < s->ntargets; i++) {
        target *t = &s->targets[i];
        if (!t->py && !t->dead && !proc_alive(t->pid)) t->dead = true;
        if (t->py && !t->dead) drop_ended_threads(t);
    }
    drop_dead(s);
    if (!find_target(s, root)) follow(s, root);
    for (size_t i = 0; i < s->ntargets; i++) {
        target *t = &s->targets[i];
        if (!t->py && t->exe[0] && now_ns() - t->first_seen > YOUNG_NS) {
            /* Not Python last time: look again only if it exec'd since. */
            if (same_exe(t)) continue;
            t->exe[0] = '\0';
        }
        if (!settling(s, t, now_ns())) target_attach(s, t);
    }
    pid_t *pids = NULL;
    size_t n = 0;
    if (!s->o->subprocesses || !full_scan || proc_descendants(root, &pids, &n)) n = 0;
    for (size_t i = 0; i < n; i++) follow(s, pids[i]);
    free(pids);
}

/* Young targets not yet attached are retried every tick, not every refresh:
 * a short script would otherwise lose its first 100 ms. But a full try
 * reads and parses the process's maps (0.1-0.2 ms here): every tick for
 * 3 s of a shell wrapper, or of each program a test suite starts, cost a
 * fifth of a CPU. So once a program has been found not to be Python for
 * LINKED_NS (its loader has mapped what it links, libpython included),
 * only an exec (another exe) makes a tick try it again; the refresh still
 * does, for a library it loads later. */
void targets_retry_young(sampler *s) {
    int64_t now = now_ns();
    for (size_t i = 0; i < s->ntargets; i++) {
        target *t = &s->targets[i];
        if (t->py || t->dead || t->reported || now - t->first_seen > YOUNG_NS ||
            settling(s, t, now))
            continue;
        if (t->exe[0] && now - t->not_python_at > LINKED_NS && same_exe(t)) continue;
        target_attach(s, t);
    }
}
