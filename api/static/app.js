// The chat page: streams answers from /v1/chat/completions, turns each [n] into a button that opens the cited
// passage inside its article. Answers and seed text are untrusted: they reach the page through textContent and
// attributes only, never as markup. No request leaves this service.
import { loadPassage, renderPassage, setLink, showDate, webUrl } from "./article.js";

const JAPANESE = /[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff]/;
const LANGUAGES = { en: "English (en)", ja: "Japanese (日本語, ja)" };
const MARKER = /\[(\d+)\]/g;
// the heading of the service's plain-text source list, in the question's language (rag/answers/model.py)
const HEADINGS = { en: "Sources:", ja: "出典:" };
const FOOTERS = Object.values(HEADINGS).map((heading) => `\n\n${heading}\n`);

const log = document.getElementById("log");
const form = document.getElementById("ask");
const question = document.getElementById("question");
const send = document.getElementById("send");
const status = document.getElementById("status");
const panel = document.getElementById("panel");

const history = []; // {role, content} of the finished turns, sent with every question
const replies = new WeakMap(); // assistant message element → {results, passages}
const pending = new WeakMap(); // assistant message element → the marker clicked before its sources arrived
let busy = false;
let composing = false;
let conversation = 0; // which conversation a reply belongs to: "New conversation" starts the next one
let inFlight = null; // the AbortController of the answer being streamed
let failedTurn = null; // the last turn, when it failed before any answer came: a retry replaces it
let lastTrigger = null;
let panelRequest = 0;

/** The language the service will detect: Japanese when the text holds kana or kanji. */
function detectLanguage(text) {
  return JAPANESE.test(text) ? "ja" : "en";
}

function element(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === "text") node.textContent = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key in node && typeof value !== "string") node[key] = value;
    else node.setAttribute(key, value);
  }
  node.append(...children);
  return node;
}

// -- the conversation log ----------------------------------------------------------------------------------------

function addQuestion(text, lang) {
  const item = element("li", { class: "turn" });
  const user = element("div", { class: "message user" },
    element("p", { class: "who", text: "You" }),
    element("p", { class: "text", lang, text }));
  item.append(user);
  log.append(item);
  return item;
}

function addReply(item, lang) {
  for (const old of log.querySelectorAll("[data-role=answer]")) old.dataset.role = "earlier-answer";
  const language = element("p", { class: "lang", text: languageLabel(lang) });
  const answer = element("div", { class: "text answer", lang, dataset: { role: "answer", state: "streaming" } });
  // the labels around the answer are the page's (English); the answer and the sources carry their own languages
  const reply = element("div", { class: "message assistant", "aria-busy": "true" },
    element("p", { class: "who", text: "newsrag" }), language, answer);
  item.append(reply);
  return { reply, answer, language };
}

function languageLabel(lang) {
  return `Detected language: ${LANGUAGES[lang] || lang}`;
}

/** Marker buttons and text nodes for a stretch of answer text. */
function answerNodes(text) {
  const nodes = [];
  let at = 0;
  for (const match of text.matchAll(MARKER)) {
    if (match.index > at) nodes.push(document.createTextNode(text.slice(at, match.index)));
    const label = `Source ${match[1]}`;
    nodes.push(element("button", { type: "button", class: "cite", dataset: { cite: match[1] },
                                   "aria-label": label, title: label, text: `[${match[1]}]` }));
    at = match.index + match[0].length;
  }
  if (at < text.length) nodes.push(document.createTextNode(text.slice(at)));
  return nodes;
}

/** Grows the answer element as text arrives. Only the new text becomes nodes (buttons already shown stay the same
 * elements); text after a "[" that is not closed yet waits as plain text, since a marker may arrive in pieces. */
class AnswerView {
  constructor(container) {
    this.container = container;
    this.done = 0;
    this.tail = document.createTextNode("");
    container.append(this.tail);
  }

  update(text, final = false) {
    let safe = text.length;
    const open = text.lastIndexOf("[");
    if (!final && open >= this.done && text.indexOf("]", open) === -1) safe = open;
    if (safe > this.done) {
      this.tail.before(...answerNodes(text.slice(this.done, safe)));
      this.done = safe;
    }
    this.tail.textContent = text.slice(this.done);
  }

  /** Name each marker after its source once the sources are known. */
  label(results) {
    for (const button of this.container.querySelectorAll("button[data-cite]")) {
      const result = results[Number(button.dataset.cite) - 1];
      if (!result) continue;
      const label = `Source ${button.dataset.cite}: ${result.title}`;
      button.setAttribute("aria-label", label);
      button.title = label;
    }
  }
}

// `covered` false: no passage found was about the question, and the answer quoted none; the list is of the closest
function renderSources(reply, results, passages, covered = true) {
  const parts = [];
  if (results.length) {
    const list = element("ol", { class: "sources" });
    results.forEach((r, i) => {
      // several sources are often passages of one article: each is named by where its passage begins as well
      const lead = Array.from(r.snippet || "");
      const begins = lead.length > 40 ? `${lead.slice(0, 40).join("")}…` : lead.join("");
      list.append(element("li", {},
        element("button", { type: "button", class: "source-open", dataset: { source: String(i + 1) },
                             "aria-label": `Source ${i + 1}: ${r.title}${begins ? `, the passage “${begins}”` : ""}`,
                             text: r.title }),
        element("span", { class: "date", text: r.date ? ` ${r.date.slice(0, 10)}` : "" }),
        element("span", { class: "lead", lang: "ja", "aria-hidden": "true", text: begins ? ` 「${begins}」` : "" })));
    });
    parts.push(element("h3", { class: "sub", text: covered ? "Sources" : "Closest passages" }), list);
  }
  if (passages.length) {
    const list = element("ol", { class: "passages" });
    passages.forEach((p, i) => {
      const c = p.citation;
      const lead = Array.from(p.text);
      const begins = lead.length > 40 ? `${lead.slice(0, 40).join("")}…` : lead.join("");
      list.append(element("li", {},
        element("button", { type: "button", class: "passage-open",
                             "aria-label": `Passage ${i + 1}: ${c.title}, “${begins}”`,
                             dataset: { doc: c.doc_id, start: String(c.start), end: String(c.end), title: c.title },
                             text: `${c.title}` }),
        element("span", { class: "score", text: ` score ${p.score.toFixed(3)}` }),
        element("p", { class: "snippet", lang: "ja",
                       text: lead.length > 240 ? `${lead.slice(0, 240).join("")}…` : p.text })));
    });
    parts.push(element("details", { class: "ranked" },
      element("summary", { text: `Ranked passages (${passages.length})` }), list));
  }
  // each turn's button is named for its question: a screen reader's list of buttons read "Copy answer" n times
  const asked = Array.from(reply.closest(".turn")?.querySelector(".message.user .text")?.textContent || "");
  const copy = element("button", { type: "button", class: "copy", text: "Copy answer",
                                   "aria-label": asked.length ? `Copy answer: ${asked.length > 60
                                     ? `${asked.slice(0, 60).join("")}…` : asked.join("")}` : "Copy answer" });
  reply.append(...parts, element("div", { class: "actions" }, copy));
}

// -- talking to the service ---------------------------------------------------------------------------------------

/** POST the conversation; calls onText with the text so far as it grows; resolves with the final chunk. */
async function streamChat(messages, onText, signal) {
  let response;
  try {
    response = await fetch("/v1/chat/completions", {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "text/event-stream" },
      body: JSON.stringify({ model: "newsrag", stream: true, messages }),
      signal,
    });
  } catch (error) {
    if (signal.aborted) throw error;
    throw new Error("the service could not be reached (is it running, and is this machine online?)");
  }
  if (!response.ok) {
    const body = await response.json().catch(() => ({}));
    // the chat endpoint answers in OpenAI's error shape, {"error": {"message"}}
    const said = (body.error && body.error.message) || body.detail || `the service answered HTTP ${response.status}`;
    const wait = Number.parseInt(response.headers.get("Retry-After") || "", 10);
    throw new Error(Number.isNaN(wait) ? said : `${said}; try again in ${wait} s`);
  }
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  let text = "";
  let final = null;
  for (;;) {
    let part;
    try {
      part = await reader.read();
    } catch (error) {
      if (signal.aborted) throw error;
      throw new Error("the connection to the service was lost");
    }
    const { value, done } = part;
    buffer += decoder.decode(value || new Uint8Array(), { stream: !done });
    const events = buffer.split(/\r?\n\r?\n/);
    buffer = done ? "" : events.pop();
    for (const event of events) {
      const data = event.split(/\r?\n/).filter((l) => l.startsWith("data:")).map((l) => l.slice(5).trimStart())
        .join("\n");
      if (!data || data === "[DONE]") continue;
      let chunk;
      try {
        chunk = JSON.parse(data);
      } catch {
        throw new Error("the service sent an answer stream this page cannot read");
      }
      if (chunk.error) throw new Error(chunk.error.message || "the service reported an error mid-answer");
      const choice = chunk.choices && chunk.choices[0];
      if (!choice) continue; // the usage chunk
      const piece = choice.delta && choice.delta.content;
      // the service sends its plain-text source list as one piece; the page shows its own
      if (piece && !FOOTERS.some((footer) => piece.startsWith(footer))) {
        text += piece;
        onText(text);
      }
      if (choice.finish_reason) final = chunk;
    }
    if (done) break;
  }
  if (!final) throw new Error("the answer stream ended early");
  return { text, final };
}

async function ask(text) {
  if (!text.trim()) {
    status.textContent = "Type a question first.";
    question.focus();
    return;
  }
  if (busy) { // the question stays in the box, to be sent when the answer is done
    status.textContent = "An answer is still arriving: ask again when it is done, stop it, or start a new conversation.";
    return;
  }
  // a turn that failed before any answer came is replaced by its retry, not repeated
  if (failedTurn && failedTurn === log.lastElementChild) failedTurn.remove();
  failedTurn = null;
  busy = true;
  setStop(true);
  const mine = conversation;
  const controller = new AbortController();
  inFlight = controller;
  status.textContent = "Searching…";
  const lang = detectLanguage(text);
  const item = addQuestion(text, lang);
  const { reply, answer, language } = addReply(item, lang);
  item.scrollIntoView({ block: "start", behavior: "smooth" }); // the new turn in view; its answer grows below
  question.value = "";
  const messages = [...history, { role: "user", content: text }];
  const view = new AnswerView(answer);
  let shown = "";
  try {
    const { text: answerText, final } = await streamChat(messages, (soFar) => {
      if (!shown) status.textContent = "Answering…"; // once: a later message (a chosen source) is not overwritten
      shown = soFar;
      view.update(soFar);
    }, controller.signal);
    if (mine !== conversation) return; // the conversation was left meanwhile: nothing of it carries over
    const results = final.search_results || [];
    const passages = final.passages || [];
    const served = final.lang || lang;
    // a quoted (extractive) answer is in the articles' language, whatever the question's: screen readers voice it
    answer.lang = final.generator === "extractive" ? detectLanguage(answerText) : served;
    language.textContent = languageLabel(served) + (answer.lang !== served ? " · the answer quotes the articles" : "");
    replies.set(reply, { results, passages, text: answerText, lang: served });
    view.update(answerText, true);
    view.label(results);
    const covered = final.covered !== false;
    renderSources(reply, results, passages, covered);
    answer.dataset.state = "done";
    history.push({ role: "user", content: text }, { role: "assistant", content: answerText });
    // a model's answer that cites no passage lists the first it read, unmarked (rag/answers/service.py)
    const marked = new RegExp(MARKER.source).test(answerText);
    // small talk ("hello", 👍) is answered without a search: nothing listed, nothing to say about it
    status.textContent = !results.length ? "Answered."
      : !covered ? `No passage found seems to answer this; the ${results.length} closest are listed.`
        : marked ? `Answered with ${results.length} source(s).`
          : `The answer cites no passage; the first ${results.length} it was drawn from are listed.`;
    const waiting = pending.get(reply);
    if (waiting && waiting.isConnected) {
      // opened (and focused) only if the reader is still on that marker; someone typing meanwhile keeps typing
      if (document.activeElement === waiting || document.activeElement === document.body) openCitation(reply, waiting);
      else {
        pending.delete(reply);
        status.textContent = `${status.textContent} The source you chose is ready: choose its marker again to open it.`;
      }
    }
  } catch (error) {
    if (mine !== conversation) return; // aborted by "New conversation": its reply is gone from the page
    const stopped = controller.signal.aborted; // the reader pressed Stop
    answer.dataset.state = stopped ? "stopped" : "error";
    if (shown) { // what arrived stays readable, marked as cut off: it has no sources, and the turn is not kept
      view.update(shown, true);
      for (const button of answer.querySelectorAll("button[data-cite]")) button.disabled = true;
      answer.append(element("p", { class: "error", role: stopped ? null : "alert",
                                   text: stopped ? "Stopped; this answer is incomplete and unsourced."
                                     : `The answer broke off (${error.message}); it is incomplete and unsourced.` }));
    } else {
      answer.replaceChildren(element("p", { class: "error", role: stopped ? null : "alert",
                                            text: stopped ? "Stopped before an answer came." : `Could not answer: ${error.message}` }));
      failedTurn = item;
    }
    if (!question.value) question.value = text; // nothing typed is lost
    status.textContent = stopped ? "Stopped. The question is back in the box."
      : "The question was not answered; you can edit it and try again.";
  } finally {
    if (mine === conversation) {
      reply.setAttribute("aria-busy", "false");
      busy = false;
      setStop(false);
      inFlight = null;
      // back to the question box, unless the reader has gone elsewhere meanwhile (an open source, a link)
      const here = document.activeElement;
      if (panel.hidden && (!here || here === document.body || here === question || here === send)) question.focus();
    }
  }
}

// -- the source panel -----------------------------------------------------------------------------------------------

async function openPanel(target, trigger) {
  lastTrigger = trigger;
  const request = ++panelRequest;
  const title = document.getElementById("panel-title");
  const text = document.getElementById("panel-text");
  title.textContent = target.title || "Source";
  showDate(document.getElementById("panel-date"), target.date || null);
  setLink(document.getElementById("panel-source"), target.sourceUrl);
  const view = document.getElementById("panel-view");
  const viewUrl = `/documents/${encodeURIComponent(target.docId)}?start=${target.start}&end=${target.end}`;
  view.hidden = false;
  view.href = viewUrl;
  text.replaceChildren(document.createTextNode("Loading the article…"));
  panel.hidden = false;
  document.getElementById("panel-close").focus({ preventScroll: true });
  try {
    const passage = await loadPassage(target.docId, target.start, target.end);
    if (request !== panelRequest) return; // another source was opened meanwhile
    title.textContent = passage.title;
    showDate(document.getElementById("panel-date"), passage.published);
    setLink(document.getElementById("panel-source"), webUrl(target.sourceUrl) || passage.url);
    const mark = renderPassage(text, passage);
    mark.scrollIntoView({ block: "center" });
  } catch (error) {
    if (request === panelRequest) text.replaceChildren(document.createTextNode(`Cannot show the article: ${error.message}`));
  }
}

function openCitation(reply, button) {
  pending.delete(reply);
  const result = replies.get(reply).results[Number(button.dataset.cite || button.dataset.source) - 1];
  if (!result) {
    status.textContent = "This answer has no such source.";
    return;
  }
  openPanel({ docId: result.doc_id, start: result.start, end: result.end, title: result.title,
              date: result.date, sourceUrl: result.source_url }, button);
}

function closePanel() {
  if (panel.hidden) return;
  const within = panel.contains(document.activeElement) || document.activeElement === document.body;
  panel.hidden = true;
  panelRequest++;
  // focus goes back to the marker only from the panel itself: someone typing a question keeps typing
  if (within && lastTrigger && lastTrigger.isConnected) lastTrigger.focus();
  lastTrigger = null;
}

function copyText(reply) {
  const data = replies.get(reply);
  if (!data) return Promise.reject(new Error("nothing to copy yet"));
  const lines = data.results.map((r, i) => `[${i + 1}] ${r.title} ${r.url}`);
  const heading = HEADINGS[data.lang] || HEADINGS.en;
  const text = lines.length ? `${data.text}\n\n${heading}\n${lines.join("\n")}` : data.text;
  if (navigator.clipboard && window.isSecureContext) return navigator.clipboard.writeText(text);
  const scratch = element("textarea", { class: "visually-hidden", "aria-hidden": "true" });
  const focused = document.activeElement; // select() takes the focus; the reader keeps their place
  scratch.value = text;
  document.body.append(scratch);
  scratch.select();
  const ok = document.execCommand("copy");
  scratch.remove();
  if (focused && focused.isConnected) focused.focus();
  return ok ? Promise.resolve() : Promise.reject(new Error("the browser refused"));
}

// -- events -----------------------------------------------------------------------------------------------------

/** While an answer streams, the Ask button is a Stop button. */
function setStop(on) {
  send.textContent = on ? "Stop" : "Ask";
  send.dataset.action = on ? "stop" : "ask";
  send.setAttribute("aria-label", on ? "Stop the answer" : "Ask");
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  if (send.dataset.action === "stop" && event.submitter === send) {
    if (inFlight) inFlight.abort();
    return;
  }
  ask(question.value);
});

question.addEventListener("compositionstart", () => { composing = true; });
question.addEventListener("compositionend", () => { composing = false; });
question.addEventListener("keydown", (event) => {
  if (event.key !== "Enter" || event.shiftKey) return;
  // Enter also confirms a Japanese IME conversion: that Enter must not send the question.
  if (event.isComposing || event.keyCode === 229 || composing) return;
  event.preventDefault();
  ask(question.value);
});

document.getElementById("new-chat").addEventListener("click", () => {
  conversation++; // an answer still arriving belongs to the old conversation: stopped, and never added to history
  if (inFlight) inFlight.abort();
  inFlight = null;
  busy = false;
  failedTurn = null;
  setStop(false);
  history.length = 0;
  log.replaceChildren();
  closePanel();
  status.textContent = "New conversation.";
  question.focus();
});

document.getElementById("panel-close").addEventListener("click", closePanel);
document.addEventListener("keydown", (event) => {
  // an Escape that cancels an IME conversion belongs to the IME, not to the panel
  if (event.key === "Escape" && !(event.isComposing || event.keyCode === 229 || composing)) closePanel();
});

log.addEventListener("click", (event) => {
  const button = event.target.closest("button");
  if (!button) return;
  const reply = button.closest(".message.assistant");
  const data = reply && replies.get(reply);
  if (button.classList.contains("copy")) {
    copyText(reply).then(() => { status.textContent = "Answer copied."; },
                         (error) => { status.textContent = `Could not copy: ${error.message}`; });
    return;
  }
  if (button.dataset.cite || button.dataset.source) {
    if (data) openCitation(reply, button);
    else {  // still streaming: open it as soon as the sources are known
      pending.set(reply, button);
      status.textContent = "The source opens when the answer is complete.";
    }
    return;
  }
  if (button.dataset.doc) {
    openPanel({ docId: button.dataset.doc, start: Number(button.dataset.start), end: Number(button.dataset.end),
                title: button.dataset.title }, button);
  }
});

question.focus();
