#!/usr/bin/env bash
# Reproduces the bundled toy model (assets/toy-llava) and its LVPruning adapter from nothing,
# with LVPrune's own code. About 4.5 hours on 2 CPU cores. Usage: scripts/train-toy.sh [WORK_DIR]
#
# The recipe, and why (docs/toy-results.md has the measurements):
#  stage 0  The toy CLIP tower (192 px, 16 px patches: 144 tokens) is pretrained on dense patch
#           labels: colour, shape and size of the object under each patch and whether the patch
#           holds an object's centre, from the boxes ShapesVQA records. This stands in for CLIP's
#           own pretraining: LLaVA starts from a vision encoder that already sees. Trained through
#           the language model alone, the tower never left the answer prior in our runs.
#  stage A  Projector and LLaMA learn the question families on one-object scenes (no selective
#           attention needed), six questions per image as one conversation.
#  stage B  One to three objects, still six questions per conversation.
#  stage C  One to six objects, single-turn, which is the format `lvprune eval` asks in. (After
#           the multi-turn stages the model answered single questions with the wrong kind of word,
#           e.g. a digit to "small or large?": with all six families in every conversation, the
#           earlier turns give the later family away, and the model had leant on that.)
#  stage D  The same at half the learning rate, with more of the families it was weakest at
#           (existence x3, count, colour and position x2).
#  stage E  Multi-turn again, but with eight questions per image whose families are drawn
#           independently (--family-order random: families repeat, existence answers are coins),
#           so no turn gives another away. Each image now teaches eight answers for the price of
#           one image encoding: 69% -> 84% on 1-6 objects in one epoch.
#  stage F  Another epoch of the same on new scenes, weighted to the families still weakest
#           (existence and position x3, colour x2): 94.5% on 1-6 objects, position the last
#           family under 80% on crowded scenes.
#  stage G  A shorter pass at a lower learning rate with position x4 and existence x2.
#  stage I  Vision-token removal in training (--removal-share 0.5): half of the steps run with
#           image tokens really removed after layers 0, 1 and 3, at a budget rho drawn from
#           0.4-0.7, chosen by an LVPruning adapter of stage G or at random. The stage-G model
#           counted by the share of image tokens matching a colour, so any language-guided
#           removal made it overcount; a base must answer from the tokens that survive. The
#           vision tower trains too (--train all), for position.
#  stage J  The same with position x5, from stage I with stage I's adapter choosing.
#  stage K  Again with position x6 and count x3 (stage J's adapter choosing): crowded-scene position
#           82% -> 87%, and count back up.
#  stage L  Again with position x5 and size, count and existence x2 (stage K's adapter choosing).
#  adapter  LVPruning's decision modules on the frozen result (keep 0.5 / 0.3 / 0.1).
set -euo pipefail
cd "$(dirname "$0")/.."
W=${1:-work/toy}
mkdir -p "$W"
L=./lvprune

# Stage 0: vision pretraining (the language model is only initialised here).
$L toy-data --out "$W/d0" --count 40000 --seed 3000 --objects 1-6 --questions-per-image 6 --multi-turn
$L train --init-toy --pretrain-vision-steps 3000 --max-steps 0 --data "$W/d0/data.json" --out "$W/s0" \
    --batch-size 16 --seed 0 --max-length 512

# Stages A-C.
$L toy-data --out "$W/d1" --count 24000 --seed 4100 --objects 1-1 --questions-per-image 6 --multi-turn
$L train --model "$W/s0" --train multi_modal_projector,language_model --data "$W/d1/data.json" --out "$W/sA" \
    --batch-size 16 --lr 1e-3 --max-steps 250 --save-every 0 --seed 1 --max-length 512
$L toy-data --out "$W/d2" --count 10000 --seed 7001 --objects 1-3 --questions-per-image 6 --multi-turn
$L train --model "$W/sA" --train multi_modal_projector,language_model --data "$W/d2/data.json" --out "$W/sB" \
    --batch-size 16 --lr 1e-3 --max-steps 600 --save-every 0 --seed 2 --max-length 512
$L toy-data --out "$W/d3" --count 30000 --seed 7003 --objects 1-6 --questions-per-image 2
$L train --model "$W/sB" --train multi_modal_projector,language_model --data "$W/d3/data.json" --out "$W/sC" \
    --batch-size 16 --lr 1e-3 --max-steps 1800 --save-every 300 --seed 3 --max-length 512
$L toy-data --out "$W/d4" --count 40000 --seed 7004 --objects 1-6 --questions-per-image 2 --family-weights exist=3,count=2,color=2,position=2
$L train --model "$W/sC" --train multi_modal_projector,language_model --data "$W/d4/data.json" --out "$W/sD" \
    --batch-size 16 --lr 5e-4 --max-steps 2000 --save-every 500 --seed 4 --max-length 512

$L toy-data --out "$W/d5" --count 30000 --seed 7005 --objects 1-6 --questions-per-image 8 --multi-turn --family-order random \
    --family-weights exist=2,count=2,color=2,position=2
$L train --model "$W/sD" --train multi_modal_projector,language_model --data "$W/d5/data.json" --out "$W/sE" \
    --batch-size 16 --lr 5e-4 --max-steps 1875 --save-every 250 --seed 5 --max-length 512
$L toy-data --out "$W/d6" --count 48000 --seed 7006 --objects 1-6 --questions-per-image 8 --multi-turn --family-order random \
    --family-weights exist=3,position=3,color=2
$L train --model "$W/sE" --train multi_modal_projector,language_model --data "$W/d6/data.json" --out "$W/sF" \
    --batch-size 16 --lr 5e-4 --max-steps 3000 --save-every 500 --seed 6 --max-length 512

$L toy-data --out "$W/d7" --count 24000 --seed 7007 --objects 1-6 --questions-per-image 8 --multi-turn --family-order random \
    --family-weights position=4,exist=2
$L train --model "$W/sF" --train multi_modal_projector,language_model --data "$W/d7/data.json" --out "$W/sG" \
    --batch-size 16 --lr 3e-4 --max-steps 1500 --save-every 500 --seed 7 --max-length 512

# Stages I and J make the base robust to vision-token removal (see the header), using an LVPruning
# adapter of the stage before to choose the tokens on half of the removal steps.
# adapter BASE OUT STEPS: LVPruning's decision modules on a frozen base (keep 0.5 / 0.3 / 0.1,
# lambda_causal 1, lambda_ratio 10, lr 1e-3, batch 16).
adapter() {
    $L train --model "$1" --adapter-out "$2" --data "$W/adapter-data/data.json" --rho 0.5 --batch-size 16 --lr 1e-3 \
        --max-steps "$3" --save-every 0 --seed 0 --lambda-ratio 10 --checkpoint-dir "$W/$(basename "$2").ckpt"
}
# removal_stage BASE DATA OUT SEED ADAPTER: the whole model (tower too) with removal on half of the steps.
removal_stage() {
    $L train --model "$1" --train all --data "$2" --out "$3" --batch-size 16 --lr 2e-4 --max-steps 1500 --save-every 500 \
        --seed "$4" --max-length 512 --removal-share 0.5 --removal-adapter "$5"
}
$L toy-data --out "$W/adapter-data" --count 60000 --seed 6000 --objects 1-6
adapter "$W/sG" "$W/lvpruning-G.safetensors" 700
$L toy-data --out "$W/d9" --count 24000 --seed 7009 --objects 1-6 --questions-per-image 2 --family-weights position=3,count=2,exist=2
removal_stage "$W/sG" "$W/d9/data.json" "$W/sI" 9 "$W/lvpruning-G.safetensors"
adapter "$W/sI" "$W/lvpruning-I.safetensors" 700
$L toy-data --out "$W/d10" --count 32000 --seed 7010 --objects 1-6 --questions-per-image 2 --family-weights position=5,count=2,exist=2
removal_stage "$W/sI" "$W/d10/data.json" "$W/sJ" 10 "$W/lvpruning-I.safetensors"
adapter "$W/sJ" "$W/lvpruning-J.safetensors" 2100
$L toy-data --out "$W/d11" --count 32000 --seed 7011 --objects 1-6 --questions-per-image 2 --family-weights position=6,count=3,exist=2
removal_stage "$W/sJ" "$W/d11/data.json" "$W/sK" 11 "$W/lvpruning-J.safetensors"
adapter "$W/sK" "$W/lvpruning-K.safetensors" 700
$L toy-data --out "$W/d12" --count 32000 --seed 7012 --objects 1-6 --questions-per-image 2 --family-weights position=5,size=2,count=2,exist=2
removal_stage "$W/sK" "$W/d12/data.json" "$W/sL" 12 "$W/lvpruning-K.safetensors"

# The bundled model is the last stage.
rm -rf assets/toy-llava && cp -r "$W/sL" assets/toy-llava

# The bundled adapter: decision modules after layers 0, 1, 3 (the paper's relative depths for 8
# layers), 700 steps, with three options beyond the paper's loss: the keep decisions' gradient
# bounded per sample (--mask-grad-clip), DynamicViT's token distillation (--lambda-distill), and
# each module taught to rank image tokens as the unpruned model's answer rows attend to them
# (--lambda-attn). docs/toy-results.md has why.
$L train --model assets/toy-llava --adapter-out assets/toy-llava/lvpruning.safetensors --data "$W/adapter-data/data.json" --rho 0.5 \
    --batch-size 16 --lr 1e-3 --max-steps 700 --save-every 0 --seed 0 --lambda-ratio 10 --mask-grad-clip 0.01 --lambda-distill 3 --lambda-attn 1 \
    --checkpoint-dir "$W/lvpruning.safetensors.ckpt"
