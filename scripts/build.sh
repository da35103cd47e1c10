#!/usr/bin/env bash
# Configure and build tessel into a build folder.
#   scripts/build.sh [BUILD_DIR] [extra cmake args...]
# Used by run.sh and test.sh; CC picks the compiler (gcc by default).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$root/build}"
shift || true
jobs="$(nproc 2>/dev/null || echo 2)"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release "$@"
cmake --build "$build" -j "$jobs"
