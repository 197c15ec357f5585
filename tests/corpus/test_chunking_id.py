"""CHUNKING_ID (rag/chunking.py) names what cleaning and chunking make of a document: indexes built under another id
clean and chunk every document again (tests/indexing/test_incremental.py). This test notices when the code's output
changes without a new id, which would leave existing indexes on the old passages after `rag index build`."""

from __future__ import annotations

import hashlib
import json

from rag.chunking import CHUNKING_ID
from rag.types import Passage

# the seeds' passages under the default settings, as (doc_id, start, end), hashed; one entry per id ever shipped
RECORDED = {
    "v1": "7ec6dd79df3a3a2fb9e01bf405cf3fc9adabe381d569877c1225241b7e35df7d",
}


def test_the_chunking_id_names_what_cleaning_and_chunking_make_of_the_seeds(passages: list[Passage]) -> None:
    digest = hashlib.sha256(json.dumps([(p.doc_id, p.start, p.end) for p in passages]).encode()).hexdigest()
    assert CHUNKING_ID in RECORDED, f"record the seeds' digest under the new CHUNKING_ID {CHUNKING_ID!r}: {digest}"
    assert digest == RECORDED[CHUNKING_ID], (
        f"cleaning or chunking now makes other passages of the seeds: give CHUNKING_ID in rag/chunking.py a new value "
        f"(so that existing indexes chunk again) and record this digest under it: {digest}")
