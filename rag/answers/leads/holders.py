"""Holders: the lead for a question asking who holds a role (`holder_lead`: "Who was the presiding judge in the
trial?", 院長は誰か), a sentence that writes a person with that role (`_holds_the_role`). The role asked for is
read by `roles` (`subject_role`, `english_roles`), which `quote_lead` shares."""

from __future__ import annotations

import re
from collections.abc import Callable

from ...corpus.lines import has_cjk
from ...stores.english import acronyms
from ..scoring import Scored
from .common import READ_QUOTED, last_line, speaker_lead
from .people import RUN
from .roles import PLACING, RELATIVE, english_roles, subject_role


def holder_lead(searcher, question: str, within: str | None = None) -> Callable[[Scored, Scored], int] | None:
    """How strongly a sentence may open the answer to a question asking who holds a role ("Who was the presiding
    judge in the trial?", "What is the name of the director…?", 院長は誰か), in the best one's place: READ_QUOTED
    (from under the cutoff too) for a whole sentence of the best one's article that writes a person with that role
    (`_holds_the_role`: 「大河内隆裁判長は…」, 「院長の佐々木恒夫氏」, 「マソウド・ペゼシュキアン大統領」; a seventeenth probe's: the
    judge and the hospital's director went unnamed in answers that quoted the ruling and the attack around them).
    The role is a noun (not the verbs the bridge gives "judge": 思う, 見る), the whole of what is asked, one noun or
    two that read as one (after a possessor: "the hospital's director"): a role narrowed by more words ("the most
    valuable player", 最優秀選手) is not held by whoever the passage writes with the role alone (鈴木選手, when 望月投手
    was the MVP). Whose role it is ("Iran's president", "the foreign minister of China") rules out a holder written
    as another place's (「ロシアのセルゲイ・ラブロフ外相」; a reviewer's). None for a question that asks for no role's
    holder: "Who is Sato?", "Who said it?", "Who leads the plaintiffs?" (a doing), 大統領は誰と会談したか."""
    last = last_line(question)
    analyzer = searcher.analyzer
    of: set[str] = set()  # the terms of whose role it is
    if has_cjk(last):
        if not _ASKS_WHO_JA.search(last):
            return None
        tokens = analyzer.tokens(last)
        at = next((i for i, t in enumerate(tokens) if t.pos[:1] == ("助詞",) and t.surface in ("は", "が")), 0)
        if at < 1 or at > 1 and tokens[at - 2].pos[:1] in (("名詞",), ("接頭辞",)):  # 最優秀 + 選手
            return None
        roles, named = subject_role(searcher, last)
        if named:
            return None
        of = {t.term for t in tokens[:at] if t.term and t.pos[1:2] == ("固有名詞",)}
    else:
        m = _ASKS_WHO_EN.match(last)
        # whose role it is, not a relative clause's words ("the foreign minister who visited Beijing": a reviewer's)
        phrase = PLACING.split(RELATIVE.split(m.group(1).rstrip(" ?."))[0], maxsplit=1) if m else [""]
        words = phrase[0].split()
        words = words[1:] if words and words[0].lower() in ("the", "a", "an") else words
        owner = max((i + 1 for i, w in enumerate(words) if w.endswith(("'s", "’s"))), default=0)
        whose = " ".join(words[:owner]) + " " + (phrase[1] if len(phrase) > 1 else "")
        bridge = searcher.bridge
        caps = {a.lower() for a in acronyms(last)}  # "the US": 米国, not 私達 (a reviewer's)
        of = {t for run in RUN.findall(whose) for g in (bridge.expand(run, caps) if bridge else []) for t in g
              if not t.isascii()}
        words = words[owner:]
        roles = english_roles(searcher, " ".join(words)) if 0 < len(words) <= 2 else frozenset()
        if len(words) == 2 and roles == english_roles(searcher, words[1]):
            roles = frozenset()  # two words that do not read as one: "new coach" is no role of its own
    if searcher.bridge is not None:  # a country's other name is its own (米国: アメリカ)
        of |= {other for t in of for other in searcher.bridge.written_alike(t)}
    roles = frozenset(t for t in roles if analyzer.tags(t)[:1] == ("名詞",))
    if not roles:
        return None
    return speaker_lead(lambda c: _holds_the_role(analyzer.tokens(c.text), roles, of, analyzer.entries), within,
                        READ_QUOTED, shares_a_word=False)


def _holds_the_role(tokens, roles: frozenset[str], of: set[str], entries: Callable[[str], list]) -> bool:
    """Whether a sentence writes a person with one of `roles`: a name then the role (大河内 隆 | 裁判長; マソウド ・
    ペゼシュキアン | 大統領, katakana its dictionary holds as a person's name only or not at all, which Sudachi may read in
    place as no name; not ロシア大統領 nor チーム監督, a place and a word), or the role, の and a name (院長 の 佐々木).
    Not one written as another place's or body's than `of` names (ロシア の セルゲイ ・ ラブロフ 外相, for China's), when
    it names one."""
    def name(t) -> bool:
        return t.pos[2:3] == ("人名",) or (t.pos[:1] == ("名詞",) and bool(_KATAKANA_NAME.fullmatch(t.surface))
                                          and all(tuple(pos[1:3]) == ("固有名詞", "人名") for pos in entries(t.surface)))

    def owned_elsewhere(start: int) -> bool:  # X の before the name, X a proper noun `of` does not name
        return (bool(of) and start >= 2 and tokens[start - 1].surface == "の"
                and tokens[start - 2].pos[1:2] == ("固有名詞",) and tokens[start - 2].term not in of)

    for i, t in enumerate(tokens):
        if t.term not in roles:
            continue
        j = i - 1
        while j >= 0 and (name(tokens[j]) or (tokens[j].surface == "・" and j > 0 and name(tokens[j - 1]))):
            j -= 1
        if j < i - 1 and not owned_elsewhere(j + 1):
            return True
        if i + 2 < len(tokens) and tokens[i + 1].surface == "の" and name(tokens[i + 2]) and not owned_elsewhere(i):
            return True
    return False


_KATAKANA_NAME = re.compile(r"[\u30a1-\u30fa\u30fc]{2,}")
# "Who was the presiding judge…", "Who's the mayor…", "Who is Russia's foreign minister?", "What is the name of the
# judge…": the role asked for follows, with "the" or a possessor (not "Who was named the tournament's most valuable
# player?", whose 最優秀選手には…望月投手 writes no name beside 選手, and 鈴木選手's words led: an eighth probe's question)
_ASKS_WHO_EN = re.compile(r"\s*(?:who(?:['’]s|\s+(?:is|was|are|were|will\s+be|would\s+be|has\s+been|had\s+been))|"
                          r"what(?:['’]s|\s+(?:is|was|are|were))\s+the\s+names?\s+of)\s+"
                          r"((?:the|a|an)\s+.+|\S+['’]s\s.+)$",
                          re.IGNORECASE)
# 誰 as what is asked (院長は誰か, 誰でしたか, 誰になったか), not its object (大統領は誰と会談したか, 誰に会ったか: reviewers')
_ASKS_WHO_JA = re.compile(r"(?:誰|だれ|何者)(?!\s*(?:と|を|から|へ|より|の|に(?!な)))")
