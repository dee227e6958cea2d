for seed in 1 2 3 4 5; do
$PYTHON gen_pope.py $seed
a=$($PYTHON llava/eval/eval_pope.py --annotation-dir cases/pope/coco --question-file cases/pope/llava_pope_test.jsonl --result-file cases/pope/answers.jsonl 2>/dev/null | grep -v "^Category" | sort)
b=$($LVPRUNE score --benchmark pope --annotations $PWD/cases/pope/coco --questions $PWD/cases/pope/llava_pope_test.jsonl --answers $PWD/cases/pope/answers.jsonl 2>&1 | grep -v "^Category\|^Mean" | sort)
if [ "$a" == "$b" ]; then echo "seed $seed OK"; else echo "seed $seed DIFF"; diff <(echo "$a") <(echo "$b"); fi
done
