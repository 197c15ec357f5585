"""A source's own footnote markers are not the answer's citations (rag/answers/markers.py `without_markers`): an
article that writes "…署名した[1]。" and a list of notes gets answers whose only [n] are the answer's own. Real
embedders: the session index, copied, with one such article added by an incremental build."""

from __future__ import annotations

import shutil

import pytest

from rag.answers.markers import marker_numbers, note_line, without_markers
from rag.answers.prompt import build_prompt
from rag.answers.service import answer_question, retrieve
from rag.runtime import build, open_searcher

ARTICLE = """北極海航路の開発をめぐる新協定 ― 2025年04月02日 09:15
【概要】
ロシアと中国は4月1日、北極海航路の共同開発に関する協定に署名した[1]。協定によれば、両国は2030年までに砕氷船を8隻建造する[12]。
ノルウェー外務省は「北極の環境への影響を注視する」と述べた［3］。
注
[1] 北極海航路協定の原文による。
[12] 砕氷船の数は政府発表による。
"""
QUESTION = "北極海航路の協定で砕氷船は何隻建造されるか"


@pytest.fixture(scope="module")
def footnoted(built_index, embedders, tmp_path_factory):
    """(searcher, settings) over the session index plus one article with footnote markers."""
    settings, _ = built_index
    root = tmp_path_factory.mktemp("footnoted")
    shutil.copytree(settings.seeds_dir, root / "seeds")
    shutil.copytree(settings.index_dir, root / "index")
    (root / "seeds" / "906_footnoted.txt").write_text(ARTICLE, encoding="utf-8")
    mine = settings.replace(seeds_dir=root / "seeds", index_dir=root / "index")
    assert build(mine, embedders).added == 1
    return open_searcher(mine, embedders=embedders), mine


def test_the_article_s_own_markers_and_notes_are_not_quoted_as_the_answer_s_citations(footnoted):
    searcher, settings = footnoted
    answer = answer_question(searcher, QUESTION, 5, settings)
    assert answer.covered and "8隻" in answer.answer and answer.citations[0].doc_id == "906_footnoted"
    # every [n] of the answer is one of its citations, each cited, and the article's [12] and ［3］ are gone
    assert sorted(set(marker_numbers(answer.answer))) == list(range(1, len(answer.citations) + 1))
    assert "[12]" not in answer.answer and "［3］" not in answer.answer
    assert "原文による" not in answer.answer and "政府発表による" not in answer.answer  # the notes are not statements
    # what is quoted is the article's text, less its markers
    quoted = [s.split("[")[0].strip() for s in answer.answer.split("]") if s.strip()]
    article = without_markers(ARTICLE)
    assert all(q in article for q in quoted if q), quoted


def test_the_model_reads_the_passages_without_their_own_markers(footnoted):
    searcher, settings = footnoted
    r = retrieve(searcher, QUESTION, 5)
    prompt = build_prompt(QUESTION, r.result.hits, "ja", settings.llm_max_prompt_tokens)
    text = "\n".join(content for _, content in prompt.messages)
    assert "8隻建造する。" in text and "署名した[1]" not in text  # each passage's [n] is the prompt's own numbering


@pytest.mark.parametrize(("text", "bare"), [("署名した[1]。", "署名した。"), ("建造する［１２］。", "建造する。"),
                                            ("述べた [3, 4]。", "述べた。"), ("2024年の[報告]による。", "2024年の[報告]による。")])
def test_only_numbered_brackets_are_taken_for_markers(text, bare):
    assert without_markers(text) == bare


def test_a_line_of_notes_opens_with_its_number():
    assert note_line("[1] 北極海航路協定の原文による。") and note_line("［12］ 政府発表による。")
    assert not note_line("協定に署名した[1]。")
