from _paths import OUT, ROOT  # noqa: F401
from lab import *
import glob
from pathlib import Path
from rag.indexing.load import load_index
from rag.stores.bridge import Bridge, english_words, _lemmas
from rag.stores.japanese import _STOP, default_analyzer
idx = load_index(ROOT / "index", ("e5", "use"))
br = idx.bridge; an = default_analyzer()
SE = pickle.load(open(str(OUT / "sense.pkl"), "rb"))
tix = {t: i for i, t in enumerate(SE["terms"])}; wix = {w: i for i, w in enumerate(SE["words"])}
_tc = {}
def tscore(t):
    if t not in _tc:
        _tc[t] = np.asarray(idx.bm25._r.get_scores([t]), dtype=float) if t in idx.bm25._vocab else np.zeros(N)
    return _tc[t]

def expand_words(q):
    words = english_words(q); out = []; i = 0; T = br.table
    while i < len(words):
        if i + 1 < len(words):
            pair = f"{words[i]} {words[i+1]}"
            k = next((k for k in _lemmas(pair) if k in T), None)
            if k: out.append((k, T[k])); i += 2; continue
        w = words[i]; i += 1
        for part in [w] if w in T or "-" not in w else w.split("-"):
            if part in _STOP or len(part) < 2: continue
            k = next((k for k in _lemmas(part) if k in T), None)
            if k: out.append((k, T[k]))
    return out

def bm25_sense(d, spec="use", how="ctx", delta=0.1, tv="q", floor=None):
    q = d["q"]
    groups = expand_words(q)
    total = np.zeros(N)
    for key, cands in groups:
        if len(cands) > 1:
            if how == "ctx":
                qv = d[f"q_{spec}"]
            else:
                qv = SE[f"W_{spec}_q"][wix[key]] if key in wix else d[f"q_{spec}"]
            sims = np.array([SE[f"T_{spec}_{tv}"][tix[t]] @ qv for t in cands])
            keep = [t for t, s in zip(cands, sims) if s >= sims.max() - delta and (floor is None or s >= floor)]
        else:
            keep = cands
        best = np.zeros(N)
        for t in keep: best = np.maximum(best, tscore(t))
        total += best
    for t in an.terms(q):
        total += tscore(t)
    return total

def with_bm25(fn):
    def f(d, c):
        if d["lang"] == "en":
            c = dict(c); c["bm25"] = fn(d)
        return fuse(c, {"e5": 1, "use": 1, "bm25": 1})
    return f
def single(fn):
    def f(d, c):
        if d["lang"] == "en":
            c = dict(c); c["bm25"] = fn(d)
        return fuse(c, {"bm25": 1})
    return f
report("baseline", base())
report("bm25 single", single(lambda d: bm25_sense(d, delta=9)))
report("nofilter reimpl", with_bm25(lambda d: bm25_sense(d, delta=9)))
for spec in ("use", "e5"):
    for how in ("ctx", "word"):
        for tv in ("q", "p"):
            for delta in (0.0, 0.05, 0.1):
                report(f"{spec} {how} {tv} d={delta}", with_bm25(lambda d, spec=spec, how=how, delta=delta, tv=tv: bm25_sense(d, spec, how, delta, tv)))
                report(f"   single", single(lambda d, spec=spec, how=how, delta=delta, tv=tv: bm25_sense(d, spec, how, delta, tv)))
