"""Questions and small helpers shared by the answer tests."""

from __future__ import annotations

import re

from rag.answers import Answer

EN_QUESTION = "What did Lavrov say about an alliance with China?"
JA_QUESTION = "ラヴロフ外相は中国との同盟について何と言ったか"
# What Lavrov declared, verbatim in seed 001: Russia is open to 「中国との真の同盟関係の構築」.
PHRASE = "中国との真の同盟関係の構築"


def marked_pieces(answer: Answer) -> list[tuple[str, int]]:
    """(text, n) for each stretch of answer text that ends in a [n] marker (a marker ends the text or precedes a space;
    a sentence may itself hold brackets, such as "[EAEU、BRI、CIS]")."""
    return [(text.strip(), int(n)) for text, n in re.findall(r"(.+?)\[(\d+)\](?: |$)", answer.answer)]
