#!/usr/bin/env bash
# The test command: installs what is needed, builds with warnings as errors
# (gcc, then a clang build to keep both compilers clean) and runs every test
# on every backend, the software devices (lavapipe, PoCL) included.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

scripts/install-deps.sh

CC=gcc scripts/build.sh "$root/build" -DTESSEL_WERROR=ON
CC=clang scripts/build.sh "$root/build-clang" -DTESSEL_WERROR=ON -DTESSEL_BUILD_TESTS=OFF

# A missing software device must fail loudly, not skip quietly.
export TESSEL_REQUIRE_BACKENDS="${TESSEL_REQUIRE_BACKENDS:-cpu,vulkan,opencl}"
ctest --test-dir "$root/build" --output-on-failure --timeout 1200
