"""exp15: section heading as context in the embedded text (heading_collect.py): e5, USE or both see "heading\\npassage"."""
from _paths import OUT, ROOT  # noqa: F401
from lab import *
import lab
lab.use_sparse()
H = pickle.load(open(str(OUT / "heading.pkl"), "rb"))
orig = {s: D[f"P_{s}"] for s in SPECS}

def prod(d, c):
    return fuse(c, {"e5": 1, "use": 1, "bm25": 1, "sp": 0.5})

report("baseline (production)", prod)
for which in (("e5",), ("use",), ("e5", "use")):
    for s in SPECS:
        D[f"P_{s}"] = H[f"H_{s}"] if s in which else orig[s]
    report(f"heading in {'+'.join(which)}", prod)
for s in SPECS:  # mean of both vectors: context without replacing the passage
    m = orig[s] + H[f"H_{s}"]
    D[f"P_{s}"] = m / np.linalg.norm(m, axis=1, keepdims=True)
report("mean(passage, heading+passage) both", prod)
