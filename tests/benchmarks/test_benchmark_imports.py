"""Every name a benchmark script imports from the product still exists (a benchmark is run by hand, rarely, so a
moved constant would otherwise surface only when someone needs the numbers)."""

from __future__ import annotations

import ast
import importlib
import importlib.util
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPTS = sorted((REPO / "benchmarks").glob("*.py"))


def _product_imports(path: Path) -> list[tuple[str, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [(node.module, alias.name) for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module
            and node.level == 0 and node.module.split(".")[0] in ("rag", "api", "eval") for alias in node.names]


def _exists(module: str, name: str) -> bool:
    if hasattr(importlib.import_module(module), name):
        return True
    try:  # a submodule: `from rag import retrieval`
        return importlib.util.find_spec(f"{module}.{name}") is not None
    except ModuleNotFoundError:
        return False


def test_a_moved_name_is_caught() -> None:
    assert _exists("rag.components.dense", "EMBED_BATCH") and _exists("rag", "retrieval")
    assert not _exists("rag.indexing.build", "EMBED_BATCH")  # where bench_index.py once looked for it


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_every_product_name_a_benchmark_imports_exists(script: Path) -> None:
    missing = [f"from {m} import {n}" for m, n in _product_imports(script) if not _exists(m, n)]
    assert not missing, f"{script.name}: {missing}"
