"""Lab: e5's contextual word vectors as a reranking signal (late interaction, ColBERT's MaxSim). Not shipped.

    .venv/bin/python benchmarks/rerank_maxsim.py --index <index> --seeds <seeds> \
        --questions eval/questions/team.jsonl --questions eval/questions/dev.jsonl [--passage-prefix]

Each question word (English: words outside a stop list; Japanese: Sudachi content words) and each passage word
(Sudachi content words) is read in its own text by e5's fused engine: the word's token states from the text's
forward pass, mean-pooled (`e5_engine.embed_with_spans`, the sentence store's tool). A candidate's feature is the
mean over the question's words of the best cosine with any of its words. The hybrid's returned top 10 are reordered
by score + λ × (score₁ − score₁₀) × feature scaled to [0, 1] among the ten, for several λ; λ 0 is the shipped
ranking. Every passage is encoded once per run (~20 s for the seeds). `--passage-prefix` reads the question with
e5's "passage: " prefix, as the passages are, instead of "query: ".
"""

from __future__ import annotations

import argparse
import collections
import re
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from eval.questions import load_questions, read_seed_texts  # noqa: E402
from eval.relevance import evidence_occurrences, is_relevant  # noqa: E402
from rag.embedders import e5_engine  # noqa: E402
from rag.runtime import load_embedders, open_searcher  # noqa: E402
from rag.settings import Settings  # noqa: E402

KEEP = {"名詞", "動詞", "形容詞", "形状詞"}
STOP = set("what who whom whose when where why how which did does do is are was were be been the a an of to in on at "
           "for by with about from and or as that this these those it its he she they his her their them say said says "
           "tell told according report reported".split())
LAMBDAS = (0.0, 0.1, 0.25, 0.5, 1.0, 2.0)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--index", type=Path, required=True)
    p.add_argument("--seeds", type=Path, required=True)
    p.add_argument("--questions", type=Path, action="append", required=True)
    p.add_argument("--passage-prefix", action="store_true")
    args = p.parse_args()
    from sudachipy import Dictionary, SplitMode

    tokenizer = Dictionary(dict="core").tokenizer(SplitMode.B)

    def japanese(text: str) -> list[tuple[int, int]]:
        return [(m.begin(), m.end()) for m in tokenizer.tokenize(text) if m.part_of_speech()[0] in KEEP
                and m.surface().strip()]

    def question_words(q: str, lang: str) -> list[tuple[int, int]]:
        if lang == "en":
            return [(m.start(), m.end()) for m in re.finditer(r"[A-Za-z][A-Za-z'\-]*|\d[\d,.]*", q)
                    if m.group().lower() not in STOP]
        return japanese(q)

    settings = Settings.from_env({}, seeds_dir=args.seeds, index_dir=args.index)
    embedders = load_embedders(settings)
    searcher = open_searcher(settings, embedders=embedders)
    e5 = getattr(embedders["e5"], "inner", embedders["e5"])  # the batcher's embedder
    passages = list(searcher.index.passages)
    spans = [japanese(p.text) or [(0, len(p.text))] for p in passages]
    words = dict(zip((p.passage_id for p in passages), e5.encode_passages_in_context([p.text for p in passages],
                                                                                     spans).spans))
    questions = [q for path in args.questions for q in load_questions(path)]
    texts = read_seed_texts(args.seeds, {e.doc for q in questions for e in q.evidence})
    rows = []
    for q in questions:
        hits = searcher.search(q.question, top_k=10).hits
        qs = question_words(q.question, q.lang) or [(0, len(q.question))]
        [read] = e5.engines.run([lambda m: e5_engine.embed_with_spans(m, [q.question], not args.passage_prefix, 0,
                                                                       [qs])])
        feature = [float((read.spans[0] @ words[h.passage.passage_id].T).max(axis=1).mean()) for h in hits]
        evidence = evidence_occurrences(q, texts)
        relevant = [is_relevant(h.passage.doc_id, h.passage.start, h.passage.end, evidence) for h in hits]
        rows.append((q.lang, np.array([h.score for h in hits]), np.array(feature), relevant))
    print("| λ | hit@1 | MRR@10 | en hit@1 | ja hit@1 |\n|---:|---:|---:|---:|---:|")
    for lam in LAMBDAS:
        ranks = collections.defaultdict(list)
        for lang, score, feature, relevant in rows:
            scaled = (feature - feature.min()) / (feature.max() - feature.min() + 1e-9)
            order = np.argsort(-(score + lam * (score[0] - score[-1]) * scaled), kind="stable")
            rank = next((i + 1 for i, j in enumerate(order) if relevant[j]), 0)
            ranks["all"].append(rank)
            ranks[lang].append(rank)
        h1 = {k: np.mean([r == 1 for r in v]) for k, v in ranks.items()}
        mrr = np.mean([1 / r if r else 0 for r in ranks["all"]])
        print(f"| {lam} | {h1['all']:.3f} | {mrr:.3f} | {h1.get('en', 0):.3f} | {h1.get('ja', 0):.3f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
