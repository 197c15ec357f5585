"""The built-in chat page at / and the article view at /documents/{doc_id}: static files shipped in the package.

Every file is served from a fixed table, never from a path built out of the request. The headers keep scraped text
and model output inert even if a bug let them reach the DOM: no inline or foreign script, nothing from elsewhere."""

from __future__ import annotations

from pathlib import Path

from litestar import Controller, MediaType, Response, get
from litestar.datastructures import State

from rag.errors import NotFoundError

STATIC = Path(__file__).resolve().parent.parent / "static"
PAGES = {"chat": "index.html", "document": "document.html"}
ASSETS = {"app.js": "text/javascript", "article.js": "text/javascript", "document.js": "text/javascript",
          "style.css": "text/css", "icon.svg": "image/svg+xml"}  # Litestar adds "; charset=utf-8" to text types
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; "
                               "object-src 'none'",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


def _file(name: str, media_type: str) -> Response[bytes]:
    return Response((STATIC / name).read_bytes(), media_type=media_type, headers=SECURITY_HEADERS)


class PageController(Controller):
    path = "/"
    include_in_schema = False

    @get("/", sync_to_thread=False)
    def chat(self) -> Response[bytes]:
        """The chat page."""
        return _file(PAGES["chat"], MediaType.HTML)

    @get("/documents/{doc_id:str}", sync_to_thread=False)
    def document(self, doc_id: str, state: State) -> Response[bytes]:
        """One article with a passage highlighted (?start=&end=); the page loads it from /v1/documents/{doc_id}.
        A document the loaded index does not hold is the same page (it says so) with status 404, so that a link
        checker or a crawler sees a dead link as dead."""
        page = _file(PAGES["document"], MediaType.HTML)
        searcher = state.get("searcher")
        if searcher is not None and doc_id not in searcher.index.docs:
            page.status_code = 404
        return page

    @get("/static/{name:str}", sync_to_thread=False)
    def asset(self, name: str) -> Response[bytes]:
        """The page's scripts and style sheet."""
        media_type = ASSETS.get(name)
        if media_type is None:
            raise NotFoundError(f"no static file {name[:100]!r}")
        return _file(name, media_type)
