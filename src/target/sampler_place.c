/* sampler_place.c -- where csprof runs while it samples (sampler.h,
 * placement; sampler_int.h has the promises).
 *
 * Why: one read of a stack takes microseconds, and between its first
 * piece (the current-frame pointer) and its last (the frames) a thread
 * that calls and returns every few hundred nanoseconds has moved on. The
 * walk then follows a pointer of one instant through frames of another:
 * the frame it names may since be a caller waiting on a newer call, or a
 * slot reused by another call's values. Checks refuse what cannot be a
 * stack, and a refused read is tried again, but the tries that pass are
 * those that caught the callers that outlive a read: on
 * tests/workloads/short_calls.py a leaf that holds ~75% of the time came
 * out at 30-70%, and 3.11 kept 15-20% of stacks with calls the script never
 * makes (tests/bench/callbias.py). A thread does not run while csprof
 * reads it from the CPU it runs on: the kernel gives csprof that CPU when
 * it wakes (it sleeps nearly all the time), and the thread waits in the
 * queue for the microseconds of the read; the same script read so gives
 * the shares perf gives. Steady code gains nothing that way, so csprof
 * goes there only while stacks keep moving under its reads, a second at a
 * time, then measures again from wherever the kernel puts it.
 *
 * The thread followed waits for each read there, as it would on a runner
 * with one CPU (sampler_sched.c counts a thread waiting in the queue of
 * csprof's own CPU as on it): csprof's CPU per round and two context
 * switches. At every tick that made the bundled example 9.2-9.5% slower,
 * against 0.7-1.4% read from another CPU (tests/bench/callbias.py); so
 * csprof wakes there at most beside_hz times a second (3.5%), and each
 * round there stands for the ticks until the next (place_weight): fewer
 * samples, each as exact, none biased. */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "sampler_int.h"

/* Sampled ticks looked at, and how many of them must have seen a stack
 * move under the read for csprof to go beside the thread. */
#define PLACE_WINDOW 32
#define PLACE_MOVED 4

static uint32_t moved_in_window(const placement *pl) {
    uint64_t w = pl->history & ((1ull << PLACE_WINDOW) - 1);
    return (uint32_t)__builtin_popcountll(w);
}

void place_init(sampler *s) {
    placement *pl = &s->place;
    memset(pl, 0, sizeof *pl);
    pl->cpu = -1;
    CPU_ZERO(&pl->home);
    pl->usable = s->o->beside_hz > 0 && !s->o->native &&
                 sched_getaffinity(0, sizeof pl->home, &pl->home) == 0 && CPU_COUNT(&pl->home) >= 2;
    /* Rounds beside a thread at most beside_hz a second: each stands for
     * the ticks until the next, and samples a random point of them. */
    double every = pl->usable ? ceil(s->o->rate_hz / s->o->beside_hz - 1e-9) : 1;
    pl->every = every < 1 ? 1 : every > 1e6 ? 1000000 : (uint32_t)every;
}

uint32_t place_weight(const sampler *s) {
    return s->place.cpu >= 0 ? s->place.every : 1;
}

void place_note(sampler *s, const target *t, const thread_entry *e, bool moved, bool running) {
    placement *pl = &s->place;
    if (!pl->usable || !e->tid) return;
    if (moved) {
        pl->moved = true;
        pl->has_follow = true;
        pl->follow_pid = t->pid;
        pl->follow_tid = e->tid;
    }
    if (pl->has_follow && t->pid == pl->follow_pid && e->tid == pl->follow_tid &&
        (moved || running))
        pl->ran = true;
}

static const thread_entry *followed(const sampler *s) {
    const placement *pl = &s->place;
    for (size_t i = 0; pl->has_follow && i < s->ntargets; i++) {
        const target *t = &s->targets[i];
        if (t->dead || t->pid != pl->follow_pid) continue;
        for (size_t j = 0; j < t->nthreads; j++)
            if (t->threads[j].tid == pl->follow_tid) return &t->threads[j];
    }
    return NULL;
}

static void let_go(placement *pl) {
    if (pl->cpu >= 0) sched_setaffinity(0, sizeof pl->home, &pl->home);
    pl->cpu = -1;
    pl->history = 0;
    pl->seen = 0;
    pl->has_follow = false;
}

/* Moves csprof to the CPU the followed thread runs on, when it runs (a
 * thread asleep has no stack to move) on one of csprof's home CPUs. */
static void go_beside(sampler *s) {
    placement *pl = &s->place;
    const thread_entry *e = followed(s);
    char state;
    int cpu;
    if (!e || proc_thread_cpu(&e->files, &state, &cpu) || state != 'R' || cpu >= CPU_SETSIZE ||
        !CPU_ISSET(cpu, &pl->home) || cpu == pl->cpu)
        return;
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cpu, &one);
    /* Refused (a cpuset changed under us): sampling goes on from anywhere. */
    if (sched_setaffinity(0, sizeof one, &one)) {
        pl->usable = false;
        let_go(pl);
        return;
    }
    if (pl->cpu < 0)
        pl->until = prof_counters_of(s->p)->ticks + (uint64_t)(s->o->rate_hz > 1 ? s->o->rate_hz : 1);
    pl->cpu = cpu;
}

void place_tick(sampler *s) {
    placement *pl = &s->place;
    bool moved = pl->moved, ran = pl->ran;
    pl->moved = pl->ran = false;
    if (!pl->usable) return;
    if (pl->cpu >= 0) {
        prof_counters_of(s->p)->beside += s->weight;
        if (prof_counters_of(s->p)->ticks >= pl->until) {
            let_go(pl);
            return;
        }
        /* It ran while csprof read it: not on csprof's CPU any more. */
        if (ran) go_beside(s);
        return;
    }
    pl->history = pl->history << 1 | moved;
    if (pl->seen < 64) pl->seen++;
    if (pl->seen >= PLACE_WINDOW && moved_in_window(pl) >= PLACE_MOVED) go_beside(s);
}

void place_finish(sampler *s) {
    let_go(&s->place);
}
