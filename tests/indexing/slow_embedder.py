"""A real USE embedder that is slow on purpose, for the killed-build test (imported by a child process).

Each encode_passages call encodes for real, records how many batches are done in a marker file, then sleeps, so the
parent can kill the build while it is known to be midway through embedding.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from rag.embedders.use import USEEmbedder


class SlowUSE(USEEmbedder):
    """USE whose encode_passages sleeps `delay` seconds per batch and counts batches in `marker`."""

    name = "use"

    def __init__(self, marker: Path, delay: float = 0.2) -> None:
        super().__init__()
        self._marker = Path(marker)
        self._delay = delay
        self._batches = 0

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        out = super().encode_passages(texts)
        self._batches += 1
        self._marker.write_text(str(self._batches))
        time.sleep(self._delay)
        return out
