/* sampler_sched.c -- when the sampler reads a process, and a thread: the
 * CPU-time gate of each process, and each thread's standing with the
 * scheduler (idle, waiting for a CPU, on one), asked of the kernel only
 * when it cannot be known otherwise. sampler_int.h has the promises. */
#include <sched.h>

#include "sampler_int.h"

thread_entry *thread_known(target *t, const py_thread_stack *st) {
    for (size_t i = 0; i < t->nthreads; i++)
        if (t->threads[i].thread_id == st->thread_id &&
            (t->threads[i].tid == st->tid || st->tid == 0))
            return &t->threads[i];
    return NULL;
}

/* Where thread e stands with the scheduler this tick: read once per tick
 * (--native asks before stopping threads, and again for those it did not
 * stop). 0, or -1 when its files do not answer (the thread is gone). */
int thread_sched(sampler *s, thread_entry *e, proc_sched_state *out) {
    uint64_t tick = this_tick(s);
    if (e->sched_tick != tick) {
        target *t = s->cur;
        proc_sched was = e->sched;
        bool known = e->sched_status == 0 && e->sched_tick != 0;
        bool read_last_tick = known && e->sched_tick + 1 == tick;
        e->sched_tick = tick;
        if (t->clock_still && e->oncpu_tick + 1 == tick) {
            /* On a CPU at the last tick, and its process's CPU clock has
             * not moved since: the kernel moves it whenever it takes a
             * thread of it off a CPU (and at its scheduler ticks), so this
             * one has not left its CPU. Its switch count stands. */
            e->sched = (proc_sched){.state = PROC_ON_CPU, .cpu = -1,
                                    .switches = e->sched.switches};
            e->sched_status = 0;
        } else {
            if (e->tid) prof_counters_of(s->p)->state_reads++;
            e->sched_status =
                e->tid ? proc_thread_sched(&e->files, known ? &was : NULL, &e->sched) : -1;
        }
        const proc_sched *now = &e->sched;
        e->state = now->state;
        if (e->sched_status == 0 && now->state == PROC_WAITING_CPU && !e->has_run0) {
            e->run0_ns = now->run_ns;
            e->samples0 = e->samples;
            e->has_run0 = true;
        }
        if (e->sched_status == 0 && now->state == PROC_ON_CPU) {
            e->oncpu_tick = tick;
            t->still_wanted = true;   /* the next tick may spare the kernel this question */
        }
        /* Waiting in the queue of the CPU csprof runs on: csprof itself
         * most often took that CPU from it when it woke for this tick, at
         * no particular place in its code, and the thread is back on it as
         * soon as csprof sleeps: as good as running (on a runner with as
         * many busy processes as CPUs, csprof must take one of them, which
         * would otherwise never be read). Unless it has not been taken off
         * a CPU since the last tick: then it was off one already, waiting
         * behind another process. Only one of them was on that CPU when
         * csprof took it, and two may have run there since the last tick:
         * queue_tick marks the candidates, and sampler.c's take_sample
         * keeps the sample of the one whose samples lag most behind its
         * CPU time (thread_queue_credit). */
        if (e->sched_status == 0 && now->state == PROC_WAITING_CPU && now->cpu >= 0 &&
            now->cpu == sched_getcpu() && !(read_last_tick && was.switches == now->switches)) {
            e->state = PROC_ON_CPU;
            e->queue_tick = tick;
        }
    }
    *out = e->state;
    return e->sched_status;
}

bool thread_queued_here(sampler *s, const thread_entry *e) {
    return e->queue_tick == this_tick(s) && !s->o->idle;
}

double thread_queue_credit(sampler *s, const thread_entry *e) {
    if (e->sched_tick != this_tick(s) || e->sched_status != 0 || !e->has_run0 ||
        e->sched.state != PROC_WAITING_CPU || e->sched.run_ns < e->run0_ns)
        return 0;
    return (double)(e->sched.run_ns - e->run0_ns) * s->o->rate_hz / 1e9 -
           (double)(e->samples - e->samples0);
}

/* A thread runnable but off every CPU is read where the scheduler last
 * took it off, and that is no random place: on a busy runner a process's
 * turn tends to end at a system call that reads the clock. SciPy's
 * L-BFGS-B times itself with getrusage(), and its call site took 5-7% of
 * the samples beside two spinning processes for 1% of the CPU time. So a
 * thread waiting for a CPU is left for a later tick, when it runs (its
 * process keeps the CPU-time credit, counted as waiting). A thread in
 * csprof's own CPU queue counts as running (thread_sched), and one not
 * seen on a CPU for a second is read anyway, as before: with one CPU,
 * shared with csprof itself, it never runs while it is read. --idle
 * records wall time, and waiting for a CPU is part of it. */
bool thread_leave_for_later(sampler *s, const target *t, thread_entry *e, proc_sched_state st) {
    uint64_t tick = this_tick(s);
    if (st == PROC_ON_CPU) e->seen_on_cpu = tick;
    if (st != PROC_WAITING_CPU || s->o->idle || !t->has_clock) return false;
    return e->seen_on_cpu && tick - e->seen_on_cpu <= (uint64_t)s->o->rate_hz;
}

/* A thread found not runnable at the last tick is asked first whether it
 * still is: then its stack is not read at all, as it would not be recorded
 * (without --idle an idle thread is only counted). A thread pool's idle
 * workers cost one pread each per tick, not a stack read and a pread. */
bool thread_still_idle(void *ctx, const py_thread_stack *ids) {
    sampler *s = ctx;
    target *t = s->cur;
    thread_entry *e = thread_known(t, ids);
    proc_sched_state ss;
    if (s->o->idle || !e || !e->tid || e->idle_tick + 1 != this_tick(s) ||
        thread_sched(s, e, &ss) != 0 || ss != PROC_NOT_RUNNABLE)
        return false;
    prof_counters_of(s->p)->idle += s->weight;
    e->idle_tick = this_tick(s);
    return true;
}

/* A CPU profile has each sample stand for one interval of CPU time. But a
 * thread waiting for a CPU on a busy machine is runnable ('R', so not
 * idle) while it computes nothing, and every tick it waits would be one
 * more sample of the line it stopped at: a 100 ms wait, 100 samples of one
 * line, which moves shares between two runs of unchanged code. So a
 * process is read only while the CPU time it has used (the kernel's
 * process clock, all its threads) covers the samples taken of it. The
 * clock of another process advances at scheduler ticks (1-10 ms), so a
 * credit of up to 12 ms of CPU time is allowed ahead (credit_most). With
 * --idle every tick counts (wall-clock profile): no gate. */
bool target_cpu_credit(sampler *s, target *t) {
    uint64_t tick = this_tick(s);
    bool still = t->still_wanted && tick >= t->still_off_until;
    t->still_wanted = t->clock_still = false;
    if (!t->has_clock) return true;
    bool gate = !s->o->idle;
    double most = credit_most(s);
    /* The clock keeps what the process used since it was last read, so it
     * need not be read while half the credit is left: one system call
     * every few ticks for a busy process, not one per tick (unless it may
     * spare a /proc read of a thread's state, thread_sched). */
    if ((!gate || t->credit >= most / 2) && !still) return true;
    uint64_t now;
    if (proc_cpu_ns(t->cpu_clock, &now)) return true;   /* gone: the read will say so */
    if (still && t->clock_tick + 1 == tick) {
        /* Worth a read while it holds at a quarter of the ticks or more (a
         * clock read is a quarter of a status read); with the kernel's
         * ticks at 1000 Hz a busy process's clock moves at every one. */
        t->clock_still = now == t->cpu_ns;
        t->still_hits += t->clock_still;
        if (++t->still_tries == 64) {
            if (t->still_hits * 4 < t->still_tries) t->still_off_until = tick + 4096;
            t->still_tries = t->still_hits = 0;
        }
    }
    if (now > t->cpu_ns) t->credit += (double)(now - t->cpu_ns) * s->o->rate_hz / 1e9;
    t->cpu_ns = now;
    t->clock_tick = tick;
    if (t->credit > most) t->credit = most;
    return !gate || t->credit >= 0.5;
}

