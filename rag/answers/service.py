"""answer_question: retrieve, then answer with the configured LLM or, failing that, extractively."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import httpx

from ..errors import LLMError
from ..retrieval import Searcher
from ..retrieval.conversation import search_conversation
from ..retrieval.engine import Filters, SearchResult, detect_language
from ..retrieval.followup import after_a_change_of_subject, asked_detail
from ..retrieval.intake import plain
from ..retrieval.references import cited_source
from ..retrieval.sources import asks_for_source, source_kind
from ..settings import Settings
from ..types import Citation, Hit
from .collection import LISTED, asks_about_collection, collection_answer, collection_result
from .coverage import CLOSEST, not_covered_message, passages_cover, top
from .extractive import extractive_answer
from .llm import chat_completion
from .markers import renumber
from .model import Answer
from .prompt import build_prompt
from .selection import DEFAULT_SELECTION, FOLLOW_UP_SELECTION

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Retrieval:
    """What an answer is made from: the ranking for the question, the earlier user turns that shaped it, and the
    chat client's own instructions (its system messages), which only a model's answer reads."""

    result: SearchResult
    earlier: tuple[str, ...]
    context: str | None  # the conversation query, when the question was a follow-up
    started: float  # perf_counter() when the request began, for took_ms
    instructions: str = ""
    reply_tokens: int | None = None  # the most tokens the client reads of the reply (a chat's max_tokens)
    about_collection: bool = False  # "What articles do you have?": the hits are the newest articles (collection.py)
    answered: str | None = None  # the document the answer before was drawn from, for a follow-up that depends on it
    elsewhere: bool = False  # the follow-up's own words find their topic in another document (ConversationSearch)
    before: str = ""  # the answer before's first sentence, for a follow-up: the reader has just read it
    person: str | None = None  # whom a follow-up's pronoun points to (ConversationSearch.person)
    matching: int | None = None  # with filters, how many articles they let through (a question about the collection)

    @property
    def focus(self) -> str:
        """The text the answer's sentences are scored against: the conversation for a follow-up."""
        return self.context or self.result.query


# how deep a question about one numbered source looks in its document for the passages of its article
CITED_DEPTH = 20


def retrieve(searcher: Searcher, question: str, top_k: int, history: Sequence[str] = (),
             instructions: str = "", reply_tokens: int | None = None,
             cited: Mapping[int, str] | None = None, answer: str = "", scope: Filters | None = None) -> Retrieval:
    """Search for `question` (a follow-up also through the earlier user turns `history`); QueryError on bad input.
    `instructions` (the chat client's system messages) are not searched: they go to the model's prompt. `cited`: the
    passage ids of the answer before's numbered sources ({2: "doc#start-end"}); a question about one ("Tell me more
    about [2]", 出典2の記事はいつ公開された?) is searched as a follow-up about it within its document, the passages of
    its article first; one about several ("Compare [1] and [2]") within their documents. `answer`: the first sentence
    of the answer before, whose person a follow-up may point to ("Which club does he play for?"). `scope`: the
    caller's filters (/v1/ask's, as /v1/search takes them): the passages are drawn from those documents and dates."""
    t0 = time.perf_counter()
    # each turn as its words read (full-width Latin as ASCII, stray combining marks dropped), for the follow-up's rules
    # as for its search, which reads it so (rag.retrieval.intake.plain)
    question, history = _plain(question), [_plain(h) for h in history]
    if _lists_articles(question):
        # answered from the index's list of articles, whatever came before; its errors, and its place among the
        # questions being answered, as a search's
        query, tokens = searcher.check(question, top_k)
        with searcher.intake.admit(tokens):
            result, matching = collection_result(searcher, query, detect_language(query),
                                                 min(max(top_k, LISTED), searcher.settings.max_top_k), scope)
        return Retrieval(result, (), None, t0, instructions, reply_tokens, about_collection=True, matching=matching)
    question, filters, row = _cited_scope(searcher, question, cited)
    filters = filters or scope  # a question about cited sources keeps to them (a chat, which cites, takes no filters)
    # the searcher's validation is the one place that rejects bad input; a question about one source looks deeper,
    # so that its article's passages are there to come first
    depth = min(max(top_k, CITED_DEPTH), searcher.settings.max_top_k) if row is not None else top_k
    # the document the follow-up is about: the one a numbered source names (出典2の出来事はいつ?), none when it names
    # several ("Compare [1] and [2]"), else the answer before's
    if row is not None:
        answered, quoted = _doc(searcher, row), None
    elif history and _lists_articles(history[-1]):
        answered = quoted = None  # the answer before listed the articles: it was drawn from none of them (a reviewer's)
    else:
        answered = None if filters is not None else _answered(searcher, cited)
        quoted = cited.get(1) if answered is not None and cited else None  # the passage it was drawn from first
    found = search_conversation(searcher, [*history, question], depth, filters=filters, answered=answered,
                                quoted=quoted, answer=answer, sources=_sources(searcher, cited, answered))
    if row is not None:
        found = replace(found, result=replace(found.result, hits=_cited_first(searcher, found.result.hits, row, top_k,
                                                                               question)))
    earlier = tuple(h for h in history if h.strip()) if found.dependent else ()
    return Retrieval(found.result, earlier, found.context, t0, instructions, reply_tokens,
                     answered=answered if found.context is not None else None, elsewhere=found.elsewhere,
                     before=answer if found.context is not None else "", person=found.person)


def _lists_articles(question: str) -> bool:
    """Whether a user turn asks for the index's list of articles, after an opener that changes the subject too."""
    return asks_about_collection(after_a_change_of_subject(question) or question)


def _cited_scope(searcher: Searcher, question: str, cited: Mapping[int, str] | None
                 ) -> tuple[str, Filters | None, int | None]:
    """(the question as it is searched, its filters, the cited row): for a question about numbers the answer before
    listed, the question as `cited_source` reads it, kept to their documents, and the row when it names one; the
    question as it is otherwise (a number that answer did not list leaves it so)."""
    ref = cited_source(question) if cited else None
    if ref is None or cited is None:
        return question, None, None
    passages = searcher.index.passages
    rows = [r for n in ref[0] if (r := passages.row_of(cited.get(n, ""))) is not None]
    if not rows or len(rows) != len(ref[0]):
        return question, None, None
    filters = Filters(doc_ids=tuple(dict.fromkeys(_doc(searcher, r) for r in rows)))
    return ref[1], filters, rows[0] if len(rows) == 1 else None


def _answered(searcher: Searcher, cited: Mapping[int, str] | None) -> str | None:
    """The document of the answer before's first source, if it listed one the index holds."""
    row = searcher.index.passages.row_of(cited.get(1, "")) if cited else None
    return None if row is None else _doc(searcher, row)


def _sources(searcher: Searcher, cited: Mapping[int, str] | None, answered: str | None) -> tuple[str, ...]:
    """The documents a follow-up with no word of its own is searched within (`search_conversation`): for a model's
    answer, those of all the answer before's sources, which the model reads again (a reviewer's: held to the first
    one's, a model never saw the other article of an answer that cited two); for the extractive answer, which is held
    to the answer before's document anyway (`_on_the_answer_before`), that one: searched within all the sources, the
    seen conversations' follow-ups found their passages less often (docs/chat.md)."""
    if answered is None or not searcher.settings.llm_base_url:
        return ()
    passages = searcher.index.passages
    rows = [passages.row_of(p) for _, p in sorted((cited or {}).items())]
    return tuple(dict.fromkeys(_doc(searcher, r) for r in rows if r is not None))


def _doc(searcher: Searcher, row: int) -> str:
    return searcher.index.passages.doc_ids[int(searcher.index.passages.doc[row])]


def _cited_first(searcher: Searcher, hits: Sequence[Hit], row: int, top_k: int, question: str) -> tuple[Hit, ...]:
    """The hits of a question about one numbered source: the cited passage first (taken from the index when the search
    did not find it), then the other passages of its article, then the rest of its document's, each part in its
    order; another article's source lines are left out (they name another author). A question about the source is
    shown the cited article's source lines first (`source_lines_first`). `top_k` of them, the scores in their
    places."""
    passage = searcher.index.passages[row]
    cited = next((h for h in hits if h.passage.passage_id == passage.passage_id), None)
    cited = cited or Hit(rank=0, score=0.0, passage=passage, citation=searcher.index.citation(row),
                         source=searcher.index.passages.is_source(row))
    rest = sorted((h for h in hits if h.passage.passage_id != passage.passage_id
                   and not (h.source and h.passage.article != passage.article)),
                  key=lambda h: h.passage.article != passage.article)
    order = [cited, *rest]
    scores = [h.score for h in hits] or [0.0]
    out = tuple(replace(h, rank=i + 1, score=scores[min(i, len(scores) - 1)]) for i, h in enumerate(order))
    if asks_for_source(question) and not cited.source:
        out = searcher.source_lines_first(out, source_kind(question))
    return out[:top_k]


def _plain(turn: object) -> object:
    """A turn as its words read, unless that leaves nothing (combining marks alone), which the searcher's check then
    refuses as holding no word; not text as it is, for the check to refuse."""
    if not isinstance(turn, str):
        return turn
    read = plain(turn)
    return read if read.strip() else turn


def answer_question(searcher: Searcher, question: str, top_k: int, settings: Settings,
                    *, client: httpx.Client | None = None, history: Sequence[str] = (),
                    scope: Filters | None = None) -> Answer:
    """Answer `question` from the top_k passages (within `scope`'s documents and dates, if given); raises QueryError
    for bad input, never for LLM failures."""
    return answer_retrieved(retrieve(searcher, question, top_k, history, scope=scope), searcher, settings,
                            client=client)


def answer_retrieved(r: Retrieval, searcher: Searcher, settings: Settings, *,
                     client: httpx.Client | None = None) -> Answer:
    """The whole answer for a finished retrieval (the LLM's reply in one piece, or the extractive answer)."""
    question, hits, lang, version = r.result.query, r.result.hits, r.result.lang, r.result.index_version
    fallback: str | None = None
    if settings.llm_base_url and not r.about_collection:  # the index's list is answered as it is, count included
        try:
            text, citations = llm_answer(question, hits, lang, settings, client, r.earlier, r.instructions,
                                         r.reply_tokens)
        except LLMError as exc:
            fallback = str(exc)
            logger.warning("llm answer failed, falling back to extractive: %s", fallback)
        except Exception as exc:  # noqa: BLE001 - an LLM failure of any kind must still produce an answer
            fallback = f"unexpected {exc.__class__.__name__}"
            logger.warning("llm answer failed, falling back to extractive: %s", fallback, exc_info=True)
        else:
            return Answer(question, text, citations, hits, _ms(r.started), "llm", None, version, lang, r.result.shed)
    text, citations, covered = extractive(r, searcher, settings)
    return Answer(question, text, citations, hits, _ms(r.started), "extractive", fallback, version, lang,
                  r.result.shed, covered)


def extractive(r: Retrieval, searcher: Searcher, settings: Settings) -> tuple[str, tuple[Citation, ...], bool]:
    """(text, citations, covered): the best sentences of the passages found, or, when those passages are not about
    the question (rag/answers/coverage/; RAG_NOT_COVERED_BELOW, or RAG_NOT_COVERED_BELOW_JA for a Japanese
    question), a line saying so that quotes nothing and cites the closest few as sources, without markers. A
    follow-up is not checked (its hits mix two searches)."""
    hits, lang = r.result.hits, r.result.lang
    if r.about_collection:
        text, citations = collection_answer(searcher, hits, lang, r.matching)
        return text, citations, True
    floor = settings.not_covered_below_ja if lang == "ja" else settings.not_covered_below
    if r.context is None and not _covers(searcher, r.result.query, hits, floor):
        logger.info("extractive answer: the passages found are not about the question; none quoted")
        return not_covered_message(lang), closest(hits), False
    # a follow-up's own words (the question, where the conversation it was searched with is the focus)
    own = r.result.query if r.context is not None else None
    text, citations = extractive_answer(r.focus, _on_the_answer_before(r), searcher, lang,
                                        selection=(DEFAULT_SELECTION if r.context is None or r.elsewhere
                                                   else FOLLOW_UP_SELECTION),
                                        asked=asked_detail(r.result.query), within=r.answered, own=own,
                                        before=r.before, person=r.person)
    return text, citations, True


def _on_the_answer_before(r: Retrieval) -> Sequence[Hit]:
    """The passages a follow-up's answer is drawn from: those of the document the answer before was drawn from, when
    the search found some; all of them otherwise. "Why?", "How old is he?" and "And energy?" were answered from other
    articles, which the conversation's words meet too (a probe's finding). A name swap ("And Iran?") is held to it as
    well: the seen conversations' swaps ask about the same article far more often than not (docs/answers.md); one
    whose name the conversation's passages do not mention is searched as a question of its own, with no answer
    before to keep to. The ranking shown is not changed."""
    hits = r.result.hits
    # nor a question about the source ("Who wrote it?"), whose source line the search puts first (a reviewer's), nor
    # one whose own words find their topic in another document ("and the sumo tournament, how many days were sold
    # out?" after a question on a bank merger: a probe's; ConversationSearch.elsewhere)
    if r.context is None or r.answered is None or asks_for_source(r.result.query) or r.elsewhere:
        return hits
    return [h for h in hits if h.passage.doc_id == r.answered] or hits


def _covers(searcher: Searcher, question: str, hits: Sequence[Hit], min_cosine: float) -> bool:
    """passages_cover, failing open: a check that breaks must not cost the reader the answer."""
    try:
        return passages_cover(searcher, question, hits, min_cosine)
    except Exception:  # noqa: BLE001 - any failure of the check leaves the answer as it was without it
        logger.warning("the coverage check failed; answering as if the passages were about the question",
                       exc_info=True)
        return True


def llm_answer(question: str, hits: Sequence[Hit], lang: str, settings: Settings,
               client: httpx.Client | None = None, earlier: Sequence[str] = (), instructions: str = "",
               reply_tokens: int | None = None) -> tuple[str, tuple[Citation, ...]]:
    """Generated text with markers renumbered to the passages actually cited; LLMError on any failure."""
    if not hits:
        raise LLMError("no passages retrieved")
    prompt = build_prompt(question, hits, lang, settings.llm_max_prompt_tokens, earlier, instructions)
    if client is None:
        with httpx.Client(timeout=settings.llm_timeout_s) as own:
            reply = chat_completion(own, settings, prompt.as_messages(), reply_tokens)
    else:
        reply = chat_completion(client, settings, prompt.as_messages(), reply_tokens)
    text, cited = renumber(reply, len(prompt.hits))
    if not text:
        raise LLMError(f"reply held nothing but invalid citation markers: {reply[:80]!r}")
    logger.info("llm answer: %d passages in prompt (%d tokens), %d cited", len(prompt.hits), prompt.tokens, len(cited))
    return text, model_sources(prompt.hits, cited)


def closest(hits: Sequence[Hit]) -> tuple[Citation, ...]:
    """The first few passages found, distinct, as the sources of an answer that cites none by a marker."""
    return tuple(dict.fromkeys(h.citation for h in top(hits, CLOSEST)))


def model_sources(read: Sequence[Hit], cited: Sequence[int]) -> tuple[Citation, ...]:
    """The passages a model's answer cites by its markers (numbers into `read`, the prompt's passages); when it cites
    none (a model that writes no markers, or only markers pointing at no passage), the first passages it read, listed
    without markers as a not-covered answer lists its closest: an answer always shows where to check it."""
    if cited:
        return tuple(read[n - 1].citation for n in cited)
    logger.info("llm answer cites no passage by a marker: listing the first %d it read as its sources", CLOSEST)
    return closest(read)


def _ms(t0: float) -> float:
    return (time.perf_counter() - t0) * 1000
