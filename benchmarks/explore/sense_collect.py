from _paths import OUT, ROOT  # noqa: F401
import sys, glob, pickle, numpy as np
from pathlib import Path
from rag.settings import Settings
from rag.runtime import load_embedders
from rag.stores.bridge import Bridge, english_words, _lemmas
from rag.stores.japanese import _STOP
b = Bridge.load(Path(sorted(glob.glob(str(ROOT / "index/builds/*/bridge.json")))[-1]))
terms = sorted({t for v in b.table.values() for t in v})
print("targets", len(terms), "keys", len(b.table))
D = pickle.load(open(str(OUT / "data.pkl"), "rb"))
words = sorted({w for s in ("team", "dev") for d in D[s] for w in english_words(d["q"])} | set(b.table) & {w for s in ("team","dev") for d in D[s] for x in english_words(d["q"]) for w in _lemmas(x)})
embs = load_embedders(Settings.from_env())
out = {"terms": terms, "words": words}
import time
for spec, e in embs.items():
    t = time.time()
    out[f"T_{spec}_p"] = e.encode_passages(terms)
    out[f"T_{spec}_q"] = e.encode_queries(terms)
    out[f"W_{spec}_q"] = e.encode_queries(words)
    print(spec, time.time() - t)
pickle.dump(out, open(str(OUT / "sense.pkl"), "wb"))
