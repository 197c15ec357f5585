"""exp10: language-mean shift. Move English question vectors by alpha * (mean Japanese question - mean English
question), estimated on one set and scored on the other (so the shift never sees the questions it is scored on)."""
from _paths import OUT, ROOT  # noqa: F401
import lab
from lab import *
lab.use_sparse()
def shift(setname, spec):
    ja = np.mean([d[f"q_{spec}"] for d in D[setname] if d["lang"] == "ja"], 0)
    en = np.mean([d[f"q_{spec}"] for d in D[setname] if d["lang"] == "en"], 0)
    return ja - en
SH = {s: {sp: shift(s, sp) for sp in SPECS} for s in ("team", "dev")}
ALPHA = {"e5": 0.0, "use": 0.0}
SRC = {"team": "dev", "dev": "team"}
cur = {"set": "team"}
_c = lab.comps
def comps2(d):
    d2 = dict(d)
    if d["lang"] == "en":
        for sp in SPECS:
            q = d[f"q_{sp}"] + ALPHA[sp] * SH[d["src"]][sp]
            d2[f"q_{sp}"] = q / np.linalg.norm(q)
    return _c(d2)
lab.comps = comps2
for s in ("team", "dev"):
    for d in D[s]: d["src"] = SRC[s]
W = {"e5": 1, "use": 1, "bm25": 1, "sp": 0.5}
f = lambda d, c: fuse(c, W)
for a5 in (0.0, 0.5, 1.0):
    for au in (0.0, 0.5, 1.0):
        ALPHA.update(e5=a5, use=au)
        report(f"shift e5={a5} use={au}", f)
