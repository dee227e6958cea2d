for seed in 1 2 3 4 5; do
$PYTHON gen_vizwiz.py $seed
PYTHONPATH=. $PYTHON scripts/convert_vizwiz_for_submission.py --annotation-file cases/vizwiz/llava_val.jsonl --result-file cases/vizwiz/answers.jsonl --result-upload-file cases/vizwiz/upload.json > /dev/null
a=$($PYTHON run_vizwiz.py 2>/dev/null)
b=$($LVPRUNE score --benchmark vizwiz --annotations $PWD/cases/vizwiz/val.json --questions $PWD/cases/vizwiz/llava_val.jsonl --answers $PWD/cases/vizwiz/answers.jsonl 2>&1 | grep -E "Overall|Precision|F1" | awk '{print $NF}' | tr '\n' ' ' | sed 's/ $//')
if [ "$a" == "$b" ]; then echo "seed $seed OK $a"; else echo "seed $seed DIFF"; echo "$a"; echo "$b"; fi
done
