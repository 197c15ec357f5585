"""The words asked for, first (docs/answers.md): a question about what someone said (`asks_what_was_said`) is
answered by their words. A picked sentence that quotes (「…」) and names whose words they are opens the answer when
the best one does not (`quote_lead`); the speaker is named by name, by a role (`_role_lead`), by a pronoun the
conversation resolved, or by a Japanese surname the bridge writes only as a word (`_read_as_speaker`). A quotation in
the sentence after the one that names its speaker comes with it."""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Sequence

from ...retrieval.reorder import surname_of
from ...stores.romaji import folded, reads_as_japanese, romanized
from ..scoring import Scored
from .common import QUOTED, READ_QUOTED, SAYS_EN, last_line, outside_quotes, speaker_lead
from .people import is_subject, name_runs, names_all, person_terms, writes
from .roles import RELATIVE, english_subject, subject_role

# A question about what someone said ("What did Merz say about the agreement?", メルツ首相は何と述べたか) is answered by
# their words: a picked sentence that quotes (「…」) and names whose words they are opens the answer when the best one
# does not (`quote_lead`; docs/answers.md, "The words asked for, first"). The best one was often
# the sentence that announces them: 「メルツ首相は声明を出し、協定を歓迎した。」
_SAYS_JA = re.compile(r"(?:何と|なんと)(?:述べ|言|い|語|話|強調|発言|主張|報じ|評|呼びかけ|説明|答え|書|訴え|警告)|"
                      r"(?:どう|どのように)(?:述べ|言っ|言う|言わ|言い|語|話|強調|発言|主張|報じ|評|呼びかけ|説明|答え|書|"
                      r"訴え|警告)")
_QUOTE = re.compile(r"「[^」]{4,}")  # a quotation (some close it with ” instead)

# a what-said question whose speaker is a personal pronoun alone: "What did he say?", "And what did she tell them?",
# 「彼は何と述べた？」
# (not "they", often a company or an authority: "What did they say?" after "Which airline cancelled flights?" opened
# with a passenger's words, a reviewer's)
_BY_PRONOUN = re.compile(r"^\W*(?:(?:and|so|then|ok|okay)\W+)*what\s+(?:else\s+)?(?:did|does|has|had|would|will)\s+"
                         r"(?:he|she)\b|^\W*(?:それで|では|じゃあ)?、?(?:彼|彼女)(?:は|が)(?!ら)", re.IGNORECASE)
_QUOTED_SPANS = re.compile(r"「[^」]*(?:」|$)")  # the quotations of a sentence, an unclosed last one to its end


def asks_what_was_said(question: str) -> bool:
    """Whether a question asks for someone's words ("What did Lavrov say…?", "How did he respond?", 何と述べたか)."""
    return bool(SAYS_EN.search(question) or _SAYS_JA.search(question))


def quote_lead(searcher, question: str, groups: Sequence[Sequence[str]], within: str | None = None,
               person: str | None = None, *, pronoun_only: bool = False) -> Callable[[Scored, Scored], int]:
    """How strongly a sentence may open an answer to a question about what someone said, in the best one's place
    (QUOTED; READ_QUOTED, which a sentence scored under the cutoff may claim too, for a surname known by its reading;
    0 for none):
    a whole sentence of the best one's article (or of the document `within`) that quotes (「…」) and names whose words
    they are. An English question names them by its first run of capitalised words, as the bridge spells its last word
    in terms that write a name ("Makoto Onodera": 小野寺, not 誠一, a guess for the given name that another speaker
    bears; not Putin in "What did Xi say about Putin…?", whose words would be the wrong ones); a run the bridge cannot
    spell as a name (習 alone is none) tells nobody's words, and none leads. A Japanese question names them by its
    term groups whose every term writes a name (メルツ, not 首相; of a full name, the surname), each of which the
    sentence must hold. A question that
    names no one by name may name a role, whose holder the passages write (`_role_lead`). A follow-up that points to
    its speaker by a pronoun alone names the `person` the conversation resolved it to ("What did he say?" after "Who
    was the MVP?": 望月, whom the answer before named; the conversation's words named 静岡 first). The best one keeps
    its place when it quotes the speaker itself."""
    roles, named = subject_role(searcher, question) if not pronoun_only else (frozenset(), None)
    if person and (roles or named):
        # "What did his coach say about him?": the coach's words, not his (a reviewer's), where the article writes
        # someone with that role; "What did the report say about him?": his, where it writes none (a second's)
        by_role = _role_lead(searcher, roles, named, within)
        by_person = quote_lead(searcher, question, groups, within, person, pronoun_only=True)
        held = getattr(by_role, "described", None)

        def either(c: Scored, best: Scored) -> int:  # the role's holder written in this passage or the best one's
            if held is not None and (held(c.hit.passage.text) or held(best.hit.passage.text)):
                return by_role(c, best)
            return by_person(c, best)
        return either
    english = english_subject(question)
    if roles and english and not any(w[:1].isupper() for w in RELATIVE.split(english)[0].split()):
        # "What did the foreign minister who visited Beijing say?", "…say about Xi?": the role is the speaker, not
        # the name after it ("the remarks of Lavrov" are his, a name of the subject's)
        return _role_lead(searcher, roles, named, within)
    runs = [] if person else name_runs(question)
    names = ([set(searcher.analyzer.terms(surname_of(person, searcher.analyzer)))] if person
             else person_terms(searcher, question, groups))
    if runs and not names:
        speakers = [run for run, is_placed in runs if not is_placed]
        given, surname = (speakers[0].split() + [""])[-3:-1] if speakers and len(speakers[0].split()) > 1 else ("", "")
        if surname and reads_as_japanese(surname) and reads_as_japanese(given):
            # a Japanese surname that is a word too ("Kenta Mori": 森, a forest), known by Sudachi's reading of a
            # person's name, 森さん (a probe's: his words, 「ゴーッという…」, were left for his injury)
            return _read_as_speaker(searcher, folded(surname), folded(given), within)
        if speakers:
            return lambda c, best: 0
    # "What did he say?", 「彼は何と述べた？」 whose person the conversation did not resolve (the answer before opened with
    # a headline naming two, or named nobody: "Who spoke for the ministry?"): someone's words, each sentence naming its
    # speaker, not the sentences around them (a ninth probe's: the campaign's issues and the headline came first)
    unresolved = (not person and not pronoun_only and not roles and not named
                  and bool(_BY_PRONOUN.search(last_line(question))))

    def anyone(c: Scored) -> bool:
        return unresolved and bool(_QUOTE.search(c.text)) and is_subject(
            searcher.analyzer.tokens(outside_quotes(c.text)), lambda t: t.pos[2:3] == ("人名",))
    if not names and unresolved:
        return speaker_lead(anyone, within, QUOTED, shares_a_word=False)
    if not names:
        return _role_lead(searcher, *(subject_role(searcher, question) if pronoun_only else (roles, named)), within)

    def named(text: str) -> bool:
        return names_all(searcher, names, text)

    def holds(c: Scored) -> bool:
        # without a name to hold, any quotation would do: none leads ("How did the US respond?"); the name outside
        # the quotation marks (a probe's: 「青木監督は「望月投手の気迫のある投球に…」」 led "What did he say?" about 望月).
        # An unresolved pronoun's: the earlier turns' names, or anyone's (砺波, a city Sudachi reads as a surname too)
        return (bool(names) and bool(_QUOTE.search(c.text)) and named(outside_quotes(c.text))) or anyone(c)

    def follows(c: Scored) -> bool:
        # a quotation that opens its sentence right after one whose subject is the speaker, and that has no subject
        # of its own outside the quotation marks, is theirs: 「佐々木道子さん（66）は…体育館に移った。「紅葉の時期を
        # 前に…」と肩を落とした。」 (a probe's: "What did Michiko Sasaki say?" was answered without her words, which name
        # her nowhere). Not after 「町長は…佐々木道子さんらが身を寄せる体育館を訪れた。」, nor 「…」と職員は説明した
        # (a reviewer's). It does not lead: read after the sentence that names the speaker, it is theirs to the reader
        if not names or not c.text.lstrip().startswith("「") or not _QUOTE.search(c.text):
            return False
        before = c.hit.passage.text[: c.position].rstrip()
        if not before.endswith(("。", "」")):
            return False  # the passage cut the sentence before: whose it is cannot be read here
        previous = before[before.rfind("。", 0, len(before) - 1) + 1:]
        outside = searcher.analyzer.tokens(_QUOTED_SPANS.sub("", c.text))
        return (named(previous) and not _QUOTE.search(previous) and subject(previous)
                and not any(t.pos[:1] == ("助詞",) and t.surface in ("は", "が") for t in outside))

    def subject(text: str) -> bool:
        # the speaker is the sentence's subject (not 「町長は…佐々木道子さんらが身を寄せる体育館を訪れた」, a reviewer's)
        return is_subject(searcher.analyzer.tokens(text),
                          lambda t: bool(t.term) and any(writes(t.term, g) for g in names), first=True)

    leads = speaker_lead(holds, within, QUOTED)
    leads.brings = follows  # type: ignore[attr-defined]  # select brings such a quotation after the sentence before it
    return leads


def _role_lead(searcher, roles: frozenset[str], person: str | None, within: str | None
               ) -> Callable[[Scored, Scored], int]:
    """`quote_lead` for a question that names its speaker by a role, not a name ("What did the rice farmer say?", "What
    did the mayor of Tono say?", 「監督は何と話したか」): `roles`, the head noun of its subject by the bridge's dictionaries or a
    Japanese subject's own word, or the `person` a Japanese subject names (`subject_role`). A sentence leads, from
    under the cutoff too and whatever words it shares with the question, when it quotes and has for its subject, outside
    its quotation marks, a person its passage writes with that role: 「佐々木誠市長」, a name then the role (Sudachi reads 誠市 +
    長: the role is found in the text), or 「農家の矢野健一さん」, the role, の and a name; by their surname, as the article goes on
    to call them (「矢野さんは「稲穂が…」」: a probe's, answered with the sentence introducing him and not his words). Not the
    player whose words name the coach (「鈴木選手は「石川監督に…」」), nor anyone written beside a place or the question's object
    (「遠野市の佐藤さん」, 「中国の習近平国家主席」), a reviewer's. A Japanese subject that is a person's name Sudachi reads as one
    (「主将の大石選手は…」: 大石 is a word too) is that person."""
    analyzer = searcher.analyzer
    people: dict[str, frozenset[str]] = {}

    def described(text: str) -> frozenset[str]:  # the surnames a passage writes with the role, read once
        if text not in people:
            tokens = analyzer.tokens(text)
            starts, at = [], 0
            for t in tokens:  # each token's offset in the text
                found_at = text.find(t.surface, at)
                starts.append(found_at if found_at >= 0 else at)
                at = starts[-1] + len(t.surface)
            found: set[str] = set()
            for role in roles:
                for m in re.finditer(re.escape(role), text):
                    i = bisect.bisect_right(starts, m.start()) - 1  # the token the role begins in
                    # the name before it: 佐々木 誠 | 市長, or 佐々木 誠市 | 長 (the role begun inside a name's part)
                    j = i if i >= 0 and starts[i] < m.start() and tokens[i].pos[2:3] == ("人名",) else i - 1
                    k = j
                    while k >= 0 and tokens[k].pos[2:3] == ("人名",):
                        k -= 1
                    if k < j:
                        found.add(tokens[k + 1].term or tokens[k + 1].surface)
                    e = bisect.bisect_left(starts, m.end())  # the role, の and a name: 農家 の 矢野 健一 さん
                    if (e + 1 < len(tokens) and starts[e] == m.end() and tokens[e].surface == "の"
                            and tokens[e + 1].pos[2:3] == ("人名",)):
                        found.add(tokens[e + 1].term or tokens[e + 1].surface)
            people[text] = frozenset(found)
        return people[text]

    def holds(c: Scored) -> bool:
        surnames = frozenset({person}) if person else described(c.hit.passage.text)
        return (bool(surnames) and bool(_QUOTE.search(c.text))
                and is_subject(analyzer.tokens(outside_quotes(c.text)), lambda t: t.term in surnames))

    if not roles and not person:
        return lambda c, best: 0
    leads = speaker_lead(holds, within, READ_QUOTED, shares_a_word=False)
    leads.described = described if not person else (lambda text: frozenset({person}))  # type: ignore[attr-defined]
    return leads


def _read_as_speaker(searcher, surname: str, given: str, within: str | None) -> Callable[[Scored, Scored], int]:
    """`quote_lead` for a speaker named by a Japanese surname the bridge writes only as a word: a sentence that
    quotes, and before its quotation writes a person's name (人名) that reads as `surname`, with no given name after it
    or one that reads as `given` (not 「近所の田中和子さんは「森さんが無事で…」」, nor 毛利和子, a reviewer's)."""
    analyzer = searcher.analyzer

    def reads(token, name: str) -> bool:
        return any(folded(romanized(r)) == name for r in analyzer.readings(token.surface))

    def holds(c: Scored) -> bool:
        quote = _QUOTE.search(c.text)
        if not quote:
            return False
        tokens = analyzer.tokens(c.text[: quote.start()])
        for i, t in enumerate(tokens):
            if t.pos[2:3] == ("人名",) and reads(t, surname):
                after = tokens[i + 1] if i + 1 < len(tokens) else None
                if after is None or after.pos[2:4] != ("人名", "名") or reads(after, given):
                    return True
        return False

    return speaker_lead(holds, within, READ_QUOTED)
