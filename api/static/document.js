// The article view at /documents/{doc_id}?start=&end=: the article with the passage highlighted and in view.
import { loadPassage, renderPassage, setLink, showDate } from "./article.js";

async function main() {
  const status = document.getElementById("doc-status");
  const docId = decodeURIComponent(location.pathname.replace(/^\/documents\//, ""));
  const params = new URLSearchParams(location.search);
  const start = Number.parseInt(params.get("start") ?? "", 10);
  const end = Number.parseInt(params.get("end") ?? "", 10);
  try {
    const passage = await loadPassage(docId, Number.isNaN(start) ? 0 : start, Number.isNaN(end) ? 0 : end);
    document.getElementById("doc-title").textContent = passage.title;
    document.title = `${passage.title} · newsrag`;
    showDate(document.getElementById("doc-date"), passage.published);
    setLink(document.getElementById("doc-source"), passage.url);
    const mark = renderPassage(document.getElementById("doc-text"), passage);
    mark.scrollIntoView({ block: "center" });
    // the reader starts at the passage: Tab goes on from it, and a screen reader reads it first
    mark.tabIndex = -1;
    mark.focus({ preventScroll: true });
  } catch (error) {
    status.textContent = `Cannot show this article: ${error.message}`;
  }
}

main();
