"""exp17: variations on the shipped term alignment (exp16, USE m=5 ≥ 0.4): adding e5's aligned terms to USE's
groups, and aligning adjacent content-word pairs ("security council", "pull out") as phrases as well."""
from exp16 import *
from rag.stores.japanese import _STOP
from rag.runtime import load_embedders
from rag.settings import Settings

USE = load_embedders(Settings(embedders=("use",)))["use"]
VU = A["V_use"]

def prod(d, c): return fuse(c, {"e5": 1, "use": 1, "bm25": 1, "sp": 0.5})

def near(V, vec, m=5, tau=0.4):
    v = V @ vec
    return [A["vocab"][i] for i in np.argsort(-v)[:m] if v[i] >= tau]

_pc = {}
def phrase_vecs(ps):
    miss = [p for p in ps if p not in _pc]
    if miss:
        _pc.update(zip(miss, USE.encode_queries(miss)))
    return [_pc[p] for p in ps]

def make(e5_union=False, pairs=False, e5_tau=0.85):
    def f(d, c):
        if d["lang"] != "en":
            return prod(d, c)
        words = [w for w in dict.fromkeys(english_words(d["q"])) if len(w) > 1 and w not in _STOP]
        groups = list(d["bm25_groups"])
        for w in words:
            g = near(VU, A["W_use"][wix[w]])
            if e5_union:
                g = list(dict.fromkeys(g + near(A["V_e5"], A["W_e5"][wix[w]], 5, e5_tau)))
            if g:
                groups.append(g)
        if pairs:
            seq = [w for w in english_words(d["q"])]
            ps = [f"{a} {b}" for a, b in zip(seq, seq[1:]) if a not in _STOP and b not in _STOP and len(a) > 1 and len(b) > 1]
            for vec in phrase_vecs(ps):
                g = near(VU, vec)
                if g:
                    groups.append(g)
        c = dict(c); c["bm25"] = gscore(groups)
        return prod(d, c)
    return f

report("shipped (USE m=5 >= 0.4)", make())
report("+ e5 union (>= 0.85)", make(e5_union=True))
report("+ e5 union (>= 0.9)", make(e5_union=True, e5_tau=0.9))
report("+ adjacent pairs as phrases", make(pairs=True))

# the English BM25 weight, now that alignment makes English BM25 stronger
base_f = make()
for wb in (0.7, 1.3, 1.6):
    def g(d, c, wb=wb):
        if d["lang"] != "en":
            return prod(d, c)
        s = base_f(d, c)  # recompute with another BM25 weight
        words = [w for w in dict.fromkeys(english_words(d["q"])) if len(w) > 1 and w not in _STOP]
        groups = list(d["bm25_groups"]) + [g for g in (near(VU, A["W_use"][wix[w]]) for w in words) if g]
        c = dict(c); c["bm25"] = gscore(groups)
        return fuse(c, {"e5": 1, "use": 1, "bm25": wb, "sp": 0.5})
    report(f"English BM25 weight {wb}", g)
