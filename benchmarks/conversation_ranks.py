"""Where follow-up retrieval wins and loses: per conversation, the rank of the first relevant passage for the last turn
searched alone, through the conversation as rag.retrieval.conversation does it now ("now"), and by two methods
tried before, kept here for comparison: the earlier turns joined whole and fused with the last turn's search at
equal weights ("sentences", the first method), and only the earlier turns' names, fused at equal weights
("names"); then recall@5 and MRR@10 per language for each.

Usage (RAG_INDEX_DIR / RAG_SEEDS_DIR as for `rag eval`; default mode hybrid):
    .venv/bin/python benchmarks/conversation_ranks.py eval/questions/conversations.jsonl [more.jsonl ...] [--mode e5]
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from eval.questions import load_questions, read_seed_texts  # noqa: E402
from eval.relevance import evidence_occurrences, is_relevant  # noqa: E402
from rag.retrieval import Searcher  # noqa: E402
from rag.retrieval import conversation as conv  # noqa: E402
from rag.retrieval.topic import content_words  # noqa: E402
from rag.runtime import open_searcher  # noqa: E402
from rag.settings import Settings  # noqa: E402

DEPTH = 20


def whole_sentences(turns: Sequence[str], analyzer, max_chars: int, *_budget) -> str:
    """The first method's conversation query: the recent user turns joined whole, oldest first."""
    recent = [t.strip() for t in turns[-conv.RECENT_TURNS:] if t and t.strip()]
    while len(recent) > 1 and len("\n".join(recent)) > max_chars:
        recent.pop(0)
    return "\n".join(recent)[-max_chars:]


def names_only(turns: Sequence[str], analyzer, max_chars: int, *_budget) -> str:
    """The second method's query: capitalised English words, Japanese proper nouns and katakana words of the earlier
    turns, then the last turn."""
    words: list[str] = []
    for t in turns[-conv.RECENT_TURNS:-1]:
        ws = [w for w in content_words(t, analyzer, conv.NOT_TOPIC) if w[0].isupper()]
        ws += [k.surface for k in analyzer.tokens(t) if k.term and not k.term.isascii()
               and (k.pos[:2] == ("名詞", "固有名詞") or re.fullmatch(r"[\u30a0-\u30ff]{2,}", k.surface))]
        words += ws
    words = list(dict.fromkeys(words))
    return f"{' '.join(words)}\n{turns[-1].strip()}" if words else turns[-1].strip()


EQUAL = {"last": 1.0, "conversation": 1.0}


def through(searcher: Searcher, turns: Sequence[str], mode: str, query: Callable, weights: dict) -> list:
    """search_conversation with its conversation query and fusion weights swapped."""
    saved = conv.conversation_query, conv.WEIGHTS
    conv.conversation_query, conv.WEIGHTS = query, weights
    try:
        return list(conv.search_conversation(searcher, turns, DEPTH, mode).result.hits)
    finally:
        conv.conversation_query, conv.WEIGHTS = saved


def first_relevant(hits, occurrences) -> int | None:
    return next((h.rank for h in hits if is_relevant(h.citation.doc_id, h.citation.start, h.citation.end,
                                                     occurrences)), None)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("files", nargs="+", type=Path)
    ap.add_argument("--mode", default="hybrid")
    args = ap.parse_args()
    settings = Settings.from_env(dict(os.environ))
    searcher = open_searcher(settings)
    methods = {"alone": None, "sentences": (whole_sentences, EQUAL), "names": (names_only, EQUAL),
               "now": (conv.conversation_query, conv.WEIGHTS)}
    for path in args.files:
        questions = load_questions(path)
        texts = read_seed_texts(settings.seeds_dir, (e.doc for q in questions for e in q.evidence))
        ranks: dict[str, dict[str, int | None]] = {m: {} for m in methods}
        print(f"\n{path} ({args.mode}): rank of the first relevant passage (- = not in the top {DEPTH})")
        print(f"{'id':8} {'lang':4} {'dep':3} " + " ".join(f"{m:>9}" for m in methods) + "  conversation query")
        for q in questions:
            occ = evidence_occurrences(q, texts)
            turns = list(q.turns or (q.question,))
            for name, query in methods.items():
                hits = (searcher.search(turns[-1], DEPTH, args.mode).hits if query is None
                        else through(searcher, turns, args.mode, *query))
                ranks[name][q.id] = first_relevant(hits, occ)
            dep = len(turns) > 1 and conv.depends_on_context(turns[-1], searcher.analyzer)
            # the conversation query as searched (cut to its token budget)
            shown = (conv.search_conversation(searcher, turns, DEPTH, args.mode).context or "") if dep else ""
            print(f"{q.id:8} {q.lang:4} {'yes' if dep else 'no':3} "
                  + " ".join(f"{ranks[m][q.id] or '-':>9}" for m in methods) + "  " + shown.replace("\n", " / "))
        for lang in ("all", "en", "ja"):
            ids = [q.id for q in questions if lang in ("all", q.lang)]
            if not ids:
                continue
            cells = []
            for m in methods:
                r5 = sum(1 for i in ids if (ranks[m][i] or 99) <= 5) / len(ids)
                mrr = sum(1 / ranks[m][i] for i in ids if (ranks[m][i] or 99) <= 10) / len(ids)
                cells.append(f"{m} R@5 {r5:.3f} MRR@10 {mrr:.3f}")
            print(f"  {lang:3} ({len(ids):2}): " + " | ".join(cells))


if __name__ == "__main__":
    main()
