"""Follow-up questions: retrieval for the last user turn that also uses the earlier ones, without an LLM.

A follow-up such as "How long was it?" names nothing the index can match; the turns before it do. When the last
turn looks like it leans on earlier ones (rag.retrieval.followup), it is searched with the conversation query
(rag.retrieval.carryover, rag.retrieval.referent) and its own search only breaks near-ties of that ranking (RRF,
weight 0.1); a stand-alone question is searched alone, exactly as without a conversation. The fused ranking then
puts first the passages that mention a name the follow-up swaps in, or hold the detail it asks for
(rag.retrieval.reorder); a follow-up about the article is kept to the article of the turn that named it
(rag.retrieval.anchor finds that turn).

This module holds `search_conversation` and its result, `ConversationSearch`, with what only it uses: whether a
follow-up with words of its own has left the document of the answer before (`_own_words`, `_written_in`), an earlier
turn searched again for a follow-up about what it found (`_search_again`), and the fusion of the two searches
(`fuse`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

from ..corpus.lines import has_cjk
from ..errors import OverloadedError, QueryError
from ..types import Hit
from .anchor import article_turn
from .carryover import RECENT_TURNS, conversation_query
from .cues import EN_OTHER, JA_OTHER, JA_PERSONAL, JA_POINTING, JA_REFERRING, NOT_TOPIC
from .engine import Filters, SearchResult, Searcher
from .ellipsis import mentions, named_terms
from .followup import (ASKING, MIN_CONTENT_WORDS, after_a_change_of_subject, asked_detail, asks_a_bare_detail,
                       asks_for_a_source_only, depends_on_context, names_something, refers_back_en, small_talk,
                       takes_up, turn_words)
from .fusion import diversify, rrf
from .referent import answer_person, naming, person_query
from .reorder import DETAIL_DEPTH, NAMED_DEPTH, detail_first, named_first, surname_of
from .sources import asks_for_source, source_kind
from .topic import topic_words

logger = logging.getLogger(__name__)

# Both searches look deeper than top_k, so that a passage ranked a little lower in one list can still meet itself
# in the other.
POOL = 20
# the earlier turns' words a follow-up longer than a normal question still gets (tokens; ~20–40 words)
CONTEXT_TOKENS = 64
# The conversation search leads. For a follow-up the last turn's own search is mostly noise (it names little), so it
# only breaks near-ties: at rank 1 its 0.1 / 61 moves a passage about six places of the conversation ranking.
WEIGHTS = {"last": 0.1, "conversation": 1.0}
RRF_K = 60


@dataclass(frozen=True, slots=True)
class ConversationSearch:
    """The ranking for the last turn, and the conversation query that shaped it (None: the turn stood alone)."""

    result: SearchResult
    context: str | None
    # a follow-up with words of its own that its own search finds in another document than the answer before's ("And
    # the Saudi Iran deal China brokered in Beijing?" after Lavrov's alliance): its answer is not held to that one.
    # One of which that document writes nothing is a question of its own (context None)
    elsewhere: bool = False
    # the person the follow-up points to by a pronoun alone, as the answer before wrote them ("What did he say?"
    # after "Who was the MVP?" answered 「…望月投手が選ばれました」: 望月); None for any other
    person: str | None = None

    @property
    def dependent(self) -> bool:
        return self.context is not None


def search_conversation(searcher: Searcher, turns: Sequence[str], top_k: int = 5, mode: str | None = None,
                        filters: Filters | None = None, *, about_source: bool | None = None,
                        answered: str | None = None, quoted: str | None = None,
                        answer: str = "", sources: Sequence[str] = ()) -> ConversationSearch:
    """Rank passages for the last of `turns` (user messages, oldest first); raises QueryError for bad input.
    `about_source`: search as a question about an article's source (by default, read from the last turn's words).
    `answered`: the document the answer before was drawn from (its first source), when the client sent it back,
    `quoted` that source's passage, and `answer` its first sentence (whose person "he" may be: `person_query`);
    `sources`: the documents of all its sources."""
    if not turns:
        turns = [""]  # the searcher's own validation says what is wrong with an empty question
    last = turns[-1]
    # small talk between the questions ("thanks!", "ok 👍") names no topic: a follow-up after it is about the question
    # before it (a probe's: "Who criticized it?" after "…Toyama tram extension?", "thanks!", "ok 👍" was searched alone)
    earlier = [t for t in turns[:-1] if t and t.strip() and not small_talk(t)]
    opened = after_a_change_of_subject(last)
    if opened is not None:
        # "By the way, what did Vance say?", ところで、…: searched without the opener (ところで is no word of the topic:
        # the answer said the passages did not cover it), and on its own when it names a topic of its own and does
        # not point back; "By the way, who is the author?" names none, and is read as any follow-up is
        last = opened
        if names_something(opened, searcher.analyzer) and not (refers_back_en(opened) or JA_REFERRING.search(opened)):
            earlier = []
    # "Who wrote it?", 著者は?, "Whose analysis is this?": a question about the source that names no topic
    source_only = about_source is None and bool(earlier) and asks_for_a_source_only(last, searcher.analyzer)
    # 筆者の結論は? names two words of its own, but no article: it is about the one the conversation is on
    anchor = article_turn(last, earlier, searcher.analyzer) if earlier and not source_only else None
    article = anchor is not None
    if not earlier or not (source_only or article or depends_on_context(last, searcher.analyzer)
                           or takes_up(last, earlier[-1]) or asks_a_bare_detail(last, searcher.analyzer)):
        return ConversationSearch(searcher.search(last, top_k, mode, filters, about_source=about_source), None)
    if source_only:
        # The source of the article the last answer was drawn from: the last turn that names a topic (small talk
        # after it, "Thanks!", is about nothing) searched again, in its own conversation, as a question about the
        # source. The earlier turns' words searched alone found another article for 「ロシアは中国を裏切るのか?」,
        # and "analysis" in the follow-up's own words another article's "この分析は…".
        searcher.intake.check(last)  # the follow-up's own errors first
        topical = [i for i, t in enumerate(earlier) if topic_words([t], searcher.analyzer, NOT_TOPIC)]
        # an earlier turn no normal search takes (pasted text over the limit, or long enough for the long questions'
        # queue): its words, as below
        previous = (_search_again(searcher, earlier[: topical[-1] + 1], top_k, mode, filters, about_source=True)
                    if topical else None)
        if previous is not None:
            before = previous.context or earlier[topical[-1]]
            return ConversationSearch(replace(previous.result, query=last), f"{before}\n{last.strip()}")
    # the earlier turns' words are cut to a budget of tokens: a short follow-up after long pasted turns was refused
    # as too long (the words' tokens over max_query_tokens) or sent to the long questions' queue. The budget is a
    # normal question's length, or the follow-up's own plus CONTEXT_TOKENS for a long one, never over the limit
    s = searcher.settings
    _, tokens = searcher.intake.check(last)  # the last turn's own errors first, before any tokenizing of it
    budget = min(s.max_query_tokens, max(s.heavy_query_tokens, tokens + CONTEXT_TOKENS))
    if anchor is not None:
        filters = _kept_to_the_article(searcher, earlier[: anchor + 1], top_k, mode, filters)
        # the words of the turn that named the article, when the turns just before are small talk ("Thanks!")
        earlier = [*earlier[: anchor + 1], *[t for t in earlier[anchor + 1:] if topic_words([t], searcher.analyzer,
                                                                                              NOT_TOPIC)]]
    elif (answered is not None and not asks_for_source(last) and not (EN_OTHER.search(last) or JA_OTHER.search(last))
          and not turn_words(last, searcher.analyzer, ASKING)):
        # a follow-up with no word of its own (「何と言った?」, "Why?", "How many?") asks about what the answer before
        # was drawn from: searched within the documents it cited (a probe's: 「何と言った?」 after 「渡辺弘さんは誰?」
        # found the conversation's 渡辺 弘 nowhere the embedders looked, and quoted another article's 「もうね、…」);
        # not one asking for another ("What about the other one?")
        base = filters or Filters()
        within = tuple(d for d in (sources or (answered,)) if base.doc_ids is None or d in base.doc_ids)
        if within:
            filters = replace(base, doc_ids=within)
    bridge = searcher.bridge
    person = answer_person([*earlier, last], searcher.analyzer, bridge, answer)  # the person the answer gave
    context = person_query([*earlier, last], searcher.analyzer, bridge, RECENT_TURNS, person)
    # the name with the follow-up within both limits, as the earlier turns' words are kept (a follow-up of the limit's
    # length was refused for the characters the name added)
    if context is None or len(context) > s.max_query_chars or searcher.intake.count(context) > budget:
        context = conversation_query([*earlier, last], searcher.analyzer, s.max_query_chars, searcher.intake.count,
                                     budget)
        # "What did he say?" names nothing of its own: the earlier turns' words, and the person the answer before
        # gave when the turn it answered asked who ("Who is the governor of Miyazaki?": 杉本和臣)
        if person and context != last.strip():
            words, _, asked = context.rpartition("\n")
            about = f"{words}\n{naming(person, asked)}" if JA_PERSONAL.search(asked) else f"{person} {context}"
            context = about if len(about) <= s.max_query_chars and searcher.intake.count(about) <= budget else context
    if context == last.strip():  # the earlier turns have nothing to carry over
        return ConversationSearch(searcher.search(last, top_k, mode, filters, about_source=about_source), None)
    t0 = time.perf_counter()
    pool = min(max(POOL, top_k), searcher.settings.max_top_k)
    if about_source is None:
        about_source = asks_for_source(last)  # the follow-up's own words decide, not the earlier turns' it carries
    alone = searcher.search(last, pool, mode, filters, about_source=about_source)
    # "And Iran?": the passages that mention Iran first (a question on a source is shown its source row first)
    named = frozenset() if about_source else named_terms(last, searcher.analyzer, bridge)
    # 「じゃあ、博物館の館長は何と言った?」 after a question on a bus company's wage deal: a topic of its own, of which the
    # answer before's document writes nothing and its own search finds another, is asked as a question of its own
    # (a probe's finding: the conversation's words kept it on the old article). One whose words that document
    # writes, however generic ("Also, what did the union leader say at the press conference?"), stays with it.
    own = _own_words(searcher, last)
    if (own and not named and not about_source and answered is not None and alone.hits
            and alone.hits[0].passage.doc_id != answered and not _written_in(searcher, last, answered)):
        return ConversationSearch(replace(alone, hits=alone.hits[:top_k]), None)
    joined = searcher.search(context, pool, mode, filters, about_source=about_source)
    # "When was that?", "Why?": the passages that hold the detail asked for, beside the earlier turns' words, first
    kind = None if named or about_source or joined.mode != "hybrid" else asked_detail(last)
    # a name swap is fused over both searches whole: when none of its first NAMED_DEPTH mentions the name, the
    # follow-up's own passages further down that do come first (named_first)
    he = person if person and has_cjk(person) and not named and not about_source else None
    depth = 2 * pool if named else DETAIL_DEPTH if kind else NAMED_DEPTH if he else 0
    hits = fuse({"last": alone.hits, "conversation": joined.hits}, max(top_k, depth))
    if named:
        @lru_cache(maxsize=None)  # each passage read once, here and in named_first
        def mentioned(text: str) -> bool:
            return mentions(text, named, searcher.analyzer)

        if not any(mentioned(h.passage.text) for h in hits[:NAMED_DEPTH]):
            # the name meets nothing the conversation found ("What did Vance say?" after a question on Lavrov): it
            # is answered as a question of its own, from its passages further down (the answer's sentences are
            # scored against it alone, not against the earlier words, which chose Lavrov's)
            context = None
        hits = named_first(hits, mentioned, NAMED_DEPTH)[:top_k]
    elif kind:
        hits = detail_first(searcher, hits, joined.query, kind, answered, quoted=quoted)
    if he:
        # "he" is the person the answer before named (「…村井俊介氏は…」 after "What did Shunsuke Murai ask?"): the
        # passages that write the name first, among the first NAMED_DEPTH; the question's own words ("say", "next")
        # found others' words first (a probe's: Lavrov's speech, Trump's 言ったのか)
        written = frozenset({tuple(searcher.analyzer.terms(surname_of(he, searcher.analyzer)))}) - {()}
        if written:
            hits = named_first(hits, lambda text: mentions(text, written, searcher.analyzer), NAMED_DEPTH)
    hits = tuple(hits[:top_k])
    if about_source:
        # each search put its own article's line first: the line of the article the answer is drawn from goes first
        hits = searcher.source_lines_first(hits, source_kind(last))
    took = (time.perf_counter() - t0) * 1000
    logger.info("follow-up: fused its own search with %d earlier turn(s) in %.1f ms", len(earlier), took)
    timings = {**{f"last.{k}": v for k, v in alone.timings.items()},
               **{f"conversation.{k}": v for k, v in joined.timings.items()}}
    # either search may have been shed on its own (RAG_SHED_SPARSE_ABOVE): the fused result went without both
    result = replace(alone, hits=hits, took_ms=took, timings=timings,
                     shed=tuple(dict.fromkeys(alone.shed + joined.shed)))
    # a follow-up with more words of its own than a stand-alone question needs, which its own search finds in another
    # document ("And the Saudi Iran deal China brokered in Beijing?", "and the sumo tournament, how many days were
    # sold out?" after a bank merger, whose article writes near terms of its words): its answer is not held to the
    # answer before's document (holding all but name swaps to it lost p57c the sumo tournament's evidence)
    elsewhere = (len(own) > MIN_CONTENT_WORDS and answered is not None and bool(alone.hits)
                 and alone.hits[0].passage.doc_id != answered)
    return ConversationSearch(result, context, elsewhere, he)


def _own_words(searcher: Searcher, question: str) -> list[str]:
    """A follow-up's content words of its own (not those that ask for more of the answer: "tell me more details"),
    when it has as many as a stand-alone question needs and none of its words points back ("What did he say at the
    press conference?" is about the answer before's person, wherever its words lead; じゃあ only continues); [] else."""
    if refers_back_en(question) or JA_POINTING.search(question):
        return []
    # counted with the word that asks: 「立ち往生は何台?」 after a question on a tuna auction names a topic of its own
    # as two words did before the word that asks stopped counting for a question that stands alone (a reviewer's)
    words = turn_words(question, searcher.analyzer, ASKING, asking=True)
    return words if len(words) >= MIN_CONTENT_WORDS else []


def _written_in(searcher: Searcher, question: str, doc_id: str) -> bool:
    """Whether document `doc_id` writes any of the question's content words of its own, as the search reads each:
    its term, or a term of its groups (the bridge's and the term alignment's: "missing" is 行方 there, a near term
    counts, so that a follow-up leaves the conversation's article only when that article writes nothing of it)."""
    written = _document_terms(searcher, doc_id)
    if written is None:
        return True
    # a Japanese word that begins a term of the document is written there too (利用 in 利用者, which Sudachi reads as
    # one word: 「何人が利用している?」 after a question on a railway line left its article, which writes 1日平均利用者;
    # not 議会 in 協議会, a reviewer's)
    return any(word in written or any(not written.isdisjoint(g) for g in searcher.term_groups(word))
               or (len(word) >= 2 and not word.isascii() and any(t.startswith(word) for t in written))
               for word in turn_words(question, searcher.analyzer, ASKING))


def _document_terms(searcher: Searcher, doc_id: str) -> frozenset[str] | None:
    """The terms of a document's passages, as their sentences were stored at the build (read as the analyzer reads
    them when the index has no sentence store); None for a document the index does not hold."""
    passages = searcher.index.passages
    rows = passages.rows_of_document(doc_id)
    if rows is None:
        return None
    store = getattr(searcher.index, "sentences", None)
    if store is not None:
        return store.terms_within(rows)
    return frozenset(t for r in rows.tolist() for t in searcher.analyzer.terms(passages[r].text))


def _kept_to_the_article(searcher: Searcher, turns: Sequence[str], top_k: int, mode: str | None,
                         filters: Filters | None) -> Filters | None:
    """`filters` kept to the document of the first passage found for the last of `turns` (the turn that named the
    article), searched again with the turns before it as its follow-up search read them (the last RECENT_TURNS);
    `filters` as they are when nothing is found, when they leave that document out, or when `_search_again` finds
    no search to make."""
    previous = _search_again(searcher, list(turns[-RECENT_TURNS:]), top_k, mode, filters)
    if previous is None or not previous.result.hits:
        return filters
    doc = previous.result.hits[0].citation.doc_id
    base = filters or Filters()
    if base.doc_ids is not None and doc not in base.doc_ids:
        return filters
    return replace(base, doc_ids=(doc,))


def _search_again(searcher: Searcher, turns: Sequence[str], top_k: int, mode: str | None, filters: Filters | None,
                  about_source: bool | None = None) -> ConversationSearch | None:
    """An earlier turn searched again in its own conversation (the last of `turns`), for a follow-up that is about
    what it found; None when that turn is not one a normal search takes: refused, or long enough for the long
    questions' one-at-a-time queue (a follow-up must not wait there: with another long question in it, a reviewer
    saw the follow-up fail with a 503), or that queue is full."""
    try:
        _, tokens = searcher.intake.check(turns[-1])
        if tokens > searcher.settings.heavy_query_tokens:
            return None
        return search_conversation(searcher, turns, top_k, mode, filters, about_source=about_source)
    except (QueryError, OverloadedError):
        return None


def fuse(rankings: dict[str, Sequence[Hit]], top_k: int) -> tuple[Hit, ...]:
    """RRF over several hit lists by passage, overlapping passages removed, re-ranked from 1."""
    by_id: dict[str, Hit] = {}
    ids: dict[str, int] = {}
    rows: dict[str, list[int]] = {}
    for name, hits in rankings.items():
        rows[name] = []
        for h in hits:
            pid = h.passage.passage_id
            by_id.setdefault(pid, h)
            rows[name].append(ids.setdefault(pid, len(ids)))
    fused = rrf(rows, WEIGHTS, RRF_K)
    order = sorted(fused, key=lambda r: (-fused[r], r))
    pids = list(ids)
    passages = [by_id[pid].passage for pid in pids]
    kept = diversify(order, passages, top_k)
    return tuple(replace(by_id[pids[r]], rank=i + 1, score=fused[r]) for i, r in enumerate(kept))
