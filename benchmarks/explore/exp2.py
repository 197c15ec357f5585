from _paths import OUT, ROOT  # noqa: F401
from lab import *
import itertools
def znorm(x, pool=None):
    return (x - x.mean()) / (x.std() + 1e-9)
def fuse_z(c, w):
    tot = np.zeros(N)
    for name, wt in w.items():
        if wt == 0: continue
        x = c[name]
        if name == "bm25":
            x = np.log1p(x)
        tot += wt * znorm(x)
    return tot
report("baseline", base())
report("z all", lambda d, c: fuse_z(c, {"e5": 1, "use": 1, "bm25": 1}))
for wb in (0.5, 0.75):
    report(f"z bm25={wb}", lambda d, c, wb=wb: fuse_z(c, {"e5": 1, "use": 1, "bm25": wb}))
for pool in (20, 50, 240):
    report(f"minmax pool={pool}", lambda d, c, pool=pool: fuse(c, {"e5": 1, "use": 1, "bm25": 1}, pool))
for we5, wuse, wben, wbja in itertools.product((1.0,), (0.6, 1.0, 1.4), (0.6, 1.0, 1.4), (0.6, 1.0, 1.4)):
    report(f"w e5={we5} use={wuse} ben={wben} bja={wbja}", base(wben, wbja, we5, wuse))
