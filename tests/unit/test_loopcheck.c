/* Unit tests for loopcheck.h: every loop seen within three times its
 * length plus its lead, and no straight walk taken for a loop. */
#include "check.h"
#include "loopcheck.h"

/* Steps a walk of lead addresses, then a loop of len, takes until
 * loopcheck_seen says so; -1 when it never does within limit steps. */
static long steps_to_see(uint64_t lead, uint64_t len, long limit) {
    loopcheck lc = LOOPCHECK_INIT;
    for (long i = 0; i < limit; i++) {
        uint64_t at = (uint64_t)i < lead ? 0x1000 + (uint64_t)i
                                         : 0x100000 + ((uint64_t)i - lead) % len;
        if (loopcheck_seen(&lc, at)) return i + 1;
    }
    return -1;
}

TEST(every_loop_is_seen_soon) {
    for (uint64_t lead = 0; lead <= 40; lead++)
        for (uint64_t len = 1; len <= 40; len++) {
            long n = steps_to_see(lead, len, 100000);
            CHECK(n > (long)(lead + len));           /* not before it came round */
            CHECK(n <= 3 * (long)(lead + len));
        }
    CHECK(steps_to_see(3000, 1000, 100000) <= 12000);
    CHECK(steps_to_see(0, 257, 100000) == 768);   /* near the worst: 2.99 times */
}

TEST(a_straight_walk_is_never_a_loop) {
    CHECK_EQ_INT(steps_to_see(100000, 1, 100000), -1);
}

int main(void) {
    RUN(every_loop_is_seen_soon);
    RUN(a_straight_walk_is_never_a_loop);
    return check_summary();
}
