import json, random, os, sys
random.seed(int(sys.argv[1]) if len(sys.argv) > 1 else 0)
POOL = ["Yes","yes","yes.","NO","no","No.","Skateboarding!","skateboarding","Living-room","living room","The pizza.","pizza","two","2","ten","10","zero","0","none","nothing",
        "red,white","red white","red and white","woman's","woman","1,000","1000","3.5.","3.5","12:30.","12:30","on the couch","couch","dont walk","don't walk","I ♥ NY","i ♥ ny","",
        "  2 ","a dog","dog","İstanbul","istanbul","ΟΔΟΣ","οδος","x\ty","1.5",".5","5.","5","black-and-white","black and white","hi!!","can't","cant","e.g.","eg",
        "Unanswerable","unanswerable","unanswerable.","left / right","left right","(a)","a","the","an apple","apple","black/white","blackwhite","it's","its","hes","he's","5,000 dollars","$5","50%"]
def q(i): return 1000 + i
N = 400
anns, qs, llava_qs = [], [], []
for i in range(N):
    kind = random.random()
    if kind < 0.3:
        a = random.choice(POOL); answers = [a]*10
    else:
        base = random.sample(POOL, random.randint(2,4))
        answers = [random.choice(base) for _ in range(10)]
    ans = [{"answer": a, "answer_confidence": random.choice(["yes","maybe","no"]), "answer_id": k+1} for k, a in enumerate(answers)]
    if random.random() < 0.05:
        ans[3] = dict(ans[2])  # an identical dict: leaves together in v2.0
    if random.random() < 0.03:
        ans = ans[:7]          # fewer than 10 answers
    anns.append({"question_type": f"t{i}", "multiple_choice_answer": answers[0], "answers": ans,
                 "image_id": 7 + i, "answer_type": random.choice(["yes/no","number","other"]), "question_id": q(i)})
    qs.append({"image_id": 7 + i, "question": f"Q{i}?", "question_id": q(i)})
    llava_qs.append({"question_id": q(i), "image": f"COCO_val2014_{7+i:012d}.jpg", "text": f"Q{i}?\nAnswer the question using a single word or phrase.", "category": "default"})
lines = []
for i in range(N):
    r = random.random()
    if r < 0.05: continue  # missing answer
    gt = [a["answer"] for a in anns[i]["answers"]]
    pred = random.choice(gt) if random.random() < 0.6 else random.choice(POOL)
    lines.append(json.dumps({"question_id": q(i), "prompt": "p", "text": pred, "answer_id": "x", "model_id": "m", "metadata": {}}))
    if r > 0.97: lines.append(json.dumps({"question_id": q(i), "prompt": "p", "text": random.choice(POOL), "answer_id": "y", "model_id": "m", "metadata": {}}))
lines.insert(5, '{"question_id": 1003, "text": broken')
lines.insert(9, '')
d = "cases/vqav2"; os.makedirs(f"{d}/answers/val/m", exist_ok=True)
json.dump({"info": {}, "task_type": "Open-Ended", "data_type": "mscoco", "data_subtype": "val2014", "license": {}, "questions": qs}, open(f"{d}/questions.json", "w"))
json.dump({"info": {}, "annotations": anns}, open(f"{d}/annotations.json", "w"))
open(f"{d}/llava_vqav2_mscoco_test2015.jsonl", "w").write("".join(json.dumps(x) + "\n" for x in llava_qs))
open(f"{d}/answers/val/m/merge.jsonl", "w").write("\n".join(lines) + "\n")
