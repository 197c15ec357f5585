// Loading an indexed article and showing it with one passage highlighted. Shared by the chat page's source panel
// and the article view at /documents/{doc_id}. Everything from the index is untrusted text: it only ever reaches
// the page as text nodes (textContent), never as markup.

const documents = new Map();

/** The URL if it is an absolute http(s) URL, else null (seeds may hold javascript:, data: or worse). */
export function webUrl(url) {
  if (typeof url !== "string" || !url) return null;
  try {
    const parsed = new URL(url);
    return parsed.protocol === "http:" || parsed.protocol === "https:" ? parsed.href : null;
  } catch {
    return null;
  }
}

/** The document JSON from /v1/documents/{docId}, fetched once per page. */
export async function fetchDocument(docId) {
  if (!documents.has(docId)) {
    const request = fetch(`/v1/documents/${encodeURIComponent(docId)}`, { headers: { Accept: "application/json" } })
      .then(async (response) => {
        const body = await response.json().catch(() => ({}));
        if (!response.ok) throw new Error(body.detail || `HTTP ${response.status}`);
        return body;
      });
    documents.set(docId, request);
    request.catch(() => documents.delete(docId));
  }
  return documents.get(docId);
}

/** The article around raw[start:end]: its title, date, original URL, and the text before, inside and after. */
export async function loadPassage(docId, start, end) {
  const doc = await fetchDocument(docId);
  // The service counts positions in characters (code points); a JavaScript string counts an emoji or a rare kanji
  // such as 𠮷 as two units, so every one before the passage would move the highlight. Slice code points instead.
  const raw = Array.from(doc.raw);
  if (!(Number.isInteger(start) && Number.isInteger(end) && 0 <= start && start <= end && end <= raw.length)) {
    throw new Error(`no passage at ${start}:${end} in ${docId}`);
  }
  const article = doc.articles.find((a) => a.start <= start && start < a.end) || null;
  const from = article ? Math.min(article.start, start) : 0;
  const to = article ? Math.max(article.end, end) : raw.length;
  return {
    title: article ? article.title : doc.source_file,
    published: article ? article.published : null,
    url: article ? webUrl(article.url) : null,
    before: raw.slice(from, start).join(""),
    marked: raw.slice(start, end).join(""),
    after: raw.slice(end, to).join(""),
  };
}

/** Fill `container` with the article text and a <mark> around the passage; returns the mark. */
export function renderPassage(container, passage) {
  const mark = document.createElement("mark");
  mark.textContent = passage.marked;
  container.replaceChildren(document.createTextNode(passage.before), mark, document.createTextNode(passage.after));
  return mark;
}

/** "2025-02-28T19:49" → "2025-02-28 19:49"; the datetime attribute keeps the ISO value. */
export function showDate(timeElement, published) {
  timeElement.textContent = published ? published.replace("T", " ") : "";
  if (published) timeElement.dateTime = published;
  else timeElement.removeAttribute("datetime");
}

/** Point `link` at an http(s) URL, or hide it. */
export function setLink(link, url) {
  const safe = webUrl(url);
  link.hidden = !safe;
  if (safe) link.href = safe;
  else link.removeAttribute("href");
}
