import json, sys, io, contextlib
sys.path.insert(0, '.')
from vizwiz_eval import VQAEval
d = "cases/vizwiz"
val = json.load(open(f"{d}/val.json")); up = json.load(open(f"{d}/upload.json"))
gts = {v["image"]: v for v in val}; res = {u["image"]: u for u in up}
with contextlib.redirect_stdout(io.StringIO()):
    e = VQAEval(gts, res, n=2); e.evaluate(); e.evaluate_unanswerability()
print("%.2f %.2f %.2f" % (e.accuracy["overall"], e.unanswerability["average_precision"], e.unanswerability["f1_score"]))
