for seed in 1 2 3 4 5; do
$PYTHON gen_llavabench.py $seed
a=$($PYTHON llava/eval/summarize_gpt_review.py -f cases/reviews.jsonl)
b=$($LVPRUNE score --benchmark llava-bench --answers $PWD/cases/reviews.jsonl 2>/dev/null)
if [ "$a" == "$b" ]; then echo "seed $seed OK $(echo $a | head -c 80)"; else echo "seed $seed DIFF"; diff <(echo "$a") <(echo "$b"); fi
done
