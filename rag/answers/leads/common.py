"""What several leads share: the strength of a claim (`COUNTED`, `QUOTED`, `READ_QUOTED`), the verbs of saying of
an English question about what someone said (`SAYS_EN`), a follow-up's own words (`last_line`), a sentence's words
outside its quotations (`outside_quotes`), and the lead of a sentence that holds a speaker's words
(`speaker_lead`)."""

from __future__ import annotations

import re
from collections.abc import Callable

from ..scoring import Scored
from ..sentence_shape import fragment

COUNTED = 2  # `detail_lead`'s claim of a sentence giving a number in the counter asked for
QUOTED = 1  # `quote_lead`'s claim of a sentence quoting the speaker asked about
# ... and of one quoting a speaker the bridge writes only as a word (森), known by Sudachi's reading: as strong as the
# number asked for, so that it leads though it scored under the cutoff (a probe's: "What did Kenta Mori say?" was
# answered with his injury, his 「ゴーッという…」 left out: the question's 森 had counted for nothing). For any other
# speaker, claim 2 pulled an apology over the cause asked about ("What did Takashi Yamamoto say about the cause…?")
READ_QUOTED = COUNTED


# the verbs of saying of an English question about what someone said (`quotes.asks_what_was_said`,
# `roles.english_subject`: "What did the mayor say?")
SAYS_EN = re.compile(r"\b(?:say|says|said|saying|tell(?!\s+(?:me|us)\b)|tells|told|warn|warns|warned|write|writes|"
                     r"wrote|comment|commented|claim|claims|claimed|argue|argues|argued|stress|stressed|respond|"
                     r"responded|react|reacted)\b", re.IGNORECASE)


def last_line(question: str) -> str:
    """A follow-up's own words: the last line of the conversation query it was searched with."""
    return question.strip().splitlines()[-1] if question.strip() else ""


def speaker_lead(holds: Callable[[Scored], bool], within: str | None, claim: int, shares_a_word: bool = True
                 ) -> Callable[[Scored, Scored], int]:
    """`claim` for a sentence that `holds` the speaker's words: the best one, or a whole one of its article (or of the
    document `within`) that shares a word with the question (unless not `shares_a_word`: 「矢野さんは「稲穂が…」」
    shares none with "What did the rice farmer say?"); 0 for any other."""
    def leads(c: Scored, best: Scored) -> int:
        if c is best:
            return claim * holds(c)
        passage, first = c.hit.passage, best.hit.passage
        about = (passage.doc_id == within if within is not None
                 else (passage.doc_id, passage.article) == (first.doc_id, first.article))
        return claim * (about and not fragment(c.text) and (c.lexical > 0 or not shares_a_word) and holds(c))
    return leads


def outside_quotes(text: str) -> str:
    """`text` without its quotations, the innermost first; one it does not close is a quotation to its end (「…タス通信は、
    北京から「中心議題は…習主席と…」). A quotation that opens the sentence and closes at its end or nowhere is a blog's
    quoting of a report, which names the speaker outside the speaker's words (「トランプ氏は、…「私がそんなことを言った
    のか?…」と答えた。, 「米大統領は…「非常に良好な関係」を築いており、…と述べた。」): read as the report."""
    text = text.strip()
    if text.startswith("「"):
        depth, close = 0, None
        for i, ch in enumerate(text):
            depth += (ch == "「") - (ch == "」")
            if depth == 0:
                close = i
                break
        if close is None or not text[close + 1:].strip("。 "):
            text = text[1:close]
    while (bare := _INNERMOST.sub("", text)) != text:
        text = bare
    return text.split("「", 1)[0].replace("」", "")


_INNERMOST = re.compile(r"「[^「」]*」")
