#!/usr/bin/env bash
# The LLaVA-1.5-7B-shaped CPU benchmark behind the README's speed table: bf16, 1 image + 30 text
# tokens, random weights filled cheaply (speed does not depend on values), medians of 3 runs after
# a warm-up, no pruning against LVPruning at rho 0.5. Add random,fastv to --method for the
# baselines (about 4 more minutes). Needs about 17 GB of free memory and ~7 minutes on 2 cores.
# Run it on an otherwise idle machine.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p docs
./lvprune bench --preset llava-1.5-7b --dtype bf16 --method none,lvpruning --rho 0.5 \
    --text-tokens 30 --new-tokens 8 --repeat 3 --json > docs/bench-7b.json 2> docs/bench-7b.log
tail -n 4 docs/bench-7b.log
