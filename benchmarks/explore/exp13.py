"""exp13: multi-granular Sudachi terms. Besides each mode-B morpheme, also index its mode-A parts
(米国債 → 米国債 + 米国 + 債), so the bridge's dictionary words reach inside compounds. Rebuilds BM25 and the bridge
in memory, then fuses as the shipped hybrid does."""
from _paths import OUT, ROOT  # noqa: F401
import lab
from lab import *
from sudachipy import SplitMode
from rag.stores.japanese import JapaneseAnalyzer, fold, fold_term, _slices, _KEEP_POS, _STOP, _LATIN_WORD
from rag.stores.bm25 import BM25Store
from rag.stores.bridge import Bridge, build_bridge
from rag.indexing.load import load_index
import rag.stores.japanese as J

class Multi(JapaneseAnalyzer):
    def __init__(self, parts=True, keep_compound=True):
        super().__init__(); self.parts = parts; self.keep = keep_compound
    def _term(self, m):
        s = m.surface()
        return fold_term(s if _LATIN_WORD.match(s) else fold(m.normalized_form()))
    def terms(self, text):
        out = []
        for piece in _slices(fold(text), 12000):
            for m in self._tokenizer().tokenize(piece):
                if m.part_of_speech()[0] not in _KEEP_POS: continue
                t = self._term(m)
                subs = [a for a in m.split(SplitMode.A)] if self.parts else []
                subs = [self._term(a) for a in subs if a.part_of_speech()[0] in _KEEP_POS] if len(subs) > 1 else []
                if self.keep or not subs:
                    if t and t not in _STOP and not t.isspace(): out.append(t)
                for s in subs:
                    if s and s not in _STOP and not s.isspace() and s != t: out.append(s)
        return out

lab.use_sparse()
texts = [t for _, _, _, _, t in D["passages"]]
variants = {}
from rag.retrieval.engine import detect_language
for name, an in (("B (shipped)", JapaneseAnalyzer()), ("B + A parts", Multi())):
    bm = BM25Store.build([an.terms(t) for t in texts])
    br = Bridge(build_bridge(bm.vocabulary, cache_dir=ROOT / "index" / ".cache"))
    out = {}
    for s in ("team", "dev"):
        rows = []
        for d in D[s]:
            q = d["q"]
            if detect_language(q) == "en":
                rows.append(bm.group_scores(br.expand(q) + [[t] for t in an.terms(q)]))
            else:
                rows.append(bm.scores(an.terms(q)))
        out[s] = rows
    variants[name] = out
    print(name, "vocab", len(bm.vocabulary), "bridge keys", len(br))
for name, out in variants.items():
    for s in ("team", "dev"):
        for d, b in zip(D[s], out[s]): d["bm25"] = b
    for wsp in (0.5,):
        report(f"{name} sparse {wsp}", lambda d, c: fuse(c, {"e5": 1, "use": 1, "bm25": 1, "sp": wsp}))
    report(f"{name} bm25 only", lambda d, c: fuse(c, {"bm25": 1}))
