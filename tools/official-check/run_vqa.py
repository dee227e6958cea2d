import json, sys, subprocess, os
sys.path.insert(0, '.')
d = "cases/vqav2"
subprocess.run([sys.executable, "scripts/convert_vqav2_for_submission.py", "--dir", d, "--ckpt", "m", "--split", "val"], check=True, env={**os.environ, "PYTHONPATH": "."})
from vqa import VQA
from vqaEval import VQAEval
import io, contextlib
with contextlib.redirect_stdout(io.StringIO()):
    vqa = VQA(f"{d}/annotations.json", f"{d}/questions.json")
    res = vqa.loadRes(f"{d}/answers_upload/val/m.json", f"{d}/questions.json")
    e = VQAEval(vqa, res, n=2); e.evaluate()
print("Overall Accuracy is: %.02f" % e.accuracy['overall'])
for k in ("perAnswerType","perQuestionType"):
    for t in e.accuracy[k]: print("%s : %.02f" % (t, e.accuracy[k][t]))
