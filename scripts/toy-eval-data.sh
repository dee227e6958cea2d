#!/usr/bin/env bash
# Lays ShapesVQA out as LLaVA's playground/data/eval for vqav2 (val, scored locally), gqa and pope, so
# scripts/eval-benchmarks.sh runs on the bundled toy model with nothing downloaded:
#   scripts/toy-eval-data.sh OUT_DIR [QUESTIONS_PER_BENCHMARK] [SEED]
set -euo pipefail
out=${1:?usage: scripts/toy-eval-data.sh OUT_DIR [COUNT] [SEED]} count=${2:-60} seed=${3:-4242}
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ -z "${LVPRUNE:-}" ]; then
  "$here/lvprune" --help > /dev/null   # builds once; then the built command line is called directly
  LVPRUNE="dotnet $here/src/LVPrune.Cli/bin/Release/net10.0/LVPrune.Cli.dll"
fi
lvprune=$LVPRUNE
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for f in vqav2 gqa pope; do
  $lvprune toy-data --format $f --out "$tmp/$f" --count "$count" --seed "$seed" --objects 3-6 2> /dev/null
done
mkdir -p "$out/vqav2" "$out/gqa/data" "$out/pope"
mv "$tmp/vqav2/images" "$out/vqav2/val2014"
mv "$tmp/vqav2/llava_vqav2_mscoco_val2014.jsonl" "$tmp/vqav2/v2_mscoco_val2014_annotations.json" "$tmp/vqav2/v2_OpenEnded_mscoco_val2014_questions.json" "$out/vqav2/"
mv "$tmp/gqa/images" "$out/gqa/data/images"
mv "$tmp/gqa/testdev_balanced_questions.json" "$out/gqa/data/"
mv "$tmp/gqa/llava_gqa_testdev_balanced.jsonl" "$out/gqa/"
mv "$tmp/pope/images" "$out/pope/val2014"
mv "$tmp/pope/coco" "$tmp/pope/llava_pope_test.jsonl" "$out/pope/"
echo "$out: vqav2, gqa and pope ($count ShapesVQA questions each on scenes of 3-6 objects, seed $seed)" >&2
