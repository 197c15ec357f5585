"""The article's lead, first: a question asking what happened ("Tell me about the tuna auction", 「…について教えて」,
`asks_overview`) is opened by the lead of the best one's article when it names every word asked about
(`overview_lead`; docs/answers.md, "The lead for a question asking what happened")."""

from __future__ import annotations

from collections.abc import Callable

from ...retrieval.cues import EN_FUNCTION, EN_OVERVIEW, JA_OVERVIEW
from ...retrieval.rerank import answer_type
from ...stores.english import english_words
from ...stores.japanese import STOP_WORDS
from ..scoring import Scored


def asks_overview(question: str) -> bool:
    """Whether a question asks what happened rather than for a detail of it (`cues.EN_OVERVIEW`, `JA_OVERVIEW`); not
    a follow-up, searched with the conversation's words on lines before it ("その翌日には何があったの?" asks what
    came next, which the lead does not say)."""
    return "\n" not in question.strip() and bool(EN_OVERVIEW.search(question) or JA_OVERVIEW.search(question))


def overview_lead(searcher, question: str) -> Callable[[Scored, Scored], int]:
    """A question asking what happened ("Tell me about the tuna auction") is opened by the lead of the best one's
    article, when it was picked and the article's headline or lead names every word the question asks about (the
    cue's words left out; an English word by any of the search's terms for it): the lead sums the event, where a
    sentence that matched the question's words better told a detail, or another year's (「関越道の立ち往生について教えて」
    opened with 「関越道では2020年12月にも約2,100台が立ち往生しており…」: a probe's). 「鳥インフルエンザの感染経路に
    ついて教えて」 asks for what the lead does not name (a reviewer's)."""
    analyzer = searcher.analyzer
    topic = EN_OVERVIEW.sub(" ", question)
    # each word asked about, with what the search reads it by: an English word (not the cue's, nor one that only asks:
    # "Can you tell me…", "please") by its groups (the bridge's and the term alignment's); a Japanese noun of the
    # whole question (cut at the cue, 「関越道 ?」 was read as 関 + 越道: a reviewer's) by its term and as it is written
    asked = [{t for g in searcher.term_groups(w) for t in g} | {w} for w in dict.fromkeys(english_words(topic))
             if w not in STOP_WORDS and w not in EN_FUNCTION and w not in _FILLER and len(w) > 1]
    asked += [{t.term, t.surface} for t in analyzer.tokens(question) if t.term and t.pos[0] == "名詞"
              and not t.surface.isascii() and not answer_type.is_interrogative(t.term)]

    def names(word: set[str], terms: set[str], text: str) -> bool:
        # a term, or a Japanese word inside one or inside the text (競り in 初競り; マグロ, read 鮪, in クロマグロ)
        return any(t in terms or (not t.isascii() and (t in text or any(t in w for w in terms if len(t) >= 2)))
                   for t in word)

    def leads(c: Scored, best: Scored) -> int:
        passage, first = c.hit.passage, best.hit.passage
        if not c.lead or (passage.doc_id, passage.article) != (first.doc_id, first.article) or not asked:
            return 0
        text = f"{passage.title or ''}\n{c.text}"
        terms = set(analyzer.terms(text))
        return int(all(names(word, terms, text) for word in asked))
    return leads


_FILLER = frozenset({"please", "latest", "news", "know", "want", "like", "happened", "happening", "going"})
