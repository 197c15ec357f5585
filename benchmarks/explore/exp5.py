import os as _os
import sys as _sys
from pathlib import Path as _Path
ROOT = _Path(__file__).resolve().parents[2]
OUT = _Path(_os.environ.get("EXPLORE_OUT", ROOT / "benchmarks" / "out" / "explore"))
OUT.mkdir(parents=True, exist_ok=True)
_sys.path.insert(0, str(ROOT))
_sys.path.insert(0, str(_Path(__file__).resolve().parent))
from lab import *
W = {"e5": 1, "use": 1, "bm25": 1}
def prf(m=3, beta=0.5, specs=("e5", "use"), mode="rocchio"):
    def f(d, c):
        s0 = fuse(c, W)
        top = rank(s0, m)
        c2 = dict(c)
        for sp in specs:
            V = D[f"P_{sp}"]
            q = d[f"q_{sp}"] + beta * V[top].mean(0)
            q = q / np.linalg.norm(q)
            c2[sp] = V @ q
        return fuse(c2, W)
    return f
report("baseline", base())
for m in (1, 2, 3, 5):
    for beta in (0.3, 0.6, 1.0):
        report(f"rocchio m={m} b={beta}", prf(m, beta))
report("rocchio e5 only m3 .5", prf(3, 0.5, ("e5",)))
report("rocchio use only m3 .5", prf(3, 0.5, ("use",)))
