for seed in 1 2 3 4; do for ch in 0 1; do
$PYTHON gen_gqa.py $seed $ch
$PYTHON scripts/convert_gqa_for_eval.py --src cases/gqa/merge.jsonl --dst cases/gqa/testdev_balanced_predictions.json
a=$(cd cases/gqa && $PYTHON ../../gqa_eval.py --tier testdev_balanced 2>/dev/null | grep -E "%|lower")
b=$($LVPRUNE score --benchmark gqa --answers $PWD/cases/gqa/merge.jsonl --annotations $PWD/cases/gqa/testdev_balanced_questions.json 2>/dev/null | grep -E "%|lower")
if [ "$a" == "$b" ]; then echo "seed $seed ch $ch OK: $(echo $a | head -c 100)"; else echo "seed $seed DIFF"; diff <(echo "$a") <(echo "$b"); fi
done; done
