"""In-process: the chat page and its files are served with headers that keep untrusted text inert, hold no inline
script or style, and ship in the package."""

from __future__ import annotations

import re
import tomllib
from fnmatch import fnmatch
from html.parser import HTMLParser
from pathlib import Path

import pytest

from api.controllers.page import ASSETS, PAGES, STATIC

from api_support import assert_error

REPO = Path(__file__).resolve().parents[2]


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.script_text = ""
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.script_text += data


@pytest.mark.parametrize("path", ["/", "/documents/001_9c689277a1938a75?start=10&end=20"])
def test_pages_carry_a_strict_content_security_policy_and_nosniff(client, path):
    response = client.get(path)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    csp = response.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response.headers["x-content-type-options"] == "nosniff"


def test_the_article_view_of_a_document_the_index_lacks_is_a_404_page(client):
    # the same page (it says the document is missing, from /v1/documents), with a status a link checker reads
    missing = client.get("/documents/nope?start=1&end=2")
    assert missing.status_code == 404 and missing.headers["content-type"].startswith("text/html")
    assert missing.content == client.get("/documents/001_9c689277a1938a75").content
    assert client.get("/v1/documents/nope").status_code == 404


@pytest.mark.parametrize("name", sorted(PAGES.values()))
def test_html_has_no_inline_script_style_or_handler_and_names_only_own_files(client, name):
    parser = _Tags()
    parser.feed((STATIC / name).read_text("utf-8"))
    assert parser.script_text.strip() == ""
    for tag, attrs in parser.tags:
        assert not any(a.startswith("on") for a in attrs), (tag, attrs)
        assert "style" not in attrs and tag != "style", tag
        for key in ("src", "href"):
            ref = attrs.get(key)
            if ref and not ref.startswith("#"):
                assert ref.startswith("/") and not ref.startswith("//"), ref  # nothing from elsewhere
                if ref.startswith("/static/"):
                    assert client.get(ref).status_code == 200, ref
    scripts = [attrs["src"] for tag, attrs in parser.tags if tag == "script"]
    assert scripts and all(s.startswith("/static/") for s in scripts)
    # its own icon, so that a browser does not ask for /favicon.ico (a 404 in the console)
    assert [attrs["href"] for tag, attrs in parser.tags if tag == "link" and attrs.get("rel") == "icon"] == [
        "/static/icon.svg"]


def test_the_scripts_never_write_markup_and_fetch_only_the_service():
    for name in ASSETS:
        if not name.endswith(".js"):
            continue
        code = (STATIC / name).read_text("utf-8")
        assert not re.search(r"innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(|new Function", code), name
        for url in re.findall(r"fetch\(\s*[`'\"]([^`'\"]*)", code):
            assert url.startswith("/v1/"), (name, url)


@pytest.mark.parametrize(("name", "media_type"), sorted(ASSETS.items()))
def test_static_files_have_their_type_and_nosniff(client, name, media_type):
    response = client.get(f"/static/{name}")
    assert response.status_code == 200
    assert response.headers["content-type"] == (media_type if media_type.startswith("image/") else
                                                f"{media_type}; charset=utf-8")
    assert response.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize("path", ["/static/index.html", "/static/nope.js", "/static/..%2Fcontrollers%2Fpage.py",
                                  "/static/%2e%2e/app.py", "/static/"])
def test_only_the_listed_static_files_are_served(client, path):
    assert_error(client.get(path), 404)


def test_every_static_file_ships_in_the_package():
    config = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["api"]
    files = sorted(p.relative_to(STATIC.parent).as_posix() for p in STATIC.iterdir() if p.is_file())
    assert files and all(any(fnmatch(f, pat) for pat in patterns) for f in files), (files, patterns)
    assert set(PAGES.values()) | set(ASSETS) == {Path(f).name for f in files}
