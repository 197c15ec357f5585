"""exp18: a penalty for bullet-list passages (summaries and key points restating the detail sections): the share of a
passage's characters on lines that start with a bullet or an outline number."""
from _paths import OUT, ROOT  # noqa: F401
from lab import *
import lab, re
lab.use_sparse()
def listness(t):
    lines=[l.strip() for l in t.split("\n") if l.strip()]
    b=[l for l in lines if l.startswith(("・","⇨","•","✅")) or re.match(r"^[0-9０-９]+[.．]|^\([0-9a-z]\)|^（", l)]
    return sum(len(l) for l in b)/max(1,sum(len(l) for l in lines))
L=np.array([listness(p.text) for p in P])
print("passages listness>0.5:", (L>0.5).sum(), "of", N)
def prod(d, c): return fuse(c, {"e5": 1, "use": 1, "bm25": 1, "sp": 0.5})
for s in ("team","dev"):
    ev=[];wrong=[]
    for d in D[s]:
        ranked=rank(prod(d,comps(d)))
        ev.append(max(L[r] for r in d["rel"]) if d["rel"] else np.nan)
        if ranked and ranked[0] not in d["rel"]: wrong.append(L[ranked[0]])
    ev=np.array(ev)
    print(s, "evidence listness>0.5 share %.2f"%np.nanmean(ev>0.5), "wrong-top1 listness>0.5: %d of %d"%(sum(w>0.5 for w in wrong), len(wrong)))
for pen in (0.05,0.1,0.2,0.3):
    report(f"list penalty {pen}", lambda d,c,pen=pen: prod(d,c) - pen*L)
