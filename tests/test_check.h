/* The check of the small test programs that do not use cmocka: a failed
 * condition is reported with its place and a message, counted in
 * g_failures, and the test goes on (main returns g_failures != 0). */
#ifndef TESSEL_TESTS_TEST_CHECK_H
#define TESSEL_TESTS_TEST_CHECK_H

#include <stdio.h>

static int g_failures;

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);                                   \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
            g_failures++;                                                                          \
        }                                                                                          \
    } while (0)

#endif
