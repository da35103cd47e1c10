/* libFuzzer entry for the API fuzzer (clang, -DTESSEL_FUZZ=ON with
 * TESSEL_SANITIZE=address,undefined):
 *     build-asan/bin/tessel-fuzz tests/fuzz/corpus -runs=1000000
 * A broken rule (api_fuzz.h) aborts, so libFuzzer saves the input. */
#include <stdio.h>
#include <stdlib.h>

#include "api_fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    if (tsf_init() != 0) {
        fprintf(stderr, "tessel-fuzz: no context or device\n");
        abort();
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *why = NULL;
    if (tsf_run(data, size, &why) != 0) {
        fprintf(stderr, "tessel-fuzz: %s\n", why);
        abort();
    }
    return 0;
}
