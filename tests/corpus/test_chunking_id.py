"""CHUNKING_ID (rag/chunking.py) names what cleaning and chunking make of a document: indexes built under another id
clean and chunk every document again (tests/indexing/test_incremental.py). This test notices when the code's output
changes without a new id, which would leave existing indexes on the old passages after `rag index build`."""

from __future__ import annotations

import dataclasses
import hashlib
import json

from rag.chunking import CHUNKING_ID
from rag.corpus import Corpus
from rag.types import Passage

# everything cleaning and chunking make of the seeds under the default settings (each article's title, date,
# sources and kept spans; each passage with its title, offsets and text), hashed; one entry per id shipped
RECORDED = {
    "v1": "b500d2c581d3b2b89f9bb53255e346bdc7c2926874acd36ee03a793d634d6dc7",
    # the same seeds' output: v2 changed the feed-excerpt rule for a marker far from a line's end, which no seed has
    "v2": "b500d2c581d3b2b89f9bb53255e346bdc7c2926874acd36ee03a793d634d6dc7",
    # the same again: v3 ends a line at a '\r' alone (a seed from classic Mac OS was one line), which no seed has
    "v3": "b500d2c581d3b2b89f9bb53255e346bdc7c2926874acd36ee03a793d634d6dc7",
    # v4 keeps a source block's marker and first title as a passage of their own (three in the seeds)
    "v4": "7432329c75a7f02733443db1149c57cedcb652f6f783b658788ced4bfbd3e946",
    # the same again: v5 keeps a note under a 【参考】 heading (a sentence, no URL) as article text, which no seed has
    "v5": "7432329c75a7f02733443db1149c57cedcb652f6f783b658788ced4bfbd3e946",
    # v6 makes each article's source rows known by their spans: a source block's row holds its first title's link
    # (without a newsletter's tracking query), and 元ネタ: lines and the site's name or a feed headline in the header
    # are rows of their own (eight in the seeds)
    "v6": "07d837c3dddef8db194e340121638023609334e6770cc84a8a841bb80f17e110",
    # the same again: v7 keeps a page's own query before a link's tracking parameters, a row over the budget as its
    # first lines, and a blog's name in each post's header as each post's row, which no seed needs (v6 lived within
    # the forty-second session's commits)
    "v7": "07d837c3dddef8db194e340121638023609334e6770cc84a8a841bb80f17e110",
    # the same again: v8 starts an article at a title after prose whose date stands on the next line, and reads a date
    # line as news sites write it (2025/12/20 09:30 配信, 【2025年12月20日】), which no seed has
    "v8": "07d837c3dddef8db194e340121638023609334e6770cc84a8a841bb80f17e110",
    # the same again: v9 reads a photo's caption above a date line as no article's title (v8 lived within the
    # forty-ninth session's commits, and one stop)
    "v9": "07d837c3dddef8db194e340121638023609334e6770cc84a8a841bb80f17e110",
}


def _digest(corpus: Corpus, passages: list[Passage]) -> str:
    made = {
        "articles": [dataclasses.asdict(a) for d in corpus.documents for a in d.articles],
        "passages": [dataclasses.asdict(p) for p in passages],
    }
    return hashlib.sha256(json.dumps(made, ensure_ascii=False, default=str).encode()).hexdigest()


def test_the_chunking_id_names_what_cleaning_and_chunking_make_of_the_seeds(corpus: Corpus,
                                                                          passages: list[Passage]) -> None:
    digest = _digest(corpus, passages)
    assert CHUNKING_ID in RECORDED, f"record the seeds' digest under the new CHUNKING_ID {CHUNKING_ID!r}: {digest}"
    assert digest == RECORDED[CHUNKING_ID], (
        f"cleaning or chunking now makes something else of the seeds: give CHUNKING_ID in rag/chunking.py a new value "
        f"(so that existing indexes chunk again) and record this digest under it: {digest}")
