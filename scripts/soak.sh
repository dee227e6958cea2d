#!/usr/bin/env bash
# Soak test: 10,000 decode steps, then 3,000 adapter-training steps, in one process on the bundled toy
# model (scripts/soak.cs), at low priority. Records resident memory over time in OUT/soak.csv and the
# outcome in OUT/soak.log; a native crash shows as a non-zero exit (a signal) and is recorded as such.
#
#   scripts/soak.sh [OUT_DIR] [DECODE_STEPS] [TRAIN_STEPS]
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${1:-$here/../runs/soak}"
mkdir -p "$out"
start=$(date +%s)
nice -n 10 dotnet run -c Release "$here/soak.cs" -- "$out" "${2:-10000}" "${3:-3000}" 2>&1 | tee "$out/soak.log"
code=${PIPESTATUS[0]}
echo "exit code $code after $(( $(date +%s) - start )) s$([ "$code" -gt 128 ] && echo " (signal $((code - 128)): a crash)")" | tee -a "$out/soak.log"
exit "$code"
