#!/usr/bin/env bash
# The paper's Tables 1 and 2 for a model: the nine benchmarks without pruning and with LVPruning at
# rho 0.6 / 0.5 / 0.45, run as LLaVA-1.5's scripts run them, scored as the official scripts score them.
#
#   scripts/eval-benchmarks.sh MODEL_DIR ADAPTER DATA_DIR OUT_DIR
#
# DATA_DIR is laid out as LLaVA's playground/data/eval (see README "Benchmarks"); a benchmark whose
# files are absent is skipped with a message. Per benchmark and configuration it writes
# OUT_DIR/answers/<benchmark>/<config>.jsonl (LLaVA's answer format; a stopped run resumes), the score
# OUT_DIR/scores/<benchmark>-<config>.json where the ground truth is public, the submission files for
# the servers and judges in OUT_DIR/upload/, and at the end OUT_DIR/table.md and OUT_DIR/table.png.
# Environment: BATCH (default 8), CONFIGS (default "none rho0.6 rho0.5 rho0.45"),
# BENCHMARKS (default all nine), LVPRUNE (default: ./lvprune of this checkout), EXTRA (more eval flags).
set -euo pipefail
if [ $# -ne 4 ]; then sed -n '2,15p' "$0"; exit 2; fi
model=$1 adapter=$2 data=$3 out=$4
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ -z "${LVPRUNE:-}" ]; then
  "$here/lvprune" --help > /dev/null   # builds once; then the built command line is called directly
  LVPRUNE="dotnet $here/src/LVPrune.Cli/bin/Release/net10.0/LVPrune.Cli.dll"
fi
lvprune=$LVPRUNE
batch=${BATCH:-8}
configs=${CONFIGS:-"none rho0.6 rho0.5 rho0.45"}
benchmarks=${BENCHMARKS:-"vqav2 gqa vizwiz sqa textvqa pope mmbench mmbench-cn llava-bench mmvet"}
mkdir -p "$out/answers" "$out/scores" "$out/upload"

# eval BENCH CONFIG QUESTIONS [eval flags...]: answers (resuming), and the score when --annotations is given.
run() {
  local bench=$1 config=$2 questions=$3; shift 3
  local pruning=()
  case $config in
    none) pruning=(--method none) ;;
    rho*) pruning=(--adapter "$adapter" --rho "${config#rho}") ;;
  esac
  mkdir -p "$out/answers/$bench"
  local answers="$out/answers/$bench/$config.jsonl"
  echo "== $bench $config" >&2
  if printf '%s\n' "$@" | grep -q -- '--annotations'; then
    $lvprune eval --model "$model" --benchmark "$bench" --questions "$questions" --answers "$answers" \
      --batch-size "$batch" "${pruning[@]}" ${EXTRA:-} --json "$@" > "$out/scores/$bench-$config.json"
  else
    $lvprune eval --model "$model" --benchmark "$bench" --questions "$questions" --answers "$answers" \
      --batch-size "$batch" "${pruning[@]}" ${EXTRA:-} "$@" > /dev/null
  fi
}

have() { for f in "$@"; do [ -e "$f" ] || { echo "skip: $f not found" >&2; return 1; }; done; }

for config in $configs; do
  for bench in $benchmarks; do
    case $bench in
      vqav2)
        # Local substitute: VQAv2 val with the official annotations; else test-dev for EvalAI.
        d=$data/vqav2
        if have "$d/llava_vqav2_mscoco_val2014.jsonl" "$d/val2014" "$d/v2_mscoco_val2014_annotations.json" 2>/dev/null; then
          run vqav2 "$config" "$d/llava_vqav2_mscoco_val2014.jsonl" --images "$d/val2014" --annotations "$d/v2_mscoco_val2014_annotations.json"
        elif have "$d/llava_vqav2_mscoco_test-dev2015.jsonl" "$d/test2015" "$d/llava_vqav2_mscoco_test2015.jsonl"; then
          run vqav2 "$config" "$d/llava_vqav2_mscoco_test-dev2015.jsonl" --images "$d/test2015"
          $lvprune export --benchmark vqav2 --answers "$out/answers/vqav2/$config.jsonl" \
            --questions "$d/llava_vqav2_mscoco_test2015.jsonl" --out "$out/upload/vqav2-$config.json"
        fi ;;
      gqa)
        d=$data/gqa
        have "$d/llava_gqa_testdev_balanced.jsonl" "$d/data/images" "$d/data/testdev_balanced_questions.json" &&
          run gqa "$config" "$d/llava_gqa_testdev_balanced.jsonl" --images "$d/data/images" --annotations "$d/data/testdev_balanced_questions.json" ;;
      vizwiz)
        d=$data/vizwiz
        if have "$d/llava_val.jsonl" "$d/val" "$d/Annotations/val.json" 2>/dev/null; then
          run vizwiz "$config" "$d/llava_val.jsonl" --images "$d/val" --annotations "$d/Annotations/val.json"
        elif have "$d/llava_test.jsonl" "$d/test"; then
          run vizwiz "$config" "$d/llava_test.jsonl" --images "$d/test"
          $lvprune export --benchmark vizwiz --answers "$out/answers/vizwiz/$config.jsonl" --questions "$d/llava_test.jsonl" --out "$out/upload/vizwiz-$config.json"
        fi ;;
      sqa)
        d=$data/scienceqa
        have "$d/llava_test_CQM-A.json" "$d/images/test" "$d/problems.json" "$d/pid_splits.json" &&
          run sqa "$config" "$d/llava_test_CQM-A.json" --images "$d/images/test" --annotations "$d" ;;
      textvqa)
        d=$data/textvqa
        have "$d/llava_textvqa_val_v051_ocr.jsonl" "$d/train_images" "$d/TextVQA_0.5.1_val.json" &&
          run textvqa "$config" "$d/llava_textvqa_val_v051_ocr.jsonl" --images "$d/train_images" --annotations "$d/TextVQA_0.5.1_val.json" ;;
      pope)
        d=$data/pope
        have "$d/llava_pope_test.jsonl" "$d/val2014" "$d/coco" &&
          run pope "$config" "$d/llava_pope_test.jsonl" --images "$d/val2014" --annotations "$d/coco" ;;
      mmbench|mmbench-cn)
        if [ "$bench" = mmbench ]; then tsv=$data/mmbench/mmbench_dev_20230712.tsv; else tsv=$data/mmbench_cn/mmbench_dev_cn_20231003.tsv; fi
        if have "$tsv"; then
          run "$bench" "$config" "$tsv" --annotations "$tsv"
          $lvprune export --benchmark "$bench" --answers "$out/answers/$bench/$config.jsonl" --questions "$tsv" --out "$out/upload/$bench-$config.xlsx"
        fi ;;
      llava-bench)
        # Answers only: the GPT-4 judge (llava/eval/eval_gpt_review_bench.py) writes the review file;
        # then `lvprune score --benchmark llava-bench --answers REVIEWS.jsonl --json > OUT/scores/llava-bench-CONFIG.json`.
        d=$data/llava-bench-in-the-wild
        have "$d/questions.jsonl" "$d/images" && run llava-bench "$config" "$d/questions.jsonl" --images "$d/images" ;;
      mmvet)
        d=$data/mm-vet
        if have "$d/llava-mm-vet.jsonl" "$d/images"; then
          run mmvet "$config" "$d/llava-mm-vet.jsonl" --images "$d/images"
          $lvprune export --benchmark mmvet --answers "$out/answers/mmvet/$config.jsonl" --out "$out/upload/mmvet-$config.json"
        fi ;;
      *) echo "unknown benchmark $bench" >&2; exit 2 ;;
    esac
  done
done

$lvprune report --scores "$out/scores" --out "$out/table.md"
cat "$out/table.md"
