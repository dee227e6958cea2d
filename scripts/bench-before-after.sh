#!/usr/bin/env bash
# Speed check for refactors: `bench --preset toy` with two builds of the CLI, interleaved (before, after,
# before, after, ...) so that both see the same machine load, for fp32 and bf16 (the bf16 decode kernels).
# Prints the medians of time to first token and decode ms/token per build and their ratio (after / before;
# below 1 is faster). On a shared machine compare ratios only.
#
#   scripts/bench-before-after.sh BEFORE_CLI_DIR AFTER_CLI_DIR [ROUNDS] [PRESET]
#
# PRESET llava-1.5-7b needs ~16 GB and a quiet machine (bf16 only makes sense there: pass DTYPES=bf16).
set -euo pipefail
before="$(cd "$1" && pwd)"; after="$(cd "$2" && pwd)"
rounds="${3:-4}"; preset="${4:-toy}"; dtypes="${DTYPES:-fp32 bf16}"
out="$(mktemp -d)"
for round in $(seq 1 "$rounds"); do
  for dtype in $dtypes; do
    for build in before after; do
      dir=$([ $build = before ] && echo "$before" || echo "$after")
      nice -n 5 dotnet "$dir/LVPrune.Cli.dll" bench --preset "$preset" --dtype "$dtype" --method none,lvpruning --repeat 3 --new-tokens 16 --json \
        > "$out/$build-$dtype-$round.json" 2> "$out/$build-$dtype-$round.log"
      echo "round $round $dtype $build done" >&2
    done
  done
done
python3 - "$out" $dtypes <<'PY'
import glob, json, statistics, sys
out, dtypes = sys.argv[1], sys.argv[2:]
for dtype in dtypes:
    for method in ("none", "lvpruning"):
        row = {}
        for build in ("before", "after"):
            runs = [r for f in sorted(glob.glob(f"{out}/{build}-{dtype}-*.json")) for r in json.load(open(f))["runs"] if r["method"] == method]
            row[build] = (statistics.median(r["ttft_s"] for r in runs), statistics.median(r["decode_ms_per_token"] for r in runs), len(runs))
        b, a = row["before"], row["after"]
        print(f"{dtype:5} {method:10} TTFT {1000*b[0]:8.2f} -> {1000*a[0]:8.2f} ms ({a[0]/b[0]:.3f}x)   decode {b[1]:7.3f} -> {a[1]:7.3f} ms/token ({a[1]/b[1]:.3f}x)   [{b[2]}+{a[2]} runs]")
PY
echo "raw output: $out" >&2
