from _paths import OUT, ROOT  # noqa: F401
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
