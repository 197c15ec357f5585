"""For exp16: both embedders' vectors of every BM25 vocabulary term and of every English word in the questions
(embedding-based word alignment: English question word → nearest Japanese corpus terms)."""
from _paths import OUT, ROOT  # noqa: F401
import pickle, sys, time
from rag.indexing.load import load_index
from rag.runtime import load_embedders
from rag.settings import Settings
from rag.stores.bridge import english_words
from rag.stores.japanese import _STOP

D = pickle.load(open(str(OUT / "data.pkl"), "rb"))
idx = load_index(ROOT / "index", ("e5", "use"))
vocab = sorted(t for t in idx.bm25.vocabulary if t != "\u2205")
words = sorted({w for s in ("team", "dev") for d in D[s] for w in english_words(d["q"]) if w not in _STOP and len(w) > 1})
print("vocab", len(vocab), "words", len(words), file=sys.stderr)
out = {"vocab": vocab, "words": words}
for spec, e in load_embedders(Settings()).items():
    t = time.time()
    out[f"V_{spec}"] = e.encode_passages(vocab) if spec == "use" else e.encode_queries(vocab)
    out[f"W_{spec}"] = e.encode_queries(words)
    print(spec, time.time() - t, file=sys.stderr)
pickle.dump(out, open(str(OUT / "align.pkl"), "wb"))
