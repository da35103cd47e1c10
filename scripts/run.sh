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
# A driver that crashes costs one case (the cases run in a worker
# process); one that hangs is stopped after --timeout seconds, far above
# any case's time here, shader compilation on a CPU driver included.
"$bin/tessel-conformance" --quick --timeout 900 --json "$out/conformance.json" \
  --junit "$out/conformance.xml" || status=$?
echo
"$bin/tessel-bench" gemm --quick --json "$out/bench-gemm.json"
echo "reports: $out/"
exit $status
