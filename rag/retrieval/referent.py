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
from ..stores.japanese import JapaneseAnalyzer, Token
from ..stores.romaji import folded, reads_as_japanese, romanized
from .cues import EN_PERSONAL as _EN_PERSONAL
from .cues import EN_STRONG, EN_WEAK, EN_WORD, JA_FUNCTION, JA_REFERRING, NOT_TOPIC
from .cues import JA_PERSONAL as _JA_PERSONAL
from .cues import placed
from .rerank.answer_type import classify
# a run of capitalised words (Xi Jinping, Sergey Lavrov, Jean-Yves), accents included
_NAME_RUN = re.compile(r"(?<![A-Za-z])([A-Z][a-z\u00e0-\u00ff]+(?:[ \-][A-Z][a-z\u00e0-\u00ff]+)*)")
_PERSON = ("名詞", "固有名詞", "人名")
_PLACE = ("名詞", "固有名詞", "地名")
_KATAKANA = re.compile(r"[\u30a0-\u30ff]+")
# nouns that a place's name qualifies, not a person's ("the Akita governor election", "Miyazaki prefecture"; not "the
# Takaichi government", whose "she" is Takaichi, a place's name too: a reviewer's finding)
_PLACE_NOUNS = frozenset({"governor", "governors", "gubernatorial", "mayor", "mayoral", "prefecture", "prefectural",
                          "city", "town", "village", "ward", "district", "region", "area", "election", "elections",
                          "assembly", "station", "airport", "port", "castle",
                          # what happens at a place ("the Ishikawa earthquake": a reviewer's)
                          "earthquake", "quake", "flood", "floods", "flooding", "typhoon", "storm", "landslide",
                          "landslides", "tsunami", "eruption", "disaster", "fire", "wildfire", "derailment"})
# after "election", a person's: "After the Takaichi election win, what did she say?" (a reviewer's)
_PERSONS_ELECTION = frozenset({"win", "wins", "victory", "victories", "defeat", "loss", "landslide"})
_NEXT_WORDS = re.compile(r"\s+([A-Za-z]+)(?:\s+([A-Za-z]+))?")
# "else" that asks for more of the same ("Did he say anything else?", "What else did she say?"), not for another
_MORE = re.compile(r"\b(?:anything|something|what|nothing)\s+else\b", re.IGNORECASE)
_BEFORE = 60  # the characters before a name read for what places it or starts its sentence
_PHRASE = 8  # how far after a name its phrase's particle is looked for (氏, its age in brackets, its title)


def person_query(turns: Sequence[str], analyzer: JapaneseAnalyzer, bridge: Bridge | None, recent: int,
                 given: str | None = None) -> str | None:
    """"<the person's name>\\n<the last turn>" (a Japanese one with the name for its 彼), when the last of `turns` asks
    about a person of the `recent` - 1 turns before it by a personal pronoun alone (a follow-up that also says "it" or
    その leans on more than a person); else None. `given`: the person the answer to the turn before gave
    (`answer_person`, read once by the caller), whom "he" means when that turn names none of its own."""
    last = turns[-1].strip() if turns else ""
    if _by_pronoun(last, analyzer) is not True:
        return None
    for i, turn in enumerate(reversed([t for t in turns[-recent:-1] if t and t.strip()])):
        # the person the answer to the turn before gave (that turn's own, as the articles write the name, or the one
        # it asked for), else the turn's own person, else a person it placed ("…about Putin")
        name = (given if i == 0 else None) or _person(turn, analyzer, bridge) \
            or _person(turn, analyzer, bridge, placed_too=True)
        if name:
            return naming(name, last)
    return None


def naming(name: str, text: str) -> str:
    """`text` about the person `name`: a Japanese one with the name for its 彼 (a term of its own to BM25, which
    「…と彼はエリート層に語った」 holds), any other after the name."""
    return _JA_PERSONAL.sub(name, text, count=1) if _JA_PERSONAL.search(text) else f"{name}\n{text}"


def answer_person(turns: Sequence[str], analyzer: JapaneseAnalyzer, bridge: Bridge | None, answer: str) -> str | None:
    """The person `answer` (the first sentence of the answer to the turn before the last) gives, when the last of
    `turns` points back by a personal pronoun alone, and the turn before asked for a person without naming one of
    its own: "Who scored Japan's winning goal?" is answered 「…藤堂が決勝ゴール…」, and "Which club does he play for?"
    asks about 藤堂, not about the other scorer the turn's words find; "What did he say?" after "Who is the governor of
    Miyazaki?", about the governor the answer named. After any other question "he" is someone the conversation named
    before ("Has Xi Jinping been visiting Europe lately?"), whom the answer need not name. The answer's one person, or
    of several the one whose title the turn asks for (「ロシアのセルゲイ・ラブロフ外相が…」 after its 「プーチン大統領の就任
    直後…」 answers "Who is Russia's foreign minister?"); none when that does not tell them apart."""
    earlier = [t for t in turns[:-1] if t and t.strip()]
    last = turns[-1].strip() if turns else ""
    if not answer or not earlier or _by_pronoun(last, analyzer) is None:
        return None
    turn = earlier[-1]
    people = _people(answer, analyzer)
    spelled = None if has_cjk(turn) else _spelled(turn, people, analyzer, bridge)
    if spelled is not None:  # the turn's person as the articles write the name (the bridge may spell it by sound)
        return spelled
    if classify(turn, "ja" if has_cjk(turn) else "en") != "entity" or _person(turn, analyzer, bridge):
        return None
    if len({name for name, _, _ in people}) == 1:
        return people[0][0]
    if has_cjk(turn):
        asked = set(analyzer.terms(turn))
    else:
        asked = {t for group in bridge.expand(turn) for t in group} if bridge is not None else set()
    # not the sentence's subject: "Who lost the election?" is answered 「…佐々木恵美子氏（58）が、…高橋正雄氏（72）ら2人を
    # 破り…」, whose subject is the winner (a reviewer's finding; a passive answer's subject is the one acted on)
    titled = {name for name, title, _ in people if title in asked}
    return titled.pop() if len(titled) == 1 else None


def _spelled(turn: str, people: Sequence[tuple[str, str, str]], analyzer: JapaneseAnalyzer,
             bridge: Bridge | None) -> str | None:
    """The person of `people` (the answer's) whose name reads as the first person the English `turn` names, when that
    one is written in Japanese syllables: "What did Shunsuke Murai ask?" is answered 「…村井俊介氏は…」, whose name no
    dictionary of the bridge's holds, so "What did he say next?" asks about 村井俊介 (a probe's: the earlier turn's
    "Shunsuke Murai" searched again found Trump's 言ったのか in another article). The name's last two words, after a
    title ("Judge Yuko Ishida") or a question's first word ("Did Shunsuke Murai…"), surname last or first, or a
    surname alone as the answer writes it (「石川さんは…」 for "Kenichi Ishikawa"). Not a person the turn names after
    another ("What did Koichi Saeki do while Takayuki Kono's ferry ran aground?" is about Saeki, "What did Lavrov tell
    Yoko Kamikawa?" about Lavrov: a reviewer's), nor one of two the answer names alike."""
    for m in _NAME_RUN.finditer(turn):
        words = [w for w in m.group(1).replace("-", " ").split() if w.lower() not in NOT_TOPIC]
        if len(words) < 2 or not all(reads_as_japanese(w) for w in words[-2:]):
            # "After the warning, …", "In Kyushu, …", "Energy Agency official …": no person, read on; a person the
            # bridge knows named first (Lavrov) is whom the turn is about
            if words and bridge is not None and any(is_person(t, analyzer) for g in bridge.expand(" ".join(words))
                                                    for t in g):
                return None
            continue
        first, last = (folded(w) for w in words[-2:])
        full = {first + last, last + first}
        found = {name for name, _, _ in people if full & _name_readings(name, analyzer)}
        if not found:  # a surname alone, as a passage names a person after the first time
            found = {name for name, _, _ in people if len(analyzer.tokens(name)) == 1
                     and {first, last} & _name_readings(name, analyzer)}
        return found.pop() if len(found) == 1 else None
    return None


def _name_readings(name: str, analyzer: JapaneseAnalyzer) -> set[str]:
    """What a Japanese name reads as, word by word in a row as Sudachi reads each (村井 + 俊介: muraishunsuke), in
    Hepburn's letters, folded; a handful of readings at most."""
    spelled = [""]
    for token in analyzer.tokens(name):
        readings = list(analyzer.readings(token.surface))[:3] or [token.surface]
        spelled = [s + r for s in spelled for r in readings][:_READINGS]
    return {folded(romanized(s)) for s in spelled} - {""}


_READINGS = 16


def _people(text: str, analyzer: JapaneseAnalyzer) -> list[tuple[str, str, str]]:
    """(name, the term after it, the particle after its phrase) for each run of 人名 tokens in `text`: a foreign name's
    parts joined by ・ are one run, named by its last (セルゲイ・ラブロフ: ラブロフ, as the passages write him alone), a
    Japanese one whole (杉本和臣). The particle is the first one within a few tokens (佐々木恵美子氏（58）が: が), of which
    の marks a possessor (プーチン大統領の報道官: `_person`)."""
    tokens = analyzer.tokens(text)
    # in Japanese script only: Sudachi tags stray Latin words 人名 ("may" of an English notice, "said", "Sergey")
    person = [has_cjk(t.surface) and _person_token(t, analyzer) for t in tokens]
    for i in range(len(tokens) - 1):  # a place Sudachi also reads as a surname, before its division: 砺波 + 市長選
        nxt = tokens[i + 1].surface
        if person[i] and nxt[:1] in _DIVISIONS and nxt not in _TITLES and _is_place(tokens[i].surface, analyzer):
            person[i] = False
    for i in range(1, len(tokens) - 1):  # a surname Sudachi does not know, after a given name and ・ (ドミトリー・ペスコフ)
        if person[i - 1] and tokens[i].surface == "・" and _KATAKANA.fullmatch(tokens[i + 1].surface):
            person[i + 1] = True

    def particle(i: int) -> str:  # the first particle of the name's phrase, before another name, a verb or a comma
        for j in range(i, min(i + _PHRASE, len(tokens))):
            if tokens[j].pos[0] == "助詞":
                return tokens[j].surface
            if tokens[j].pos[0] in ("動詞", "助動詞") or person[j] or tokens[j].surface in ("。", "、"):
                return ""
        return ""

    out: list[tuple[str, str, str]] = []
    run: list[str] = []
    for i, token in enumerate(tokens):
        if person[i]:
            run.append(token.surface)
            continue
        if run and token.surface == "・" and i + 1 < len(tokens) and person[i + 1]:
            run = []  # the given name before it: the surname after it names them
            continue
        if run:
            out.append(("".join(run), token.term or token.surface, particle(i)))
            run = []
    if run:
        out.append(("".join(run), "", ""))
    return out


# a place's division after its name (砺波市, 砺波市長選, 秋田県), and the titles that begin with one (佐々木市長: a person)
_DIVISIONS = frozenset("市町村県区府都")
_TITLES = frozenset({"市長", "町長", "村長", "区長", "都知事", "府知事", "県知事", "市議", "町議", "村議", "県議", "区議", "都議", "府議"})


def _by_pronoun(last: str, analyzer: JapaneseAnalyzer) -> bool | None:
    """Whether `last` points back by a personal pronoun alone: True when it also names something of its own ("What
    did he say about the US?"), False when it names nothing else ("What did he say?"); None when it has no personal
    pronoun or another word that points back ("What did he say about it?")."""
    words = {w.lower() for w in EN_WORD.findall(_MORE.sub(" ", last))}
    if not (words & _EN_PERSONAL or _JA_PERSONAL.search(last)):
        return None
    if words & ((EN_STRONG | EN_WEAK) - _EN_PERSONAL) or JA_REFERRING.search(_JA_PERSONAL.sub("", last)):
        return None
    caps = acronyms(last)  # "the US" names a topic, though "us" is a function word
    own = [w for w in english_words(last) if len(w) > 1 and (w in caps or w not in NOT_TOPIC)]
    if has_cjk(last):
        own += [t for t in analyzer.terms(_JA_PERSONAL.sub("", last)) if not t.isascii() and t not in JA_FUNCTION
                and t != "彼"]
    return bool(own)


def _person(turn: str, analyzer: JapaneseAnalyzer, bridge: Bridge | None, placed_too: bool = False) -> str | None:
    """The first person `turn` names: a Japanese run of 人名 tokens, or an English run of capitalised words the bridge
    writes as a person's name; not one that describes someone else, unless `placed_too`: a name the words before it
    place ("the governor of Miyazaki"), a possessor ("Putin's spokesman", プーチン大統領の報道官)."""
    if has_cjk(turn):
        people = _people(turn, analyzer)
        name = next((name for name, _, said in people if placed_too or said != "の"), None)
        if name:
            return name
    if bridge is None:
        return None
    for m in _NAME_RUN.finditer(turn):
        start = m.start()
        name, before = m.group(1), turn[max(0, start - _BEFORE):start].rstrip()  # a long turn is not copied per name
        first = not before and not turn[:start].strip()
        # a sentence's first word is capitalised whatever it is ("According to…"): a name there is two words or more
        if (first or before[-1:] in (".", "?", "!")) and " " not in name or name.split()[0].lower() in NOT_TOPIC:
            continue
        if not placed_too and (placed(before) or turn[m.end():m.end() + 2] in ("'s", "’s")):
            continue  # "Who is the governor of Miyazaki?", "Who is Putin's spokesman?": not Miyazaki, not Putin
        # a place's noun within the run ends the name: "Who won the Akita Governor Election?" is Akita's election
        words = name.split()
        cut = next((k for k, w in enumerate(words) if k and w.lower() in _PLACE_NOUNS), len(words))
        name, end = " ".join(words[:cut]), m.start() + len(" ".join(words[:cut]))
        terms = [term for group in bridge.expand(name) for term in group]
        if _before_place_noun(turn, end) and any(_is_place(t, analyzer) for t in terms):
            continue  # "the Akita governor election": a place's name (秋田, a surname too) before a place's noun
        if any(is_person(term, analyzer) for term in terms):
            return name
    return None


def _before_place_noun(turn: str, end: int) -> bool:
    """Whether the words after a name at `end` are a place's noun ("governor", "earthquake"; "election", but not
    "election win", which is a person's)."""
    after = _NEXT_WORDS.match(turn, end)
    if not after or after.group(1).lower() not in _PLACE_NOUNS:
        return False
    return not (after.group(1).lower().startswith("election") and (after.group(2) or "").lower() in _PERSONS_ELECTION)


def _person_token(token: Token, analyzer: JapaneseAnalyzer) -> bool:
    """Whether Sudachi reads `token` as a person's name: tagged one, or a proper noun it reads as one before 氏."""
    return token.pos[:3] == _PERSON or (token.pos[:2] == _PERSON[:2] and is_person(token.surface, analyzer))


def _is_place(term: str, analyzer: JapaneseAnalyzer) -> bool:
    """Whether Sudachi's dictionary holds `term` as a place's name (秋田 and 宮崎 are surnames too)."""
    return any(pos[:3] == _PLACE for pos in analyzer.entries(term))


def is_person(term: str, analyzer: JapaneseAnalyzer) -> bool:
    """Whether Sudachi reads `term`, a Japanese term of two characters or more, as a person's name before 氏 (a
    Latin letter there is read as an initial: "j氏")."""
    if term.isascii() or len(term) < 2:
        return False
    tokens = analyzer.tokens(f"{term}氏")
    return bool(tokens) and tokens[0].pos[:3] == _PERSON
