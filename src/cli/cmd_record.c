/* cmd_record.c -- `csprof record`: run a command (or attach to a pid),
 * sample it, and write the reports.
 *
 * The command must behave exactly as it would alone: it inherits our stdin,
 * stdout, stderr, environment and process group; csprof exits with its
 * status and forwards the termination signals a user sends to csprof.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "output.h"
#include "proc.h"
#include "record_args.h"
#include "pyreader.h"
#include "sampler.h"
#include "unwind.h"
#include "version.h"

static volatile sig_atomic_t stop_requested;
static volatile pid_t child_pid;

/* A signal sent to csprof by a process (kill, a CI runner's cancel) goes on
 * to the command. One from the terminal already reached the whole process
 * group, the command included, so it is not sent twice. */
static void forward_signal(int sig, siginfo_t *info, void *uctx) {
    (void)uctx;
    stop_requested = 1;
    if (child_pid > 0 && info && info->si_code == SI_USER && info->si_pid != child_pid)
        kill(child_pid, sig);
    else if (child_pid > 0 && info && info->si_code != SI_KERNEL && info->si_code <= 0 &&
             info->si_code != SI_USER)
        kill(child_pid, sig);
}

/* The stem of the script a command runs: "python3 scripts/validate.py -x"
 * -> "validate"; "python -m pkg.mod" -> "pkg.mod"; otherwise the program. */
static void default_name(char **cmd, int n, char *buf, size_t len, const char **script) {
    *script = NULL;
    const char *prog = strrchr(cmd[0], '/') ? strrchr(cmd[0], '/') + 1 : cmd[0];
    const char *pick = prog;
    if (strncmp(prog, "python", 6) == 0 || strstr(prog, "ld-linux")) {
        for (int i = 1; i < n; i++) {
            if (!strcmp(cmd[i], "-m") && i + 1 < n) { pick = cmd[i + 1]; break; }
            if (!strcmp(cmd[i], "-c")) { pick = "python-c"; break; }
            if (cmd[i][0] == '-') continue;
            size_t l = strlen(cmd[i]);
            if (l > 3 && !strcmp(cmd[i] + l - 3, ".py")) { pick = cmd[i]; *script = cmd[i]; break; }
            if (!strstr(prog, "ld-linux")) { pick = cmd[i]; *script = cmd[i]; break; }
        }
    } else {
        size_t l = strlen(cmd[0]);
        if (l > 3 && !strcmp(cmd[0] + l - 3, ".py")) *script = cmd[0];
    }
    const char *base = strrchr(pick, '/') ? strrchr(pick, '/') + 1 : pick;
    snprintf(buf, len, "%s", base);
    size_t l = strlen(buf);
    if (l > 3 && !strcmp(buf + l - 3, ".py")) buf[l - 3] = '\0';
    for (char *c = buf; *c; c++)
        if (*c == '/' || *c == ' ') *c = '_';
    if (!buf[0]) snprintf(buf, len, "profile");
}

/* PATH search done up front so "not found" is reported before anything runs. */
static int find_command(const char *cmd, char *out, size_t len) {
    if (strchr(cmd, '/')) {
        if (access(cmd, F_OK)) return EXIT_CMD_NOT_FOUND;
        if (access(cmd, X_OK)) return EXIT_CANNOT_EXEC;
        snprintf(out, len, "%s", cmd);
        return 0;
    }
    const char *path = getenv("PATH");
    if (!path) path = "/usr/local/bin:/usr/bin:/bin";
    int found_noexec = 0;
    for (const char *s = path;;) {
        const char *e = strchr(s, ':');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        snprintf(out, len, "%.*s%s%s", (int)n, s, n ? "/" : "", cmd);
        struct stat st;
        if (stat(out, &st) == 0 && S_ISREG(st.st_mode)) {
            if (access(out, X_OK) == 0) return 0;
            found_noexec = 1;
        }
        if (!e) break;
        s = e + 1;
    }
    return found_noexec ? EXIT_CANNOT_EXEC : EXIT_CMD_NOT_FOUND;
}

static void iso8601_now(char *buf, size_t len) {
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* GITHUB_SHA in Actions; otherwise HEAD of the git checkout we run in, read
 * from .git directly (no git process: the command's cwd may not be a repo). */
static void git_commit(char *buf, size_t len) {
    buf[0] = '\0';
    const char *sha = getenv("GITHUB_SHA");
    if (sha && *sha) {
        snprintf(buf, len, "%s", sha);
        return;
    }
    FILE *f = fopen(".git/HEAD", "re");
    if (!f) return;
    char line[256] = "";
    if (!fgets(line, sizeof line, f)) line[0] = '\0';
    fclose(f);
    line[strcspn(line, "\n")] = '\0';
    if (strncmp(line, "ref: ", 5) != 0) {
        snprintf(buf, len, "%s", line);
        return;
    }
    char path[300];
    snprintf(path, sizeof path, ".git/%s", line + 5);
    if (!(f = fopen(path, "re"))) return;
    if (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        snprintf(buf, len, "%s", line);
    }
    fclose(f);
}

/* Why process_vm_readv on pid is refused, in words a user can act on. */
static void explain_eperm(pid_t pid, char *buf, size_t len) {
    int scope = proc_ptrace_scope();
    if (scope >= 1)
        snprintf(buf, len, "not permitted to read process %d: kernel.yama.ptrace_scope=%d only lets "
                 "a parent read its children; run as root, grant CAP_SYS_PTRACE, or use "
                 "'csprof record -- CMD' to start the process under csprof", (int)pid, scope);
    else
        snprintf(buf, len, "not permitted to read process %d: it belongs to another user; run as "
                 "that user or with CAP_SYS_PTRACE", (int)pid);
}

static int check_attach(pid_t pid) {
    if (kill(pid, 0) && errno == ESRCH) {
        fprintf(stderr, "csprof record: no process with pid %d\n", (int)pid);
        return EXIT_NO_PID;
    }
    /* A zombie has no memory left to read: that is a process that is gone,
     * not one we lack permission for. */
    if (!proc_alive(pid)) {
        fprintf(stderr, "csprof record: process %d has exited (its parent has not collected it yet)\n",
                (int)pid);
        return EXIT_NO_PID;
    }
    proc_maps maps;
    if (proc_maps_read(pid, &maps) || maps.n == 0) {
        if (errno == ENOENT || errno == ESRCH || !proc_alive(pid)) {
            fprintf(stderr, "csprof record: process %d has exited\n", (int)pid);
            return EXIT_NO_PID;
        }
        char why[400];
        explain_eperm(pid, why, sizeof why);
        fprintf(stderr, "csprof record: %s\n", why);
        return EXIT_NOPERM;
    }
    char byte;
    int rc = proc_read(pid, maps.maps[0].start, &byte, 1);
    int e = errno;
    proc_maps_free(&maps);
    if (rc && e == EPERM) {
        char why[400];
        explain_eperm(pid, why, sizeof why);
        fprintf(stderr, "csprof record: %s\n", why);
        return EXIT_NOPERM;
    }
    py_status st;
    char err[256];
    py_process *pp = py_attach(pid, &st, err, sizeof err);
    if (pp) {
        py_detach(pp);
        return 0;
    }
    if (st == PY_UNSUPPORTED) {
        fprintf(stderr, "csprof record: process %d: %s\n", (int)pid, err);
        return EXIT_UNSUPPORTED;
    }
    if (st == PY_NO_PERMISSION) {
        char why[400];
        explain_eperm(pid, why, sizeof why);
        fprintf(stderr, "csprof record: %s\n", why);
        return EXIT_NOPERM;
    }
    if (st == PY_GONE) {
        fprintf(stderr, "csprof record: process %d exited\n", (int)pid);
        return EXIT_NO_PID;
    }
    /* Not Python (yet): sample anyway; the profile will say what was found. */
    return 0;
}

/* fork + exec with the exec error reported back through a close-on-exec pipe. */
static pid_t spawn(char **cmd, const char *path, int *exec_errno) {
    int pfd[2];
    *exec_errno = 0;
    if (pipe2(pfd, O_CLOEXEC)) return -1;
    pid_t pid = fork();
    if (pid < 0) {
        close(pfd[0]);
        close(pfd[1]);
        return -1;
    }
    if (pid == 0) {
        close(pfd[0]);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        execv(path, cmd);
        int e = errno;
        if (write(pfd[1], &e, sizeof e) < 0) _exit(127);
        _exit(127);
    }
    close(pfd[1]);
    ssize_t n;
    do n = read(pfd[0], exec_errno, sizeof *exec_errno);
    while (n < 0 && errno == EINTR);
    close(pfd[0]);
    if (n != (ssize_t)sizeof *exec_errno) *exec_errno = 0;
    return pid;
}

static void install_handlers(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = forward_signal;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
}

static const char *env_nonempty(const char *name) {
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

/* The branch and the CI run a profile comes from, so a later comparison
 * can say which run its baseline is (GitHub's variables; NULL elsewhere). */
static int ci_origin(prof_meta *m) {
    const char *branch = env_nonempty("GITHUB_HEAD_REF");   /* a pull request's own branch */
    if (!branch) branch = env_nonempty("GITHUB_REF_NAME");
    const char *id = env_nonempty("GITHUB_RUN_ID"), *attempt = env_nonempty("GITHUB_RUN_ATTEMPT");
    const char *server = env_nonempty("GITHUB_SERVER_URL"), *repo = env_nonempty("GITHUB_REPOSITORY");
    char run[128] = "", url[1024] = "";
    if (id && strlen(id) < 40) {
        snprintf(run, sizeof run, "%s%s%s", id, attempt && strcmp(attempt, "1") ? "/" : "",
                 attempt && strcmp(attempt, "1") && strlen(attempt) < 16 ? attempt : "");
        if (server && repo)
            snprintf(url, sizeof url, "%.400s/%.400s/actions/runs/%s", server, repo, id);
    }
    return prof_set_str(&m->git_branch, branch) | prof_set_str(&m->ci_run, run[0] ? run : NULL) |
           prof_set_str(&m->ci_run_url, url[0] ? url : NULL);
}

static int fill_meta(profile *p, const record_opts *o, const char *name, const char *script) {
    prof_meta *m = prof_meta_of(p);
    char buf[PATH_MAX], commit[256], when[32];
    iso8601_now(when, sizeof when);
    git_commit(commit, sizeof commit);
    const char *ws = getenv("GITHUB_WORKSPACE");
    int rc = prof_set_str(&m->csprof_version, CSPROF_VERSION) |
             prof_set_str(&m->csprof_commit, CSPROF_COMMIT) | prof_set_str(&m->name, name) |
             prof_set_str(&m->script, script) | prof_set_str(&m->start_time, when) |
             prof_set_str(&m->git_commit, commit[0] ? commit : NULL);
    if (getcwd(buf, sizeof buf)) rc |= prof_set_str(&m->cwd, buf);
    rc |= prof_set_str(&m->workspace, ws && *ws ? ws : m->cwd);
    if (o->ncmd) {
        rc |= prof_set_argv(p, o->ncmd, o->cmd);
    } else {
        char cmdline[4096];
        char *one[1] = {cmdline};
        if (proc_cmdline(o->pid, cmdline, sizeof cmdline)) snprintf(cmdline, sizeof cmdline, "pid %d", (int)o->pid);
        rc |= prof_set_argv(p, 1, one);
    }
    rc |= ci_origin(m);
    m->rate_hz = o->rate;
    m->idle_included = o->idle;
    m->native = o->native;
    m->subprocesses = o->subprocesses;
    return rc ? -1 : 0;
}

static int finish(profile *p, const record_opts *o, const char *name, const sampler_result *r) {
    prof_meta *m = prof_meta_of(p);
    m->wall_seconds = r->wall_seconds;
    m->exit_status = r->exit_status;
    m->sampler_cpu_seconds = r->cpu_seconds;
    m->sampler_work_seconds = r->work_seconds;
    m->rusage_known = r->child_rusage;
    m->cpu_user_seconds = r->child_user_seconds;
    m->cpu_system_seconds = r->child_system_seconds;
    m->max_rss_bytes = r->child_max_rss_bytes;
    m->other_load = r->other_load;
    m->runner_cpus = r->runner_cpus;
    char cpu[PROF_CPU_MODEL_MAX + 1];
    if (proc_cpu_model(cpu, sizeof cpu) == 0 && prof_set_str(&m->runner_cpu, cpu)) return -1;
    if (!r->python_processes || prof_total_samples(p) == 0) {
        char note[300];
        if (r->python_processes)
            snprintf(note, sizeof note, "%s", r->first_error[0] ? r->first_error
                     : "Python was found but no thread ran Python code while sampled");
        else
            snprintf(note, sizeof note, "no Python stacks found%s%s",
                     r->first_error[0] ? ": " : "", r->first_error);
        if (prof_set_str(&m->note, note)) return -1;
        /* An attach problem (unsupported version, no permission) is an error:
         * said even with --quiet. */
        if (!o->quiet || r->first_error[0]) fprintf(stderr, "csprof: %s\n", note);
    }
    /* Roots keep processes (and threads) apart in every report. */
    size_t threads_with_samples = 0;
    for (size_t t = 0; t < prof_nthreads(p); t++) {
        for (size_t i = 0; i < prof_nstacks(p); i++)
            if (prof_stack_at(p, i)->thread == t) { threads_with_samples++; break; }
    }
    if (prof_add_roots(p, o->subprocesses, threads_with_samples > 1)) return -1;
    /* One frame per import, in every output (profile.h). */
    if (prof_collapse_imports(p)) return -1;
    output_opts oo;
    output_opts_init(&oo);
    /* The summary says where the flamegraph is, when one is written. */
    char flame[PATH_MAX + 64];
    if (output_list_has(o->formats, "svg") &&
        (size_t)snprintf(flame, sizeof flame, "%s.svg in %s", name, o->output) < sizeof flame)
        oo.flamegraph = flame;
    int rc = output_write_all(p, o->output, name, o->formats, &oo, !o->quiet);
    if (!o->quiet) {
        const prof_counters *c = prof_counters_of(p);
        fprintf(stderr, "csprof: %llu samples (%llu dropped, %llu idle) in %zu thread%s over %.2f s"
                " at %.0f Hz; sampler used %.1f%% of one CPU\n",
                (unsigned long long)c->taken, (unsigned long long)c->dropped,
                (unsigned long long)c->idle, threads_with_samples,
                threads_with_samples == 1 ? "" : "s", r->wall_seconds, o->rate,
                r->wall_seconds > 0 ? 100.0 * r->cpu_seconds / r->wall_seconds : 0.0);
        if (o->native)
            fprintf(stderr, "csprof: --native: %llu thread samples merged with their C frames, "
                    "%llu kept Python-only (the two stacks did not line up); threads were held "
                    "stopped %.0f us per stop on average (%llu stops)\n",
                    (unsigned long long)r->native_merged, (unsigned long long)r->native_mismatch,
                    r->native_stops ? 1e6 * r->native_held_seconds / (double)r->native_stops : 0.0,
                    (unsigned long long)r->native_stops);
    }
    return rc;
}

/* Whether the command can be run (its path into path) or the process
 * attached to; 0, or the exit status after one line on stderr. */
static int check_target(const record_opts *o, char *path, size_t len) {
    if (o->ncmd) {
        int st = find_command(o->cmd[0], path, len);
        if (st)
            fprintf(stderr, "csprof record: %s: %s\n", o->cmd[0],
                    st == EXIT_CMD_NOT_FOUND ? "command not found" : "permission denied (not executable)");
        return st;
    }
    int rc = check_attach(o->pid);
    if (rc || !o->native) return rc;
    /* Stopping threads needs more than reading memory: a debugger
     * already attached, or a seccomp policy, may refuse it. */
    char why[400];
    int err = native_probe(o->pid, false, why, sizeof why);
    if (err) {
        fprintf(stderr, "csprof record: %s\n", why);
        return err == ESRCH ? EXIT_NO_PID : EXIT_NOPERM;
    }
    return 0;
}

/* Starts the command as our child (*root); 0, or the exit status after one
 * line on stderr. */
static int start_command(const record_opts *o, const char *path, pid_t *root) {
    int exec_errno;
    *root = spawn(o->cmd, path, &exec_errno);
    if (*root < 0) {
        fprintf(stderr, "csprof record: cannot start %s: %s\n", o->cmd[0], strerror(errno));
        return EXIT_SOFTWARE;
    }
    if (exec_errno) {
        int ws;
        waitpid(*root, &ws, 0);
        fprintf(stderr, "csprof record: cannot run %s: %s\n", o->cmd[0], strerror(exec_errno));
        return exec_errno == ENOENT ? EXIT_CMD_NOT_FOUND : EXIT_CANNOT_EXEC;
    }
    child_pid = *root;
    return 0;
}

int cmd_record(int argc, char **argv) {
    record_opts o;
    int rc = record_parse_args(argc, argv, &o);
    if (rc) return rc < 0 ? 0 : rc;
    if (output_mkdir(o.output)) {
        fprintf(stderr, "csprof record: cannot write to output directory %s: %s\n", o.output,
                strerror(errno));
        return EXIT_CANTCREAT;
    }
    char path[PATH_MAX];
    rc = check_target(&o, path, sizeof path);
    if (rc) return rc;
    char name[256];
    const char *script = NULL;
    if (o.ncmd) default_name(o.cmd, o.ncmd, name, sizeof name, &script);
    else snprintf(name, sizeof name, "pid%d", (int)o.pid);
    if (o.name) snprintf(name, sizeof name, "%s", o.name);

    profile *p = prof_new();
    if (!p || fill_meta(p, &o, name, script)) {
        prof_free(p);
        fprintf(stderr, "csprof record: out of memory\n");
        return EXIT_SOFTWARE;
    }
    install_handlers();
    pid_t root = o.pid;
    if (o.ncmd && (rc = start_command(&o, path, &root))) {
        prof_free(p);
        return rc;
    }
    sampler_opts so = {.rate_hz = o.rate, .duration = o.duration, .idle = o.idle,
                       .subprocesses = o.subprocesses, .is_child = o.ncmd > 0,
                       .native = o.native,
                       .beside_hz = same_cpu_beside_hz(o.same_cpu, o.rate)};
    sampler_result res;
    if (sampler_run(p, root, &so, &stop_requested, &res)) {
        if (o.ncmd) {
            int ws;
            while (waitpid(root, &ws, 0) < 0 && errno == EINTR) {}
        }
        prof_free(p);
        return EXIT_SOFTWARE;
    }
    if (!o.ncmd) res.exit_status = 0;
    int wrc = finish(p, &o, name, &res);
    prof_free(p);
    if (o.ncmd) return res.exit_status >= 0 ? res.exit_status : EXIT_SOFTWARE;
    if (res.first_error_status == PY_UNSUPPORTED) return EXIT_UNSUPPORTED;
    return wrc ? EXIT_CANTCREAT : 0;
}
