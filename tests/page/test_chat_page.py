"""The chat page at / in real Chromium against a real server, through the stable hooks: textarea[name=question],
[data-role=answer], button[data-cite] and <mark>."""

from __future__ import annotations

import json
import re
import threading

import pytest

from page_support import ARTIFACTS, HOSTILE_DOC, HOSTILE_QUESTION

try:  # the answers team's fake OpenAI-compatible server, as conftest.py imports it
    from answers.fake_llm import DEFAULT_CONTENT
except ImportError:  # pragma: no cover - when tests/ becomes a package
    from tests.answers.fake_llm import DEFAULT_CONTENT

pytestmark = pytest.mark.slow

EN_QUESTION = "What did Lavrov say about an alliance with China?"
JA_QUESTION = "ラヴロフ外相は中国との同盟について何と言ったか"
ANSWER = "[data-role=answer]"
QUESTION = "textarea[name=question]"


def open_page(page, server):
    page.goto(server.url + "/")
    page.wait_for_selector(QUESTION)


def ask(page, question: str) -> None:
    page.fill(QUESTION, question)
    page.press(QUESTION, "Enter")


def wait_done(page) -> str:
    """The finished answer's state: done or error."""
    page.wait_for_selector(f"{ANSWER}[data-state=done], {ANSWER}[data-state=error]")
    return page.get_attribute(ANSWER, "data-state")


def hold_the_model(server, after: int = 3) -> threading.Event:
    """The model replies, sends `after` tokens, and holds the rest until the returned gate is set."""
    gate = threading.Event()
    llm = server.llm
    llm.behaviours, llm.gate, llm.gate_after = ("reply",), gate, after
    return gate


def an_answer_arriving(page, server) -> tuple[threading.Event, list[dict]]:
    """The page asks EN_QUESTION and shows the first of an answer the model holds: (its gate, the chat requests
    the page has sent)."""
    gate = hold_the_model(server)
    sent: list[dict] = []
    page.on("request", lambda r: sent.append(json.loads(r.post_data)) if r.url.endswith("/v1/chat/completions")
            else None)
    open_page(page, server)
    ask(page, EN_QUESTION)
    page.wait_for_function("s => (document.querySelector(s)?.textContent || '').length > 0", arg=ANSWER)
    return gate, sent


def test_the_answer_text_grows_while_the_stream_is_still_open(watched, page_server):
    page, _ = watched
    gate = hold_the_model(page_server)
    llm = page_server.llm
    open_page(page, page_server)
    ask(page, EN_QUESTION)
    early = "".join(llm.tokens()[:3])
    # the model has sent three tokens and holds the rest until the gate opens: the page already shows them
    page.wait_for_function("([s, t]) => document.querySelector(s)?.textContent === t", arg=[ANSWER, early])
    assert page.get_attribute(ANSWER, "data-state") == "streaming" and not gate.is_set()
    gate.set()
    assert wait_done(page) == "done"
    final = page.text_content(ANSWER)
    assert final.startswith(early) and len(final) > len(early)
    assert final.startswith("Lavrov said Russia is open to discussing the building of a true alliance with China [1].")
    assert "[9]" not in final and page.locator(f"{ANSWER} button[data-cite]").count() == 1


def test_clicking_a_marker_shows_the_cited_passage_highlighted_in_its_article(watched, page_server):
    page, watch = watched
    reference = page_server.chat(EN_QUESTION)
    results = reference["search_results"]
    open_page(page, page_server)
    ask(page, EN_QUESTION)
    assert wait_done(page) == "done"
    buttons = page.locator(f"{ANSWER} button[data-cite]")
    # a button per marker; the annotations are one per cited passage
    markers = re.findall(r"\[(\d+)\]", reference["choices"][0]["message"]["content"].split("\n\nSources:\n")[0])
    assert buttons.count() == len(markers) >= len(set(markers)) == len(reference["choices"][0]["message"]["annotations"])
    # the page shows the same answer the API gives, markers as buttons
    assert page.text_content(ANSWER) == reference["choices"][0]["message"]["content"].split("\n\nSources:\n")[0]
    # sources from one article are told apart by where their passages begin, for the eye and for a screen reader
    names = [page.locator("button.source-open").nth(i).get_attribute("aria-label") for i in range(len(results))]
    assert len(set(names)) == len(names) == page.locator("button.source-open").count()
    for i, (name, r) in enumerate(zip(names, results)):
        assert name.startswith(f"Source {i + 1}: {r['title']}, the passage “{r['snippet'][:20]}"), name
    assert len({r["title"] for r in results}) < len(results)  # the case it is for: here, titles repeat
    for i in range(buttons.count()):
        button = buttons.nth(i)
        n = int(button.get_attribute("data-cite"))
        cited = results[n - 1]
        button.click()
        mark = page.locator("#panel mark")
        mark.wait_for()
        page.wait_for_function("t => document.querySelector('#panel-title').textContent === t", arg=cited["title"])
        assert mark.text_content() == page_server.raw(cited["doc_id"])[cited["start"] : cited["end"]]
        assert mark.text_content() == cited["snippet"]
        assert page.locator("mark").count() == 1
        in_view = page.evaluate("""() => {
            const m = document.querySelector('#panel mark').getBoundingClientRect();
            const box = document.querySelector('#panel-text').getBoundingClientRect();
            return m.top < box.bottom && m.bottom > box.top && m.top >= 0 && m.top < window.innerHeight; }""")
        assert in_view
        if cited["date"]:
            assert page.text_content("#panel-date") == cited["date"].replace("T", " ")
        source = page.locator("#panel-source")
        if cited["source_url"]:
            assert source.is_visible() and source.get_attribute("href") == cited["source_url"]
        else:
            assert source.is_hidden()
        if i == 0:
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "chat-citation.png"), full_page=False)
        page.keyboard.press("Escape")
        page.locator("#panel").wait_for(state="hidden")
        assert page.evaluate("document.activeElement.dataset.cite") == str(n)  # focus back on the marker
    assert watch.errors == []


def test_the_ranked_passages_can_be_shown_and_opened(watched, page_server):
    page, _ = watched
    reference = page_server.chat(EN_QUESTION)
    open_page(page, page_server)
    ask(page, EN_QUESTION)
    wait_done(page)
    page.click("details.ranked summary")
    opens = page.locator("details.ranked button.passage-open")
    assert opens.count() == len(reference["passages"])
    last = reference["passages"][-1]
    opens.nth(opens.count() - 1).click()
    page.wait_for_function("t => document.querySelector('#panel mark')?.textContent === t", arg=last["text"])


def test_hostile_seed_markup_is_shown_as_text_and_never_runs(watched, page_server):
    page, watch = watched
    reference = page_server.chat(HOSTILE_QUESTION)
    assert any(r["doc_id"] == HOSTILE_DOC for r in reference["search_results"])
    open_page(page, page_server)
    ask(page, HOSTILE_QUESTION)
    assert wait_done(page) == "done"
    page.click("details.ranked summary")
    hostile = [i for i, r in enumerate(reference["search_results"]) if r["doc_id"] == HOSTILE_DOC]
    for i in hostile:
        page.click(f"{ANSWER} button[data-cite='{i + 1}']")
        page.locator("#panel mark").wait_for()
        page.wait_for_function("() => document.querySelector('#panel-text').textContent.includes('<script>')")
    page.goto(f"{page_server.url}/documents/{HOSTILE_DOC}?start=0&end=40")
    page.wait_for_function("() => document.querySelector('#doc-text mark') !== null")
    assert "<script>" in page.text_content("#doc-title") + page.text_content("#doc-text")
    # nothing ran, and none of the seed's markup became an element
    assert watch.dialogs == []
    assert page.evaluate("typeof window.__pwned") == "undefined"
    for selector in ("img", "svg", "iframe", "a[href^='javascript' i]", "[onerror]", "[onload]"):
        assert page.locator(selector).count() == 0, selector
    assert [s.get_attribute("src") for s in page.locator("script").all()] == ["/static/document.js"]


def test_hostile_markup_in_the_chat_answer_stays_text(watched, page_server):
    page, watch = watched
    open_page(page, page_server)
    ask(page, HOSTILE_QUESTION)
    wait_done(page)
    page.click("details.ranked summary")
    assert "<img" in page.text_content("details.ranked") or "<script>" in page.text_content("details.ranked")
    assert page.evaluate("typeof window.__pwned") == "undefined" and watch.dialogs == []
    for selector in ("img", "svg", "iframe", "a[href^='javascript' i]", "[onerror]", "[onload]"):
        assert page.locator(selector).count() == 0, selector
    assert [s.get_attribute("src") for s in page.locator("script").all()] == ["/static/app.js"]


def _sent(watch) -> int:
    return sum(u.endswith("/v1/chat/completions") for u in watch.requests)


def test_enter_during_ime_composition_does_not_send_and_shift_enter_adds_a_line(watched, page_server):
    page, watch = watched
    open_page(page, page_server)
    page.fill(QUESTION, "ラヴロフ外相")
    # a real composition (CDP's IME emulation): the Enter that confirms it arrives with isComposing set
    cdp = page.context.new_cdp_session(page)
    page.focus(QUESTION)
    cdp.send("Input.imeSetComposition", {"text": "は", "selectionStart": 1, "selectionEnd": 1})
    page.keyboard.press("Enter")
    # what some browsers send instead: keyCode 229 (the "IME is processing" key), isComposing unset
    page.dispatch_event(QUESTION, "keydown", {"key": "Enter", "keyCode": 229, "bubbles": True, "cancelable": True})
    assert _sent(watch) == 0 and page.locator(".turn").count() == 0
    open_page(page, page_server)  # CDP's emulated composition never ends: start again without one
    page.fill(QUESTION, "ラヴロフ外相は")
    page.keyboard.press("Shift+Enter")
    page.keyboard.type("中国との同盟について何と言ったか")
    assert _sent(watch) == 0 and page.locator(".turn").count() == 0
    assert page.input_value(QUESTION) == "ラヴロフ外相は\n中国との同盟について何と言ったか"
    page.press(QUESTION, "Enter")
    assert wait_done(page) == "done"
    assert _sent(watch) == 1 and page.locator(".turn").count() == 1


def test_a_japanese_question_is_answered_in_japanese_with_lang_set(watched, page_server):
    page, _ = watched
    reference = page_server.chat(JA_QUESTION)
    open_page(page, page_server)
    ask(page, JA_QUESTION)
    assert wait_done(page) == "done"
    # the question's and the answer's text are Japanese; the labels around them stay the page's English
    assert page.get_attribute(".message.user .text", "lang") == "ja" and page.get_attribute(ANSWER, "lang") == "ja"
    assert page.get_attribute(".message.assistant", "lang") is None and page.get_attribute("html", "lang") == "en"
    assert page.text_content(".message.assistant .lang") == "Detected language: Japanese (日本語, ja)"
    # the page shows its own list of sources, not the plain one under the answer's Japanese heading
    assert page.text_content(ANSWER) == reference["choices"][0]["message"]["content"].split("\n\n出典:\n")[0]
    assert page.locator(f"{ANSWER} button[data-cite]").count() > 0
    page.click(f"{ANSWER} button[data-cite='1']")
    cited = reference["search_results"][0]
    page.wait_for_function("t => document.querySelector('#panel mark')?.textContent === t", arg=cited["snippet"])
    # a follow-up in the same conversation: the earlier turn goes along, and a second answer appears
    ask(page, "それはいつ？")
    page.wait_for_function("() => document.querySelectorAll('.turn').length === 2")
    assert wait_done(page) == "done"
    assert page.locator(ANSWER).count() == 1  # the hook always names the latest answer


def test_a_general_question_is_answered_without_quotes_and_its_list_is_called_the_closest_passages(watched,
                                                                                                    page_server):
    """No passage is about "Tell me a joke" (rag/answers/coverage/): the answer says so and has no markers, and the
    passages under it are not called its sources. A greeting is answered as small talk: no list, no count of it."""
    page, _ = watched
    open_page(page, page_server)
    greeting = page_server.chat("hello")
    assert greeting["covered"] is False and greeting["search_results"] == []
    ask(page, "hello")
    assert wait_done(page) == "done"
    assert page.text_content(ANSWER) == greeting["choices"][0]["message"]["content"]
    assert page.locator(".message.assistant ol.sources li").count() == 0
    assert page.text_content("#status") == "Answered."
    open_page(page, page_server)
    reference = page_server.chat("Tell me a joke")
    assert reference["covered"] is False
    ask(page, "Tell me a joke")
    assert wait_done(page) == "done"
    assert page.text_content(ANSWER) == reference["choices"][0]["message"]["content"].split("\n\nSources:\n")[0]
    assert page.locator(f"{ANSWER} button[data-cite]").count() == 0
    assert page.text_content(".message.assistant h3.sub") == "Closest passages"
    assert page.locator(".message.assistant ol.sources li").count() == len(reference["search_results"]) == 3
    assert page.text_content("#status") == "No passage found seems to answer this; the 3 closest are listed."
    ask(page, JA_QUESTION)  # a question the articles answer: its list is called the sources again
    page.wait_for_function("() => document.querySelectorAll('.turn').length === 2")
    assert wait_done(page) == "done"
    assert page.locator(".turn").nth(1).locator("h3.sub").first.text_content() == "Sources"


@pytest.mark.parametrize(("question", "heading"), [(EN_QUESTION, "Sources:"), (JA_QUESTION, "出典:")])
def test_the_copy_button_copies_the_answer_with_its_sources(watched, page_server, question, heading):
    page, _ = watched
    reference = page_server.chat(question)
    content = reference["choices"][0]["message"]["content"]
    # the plain list's heading is in the question's language, as the rest of the answer's framing is
    answer, found, _ = content.partition(f"\n\n{heading}\n")
    assert found and ("Sources:" in content) == (heading == "Sources:")
    open_page(page, page_server)
    ask(page, question)
    wait_done(page)
    # named for its question (every turn's button was "Copy answer"), its visible label first
    page.get_by_role("button", name=f"Copy answer: {question}", exact=True).click()
    page.wait_for_function("() => document.querySelector('#status').textContent === 'Answer copied.'")
    copied = page.evaluate("navigator.clipboard.readText()")
    other = "出典:" if heading == "Sources:" else "Sources:"
    assert copied.startswith(answer + f"\n\n{heading}\n[1] ") and copied.count(heading) == 1 and other not in copied
    assert reference["search_results"][0]["url"] in copied


def test_a_model_answer_that_cites_no_passage_says_so_and_lists_the_first_it_read(watched, page_server):
    """It carried no sources at all; now the first three it read are listed, and the status does not call them the
    sources it answered with."""
    page, _ = watched
    llm = page_server.llm
    llm.behaviours, llm.gate, llm.content = ("reply",), None, "Russia is open to an alliance with China, Lavrov said."
    try:
        open_page(page, page_server)
        ask(page, EN_QUESTION)
        assert wait_done(page) == "done"
    finally:
        llm.behaviours, llm.content = ("error500",), DEFAULT_CONTENT
    assert page.text_content(ANSWER) == "Russia is open to an alliance with China, Lavrov said."
    assert page.locator(".message.assistant ol.sources li").count() == 3
    assert page.text_content("#status") == "The answer cites no passage; the first 3 it was drawn from are listed."


@pytest.mark.parametrize("failure", ["rejected", "network"])
def test_a_failed_request_leaves_the_input_usable(watched, page_server, failure):
    page, _ = watched
    open_page(page, page_server)
    if failure == "rejected":  # the service's own refusal: over max_query_chars
        question = "x" * 2500
    else:  # the connection fails
        question = EN_QUESTION
        page.route("**/v1/chat/completions", lambda route: route.abort("connectionreset"))
    ask(page, question)
    assert wait_done(page) == "error"
    assert page.locator("[role=alert]").is_visible()
    if failure == "rejected":  # the service's own words, not just a status
        assert "the last user message has 2500 characters; the limit is" in page.locator("[role=alert]").inner_text()
    textarea = page.locator(QUESTION)
    assert textarea.is_enabled() and textarea.input_value() == question
    assert page.evaluate("document.activeElement.name") == "question"
    assert page.locator("#send").is_enabled()
    if failure == "network":  # said in words a reader can act on, not the browser's "Failed to fetch"
        assert "could not be reached" in page.locator("[role=alert]").inner_text()
    page.unroute("**/v1/chat/completions")
    page.fill(QUESTION, EN_QUESTION)
    page.click("#send")
    page.wait_for_selector(f"{ANSWER}[data-state=streaming], {ANSWER}[data-state=done]")
    assert wait_done(page) == "done"
    # the retry took the failed turn's place: one question, one answer, no error left above it
    assert page.locator(".turn").count() == 1 and page.locator("[role=alert]").count() == 0


def test_controls_have_labels_and_a_sensible_focus_order(watched, page_server):
    page, _ = watched
    open_page(page, page_server)
    assert page.get_by_label("Your question").get_attribute("name") == "question"
    assert page.evaluate("document.activeElement.name") == "question"  # ready to type on load
    order = []
    for _ in range(2):
        page.keyboard.press("Tab")
        order.append(page.evaluate("document.activeElement.textContent"))
    assert order == ["Ask", "New conversation"]
    assert page.get_by_role("dialog", include_hidden=True).get_attribute("aria-labelledby") == "panel-title"


def test_the_article_view_highlights_the_passage_a_citation_url_names(watched, page_server):
    page, _ = watched
    cited = page_server.chat(EN_QUESTION)["search_results"][0]
    page.goto(cited["url"])
    page.wait_for_function("t => document.querySelector('#doc-text mark')?.textContent === t", arg=cited["snippet"])
    assert page.text_content("#doc-title") == cited["title"]
    # the reader starts at the passage: it has the focus (a screen reader reads it first), in view
    page.wait_for_function("() => document.activeElement?.tagName === 'MARK'")
    assert page.evaluate("window.scrollY") > 0


def test_a_passage_after_emoji_and_rare_kanji_is_highlighted_where_the_service_says(watched, page_server):
    """The service's positions count characters; a JavaScript string counts 🚢 and 𠮷 as two units each: sliced as
    such, every one before a passage moved its highlight, and the article's end was cut off."""
    page, watch = watched
    raw = page_server.raw(HOSTILE_DOC)
    start = raw.index("船はムルマンスク")
    end = raw.index("航行する。", start) + len("航行する。")
    assert sum(ord(ch) > 0xFFFF for ch in raw[:start]) == 2
    page.goto(f"{page_server.url}/documents/{HOSTILE_DOC}?start={start}&end={end}")
    page.wait_for_function("() => document.querySelector('#doc-text mark') !== null")
    assert page.text_content("#doc-text mark") == raw[start:end]
    assert page.text_content("#doc-text").rstrip().endswith(raw.rstrip()[-40:])  # the whole article, to its end
    assert watch.errors == []


def test_a_new_conversation_stops_the_answer_still_arriving_and_forgets_it(watched, page_server):
    page, watch = watched
    gate, sent = an_answer_arriving(page, page_server)
    llm = page_server.llm
    page.click("#new-chat")
    assert page.locator(".turn").count() == 0 and page.locator("#send").is_enabled()
    llm.behaviours = ("error500",)  # the next answer is extractive
    gate.set()  # the old answer's model finishes: nothing of it may come back
    ask(page, JA_QUESTION)
    assert wait_done(page) == "done"
    assert sent[-1]["messages"] == [{"role": "user", "content": JA_QUESTION}]  # the old turn did not carry over
    assert page.locator(".turn").count() == 1 and EN_QUESTION not in page.text_content("#log")
    assert watch.errors == []


def test_an_open_source_keeps_the_focus_when_an_answer_finishes(watched, page_server):
    page, _ = watched
    open_page(page, page_server)
    ask(page, EN_QUESTION)
    assert wait_done(page) == "done"
    gate = hold_the_model(page_server)
    ask(page, JA_QUESTION)
    page.wait_for_function("s => (document.querySelector(s)?.textContent || '').length > 0", arg=ANSWER)
    page.click("[data-role=earlier-answer] button[data-cite='1']")  # reading a source while the answer arrives
    page.locator("#panel mark").wait_for()
    gate.set()
    assert wait_done(page) == "done"
    assert page.evaluate("document.activeElement.id") == "panel-close" and page.locator("#panel").is_visible()


def test_the_panel_around_the_question_box_escape_ime_copy_phone_and_the_answers_language(browser, watched,
                                                                                          page_server):
    page, _ = watched
    # a page served over plain http from another host is no secure context: the copy falls back to a textarea
    page.add_init_script("Object.defineProperty(window, 'isSecureContext', { get: () => false })")
    open_page(page, page_server)
    ask(page, EN_QUESTION)
    assert wait_done(page) == "done"
    # a quoted answer is in the articles' language: screen readers voice it in Japanese, the turn stays English
    assert page.get_attribute(ANSWER, "lang") == "ja"
    assert page.get_attribute(".message.assistant", "lang") is None  # its labels are the page's (en)
    assert page.text_content(".message.assistant .lang") == ("Detected language: English (en) · the answer quotes "
                                                               "the articles")
    copy = page.get_by_role("button", name="Copy answer")
    copy.focus()
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.querySelector('#status').textContent === 'Answer copied.'")
    assert page.evaluate("document.activeElement.classList.contains('copy')")  # the reader keeps their place
    page.click(f"{ANSWER} button[data-cite='1']")
    page.locator("#panel mark").wait_for()
    page.focus(QUESTION)
    page.type(QUESTION, "ほっかい")
    # the Escape that cancels an IME conversion is the IME's: the panel stays
    page.eval_on_selector(QUESTION, """q => q.dispatchEvent(new KeyboardEvent('keydown',
        { key: 'Escape', isComposing: true, bubbles: true }))""")
    assert page.locator("#panel").is_visible()
    page.keyboard.press("Escape")  # a plain one closes it; someone typing keeps typing
    assert page.locator("#panel").is_hidden()
    assert page.evaluate("document.activeElement.name") == "question"
    assert page.input_value(QUESTION) == "ほっかい"
    # on a phone the panel takes the bottom of the screen: the question box can still be scrolled above it
    page.set_viewport_size({"width": 375, "height": 740})
    page.click(f"{ANSWER} button[data-cite='1']")
    page.locator("#panel mark").wait_for()
    page.focus(QUESTION)
    page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
    box, panel = (page.locator(s).bounding_box() for s in (QUESTION, "#panel"))
    assert box["y"] + box["height"] <= panel["y"], (box, panel)


def test_enter_while_an_answer_arrives_keeps_the_question_and_an_answer_cut_off_stays_readable(watched, page_server):
    page, watch = watched
    gate, sent = an_answer_arriving(page, page_server)
    ask(page, JA_QUESTION)  # Enter while the answer streams: said so, and the question waits in the box
    assert "still arriving" in page.text_content("#status")
    assert page.locator(".turn").count() == 1 and page.input_value(QUESTION) == JA_QUESTION and len(sent) == 1
    gate.set()
    assert wait_done(page) == "done"
    first = page.text_content(ANSWER)
    # the next stream stops before its last chunk (the server went away): what arrived stays, marked as cut off
    partial = "ラブロフ外相は中国との [1] 同盟関"
    chunk = {"id": "c", "object": "chat.completion.chunk", "created": 0, "model": "newsrag",
             "choices": [{"index": 0, "delta": {"role": "assistant", "content": partial}, "finish_reason": None}]}
    page.route("**/v1/chat/completions", lambda route: route.fulfill(
        status=200, content_type="text/event-stream", body=f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n"))
    page.press(QUESTION, "Enter")
    page.wait_for_selector(f"{ANSWER}[data-state=error]")
    alert = page.locator(f"{ANSWER} [role=alert]")
    assert page.text_content(ANSWER) == partial + alert.text_content()
    assert "broke off" in alert.text_content() and "ended early" in alert.text_content()
    assert page.locator(f"{ANSWER} button[data-cite='1']").is_disabled()  # no sources came: nothing to open
    assert page.input_value(QUESTION) == JA_QUESTION and page.locator("#send").is_enabled()
    page.unroute("**/v1/chat/completions")
    page.press(QUESTION, "Enter")
    assert wait_done(page) == "done"
    # the cut-off turn is not part of the conversation the service is sent
    assert [m["role"] for m in sent[-1]["messages"]] == ["user", "assistant", "user"]
    assert sent[-1]["messages"][1]["content"] == first and sent[-1]["messages"][2]["content"] == JA_QUESTION
    assert watch.errors == []


_CONTRAST = """sels => {
  const rgb = s => { const m = s.match(/[\\d.]+/g).map(Number); return { c: m.slice(0, 3), a: m.length > 3 ? m[3] : 1 }; };
  const lum = c => c.map(v => v / 255).map(v => v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4)
                    .reduce((s, v, i) => s + v * [0.2126, 0.7152, 0.0722][i], 0);
  const ground = el => { for (let e = el; e; e = e.parentElement) { const b = rgb(getComputedStyle(e).backgroundColor);
                                                                   if (b.a > 0) return b.c; } return [255, 255, 255]; };
  const out = {};
  for (const s of sels) {
    const el = document.querySelector(s);
    const [a, b] = [lum(rgb(getComputedStyle(el).color).c), lum(ground(el))];
    out[s] = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
  }
  out.page = lum(ground(document.body));
  return out;
}"""


def test_the_page_follows_a_dark_system_scheme_and_its_text_keeps_its_contrast_in_both(watched, page_server):
    page, watch = watched
    open_page(page, page_server)
    ask(page, EN_QUESTION)
    assert wait_done(page) == "done"
    page.click(f"{ANSWER} button[data-cite='1']")
    page.locator("#panel mark").wait_for()
    texts = [".top p", "#hint", ".message.user .text", ANSWER, ".message .who", f"{ANSWER} button[data-cite]",
             "#send", "#status", "#panel mark", "#panel-text", "#panel-view"]
    seen = {}
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        seen[scheme] = page.evaluate(_CONTRAST, texts)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"chat-{scheme}.png"))  # for a person to look at
        low = {s: round(r, 2) for s, r in seen[scheme].items() if s != "page" and r < 4.5}
        assert low == {}, (scheme, low)  # WCAG AA for body text
    assert seen["light"]["page"] > 0.8 and seen["dark"]["page"] < 0.02  # a light page, and a dark one
    assert watch.errors == []


def test_stop_keeps_what_arrived_and_a_source_chosen_meanwhile_waits_for_the_reader(watched, page_server,
                                                                                   monkeypatch):
    page, watch = watched
    open_page(page, page_server)
    ask(page, "   ")  # nothing to send: said, not silently ignored
    assert page.text_content("#status") == "Type a question first." and page.locator(".turn").count() == 0
    for i in range(2):  # enough turns that the next one starts below the fold
        ask(page, f"{EN_QUESTION} ({i})")
        assert wait_done(page) == "done"
    gate = threading.Event()
    llm = page_server.llm
    tokens = llm.tokens()
    held = tokens.index("]") + 3  # the model holds the rest after the first marker's sentence (and the space after it)
    monkeypatch.setattr(llm, "hang_s", 60.0)
    llm.behaviours, llm.gate, llm.gate_after = ("reply",), gate, held
    ask(page, JA_QUESTION)
    page.wait_for_selector(f"{ANSWER} button[data-cite='1']")
    # the new turn is scrolled into view
    page.wait_for_function("() => { const t = [...document.querySelectorAll('.turn')].pop().getBoundingClientRect();"
                           " return t.top >= 0 && t.top < window.innerHeight; }")
    assert page.get_attribute("#send", "aria-label") == "Stop the answer"
    page.click(f"{ANSWER} button[data-cite='1']")  # a source chosen while the answer arrives…
    assert page.text_content("#status") == "The source opens when the answer is complete."
    page.focus(QUESTION)  # …then the reader starts typing a follow-up
    page.type(QUESTION, "それはいつ")
    page.click("#send")  # Stop
    page.wait_for_selector(f"{ANSWER}[data-state=stopped]")
    gate.set()
    assert page.text_content(ANSWER) == "".join(tokens[:held]).rstrip() + "Stopped; this answer is incomplete and unsourced."
    assert page.get_attribute("#send", "aria-label") == "Ask" and page.text_content("#send") == "Ask"
    assert page.locator(f"{ANSWER} button[data-cite='1']").is_disabled() and page.locator("#panel").is_hidden()
    assert page.evaluate("document.activeElement.name") == "question" and page.input_value(QUESTION) == "それはいつ"
    assert "Stopped" in page.text_content("#status") and watch.errors == []
    # an answer that finishes while the reader types opens the chosen source without taking the focus from them
    llm.gate = gate = threading.Event()
    page.fill(QUESTION, JA_QUESTION)
    page.press(QUESTION, "Enter")
    page.wait_for_selector(f"{ANSWER} button[data-cite='1']")
    page.click(f"{ANSWER} button[data-cite='1']")
    page.focus(QUESTION)
    page.type(QUESTION, "次に")
    gate.set()
    assert wait_done(page) == "done"
    assert page.locator("#panel").is_hidden() and page.evaluate("document.activeElement.name") == "question"
    assert page.text_content("#status").endswith("The source you chose is ready: choose its marker again to open it.")


def test_a_busy_service_is_said_with_when_to_try_again(watched, page_server):
    page, _ = watched
    open_page(page, page_server)
    body = {"error": {"message": "too many requests", "type": "rate_limit_exceeded", "param": None, "code": "429"}}
    page.route("**/v1/chat/completions", lambda route: route.fulfill(
        status=429, content_type="application/json", headers={"Retry-After": "3"}, body=json.dumps(body)))
    ask(page, EN_QUESTION)
    assert wait_done(page) == "error"
    assert page.locator("[role=alert]").inner_text() == "Could not answer: too many requests; try again in 3 s"
