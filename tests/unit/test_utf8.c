/* Unit tests for utf8.c and md.c. */
#include <stdlib.h>

#include "check.h"
#include "md.h"
#include "utf8.h"

static char *display(const char *s, size_t max, int tail) {
    sbuf b;
    sbuf_init(&b, SBUF_NO_LIMIT);
    utf8_display(&b, s, max, tail);
    return sbuf_detach(&b, NULL);
}

TEST(decode_rejects_malformed) {
    uint32_t cp = 0;
    CHECK_EQ_INT(utf8_decode((const unsigned char *)"A", 1, &cp), 1);
    CHECK_EQ_INT(cp, 'A');
    CHECK_EQ_INT(utf8_decode((const unsigned char *)"\xC3\xA9", 2, &cp), 2);
    CHECK_EQ_INT(cp, 0xE9);
    CHECK_EQ_INT(utf8_decode((const unsigned char *)"\xF0\x9F\x98\x80", 4, &cp), 4);
    CHECK_EQ_INT(cp, 0x1F600);
    CHECK_EQ_INT(utf8_decode((const unsigned char *)"\xC0\xAF", 2, NULL), 0);      /* overlong */
    CHECK_EQ_INT(utf8_decode((const unsigned char *)"\xE0\x80\xAF", 3, NULL), 0);  /* overlong */
    CHECK_EQ_INT(utf8_decode((const unsigned char *)"\xED\xA0\x80", 3, NULL), 0);  /* surrogate */
    CHECK_EQ_INT(utf8_decode((const unsigned char *)"\xF4\x90\x80\x80", 4, NULL), 0); /* >10FFFF */
    CHECK_EQ_INT(utf8_decode((const unsigned char *)"\xE2\x82", 2, NULL), 0);      /* truncated */
    CHECK_EQ_INT(utf8_decode((const unsigned char *)"\x80", 1, NULL), 0);          /* stray */
    CHECK_EQ_INT(utf8_decode((const unsigned char *)"\xFF", 1, NULL), 0);
    CHECK(utf8_valid("h\xC3\xA9llo", 6));
    CHECK(!utf8_valid("h\xC3llo", 5));
    CHECK(utf8_valid("", 0));
}

TEST(cut_never_splits_a_character) {
    const char *s = "ab\xE2\x82\xAC" "cd";  /* a b € c d */
    CHECK_EQ_INT(utf8_cut(s, 7, 100), 7);
    CHECK_EQ_INT(utf8_cut(s, 7, 4), 2);     /* € would need bytes 2..4 */
    CHECK_EQ_INT(utf8_cut(s, 7, 5), 5);
    CHECK_EQ_INT(utf8_cut(s, 7, 0), 0);
    /* an invalid byte is its own unit */
    CHECK_EQ_INT(utf8_cut("a\xFF\xFF" "b", 4, 2), 2);
    /* every cut of a long mixed string is valid UTF-8 */
    const char *mix = "\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80x\xC3\xA9\xE2\x82\xAC";
    size_t n = strlen(mix);
    for (size_t max = 0; max <= n; max++) CHECK(utf8_valid(mix, utf8_cut(mix, n, max)));
}

TEST(trim_partial_drops_a_cut_sequence) {
    CHECK_EQ_INT(utf8_trim_partial("ab\xE2\x82", 4), 2);      /* € cut after 2 of 3 */
    CHECK_EQ_INT(utf8_trim_partial("ab\xE2", 3), 2);
    CHECK_EQ_INT(utf8_trim_partial("ab\xE2\x82\xAC", 5), 5);  /* whole */
    CHECK_EQ_INT(utf8_trim_partial("\xF0\x9F\x98", 3), 0);
    CHECK_EQ_INT(utf8_trim_partial("abc", 3), 3);
    CHECK_EQ_INT(utf8_trim_partial("", 0), 0);
    CHECK_EQ_INT(utf8_trim_partial("a\x80", 2), 2);           /* stray byte: not ours to drop */
}

TEST(sanitize_replaces_each_bad_byte) {
    sbuf b;
    sbuf_init(&b, SBUF_NO_LIMIT);
    CHECK(utf8_sanitize(&b, "a\xFF" "b\xE2\x82", 5));
    CHECK_EQ_STR(sbuf_str(&b), "a\xEF\xBF\xBD" "b\xEF\xBF\xBD\xEF\xBF\xBD");
    CHECK(utf8_valid(b.s, b.len));
    sbuf_reset(&b);
    CHECK(utf8_sanitize(&b, "ok\xC3\xA9", 4));
    CHECK_EQ_STR(sbuf_str(&b), "ok\xC3\xA9");
    sbuf_free(&b);
}

TEST(display_cuts_at_characters) {
    char *s = display("\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9", 3, 0);
    CHECK_EQ_STR(s, "\xC3\xA9\xC3\xA9\xE2\x80\xA6");
    free(s);
    s = display("abcdef", 3, 1);
    CHECK_EQ_STR(s, "\xE2\x80\xA6" "ef");
    free(s);
    s = display("abc", 3, 0);
    CHECK_EQ_STR(s, "abc");
    free(s);
    s = display("a\nb\tc\x7f\xC2\x9B" "d\xFF", 0, 0);
    CHECK_EQ_STR(s, "a b c  d\xEF\xBF\xBD");
    free(s);
    s = display(NULL, 5, 0);
    CHECK_EQ_STR(s, "");
    free(s);
    s = display("abcdef", 1, 0);
    CHECK_EQ_STR(s, "\xE2\x80\xA6");
    free(s);
    CHECK_EQ_INT(utf8_count("a\xC3\xA9\xFF", 4), 3);
}

static char *code(const char *s, size_t max, bool table) {
    sbuf b;
    sbuf_init(&b, SBUF_NO_LIMIT);
    md_code_span(&b, s, max, table);
    return sbuf_detach(&b, NULL);
}

TEST(code_span_fence_outgrows_any_run) {
    char *s = code("f", 0, false);
    CHECK_EQ_STR(s, "`f`");
    free(s);
    s = code("a`b", 0, false);
    CHECK_EQ_STR(s, "`` a`b ``");
    free(s);
    s = code("`x", 0, false);
    CHECK_EQ_STR(s, "`` `x ``");
    free(s);
    /* the reported break-out: 7+ backticks followed by HTML */
    s = code("x```````<img src=x>`````````[click](https://e.example)", 0, true);
    CHECK_EQ_STR(s, "`````````` x```````<img src=x>`````````[click](https://e.example) ``````````");
    free(s);
    s = code("a|b", 0, true);
    CHECK_EQ_STR(s, "`a\\|b`");
    free(s);
    s = code("a|b", 0, false);
    CHECK_EQ_STR(s, "`a|b`");
    free(s);
    s = code("", 0, false);
    CHECK_EQ_STR(s, "`?`");
    free(s);
    s = code("line1\nline2", 0, false);
    CHECK_EQ_STR(s, "`line1 line2`");
    free(s);
    s = code(" x ", 0, false);
    CHECK_EQ_STR(s, "`  x  `");
    free(s);
}

TEST(text_escapes_markdown) {
    sbuf b;
    sbuf_init(&b, SBUF_NO_LIMIT);
    md_plain(&b, "[a](https://x.y) <b> *c* www.d.e |", 0, false);
    CHECK_EQ_STR(sbuf_str(&b), "\\[a\\](https\\://x.y) \\<b\\> \\*c\\* www\\.d.e \\|");
    sbuf_free(&b);
}

int main(void) {
    RUN(decode_rejects_malformed);
    RUN(cut_never_splits_a_character);
    RUN(trim_partial_drops_a_cut_sequence);
    RUN(sanitize_replaces_each_bad_byte);
    RUN(display_cuts_at_characters);
    RUN(code_span_fence_outgrows_any_run);
    RUN(text_escapes_markdown);
    return check_summary();
}
