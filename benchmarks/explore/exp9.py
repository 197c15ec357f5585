"""exp9: 'translate' English questions through the bridge: embed the bridge's Japanese terms (alone or appended to
the question) with both embedders and fuse that as an extra component."""
from _paths import OUT, ROOT  # noqa: F401
import lab
from lab import *
from rag.settings import Settings
from rag.runtime import open_searcher
import re
se = open_searcher(Settings())
S = lab.use_sparse()
ascii_ = re.compile(r"^[\x00-\x7f]+$")
def ja_terms(d, first):
    gs = [g for g in d["bm25_groups"] if not all(ascii_.match(t) for t in g)]
    return [g[0] for g in gs] if first else [t for g in gs for t in g]
for s in ("team", "dev"):
    for d in D[s]:
        if d["lang"] != "en":
            continue
        for mode in ("first", "all"):
            t = " ".join(ja_terms(d, mode == "first"))
            for spec, emb in se.embedders.items():
                d[f"x_{spec}_{mode}"] = emb.encode_queries([t])[0]
                d[f"m_{spec}_{mode}"] = emb.encode_queries([d["q"] + " " + t])[0]
_c = lab.comps
def comps2(d):
    c = _c(d)
    for k in list(d):
        if k[:2] in ("x_", "m_"):
            c[k] = D["P_" + k.split("_")[1]] @ d[k]
    return c
lab.comps = comps2
def scorer(extra=None, w=0.5, replace=False):
    def f(d, c):
        ws = {"e5": 1, "use": 1, "bm25": 1, "sp": 0.5}
        if extra and d["lang"] == "en":
            for spec in ("e5", "use"):
                k = extra.format(spec=spec)
                if replace: ws[spec] = 0
                ws[k] = w if not replace else 1
        return fuse(c, ws)
    return f
report("baseline (with sparse)", scorer())
for mode in ("first", "all"):
    for pre in ("x", "m"):
        for w in (0.3, 0.5, 1.0):
            report(f"{pre}_{mode} w={w}", scorer(pre + "_{spec}_" + mode, w))
        report(f"{pre}_{mode} replace", scorer(pre + "_{spec}_" + mode, replace=True))
