import json, random, os, sys
random.seed(int(sys.argv[1]))
with_choices = sys.argv[2] == "1"
POOL = ["yes","no","Yes","yes.","yes..","no.","left","right","red","blue","the red one","red one","table","a table"," table","table ","cat!","İ","ΟΔΟΣ","οδος","wood","metal","color","shape","material"]
qs, choices, lines = {}, {}, []
N = 300
for i in range(N):
    qid = f"{20000000 + i}"
    gold = random.choice(["yes","no","left","right","red","blue","table","cat!","wood","οδος"])
    structural = random.choice(["query","verify","logical","choose","compare"])
    qs[qid] = {"question": " ".join(["w"] * random.randint(3, 9)) + "?", "answer": gold, "imageId": f"n{i}", "isBalanced": random.random() < 0.85,
               "types": {"structural": structural, "semantic": random.choice(["attr","rel","obj","cat","global"]), "detailed": random.choice(["colorCommon","relS","existC","materialCommon"])},
               "groups": {"global": random.choice([None, "color", "place", "material"]), "local": "x"},
               "semantic": [{"operation": random.choice(["select","filter color","exist","query","choose","relate"]), "argument": random.choice(["name","table","hposition","x"]), "dependencies": []} for _ in range(random.randint(1,5))],
               "entailed": [], "equivalent": [qid], "annotations": {}, "fullAnswer": "", "semanticStr": ""}
    choices[qid] = {"valid": random.sample(["yes","no","red","blue","table","left"], 3), "plausible": random.sample(["yes","no","red","blue","table","left"], 2)}
    r = random.random()
    if r < 0.02 and not qs[qid]["isBalanced"]: continue
    pred = gold if random.random() < 0.5 else random.choice(POOL)
    if random.random() < 0.2: pred = pred.capitalize() + "."
    lines.append(json.dumps({"question_id": qid, "prompt": "p", "text": pred, "answer_id": "x", "model_id": "m", "metadata": {}}))
    if r > 0.97: lines.append(json.dumps({"question_id": qid, "prompt": "p", "text": random.choice(POOL), "answer_id": "x", "model_id": "m", "metadata": {}}))
d = "cases/gqa"; os.makedirs(d, exist_ok=True)
for f in os.listdir(d): os.remove(os.path.join(d, f))
json.dump(qs, open(f"{d}/testdev_balanced_questions.json", "w"))
if with_choices: json.dump(choices, open(f"{d}/testdev_balanced_choices.json", "w"))
open(f"{d}/merge.jsonl", "w").write("\n".join(lines) + "\n")
