"""exp12: coordination-level matching. An IDF-weighted share of the question's term groups (one group per
English word through the bridge, one per Japanese term) that a passage contains, fused as an extra component."""
from _paths import OUT, ROOT  # noqa: F401
import lab
from lab import *
from rag.indexing.load import load_index
idx = load_index(ROOT / "index", ("e5", "use"))
lab.use_sparse()
def coverage(groups):
    num = np.zeros(N); den = 0.0
    for g in groups:
        best = np.zeros(N)
        for t in g:
            if t in idx.bm25._vocab:
                best = np.maximum(best, idx.bm25._r.get_scores([t]))
        present = best > 0
        df = present.sum()
        if df == 0: continue
        idf = np.log(1 + (N - df + 0.5) / (df + 0.5))
        num += idf * present; den += idf
    return num / den if den else num
for s in ("team", "dev"):
    for d in D[s]:
        d["cov"] = coverage(d["bm25_groups"])
_c = lab.comps
def comps2(d):
    c = _c(d); c["cov"] = d["cov"]; return c
lab.comps = comps2
def scorer(w, mult=False, langs=("en", "ja")):
    def f(d, c):
        s = fuse(c, {"e5": 1, "use": 1, "bm25": 1, "sp": 0.5})
        if w and d["lang"] in langs:
            if mult:
                s = np.where(s > -1e8, s * (1 + w * c["cov"]), s)
            else:
                s = np.where(s > -1e8, s + w * c["cov"], s)
        return s
    return f
report("baseline", scorer(0))
for w in (0.25, 0.5, 1.0):
    report(f"cov add {w}", scorer(w))
    report(f"cov add {w} en only", scorer(w, langs=("en",)))
    report(f"cov mult {w}", scorer(w, True))
