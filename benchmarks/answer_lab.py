"""The answers' lab: whether an answer carries a question's evidence, in its first sentence or at all, per question,
for single questions (in process) and for conversations (through a running service's chat endpoint, turn by turn,
the assistant's replies sent back as a client sends them), and which questions two runs answer differently.

    # the seen singles, in process, on an index of the seeds (the test suite's, or `rag index build`)
    .venv/bin/python benchmarks/answer_lab.py singles --index <index> --seeds seeds --tag start \\
        eval/questions/team.jsonl eval/questions/dev.jsonl eval/questions/heldout5.jsonl ...
    # conversations, through `rag serve --port 8862` on the same index
    .venv/bin/python benchmarks/answer_lab.py chats --url http://127.0.0.1:8862 --seeds seeds --tag start \\
        eval/questions/conversations.jsonl ...
    .venv/bin/python benchmarks/answer_lab.py diff start final

A probe's articles and sets are in benchmarks/probes/<name>/ (articles/, <name>.jsonl, <name>c.jsonl): its index is
built from the seeds and its articles together (copy both into one folder; `rag index build --seeds it --index …`).
Runs are kept under benchmarks/out/answer_lab/ (git-ignored). docs/answers.md, "The stop of Dec 6, fifty-fifth
session", was measured so.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlparse

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from eval.answers import carries_evidence  # noqa: E402
from eval.questions import load_questions, read_seed_texts  # noqa: E402
from eval.relevance import evidence_occurrences, is_relevant  # noqa: E402

OUT = REPO / "benchmarks" / "out" / "answer_lab"
MARKER = re.compile(r"\[\d+\]")


def _row(q, occurrences, answer: str, spans, covered) -> dict:
    """One question's record: the evidence in the answer, in its first sentence (before its first marker), the first
    cited passage relevant, a cited passage of an article the question is not about."""
    quotes, gold = [e.quote for e in q.evidence], {e.doc for e in q.evidence}
    rel = [is_relevant(doc, start, end, occurrences) for doc, start, end in spans]
    return {"id": q.id, "lang": q.lang, "ev": carries_evidence(answer, quotes),
            "first": carries_evidence(MARKER.split(answer)[0], quotes), "hit1": bool(rel[:1] and rel[0]),
            "covered": covered, "foreign": any(doc not in gold for doc, _, _ in spans), "answer": answer[:600]}


def singles(args) -> dict:
    from rag.answers import answer_question
    from rag.runtime import open_searcher
    from rag.settings import Settings

    settings = Settings.from_env(index_dir=args.index, seeds_dir=args.seeds)
    searcher = open_searcher(settings)
    out = {}
    for path in args.sets:
        questions = [q for q in load_questions(path) if not q.earlier]
        texts = read_seed_texts(args.seeds, (e.doc for q in questions for e in q.evidence))
        rows = []
        for q in questions:
            a = answer_question(searcher, q.question, 5, settings)
            rows.append(_row(q, evidence_occurrences(q, texts), a.answer,
                             [(c.doc_id, c.start, c.end) for c in a.citations], a.covered))
        out[path.stem] = rows
    return out


def chats(args) -> dict:
    import httpx

    client = httpx.Client(base_url=args.url, timeout=60)
    out = {}
    for path in args.sets:
        questions = load_questions(path)
        texts = read_seed_texts(args.seeds, (e.doc for q in questions for e in q.evidence))
        rows = []
        for q in questions:
            messages = []
            for turn in q.turns:
                messages.append({"role": "user", "content": turn})
                body = client.post("/v1/chat/completions", json={"model": "newsrag", "messages": messages}).json()
                content = body["choices"][0]["message"]["content"]
                messages.append({"role": "assistant", "content": content})
            spans = []
            for link in body.get("citations", []):
                u = urlparse(link)
                query = parse_qs(u.query)
                spans.append((u.path.rsplit("/", 1)[-1], int(query["start"][0]), int(query["end"][0])))
            rows.append(_row(q, evidence_occurrences(q, texts), content.split("\n\nSources:")[0], spans,
                             body.get("covered")))
        out[path.stem] = rows
    return out


def report(runs: dict) -> None:
    for name, rows in runs.items():
        n = len(rows) or 1
        print(f"{name:18s} n={len(rows):4d} evidence {sum(r['ev'] for r in rows) / n:.3f} first "
              f"{sum(r['first'] for r in rows) / n:.3f} hit@1 {sum(r['hit1'] for r in rows) / n:.3f} "
              f"other-article {sum(r['foreign'] for r in rows)} not-covered {sum(not r['covered'] for r in rows)}")


def diff(args) -> None:
    a, b = (json.loads((OUT / f"{tag}.json").read_text()) for tag in (args.a, args.b))
    for name, rows in a.items():
        for x, y in zip(rows, b.get(name, [])):
            if (x["ev"], x["first"], x["covered"]) != (y["ev"], y["first"], y["covered"]):
                print(f"{name} {x['id']}: evidence {x['ev']} → {y['ev']}, first {x['first']} → {y['first']}, "
                      f"covered {x['covered']} → {y['covered']}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    for name in ("singles", "chats"):
        p = sub.add_parser(name)
        p.add_argument("sets", nargs="+", type=Path)
        p.add_argument("--seeds", type=Path, required=True)
        p.add_argument("--tag", required=True)
        if name == "singles":
            p.add_argument("--index", type=Path, required=True)
        else:
            p.add_argument("--url", required=True)
    d = sub.add_parser("diff")
    d.add_argument("a")
    d.add_argument("b")
    args = ap.parse_args()
    if args.cmd == "diff":
        diff(args)
        return
    runs = singles(args) if args.cmd == "singles" else chats(args)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"{args.tag}.json").write_text(json.dumps(runs, ensure_ascii=False))
    report(runs)


if __name__ == "__main__":
    main()
