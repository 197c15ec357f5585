"""Acronyms the articles define (rag/stores/defined.py): 上海協力機構(SCO) read from the passages at build time, kept
per segment through incremental builds, and given to the bridge, so an English question's "SCO" reaches the passages
that write the name in full."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from rag.indexing.build import build_index
from rag.indexing.load import load_index
from rag.indexing.manifest import BUILDS, file_entries, read_manifest, write_manifest
from rag.retrieval import Searcher
from rag.stores import defined

from .helpers import Template, private_copy
from .test_incremental import _same_as_a_full_build, _searcher

D004 = "004_b790a10d624dd4e2"
# a fictional organisation, glossed at its first mention as Japanese news does, and named in full again later
NEW_DOC = "005_lumina_union"
NEW_TEXT = """ルミナ共和国、地域連合の議長国に ― 2025年06月01日 10:00

【ベルナス(LNA)】ルミナ共和国は、北方沿岸経済連合(NCEU)の議長国に就任し、首都ベルナスで就任式を開いた。式典には近隣の八か国から首脳や閣僚が出席し、議長国としての一年間の優先課題が示された。

議長国の任期中、ルミナ共和国はベルナス(BNS)を拠点に、鉄道網の相互接続、国境を越える送電線の整備、観光査証の簡素化を進める考えだ。ベルナス市内では式典に合わせて各国の伝統音楽の公演や物産展が開かれ、多くの市民が訪れた。

一方、野党は就任式の費用が過大だと批判しており、議会では予算の執行状況をめぐる質疑が続いている。政府は、費用の大半は加盟国の分担金で賄われていると説明した。

北方沿岸経済連合の加盟国は、漁業資源の共同管理と港湾の相互利用について、年内に協定を結ぶ方針を確認した。
"""
ENGLISH = "What did the NCEU member states agree about fisheries?"
JAPANESE = "NCEUの加盟国は何について協定を結ぶのか"


def _bm25_first(searcher: Searcher, question: str) -> str:
    return searcher.search(question, top_k=1, mode="bm25").hits[0].passage.text


def test_a_gloss_is_the_run_of_kanji_and_katakana_before_capitals_in_parentheses(seeds_dir: Path) -> None:
    raw = (seeds_dir / f"{D004}.txt").read_text(encoding="utf-8")
    found = defined.glosses(raw)
    assert ("SCO", "上海協力機構") in found and ("JCPOA", "イラン核合意") in found
    assert len(found) == len(set(found))  # each pair once, though the article writes 上海協力機構(SCO) twice
    # full-width parentheses and letters are read as ASCII ones; a word written before the name in hiragana ends the
    # run; no parenthesis, a lower-case or mixed-case gloss, or a single capital, is no acronym
    assert defined.glosses("ロシアは北大西洋条約機構（ＮＡＴＯ）と") == [("NATO", "北大西洋条約機構")]
    assert defined.glosses("主要20か国・地域(G20)と国際通貨基金(Imf)と半導体(A)") == []
    assert defined.glosses("上海協力機構のSCO") == []
    # a gloss closing a dateline names the agency, not the place before it
    assert defined.glosses("【ワシントン(AP)】米国務省は") == [] and defined.glosses("【ワシントン（ＡＰ）】") == []
    assert defined.glosses("【北京(AP)時事】") == [] and defined.glosses("ニューヨーク発(AP)】") == []


def test_each_acronym_takes_the_definition_most_passages_write() -> None:
    pairs = [("SCO", "上海協力機構"), ("SCO", "同日上海協力機構"), ("SCO", "上海協力機構"), ("WPK", "朝鮮労働党")]
    assert defined.choose(pairs) == {"SCO": "上海協力機構", "WPK": "朝鮮労働党"}
    # a tie goes to the shorter run (a word before the name made the longer), then to code-point order
    assert defined.choose([("X", "長い定義の名前"), ("X", "定義名")]) == {"X": "定義名"}
    assert defined.choose([("X", "乙組織"), ("X", "甲組織")]) == {"X": "乙組織"}


def test_the_bridge_gives_a_defined_acronym_the_terms_of_its_definition(searcher) -> None:
    bridge = searcher.index.bridge
    assert bridge.defined["SCO"] == ["上海", "協力", "機構"]
    assert bridge.defined["WWII"] == ["第", "世界", "大戦"]  # 第二次 is 第 2: a number is no word of the name
    groups = bridge.expand("Which city was Lavrov heading to for the SCO foreign ministers' meeting?")
    assert ["上海"] in groups and ["協力"] in groups and ["機構"] in groups
    assert groups.count(["上海"]) == 1
    # only an acronym written in capitals: "sco" in lower case is a word, and a question in capitals reads no acronym
    assert ["上海"] not in bridge.expand("what does sco mean for trade?")
    assert ["上海"] not in bridge.expand("WHERE WAS THE SCO MEETING")


def test_a_japanese_question_writing_a_defined_acronym_gets_its_definitions_terms_beside_its_own(searcher) -> None:
    from rag.components import Question

    bm25 = next(c for c in searcher.components if c.name == "bm25")
    groups = bm25.term_groups(Question("SCOの外相会議はどこで開かれたか", "ja"))
    assert groups is not None and ["上海"] in groups and ["機構"] in groups and ["会議"] in groups
    # an acronym the passages write and do not define (NATO) is still read as it is
    assert bm25.term_groups(Question("NATOの第5条とは何か", "ja")) is None


def test_an_english_or_japanese_question_with_the_acronym_finds_the_passage_writing_the_name_in_full(searcher) -> None:
    # the passage naming the meeting writes 上海協力機構 and アスタナ, never SCO
    for question in ("Which city was Lavrov heading to for the SCO foreign ministers' meeting?",
                     "ラブロフ外相がSCO外相会議のために訪れた都市は?"):
        top = _bm25_first(searcher, question)
        assert "上海協力機構" in top and "アスタナ" in top and "SCO" not in top, question


SCO_QUESTION = "Which city was Lavrov heading to for the SCO foreign ministers' meeting?"


def test_the_encoders_read_a_defined_acronym_with_its_name_as_the_passages_write_it() -> None:
    gloss = defined.Glosser({"SCO": "上海協力機構", "WPK": "朝鮮労働党"})
    assert gloss(SCO_QUESTION) == "Which city was Lavrov heading to for the SCO(上海協力機構) foreign ministers' meeting?"
    assert gloss("SCOの外相会議とWPK") == "SCO(上海協力機構)の外相会議とWPK(朝鮮労働党)"  # Japanese has no lower case
    # an acronym nobody defined, a word in capitals of a question written all in capitals, and none: as they are
    for text in ("What did NATO say?", "WHERE WAS THE SCO MEETING", "Scone and sco", ""):
        assert gloss(text) == text
    assert defined.Glosser({})(SCO_QUESTION) == SCO_QUESTION
    # once, at its first mention; not where the question glosses it itself or writes the name; full-width as ASCII
    assert gloss("what SCO did, SCO said") == "what SCO(上海協力機構) did, SCO said"
    for text in ("上海協力機構(SCO)の会議", "SCO(上海協力機構) meeting?", "SCO（上海協力機構）の会議", "上海協力機構 and SCO?"):
        assert gloss(text) == text
    assert gloss("ＳＣＯの外相会議") == "ＳＣＯ(上海協力機構)の外相会議"
    # at most MAX_GLOSSED acronyms, so a question grows by a few names at most past the size the intake checked
    many = defined.Glosser({f"A{c}": f"名{c}" for c in "BCDEFGH"})
    assert many("and AB AC AD AE AF AG").count("(") == defined.MAX_GLOSSED


def test_the_dense_signals_read_the_acronym_with_its_name_and_put_the_passage_naming_it_first(searcher) -> None:
    """e5 and USE read "SCO" as letters; written out as the passages write it (上海協力機構), the passage naming the
    meeting comes first. e5's dense vector and sparse row come from one pass over the same text, and an answer's
    sentences are scored against that vector (no second encoding)."""
    from rag.retrieval import Searcher

    glossed = "Which city was Lavrov heading to for the SCO(上海協力機構) foreign ministers' meeting?"
    by_name = {c.name: c for c in searcher.components}
    assert [n.text for n in by_name["e5"].needs(SCO_QUESTION, "en")] == [glossed]
    assert [n.text for n in by_name["e5-sparse"].needs(SCO_QUESTION, "en")] == [glossed]
    assert [n.text for n in by_name["use"].needs(SCO_QUESTION, "en")] == [glossed]
    top = searcher.search(SCO_QUESTION, top_k=1).hits[0].passage.text
    assert "上海協力機構" in top and "アスタナ" in top
    e5 = searcher.embedders["e5"]
    made = e5.encode_queries([glossed])[0]
    # an answer's sentences are scored against the vector the search made: from the cache, not a second encoding
    with pytest.MonkeyPatch.context() as m:
        m.setattr(e5, "encode_queries", lambda texts: pytest.fail(f"encoded again: {texts}"))
        assert np.array_equal(searcher.query_vectors("e5", [SCO_QUESTION])[0], made)
    # RAG_GLOSS_ACRONYMS=0: the question as it is, and the passage is not first (third on the seeds)
    off = Searcher(searcher.index, searcher.embedders, searcher.analyzer,
                   searcher.settings.replace(gloss_acronyms=False))
    assert [n.text for n in {c.name: c for c in off.components}["e5"].needs(SCO_QUESTION, "en")] == [SCO_QUESTION]
    assert "アスタナ" not in off.search(SCO_QUESTION, top_k=1).hits[0].passage.text


def test_a_new_documents_acronym_is_learned_by_an_incremental_build_and_forgotten_with_it(
        tmp_path: Path, use_template: Template, use_embedder) -> None:
    settings = private_copy(use_template, tmp_path / "copy")
    seeds, index_dir = Path(settings.seeds_dir), Path(settings.index_dir)
    before = read_manifest(index_dir)
    base = before["segments"][0]["name"]
    base_file = index_dir / BUILDS / before["build"] / "seg" / base / "bm25" / defined.FILE
    inode = base_file.stat().st_ino
    assert "NCEU" not in _searcher(settings, use_embedder).index.bridge.defined

    (seeds / f"{NEW_DOC}.txt").write_text(NEW_TEXT, encoding="utf-8")
    build_index(settings, [use_embedder])
    after = read_manifest(index_dir)
    kept = index_dir / BUILDS / after["build"] / "seg" / base / "bm25" / defined.FILE
    assert kept.stat().st_ino == inode  # the base segment's pairs are shared, not read again
    searcher = _searcher(settings, use_embedder)
    assert searcher.index.bridge.defined["NCEU"] == ["北方", "沿岸", "経済", "連合"]
    # a dateline's agency is not learned, nor a gloss of a name of one term
    assert "LNA" not in searcher.index.bridge.defined and "BNS" not in searcher.index.bridge.defined
    assert ("BNS", "ベルナス") in defined.glosses(NEW_TEXT)  # read, but ベルナス is one term
    assert searcher.index.bridge.defined["SCO"] == ["上海", "協力", "機構"]  # the carried passages' pairs stay
    for question in (ENGLISH, JAPANESE):
        top = _bm25_first(searcher, question)
        assert "漁業資源" in top and "NCEU" not in top, question
    _same_as_a_full_build(settings, use_embedder, tmp_path / "full-added")
    full = load_index(tmp_path / "full-added" / "full-index", settings.embedders)
    assert full.bridge == searcher.index.bridge

    (seeds / f"{NEW_DOC}.txt").unlink()
    build_index(settings, [use_embedder])
    searcher = _searcher(settings, use_embedder)
    assert "NCEU" not in searcher.index.bridge.defined and "SCO" in searcher.index.bridge.defined
    assert ["北方"] not in searcher.index.bridge.expand(ENGLISH)


def _as_before_the_acronyms(index_dir: Path) -> None:
    """Make the live build what the previous code wrote: no pairs beside the term segments, no "defined" in the
    bridge, and a manifest that lists neither."""
    manifest = read_manifest(index_dir)
    build_dir = index_dir / BUILDS / manifest["build"]
    for path in build_dir.rglob(defined.FILE):
        path.unlink()
    bridge = json.loads((build_dir / "bridge.json").read_text(encoding="utf-8"))
    del bridge["defined"]
    (build_dir / "bridge.json").unlink()  # a hard link the template shares: replaced, not written through
    (build_dir / "bridge.json").write_text(json.dumps(bridge, ensure_ascii=False), encoding="utf-8")
    for entry in manifest["components"]:
        entry["files"] = [f for f in entry["files"] if not f.endswith(defined.FILE)]
    manifest["files"] = file_entries(build_dir)
    write_manifest(index_dir, manifest)


@pytest.mark.parametrize("edit", ["none", "most removed"])
def test_an_index_built_before_the_acronyms_serves_without_them_and_the_next_build_reads_them_from_its_passages(
        tmp_path: Path, use_template: Template, use_embedder, edit: str) -> None:
    """The next build reads the pairs from the passages it keeps: those of carried segments (nothing changed) and
    those it moves into its fresh segment by key (removing two of five documents leaves the base too dead to keep,
    so every kept passage is written again)."""
    settings = private_copy(use_template, tmp_path / "copy")
    index_dir = Path(settings.index_dir)
    _as_before_the_acronyms(index_dir)
    question = "Which city hosted the SCO foreign ministers' meeting?"
    old = _searcher(settings, use_embedder)
    assert old.index.bridge.defined == {}
    assert "上海協力機構" not in _bm25_first(old, question)

    if edit == "most removed":
        for doc in ("000_77323e78f047d601", "002_4bfa712dfd589490"):
            (Path(settings.seeds_dir) / f"{doc}.txt").unlink()
    report = build_index(settings, [use_embedder])
    assert report.embedded.get("use", 0) == 0  # nothing re-embedded: the passages kept are only scanned
    segments = read_manifest(index_dir)["segments"]
    assert len(segments) == 1 and (segments[0]["name"] != read_manifest(Path(use_template.index))["segments"][0][
        "name"]) == (edit == "most removed")
    new = _searcher(settings, use_embedder)
    assert new.index.bridge.defined["SCO"] == ["上海", "協力", "機構"]
    assert ("WPK" in new.index.bridge.defined) == (edit == "none")  # 002 defines it
    assert "上海協力機構" in _bm25_first(new, question)
    _same_as_a_full_build(settings, use_embedder, tmp_path / "full")
    full = load_index(tmp_path / "full" / "full-index", settings.embedders)
    assert full.bridge == new.index.bridge


@pytest.mark.parametrize("damage", ["garbage", "missing", "another rule", "a slot past the segment"])
def test_a_pairs_file_of_the_previous_build_that_is_damaged_or_read_by_another_rule_is_read_again_from_the_passages(
        tmp_path: Path, use_template: Template, use_embedder, damage: str) -> None:
    settings = private_copy(use_template, tmp_path / "copy")
    seeds, index_dir = Path(settings.seeds_dir), Path(settings.index_dir)
    manifest = read_manifest(index_dir)
    (path,) = (index_dir / BUILDS / manifest["build"]).rglob(defined.FILE)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["id"] == defined.DEFINED_ID and ["SCO", "上海協力機構"] in [p[1:] for p in data["pairs"]]
    path.unlink()  # a hard link the template shares: replaced, not written through
    slots = manifest["segments"][0]["end"]
    # a stale file: what another rule read (SCO → a wrong name), or a slot no passage of the segment holds
    wrong = [[slot, "SCO", "誤った名前"] for slot in range(slots)]
    written = {"garbage": "[[1, 2", "missing": None,
               "another rule": json.dumps({"id": "glosses/v0", "pairs": wrong}, ensure_ascii=False),
               "a slot past the segment": json.dumps({"id": defined.DEFINED_ID, "pairs": [[slots, "SCO", "誤った名前"]]},
                                                      ensure_ascii=False)}[damage]
    if written is not None:
        path.write_text(written, encoding="utf-8")
    if damage in ("another rule", "a slot past the segment"):  # written so by the build: the manifest agrees
        manifest["files"] = file_entries(index_dir / BUILDS / manifest["build"])
        write_manifest(index_dir, manifest)
    (seeds / f"{NEW_DOC}.txt").write_text(NEW_TEXT, encoding="utf-8")
    build_index(settings, [use_embedder])
    searcher = _searcher(settings, use_embedder)
    assert searcher.index.bridge.defined["SCO"] == ["上海", "協力", "機構"] and "NCEU" in searcher.index.bridge.defined


def test_without_the_dictionary_data_the_acronyms_the_passages_define_still_reach_english_questions(
        tmp_path: Path, use_template: Template, use_embedder, monkeypatch: pytest.MonkeyPatch) -> None:
    from rag.stores import bridge as bridge_module

    settings = private_copy(use_template, tmp_path / "copy")
    (Path(settings.seeds_dir) / f"{NEW_DOC}.txt").write_text(NEW_TEXT, encoding="utf-8")
    monkeypatch.setattr(bridge_module, "db_path", lambda: None)  # jamdict-data not installed
    build_index(settings, [use_embedder])
    searcher = _searcher(settings, use_embedder)
    assert len(searcher.index.bridge) == 0 and "NCEU" in searcher.index.bridge.defined
    # "fisheries" reaches no term without the dictionary: the two passages that name the union come first, the one
    # that writes only its name among them
    hits = searcher.search(ENGLISH, top_k=2, mode="bm25").hits
    assert all("北方沿岸経済連合" in h.passage.text for h in hits)
    assert any("NCEU" not in h.passage.text for h in hits)
