"""Roles: the role a question names its subject by (`subject_role`: "the rice farmer", 「監督は」), read by both
`quotes.quote_lead` (a speaker named by a role: "What did the mayor say?") and `holders.holder_lead` (who holds one):
an English question's subject (`english_subject`), the role its words name (`english_roles`), and the words that end
a role's phrase (`RELATIVE`, `PLACING`)."""

from __future__ import annotations

import re

from ...corpus.lines import has_cjk
from ...retrieval.rerank import answer_type
from ...stores.japanese import STOP_WORDS
from .common import SAYS_EN, last_line


def subject_role(searcher, question: str) -> tuple[frozenset[str], str | None]:
    """(the role a what-said question names its speaker by, as terms; the person a Japanese one names by a name
    Sudachi reads as one). English: the head noun of the words after the first auxiliary (or 's), to another or the
    verb of saying, before any "of", "in", "who"… ("the rice farmer in Saijo": farmer, 農家), or of the two
    words before it that read as one ("foreign minister": 外相), by the bridge's dictionaries (not the term alignment's
    neighbours). Japanese: the noun phrase right before the first は or が, a person's name in it (主将の大石選手:
    大石), else its last noun (西条市の農家: 農家)."""
    last = last_line(question)  # a follow-up's own words
    if has_cjk(last):
        tokens = searcher.analyzer.tokens(last)
        at = next((i for i, t in enumerate(tokens) if t.pos[:1] == ("助詞",) and t.surface in ("は", "が")), None)
        if at is None:
            return frozenset(), None
        # the noun phrase right before it: 主将の大石選手, not 望月投手について監督 (a reviewer's: 望月's words led)
        start = at
        while start > 0 and (tokens[start - 1].pos[:1] in (("名詞",), ("接尾辞",), ("接頭辞",))
                             or tokens[start - 1].surface == "の"):
            start -= 1
        before = tokens[start:at]
        named = [t for t in before if t.pos[2:3] == ("人名",) and t.term]
        if named:
            return frozenset(), named[0].term
        nouns = [t for t in before if t.pos[:1] == ("名詞",) and t.term and not answer_type.is_interrogative(t.term)]
        return (_roles({nouns[-1].term}), None) if nouns else (frozenset(), None)
    # before "of", "in", "who"… ("the farmer who has grown rice": farmer, a reviewer's)
    return english_roles(searcher, PLACING.split(english_subject(question))[0]), None


def english_roles(searcher, subject: str) -> frozenset[str]:
    """The role an English noun phrase names ("the rice farmer": 農家; "the foreign minister": 外相), as terms: its head
    noun, or its last two words when they read as one, by the bridge's dictionaries; none for a phrase that names
    someone ("Foreign Minister Lavrov"), read by the name."""
    words = [w.removesuffix("'s").removesuffix("’s").lower() for w in subject.split()]
    head = words[-1] if words else ""
    bridge = searcher.bridge
    if not head or head in STOP_WORDS or bridge is None or any(w[:1].isupper() for w in subject.split()):
        return frozenset()
    pair = bridge.expand(" ".join(words[-2:])) if len(words) > 1 else []
    if len(pair) == 1 and pair != bridge.expand(words[-2]):  # the two read as one: "foreign minister" is 外相
        return _roles(pair[0])
    return _roles(t for g in bridge.expand(head) for t in g)


def english_subject(question: str) -> str:
    """The words of an English what-said question (its last line) after its first auxiliary (or a wh-word's 's), to
    another auxiliary or the verb of saying ("What would the mayor have said?": "the mayor"); "" for none."""
    last = last_line(question)
    says = SAYS_EN.search(last)
    aux = _AUXILIARY.search(last[: says.start()]) if says and not has_cjk(last) else None
    return _AUXILIARY.split(last[aux.end(): says.start()] + " ")[0] if aux is not None else ""


def _roles(terms) -> frozenset[str]:
    """Terms that may name a role, found in a passage's text: Japanese, of two characters or more (主 is in 主任)."""
    return frozenset(t for t in terms if not t.isascii() and len(t) >= 2)


_AUXILIARY = re.compile(r"(?:\b(?:did|does|do|has|have|had|will|would|could|can|should|might|may|is|was|are|were|"
                        r"be|been)|\b(?:what|who|how|where|when|why)['’]s)\s+", re.IGNORECASE)
RELATIVE = re.compile(r"\s+(?:who|whom|whose|that|which)\s+", re.IGNORECASE)
PLACING = re.compile(r"\s+(?:of|in|at|from|for|on|with|about|to|over|after|before|who|whom|whose|that|which)\s+",
                     re.IGNORECASE)
