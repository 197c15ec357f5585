"""Learning the second stage's weights from the corpus itself (issue #19, round 3), never from a question set.

`collect` runs the real first stage (RAG_RERANK=none) once per question and stores what a second stage sees: the
ranked rows, fused scores, each component's scores, the question's BM25 term groups and the relevant rows. It does
so for the choosing sets (team, dev: used only to CHOOSE among a few trained variants) and for pseudo-questions made
from the seeds' own sentences:

- Japanese: a sentence's content terms minus a share, with one detail (a number, a date, a place, a name) replaced by
  its question word (benchmarks/rerank_pseudo.py's cloze);
- English: the English glosses of a sentence's content words through the index's own JMdict bridge (inverted: a
  Japanese term → the English keys that reach it), minus a share, with the detail replaced by how many / when /
  where / who; so they go through the cross-lingual path (bridge, alignment, e5, USE) like an English question.

A pseudo-question's relevant rows are the passages that contain its source sentence.

Usage (RAG_INDEX_DIR / RAG_SEEDS_DIR: the test cache's index):
    .venv/bin/python benchmarks/rerank_learn.py collect --out benchmarks/out/learn.pkl --ja 500 --en 500
    .venv/bin/python benchmarks/rerank_learn.py train --data benchmarks/out/learn.pkl
    .venv/bin/python benchmarks/rerank_learn.py ablation --data benchmarks/out/learn_terms.pkl --pseudo benchmarks/out/learn.pkl
Never collect a held-out set.
"""

from __future__ import annotations

import argparse
import pickle
import random
import sys
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from eval.questions import load_questions, read_seed_texts  # noqa: E402
from eval.relevance import evidence_occurrences, is_relevant  # noqa: E402
from rag.settings import Settings  # noqa: E402

QDIR = REPO / "eval" / "questions"
_DATE_UNITS = {"年", "月", "日"}
_EN_WORD = {"number": "how many", "date": "when", "place": "where", "entity": "who"}


def detail_spots(tokens):
    """(first token, width, kind) of each detail a question could ask for in one sentence."""
    spots = []
    for i, t in enumerate(tokens):
        pos = t.pos
        if len(pos) > 1 and pos[1] == "数詞" and i + 1 < len(tokens):
            spots.append((i, 2, "date") if tokens[i + 1].surface in _DATE_UNITS else (i, 1, "number"))
        elif len(pos) > 2 and pos[1] == "固有名詞" and pos[2] == "地名":
            spots.append((i, 1, "place"))
        elif len(pos) > 2 and pos[1] == "固有名詞" and pos[2] == "人名":
            spots.append((i, 1, "entity"))
    return spots


_JA_WORD = {"number": "何", "date": "いつ", "place": "どこ", "entity": "誰"}


def ja_question(tokens, rng, drop, style="cloze"):
    """'cloze': the sentence with a share of its words dropped and the detail replaced by its question word;
    'terms': 3 to 6 of its content words (names first) and the question word, as short as a real question."""
    if style == "cloze":
        from rerank_pseudo import cloze

        return cloze(tokens, rng, drop)
    spots = detail_spots(tokens)
    if not spots:
        return None
    first, width, kind = rng.choice(spots)
    picked = _short_terms(tokens, first, width, rng)
    if picked is None:
        return None
    return "、".join(tokens[j].surface for j in picked) + "は" + _JA_WORD[kind] + "か", kind


def _short_terms(tokens, first, width, rng):
    """3 to 6 token positions of distinct content terms outside the detail, in sentence order."""
    cand, seen = [], set()
    for j, t in enumerate(tokens):
        if first <= j < first + width or t.term is None or t.term in seen or len(t.pos) < 2 or t.pos[1] == "数詞":
            continue
        seen.add(t.term)
        cand.append(j)
    if len(cand) < 3:
        return None
    k = min(len(cand), rng.randint(3, 6))
    return sorted(rng.sample(cand, k))


def en_question(tokens, rng, drop, gloss, style="cloze"):
    """English glosses of the sentence's content terms (each term once), a share dropped, the detail asked for."""
    spots = detail_spots(tokens)
    if not spots:
        return None
    first, width, kind = rng.choice(spots)
    if style == "terms":
        glossed = [t for j, t in enumerate(tokens) if not first <= j < first + width and t.term in gloss]
        terms = list(dict.fromkeys(t.term for t in glossed))
        if len(terms) < 3:
            return None
        picked = sorted(rng.sample(range(len(terms)), min(len(terms), rng.randint(3, 6))))
        words = [gloss[terms[i]][0] if rng.random() < 0.7 else rng.choice(gloss[terms[i]][:3]) for i in picked]
        return f"{_EN_WORD[kind]} {' '.join(words)}?", kind
    words, seen = [], set()
    for j, t in enumerate(tokens):
        if first <= j < first + width or t.term is None or t.term in seen:
            continue
        seen.add(t.term)
        keys = gloss.get(t.term)
        if not keys:
            continue
        if t.pos[1:2] != ("固有名詞",) and rng.random() < drop:
            continue
        words.append(keys[0] if rng.random() < 0.7 else rng.choice(keys[:3]))
    if len(words) < 3:
        return None
    return f"{_EN_WORD[kind]} {' '.join(words)}?", kind


def inverse_bridge(table):
    """Japanese term → English keys that reach it: first the keys for which it is the first term, then the keys that
    reach more terms (an English word, "china", reaches several spellings; a romanised reading, "chuugoku", one)."""
    inv = defaultdict(list)
    for key, terms in table.items():
        if len(key) < 2 or not key.isascii():
            continue
        for pos, term in enumerate(terms):
            inv[term].append((pos, -len(terms), len(key.split()), key))
    return {t: [k for *_, k in sorted(v)] for t, v in inv.items()}


def pseudo_items(searcher, n_ja, n_en, drop, seed, style="cloze"):
    from rag.retrieval.rerank.sentences import split_sentences
    from rag.stores.japanese import fold

    passages = searcher.index.passages
    folded = [fold(p.text) for p in passages]
    gloss = inverse_bridge(searcher.index.bridge.table)
    rng = random.Random(seed)
    pool, seen = [], set()
    for row, p in enumerate(passages):
        for s in split_sentences(searcher.analyzer.tokens(p.text)):
            text = "".join(t.surface for t in s.tokens)
            if 20 <= len(text) <= 200 and text not in seen:
                seen.add(text)
                pool.append((row, s, text))
    rng.shuffle(pool)
    items = []
    counts = {"ja": 0, "en": 0}
    for i, (row, s, text) in enumerate(pool):
        lang = "ja" if i % 2 == 0 else "en"
        if counts[lang] >= (n_ja if lang == "ja" else n_en):
            lang = "en" if lang == "ja" else "ja"
            if counts[lang] >= (n_ja if lang == "ja" else n_en):
                break
        made = (ja_question(s.tokens, rng, drop, style) if lang == "ja"
                else en_question(s.tokens, rng, drop, gloss, style))
        if made is None:
            continue
        question, kind = made
        rel = {r for r, f in enumerate(folded) if text in f}
        items.append((f"p{seed}{lang}{counts[lang]:04d}-{kind}", lang, question, rel))
        counts[lang] += 1
    return items


def collect(args) -> None:
    from rag.runtime import open_searcher

    settings = Settings.from_env().replace(rerank="none")
    searcher = open_searcher(settings)
    passages = searcher.index.passages
    data = {}

    def run(qid, lang, q, relevant):
        question, parts, fused, ordered = searcher._first_stage(q, lang, "hybrid", None, {})
        head = set(ordered[:40])
        return {"id": qid, "lang": lang, "q": q, "ranked": ordered, "fused": fused,
                "parts": {n: {r: s for r, s in p.items() if r in head} for n, p in parts.items()},
                "groups": searcher._term_groups(question), "rel": {r for r in ordered if relevant(r)}}

    for name in ("team", "dev"):
        qs = load_questions(QDIR / f"{name}.jsonl")
        texts = read_seed_texts(settings.seeds_dir, (e.doc for q in qs for e in q.evidence))
        rows = []
        for q in qs:
            ev = evidence_occurrences(q, texts)
            rows.append(run(q.id, "ja" if q.lang == "ja" else "en", q.question,
                            lambda r, ev=ev: is_relevant(passages[r].doc_id, passages[r].start, passages[r].end, ev)))
        data[name] = rows
        print(f"collected {name}: {len(rows)}", file=sys.stderr)
    items = [it for seed in range(args.seed, args.seed + args.rounds)
             for it in pseudo_items(searcher, args.ja, args.en, args.drop, seed, args.style)]
    for qid, lang, q, _ in items[:6] + items[-6:]:
        print(f"  {qid} {q}", file=sys.stderr)
    t0 = time.perf_counter()
    data["pseudo"] = [run(qid, lang, q, lambda r, rel=rel: r in rel) for qid, lang, q, rel in items]
    print(f"collected pseudo: {len(items)} in {time.perf_counter() - t0:.0f}s", file=sys.stderr)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_bytes(pickle.dumps(data))


def main() -> None:
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("collect")
    c.add_argument("--out", required=True)
    c.add_argument("--ja", type=int, default=500)
    c.add_argument("--en", type=int, default=500)
    c.add_argument("--drop", type=float, default=0.4)
    c.add_argument("--seed", type=int, default=0)
    c.add_argument("--rounds", type=int, default=1, help="pseudo-questions from the same sentences, other seeds")
    c.add_argument("--style", choices=("cloze", "terms"), default="cloze")
    t = sub.add_parser("train")
    t.add_argument("--data", required=True)
    t.add_argument("--verbose", action="store_true")
    t.add_argument("--pseudo", action="append", default=[], help="another collection's pseudo-questions, added")
    t.add_argument("--modes", default="article,hard,all")
    t.add_argument("--lang", default="all", help="fit on the pseudo-questions of one language only")
    t.add_argument("--c", type=float, action="append", default=None)
    a = sub.add_parser("ablation", help="the table of docs/precision.md (round 3)")
    a.add_argument("--data", required=True)
    a.add_argument("--pseudo", action="append", default=[])
    args = ap.parse_args()
    if args.cmd == "collect":
        collect(args)
    elif args.cmd == "ablation":
        from rerank_fit import ablation

        ablation(args)
    else:
        from rerank_fit import train

        args.c = args.c or [0.1, 1.0]
        train(args)


if __name__ == "__main__":
    main()
