from _paths import OUT, ROOT  # noqa: F401
from lab import *
from pathlib import Path
from rag.indexing.load import load_index
idx = load_index(ROOT / "index", ("e5", "use"))
art = np.array([hash((p.doc_id, p.article)) for p in idx.passages])
groups = {a: np.flatnonzero(art == a) for a in set(art)}
# neighbours: previous/next passage in the same article by start offset
order = sorted(range(N), key=lambda r: (idx.passages[r].doc_id, idx.passages[r].article, idx.passages[r].start))
prev = np.full(N, -1); nxt = np.full(N, -1)
for a, b in zip(order, order[1:]):
    if art[a] == art[b]: prev[b] = a; nxt[a] = b
W = {"e5": 1, "use": 1, "bm25": 1}
def docprior(g=0.3, top=3, perspec=False):
    def f(d, c):
        s = fuse(c, W); s = np.where(s < -1e8, 0, s)
        out = s.copy()
        for a, rows in groups.items():
            v = np.sort(s[rows])[::-1][:top].mean()
            out[rows] += g * v
        return out
    return f
def neigh(a=0.2, comps_=("e5", "use", "bm25")):
    def f(d, c):
        c2 = dict(c)
        for n in comps_:
            x = c[n]; nb = np.maximum(np.where(prev >= 0, x[prev], x.min()), np.where(nxt >= 0, x[nxt], x.min()))
            c2[n] = x + a * nb
        return fuse(c2, W)
    return f
report("baseline", base())
for g in (0.1, 0.2, 0.4):
    for top in (1, 3, 5):
        report(f"docprior g={g} top={top}", docprior(g, top))
for a in (0.1, 0.2, 0.3, 0.5):
    report(f"neigh a={a}", neigh(a))
    report(f"neigh a={a} bm25 only", neigh(a, ("bm25",)))
