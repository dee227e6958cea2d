import json, random, os, sys
random.seed(int(sys.argv[1]))
POOL = ["Yes","yes","STOP","stop","stop.","Coca-Cola","coca cola","cocacola","woman's","womans","1,000","1000","red,white","Ⅸ","İstanbul","istanbul","ΟΔΟΣ","12:30","the end","end","two","2","none","0","","a","an apple"]
data, lines = [], []
N = 300
for i in range(N):
    img = "%016x" % random.getrandbits(64) if i % 3 else data[-1]["image_id"] if data else "abc"
    qtext = random.choice(["What is written?", "what brand is this?", "WHAT NUMBER?", "Who is İ?", "Which ΟΔΟΣ?"]) + f" {i}"
    base = random.sample(POOL, random.randint(1, 4))
    data.append({"question": qtext, "image_id": img, "image_classes": [], "flickr_original_url": "", "flickr_300k_url": "", "image_width": 1, "image_height": 1,
                 "answers": [random.choice(base) for _ in range(10)], "question_tokens": [], "question_id": 34000 + i, "set_name": "val"})
for i, a in enumerate(data):
    fmt = random.random()
    if fmt < 0.6: prompt = f"{a['question']}\nReference OCR token: tok1, tok2\nAnswer the question using a single word or phrase."
    elif fmt < 0.7: prompt = f"Reference OCR token: \n{a['question']}\nAnswer the question using a single word or phrase."
    elif fmt < 0.85: prompt = f"{a['question']}\nAnswer the question using a single word or phrase."
    else: prompt = f"OCR tokens: a b c Question: {a['question']} Short answer:"
    pred = random.choice(a["answers"]) if random.random() < 0.6 else random.choice(POOL)
    lines.append(json.dumps({"question_id": a["image_id"], "prompt": prompt, "text": pred, "answer_id": "x", "model_id": "m", "metadata": {}}))
    if random.random() < 0.03: lines.append(lines[-1])
# a duplicate annotation key: the last one wins
dup = dict(data[5]); dup["answers"] = ["zzz"] * 10; data.append(dup)
d = "cases/textvqa"; os.makedirs(d, exist_ok=True)
json.dump({"dataset_type": "val", "dataset_name": "textvqa", "dataset_version": "0.5.1", "data": data}, open(f"{d}/TextVQA_0.5.1_val.json", "w"))
open(f"{d}/answers.jsonl", "w").write("\n".join(lines) + "\n")
