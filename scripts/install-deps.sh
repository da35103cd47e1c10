#!/usr/bin/env bash
# Installs every Debian package tessel needs to build, test and run on the
# software devices (lavapipe, PoCL), or the packages named as arguments
# (scripts/test_arm64.sh). Idempotent: does nothing when all are present.
# Runs apt-get through sudo when not root.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config clang python3
  libcmocka-dev                                   # tests
  libopenblas-dev                                 # CPU GEMM (dlopened at run time)
  libvulkan-dev glslc glslang-tools vulkan-tools  # Vulkan backend, SPIR-V compiler
  mesa-vulkan-drivers vulkan-validationlayers     # lavapipe + validation for tests
  ocl-icd-opencl-dev opencl-headers clinfo        # OpenCL backend
  pocl-opencl-icd                                 # OpenCL on the CPU for tests
  libclblast-dev                                  # OpenCL GEMM
  libclang-rt-14-dev llvm                         # ASan/UBSan/TSan, libFuzzer; llvm-symbolizer
  libvkfft-dev glslang-dev                        # VkFFT: GPU FFTs (Vulkan compiles through glslang's library)
)

[ $# -eq 0 ] || packages=("$@")

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
