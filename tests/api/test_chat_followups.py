"""Follow-ups through the chat endpoint (the real app over the session index): a follow-up is searched through the
earlier user turns, a stand-alone question exactly as on its own, and a one-message chat exactly as /v1/search."""

from __future__ import annotations

import re
from typing import Any

import pytest

from api_support import sse_chunks

DOC = "001_9c689277a1938a75"


def passages(client, messages: list[dict[str, str]], top_k: int = 5) -> list[dict[str, Any]]:
    r = client.post("/v1/chat/completions", json={"messages": messages, "top_k": top_k})
    assert r.status_code == 200, r.text
    return r.json()["passages"]


def user(text: str) -> dict[str, str]:
    return {"role": "user", "content": text}


def test_a_japanese_follow_up_finds_the_passage_on_the_earlier_turns_topic(client):
    first, follow_up = "ハリコフでのロシアの攻勢はいつ始まった？", "北京はそれをどう見ている？"
    raw = client.get(f"/v1/documents/{DOC}").json()["raw"]
    quote = "北京は、これが戦争の決定的瞬間であることを認識している"

    def first_rank(found: list[dict[str, Any]]) -> int | None:
        return next((i + 1 for i, p in enumerate(found) if p["citation"]["doc_id"] == DOC
                     and quote in raw[p["citation"]["start"]:p["citation"]["end"]]), None)

    through = passages(client, [user(first), {"role": "assistant", "content": "5月10日です [1]。"}, user(follow_up)])
    alone = passages(client, [user(follow_up)])
    assert first_rank(through) == 1
    assert first_rank(alone) != 1


@pytest.mark.parametrize("earlier", [
    ["How long did Putin and Xi talk in Moscow?"],
    ["イランはロシアに何を提供した？", "And North Korea?"],
])
def test_a_stand_alone_question_after_unrelated_turns_gets_exactly_its_own_passages(client, earlier):
    question = "What did Lavrov say about an alliance with China?"
    messages = [m for e in earlier for m in (user(e), {"role": "assistant", "content": "An earlier answer."})]
    assert passages(client, [*messages, user(question)]) == passages(client, [user(question)])


def test_a_one_message_chat_ranks_exactly_as_a_search(client):
    question = "プーチン大統領と習近平国家主席の会談はどこで行われたか"
    search = client.post("/v1/search", json={"query": question, "top_k": 5}).json()["results"]
    chat = passages(client, [{"role": "system", "content": "Be brief."}, user(question)])
    assert [(p["passage_id"], p["score"]) for p in chat] == [(h["passage_id"], h["score"]) for h in search]


@pytest.mark.parametrize("thanks", ["Thanks!", "ok, thank you very much", "ありがとうございました。"])
def test_a_thanks_after_an_answer_is_answered_as_small_talk_not_with_the_answers_quotes_again(client, thanks):
    question = "What did Lavrov say about an alliance with China?"
    # the service's own answer, its Sources list included, as a client sends it back (a reviewer's: an answer without
    # the list left the path a listed answer takes untried)
    answered = client.post("/v1/chat/completions", json={"messages": [user(question)]}).json()
    said_before = answered["choices"][0]["message"]["content"]
    assert "Sources:" in said_before
    messages = [user(question), {"role": "assistant", "content": said_before}, user(thanks)]
    body = client.post("/v1/chat/completions", json={"messages": messages}).json()
    alone = client.post("/v1/chat/completions", json={"messages": [user(thanks)]}).json()
    # answered as a greeting is: not searched, nothing quoted, no passages listed (a reviewer's: the passages closest
    # to "thanks" were listed as sources)
    from rag.answers.coverage import SMALL_TALK

    said = body["choices"][0]["message"]["content"]
    assert body["covered"] is False and said == alone["choices"][0]["message"]["content"]
    # a thanks is answered "you're welcome" first (a probe's: the bare prompt read oddly after a thank-you)
    assert said == ("どういたしまして。" + SMALL_TALK["ja"] if thanks.startswith("あ") else
                    "You're welcome. " + SMALL_TALK["en"])
    assert body["passages"] == alone["passages"] == [] and "Sources:" not in said


@pytest.mark.parametrize("stream", [False, True])
def test_small_talk_and_its_reply_between_an_answer_and_its_follow_up_change_nothing(client, stream):
    """A reviewer's: after "thanks!" the last assistant message is the reply to it, whose Sources list held the
    passages closest to "thanks"; the follow-up was drawn from that list's article ("When was that?" after the Lavrov
    question answered from 004, not 001). The reply lists nothing now, and the answer before a follow-up is the last
    one that answered a question, whose sources and first sentence the follow-up reads."""
    def chat(messages: list[dict[str, str]]) -> tuple[str, list[str]]:
        body = client.post("/v1/chat/completions", json={"messages": messages}).json()
        return body["choices"][0]["message"]["content"], [p["passage_id"] for p in body["passages"]]

    for question, follow_up, thanks in (("What did Lavrov say about an alliance with China?", "When was that?", "thanks!"),
                                        ("What did Lavrov say about an alliance with China?", "Where did he say it?",
                                         "ok 👍"),
                                        ("How long did Putin and Xi talk?", "When was that?", "Thanks, that's helpful.")):
        answered, _ = chat([user(question)])
        reply, listed = chat([user(question), {"role": "assistant", "content": answered}, user(thanks)])
        assert "Sources:" not in reply and listed == []  # small talk is not searched: no answer before to read
        plain = chat([user(question), {"role": "assistant", "content": answered}, user(follow_up)])
        chatty = [user(question), {"role": "assistant", "content": answered}, user(thanks),
                  {"role": "assistant", "content": reply}, user(follow_up)]
        r = client.post("/v1/chat/completions", json={"messages": chatty, "stream": stream})
        assert r.status_code == 200, r.text
        if stream:
            text = "".join(c["choices"][0]["delta"].get("content") or "" for c in sse_chunks(r.text)
                           if c.get("choices"))
            assert text.split("\n\nSources:")[0] == plain[0].split("\n\nSources:")[0], (question, follow_up, thanks)
        else:
            body = r.json()
            assert (body["choices"][0]["message"]["content"], [p["passage_id"] for p in body["passages"]]) == plain, (
                question, follow_up, thanks)


def test_a_follow_up_about_the_author_is_answered_from_the_article_the_chat_was_on(client):
    """"What is his main argument?" after "Who wrote the article about Xi and Putin?" asks about Philip Ivanov's
    article (003), whose source line the first answer showed; its words carried over found Korybko's articles."""
    first = "Who wrote the article about Xi and Putin?"
    shown = passages(client, [user(first)])[0]["citation"]["doc_id"]
    messages = [user(first), {"role": "assistant", "content": "フィリップ・イワノフ [1]"}, user("What is his main argument?")]
    r = client.post("/v1/chat/completions", json={"messages": messages})
    assert r.status_code == 200, r.text
    body = r.json()
    assert {p["citation"]["doc_id"] for p in body["passages"]} == {shown} == {"003_4dfd093ef708d448"}
    assert body["citations"] and all(f"/documents/{shown}?" in url for url in body["citations"])  # the cited URLs


def assistant(text: str) -> dict[str, str]:
    return {"role": "assistant", "content": text}


@pytest.mark.parametrize("follow_up", ["Tell me more about source [2].", "[2]について詳しく教えて",
                                       "What does the second source say?", "出典２の記事には何が書いてある？"])
def test_a_question_about_a_numbered_source_of_the_answer_before_is_answered_from_that_source(client, follow_up):
    """A probe's: "Tell me more about source [2]" was answered from source [1]'s article, and [2]について詳しく教えて
    was "not covered". The answer's "Sources:" list, which the client sends back, says which passage [2] is."""
    first = "プーチンと習近平はいつ会談した?"
    body = client.post("/v1/chat/completions", json={"messages": [user(first)]}).json()
    cited = body["search_results"]
    assert len(cited) >= 2 and cited[0]["doc_id"] != cited[1]["doc_id"]
    messages = [user(first), assistant(body["choices"][0]["message"]["content"]), user(follow_up)]
    found = client.post("/v1/chat/completions", json={"messages": messages}).json()
    assert {p["citation"]["doc_id"] for p in found["passages"]} == {cited[1]["doc_id"]}
    assert found["passages"][0]["citation"]["title"] == cited[1]["title"]  # its article first
    assert found["covered"] and found["search_results"]


def test_the_numbered_sources_are_read_from_the_last_answer_before_the_question():
    from api.chat_schemas import ChatMessage
    from api.openai_compat import cited_before

    def message(role: str, content: str) -> ChatMessage:
        return ChatMessage(role=role, content=content)

    listed = ("An answer [1][2].\n\nSources:\n[1] Title A (2025-02-28) http://h/documents/000_a?start=0&end=10 — https://x\n"
              "[2] Title B http://h/documents/004%20b?start=5&end=20")
    assert cited_before([message("user", "q1"), message("assistant", listed), message("user", "q2")]) == \
        {1: "000_a#0-10", 2: "004 b#5-20"}
    # an answer without the list (a client that drops it, another model's), or none before the question: nothing
    assert cited_before([message("user", "q1"), message("assistant", "An answer."), message("user", "q2")]) == {}
    assert cited_before([message("user", "q1")]) == {}
    # the last answer counts, not an earlier one
    assert cited_before([message("user", "q1"), message("assistant", listed), message("user", "q2"),
                         message("assistant", "Another answer."), message("user", "q3")]) == {}
    # a reply that quotes none of its sources (the not-covered notice lists the closest passages): it was drawn from
    # none of them, so a follow-up is not kept to the first one's article (a reviewer's)
    from rag.answers.coverage import NOT_COVERED

    for lang in ("en", "ja"):
        notice = listed.replace("An answer [1][2].", NOT_COVERED[lang])
        assert cited_before([message("user", "q1"), message("assistant", notice), message("user", "q2")]) == {}
    # an answer whose markers a client stripped or rewrote still lists what it was drawn from (a reviewer's)
    for rewritten in ("An answer¹².", "An answer [^1][^2].", "An answer."):
        assert cited_before([message("user", "q1"), message("assistant", listed.replace("An answer [1][2].", rewritten)),
                             message("user", "q2")]) == {1: "000_a#0-10", 2: "004 b#5-20"}


@pytest.mark.parametrize("question", ["What articles do you have?", "どんな記事がある?"])
def test_a_question_about_what_the_service_holds_lists_its_newest_articles_as_sources(client, question):
    """A probe's: 記事は何本ある? and どんな記事がある? were answered with sentences that mention articles."""
    body = client.post("/v1/chat/completions", json={"messages": [user(question)], "top_k": 5}).json()
    content = body["choices"][0]["message"]["content"]
    articles = int(re.search(r"(\d+) articles|(\d+)本の記事", content).group(1 if "articles" in content else 2))
    assert body["covered"] and len(body["search_results"]) == articles > 5  # every article of the seeds, past top_k
    assert len(body["choices"][0]["message"]["annotations"]) == articles
    assert all(r["title"] in content for r in body["search_results"])
    dates = [r["date"] for r in body["search_results"] if r["date"]]
    assert dates == sorted(dates, reverse=True)


def test_a_follow_up_asking_when_is_answered_from_the_document_the_answer_before_was_drawn_from(client):
    """A probe's: after the answer on the documents Xi and Putin signed (its first source the joint statement's
    article), それはいつ? was answered with 2月24日, another article's call between them. The answer's "Sources:"
    list, which the client sends back, says which article the chat is on; its sentence that dates the signing now
    opens the answer."""
    first = "習近平とプーチンはどんな文書に署名した?"
    body = client.post("/v1/chat/completions", json={"messages": [user(first)]}).json()
    signed = body["search_results"][0]["doc_id"]
    raw = client.get(f"/v1/documents/{signed}").json()["raw"]
    assert "2025年5月8日" in raw
    messages = [user(first), assistant(body["choices"][0]["message"]["content"]), user("それはいつ?")]
    found = client.post("/v1/chat/completions", json={"messages": messages}).json()
    answer = found["choices"][0]["message"]["content"]
    assert "2025年5月8日" in answer.split("[", 1)[0], answer
    assert found["search_results"][0]["doc_id"] == signed


def test_the_first_sentence_of_the_answer_before_is_read_up_to_its_first_marker():
    from api.chat_schemas import ChatMessage
    from api.openai_compat import answer_before

    def message(role: str, content: str) -> ChatMessage:
        return ChatMessage(role=role, content=content)

    def before(answer: str) -> str:
        return answer_before([message("user", "q1"), message("assistant", answer), message("user", "q2")])

    assert before("宮崎県の杉本和臣知事は21日、要請した。[1] 杉本知事は…[2]\n\nSources:\n[1] x") == "宮崎県の杉本和臣知事は21日、要請した"
    assert before("Todo scored the winner. He plays for Freiburg.") == "Todo scored the winner"
    # an initial's or a title's full stop ends no sentence (a reviewer's: "U.S. officials…" was read as "U.S")
    assert before("U.S. officials said Lavrov met Mr. Rubio. He left.") == "U.S. officials said Lavrov met Mr. Rubio"
    assert before("Gov. Sugimoto met Prof. Ito, e.g. on No. 3. Then") == "Gov. Sugimoto met Prof. Ito, e.g. on No. 3"
    assert before("Asked if he would run, he said No. Rubio left.") == "Asked if he would run, he said No"  # no number
    assert before("…藤堂が決勝ゴール 国立に6万人2025年10月15日 07:12[1] 次の文。[1]") == "…藤堂が決勝ゴール 国立に6万人2025年10月15日 07:12"
    assert answer_before([message("user", "q1")]) == ""
    # a client's greeting before any question is the answer before; the reply to small talk is not
    assert answer_before([message("assistant", "Hello. Ask me."), message("user", "q2")]) == "Hello"
    assert answer_before([message("user", "q1"), message("assistant", "Lavrov said so.[1]"), message("user", "thanks!"),
                          message("assistant", "Ask me."), message("user", "q2")]) == "Lavrov said so."
    # read from the answer's head: a run of spaces costs nothing (a reviewer's: a lazy match backtracked over it, and
    # a 150 KB message held the server's event loop for 19 s)
    assert before("a" + " " * 200_000 + "b") == "a"


def test_the_answer_before_and_its_sources_are_read_off_the_event_loop(client, monkeypatch):
    """A reviewer's: reading a long answer sent back held the server's event loop (every other request waited), so
    the earlier answer is read in the worker thread that searches, where no event loop runs."""
    import asyncio

    from api.controllers import chat

    on_loop: dict[str, list[bool]] = {"answer_before": [], "cited_before": []}  # each call's: on the loop?

    def watched(name: str, read):
        def run(messages):
            try:
                asyncio.get_running_loop()
                on_loop[name].append(True)
            except RuntimeError:
                on_loop[name].append(False)
            return read(messages)
        return run

    monkeypatch.setattr(chat, "answer_before", watched("answer_before", chat.answer_before))
    monkeypatch.setattr(chat, "cited_before", watched("cited_before", chat.cited_before))
    messages = [user("Who is Russia's foreign minister?"), {"role": "assistant", "content": "ラブロフ外相です [1]。"},
                user("What did he say?")]
    passages(client, messages)
    assert on_loop == {"answer_before": [False], "cited_before": [False]}


def test_he_after_a_question_for_a_person_is_the_person_the_answer_before_gave(client):
    """A probe's: "Which club does he play for?" after "Who scored Japan's winning goal?" answered for the other
    scorer, whom the turn's words found too. The answer the client sends back gives the person."""
    first = "ロシアの外相は誰か"
    body = client.post("/v1/chat/completions", json={"messages": [user(first)]}).json()
    said = body["choices"][0]["message"]["content"]
    assert "ラブロフ" in said.split("[", 1)[0]
    messages = [user(first), assistant(said), user("彼は西側について何と述べたか")]
    answer = client.post("/v1/chat/completions", json={"messages": messages}).json()["choices"][0]["message"]["content"]
    lead = answer.split("[", 1)[0]
    assert "西側" in lead and "「" in lead and ("ラブロフ" in lead or "ラヴロフ" in lead), answer
