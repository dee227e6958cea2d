import json, random, os, sys, base64, csv
random.seed(int(sys.argv[1]))
PRED = ["A","B","C","D","a","The answer is A","A. cat","Answer: B","(C)","I think D is wrong, C","B is correct because A is a cat","", "nan", "None", "NA", "=A", "cat", "dog", "a cat", "Cannot determine the answer", "Z", "Sorry, I can't help with images of people yet.", "Failed to obtain answer via API", "E", "A B", "选项A", "猫", "1", "2.0", "the first one A x y z w"]
img = base64.b64encode(b"\x89PNG fake").decode()
rows, lines = [], []
for g in range(60):
    n = random.choice([2, 3, 4, 4])
    opts = random.sample(["cat","dog","a cat","bird","1","2","3","None","none","NAN","猫","狗"], n)
    ans = random.randrange(n)
    hint = random.choice(["nan", "A hint", "", "None", "提示"])
    for k in range(n):
        rot = opts[k:] + opts[:k]
        a = "ABCD"[(ans - k) % n]
        idx = g + 1 + k * 1000000
        row = {"index": idx, "question": f"Which is it {g}?", "hint": hint, "A": "", "B": "", "C": "", "D": "", "answer": a, "category": "c", "image": img, "source": "s", "l2-category": "l", "comment": "nan", "split": "dev"}
        for j, o in enumerate(rot): row["ABCD"[j]] = o
        rows.append(row)
        r = random.random()
        if r < 0.04: continue
        t = (a if random.random() < 0.5 else rot[ "ABCD".index(a)]) if random.random() < 0.6 else random.choice(PRED)
        lines.append(json.dumps({"question_id": idx, "round_id": 0, "prompt": "p", "text": t, "options": rot, "option_char": list("ABCD"[:n]), "answer_id": "x", "model_id": "m", "metadata": {}}))
        if r > 0.97: lines.append(json.dumps({"question_id": idx, "round_id": 0, "prompt": "p", "text": random.choice(PRED), "options": rot, "option_char": [], "answer_id": "x", "model_id": "m", "metadata": {}}))
# a numeric column with a missing value: float64 -> "3.0"
d = "cases/mmbench"; os.makedirs(d, exist_ok=True)
cols = ["index","question","hint","A","B","C","D","answer","category","image","source","l2-category","comment","split"]
with open(f"{d}/dev.tsv", "w", newline="") as f:
    f.write("\t".join(cols) + "\n")
    for r in rows: f.write("\t".join(str(r[c]) for c in cols) + "\n")
os.makedirs(f"{d}/answers", exist_ok=True); os.makedirs(f"{d}/upload", exist_ok=True)
open(f"{d}/answers/m.jsonl", "w").write("\n".join(lines) + "\n")
