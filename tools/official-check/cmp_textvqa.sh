for seed in 1 2 3 4 5; do
$PYTHON gen_textvqa.py $seed
a=$(PYTHONPATH=. $PYTHON -m llava.eval.eval_textvqa --annotation-file cases/textvqa/TextVQA_0.5.1_val.json --result-file cases/textvqa/answers.jsonl 2>/dev/null)
b=$($LVPRUNE score --benchmark textvqa --answers $PWD/cases/textvqa/answers.jsonl --annotations $PWD/cases/textvqa/TextVQA_0.5.1_val.json 2>&1)
if [ "$(echo "$a" | grep -v '^$')" == "$b" ]; then echo "seed $seed OK: $(echo $a | head -c 100)"; else echo "seed $seed DIFF"; diff <(echo "$a") <(echo "$b"); fi
done
