"""exp16b: the neighbourhood of exp16's best row (USE alignment added to the bridge): m, tau, a weight on the
aligned groups, cosine-weighted alternatives."""
from exp16 import *

def prod(d, c): return fuse(c, {"e5": 1, "use": 1, "bm25": 1, "sp": 0.5})

def gscore_w(groups):
    tot = np.zeros(N)
    for g, w in groups:
        best = np.zeros(N)
        for t, tw in g:
            best = np.maximum(best, tw * tscore(t))
        tot += w * best
    return tot

def make(m, tau, w=1.0, cosw=False, spec="use"):
    def f(d, c):
        if d["lang"] != "en":
            return prod(d, c)
        groups = [([(t, 1.0) for t in g], 1.0) for g in d["bm25_groups"]]
        for word in english_words(d["q"]):
            if word not in wix:
                continue
            v = A[f"V_{spec}"] @ A[f"W_{spec}"][wix[word]]
            top = [i for i in np.argsort(-v)[:m] if v[i] >= tau]
            if top:
                groups.append(([(A["vocab"][i], float(v[i]) / float(v[top[0]]) if cosw else 1.0) for i in top], w))
        c = dict(c); c["bm25"] = gscore_w(groups)
        return prod(d, c)
    return f

report("baseline (production)", prod)
for m in (2, 3, 4, 5, 6, 8, 10):
    report(f"use m={m}", make(m, 0.0))
for tau in (0.3, 0.4, 0.5, 0.6):
    report(f"use m=5 tau={tau}", make(5, tau))
for w in (0.3, 0.5, 0.7):
    report(f"use m=5 w={w}", make(5, 0.0, w))
report("use m=5 cosine-weighted", make(5, 0.0, 1.0, True))
report("use m=8 cosine-weighted", make(8, 0.0, 1.0, True))
