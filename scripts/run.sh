#!/usr/bin/env bash
# The main job: install, build, list devices, run the conformance table over
# every device found, then a short benchmark. Reports land in out/.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

scripts/install-deps.sh
scripts/build.sh "$root/build"

bin="$root/build/bin"
out="$root/out"
mkdir -p "$out"

"$bin/tessel-info"
echo
status=0
"$bin/tessel-conformance" --quick --json "$out/conformance.json" --junit "$out/conformance.xml" || status=$?
echo
"$bin/tessel-bench" gemm --quick --json "$out/bench-gemm.json"
echo "reports: $out/"
exit $status
