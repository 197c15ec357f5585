"""Section headings for exp15: each passage's nearest heading line above it (inside its article's kept text), and
both embedders' vectors of "heading\\npassage"."""
from _paths import OUT, ROOT  # noqa: F401
import pickle, re, sys, time
import numpy as np
from rag.corpus import load_corpus
from rag.runtime import open_searcher
from rag.settings import Settings

_END = tuple("。！？!?」』）)")
_BULLET = tuple("・•⇨-*✅")


def is_heading(line: str) -> bool:
    s = line.strip()
    return 2 <= len(s) <= 40 and not s.endswith(_END) and not s.startswith(_BULLET) and "。" not in s


def headings(raw, article):
    out = []  # (offset, text)
    for span in article.kept:
        pos = span.start
        for line in raw[span.start:span.end].split("\n"):
            if is_heading(line):
                out.append((pos + len(line) - len(line.lstrip()), line.strip()))
            pos += len(line) + 1
    return out


if __name__ == "__main__":
    se = open_searcher(Settings())
    corpus = load_corpus(ROOT / "seeds")
    docs = {d.doc_id: d for d in corpus.documents}
    heads = []
    for p in se.index.passages:
        doc = docs[p.doc_id]
        art = doc.articles[p.article]
        hs = [h for h in headings(doc.raw, art) if h[0] <= p.start]
        h = hs[-1][1] if hs else ""
        if p.text.lstrip().startswith(h):
            h = ""  # the passage already starts with its heading
        heads.append(h)
    print(sum(1 for h in heads if h), "of", len(heads), "passages get a heading", file=sys.stderr)
    for h in sorted(set(heads)):
        print("  ", repr(h), file=sys.stderr)
    out = {"heads": heads}
    texts = [f"{h}\n{p.text}" if h else p.text for h, p in zip(heads, se.index.passages)]
    for spec, emb in se.embedders.items():
        t = time.time()
        out[f"H_{spec}"] = emb.encode_passages(texts)
        print(spec, time.time() - t, file=sys.stderr)
    pickle.dump(out, open(str(OUT / "heading.pkl"), "wb"))
