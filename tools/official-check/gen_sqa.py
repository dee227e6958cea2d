import json, random, os, sys
random.seed(int(sys.argv[1]))
POOL = ["A","B","C","D","E","F","a","A.","A. cat","B. ","C.","The answer is C","The answer is D, because","The answer is C. The answer is B.","The answer is e.","FAILED","","E. x","The answer is Z.", "A\n", " B"]
d = "cases/sqa"; os.makedirs(d, exist_ok=True)
problems, test, lines = {}, [], []
for i in range(300):
    pid = str(1000 + i)
    n = random.randint(2, 5)
    problems[pid] = {"question": "q", "choices": [f"c{k}" for k in range(n)], "answer": random.randrange(n), "hint": "", "image": "image.png" if random.random() < 0.5 else None, "split": "test"}
    test.append(pid)
    r = random.random()
    if r < 0.05: continue
    letter = "ABCDE"[problems[pid]["answer"]]
    t = random.choice(POOL) if random.random() < 0.5 else random.choice([letter, letter + ". c", f"The answer is {letter}."])
    prompt = ("<image>\n" if problems[pid]["image"] else "") + "q\nA. c0\nAnswer with the option's letter from the given choices directly."
    if r > 0.97: prompt = "no image marker"
    lines.append(json.dumps({"question_id": pid, "prompt": prompt, "text": t, "answer_id": "x", "model_id": "m", "metadata": {}}))
    if r > 0.95: lines.append(json.dumps({"question_id": pid, "prompt": prompt, "text": random.choice(POOL), "answer_id": "x", "model_id": "m", "metadata": {}}))
for i in range(20): problems[str(5000 + i)] = {"question": "q", "choices": ["a","b"], "answer": 0, "image": None, "split": "train"}
json.dump(problems, open(f"{d}/problems.json", "w"))
json.dump({"train": [str(5000 + i) for i in range(20)], "val": [], "test": test}, open(f"{d}/pid_splits.json", "w"))
open(f"{d}/answers.jsonl", "w").write("\n".join(lines) + "\n")
