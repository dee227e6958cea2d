import json, random, sys
random.seed(int(sys.argv[1]))
lines = []
for i in range(90):
    cat = random.choice(["conv", "detail", "complex"])
    t = [-1, -1] if random.random() < 0.08 else [float(random.choice([6, 7, 7.5, 8, 8.5, 9, 10])), float(random.choice([3, 4.5, 5, 6, 7, 8, 9, 10]))]
    lines.append(json.dumps({"id": i + 1, "question_id": i // 2, "answer1_id": "a", "answer2_id": "b", "category": "llava_bench_" + cat, "content": "8 7\nbecause", "tuple": t}))
open("cases/reviews.jsonl", "w").write("\n".join(lines) + "\n")
