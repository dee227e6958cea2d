import json, random, os, sys
random.seed(int(sys.argv[1]))
POOL = ["Yes","No","yes","no","NO","Nope","None","I don't think so","There isn't.","","Not sure","Yes, but no cat.","No.","Yes.","no, there is","not","There is no dog","Yes, there is a dog. No cat.","No,","no.It is"]
d = "cases/pope"; os.makedirs(f"{d}/coco", exist_ok=True)
qs, ans = [], []
for split, off, n in [("adversarial", 0, 120), ("random", 10000000, 110), ("popular", 20000000, 120)]:
    labels = []
    for k in range(1, n + 1):
        lab = random.choice(["yes","no"])
        labels.append({"question_id": k, "image": f"img{k}.jpg", "text": f"Is there a x{k} in the image?", "label": lab})
        qs.append({"question_id": off + k, "image": f"img{k}.jpg", "text": f"Is there a x{k} in the image?\nAnswer the question using a single word or phrase.", "category": split})
        t = random.choice(POOL) if random.random() < 0.4 else ("Yes" if (lab == "yes") == (random.random() < 0.8) else "No")
        ans.append({"question_id": off + k, "prompt": "p", "text": t, "answer_id": "x", "model_id": "m", "metadata": {}})
    open(f"{d}/coco/coco_pope_{split}.json", "w").write("".join(json.dumps(x) + "\n" for x in labels))
open(f"{d}/llava_pope_test.jsonl", "w").write("".join(json.dumps(x) + "\n" for x in qs))
open(f"{d}/answers.jsonl", "w").write("".join(json.dumps(x) + "\n" for x in ans))
