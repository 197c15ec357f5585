"""A stand-in for memory-mapped vectors that fails the test if anything reads them."""

from __future__ import annotations


class Unreadable:
    """Stands where stored float32 vectors are (with their shape), and raises on any read."""

    def __init__(self, shape: tuple[int, int]) -> None:
        self.shape = shape

    def __getitem__(self, key):
        raise AssertionError("the search read the stored float32 vectors")

    __array__ = __matmul__ = __rmatmul__ = __getitem__
