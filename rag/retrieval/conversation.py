"""Follow-up questions: retrieval for the last user turn that also uses the earlier ones, without an LLM.

A follow-up such as "How long was it?" names nothing the index can match; the turns before it do. When the last
turn looks like it leans on earlier ones (a referring word, or almost no content words of its own), it is searched
with the content words of the recent earlier turns (rag.retrieval.topic) put before it (or, when it points back only
by "he" or 彼 and names its own topic, with the name of the person it means: rag.retrieval.referent), and its own
search only breaks near-ties of that ranking (RRF, weight 0.1). Only content words are carried over, not whole sentences, so
that what an earlier turn asked does not outweigh what the follow-up asks. A stand-alone question is searched
alone, exactly as without a conversation. A follow-up that asks the question before about another name ("What about
the US?", "And Iran?") is shown, among its first NAMED_DEPTH passages, those that mention that name first
(rag.retrieval.ellipsis): the earlier turn's words it carries found the earlier answer's passages again. A follow-up
that asks for a detail of the same thing ("When was that?", それはどこで?) is shown, among its first DETAIL_DEPTH, those
whose sentences hold that kind of detail beside the earlier words first (`detail_first`), for the same reason.

A follow-up about the article itself ("What else does the article say?", この記事の結論は?), or about "him" or "her"
after a question on who wrote it, and a chain of such follow-ups, is kept to the article of the first passage found
for the turn that named it (`article_turn`): that turn is searched again in its own recent turns, as the turn before
a question on a source is. Its words alone found other articles: "What is his main argument?" after "Who wrote the
article about Xi and Putin?" carried Xi and Putin over, and found Korybko's articles, not Philip Ivanov's.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

from ..corpus.lines import has_cjk
from ..errors import OverloadedError, QueryError
from ..stores.english import english_words
from ..stores.japanese import JapaneseAnalyzer
from ..types import Hit
from .cues import (EN_ARTICLE, EN_CONTINUING, EN_DISCOURSE, EN_FUNCTION, EN_NEW_TOPIC, EN_OTHER, EN_PERSONAL,
                   EN_SMALL_TALK, EN_SOURCE, EN_STRONG, EN_THIS_ARTICLE, EN_WEAK, EN_WORD, JA_ARTICLE, JA_CONTINUING,
                   JA_DISCOURSE, JA_FUNCTION, JA_NEW_TOPIC, JA_OTHER, JA_PERSONAL, JA_POINTING, JA_REFERRING,
                   JA_RELATIONAL, JA_SMALL_TALK, JA_SOURCE, JA_THIS_ARTICLE, NOT_TOPIC)
from .engine import Filters, SearchResult, Searcher, detect_language
from .ellipsis import mentions, named_terms, names_only
from .fusion import diversify, rrf
from .intake import has_word
from .referent import answer_person, naming, person_query
from .rerank import FEATURES, answer_type
from .sources import asks_for_source, source_kind
from .topic import topic_words

logger = logging.getLogger(__name__)

# How many user turns, the last included, make up the conversation query.
RECENT_TURNS = 3
# Both searches look deeper than top_k, so that a passage ranked a little lower in one list can still meet itself
# in the other.
POOL = 20
# the earlier turns' words a follow-up longer than a normal question still gets (tokens; ~20–40 words)
CONTEXT_TOKENS = 64
# The conversation search leads. For a follow-up the last turn's own search is mostly noise (it names little), so it
# only breaks near-ties: at rank 1 its 0.1 / 61 moves a passage about six places of the conversation ranking.
WEIGHTS = {"last": 0.1, "conversation": 1.0}
RRF_K = 60

# A follow-up that asks the question before about another name ("And Iran?") is shown, among its first this many
# passages, those that mention the name first (rag.retrieval.ellipsis; docs/chat.md, "Follow-ups that swap a name")
NAMED_DEPTH = 10

# A follow-up that asks for a detail of what the conversation is on ("When was that?", "Why?", それはどこで?) is shown,
# among its first this many passages, those whose sentences hold that kind of detail beside the earlier turns' words
# first, by the rerank stage's answer evidence at this weight (detail_first; docs/chat.md, "Follow-ups that ask for a
# detail"). Chosen on the seen conversations and one new set, checked on another (+5, −0)
DETAIL_DEPTH = 10
DETAIL_WEIGHT = 0.5
# An English follow-up asks for a detail by its first words ("How long did it last?", "Whose idea was it?"), after
# those that continue the question before
LEAD_WORDS = 6
_LEADING = re.compile(r"^\W*(?:(?:and|but|so|then|also|ok|okay|well)\b\W*)*", re.IGNORECASE)

# An earlier turn is read up to this many characters to tell whether it names a topic (a pasted article is long)
MAX_TURN_CHARS = 2000
# A follow-up with fewer content words of its own than this cannot stand alone.
MIN_CONTENT_WORDS = 2


@dataclass(frozen=True, slots=True)
class ConversationSearch:
    """The ranking for the last turn, and the conversation query that shaped it (None: the turn stood alone)."""

    result: SearchResult
    context: str | None
    # a follow-up with words of its own that its own search finds in another document than the answer before's ("And
    # the Saudi Iran deal China brokered in Beijing?" after Lavrov's alliance): its answer is not held to that one.
    # One of which that document writes nothing is a question of its own (context None)
    elsewhere: bool = False
    # the person the follow-up points to by a pronoun alone, as the answer before wrote them ("What did he say?"
    # after "Who was the MVP?" answered 「…望月投手が選ばれました」: 望月); None for any other
    person: str | None = None

    @property
    def dependent(self) -> bool:
        return self.context is not None


def depends_on_context(question: str, analyzer: JapaneseAnalyzer) -> bool:
    """True when the question continues the last one (And…?, じゃあ…), refers back (it, that, その, 同氏...) or has
    too few content words to stand alone."""
    if small_talk(question):  # "Thanks!" after an answer asks nothing of it: answered as a greeting is
        return False
    if EN_CONTINUING.search(question) or JA_CONTINUING.search(question):
        return True
    if JA_REFERRING.search(question) or _refers_back_en(question):
        return True
    # 米国については? names a place and asks about it as the question before asked (について is no second word of
    # its own); 停戦について names a topic of its own and stands alone
    # (nor are words that ask for more of the answer: 「もう少し詳しく説明してもらえますか」 continues it, a reviewer's)
    return len(_content_words(question, analyzer, _ASKING)) < MIN_CONTENT_WORDS or names_only(question, analyzer)


def _content_words(question: str, analyzer: JapaneseAnalyzer, but: frozenset[str] = frozenset(),
                   asking: bool = False) -> list[str]:
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


def _asks_for_a_source_only(question: str, analyzer: JapaneseAnalyzer) -> bool:
    """A question about an article's source that names no topic ("What is the original source?", 元記事はどこ?: its
    words are the source's own vocabulary); "Who wrote the Newsweek piece?" names one."""
    return asks_for_source(question) and not _content_words(question, analyzer, EN_SOURCE | JA_SOURCE | NOT_TOPIC)


# How far back a follow-up about the article looks for the turn that named it: past a few follow-ups about the same
# article ("What is his main argument?", "What did he conclude?", "What evidence does he give?"), not the whole chat
ARTICLE_LOOKBACK = 6


def about_the_article(question: str, earlier: Sequence[str], analyzer: JapaneseAnalyzer) -> bool:
    """Whether a follow-up asks about the article the conversation is on ("the article", the author, 筆者), or about
    its author by a pronoun after a question on who wrote it ("What is his main argument?"), also a few follow-ups
    later; not when it names something of its own ("And what does the article on North Korea say?" may be about
    another article), unless it says *this* article."""
    return article_turn(question, earlier, analyzer) is not None


def article_turn(question: str, earlier: Sequence[str], analyzer: JapaneseAnalyzer) -> int | None:
    """The index in `earlier` of the turn that named the article a follow-up about the article asks about: the last
    topical turn before it that is not itself such a follow-up (a chain of them keeps its first one's article), within
    ARTICLE_LOOKBACK turns; None when `question` is no follow-up about the article."""
    offset = max(0, len(earlier) - ARTICLE_LOOKBACK)
    turns = [t[:MAX_TURN_CHARS] for t in earlier[offset:]] + [question]
    topical: dict[int, bool] = {}
    anchors: dict[int, int | None] = {}

    def is_topical(i: int) -> bool:
        if i not in topical:
            topical[i] = bool(topic_words([turns[i]], analyzer, NOT_TOPIC))
        return topical[i]

    def anchor_of(k: int) -> int | None:  # the anchor of turns[k] asked after turns[:k]; each k worked out once
        if k in anchors:
            return anchors[k]
        text = turns[k]
        this = EN_THIS_ARTICLE.search(text) or JA_THIS_ARTICLE.search(text)
        explicit = bool(this or EN_ARTICLE.search(text) or JA_ARTICLE.search(text))
        words = {w.lower() for w in EN_WORD.findall(text)}
        personal = bool(JA_PERSONAL.search(text) or words & EN_PERSONAL)
        # "its", それ: the article, right after a follow-up about it ("And its conclusion?")
        referring = personal or bool(words & {"it", "its", "this", "that"} or JA_REFERRING.search(text))
        found: int | None = None
        if (explicit or referring) and (this or not _names_something(text, analyzer)):
            sourced = chained = False  # a question on who wrote it before: "he" is its author
            for i in range(k - 1, -1, -1):
                sourced = sourced or asks_for_source(turns[i])
                if not is_topical(i):
                    continue  # small talk, "Who wrote it?": names no article
                if anchor_of(i) is not None:  # a follow-up about the article: its anchor is further back
                    chained = True
                    continue
                found = i if explicit or (personal and sourced) or chained else None
                break
        anchors[k] = found
        return found

    found = anchor_of(len(turns) - 1)
    return None if found is None else offset + found


def _names_something(question: str, analyzer: JapaneseAnalyzer) -> bool:
    """A topic of the follow-up's own: a content word that is neither the article's nor its argument's vocabulary
    ("north korea", sanctions, 北朝鮮; not "main argument", 筆者の結論, "the US"), or a capitalised word that does not
    start a sentence (ISW; not "OK. Now what…", nor the letters of "U.S.")."""
    if any(len(w) > 1 and w.lower() not in NOT_TOPIC for w in _capitalised_inside(question)):
        return True
    own = set(_content_words(question, analyzer, EN_SOURCE | JA_SOURCE | NOT_TOPIC | EN_DISCOURSE | JA_DISCOURSE))
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
    return len(_content_words(question, analyzer, _ASKING)) <= MIN_CONTENT_WORDS


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
_ASKING = EN_DISCOURSE | JA_DISCOURSE | frozenset({
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


# the fillers that ask when the message ends with a question mark ("Yes, is it?", "ok, was it?"; not "Thanks, that's it")
_ASKING_FILLERS = frozenset({"is", "was", "it", "that"})


def _refers_back_en(question: str) -> bool:
    named = False
    for word in EN_WORD.findall(question):
        lower = word.lower()
        if lower in EN_STRONG or (lower in EN_WEAK and not named):
            return True
        named = named or (word[0].isupper() and lower not in EN_FUNCTION)
    return False


def conversation_query(turns: Sequence[str], analyzer: JapaneseAnalyzer, max_chars: int,
                       count: Callable[[str], int] | None = None, max_tokens: int | None = None) -> str:
    """The last of `turns` after the content words of the RECENT_TURNS - 1 turns before it (oldest first, each
    once), on a line of their own; the oldest words are cut first to fit max_chars and, with `count`, max_tokens
    (the whole query's tokens as `count` counts them). Just the last turn when they have none."""
    last = turns[-1].strip() if turns else ""
    # an earlier turn was never validated as a question: only its first max_chars are read
    earlier = [t[:max_chars] for t in turns[-RECENT_TURNS:-1] if t and t.strip()]
    words = topic_words(earlier, analyzer, NOT_TOPIC)
    while words and len(" ".join(words)) + 1 + len(last) > max_chars:
        words.pop(0)
    if words and count is not None and max_tokens is not None:
        words = words[_fewest_to_drop(words, last, count, max_tokens):]
    return f"{' '.join(words)}\n{last}" if words else last


def _fewest_to_drop(words: list[str], last: str, count: Callable[[str], int], max_tokens: int) -> int:
    """How many of the oldest `words` to drop so that they and `last` are at most max_tokens; a binary search (the
    tokens fall as words go, and each count runs the tokenizer). Dropping them all leaves the last turn alone."""
    low, high = 0, len(words)
    while low < high:
        mid = (low + high) // 2
        if count(f"{' '.join(words[mid:])}\n{last}") <= max_tokens:
            high = mid
        else:
            low = mid + 1
    return low


def search_conversation(searcher: Searcher, turns: Sequence[str], top_k: int = 5, mode: str | None = None,
                        filters: Filters | None = None, *, about_source: bool | None = None,
                        answered: str | None = None, quoted: str | None = None,
                        answer: str = "", sources: Sequence[str] = ()) -> ConversationSearch:
    """Rank passages for the last of `turns` (user messages, oldest first); raises QueryError for bad input.
    `about_source`: search as a question about an article's source (by default, read from the last turn's words).
    `answered`: the document the answer before was drawn from (its first source), when the client sent it back,
    `quoted` that source's passage, and `answer` its first sentence (whose person "he" may be: `person_query`);
    `sources`: the documents of all its sources."""
    if not turns:
        turns = [""]  # the searcher's own validation says what is wrong with an empty question
    last = turns[-1]
    # small talk between the questions ("thanks!", "ok 👍") names no topic: a follow-up after it is about the question
    # before it (a probe's: "Who criticized it?" after "…Toyama tram extension?", "thanks!", "ok 👍" was searched alone)
    earlier = [t for t in turns[:-1] if t and t.strip() and not small_talk(t)]
    opened = after_a_change_of_subject(last)
    if opened is not None:
        # "By the way, what did Vance say?", ところで、…: searched without the opener (ところで is no word of the topic:
        # the answer said the passages did not cover it), and on its own when it names a topic of its own and does
        # not point back; "By the way, who is the author?" names none, and is read as any follow-up is
        last = opened
        if _names_something(opened, searcher.analyzer) and not (_refers_back_en(opened) or JA_REFERRING.search(opened)):
            earlier = []
    # "Who wrote it?", 著者は?, "Whose analysis is this?": a question about the source that names no topic
    source_only = about_source is None and bool(earlier) and _asks_for_a_source_only(last, searcher.analyzer)
    # 筆者の結論は? names two words of its own, but no article: it is about the one the conversation is on
    anchor = article_turn(last, earlier, searcher.analyzer) if earlier and not source_only else None
    article = anchor is not None
    if not earlier or not (source_only or article or depends_on_context(last, searcher.analyzer)
                           or takes_up(last, earlier[-1]) or asks_a_bare_detail(last, searcher.analyzer)):
        return ConversationSearch(searcher.search(last, top_k, mode, filters, about_source=about_source), None)
    if source_only:
        # The source of the article the last answer was drawn from: the last turn that names a topic (small talk
        # after it, "Thanks!", is about nothing) searched again, in its own conversation, as a question about the
        # source. The earlier turns' words searched alone found another article for 「ロシアは中国を裏切るのか?」,
        # and "analysis" in the follow-up's own words another article's "この分析は…".
        searcher.intake.check(last)  # the follow-up's own errors first
        topical = [i for i, t in enumerate(earlier) if topic_words([t], searcher.analyzer, NOT_TOPIC)]
        # an earlier turn no normal search takes (pasted text over the limit, or long enough for the long questions'
        # queue): its words, as below
        previous = (_search_again(searcher, earlier[: topical[-1] + 1], top_k, mode, filters, about_source=True)
                    if topical else None)
        if previous is not None:
            before = previous.context or earlier[topical[-1]]
            return ConversationSearch(replace(previous.result, query=last), f"{before}\n{last.strip()}")
    # the earlier turns' words are cut to a budget of tokens: a short follow-up after long pasted turns was refused
    # as too long (the words' tokens over max_query_tokens) or sent to the long questions' queue. The budget is a
    # normal question's length, or the follow-up's own plus CONTEXT_TOKENS for a long one, never over the limit
    s = searcher.settings
    _, tokens = searcher.intake.check(last)  # the last turn's own errors first, before any tokenizing of it
    budget = min(s.max_query_tokens, max(s.heavy_query_tokens, tokens + CONTEXT_TOKENS))
    if anchor is not None:
        filters = _kept_to_the_article(searcher, earlier[: anchor + 1], top_k, mode, filters)
        # the words of the turn that named the article, when the turns just before are small talk ("Thanks!")
        earlier = [*earlier[: anchor + 1], *[t for t in earlier[anchor + 1:] if topic_words([t], searcher.analyzer,
                                                                                              NOT_TOPIC)]]
    elif (answered is not None and not asks_for_source(last) and not (EN_OTHER.search(last) or JA_OTHER.search(last))
          and not _content_words(last, searcher.analyzer, _ASKING)):
        # a follow-up with no word of its own (「何と言った?」, "Why?", "How many?") asks about what the answer before
        # was drawn from: searched within the documents it cited (a probe's: 「何と言った?」 after 「渡辺弘さんは誰?」
        # found the conversation's 渡辺 弘 nowhere the embedders looked, and quoted another article's 「もうね、…」);
        # not one asking for another ("What about the other one?")
        base = filters or Filters()
        within = tuple(d for d in (sources or (answered,)) if base.doc_ids is None or d in base.doc_ids)
        if within:
            filters = replace(base, doc_ids=within)
    bridge = searcher.bridge
    person = answer_person([*earlier, last], searcher.analyzer, bridge, answer)  # the person the answer gave
    context = person_query([*earlier, last], searcher.analyzer, bridge, RECENT_TURNS, person)
    # the name with the follow-up within both limits, as the earlier turns' words are kept (a follow-up of the limit's
    # length was refused for the characters the name added)
    if context is None or len(context) > s.max_query_chars or searcher.intake.count(context) > budget:
        context = conversation_query([*earlier, last], searcher.analyzer, s.max_query_chars, searcher.intake.count,
                                     budget)
        # "What did he say?" names nothing of its own: the earlier turns' words, and the person the answer before
        # gave when the turn it answered asked who ("Who is the governor of Miyazaki?": 杉本和臣)
        if person and context != last.strip():
            words, _, asked = context.rpartition("\n")
            about = f"{words}\n{naming(person, asked)}" if JA_PERSONAL.search(asked) else f"{person} {context}"
            context = about if len(about) <= s.max_query_chars and searcher.intake.count(about) <= budget else context
    if context == last.strip():  # the earlier turns have nothing to carry over
        return ConversationSearch(searcher.search(last, top_k, mode, filters, about_source=about_source), None)
    t0 = time.perf_counter()
    pool = min(max(POOL, top_k), searcher.settings.max_top_k)
    if about_source is None:
        about_source = asks_for_source(last)  # the follow-up's own words decide, not the earlier turns' it carries
    alone = searcher.search(last, pool, mode, filters, about_source=about_source)
    # "And Iran?": the passages that mention Iran first (a question on a source is shown its source row first)
    named = frozenset() if about_source else named_terms(last, searcher.analyzer, bridge)
    # 「じゃあ、博物館の館長は何と言った?」 after a question on a bus company's wage deal: a topic of its own, of which the
    # answer before's document writes nothing and its own search finds another, is asked as a question of its own
    # (a probe's finding: the conversation's words kept it on the old article). One whose words that document
    # writes, however generic ("Also, what did the union leader say at the press conference?"), stays with it.
    own = _own_words(searcher, last)
    if (own and not named and not about_source and answered is not None and alone.hits
            and alone.hits[0].passage.doc_id != answered and not _written_in(searcher, last, answered)):
        return ConversationSearch(replace(alone, hits=alone.hits[:top_k]), None)
    joined = searcher.search(context, pool, mode, filters, about_source=about_source)
    # "When was that?", "Why?": the passages that hold the detail asked for, beside the earlier turns' words, first
    kind = None if named or about_source or joined.mode != "hybrid" else asked_detail(last)
    # a name swap is fused over both searches whole: when none of its first NAMED_DEPTH mentions the name, the
    # follow-up's own passages further down that do come first (named_first)
    he = person if person and has_cjk(person) and not named and not about_source else None
    depth = 2 * pool if named else DETAIL_DEPTH if kind else NAMED_DEPTH if he else 0
    hits = fuse({"last": alone.hits, "conversation": joined.hits}, max(top_k, depth))
    if named:
        @lru_cache(maxsize=None)  # each passage read once, here and in named_first
        def mentioned(text: str) -> bool:
            return mentions(text, named, searcher.analyzer)

        if not any(mentioned(h.passage.text) for h in hits[:NAMED_DEPTH]):
            # the name meets nothing the conversation found ("What did Vance say?" after a question on Lavrov): it
            # is answered as a question of its own, from its passages further down (the answer's sentences are
            # scored against it alone, not against the earlier words, which chose Lavrov's)
            context = None
        hits = named_first(hits, mentioned, NAMED_DEPTH)[:top_k]
    elif kind:
        hits = detail_first(searcher, hits, joined.query, kind, answered, quoted=quoted)
    if he:
        # "he" is the person the answer before named (「…村井俊介氏は…」 after "What did Shunsuke Murai ask?"): the
        # passages that write the name first, among the first NAMED_DEPTH; the question's own words ("say", "next")
        # found others' words first (a probe's: Lavrov's speech, Trump's 言ったのか)
        written = frozenset({tuple(searcher.analyzer.terms(surname_of(he, searcher.analyzer)))}) - {()}
        if written:
            hits = named_first(hits, lambda text: mentions(text, written, searcher.analyzer), NAMED_DEPTH)
    hits = tuple(hits[:top_k])
    if about_source:
        # each search put its own article's line first: the line of the article the answer is drawn from goes first
        hits = searcher.source_lines_first(hits, source_kind(last))
    took = (time.perf_counter() - t0) * 1000
    logger.info("follow-up: fused its own search with %d earlier turn(s) in %.1f ms", len(earlier), took)
    timings = {**{f"last.{k}": v for k, v in alone.timings.items()},
               **{f"conversation.{k}": v for k, v in joined.timings.items()}}
    # either search may have been shed on its own (RAG_SHED_SPARSE_ABOVE): the fused result went without both
    result = replace(alone, hits=hits, took_ms=took, timings=timings, shed=tuple(dict.fromkeys(alone.shed + joined.shed)))
    # a follow-up with more words of its own than a stand-alone question needs, which its own search finds in another
    # document ("And the Saudi Iran deal China brokered in Beijing?", "and the sumo tournament, how many days were
    # sold out?" after a bank merger, whose article writes near terms of its words): its answer is not held to the
    # answer before's document (holding all but name swaps to it lost p57c the sumo tournament's evidence)
    elsewhere = (len(own) > MIN_CONTENT_WORDS and answered is not None and bool(alone.hits)
                 and alone.hits[0].passage.doc_id != answered)
    return ConversationSearch(result, context, elsewhere, he)


def surname_of(name: str, analyzer: JapaneseAnalyzer) -> str:
    """A Japanese person's surname, as the passages after the first write the name alone (村井俊介: 村井), the name's
    first word when Sudachi reads it as a person's and it is two characters or more (東 of 東浩紀 is the east in 「東に
    約800メートル」: a reviewer's); else the name as it is (ラブロフ)."""
    tokens = analyzer.tokens(name)
    first = tokens[0].surface if tokens else name
    return first if len(tokens) > 1 and tokens[0].pos[2:3] == ("人名",) and len(first) > 1 else name


def _own_words(searcher: Searcher, question: str) -> list[str]:
    """A follow-up's content words of its own (not those that ask for more of the answer: "tell me more details"),
    when it has as many as a stand-alone question needs and none of its words points back ("What did he say at the
    press conference?" is about the answer before's person, wherever its words lead; じゃあ only continues); [] else."""
    if _refers_back_en(question) or JA_POINTING.search(question):
        return []
    # counted with the word that asks: 「立ち往生は何台?」 after a question on a tuna auction names a topic of its own
    # as two words did before the word that asks stopped counting for a question that stands alone (a reviewer's)
    words = _content_words(question, searcher.analyzer, _ASKING, asking=True)
    return words if len(words) >= MIN_CONTENT_WORDS else []


def _written_in(searcher: Searcher, question: str, doc_id: str) -> bool:
    """Whether document `doc_id` writes any of the question's content words of its own, as the search reads each:
    its term, or a term of its groups (the bridge's and the term alignment's: "missing" is 行方 there, a near term
    counts, so that a follow-up leaves the conversation's article only when that article writes nothing of it)."""
    written = _document_terms(searcher, doc_id)
    if written is None:
        return True
    # a Japanese word that begins a term of the document is written there too (利用 in 利用者, which Sudachi reads as
    # one word: 「何人が利用している?」 after a question on a railway line left its article, which writes 1日平均利用者;
    # not 議会 in 協議会, a reviewer's)
    return any(word in written or any(not written.isdisjoint(g) for g in searcher.term_groups(word))
               or (len(word) >= 2 and not word.isascii() and any(t.startswith(word) for t in written))
               for word in _content_words(question, searcher.analyzer, _ASKING))


def _document_terms(searcher: Searcher, doc_id: str) -> frozenset[str] | None:
    """The terms of a document's passages, as their sentences were stored at the build (read as the analyzer reads
    them when the index has no sentence store); None for a document the index does not hold."""
    passages = searcher.index.passages
    rows = passages.rows_of_document(doc_id)
    if rows is None:
        return None
    store = getattr(searcher.index, "sentences", None)
    if store is not None:
        return store.terms_within(rows)
    return frozenset(t for r in rows.tolist() for t in searcher.analyzer.terms(passages[r].text))


def _kept_to_the_article(searcher: Searcher, turns: Sequence[str], top_k: int, mode: str | None,
                         filters: Filters | None) -> Filters | None:
    """`filters` kept to the document of the first passage found for the last of `turns` (the turn that named the
    article), searched again with the turns before it as its follow-up search read them (the last RECENT_TURNS);
    `filters` as they are when nothing is found, when they leave that document out, or when `_search_again` finds
    no search to make."""
    previous = _search_again(searcher, list(turns[-RECENT_TURNS:]), top_k, mode, filters)
    if previous is None or not previous.result.hits:
        return filters
    doc = previous.result.hits[0].citation.doc_id
    base = filters or Filters()
    if base.doc_ids is not None and doc not in base.doc_ids:
        return filters
    return replace(base, doc_ids=(doc,))


def _search_again(searcher: Searcher, turns: Sequence[str], top_k: int, mode: str | None, filters: Filters | None,
                  about_source: bool | None = None) -> ConversationSearch | None:
    """An earlier turn searched again in its own conversation (the last of `turns`), for a follow-up that is about
    what it found; None when that turn is not one a normal search takes: refused, or long enough for the long
    questions' one-at-a-time queue (a follow-up must not wait there: with another long question in it, a reviewer
    saw the follow-up fail with a 503), or that queue is full."""
    try:
        _, tokens = searcher.intake.check(turns[-1])
        if tokens > searcher.settings.heavy_query_tokens:
            return None
        return search_conversation(searcher, turns, top_k, mode, filters, about_source=about_source)
    except (QueryError, OverloadedError):
        return None


def named_first(hits: Sequence[Hit], mentioned: Callable[[str], bool], depth: int) -> tuple[Hit, ...]:
    """`hits` with those of the first `depth` whose text `mentioned` accepts before those it does not, each part in
    its order, or, when none of them does, those further down that it accepts before them all; the scores stay where
    they were (the first place keeps the first score), so they still fall."""
    head = list(hits[:depth])
    named = [mentioned(h.passage.text) for h in head]
    order = [h for h, n in zip(head, named) if n] + [h for h, n in zip(head, named) if not n] + list(hits[depth:])
    if not any(named):
        # the earlier turns' words and the name meet in no passage of the first `depth` ("What did Vance say?" after
        # a question on Lavrov): the follow-up's own passages that mention it, further down, come first
        deeper = [h for h in hits[depth:] if mentioned(h.passage.text)]
        moved = {h.passage.passage_id for h in deeper}
        order = deeper + head + [h for h in hits[depth:] if h.passage.passage_id not in moved]
    return tuple(replace(h, rank=i + 1, score=hits[i].score) for i, h in enumerate(order))


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


def detail_first(searcher: Searcher, hits: Sequence[Hit], context: str, kind: answer_type.Kind,
                 answered: str | None = None, depth: int = DETAIL_DEPTH, weight: float = DETAIL_WEIGHT,
                 quoted: str | None = None) -> tuple[Hit, ...]:
    """`hits` of a follow-up that asks for a detail of `kind` with its first `depth` reordered by the rerank stage's
    answer evidence for the conversation query `context`: the share of the query's terms in the best sentence that
    also holds a token of that kind new to the query (a date, a place, a reason…), `weight` times the scores' spread
    over the `depth` added to each score; the scores stay in their places (the first place keeps the first score).
    Only the passages of one document gain: the follow-up asks about what the answer before was drawn from, and a
    passage of another document put first would answer from a source that "Who wrote it?" then does not name. That
    is the `answered` document (the answer's first source) when it is among them, else the first one's. As they are
    without a reranker.

    `quoted`: the passage the answer before quoted first (its first source, when the client sent the answer back).
    "When did it take effect?" after "Do Russia and North Korea have a partnership treaty?" asks about what that
    passage says, and it comes first when it holds the detail asked for at least as well as the passage that would.
    In the chat, the conversations' follow-ups that ask for a detail then found their evidence first 12 times more
    and 5 times less (docs/chat.md, "The answer before's passage")."""
    head = list(hits[:depth])
    reranker = searcher.reranker
    if reranker is None or len(head) < 2:
        return tuple(hits)
    doc = answered if any(h.passage.doc_id == answered for h in head) else head[0].passage.doc_id
    own = [i for i, h in enumerate(head) if h.passage.doc_id == doc]
    rows = [searcher.index.passages.row_of(head[i].passage.passage_id) for i in own]
    found = reranker.features(context, detect_language(context), rows, searcher.term_groups(context), {"answer"},
                              kind)
    evidence = [0.0] * len(head)
    for i, e in zip(own, found.features[:, FEATURES.index("answer")]):
        evidence[i] = float(e)
    unit = (head[0].score - head[-1].score) or 1.0
    order = sorted(range(len(head)), key=lambda i: (-(head[i].score + weight * unit * evidence[i]), i))
    at = next((k for k, i in enumerate(order) if head[i].passage.passage_id == quoted), None) if quoted else None
    if at:  # the answer before's passage, found but not first
        i, top = order[at], order[0]
        against = evidence[top] if top in own else float(reranker.features(
            context, detect_language(context), [searcher.index.passages.row_of(head[top].passage.passage_id)],
            searcher.term_groups(context), {"answer"}, kind).features[0, FEATURES.index("answer")])
        if evidence[i] > 0 and evidence[i] >= against:
            order = [i, *order[:at], *order[at + 1:]]
    out = [head[i] for i in order] + list(hits[depth:])
    return tuple(replace(h, rank=i + 1, score=hits[i].score) for i, h in enumerate(out))


def fuse(rankings: dict[str, Sequence[Hit]], top_k: int) -> tuple[Hit, ...]:
    """RRF over several hit lists by passage, overlapping passages removed, re-ranked from 1."""
    by_id: dict[str, Hit] = {}
    ids: dict[str, int] = {}
    rows: dict[str, list[int]] = {}
    for name, hits in rankings.items():
        rows[name] = []
        for h in hits:
            pid = h.passage.passage_id
            by_id.setdefault(pid, h)
            rows[name].append(ids.setdefault(pid, len(ids)))
    fused = rrf(rows, WEIGHTS, RRF_K)
    order = sorted(fused, key=lambda r: (-fused[r], r))
    pids = list(ids)
    passages = [by_id[pid].passage for pid in pids]
    kept = diversify(order, passages, top_k)
    return tuple(replace(by_id[pids[r]], rank=i + 1, score=fused[r]) for i, r in enumerate(kept))
