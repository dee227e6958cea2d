for seed in 1 2 3 4 5; do
$PYTHON gen_sqa.py $seed
a=$($PYTHON llava/eval/eval_science_qa.py --base-dir cases/sqa --result-file cases/sqa/answers.jsonl --output-file /tmp/o1.json --output-result /tmp/o2.json 2>&1)
b=$($LVPRUNE score --benchmark sqa --annotations $PWD/cases/sqa --answers $PWD/cases/sqa/answers.jsonl 2>&1)
if [ "$a" == "$b" ]; then echo "seed $seed OK $a"; else echo "seed $seed DIFF"; diff <(echo "$a") <(echo "$b"); fi
done
