for seed in 1 2 3 4 5 6; do
$PYTHON gen_mmbench.py $seed
$PYTHON with_pandas2.py scripts/convert_mmbench_for_submission.py --annotation-file cases/mmbench/dev.tsv --result-dir cases/mmbench/answers --upload-dir cases/mmbench/upload --experiment m
a=$($PYTHON with_pandas2.py run_mmbench.py 2>/dev/null)
b=$($LVPRUNE score --benchmark mmbench --annotations $PWD/cases/mmbench/dev.tsv --answers $PWD/cases/mmbench/answers/m.jsonl --json 2>/dev/null | $PYTHON -c 'import json,sys; d=json.load(sys.stdin); print("%.2f %.2f %.2f" % (100*d["accuracy"], 100*d["vanilla_accuracy"], 100*d["vanilla_accuracy_all_rows"]))')
if [ "$a" == "$b" ]; then echo "seed $seed OK $a"; else echo "seed $seed DIFF"; echo "$a"; echo "$b"; fi
done
