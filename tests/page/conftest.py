"""Fixtures for the page tests: a real `rag serve` over the real seeds plus a hostile seed, a fake LLM it can be
pointed at, and Debian's Chromium driven by Playwright (the system executable: no browser download)."""

from __future__ import annotations

import shutil
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from api.process import running_server
from rag.runtime import build

try:  # the answers team's fake OpenAI-compatible server
    from answers.fake_llm import FakeLLM
except ImportError:  # pragma: no cover - when tests/ becomes a package
    from tests.answers.fake_llm import FakeLLM

from page_support import ARTIFACTS, CHROMIUM_FLAGS, HOSTILE_DOC, HOSTILE_SEED, UNUSED_FEATURES


@dataclass
class PageServer:
    url: str
    seeds: Path
    llm: FakeLLM
    requests_outside: list[str] = field(default_factory=list)

    def raw(self, doc_id: str) -> str:
        return (self.seeds / f"{doc_id}.txt").read_bytes().decode("utf-8")

    def chat(self, question: str) -> dict:
        """The plain completion the page's streamed one must match (answers are deterministic without an LLM)."""
        body = {"messages": [{"role": "user", "content": question}]}
        return httpx.post(f"{self.url}/v1/chat/completions", json=body, timeout=120).json()


@pytest.fixture(scope="session")
def page_server(built_index, embedders, tmp_path_factory) -> Iterator[PageServer]:
    """The session index copied aside with the hostile seed added (an incremental build embeds only it), served by
    a real `rag serve` whose LLM is the fake: failing (so answers are extractive) unless a test makes it reply."""
    settings, _ = built_index
    root = tmp_path_factory.mktemp("page-server")
    seeds, index = root / "seeds", root / "index"
    shutil.copytree(settings.seeds_dir, seeds)
    shutil.copytree(settings.index_dir, index, ignore=shutil.ignore_patterns(".build.lock"))
    (seeds / f"{HOSTILE_DOC}.txt").write_text(HOSTILE_SEED, encoding="utf-8")
    report = build(settings.replace(seeds_dir=seeds, index_dir=index), embedders)
    assert report.added == 1
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with FakeLLM(["error500"], hang_s=60) as llm:
        env = {"RAG_LLM_BASE_URL": llm.base_url, "RAG_LLM_RETRIES": "0", "RAG_LLM_TIMEOUT_S": "60"}
        with running_server(seeds, index, ARTIFACTS / "server.log", env=env) as url:
            yield PageServer(url, seeds, llm)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("Debian's chromium is not installed: `make test` installs it (apt-get install -y chromium)")
    with sync_playwright() as p:
        flags = [*CHROMIUM_FLAGS, *_disable_features(p.chromium, executable, UNUSED_FEATURES)]
        browser = p.chromium.launch(executable_path=executable, args=flags)
        yield browser
        browser.close()


def _disable_features(chromium, executable: str, extra: list[str]) -> list[str]:
    """[one `--disable-features`] naming Playwright's own list and `extra`: Chromium honours only the last such switch,
    so a second one alone would drop Playwright's. Its list is read from a throwaway launch's command line (which
    Chromium returns only with --enable-automation), not copied here, so that a Playwright upgrade keeps its own."""
    from playwright.sync_api import Error

    probe = chromium.launch(executable_path=executable, args=[*CHROMIUM_FLAGS, "--enable-automation"])
    try:
        line = probe.new_browser_cdp_session().send("Browser.getBrowserCommandLine")["arguments"]
    except Error as exc:  # a Chromium or Playwright that no longer answers: Playwright's list alone, slower tests
        warnings.warn(f"cannot read Playwright's --disable-features ({exc}); the page tests keep Chromium's popups")
        return []
    finally:
        probe.close()
    theirs = [f for arg in line if arg.startswith("--disable-features=")
              for f in arg.split("=", 1)[1].split(",") if f]
    return ["--disable-features=" + ",".join(dict.fromkeys([*theirs, *extra]))]


@dataclass
class Watch:
    """What a page did: every request URL, every dialog it tried to open, every console error."""

    requests: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@pytest.fixture
def watched(browser, page_server):
    """(page, watch) on a fresh context; afterwards, asserts the page asked nothing of anyone but the service."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=page_server.url)
    page = context.new_page()
    page.set_default_timeout(120_000)
    watch = Watch()
    page.on("request", lambda r: watch.requests.append(r.url))
    page.on("dialog", lambda d: (watch.dialogs.append(d.message), d.dismiss()))
    page.on("pageerror", lambda e: watch.errors.append(str(e)))
    page.on("console", lambda m: watch.errors.append(m.text) if m.type == "error" else None)
    try:
        yield page, watch
    finally:
        context.close()
        page_server.llm.behaviours, page_server.llm.gate = ("error500",), None
    outside = [u for u in watch.requests if not u.startswith(page_server.url + "/")]
    assert outside == [] and watch.dialogs == []
