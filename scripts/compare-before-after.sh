#!/usr/bin/env bash
# Behaviour check for refactors: runs the same commands with two builds of the CLI and compares the
# outputs byte for byte (safetensors, data files, predictions) or as JSON with timing fields removed.
#
#   scripts/compare-before-after.sh BEFORE_CLI_DIR [AFTER_CLI_DIR]
#
# BEFORE_CLI_DIR / AFTER_CLI_DIR hold a published LVPrune.Cli.dll (dotnet publish src/LVPrune.Cli -c Release -o DIR).
# Without AFTER_CLI_DIR the current tree is published into $WORK/after-cli first. Inputs (the toy data
# set, the forward input tensors) are made once, by the BEFORE build, so both builds read the same
# files; the toy-data output of both builds is compared too. Exit 0 when everything matches.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
before="$(cd "$1" && pwd)"
WORK="${WORK:-/tmp/lvprune-compare}"
# REUSE_BEFORE=1 keeps the inputs and the BEFORE build's outputs of an earlier complete run.
if [ "${REUSE_BEFORE:-0}" = 1 ] && [ -f "$WORK/before/done" ]; then reuse=1; rm -rf "$WORK/after"
else reuse=0; rm -rf "$WORK"; fi
mkdir -p "$WORK"
if [ $# -ge 2 ]; then after="$(cd "$2" && pwd)"
else
  after="$WORK/after-cli"
  dotnet publish "$here/src/LVPrune.Cli" -c Release -nologo -v quiet -o "$after" >&2
fi
assets="$here/assets/toy-llava"
adapter="$assets/lvpruning.safetensors"

# --- inputs, made once --------------------------------------------------------------------------
inputs="$WORK/inputs"; mkdir -p "$inputs"
[ $reuse = 1 ] || dotnet "$before/LVPrune.Cli.dll" toy-data --out "$inputs/data" --count 300 --seed 4242 --objects 1-6 2>/dev/null
[ $reuse = 1 ] || python3 - "$inputs/forward-in.safetensors" <<'PY'
# Two prompts, the second left-padded, and deterministic pseudo-random pixels: safetensors by hand.
import json, struct, sys
B, T, S = 2, 9, 192
rows = [[1, 541, 10, 20, 30, 40, 50, 60, 70], [542, 542, 542, 1, 541, 11, 21, 31, 41]]
mask = [[1] * 9, [0, 0, 0, 1, 1, 1, 1, 1, 1]]
state = 12345
pixels = []
for _ in range(B * 3 * S * S):
    state = (1103515245 * state + 12345) % 2**31
    pixels.append(state / 2**31 * 4.0 - 2.0)
blobs = [("input_ids", "I64", [B, T], struct.pack(f"<{B*T}q", *sum(rows, []))),
         ("attention_mask", "I64", [B, T], struct.pack(f"<{B*T}q", *sum(mask, []))),
         ("pixel_values", "F32", [B, 3, S, S], struct.pack(f"<{len(pixels)}f", *pixels))]
header, offset = {}, 0
for name, dtype, shape, data in blobs:
    header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(data)]}
    offset += len(data)
h = json.dumps(header).encode()
h += b" " * ((8 - len(h) % 8) % 8)
with open(sys.argv[1], "wb") as f:
    f.write(struct.pack("<Q", len(h))); f.write(h)
    for *_, data in blobs: f.write(data)
PY
cat > "$inputs/plan.json" <<'JSON'
{"stages":[{"after_layer":1,"keep_image_tokens":[0,3,5,7,9,11,20,40,60,80,100,143]},{"after_layer":4,"keep_image_tokens":[3,9,40,143]}]}
JSON
data="$inputs/data/data.json"
image="$(ls "$inputs/data/images" | head -1)"; image="$inputs/data/images/$image"

# --- the same commands with each build ------------------------------------------------------------
run_all() {
  local cli="$1" out="$2"; mkdir -p "$out"
  local L=(dotnet "$cli/LVPrune.Cli.dll")
  local log="$out/stderr.log"
  echo "running $cli -> $out" >&2
  "${L[@]}" toy-data --out "$out/toy-data" --count 40 --seed 7 --objects 1-3 --multi-turn --family-order random 2>>"$log"
  "${L[@]}" eval --data "$data" --json --predictions "$out/eval-none.jsonl" > "$out/eval-none.json" 2>>"$log"
  "${L[@]}" eval --data "$data" --json --adapter "$adapter" --predictions "$out/eval-lvpruning.jsonl" > "$out/eval-lvpruning.json" 2>>"$log"
  "${L[@]}" eval --data "$data" --json --method random --rho 0.5 --adapter "$adapter" --predictions "$out/eval-random.jsonl" > "$out/eval-random.json" 2>>"$log"
  "${L[@]}" eval --data "$data" --json --method fastv --predictions "$out/eval-fastv.jsonl" > "$out/eval-fastv.json" 2>>"$log"
  "${L[@]}" eval --data "$data" --json --limit 64 --dtype bf16 --adapter "$adapter" --rho 0.45 --predictions "$out/eval-bf16.jsonl" > "$out/eval-bf16.json" 2>>"$log"
  local F=(forward --model "$assets" --inputs "$inputs/forward-in.safetensors")
  "${L[@]}" "${F[@]}" --out "$out/fwd-plain.safetensors" --generate 6 2>>"$log"
  "${L[@]}" "${F[@]}" --out "$out/fwd-plan.safetensors" --keep-plan "$inputs/plan.json" --generate 6 2>>"$log"
  "${L[@]}" "${F[@]}" --out "$out/fwd-lvpruning.safetensors" --adapter "$adapter" --generate 6 2>>"$log"
  "${L[@]}" "${F[@]}" --out "$out/fwd-fastv.safetensors" --method fastv --fastv-k 3 --fastv-keep 0.3 --generate 6 2>>"$log"
  "${L[@]}" "${F[@]}" --out "$out/fwd-random.safetensors" --method random --keep 0.6,0.3,0.2 --prune-seed 5 2>>"$log"
  "${L[@]}" "${F[@]}" --out "$out/fwd-bf16.safetensors" --dtype bf16 --adapter "$adapter" --generate 6 2>>"$log"
  "${L[@]}" "${F[@]}" --out "$out/fwd-bf16-plain.safetensors" --dtype bf16 --generate 6 2>>"$log"
  local G=(generate --image "$image" --question "How many objects are there?" --json)
  "${L[@]}" "${G[@]}" > "$out/gen-plain.json" 2>>"$log"
  "${L[@]}" "${G[@]}" --adapter "$adapter" --rho 0.5 > "$out/gen-lvpruning.json" 2>>"$log"
  "${L[@]}" "${G[@]}" --temperature 0.9 --top-p 0.8 --seed 3 --max-new-tokens 12 > "$out/gen-sampled.json" 2>>"$log"
  "${L[@]}" "${G[@]}" --dtype bf16 --adapter "$adapter" > "$out/gen-bf16.json" 2>>"$log"
  "${L[@]}" "${G[@]}" --method fastv > "$out/gen-fastv.json" 2>>"$log"
  "${L[@]}" flops --preset llava-1.5-7b --rho 0.5 --json > "$out/flops-7b.json" 2>>"$log"
  "${L[@]}" flops --model "$assets" --keep 0.5,0.3,0.1 --json > "$out/flops-toy.json" 2>>"$log"
  "${L[@]}" inspect --model "$assets" --json > "$out/inspect.json" 2>>"$log"
  "${L[@]}" sweep --data "$data" --limit 48 --rho 0.5 --out "$out/sweep" > /dev/null 2>>"$log"
  local T=(train --model "$assets" --data "$data" --batch-size 4 --max-steps 4 --save-every 0 --seed 1 --lr 1e-3)
  "${L[@]}" "${T[@]}" --adapter-out "$out/adapter-paper.safetensors" --checkpoint-dir "$out/ckpt-paper" 2>>"$log"
  "${L[@]}" "${T[@]}" --adapter-out "$out/adapter-all.safetensors" --checkpoint-dir "$out/ckpt-all" \
      --lambda-distill 1 --lambda-attn 1 --mask-grad-clip 0.01 --lambda-ratio 10 2>>"$log"
  "${L[@]}" "${T[@]}" --out "$out/model-removal" --checkpoint-dir "$out/ckpt-removal" --train multi_modal_projector,language_model.model.norm \
      --removal-share 1 --removal-adapter "$adapter" 2>>"$log"
  "${L[@]}" bench --preset toy --method none,lvpruning,random,fastv --repeat 1 --new-tokens 3 --dtype fp32 --json > "$out/bench.json" 2>>"$log"
  "${L[@]}" demo --out "$out/demo" > "$out/demo.txt" 2>>"$log"
}
if [ $reuse = 0 ]; then run_all "$before" "$WORK/before"; touch "$WORK/before/done"; fi
run_all "$after" "$WORK/after"

# --- compare --------------------------------------------------------------------------------------
python3 - "$WORK/before" "$WORK/after" <<'PY'
import filecmp, json, os, re, sys
a, b = sys.argv[1], sys.argv[2]
IGNORED = {"timing", "ttft_ms", "samples_per_s", "ttft_s", "decode_ms_per_token", "vision_s", "peak_rss_gb",
          "gflops_per_s", "speedup", "machine",
          "image_seq_length"}  # not timing: a config key the loader never used, no longer modelled (inspect's config)
def strip(x):
    if isinstance(x, dict): return {k: strip(v) for k, v in x.items() if k not in IGNORED}
    if isinstance(x, list): return [strip(v) for v in x]
    return x
def load_json(path):
    with open(path) as f:
        text = f.read()
    if path.endswith(".jsonl"): return [strip(json.loads(l)) for l in text.splitlines() if l.strip()]
    return strip(json.loads(text))
def demo_lines(path, root):
    # timings vary run to run (GFLOPs are analytic and stay); paths name each run's own folder
    out = []
    for l in open(path).read().replace(root, "ROOT").splitlines():
        l = re.sub(r"ttft +[0-9.]+ ms", "ttft * ms", l)
        l = re.sub(r"time to first token: .*?;", "time to first token: *;", l)
        out.append(l)
    return out
def markdown_lines(path):
    # the last column of results.md is the measured TTFT
    return [re.sub(r"\| [0-9.]+ \|$", "| * |", l) for l in open(path).read().splitlines()]
bad = 0
checked = 0
for root, _, files in os.walk(a):
    for name in sorted(files):
        pa = os.path.join(root, name); rel = os.path.relpath(pa, a); pb = os.path.join(b, rel)
        if name in ("stderr.log", "done") or "latest-model" in rel or name.endswith(".pdb"): continue
        if name == "checkpoint.json":  # holds absolute paths of the run's own folder
            continue
        checked += 1
        if not os.path.exists(pb): print("MISSING", rel); bad += 1; continue
        if name == "bench.json":
            ja, jb = load_json(pa), load_json(pb)
            same = ja == jb and set(json.load(open(pa))["runs"][0]) == set(json.load(open(pb))["runs"][0]) \
                   and set(json.load(open(pa))["machine"]) == set(json.load(open(pb))["machine"])
        elif name == "demo.txt": same = demo_lines(pa, a) == demo_lines(pb, b)
        elif name == "results.md": same = markdown_lines(pa) == markdown_lines(pb)
        elif name.endswith((".json", ".jsonl")) and name != "data.json": same = load_json(pa) == load_json(pb)
        else: same = filecmp.cmp(pa, pb, shallow=False)
        if not same: print("DIFFERS", rel); bad += 1
print(f"{checked} files compared, {bad} differ")
sys.exit(1 if bad else 0)
PY
