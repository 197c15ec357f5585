"""Who "he" is: a follow-up that points back only with a personal pronoun, and names what it asks about of its own
("What did he say about the US?" after "What did Lavrov say about an alliance with China?"), asks about the person of
the turns before, not about their topic. Carrying the earlier turns' content words over searched "Lavrov alliance
China … the US", whose best passages are the earlier answer's; carrying the person's name searches "Lavrov … the US".

The person is the first name of the most recent earlier turn that writes one: a Japanese turn's run of 人名 tokens
(Sudachi), an English turn's first run of capitalised words whose Japanese terms (the bridge's, a name no dictionary
holds spelled by its sound: Korybko, コリブコ) are a person's name. A name's Japanese term is read as Sudachi reads
it before 氏 ("Mr."), which tags a person's name 人名 and a place's 地名 (トランプ alone is a common noun, トランプ氏 a
person; 中国氏 is still a place). No person found, the follow-up is searched as any other
(rag.retrieval.conversation).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..corpus.lines import has_cjk
from ..stores.bridge import Bridge
from ..stores.english import acronyms, english_words
from ..stores.japanese import JapaneseAnalyzer
from .cues import EN_PERSONAL as _EN_PERSONAL
from .cues import EN_STRONG, EN_WEAK, EN_WORD, JA_FUNCTION, JA_REFERRING, NOT_TOPIC
from .cues import JA_PERSONAL as _JA_PERSONAL
# a run of capitalised words (Xi Jinping, Sergey Lavrov, Jean-Yves), accents included
_NAME_RUN = re.compile(r"(?<![A-Za-z])([A-Z][a-z\u00e0-\u00ff]+(?:[ \-][A-Z][a-z\u00e0-\u00ff]+)*)")
_PERSON = ("名詞", "固有名詞", "人名")


def person_query(turns: Sequence[str], analyzer: JapaneseAnalyzer, bridge: Bridge | None, recent: int) -> str | None:
    """"<the person's name>\\n<the last turn>", when the last of `turns` asks about a person of the `recent` - 1
    turns before it by a personal pronoun alone (a follow-up that also says "it" or その leans on more than a person);
    else None."""
    last = turns[-1].strip() if turns else ""
    if not _by_pronoun_alone(last, analyzer):
        return None
    for turn in reversed([t for t in turns[-recent:-1] if t and t.strip()]):
        name = _person(turn, analyzer, bridge)
        if name:
            return f"{name}\n{last}"
    return None


def _by_pronoun_alone(last: str, analyzer: JapaneseAnalyzer) -> bool:
    words = {w.lower() for w in EN_WORD.findall(last)}
    if not (words & _EN_PERSONAL or _JA_PERSONAL.search(last)):
        return False
    if words & ((EN_STRONG | EN_WEAK) - _EN_PERSONAL) or JA_REFERRING.search(_JA_PERSONAL.sub("", last)):
        return False
    caps = acronyms(last)  # "the US" names a topic, though "us" is a function word
    own = [w for w in english_words(last) if len(w) > 1 and (w in caps or w not in NOT_TOPIC)]
    if has_cjk(last):
        own += [t for t in analyzer.terms(_JA_PERSONAL.sub("", last)) if not t.isascii() and t not in JA_FUNCTION
                and t != "彼"]
    return bool(own)


def _person(turn: str, analyzer: JapaneseAnalyzer, bridge: Bridge | None) -> str | None:
    if has_cjk(turn):
        run: list[str] = []
        for token in analyzer.tokens(turn):
            if token.pos[:3] == _PERSON or (token.pos[:2] == _PERSON[:2] and is_person(token.surface, analyzer)):
                run.append(token.surface)
            elif run:
                break
        if run:
            return "".join(run)
    if bridge is None:
        return None
    for m in _NAME_RUN.finditer(turn):
        name, before = m.group(1), turn[: m.start()].rstrip()
        # a sentence's first word is capitalised whatever it is ("According to…"): a name there is two words or more
        if (not before or before[-1] in ".?!") and " " not in name or name.split()[0].lower() in NOT_TOPIC:
            continue
        if any(is_person(term, analyzer) for group in bridge.expand(name) for term in group):
            return name
    return None


def is_person(term: str, analyzer: JapaneseAnalyzer) -> bool:
    """Whether Sudachi reads `term`, a Japanese term of two characters or more, as a person's name before 氏 (a
    Latin letter there is read as an initial: "j氏")."""
    if term.isascii() or len(term) < 2:
        return False
    tokens = analyzer.tokens(f"{term}氏")
    return bool(tokens) and tokens[0].pos[:3] == _PERSON
