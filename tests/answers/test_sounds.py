"""A katakana or Latin term spells a Latin-script name when the two have the same consonants (rag/stores/sounds.py),
as the articles spell foreign names; a term the alignment proposes for what a word means does not."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rag.stores.sounds import kana_key, kana_voiced, latin_key, same_key, same_keys, short, sounds_like, spells

SPELLINGS = [("ラブロフ", "Lavrov"), ("トランプ", "Trump"), ("クルスク", "Kursk"), ("ラザルス・グループ", "Lazarus Group"),
             ("ゼレンスキー", "Zelensky"), ("プーチン", "Putin"), ("バンス", "Vance"), ("リヤド", "Riyadh"),
             ("アラグチ", "Araghchi"), ("ペゼシュキアン", "Pezeshkian"), ("ヒヨン", "Hi-yong"), ("ウッズ", "Woods"),
             ("ケソン", "Kaesong"), ("クリモフ", "Klimov"), ("aukus", "AUKUS"), ("ペゼシュキアン", "Pezeshkían"),
             ("スターマー", "Starmer"), ("パーカー", "Parker"), ("iaea", "IAEA")]
NOT_SPELLINGS = [("トルコ", "peru"), ("タイム", "weather"), ("マソウド", "Messi"), ("チップ", "pizza"),
                 ("クラブ", "football"), ("ホンチョル", "Korybko"), ("リスク", "Kursk"), ("ofac", "Lazarus"),
                 ("ラザルス", "Lazarus Group"), ("ブレトン", "Hilton"), ("ゼレンスキ", "Elon Musk"),
                 ("brother", "Bruce Lee"), ("brothers", "brother")]


@pytest.mark.parametrize(("term", "name"), SPELLINGS)
def test_a_transliteration_spells_its_name(term, name):
    assert spells(term, name)


@pytest.mark.parametrize(("term", "name"), NOT_SPELLINGS)
def test_a_term_that_only_means_something_near_does_not(term, name):
    assert not spells(term, name)


def test_the_keys_merge_what_katakana_cannot_tell_apart():
    assert kana_key("ラブロフ") == latin_key("Lavrov") == "rbrb"  # l/r and the labials
    assert latin_key("Trump") == kana_key("トランプ") == "trnb"  # m before p is ン
    assert latin_key("Kursk") == kana_key("クルスク") == "krsk"  # katakana's added vowels are not heard
    assert latin_key("") == kana_key("ー・ッ") == ""


def test_only_a_final_class_is_forgiven_and_only_between_long_keys():
    assert same_key("krbks", "krbk")  # four classes or more: a final consonant heard or not
    assert not same_key("nsd", "ns") and not same_key("bsns", "bsn")  # マソウド is not Messi, ビジネス not Python
    assert not same_key("hrtn", "brtn") and not same_key("srnsk", "rnsk")  # nor an edit anywhere else
    assert not same_key("", "") and not same_key("rbrb", "")


@given(st.text(alphabet="bdghjknrst", max_size=7), st.text(alphabet="bdghjknrst", max_size=7))
def test_same_keys_lists_exactly_the_keys_same_key_takes(a, b):
    a, b = kana_key_of(a), kana_key_of(b)  # keys have no class twice in a row
    assert same_key(a, b) == (b in same_keys(a))


def kana_key_of(classes: str) -> str:
    return re.sub(r"(.)\1+", r"\1", classes)


def test_a_short_key_is_flagged_for_more_evidence_than_its_sound():
    assert short("Eilish") and short("Elon") and short("IAEA")  # ロシア and イラン sound like the first two
    assert not short("Lavrov") and not short("Trump")


@pytest.mark.parametrize(("term", "name", "alike"), [
    ("モディ", "Modi", True), ("キム", "Kim", True), ("アベ", "Abe", True), ("プーチン", "Putin", True),
    ("ロシア", "Eilish", False), ("イラン", "Elon", False), ("モディ", "made", False), ("モディ", "Medi", False),
    ("キム", "Kami", False), ("モディ", "", False), ("スコット", "Scott", True), ("リッチ", "Rich", True),
    ("モディ", "mod", False), ("モディ", "mdi", False),  # the vowels it writes are heard: "the MoD" is not Modi
])
def test_a_name_of_few_consonants_sounds_as_it_reads_vowels_and_all(term, name, alike):
    """`spells` cannot tell a name of one or two consonant classes from the many words of that key (ロシア is "Eilish"),
    so the bridge reads such a name by its vowels too, the vowel katakana adds after a consonant aside."""
    assert sounds_like(term, name) is alike


def test_a_small_kana_gives_its_vowel_to_the_kana_before_it():
    assert kana_voiced("ディ") == "di" and kana_voiced("キャ") == "ka" and kana_voiced("モディー") == "nodi"


@pytest.mark.parametrize("word, japanese", [
    ("Tanaka", True), ("Ofunato", True), ("Shinkansen", True), ("Ohno", True), ("Hattori", True), ("Kenji", True),
    ("Tasso", True), ("Matsuda", True),
    # Hepburn writes no si, ti, tu, hu, di, du, l, v, nor a consonant before another (but a doubled one, n, tch)
    ("Putin", False), ("Lavrov", False), ("Harris", False), ("Modi", False), ("Trump", False), ("Xi", False),
])
def test_a_word_reads_as_japanese_when_hepburn_writes_it_so(word, japanese) -> None:
    from rag.stores.romaji import reads_as_japanese

    assert reads_as_japanese(word) is japanese


def test_a_katakana_reading_in_hepburns_letters_is_the_romanized_word_with_its_long_vowels_folded() -> None:
    from rag.stores.romaji import folded, romanized

    assert [romanized(k) for k in ("タナカ", "キョウト", "シャチョウ", "マッチ", "ジュンイチロウ", "ワカアラシ", "ティ")] == [
        "tanaka", "kyouto", "shachou", "matchi", "junichirou", "wakaarashi", "ti"]
    assert romanized("タナカ1") == "" and romanized("田中") == ""  # nothing but kana
    assert romanized("みやき") == romanized("ミヤキ") == "miyaki"  # hiragana as its katakana
    assert {folded(w) for w in ("Ohno", "Oono", "Ono", "ono")} == {"ono"}
    assert folded(romanized("キョウト")) == folded("Kyoto") == "kyoto"
    assert folded("Namba") == folded("Nanba") == "nanba" and folded("Jun'ichirou") == folded("Junichiro")
