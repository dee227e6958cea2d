#!/usr/bin/env bash
# Runs each LVPrune scorer and converter side by side with the official Python code on generated edge
# cases (random mixes of the quirky answers BENCHMARKS.md lists) and prints OK or the differing lines.
# Needs python3 with numpy, pandas, scikit-learn, openpyxl and tqdm (Debian: python3-pandas python3-sklearn
# python3-openpyxl python3-tqdm), and the official files, which are not in this repository; put them here:
#   llava/__init__.py, llava/eval/__init__.py (empty), and from haotian-liu/LLaVA at c121f04:
#     llava/eval/{m4c_evaluator,eval_textvqa,eval_pope,eval_science_qa,summarize_gpt_review}.py
#     scripts/convert_{vqav2_for_submission,gqa_for_eval,vizwiz_for_submission,mmbench_for_submission,mmvet_for_eval}.py
#   vqaEval.py and vqa.py             GT-Vision-Lab/VQA 0dc4ab7 (PythonEvaluationTools/vqaEvaluation, PythonHelperTools/vqaTools)
#   gqa_eval.py                       SHI-Labs/VCoder 4e85ace playground/data/eval/gqa/data/eval/eval.py
#   vizwiz_eval.py                    TRI-ML/vlm-evaluation d9f5896 vlm_eval/util/evaluation/vizwiz/eval.py
#   matching_util.py                  open-compass/VLMEvalKit 0bccf45 vlmeval/utils/matching_util.py, with its
#                                     "from vlmeval.smp.log import get_logger" replaced by "import logging; get_logger = logging.getLogger"
# MMBench runs under pandas2.py, which adds "None" to pandas 1.5's missing values as pandas >= 2.0 has it.
set -euo pipefail
cd "$(dirname "$0")"
export PYTHON=${PYTHON:-python3}
export LVPRUNE=${LVPRUNE:-"dotnet $(cd ../.. && pwd)/src/LVPrune.Cli/bin/Release/net10.0/LVPrune.Cli.dll"}
export PYTHONPATH=.
mkdir -p cases
for b in vqa gqa textvqa pope sqa vizwiz mmbench llavabench; do echo "== $b"; bash cmp_$b.sh; done
