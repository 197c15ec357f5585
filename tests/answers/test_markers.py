"""Marker post-processing: bogus markers vanish, the rest are renumbered by first appearance."""

from __future__ import annotations

import pytest

from rag.answers.markers import MarkerStream, marker_numbers, renumber


def test_markers_pointing_at_no_passage_are_dropped_with_their_space() -> None:
    assert renumber("Lavrov spoke [1]. He also said more [9].", 3) == ("Lavrov spoke [1]. He also said more.", (1,))


def test_markers_are_renumbered_in_order_of_first_appearance() -> None:
    text, cited = renumber("A [3]. B [1]. C [3]. D [2].", 3)
    assert text == "A [1]. B [2]. C [1]. D [3]."
    assert cited == (3, 1, 2)  # the new [1] is passage 3, [2] passage 1, [3] passage 2


@pytest.mark.parametrize(("reply", "expected"), [
    ("A [1, 2].", "A [1][2]."),
    ("A [2, 3].", "A [1]."),
    ("A [1][1] B [2]", "A [1] B [2]"),
    ("A [0][2].", "A [1]."),
    ("ラブロフは同盟に言及した［２］。", "ラブロフは同盟に言及した[1]。"),
    ("ラブロフは同盟に言及した【2】。", "ラブロフは同盟に言及した[1]。"),
    ("A [1，1、2].", "A [1][2]."),
    # Markdown's footnote references, as models that write Markdown cite (they were left as they were)
    ("Lavrov spoke of an alliance[^2] and of satellites [^1].", "Lavrov spoke of an alliance[1] and of satellites [2]."),
    ("A [^3] B [^1, ^2].", "A B [1][2]."),
])
def test_grouped_and_full_width_markers_are_normalised(reply: str, expected: str) -> None:
    assert renumber(reply, 2)[0] == expected


def test_text_without_markers_is_kept_and_cites_nothing() -> None:
    assert renumber("The passages do not say.", 5) == ("The passages do not say.", ())


def test_marker_numbers_lists_every_citation_in_order() -> None:
    assert marker_numbers("a [2] b [1, 2] c ［３］") == [2, 1, 2, 3]


def test_a_footnote_reference_that_arrives_in_pieces_is_held_until_it_closes() -> None:
    stream = MarkerStream(2)
    shown = [stream.feed(p) for p in ["Lavrov said so", "[", "^", "2", "]", " again."]] + [stream.close()]
    assert "".join(shown) == "Lavrov said so[1] again." and "^" not in "".join(shown) and stream.order == [2]
