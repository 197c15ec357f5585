from _paths import OUT, ROOT  # noqa: F401
import sys, pickle, numpy as np
from rag.retrieval.fusion import diversify
from rag.types import Passage
D = pickle.load(open(str(OUT / "data.pkl"), "rb"))
P = [Passage(pid, doc, 0, "", s, e, t, 0) for pid, doc, s, e, t in D["passages"]]
N = len(P)
SR = D["sent_rows"]
SPECS = ["e5", "use"]

def maxsim(S, q):
    s = S @ q
    out = np.full(N, -1.0)
    np.maximum.at(out, SR, s)
    return out

SP = None  # passage sparse vectors, once use_sparse() has loaded them


def use_sparse():
    """Load sparse_collect.py's output: every question gets d["sp"], and comps() a "sp" component."""
    global SP
    S = pickle.load(open(str(OUT / "sparse.pkl"), "rb"))
    SP = S["P"]
    for s in ("team", "dev"):
        for d, v in zip(D[s], S[s]):
            d["sp"] = v
    return S

def comps(d):
    c = {}
    if SP is not None and "sp" in d:
        c["sp"] = SP @ d["sp"]
    for sp in SPECS:
        c[sp] = D[f"P_{sp}"] @ d[f"q_{sp}"]
        c[sp + "_s"] = maxsim(D[f"S_{sp}"], d[f"q_{sp}"])
    c["bm25"] = np.asarray(d["bm25"], dtype=float)
    return c

def topnorm(x, pool=100, positive=False):
    order = np.argsort(-x, kind="stable")[:pool]
    if positive:
        order = order[x[order] > 0]
    out = np.zeros(N)
    if len(order) == 0:
        return out
    v = x[order]; lo, hi = v.min(), v.max()
    out[order] = (v - lo) / (hi - lo) if hi > lo else 1.0
    return out, order

def fuse(c, w, pool=100):
    tot = np.zeros(N); member = np.zeros(N, bool)
    for name, wt in w.items():
        if wt == 0: continue
        n, order = topnorm(c[name], pool, positive=(name == "bm25"))
        tot += wt * n; member[order] = True
    tot[~member] = -1e9
    return tot

def rank(score, k=10):
    order = sorted(range(N), key=lambda r: (-score[r], r))
    order = [r for r in order if score[r] > -1e8]
    return diversify(order, P, k)

def evaluate(setname, scorer, verbose=False):
    res = {"all": [], "en": [], "ja": []}
    for d in D[setname]:
        s = scorer(d, comps(d))
        ranked = rank(s)
        rel = set(d["rel"])
        r = next((i + 1 for i, x in enumerate(ranked) if x in rel), None)
        rr = 1 / r if r else 0.0
        r5 = 1.0 if r and r <= 5 else 0.0
        for g in ("all", d["lang"]):
            res[g].append((r5, rr))
        if verbose and (not r or r > 1):
            print(f"  {d['id']} {d['lang']} rank={r} {d['q'][:80]}")
    return {g: "%.3f/%.3f" % tuple(np.mean(v, axis=0)) for g, v in res.items() if v}

def report(name, scorer, verbose=False):
    t = evaluate("team", scorer, verbose); dv = evaluate("dev", scorer, verbose)
    print(f"{name:40s} team {t['all']} en{t['en']} ja{t['ja']} | dev {dv['all']} en{dv['en']} ja{dv['ja']}")

def base(wb_en=1.0, wb_ja=1.0, we5=1.0, wuse=1.0):
    def f(d, c):
        return fuse(c, {"e5": we5, "use": wuse, "bm25": wb_en if d["lang"] == "en" else wb_ja})
    return f
if __name__ == "__main__":
    report("baseline", base(), verbose="-v" in sys.argv)
