"""Whether a top passage writes a phrase of a Japanese question word for word (`phrase_held`): a third signal of the
coverage check, beside USE's cosine and the names held.

USE reads some Japanese questions far from the passage that answers them: 「存続を求める人たちは何と言っている?」
scored 0.09 against 「沿線では存続を求める声も根強かった。…」, under the Japanese floor (0.2), and was held back (a
twenty-first probe's). A question that writes two of its content words as a top passage writes them, with what joins
them (存続を求める: a noun, its particle, a verb), asks about what that passage says. A phrase of one content word, or
of fewer than MIN_CHARS characters, is any text's (日本の, 何と言って).
"""

from __future__ import annotations

from collections.abc import Sequence

from ...corpus.lines import has_cjk
from ...retrieval import Searcher
from ...retrieval.cues import JA_FUNCTION
from ...retrieval.rerank.answer_type import is_interrogative
from ...stores.japanese import Token
from ...types import Hit
from .passages import top

MIN_CHARS = 5
_CONTENT_POS = frozenset({"名詞", "動詞", "形容詞"})
# nouns that name no thing of their own: people (人たち), a way (方), a thing (こと)
_EMPTY = frozenset({"人", "人々", "人達", "者", "方", "方々", "人物", "こと", "事", "もの", "物", "ため", "為", "よう"})


def phrase_held(searcher: Searcher, question: str, hits: Sequence[Hit]) -> bool:
    """Whether one top passage writes, as the Japanese `question` does, a run of it from one content word to another
    (not a word that asks: 誰, 何, いつ) of MIN_CHARS characters or more."""
    if not has_cjk(question) or not hits:
        return False
    tokens = searcher.analyzer.tokens(question)
    content = [i for i, t in enumerate(tokens) if _content(t)]
    texts = [h.passage.text for h in top(hits)]
    for a, i in enumerate(content):
        for j in content[a + 1:]:
            phrase = "".join(t.surface for t in tokens[i:j + 1])
            if len(phrase) >= MIN_CHARS and any(phrase in text for text in texts):
                return True
    return False


def _content(token: Token) -> bool:
    return (token.term is not None and token.pos[0] in _CONTENT_POS and token.pos[1:2] != ("非自立可能",)
            and not is_interrogative(token.term) and token.term not in JA_FUNCTION and token.term not in _EMPTY)
