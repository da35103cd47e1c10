/* The API fuzzer's interpreter (api_fuzz.c), shared by the libFuzzer
 * target (fuzz_libfuzzer.c, clang) and the replay driver (fuzz_replay.c,
 * any compiler). An input is a little program: each op byte picks a public
 * function, the bytes after it its arguments (tensor slots, devices of two
 * contexts, dims from a table of hostile values, enums in and out of
 * range, NULLs). Every call must return a status in range, with a fresh
 * message when it fails, and NULL in its out-handle; TS_ERR_INTERNAL is a
 * bug, and so is a Vulkan validation message (TESSEL_VULKAN_VALIDATION=1).
 * The library must never crash, abort or print (the replay test checks
 * the output is empty). */
#ifndef TESSEL_API_FUZZ_H
#define TESSEL_API_FUZZ_H

#include <stddef.h>
#include <stdint.h>

typedef struct tsf_stats {
    long long inputs, calls, failed, skipped;
} tsf_stats;

/* Create the two contexts every input shares; 0 on success. */
int tsf_init(void);
/* Run one input. 0, or 1 with *why set when the library broke a rule. */
int tsf_run(const uint8_t *data, size_t size, const char **why);
void tsf_stats_get(tsf_stats *out);
void tsf_shutdown(void);

#endif
