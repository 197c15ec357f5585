"""Collect per-question component scores over all passages, plus sentence vectors, for offline fusion experiments."""
from _paths import OUT, ROOT  # noqa: F401
import sys, json, numpy as np, pickle
from pathlib import Path
from rag.settings import Settings
from rag.runtime import open_searcher
from rag.chunking import sentences
from rag.types import Span
from eval.questions import load_questions, read_seed_texts
from eval.relevance import evidence_occurrences, is_relevant

s = Settings.from_env() if hasattr(Settings, "from_env") else Settings()
se = open_searcher(s)
idx = se.index
P = idx.passages
out = {"passages": [(p.passage_id, p.doc_id, p.start, p.end, p.text) for p in P]}
# sentence split
sent_rows, sent_texts = [], []
for r, p in enumerate(P):
    for sp in sentences(p.text, Span(0, len(p.text))):
        t = p.text[sp.start:sp.end].strip()
        if t:
            sent_rows.append(r); sent_texts.append(t)
out["sent_rows"] = np.array(sent_rows); out["sent_texts"] = sent_texts
print("sentences", len(sent_texts), file=sys.stderr)
for spec, emb in se.embedders.items():
    out[f"P_{spec}"] = idx.dense[spec].vectors
    out[f"S_{spec}"] = emb.encode_passages(sent_texts)
sets = {"team": str(ROOT / "eval/questions/team.jsonl"), "dev": str(ROOT.parent / "shared/eval/dev-questions.jsonl")}
seeds = ROOT / "seeds"
for name, path in sets.items():
    qs = load_questions(Path(path))
    texts = read_seed_texts(seeds, (e.doc for q in qs for e in q.evidence))
    rows = []
    for q in qs:
        ev = evidence_occurrences(q, texts)
        rel = [r for r, p in enumerate(P) if is_relevant(p.doc_id, p.start, p.end, ev)]
        d = {"id": q.id, "lang": q.lang, "q": q.question, "rel": rel}
        for spec, emb in se.embedders.items():
            d[f"q_{spec}"] = emb.encode_queries([q.question])[0]
        lang = q.lang
        from rag.retrieval.engine import detect_language
        lang = detect_language(q.question)
        if lang == "en" and len(idx.bridge):
            groups = idx.bridge.expand(q.question) + [[t] for t in se.analyzer.terms(q.question)]
            d["bm25"] = idx.bm25.group_scores(groups)
            d["bm25_groups"] = groups
        else:
            d["bm25"] = idx.bm25.scores(se.analyzer.terms(q.question))
            d["bm25_groups"] = [[t] for t in se.analyzer.terms(q.question)]
        rows.append(d)
    out[name] = rows
pickle.dump(out, open(str(OUT / "data.pkl"), "wb"))
print("ok", file=sys.stderr)
