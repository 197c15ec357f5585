"""exp16: align English question words to corpus terms with the multilingual embedders (align_collect.py): each
content word adds a group of its m nearest Japanese BM25 terms (cosine >= tau), to the bridge's groups or for the
words the bridge misses."""
from _paths import OUT, ROOT  # noqa: F401
from lab import *
import lab
from rag.indexing.load import load_index
from rag.stores.bridge import english_words, _lemmas
from rag.stores.japanese import _STOP
lab.use_sparse()
idx = load_index(ROOT / "index", ("e5", "use"))
A = pickle.load(open(str(OUT / "align.pkl"), "rb"))
wix = {w: i for i, w in enumerate(A["words"])}
_tc = {}
def tscore(t):
    if t not in _tc:
        try:
            _tc[t] = np.asarray(idx.bm25._r.get_scores([t]), dtype=float)
        except ValueError:  # a vocabulary entry bm25s holds no postings for
            _tc[t] = np.zeros(N)
    return _tc[t]

def gscore(groups):
    tot = np.zeros(N)
    for g in groups:
        best = np.zeros(N)
        for t in g:
            best = np.maximum(best, tscore(t))
        tot += best
    return tot

def aligned(word, spec, m, tau):
    v = A[f"V_{spec}"] @ A[f"W_{spec}"][wix[word]]
    top = np.argsort(-v)[:m]
    return [A["vocab"][i] for i in top if v[i] >= tau]

if __name__ == "__main__":
    def prod(d, c): return fuse(c, {"e5": 1, "use": 1, "bm25": 1, "sp": 0.5})
    report("baseline (production)", prod)
    # show a few alignments
    for w in ("alliance", "sanctions", "resolution", "treasuries", "anniversary", "lavrov", "oil"):
        if w in wix:
            print(" ", w, "e5:", aligned(w, "e5", 5, 0), "use:", aligned(w, "use", 5, 0))
    for spec in ("e5", "use"):
        for m, tau in ((1, 0.0), (3, 0.0), (3, 0.5) if spec == "use" else (3, 0.85), (5, 0.0)):
            for mode in ("add", "missing"):
                def f(d, c, spec=spec, m=m, tau=tau, mode=mode):
                    if d["lang"] != "en":
                        return prod(d, c)
                    br = set()
                    for w in english_words(d["q"]):
                        if any(k in idx.bridge.table for k in _lemmas(w)):
                            br.add(w)
                    extra = [aligned(w, spec, m, tau) for w in english_words(d["q"])
                             if w in wix and (mode == "add" or w not in br)]
                    c = dict(c); c["bm25"] = gscore(d["bm25_groups"] + [g for g in extra if g])
                    return prod(d, c)
                report(f"align {spec} m={m} tau={tau} {mode}", f)
