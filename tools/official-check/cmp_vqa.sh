for seed in 1 2 3 4 5 6; do
$PYTHON gen_vqa.py $seed
a=$($PYTHON run_vqa.py 2>&1 | grep -E " : |^Overall" | sort)
b=$($LVPRUNE score --benchmark vqav2 --answers $PWD/cases/vqav2/answers/val/m/merge.jsonl --annotations $PWD/cases/vqav2/annotations.json --questions $PWD/cases/vqav2/questions.json 2>/dev/null | grep -E " : |^Overall" | sort)
if [ "$a" == "$b" ]; then echo "seed $seed OK: $(echo $a | head -c 60)"; else echo "seed $seed DIFF"; echo "$a"; echo ---; echo "$b"; fi
done
