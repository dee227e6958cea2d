import sys, string, pandas as pd, numpy as np
sys.path.insert(0, '.')
from matching_util import can_infer
meta = pd.read_table("cases/mmbench/dev.tsv")
data = pd.read_excel("cases/mmbench/upload/m.xlsx")
data['index'] = [int(x) for x in data['index']]
data = data.sort_values(by='index')
data['prediction'] = [str(x) for x in data['prediction']]
for k in data.keys():
    data[k.lower() if k not in list(string.ascii_uppercase) else k] = data.pop(k)
answer_map = {i: c for i, c in zip(meta['index'], meta['answer'])}
def build_choices(item):
    return {ch: item[ch] for ch in string.ascii_uppercase if ch in item and not pd.isna(item[ch])}
def prefetch(item): return can_infer(item['prediction'], build_choices(item))
data['g_index'] = [int(x % 1e6) for x in data['index']]
data = data[data['index'].isin(answer_map)]
data['GT'] = [answer_map[idx] for idx in data['index']]
main = data[data['index'] == data['g_index']]
hits = []
for i in range(len(main)):
    idx = main.iloc[i]['index']
    sub = data[data['g_index'] == idx]
    hit = 1
    for j in range(len(sub)):
        item = sub.iloc[j]
        p = prefetch(item)
        if not p or p != item['GT']: hit = 0; break
    hits.append(hit)
v0, va = [], []
for i in range(len(data)):
    item = data.iloc[i]
    p = prefetch(item) or 'Z'
    va.append(p == item['GT'])
    if item['index'] <= 1e6: v0.append(p == item['GT'])
print("%.2f %.2f %.2f" % (100 * np.mean(hits), 100 * np.mean(v0), 100 * np.mean(va)))
