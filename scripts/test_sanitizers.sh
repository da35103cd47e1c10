#!/usr/bin/env bash
# The sanitizer part of scripts/test.sh (issue 17): two more builds and a
# CI-sized set of tests in each.
#   build-asan  clang, ASan + UBSan, every backend, the libFuzzer target:
#               the api test, the reliability tests (allocation failures,
#               threads, damaged caches, soak, fuzz replay), a short
#               libFuzzer run, the CPU op cases and a few op families on
#               lavapipe and PoCL.
#   build-tsan  gcc, TSan, CPU backend only: the api test (threads), the
#               thread-safety test and the CPU op cases (the thread pool).
# Any report fails the run: errors abort (-fno-sanitize-recover), leaks
# fail at exit. Suppressions cover driver and validation-layer code and
# the uninstrumented OpenBLAS only (tests/sanitizer/).
# Tests run two at a time, as in scripts/test.sh: most of them keep one
# core busy (driver compiles, the fuzzer, allocation-failure loops), so on
# a 2-core machine the ASan tests took 266 s instead of 487 s one at a
# time, the TSan tests 112 s instead of 174 s.
#   scripts/test_sanitizers.sh [asan|tsan]...   (default: both)
# TESSEL_SAN_PREFIX=/path/b puts the builds in /path/b-asan, /path/b-tsan.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
prefix="${TESSEL_SAN_PREFIX:-$root/build}"
supp="$root/tests/sanitizer"
steps=("$@")
[ ${#steps[@]} -gt 0 ] || steps=(asan tsan)

sel_asan='^(api|alloc_failure_.*|threads_.*|cache_damage_.*|soak_.*|fuzz_.*|sanitize_ops_.*)$'
sel_tsan='^(api|threads_cpu|sanitize_ops_cpu|sanitize_ops_cpu_owngemm(_matmul)?)$'

for step in "${steps[@]}"; do
  case "$step" in
  asan)
    CC=clang scripts/build.sh "$prefix-asan" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DTESSEL_SANITIZE=address,undefined -DTESSEL_FUZZ=ON -DTESSEL_BUILD_TOOLS=OFF
    # use_tls=0: clang 14's LeakSanitizer crashes ("Tracer caught signal
    # 11") reading the dynamic TLS block a driver library left behind
    # after dlclose (PoCL's LLVM); heap pointers held only in TLS are not
    # tessel's (its per-thread message is a fixed buffer).
    # verify_asan_link_order=0: the libFuzzer target links libstdc++
    # before the shared ASan runtime; nothing is intercepted before it.
    # lavapipe preloaded: on AMD Zen hosts Mesa 22.3's CPU detection keeps
    # the per-L3 CPU masks it reallocs (128 bytes each) in a global of the
    # driver (seen on an EPYC, never on Intel); the Vulkan
    # loader unloads the driver at vkDestroyInstance, after which the block
    # is unreachable and, its module gone, matches no suppression
    # ("<unknown module>"). Kept mapped, the driver's globals still hold it.
    # The validation layer likewise (its leak at teardown, lsan.supp).
    lvp="$(sed -n 's/.*"library_path": *"\([^"]*lvp[^"]*\)".*/\1/p' \
      /usr/share/vulkan/icd.d/lvp_icd*.json 2>/dev/null | head -n1)"
    [ -f "$lvp" ] || lvp=""
    vvl="$(sed -n 's/.*"library_path": *"\([^"]*khronos_validation[^"]*\)".*/\1/p' \
      /usr/share/vulkan/explicit_layer.d/VkLayer_khronos_validation.json 2>/dev/null | head -n1)"
    case "$vvl" in
      /*) ;;
      ?*) vvl="$("$(command -v ldconfig || echo /sbin/ldconfig)" -p 2>/dev/null |
            awk -v n="$vvl" '$1 == n && !found {print $NF; found = 1}')" ;;
    esac
    [ -f "$vvl" ] || vvl=""
    LD_PRELOAD="${lvp:+$lvp }${vvl:+$vvl }${LD_PRELOAD:-}" \
    ASAN_OPTIONS="detect_leaks=1:verify_asan_link_order=0" \
    LSAN_OPTIONS="use_tls=0:suppressions=$supp/lsan.supp:print_suppressions=0" \
    UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
      ctest --test-dir "$prefix-asan" --output-on-failure --timeout 900 -j2 -R "$sel_asan"
    ;;
  tsan)
    CC=gcc scripts/build.sh "$prefix-tsan" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DTESSEL_SANITIZE=thread -DTESSEL_VULKAN=OFF -DTESSEL_OPENCL=OFF -DTESSEL_BUILD_TOOLS=OFF
    TESSEL_REQUIRE_BACKENDS=cpu \
    TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$supp/tsan.supp" \
      ctest --test-dir "$prefix-tsan" --output-on-failure --timeout 900 -j2 -R "$sel_tsan"
    ;;
  *)
    echo "test_sanitizers: unknown step '$step' (asan, tsan)" >&2
    exit 2
    ;;
  esac
done
