from _paths import OUT, ROOT  # noqa: F401
from lab import *
from pathlib import Path
from rag.indexing.load import load_index
import lab
idx = load_index(ROOT / "index", ("e5", "use"))
S = lab.use_sparse()
art = np.array([hash((p.doc_id, p.article)) for p in idx.passages])
groups = {a: np.flatnonzero(art == a) for a in set(art)}
def scorer(wsp=0.0, g=0.0, top=3, wb=1.0):
    def f(d, c):
        s = fuse(c, {"e5": 1, "use": 1, "bm25": wb, "sp": wsp})
        if g:
            s0 = np.where(s < -1e8, 0, s); out = s0.copy()
            for a, rows in groups.items():
                out[rows] += g * np.sort(s0[rows])[::-1][:top].mean()
            s = np.where(s < -1e8, s, out)
        return s
    return f
report("baseline", scorer())
for wsp in (0.3, 0.5, 0.7, 1.0):
    report(f"sparse {wsp}", scorer(wsp))
for g in (0.1, 0.2, 0.3):
    report(f"doc {g}", scorer(0, g))
    report(f"doc {g} + sparse .5", scorer(0.5, g))
