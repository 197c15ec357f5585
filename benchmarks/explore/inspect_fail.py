from _paths import OUT, ROOT  # noqa: F401
import lab
from lab import *
S = lab.use_sparse()
W = {"e5": 1, "use": 1, "bm25": 1, "sp": 0.5}
def crank(x, rel):
    o = np.argsort(-x, kind="stable"); pos = {r: i + 1 for i, r in enumerate(o)}
    return min(pos[r] for r in rel)
for setname in ("team", "dev"):
    for d in D[setname]:
        c = lab.comps(d); s = fuse(c, W); ranked = rank(s); rel = set(d["rel"])
        r = next((i + 1 for i, x in enumerate(ranked) if x in rel), None)
        if r == 1: continue
        print(f"\n## {d['id']} {d['lang']} rank={r} {d['q']}")
        print("   comp ranks:", {k: crank(c[k], rel) for k in ("e5", "use", "bm25", "sp")})
        for i, x in enumerate(ranked[:3]):
            p = P[x]; mark = "*" if x in rel else " "
            print(f"   {mark}{i+1} {p.doc_id} {s[x]:.2f} {p.text[:110]!r}")
        best = min(rel, key=lambda x: -s[x])
        print(f"   REL {P[best].doc_id} {s[best]:.2f} {P[best].text[:160]!r}")
        if d["lang"] == "en": print("   groups:", d["bm25_groups"][:12])
