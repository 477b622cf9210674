/* Unit tests for sbuf.c and numfmt.c. */
#include <stdint.h>
#include <stdlib.h>

#include "check.h"
#include "numfmt.h"
#include "sbuf.h"

TEST(append_and_printf) {
    sbuf b;
    sbuf_init(&b, SBUF_NO_LIMIT);
    CHECK_EQ_STR(sbuf_str(&b), "");
    CHECK(sbuf_puts(&b, "ab") && sbuf_putc(&b, 'c') && sbuf_putn(&b, "dxx", 1));
    CHECK(sbuf_printf(&b, "-%d-%s", 42, "z"));
    CHECK_EQ_STR(sbuf_str(&b), "abcd-42-z");
    CHECK_EQ_INT(b.len, 9);
    sbuf_free(&b);
}

TEST(printf_longer_than_the_stack_buffer) {
    sbuf b;
    sbuf_init(&b, SBUF_NO_LIMIT);
    char big[3000];
    memset(big, 'q', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    CHECK(sbuf_printf(&b, "<%s>", big));
    CHECK_EQ_INT(b.len, 3001);
    CHECK(b.s[0] == '<' && b.s[3000] == '>' && b.s[1500] == 'q');
    sbuf_free(&b);
}

TEST(limit_refuses_whole_appends) {
    sbuf b;
    sbuf_init(&b, 5);
    CHECK(sbuf_puts(&b, "abc"));
    CHECK(!sbuf_puts(&b, "def"));   /* would make 6 */
    CHECK(b.full && !b.oom);
    CHECK_EQ_STR(sbuf_str(&b), "abc");
    CHECK(sbuf_puts(&b, "de"));     /* exactly 5 */
    CHECK(!sbuf_printf(&b, "%d", 1));
    CHECK_EQ_STR(sbuf_str(&b), "abcde");
    sbuf_free(&b);
}

TEST(take_moves_and_empties) {
    sbuf a, c;
    sbuf_init(&a, 4);
    sbuf_init(&c, SBUF_NO_LIMIT);
    sbuf_puts(&c, "xy");
    CHECK(sbuf_take(&a, &c));
    CHECK_EQ_STR(sbuf_str(&a), "xy");
    CHECK_EQ_INT(c.len, 0);
    sbuf_puts(&c, "123");
    CHECK(!sbuf_take(&a, &c));  /* does not fit: dropped whole */
    CHECK_EQ_STR(sbuf_str(&a), "xy");
    CHECK_EQ_STR(sbuf_str(&c), "");
    sbuf_free(&a);
    sbuf_free(&c);
}

TEST(oom_is_sticky_and_honest) {
    sbuf b;
    sbuf_init(&b, SBUF_NO_LIMIT);
    sbuf_puts(&b, "ok");
    /* A length whose size computation would overflow must fail, not wrap
     * (the pointer is never read: the length is refused first). */
    CHECK(!sbuf_putn(&b, "x", SIZE_MAX - 2));
    CHECK(b.oom);
    CHECK(!sbuf_puts(&b, "more"));
    CHECK_EQ_STR(sbuf_str(&b), "ok");
    size_t len = 99;
    CHECK(sbuf_detach(&b, &len) == NULL);
    CHECK_EQ_INT(len, 0);
    sbuf_free(&b);
}

TEST(detach_hands_over) {
    sbuf b;
    sbuf_init(&b, SBUF_NO_LIMIT);
    size_t len = 9;
    char *empty = sbuf_detach(&b, &len);
    CHECK(empty && !*empty && len == 0);
    free(empty);
    sbuf_puts(&b, "hello");
    char *s = sbuf_detach(&b, &len);
    CHECK_EQ_STR(s, "hello");
    CHECK_EQ_INT(len, 5);
    CHECK(b.s == NULL && b.len == 0);
    free(s);
}

TEST(fmt_secs_one_rule) {
    char t[32];
    CHECK_EQ_STR(fmt_secs(t, sizeof t, 0), "0 ms");
    CHECK_EQ_STR(fmt_secs(t, sizeof t, 0.554), "554 ms");
    CHECK_EQ_STR(fmt_secs(t, sizeof t, 0.9996), "1.00 s");
    CHECK_EQ_STR(fmt_secs(t, sizeof t, 1.14), "1.14 s");
    CHECK_EQ_STR(fmt_secs(t, sizeof t, 99.5), "99.50 s");
    CHECK_EQ_STR(fmt_secs(t, sizeof t, 554.4), "554 s");
    CHECK_EQ_STR(fmt_secs(t, sizeof t, -1), "?");
    CHECK_EQ_STR(fmt_secs(t, sizeof t, 1.0 / 0.0), "?");
    CHECK_EQ_STR(fmt_secs(t, sizeof t, 0.0 / 0.0), "?");
    char small[4];
    CHECK_EQ_STR(fmt_secs(small, sizeof small, 1e300), "100");  /* cut, terminated */
}

TEST(fmt_bytes_one_rule) {
    char t[32];
    const double mib = 1024.0 * 1024;
    CHECK_EQ_STR(fmt_bytes(t, sizeof t, 0), "0.0 MiB");
    CHECK_EQ_STR(fmt_bytes(t, sizeof t, 12.34 * mib), "12.3 MiB");
    CHECK_EQ_STR(fmt_bytes(t, sizeof t, 1023.9 * mib), "1023.9 MiB");
    CHECK_EQ_STR(fmt_bytes(t, sizeof t, 1023.97 * mib), "1.00 GiB");   /* never "1024.0 MiB" */
    CHECK_EQ_STR(fmt_bytes(t, sizeof t, 1280 * mib), "1.25 GiB");
    CHECK_EQ_STR(fmt_bytes(t, sizeof t, -1), "?");
    CHECK_EQ_STR(fmt_bytes(t, sizeof t, 0.0 / 0.0), "?");
}

TEST(fmt_count_groups) {
    char t[32];
    CHECK_EQ_STR(fmt_count(t, sizeof t, 0), "0");
    CHECK_EQ_STR(fmt_count(t, sizeof t, 999), "999");
    CHECK_EQ_STR(fmt_count(t, sizeof t, 1234567), "1,234,567");
    CHECK_EQ_STR(fmt_count(t, sizeof t, UINT64_MAX), "18,446,744,073,709,551,615");
    char small[5];
    CHECK_EQ_STR(fmt_count(small, sizeof small, 1234567), "1,2");
}

int main(void) {
    RUN(append_and_printf);
    RUN(printf_longer_than_the_stack_buffer);
    RUN(limit_refuses_whole_appends);
    RUN(take_moves_and_empties);
    RUN(oom_is_sticky_and_honest);
    RUN(detach_hands_over);
    RUN(fmt_secs_one_rule);
    RUN(fmt_bytes_one_rule);
    RUN(fmt_count_groups);
    return check_summary();
}
