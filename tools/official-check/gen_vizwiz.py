import json, random, os, sys
random.seed(int(sys.argv[1]))
POOL = ["Unanswerable","unanswerable","unanswerable.","UNANSWERABLE!","Yes","yes","no","black/white","black white","don't know","dont","don`t","Coca-Cola","coca cola","2","two","none","0","a dog","dog","İ"]
d = "cases/vizwiz"; os.makedirs(d, exist_ok=True)
val, qs, lines = [], [], []
for i in range(300):
    img = f"VizWiz_val_{i:08d}.jpg"
    able = 0 if random.random() < 0.3 else 1
    base = ["unanswerable"] if not able else random.sample(POOL, random.randint(1, 3))
    ans = [{"answer": random.choice(base + (["unanswerable"] if random.random() < 0.2 else [])), "answer_confidence": "yes"} for _ in range(10)]
    val.append({"image": img, "question": f"q{i}", "answers": ans, "answer_type": "other", "answerable": able})
    qs.append({"question_id": i, "image": img, "text": f"q{i}\nWhen the provided information is insufficient, respond with 'Unanswerable'.\nAnswer the question using a single word or phrase.", "category": "default"})
    t = random.choice([a["answer"] for a in ans]) if random.random() < 0.6 else random.choice(POOL)
    lines.append(json.dumps({"question_id": i, "prompt": "p", "text": t, "answer_id": "x", "model_id": "m", "metadata": {}}))
json.dump(val, open(f"{d}/val.json", "w"))
open(f"{d}/llava_val.jsonl", "w").write("".join(json.dumps(x) + "\n" for x in qs))
open(f"{d}/answers.jsonl", "w").write("\n".join(lines) + "\n")
