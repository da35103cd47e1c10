#!/usr/bin/env bash
# The CPU backend on arm64 (NEON kernels, laptops such as Snapdragon or
# Apple silicon under Linux) from an x86-64 machine: cross-builds the
# library and tools with gcc and clang (warnings as errors), then runs the
# CPU conformance under qemu user emulation with each SIMD level the build
# has (neon, scalar), then the 16-bit GEMM and attention with BFDOT and
# with the AMX packing emulated. Not part of scripts/test.sh (about 6
# minutes on 2 cores, over 40 with --full); docs/conformance.md says when
# to run it.
#   scripts/test_arm64.sh [--full]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
out="$root/build-arm64"
mode="${1:-}"

scripts/install-deps.sh qemu-user-static gcc-aarch64-linux-gnu libc6-dev-arm64-cross clang \
  cmake ninja-build

mkdir -p "$out"
sysroot=/usr/aarch64-linux-gnu
for cc in gcc clang; do
  tc="$out/toolchain-$cc.cmake"
  {
    echo "set(CMAKE_SYSTEM_NAME Linux)"
    echo "set(CMAKE_SYSTEM_PROCESSOR aarch64)"
    if [ "$cc" = gcc ]; then
      echo "set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)"
    else
      echo "set(CMAKE_C_COMPILER clang)"
      echo "set(CMAKE_C_COMPILER_TARGET aarch64-linux-gnu)"
    fi
    echo "set(CMAKE_FIND_ROOT_PATH $sysroot)"
    echo "set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)"
    echo "set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)"
    echo "set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)"
  } > "$tc"
  # The GPU modules need arm64 driver libraries; the CPU backend is in core.
  cmake -S "$root" -B "$out/$cc" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_TOOLCHAIN_FILE="$tc" -DTESSEL_WERROR=ON -DTESSEL_BUILD_TESTS=OFF \
    -DTESSEL_VULKAN=OFF -DTESSEL_OPENCL=OFF > "$out/configure-$cc.log"
  cmake --build "$out/$cc" -j "$(nproc 2>/dev/null || echo 2)"
done

export QEMU_LD_PREFIX="$sysroot"
conf="$out/gcc/bin/tessel-conformance"
qemu-aarch64-static "$out/gcc/bin/tessel-info" | grep -E "features:"
for simd in neon scalar; do
  echo "test_arm64: tessel-conformance --device cpu:0 $mode (TESSEL_CPU_SIMD=$simd)"
  log="$out/conformance-$simd.log"
  if ! TESSEL_CPU_SIMD=$simd qemu-aarch64-static "$conf" --device cpu:0 $mode > "$log" 2>&1; then
    grep -E "^(FAIL|ERROR)" "$log" | head -n 20 || tail -n 20 "$log"
    echo "test_arm64: failed (whole output: $log)"
    exit 1
  fi
  tail -n 1 "$log"
done
# The 16-bit GEMM and attention on their other kernels: BFDOT forced on
# (qemu's CPU has FEAT_BF16; a one-off measurement decides on hardware),
# and the AMX kernels' packing with the tile product emulated (any CPU).
for env in TESSEL_CPU_BF16_DOT=on TESSEL_CPU_AMX=emulate; do
  echo "test_arm64: tessel-conformance --device cpu:0 (16-bit GEMM and attention, $env)"
  log="$out/conformance-${env%%=*}.log"
  if ! env "$env" qemu-aarch64-static "$conf" --device cpu:0 --op matmul \
    --op grouped_matmul --op attention $mode > "$log" 2>&1; then
    grep -E "^(FAIL|ERROR)" "$log" | head -n 20 || tail -n 20 "$log"
    echo "test_arm64: failed (whole output: $log)"
    exit 1
  fi
  tail -n 1 "$log"
done
