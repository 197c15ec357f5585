"""newsrag: cross-lingual retrieval-augmented question answering over news articles."""

from . import openmp

openmp.configure()  # first, so that every entry point and every `import rag` gets the measured OpenMP policy

__version__ = "0.1.0"
