#!/usr/bin/env bash
# Reproduces the bundled toy model (assets/toy-llava) and its LVPruning adapter from nothing,
# with LVPrune's own code. About 45 minutes on 2 CPU cores. Usage: scripts/train-toy.sh [WORK_DIR]
#
# The recipe, and why:
#  stage 0  The toy CLIP tower is pretrained on dense patch labels (colour and shape of the object
#           under each patch, from the boxes ShapesVQA records). This stands in for CLIP's own
#           pretraining: LLaVA starts from a vision encoder that already sees. Trained from
#           scratch through the language model alone, the tower never left the answer prior in
#           our runs (the loss sat at the prior's entropy for 800 steps).
#  stage 1  Projector and LLaMA learn the task on one-object scenes, where the answer needs no
#           selective attention (the model reads the only object).
#  stages 2-6  An object-count curriculum (1-2, 1-3, 1-4, 2-6, 1-6 objects): with few candidates the
#           gradient towards attending to the named object is strong, and each stage widens it.
#  adapter  LVPruning's decision modules on the frozen result (keep 0.5 / 0.3 / 0.1).
set -euo pipefail
cd "$(dirname "$0")/.."
W=${1:-work/toy}
mkdir -p "$W"
L=./lvprune

# Stage 0: vision pretraining (the language model is only initialised here).
$L toy-data --out "$W/stage0-data" --count 60000 --seed 3000 --objects 2-6 --questions-per-image 6 --multi-turn
$L train --init-toy --pretrain-vision-steps 500 --max-steps 0 --data "$W/stage0-data/data.json" --out "$W/stage0" \
    --batch-size 16 --seed 0 --max-length 512

# Stage 1: one object per scene.
$L toy-data --out "$W/stage1-data" --count 6000 --seed 4100 --objects 1-1
$L train --model "$W/stage0" --train multi_modal_projector,language_model --data "$W/stage1-data/data.json" --out "$W/stage1" \
    --batch-size 16 --lr 1e-3 --max-steps 200 --save-every 0 --seed 0

# Stages 2-6: the object-count curriculum.
prev="$W/stage1"; i=0
for spec in "1-2:500" "1-3:500" "1-4:500" "2-6:600" "1-6:800"; do
  objs=${spec%%:*}; steps=${spec##*:}; i=$((i+1))
  $L toy-data --out "$W/cur$i-data" --count $((steps*16)) --seed $((7000+i)) --objects "$objs"
  $L train --model "$prev" --train multi_modal_projector,language_model --data "$W/cur$i-data/data.json" --out "$W/cur$i" \
      --batch-size 16 --lr 1e-3 --max-steps "$steps" --save-every 0 --seed $i
  prev="$W/cur$i"
done

# The bundled model is the last stage.
rm -rf assets/toy-llava && cp -r "$prev" assets/toy-llava

# LVPruning adapter on the frozen toy model: decision modules after layers 0, 1, 3 (the paper's
# relative depths for 8 layers), training keep 0.5 / 0.3 / 0.1, lambda_causal 1, lambda_ratio 2.
$L toy-data --out "$W/adapter-data" --count 60000 --seed 6000 --objects 1-6
$L train --model assets/toy-llava --adapter-out assets/toy-llava/lvpruning.safetensors --data "$W/adapter-data/data.json" \
    --rho 0.5 --batch-size 16 --lr 1e-3 --max-steps 700 --save-every 0 --seed 0 --checkpoint-dir "$W/adapter.ckpt"
