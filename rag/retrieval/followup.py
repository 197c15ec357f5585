"""Whether the last turn is a follow-up: whether it leans on the turns before it or stands alone, and which kind of
follow-up it is.

A follow-up such as "How long was it?" names nothing the index can match; the turns before it do. When the last
turn looks like it leans on earlier ones (a referring word, or almost no content words of its own), it is searched
with the conversation (rag.retrieval.conversation). A stand-alone question is searched alone, exactly as without a
conversation. Here too: small talk between the questions, an opener that changes the subject, a question on a source
that names no topic, one that takes up with "the" a thing the turn before named, one that asks for a bare detail, the
kind of detail a follow-up asks for, and the readings of a turn's words the conversation search shares (its content
words of its own, a topic of its own, a word that points back).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..corpus.lines import has_cjk
from ..stores.english import english_words
from ..stores.japanese import JapaneseAnalyzer
from .cues import (EN_CONTINUING, EN_DISCOURSE, EN_FUNCTION, EN_NEW_TOPIC, EN_SMALL_TALK, EN_SOURCE, EN_STRONG, EN_WEAK,
                   EN_WORD, JA_CONTINUING, JA_DISCOURSE, JA_FUNCTION, JA_NEW_TOPIC, JA_REFERRING, JA_RELATIONAL,
                   JA_SMALL_TALK, JA_SOURCE, NOT_TOPIC)
from .ellipsis import names_only
from .intake import has_word
from .rerank import answer_type
from .sources import asks_for_source

# An English follow-up asks for a detail by its first words ("How long did it last?", "Whose idea was it?"), after
# those that continue the question before
LEAD_WORDS = 6
_LEADING = re.compile(r"^\W*(?:(?:and|but|so|then|also|ok|okay|well)\b\W*)*", re.IGNORECASE)

# A follow-up with fewer content words of its own than this cannot stand alone.
MIN_CONTENT_WORDS = 2


def depends_on_context(question: str, analyzer: JapaneseAnalyzer) -> bool:
    """True when the question continues the last one (And…?, じゃあ…), refers back (it, that, その, 同氏...) or has
    too few content words to stand alone."""
    if small_talk(question):  # "Thanks!" after an answer asks nothing of it: answered as a greeting is
        return False
    if EN_CONTINUING.search(question) or JA_CONTINUING.search(question):
        return True
    if JA_REFERRING.search(question) or refers_back_en(question):
        return True
    # 米国については? names a place and asks about it as the question before asked (について is no second word of
    # its own); 停戦について names a topic of its own and stands alone
    # (nor are words that ask for more of the answer: 「もう少し詳しく説明してもらえますか」 continues it, a reviewer's)
    return len(turn_words(question, analyzer, ASKING)) < MIN_CONTENT_WORDS or names_only(question, analyzer)


def turn_words(question: str, analyzer: JapaneseAnalyzer, but: frozenset[str] = frozenset(),
               asking: bool = False) -> list[str]:
    """The words a turn names things by, in order: its English words that are no function word (nor one of `but`) and
    its Japanese nouns, not the word that asks (何人, いくら) unless `asking`. Not `topic.content_words` (a topic's
    words across turns) nor `english.content_words` (the words an embedder reads)."""
    content = [w for w in english_words(question) if w not in EN_FUNCTION and len(w) > 1 and w not in but]
    if has_cjk(question):
        # nor the word that asks (何人, いくら, 何 + 台), unless `asking`: 「何人が利用している?」 after a question on a
        # railway line's closure names one word of its own, and was searched alone (a probe's: another article's 利用)
        after_what = False
        for t in analyzer.tokens(JA_RELATIONAL.sub(" ", question)):
            asks = (bool(t.term) and answer_type.is_interrogative(t.term)) or (
                after_what and t.pos[2:3] == ("助数詞可能",))
            after_what = t.surface == "何"
            if (t.term and not t.term.isascii() and t.term not in JA_FUNCTION and t.term not in but
                    and (asking or not asks)):
                content.append(t.term)
    return content


def asks_for_a_source_only(question: str, analyzer: JapaneseAnalyzer) -> bool:
    """A question about an article's source that names no topic ("What is the original source?", 元記事はどこ?: its
    words are the source's own vocabulary); "Who wrote the Newsweek piece?" names one."""
    return asks_for_source(question) and not turn_words(question, analyzer, EN_SOURCE | JA_SOURCE | NOT_TOPIC)


def names_something(question: str, analyzer: JapaneseAnalyzer) -> bool:
    """A topic of the follow-up's own: a content word that is neither the article's nor its argument's vocabulary
    ("north korea", sanctions, 北朝鮮; not "main argument", 筆者の結論, "the US"), or a capitalised word that does not
    start a sentence (ISW; not "OK. Now what…", nor the letters of "U.S.")."""
    if any(len(w) > 1 and w.lower() not in NOT_TOPIC for w in _capitalised_inside(question)):
        return True
    own = set(turn_words(question, analyzer, EN_SOURCE | JA_SOURCE | NOT_TOPIC | EN_DISCOURSE | JA_DISCOURSE))
    return bool({w.removesuffix("'s") for w in own} - EN_SOURCE - EN_DISCOURSE)


def _capitalised_inside(question: str) -> Iterator[str]:
    """The capitalised words of `question` that start no sentence (ISW, Trump; not "OK. Now what…", nor a question's
    first word)."""
    for m in EN_WORD.finditer(question):
        w, before = m.group(), question[: m.start()].rstrip()
        if w[0].isupper() and before and before[-1] not in ".?!:。？！":
            yield w


def takes_up(question: str, before: str) -> bool:
    """Whether an English question takes up with "the" a thing the turn before named, and names nothing new: "What
    time did the press conference start?" after "What did Governor Uemura say at his press conference…?" was searched
    alone, and opened with a summit's 「…開始…開催」 from another article (a probe's). The two words after "the" are
    content words of the turn before ("the press conference"); a capitalised word the turn before does not write is a
    name of the question's own ("What did the Kremlin say about Trump?" after a question on the Kremlin and Xi stands
    alone)."""
    if has_cjk(question) or has_cjk(before):
        return False
    said = {w.lower() for w in EN_WORD.findall(before)}
    if any(w.lower() not in said for w in _capitalised_inside(question)):
        return False
    for m in _THE_TWO.finditer(question):
        words = [w.lower() for w in m.groups()]
        if all(len(w) > 2 and w not in EN_FUNCTION and w in said for w in words):
            return True
    return False


def asks_a_bare_detail(question: str, analyzer: JapaneseAnalyzer) -> bool:
    """Whether an English question asks for a detail (a number, a date, a place) of something it does not name: two
    content words at most, no name, no number ("How many personnel were sent?" after a question on the troops sent to
    a snowbound expressway, "How many vehicles are affected?" after one on a recall, were searched alone and opened
    with another article's 1万2000人 and 除雪車12台: a seventeenth probe's). As a follow-up, it leaves the
    conversation's article still when that article writes none of its words (`search_conversation`)."""
    if has_cjk(question) or asked_detail(question) not in ("number", "date", "place"):
        return False
    if any(True for _ in _capitalised_inside(question)) or re.search(r"\d", question):
        return False
    return len(turn_words(question, analyzer, ASKING)) <= MIN_CONTENT_WORDS


# "the" and the two words after it: one word repeated is any question's ("the day", "the government", "the next":
# a reviewer's, whose "What time of the day did the rocket lift off?" after a question on the day of a crash was
# searched with the crash)
_THE_TWO = re.compile(r"\bthe\s+([A-Za-z][A-Za-z'-]*)\s+([A-Za-z][A-Za-z'-]*)", re.IGNORECASE)


def after_a_change_of_subject(question: str) -> str | None:
    """The question after an opener that changes the subject ("By the way, what did Vance say?" → "what did Vance
    say?", ところで、バンスは? → バンスは?); None when it opens otherwise, is nothing but the opener, or is no text (the
    searcher's validation says what is wrong with it)."""
    if not isinstance(question, str):
        return None
    m = EN_NEW_TOPIC.match(question) or JA_NEW_TOPIC.match(question)
    rest = question[m.end():].strip() if m else ""
    # "Btw?" is no question of its own, nor "Next question, please." (a reviewer's: searched as "please.")
    return rest if re.search(r"\w", rest) and not small_talk(rest) else None


# words that ask for more of the answer, not about another topic ("explain in more detail, please", 「あと、具体的な数字を
# 教えてください」): no follow-up's own topic (a reviewer's)
ASKING = EN_DISCOURSE | JA_DISCOURSE | frozenset({
    "detail", "details", "detailed", "please", "more", "tell", "elaborate", "expand", "specific", "specifically",
    "exact", "exactly", "number", "numbers", "figure", "figures", "後", "具体", "具体的", "詳しい", "詳細", "教える",
    "下さる", "もう", "少し", "説明", "数字", "数値", "知る", "知りたい", "分かる", "易い", "貰える", "貰う", "お願い",
    "さらに", "更に", "御", "願う"})
# the words around small talk's own ("thank you very much", "Got it, that's helpful")
_TALK_FILLERS = frozenset({"you", "very", "much", "so", "a", "lot", "that's", "thats", "that", "it", "is", "was", "got",
                           "really"})


def small_talk(question: str) -> bool:
    """A greeting or a thanks and nothing else ("Thanks!", "ok, thank you", ありがとう👍), or a message of no word ("👍"):
    it asks nothing, and names no topic. Not "Is it?" nor "Yes, was it?", which ask."""
    if not has_word(question):
        return True
    if has_cjk(question):  # but its letters: an emoji or a mark after ありがとう is no word (a reviewer's)
        # (nor a long vowel's mark, which the letters keep: なるほどー, 了解ですー)
        return JA_SMALL_TALK.fullmatch("".join(c for c in question if c.isalnum() and c not in "ー〜～")) is not None
    words = english_words(question)
    if question.rstrip().endswith(("?", "？")) and any(w in _ASKING_FILLERS for w in words):
        return False  # "Yes, is it?" asks (a reviewer's)
    return (any(w in EN_SMALL_TALK for w in words)  # not "Is it?", which asks
            and all(w in EN_SMALL_TALK or w in _TALK_FILLERS for w in words))


# the fillers that ask when the message ends with a question mark ("Yes, is it?", "ok, was it?"; not "Thanks,
# that's it")
_ASKING_FILLERS = frozenset({"is", "was", "it", "that"})


def refers_back_en(question: str) -> bool:
    named = False
    for word in EN_WORD.findall(question):
        lower = word.lower()
        if lower in EN_STRONG or (lower in EN_WEAK and not named):
            return True
        named = named or (word[0].isupper() and lower not in EN_FUNCTION)
    return False


def asked_detail(question: str) -> answer_type.Kind | None:
    """The kind of detail a follow-up asks for ("When was that?": a date; なぜ?: a reason), None for a statement.
    English fronts what it asks for, so only its first words are read ("What did he say when they met?" asks for
    what he said); Japanese puts it before the final predicate, so a question with Japanese in it is read whole
    when its first words ask for nothing ("When did 習近平 say that?" asks for a date)."""
    words = _LEADING.sub("", question).split()
    # the cue starts at the first or second word ("When…", "In which year…"), and may run over a few more
    kind = answer_type.classify(" ".join(words[:LEAD_WORDS]), "en", before=len(" ".join(words[:2])))
    if kind == "statement" and has_cjk(question):
        kind = answer_type.classify(question, "ja")
    return None if kind == "statement" else kind
