/* check.h -- a minimal unit test harness. A test file defines test functions
 * with TEST(name), lists them in main via RUN(name), and ends with
 * return check_summary(). Every CHECK failure prints file:line and the
 * expression; the summary line is "N passed, N failed" per test function. */
#ifndef CSPROF_CHECK_H
#define CSPROF_CHECK_H
#include <stdio.h>
#include <string.h>

static int check_failed_now;
static int check_passed, check_failed;

#define TEST(name) static void name(void)
#define CHECK(expr)                                                         \
    do {                                                                    \
        if (!(expr)) {                                                      \
            fprintf(stderr, "  FAIL %s:%d: %s\n", __FILE__, __LINE__, #expr); \
            check_failed_now = 1;                                           \
        }                                                                   \
    } while (0)
#define CHECK_EQ_INT(a, b)                                                  \
    do {                                                                    \
        long long va_ = (long long)(a), vb_ = (long long)(b);               \
        if (va_ != vb_) {                                                   \
            fprintf(stderr, "  FAIL %s:%d: %s == %s (%lld != %lld)\n",      \
                    __FILE__, __LINE__, #a, #b, va_, vb_);                  \
            check_failed_now = 1;                                           \
        }                                                                   \
    } while (0)
#define CHECK_EQ_STR(a, b)                                                  \
    do {                                                                    \
        const char *sa_ = (a), *sb_ = (b);                                  \
        if (!sa_ || !sb_ || strcmp(sa_, sb_)) {                             \
            fprintf(stderr, "  FAIL %s:%d: %s == %s (\"%s\" != \"%s\")\n",  \
                    __FILE__, __LINE__, #a, #b, sa_ ? sa_ : "(null)",       \
                    sb_ ? sb_ : "(null)");                                  \
            check_failed_now = 1;                                           \
        }                                                                   \
    } while (0)
#define RUN(name)                                                           \
    do {                                                                    \
        check_failed_now = 0;                                               \
        name();                                                             \
        if (check_failed_now) {                                             \
            check_failed++;                                                 \
            printf("FAIL %s\n", #name);                                     \
        } else {                                                            \
            check_passed++;                                                 \
            printf("ok   %s\n", #name);                                     \
        }                                                                   \
    } while (0)

static inline int check_summary(void) {
    printf("%d passed, %d failed\n", check_passed, check_failed);
    return check_failed ? 1 : 0;
}
#endif
