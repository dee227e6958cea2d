#!/usr/bin/env bash
# Speed check for refactors: `bench --preset toy` with two builds of the CLI, interleaved (before, after,
# before, after, ...) so that both see the same machine load, for fp32 and bf16 (the bf16 decode kernels).
# Prints, over every timed run of each build, the minimum and the median of time to first token and of
# decode ms/token, and their ratios (after / before; below 1 is faster). On a shared machine other work
# only ever adds time, so the minimum is the steadier figure; compare ratios, not absolute values.
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
      dotnet "$dir/LVPrune.Cli.dll" bench --preset "$preset" --dtype "$dtype" --method none,lvpruning --repeat "${REPEAT:-5}" --new-tokens 16 --json \
        > "$out/$build-$dtype-$round.json" 2> "$out/$build-$dtype-$round.log"
      echo "round $round $dtype $build done" >&2
    done
  done
done
python3 - "$out" $dtypes <<'PY'
# Every timed run, from the bench log's lines "  METHOD [KEEP] run i/n: ttft X s, decode Y ms/token".
import glob, re, statistics, sys
out, dtypes = sys.argv[1], sys.argv[2:]
line = re.compile(r"^\s+(\w+) (?:\[[^\]]*\] )?run \d+/\d+: ttft ([0-9.]+)s, decode ([0-9.]+) ms/token")
for dtype in dtypes:
    for method in ("none", "lvpruning"):
        runs = {build: [(float(m.group(2)), float(m.group(3))) for f in sorted(glob.glob(f"{out}/{build}-{dtype}-*.log"))
                        for m in map(line.match, open(f)) if m and m.group(1) == method] for build in ("before", "after")}
        b, a = runs["before"], runs["after"]
        tmin = lambda rs, i: min(r[i] for r in rs)
        tmed = lambda rs, i: statistics.median(r[i] for r in rs)
        print(f"{dtype:5} {method:10} TTFT min {1000*tmin(b,0):7.2f} -> {1000*tmin(a,0):7.2f} ms ({tmin(a,0)/tmin(b,0):.3f}x), median {tmed(a,0)/tmed(b,0):.3f}x;"
              f"  decode min {tmin(b,1):6.2f} -> {tmin(a,1):6.2f} ms/token ({tmin(a,1)/tmin(b,1):.3f}x), median {tmed(a,1)/tmed(b,1):.3f}x  [{len(b)}+{len(a)} runs]")
PY
echo "raw output: $out" >&2
