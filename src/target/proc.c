/* proc.c -- reading another process through /proc and process_vm_readv. */
#include "proc.h"

#include <ctype.h>
#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

int proc_read(pid_t pid, uint64_t addr, void *buf, size_t len) {
    ssize_t got = proc_read_partial(pid, addr, buf, len);
    if (got < 0) return -1;
    if ((size_t)got != len) {
        errno = EFAULT;
        return -1;
    }
    return 0;
}

/* process_vm_readv calls made, for proc_reads_made(). */
static uint64_t reads_made;

uint64_t proc_reads_made(void) { return reads_made; }

ssize_t proc_read_partial(pid_t pid, uint64_t addr, void *buf, size_t len) {
    if (addr == 0 || len == 0) {
        errno = EFAULT;
        return len == 0 ? 0 : -1;
    }
    struct iovec local = {buf, len};
    struct iovec remote = {(void *)(uintptr_t)addr, len};
    reads_made++;
    return process_vm_readv(pid, &local, 1, &remote, 1, 0);
}

ssize_t proc_readv(pid_t pid, const struct iovec *local, const struct iovec *remote, size_t n) {
    reads_made++;
    return process_vm_readv(pid, local, (unsigned long)n, remote, (unsigned long)n, 0);
}

/* Reads a whole small /proc file into buf (NUL-terminated). */
static ssize_t read_small_file(const char *path, char *buf, size_t len) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    size_t off = 0;
    while (off + 1 < len) {
        ssize_t n = read(fd, buf + off, len - 1 - off);
        if (n < 0) {
            if (errno == EINTR) continue;
            int e = errno;
            close(fd);
            errno = e;
            return -1;
        }
        if (n == 0) break;
        off += (size_t)n;
    }
    close(fd);
    buf[off] = '\0';
    return (ssize_t)off;
}

int proc_maps_read(pid_t pid, proc_maps *out) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/maps", (int)pid);
    FILE *f = fopen(path, "re");
    out->maps = NULL;
    out->n = 0;
    if (!f) return -1;
    size_t cap = 0;
    char *line = NULL;
    size_t linecap = 0;
    int rc = 0;
    while (getline(&line, &linecap, f) > 0) {
        proc_map m = {0};
        unsigned long long start, end, off;
        int pathpos = 0;
        char perms[8];
        if (sscanf(line, "%llx-%llx %7s %llx %*s %*s %n", &start, &end, perms, &off, &pathpos) < 4)
            continue;
        m.start = start;
        m.end = end;
        m.offset = off;
        memcpy(m.perms, perms, 4);
        m.perms[4] = '\0';
        char *p = line + pathpos;
        p[strcspn(p, "\n")] = '\0';
        if (*p == '/' && !(m.path = strdup(p))) {
            rc = -1;
            break;
        }
        if (out->n == cap) {
            size_t ncap = cap ? cap * 2 : 64;
            proc_map *nm = realloc(out->maps, ncap * sizeof *nm);
            if (!nm) {
                free(m.path);
                rc = -1;
                break;
            }
            out->maps = nm;
            cap = ncap;
        }
        out->maps[out->n++] = m;
    }
    free(line);
    fclose(f);
    if (rc) proc_maps_free(out);
    return rc;
}

void proc_maps_free(proc_maps *m) {
    for (size_t i = 0; i < m->n; i++) free(m->maps[i].path);
    free(m->maps);
    m->maps = NULL;
    m->n = 0;
}

uint64_t proc_maps_base(const proc_maps *m, const char *path) {
    uint64_t base = 0;
    for (size_t i = 0; i < m->n; i++) {
        if (!m->maps[i].path || strcmp(m->maps[i].path, path)) continue;
        if (base == 0 || m->maps[i].start < base) base = m->maps[i].start;
    }
    return base;
}

static int is_number(const char *s) {
    if (!*s) return 0;
    for (; *s; s++)
        if (!isdigit((unsigned char)*s)) return 0;
    return 1;
}

static int push_pid(pid_t **arr, size_t *n, size_t *cap, pid_t v) {
    if (*n == *cap) {
        size_t ncap = *cap ? *cap * 2 : 32;
        pid_t *na = realloc(*arr, ncap * sizeof *na);
        if (!na) return -1;
        *arr = na;
        *cap = ncap;
    }
    (*arr)[(*n)++] = v;
    return 0;
}

int proc_threads(pid_t pid, pid_t **tids, size_t *n) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
    *tids = NULL;
    *n = 0;
    DIR *d = opendir(path);
    if (!d) return -1;
    size_t cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!is_number(e->d_name)) continue;
        if (push_pid(tids, n, &cap, (pid_t)atoi(e->d_name))) {
            closedir(d);
            free(*tids);
            *tids = NULL;
            *n = 0;
            return -1;
        }
    }
    closedir(d);
    return 0;
}

int proc_thread_name(pid_t pid, pid_t tid, char *buf, size_t len) {
    char path[80];
    snprintf(path, sizeof path, "/proc/%d/task/%d/comm", (int)pid, (int)tid);
    if (read_small_file(path, buf, len) < 0) return -1;
    buf[strcspn(buf, "\n")] = '\0';
    return 0;
}

int proc_comm(pid_t id, char *buf, size_t len) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/comm", (int)id);
    if (read_small_file(path, buf, len) < 0) return -1;
    buf[strcspn(buf, "\n")] = '\0';
    return 0;
}

static int open_task_file(pid_t pid, pid_t tid, const char *name) {
    char path[96];
    snprintf(path, sizeof path, "/proc/%d/task/%d/%s", (int)pid, (int)tid, name);
    return open(path, O_RDONLY | O_CLOEXEC);
}

int proc_open_children(pid_t pid, pid_t tid) { return open_task_file(pid, tid, "children"); }

int proc_thread_files_open(pid_t pid, pid_t tid, proc_thread_files *f) {
    f->status_fd = open_task_file(pid, tid, "status");
    /* Without schedstat (a kernel without CONFIG_SCHED_INFO) a runnable
     * thread counts as on a CPU, as the state letter alone would say. */
    f->schedstat_fd = f->status_fd < 0 ? -1 : open_task_file(pid, tid, "schedstat");
    f->stat_fd = f->status_fd < 0 ? -1 : open_task_file(pid, tid, "stat");
    return f->status_fd < 0 ? -1 : 0;
}

void proc_thread_files_close(proc_thread_files *f) {
    if (f->status_fd >= 0) close(f->status_fd);
    if (f->schedstat_fd >= 0) close(f->schedstat_fd);
    if (f->stat_fd >= 0) close(f->stat_fd);
    f->status_fd = f->schedstat_fd = f->stat_fd = -1;
}

/* The decimal after the last "\n<key>" in text[0, len); the key includes
 * its ":\t". Looked for from the end: the switch counts are a status
 * file's last lines, 1.4 KB in, and a forward search of every sample's
 * copy cost more than the rest of its parsing. */
static int status_field(const char *text, size_t len, const char *key, uint64_t *out) {
    size_t klen = strlen(key);
    const char *at = NULL;
    for (size_t i = len; i-- > 0 && !at;)
        if (text[i] == '\n' && len - i >= klen && !memcmp(text + i, key, klen)) at = text + i;
    if (!at) return -1;
    at += klen;
    if (*at < '0' || *at > '9') return -1;
    uint64_t v = 0;
    for (; *at >= '0' && *at <= '9'; at++) {
        if (v > (UINT64_MAX - 9) / 10) return -1;
        v = v * 10 + (uint64_t)(*at - '0');
    }
    *out = v;
    return 0;
}

int proc_status_switches(const char *status, char *state, uint64_t *switches) {
    /* A thread's name comes first and may hold anything but the kernel
     * escapes newlines in it, so every key is looked for after one. */
    const char *st = strstr(status, "\nState:\t");
    size_t len = strlen(status);
    uint64_t vol, invol;
    if (!st || !st[8] || status_field(status, len, "\nvoluntary_ctxt_switches:\t", &vol) ||
        status_field(status, len, "\nnonvoluntary_ctxt_switches:\t", &invol) ||
        vol > UINT64_MAX - invol)
        return -1;
    *state = st[8];
    *switches = vol + invol;
    return 0;
}

int proc_schedstat(const char *schedstat, uint64_t *run_ns, uint64_t *pcount) {
    unsigned long long run, delay, count;
    char end;
    if (sscanf(schedstat, "%llu %llu %llu%c", &run, &delay, &count, &end) != 4 || end != '\n')
        return -1;
    *run_ns = run;
    *pcount = count;
    return 0;
}

/* pread of a whole small /proc file into buf (NUL-terminated). */
static int pread_text(int fd, char *buf, size_t len) {
    if (fd < 0) {
        errno = EBADF;
        return -1;
    }
    ssize_t n = pread(fd, buf, len - 1, 0);
    if (n <= 0) {
        if (n == 0) errno = ESRCH;   /* an empty file: the thread is gone */
        return -1;
    }
    buf[n] = '\0';
    return 0;
}

int proc_stat_state_cpu(const char *stat, char *state, int *cpu) {
    /* The name, in parentheses, may hold spaces and ')': fields are counted
     * from the last ')', which is field 2's end. */
    const char *p = strrchr(stat, ')');
    if (!p) return -1;
    p++;
    if (p[0] != ' ' || p[1] < 'A' || p[1] > 'z' || p[2] != ' ') return -1;
    char letter = p[1];
    for (int field = 2; field < 39; field++) {
        if (*p != ' ') return -1;
        p++;
        if (field + 1 == 39) break;
        while (*p && *p != ' ') p++;
    }
    if (*p < '0' || *p > '9') return -1;
    long v = 0;
    for (; *p >= '0' && *p <= '9'; p++) {
        v = v * 10 + (*p - '0');
        if (v > 1 << 20) return -1;   /* no machine has a million CPUs */
    }
    if (*p != ' ' && *p != '\n' && *p) return -1;
    *state = letter;
    *cpu = (int)v;
    return 0;
}

bool proc_thread_gone(const proc_thread_files *f) {
    char line[1024];
    return f->stat_fd >= 0 && pread_text(f->stat_fd, line, sizeof line) && errno == ESRCH;
}

int proc_thread_cpu(const proc_thread_files *f, char *state, int *cpu) {
    char line[1024];
    if (f->stat_fd < 0) {
        errno = EBADF;
        return -1;
    }
    if (pread_text(f->stat_fd, line, sizeof line)) return -1;
    if (proc_stat_state_cpu(line, state, cpu)) {
        errno = EINVAL;
        return -1;
    }
    return 0;
}

int proc_thread_sched(const proc_thread_files *f, const proc_sched *prev, proc_sched *out) {
    out->cpu = -1;
    out->run_ns = out->pcount = 0;
    char status[4096], sched[128];
    char state;
    int cpu = -1;
    bool have_stat = false;
    /* Not runnable at the last read: most often asleep still, and a thread
     * pool's idle workers are asked about at every tick. Its switch count
     * is then the last one status gave. schedstat, the smallest of the
     * three files (1.4 us a pread against stat's 3.6 and status's 7.0, in a
     * loop here), says whether it has been put on a CPU since: if not, it
     * has run no code, and nothing else is read. A kernel without scheduler
     * statistics prints 0 0 0: pcount 0 never matches. Else stat, which the
     * kernel makes in half the time of status, says whether it sleeps still. */
    if (prev && prev->state == PROC_NOT_RUNNABLE) {
        uint64_t pcount = 0, run_ns;
        if (f->schedstat_fd >= 0 && !pread_text(f->schedstat_fd, sched, sizeof sched) &&
            !proc_schedstat(sched, &run_ns, &pcount) && pcount && pcount == prev->pcount) {
            out->state = PROC_NOT_RUNNABLE;
            out->switches = prev->switches;
            out->pcount = pcount;
            return 0;
        }
        if (f->stat_fd >= 0) {
            if (proc_thread_cpu(f, &state, &cpu)) return -1;
            if (state != 'R') {
                out->state = PROC_NOT_RUNNABLE;
                out->switches = prev->switches;
                out->pcount = pcount;   /* if it ran between the two reads, the next differs */
                return 0;
            }
            have_stat = true;
        }
    }
    if (pread_text(f->status_fd, status, sizeof status)) return -1;
    if (proc_status_switches(status, &state, &out->switches)) {
        errno = EINVAL;
        return -1;
    }
    out->state = state == 'R' ? PROC_ON_CPU : PROC_NOT_RUNNABLE;
    if (state != 'R') return 0;
    /* On a CPU then and never taken off since: on it still. The usual case
     * for a busy thread on a quiet runner, in one pread. */
    if (prev && prev->state == PROC_ON_CPU && prev->switches == out->switches) return 0;
    /* schedstat second: a thread put on a CPU between the two reads looks
     * on it, a few microseconds early; one taken off looks on it still, as
     * it was at the first read. A kernel that keeps no scheduler
     * statistics prints 0 0 0: then 'R' stays "on a CPU". */
    uint64_t pcount, run_ns;
    if (f->schedstat_fd < 0 || pread_text(f->schedstat_fd, sched, sizeof sched) ||
        proc_schedstat(sched, &run_ns, &pcount) || pcount == 0 || pcount != out->switches)
        return 0;
    out->state = PROC_WAITING_CPU;
    out->run_ns = run_ns;
    if (!have_stat && proc_thread_cpu(f, &state, &cpu)) cpu = -1;
    out->cpu = cpu;
    return 0;
}

int proc_exe(pid_t pid, char *buf, size_t len) {
    char link[64];
    snprintf(link, sizeof link, "/proc/%d/exe", (int)pid);
    ssize_t n = len ? readlink(link, buf, len - 1) : -1;
    if (len) buf[n > 0 ? n : 0] = '\0';
    return n > 0 ? 0 : -1;
}

uint64_t proc_auxv(pid_t pid, uint64_t type) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/auxv", (int)pid);
    FILE *f = fopen(path, "re");
    if (!f) return 0;
    uint64_t av[2], value = 0;
    while (fread(av, sizeof av, 1, f) == 1 && av[0] != AT_NULL)
        if (av[0] == type) value = av[1];
    fclose(f);
    return value;
}

long proc_status_number(pid_t id, const char *field) {
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)id);
    FILE *f = fopen(path, "re");
    if (!f) return -1;
    long v = -1;
    size_t fl = strlen(field);
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, field, fl) && line[fl] == ':') {
            v = strtol(line + fl + 1, NULL, 10);
            break;
        }
    fclose(f);
    return v;
}

/* The state letter follows the ')' closing the comm field, which itself may
 * contain spaces and parentheses: search from the right. */
int proc_stat_state(const char *stat, char *state) {
    const char *close = strrchr(stat, ')');
    if (!close || close[1] != ' ' || !close[2]) return -1;
    *state = close[2];
    return 0;
}

int proc_ptrace_scope(void) {
    int scope = -1;
    FILE *f = fopen("/proc/sys/kernel/yama/ptrace_scope", "re");
    if (f) {
        if (fscanf(f, "%d", &scope) != 1) scope = -1;
        fclose(f);
    }
    return scope;
}

int proc_machine_busy(double *seconds) {
    char buf[512];
    ssize_t n = read_small_file("/proc/stat", buf, sizeof buf);
    long hz = sysconf(_SC_CLK_TCK);
    if (n < 5 || hz <= 0 || strncmp(buf, "cpu ", 4)) return -1;
    /* user nice system idle iowait irq softirq steal: the first line can
     * only be cut by the buffer after these eight numbers. */
    unsigned long long v[8];
    const char *s = buf + 4;
    for (int i = 0; i < 8; i++) {
        char *end;
        while (*s == ' ') s++;
        if (!isdigit((unsigned char)*s)) return -1;
        errno = 0;
        v[i] = strtoull(s, &end, 10);
        if (errno || end == s) return -1;
        s = end;
    }
    unsigned long long busy = 0;
    for (int i = 0; i < 8; i++) {
        if (i == 3 || i == 4) continue;   /* idle, iowait */
        if (v[i] > (1ULL << 60) || busy > (1ULL << 62)) return -1;
        busy += v[i];
    }
    *seconds = (double)busy / (double)hz;
    return 0;
}

/* The value of a "key\t: value" line of /proc/cpuinfo (line to eol) into
 * out: printable ASCII, blanks collapsed and trimmed. Its length. */
static size_t cpuinfo_value(const char *line, const char *eol, char *out, size_t len) {
    const char *colon = memchr(line, ':', (size_t)(eol - line));
    size_t k = 0;
    bool blank = true;   /* drops leading blanks, collapses runs */
    for (const char *s = colon ? colon + 1 : eol; s < eol && k + 1 < len; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == ' ' || c == '\t') {
            if (!blank) out[k++] = ' ';
            blank = true;
        } else if (c > 0x20 && c < 0x7f) {
            out[k++] = (char)c;
            blank = false;
        }
    }
    while (k && out[k - 1] == ' ') k--;
    out[k] = 0;
    return k;
}

int proc_cpu_model(char *buf, size_t len) {
    /* The first CPU's block comes first: 8 KB holds it on any machine. */
    char text[8192], name[160] = "", family[16] = "", model[16] = "";
    if (len < 2 || read_small_file("/proc/cpuinfo", text, sizeof text) <= 0) return -1;
    for (char *line = text; *line;) {
        char *eol = strchr(line, '\n');
        if (!eol) eol = line + strlen(line);
        if (eol == line) break;   /* a blank line ends the first CPU's block */
        /* "model\t\t:" is the model number, "model name\t:" the name. */
        if (!strncmp(line, "model name", 10)) cpuinfo_value(line, eol, name, sizeof name);
        else if (!strncmp(line, "cpu family", 10)) cpuinfo_value(line, eol, family, sizeof family);
        else if (!strncmp(line, "model", 5) && (line[5] == '\t' || line[5] == ' '))
            cpuinfo_value(line, eol, model, sizeof model);
        if (!*eol) break;
        line = eol + 1;
    }
    if (!name[0]) return -1;
    /* A hypervisor may show a bare "AMD EPYC" for several generations: the
     * family and model numbers tell them apart. */
    int n = family[0] && model[0] ? snprintf(buf, len, "%s (family %s, model %s)", name, family, model)
                                  : snprintf(buf, len, "%s", name);
    return n > 0 ? 0 : -1;
}

int proc_cmdline(pid_t pid, char *buf, size_t len) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/cmdline", (int)pid);
    ssize_t n = read_small_file(path, buf, len);
    if (n < 0) return -1;
    while (n > 0 && buf[n - 1] == '\0') n--;
    for (ssize_t i = 0; i < n; i++)
        if (buf[i] == '\0') buf[i] = ' ';
    buf[n] = '\0';
    return 0;
}

/* /proc/PID/stat read into buf; returns what follows the comm (which may
 * itself hold spaces and parentheses, hence the last ')'), or NULL. */
static const char *stat_after_comm(pid_t pid, char *buf, size_t len) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    if (read_small_file(path, buf, len) < 0) return NULL;
    const char *close = strrchr(buf, ')');
    return close ? close + 1 : NULL;
}

int proc_ppid(pid_t pid, pid_t *ppid) {
    char buf[512];
    const char *rest = stat_after_comm(pid, buf, sizeof buf);
    int pp;
    char st;
    if (!rest || sscanf(rest, " %c %d", &st, &pp) != 2) return -1;
    *ppid = pp;
    return 0;
}

int proc_exec_id(pid_t pid, uint64_t *id) {
    char buf[1024];
    const char *rest = stat_after_comm(pid, buf, sizeof buf);
    if (!rest) return -1;
    /* Fields after the comm: state is field 3. start_code, end_code and
     * startstack are 26-28; arg_start..env_end are 48-51. */
    uint64_t h = 0xcbf29ce484222325ULL;
    int field = 2;
    for (const char *q = rest; *q; q++) {
        if (*q != ' ') continue;
        field++;
        if ((field >= 26 && field <= 28) || (field >= 48 && field <= 51)) {
            unsigned long long v = strtoull(q + 1, NULL, 10);
            h = (h ^ v) * 0x100000001b3ULL;
        }
    }
    if (field < 28) return -1;
    *id = h;
    return 0;
}

int proc_children_fd(int fd, pid_t **pids, size_t *n) {
    char buf[4096];
    ssize_t len = pread(fd, buf, sizeof buf - 1, 0);
    if (len < 0) return -1;
    buf[len] = '\0';
    if ((size_t)len == sizeof buf - 1) {
        /* Cut mid-list: drop the last, maybe partial, pid (seen next time). */
        char *sp = strrchr(buf, ' ');
        if (sp) *sp = '\0';
    }
    size_t cap = 0;
    *pids = NULL;
    *n = 0;
    for (char *q = buf; *q;) {
        char *end;
        long v = strtol(q, &end, 10);
        if (end == q) break;
        if (v > 0 && v < (1L << 22) && push_pid(pids, n, &cap, (pid_t)v)) {
            free(*pids);
            *pids = NULL;
            *n = 0;
            return -1;
        }
        q = end;
    }
    return 0;
}

static bool stat_alive(const char *path) {
    char buf[512], st;
    if (read_small_file(path, buf, sizeof buf) < 0 || proc_stat_state(buf, &st)) return false;
    return st != 'Z' && st != 'X';
}

bool proc_alive(pid_t pid) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    return stat_alive(path);
}

bool proc_thread_alive(pid_t pid, pid_t tid) {
    char path[96];
    snprintf(path, sizeof path, "/proc/%d/task/%d/stat", (int)pid, (int)tid);
    return stat_alive(path);
}

/* One pass over /proc collecting (pid, ppid) pairs, then a walk down from
 * root. /proc/PID/task/TID/children would be cheaper but is not configured
 * on every kernel; this runs a few times a second at most. */
int proc_descendants(pid_t root, pid_t **pids, size_t *n) {
    *pids = NULL;
    *n = 0;
    DIR *d = opendir("/proc");
    if (!d) return -1;
    pid_t *all = NULL, *parents = NULL;
    size_t nall = 0, capall = 0, npar = 0, cappar = 0, cap = 0;
    struct dirent *e;
    int rc = 0;
    while ((e = readdir(d))) {
        if (!is_number(e->d_name)) continue;
        pid_t p = (pid_t)atoi(e->d_name), pp;
        if (proc_ppid(p, &pp)) continue;
        if (push_pid(&all, &nall, &capall, p) || push_pid(&parents, &npar, &cappar, pp)) {
            rc = -1;
            break;
        }
    }
    closedir(d);
    if (rc == 0) {
        /* Breadth-first: *pids grows while we scan it. */
        size_t head = 0;
        pid_t cur = root;
        for (;;) {
            for (size_t i = 0; i < nall && rc == 0; i++)
                if (parents[i] == cur && all[i] != root) rc = push_pid(pids, n, &cap, all[i]);
            if (rc || head >= *n) break;
            cur = (*pids)[head++];
        }
    }
    free(all);
    free(parents);
    if (rc) {
        free(*pids);
        *pids = NULL;
        *n = 0;
    }
    return rc;
}

int proc_cpu_clock(pid_t pid, clockid_t *clk) {
    int e = clock_getcpuclockid(pid, clk);
    if (e) {
        errno = e;
        return -1;
    }
    return 0;
}

int proc_cpu_ns(clockid_t clk, uint64_t *ns) {
    struct timespec ts;
    if (clock_gettime(clk, &ts) || ts.tv_sec < 0 || ts.tv_nsec < 0) return -1;
    *ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
    return 0;
}

void proc_ptrace_refusal(pid_t pid, pid_t tid, int err, char *why, size_t len) {
    if (err == ESRCH) {
        snprintf(why, len, "process %d exited", (int)pid);
        return;
    }
    if (err != EPERM) {
        snprintf(why, len, "cannot stop thread %d of process %d with ptrace: %s", (int)tid,
                 (int)pid, strerror(err));
        return;
    }
    long tracer = proc_status_number(tid, "TracerPid");
    if (tracer > 0 && tracer != getpid()) {
        char comm[64];
        if (proc_comm((pid_t)tracer, comm, sizeof comm) || !comm[0]) snprintf(comm, sizeof comm, "?");
        snprintf(why, len, "--native cannot stop process %d: it is already traced by process %ld "
                 "(%s); detach that debugger or tracer, or record without --native",
                 (int)pid, tracer, comm);
        return;
    }
    int scope = proc_ptrace_scope();
    if (scope >= 1)
        snprintf(why, len, "not permitted to stop process %d for --native: "
                 "kernel.yama.ptrace_scope=%d only lets a parent trace its children; run as "
                 "root, grant CAP_SYS_PTRACE, or use 'csprof record -- CMD' to start the "
                 "process under csprof", (int)pid, scope);
    else if (proc_status_number(getpid(), "Seccomp") == 2)
        snprintf(why, len, "not permitted to stop process %d for --native: csprof runs under a "
                 "seccomp filter that forbids ptrace (a container's default profile?); allow "
                 "ptrace (e.g. docker --cap-add SYS_PTRACE) or record without --native", (int)pid);
    else
        snprintf(why, len, "not permitted to stop process %d for --native: it belongs to "
                 "another user; run as that user or with CAP_SYS_PTRACE", (int)pid);
}
