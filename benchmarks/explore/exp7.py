from _paths import OUT, ROOT  # noqa: F401
from lab import *
from sklearn.linear_model import LogisticRegression
S = pickle.load(open(str(OUT / "sparse.pkl"), "rb")) if False else None
NAMES = ["e5", "use", "bm25", "e5_s", "use_s"]
def feats(d, c):
    F = []
    for n in NAMES:
        x = c[n]
        r = topnorm(x, 100, positive=(n == "bm25"))
        nrm = r[0] if isinstance(r, tuple) else r
        z = (x - x.mean()) / (x.std() + 1e-9)
        F += [nrm, z]
    F = np.stack(F, 1)
    ja = 1.0 if d["lang"] == "ja" else 0.0
    return np.hstack([F, F * ja])
def dataset(sets):
    X, y = [], []
    for s in sets:
        for d in D[s]:
            f = feats(d, comps(d)); X.append(f); t = np.zeros(N); t[d["rel"]] = 1; y.append(t)
    return np.vstack(X), np.concatenate(y)
def model_scorer(m):
    return lambda d, c: m.decision_function(feats(d, c))
report("baseline", base())
for C in (0.01, 0.1, 1.0):
    X, y = dataset(["team"])
    m = LogisticRegression(C=C, max_iter=2000, class_weight="balanced").fit(X, y)
    report(f"LR train=team C={C}", model_scorer(m))
# 2-fold on team to check generalisation within team
ids = [d["id"] for d in D["team"]]
