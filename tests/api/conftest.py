"""Fixtures for the API tests: the real app (with its lifespan) over the session's searcher, and helpers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
import shutil
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from api.app import create_app
from rag.settings import Settings

from api_support import ADMIN_TOKEN


@pytest.fixture(scope="session")
def api_settings(built_index) -> Settings:
    """The session index's settings with an admin token."""
    settings, _ = built_index
    return settings.replace(admin_token=ADMIN_TOKEN)


@pytest.fixture(scope="session")
def serve_app(searcher) -> Callable[..., Any]:
    """serve_app(settings) → a context manager yielding a TestClient of the real app over the session searcher."""

    @contextmanager
    def run(settings: Settings, **kwargs: Any) -> Iterator[TestClient]:
        app = create_app(settings, searcher=kwargs.pop("searcher", searcher))
        with TestClient(app, **kwargs) as client:
            yield client

    return run


@pytest.fixture(scope="session")
def client(serve_app, api_settings) -> Iterator[TestClient]:
    """One app for the read-only tests (TestClient runs the lifespan on enter and exit)."""
    with serve_app(api_settings) as c:
        yield c


@pytest.fixture(scope="session")
def seed_file(api_settings) -> Callable[[str], str]:
    """source_file (relative to the seeds directory, as the API shows it) → its text exactly as indexed (bytes
    decoded, no newline translation)."""
    cache: dict[str, str] = {}

    def read(path: str) -> str:
        if path not in cache:
            cache[path] = (Path(api_settings.seeds_dir) / path).read_bytes().decode("utf-8")
        return cache[path]

    return read


@pytest.fixture(scope="session")
def check_citation(seed_file) -> Callable[[dict[str, Any], str], None]:
    """Assert a citation JSON slices its seed file back to `text`."""

    def check(citation: dict[str, Any], text: str) -> None:
        assert Path(citation["source_file"]).name == f"{citation['doc_id']}.txt"
        assert seed_file(citation["source_file"])[citation["start"] : citation["end"]] == text

    return check


@pytest.fixture(scope="session")
def core_answer(searcher, api_settings) -> Callable[[str], Any]:
    """question → the Answer the core gives for it (top_k 4), computed once: what the API must serve."""
    from rag.answers.service import answer_question

    cache: dict[str, Any] = {}

    def get(question: str) -> Any:
        if question not in cache:
            cache[question] = answer_question(searcher, question, 4, api_settings)
        return cache[question]

    return get


@pytest.fixture
def index_copy(built_index, tmp_path) -> Path:
    """A private copy of the session index, free to break."""
    settings, _ = built_index
    target = tmp_path / "index"
    shutil.copytree(settings.index_dir, target, ignore=shutil.ignore_patterns(".build.lock"))
    return target
