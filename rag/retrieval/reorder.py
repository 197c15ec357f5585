"""A follow-up's fused ranking reordered, so that the passages that answer what it asks come first.

A follow-up that asks the question before about another name ("What about the US?", "And Iran?") is shown, among
its first NAMED_DEPTH passages, those that mention that name first (`named_first`; the name's terms are
rag.retrieval.ellipsis's): the earlier turn's words it carries found the earlier answer's passages again. A follow-up
that asks for a detail of the same thing ("When was that?", それはどこで?) is shown, among its first DETAIL_DEPTH, those
whose sentences hold that kind of detail beside the earlier words first (`detail_first`), for the same reason. One
that means by "he" the person the answer before named is shown the passages that write that person's name
(`surname_of`) first.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from ..stores.japanese import JapaneseAnalyzer
from ..types import Hit
from .engine import Searcher, detect_language
from .rerank import FEATURES, answer_type

# A follow-up that asks the question before about another name ("And Iran?") is shown, among its first this many
# passages, those that mention the name first (rag.retrieval.ellipsis; docs/chat.md, "Follow-ups that swap a name")
NAMED_DEPTH = 10

# A follow-up that asks for a detail of what the conversation is on ("When was that?", "Why?", それはどこで?) is shown,
# among its first this many passages, those whose sentences hold that kind of detail beside the earlier turns' words
# first, by the rerank stage's answer evidence at this weight (detail_first; docs/chat.md, "Follow-ups that ask for a
# detail"). Chosen on the seen conversations and one new set, checked on another (+5, −0)
DETAIL_DEPTH = 10
DETAIL_WEIGHT = 0.5


def surname_of(name: str, analyzer: JapaneseAnalyzer) -> str:
    """A Japanese person's surname, as the passages after the first write the name alone (村井俊介: 村井), the name's
    first word when Sudachi reads it as a person's and it is two characters or more (東 of 東浩紀 is the east in 「東に
    約800メートル」: a reviewer's); else the name as it is (ラブロフ)."""
    tokens = analyzer.tokens(name)
    first = tokens[0].surface if tokens else name
    return first if len(tokens) > 1 and tokens[0].pos[2:3] == ("人名",) and len(first) > 1 else name


def named_first(hits: Sequence[Hit], mentioned: Callable[[str], bool], depth: int) -> tuple[Hit, ...]:
    """`hits` with those of the first `depth` whose text `mentioned` accepts before those it does not, each part in
    its order, or, when none of them does, those further down that it accepts before them all; the scores stay where
    they were (the first place keeps the first score), so they still fall."""
    head = list(hits[:depth])
    named = [mentioned(h.passage.text) for h in head]
    order = [h for h, n in zip(head, named) if n] + [h for h, n in zip(head, named) if not n] + list(hits[depth:])
    if not any(named):
        # the earlier turns' words and the name meet in no passage of the first `depth` ("What did Vance say?" after
        # a question on Lavrov): the follow-up's own passages that mention it, further down, come first
        deeper = [h for h in hits[depth:] if mentioned(h.passage.text)]
        moved = {h.passage.passage_id for h in deeper}
        order = deeper + head + [h for h in hits[depth:] if h.passage.passage_id not in moved]
    return tuple(replace(h, rank=i + 1, score=hits[i].score) for i, h in enumerate(order))


def detail_first(searcher: Searcher, hits: Sequence[Hit], context: str, kind: answer_type.Kind,
                 answered: str | None = None, depth: int = DETAIL_DEPTH, weight: float = DETAIL_WEIGHT,
                 quoted: str | None = None) -> tuple[Hit, ...]:
    """`hits` of a follow-up that asks for a detail of `kind` with its first `depth` reordered by the rerank stage's
    answer evidence for the conversation query `context`: the share of the query's terms in the best sentence that
    also holds a token of that kind new to the query (a date, a place, a reason…), `weight` times the scores' spread
    over the `depth` added to each score; the scores stay in their places (the first place keeps the first score).
    Only the passages of one document gain: the follow-up asks about what the answer before was drawn from, and a
    passage of another document put first would answer from a source that "Who wrote it?" then does not name. That
    is the `answered` document (the answer's first source) when it is among them, else the first one's. As they are
    without a reranker.

    `quoted`: the passage the answer before quoted first (its first source, when the client sent the answer back).
    "When did it take effect?" after "Do Russia and North Korea have a partnership treaty?" asks about what that
    passage says, and it comes first when it holds the detail asked for at least as well as the passage that would.
    In the chat, the conversations' follow-ups that ask for a detail then found their evidence first 12 times more
    and 5 times less (docs/chat.md, "The answer before's passage")."""
    head = list(hits[:depth])
    reranker = searcher.reranker
    if reranker is None or len(head) < 2:
        return tuple(hits)
    doc = answered if any(h.passage.doc_id == answered for h in head) else head[0].passage.doc_id
    own = [i for i, h in enumerate(head) if h.passage.doc_id == doc]
    rows = [searcher.index.passages.row_of(head[i].passage.passage_id) for i in own]
    found = reranker.features(context, detect_language(context), rows, searcher.term_groups(context), {"answer"},
                              kind)
    evidence = [0.0] * len(head)
    for i, e in zip(own, found.features[:, FEATURES.index("answer")]):
        evidence[i] = float(e)
    unit = (head[0].score - head[-1].score) or 1.0
    order = sorted(range(len(head)), key=lambda i: (-(head[i].score + weight * unit * evidence[i]), i))
    at = next((k for k, i in enumerate(order) if head[i].passage.passage_id == quoted), None) if quoted else None
    if at:  # the answer before's passage, found but not first
        i, top = order[at], order[0]
        against = evidence[top] if top in own else float(reranker.features(
            context, detect_language(context), [searcher.index.passages.row_of(head[top].passage.passage_id)],
            searcher.term_groups(context), {"answer"}, kind).features[0, FEATURES.index("answer")])
        if evidence[i] > 0 and evidence[i] >= against:
            order = [i, *order[:at], *order[at + 1:]]
    out = [head[i] for i in order] + list(hits[depth:])
    return tuple(replace(h, rank=i + 1, score=hits[i].score) for i, h in enumerate(out))
