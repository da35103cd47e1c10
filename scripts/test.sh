#!/usr/bin/env bash
# The test command: installs what is needed, builds with warnings as errors
# (gcc, then a clang build to keep both compilers clean) and runs every test
# on every backend, the software devices (lavapipe, PoCL) included; then
# the sanitizer builds (ASan + UBSan with the fuzzer, TSan) and their tests
# (scripts/test_sanitizers.sh).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

scripts/install-deps.sh

CC=gcc scripts/build.sh "$root/build" -DTESSEL_WERROR=ON
CC=clang scripts/build.sh "$root/build-clang" -DTESSEL_WERROR=ON -DTESSEL_BUILD_TESTS=OFF

# A missing software device must fail loudly, not skip quietly.
export TESSEL_REQUIRE_BACKENDS="${TESSEL_REQUIRE_BACKENDS:-cpu,vulkan,opencl}"
# Two at a time: PoCL's cold kernel compiles (ops_opencl, about 6 min on a
# 2-core Zen 3) are single-threaded, so the other tests fit beside them
# (cold, that machine: 10.5 min for this stage).
ctest --test-dir "$root/build" --output-on-failure --timeout 1200 -j2

# ASan + UBSan (every backend, API fuzzer) and TSan (CPU backend).
scripts/test_sanitizers.sh
