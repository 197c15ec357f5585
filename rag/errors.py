"""One small error tree: the core raises these; the API and CLI map them to HTTP statuses and exit codes."""


class RagError(Exception):
    """Root of every error the core raises on purpose."""


class ConfigError(RagError):
    """A setting or flag has a value that is not allowed."""


class CorpusError(RagError):
    """The seeds directory cannot be read as a corpus."""


class IndexError_(RagError):
    """Base for problems with the on-disk index."""


class IndexMissingError(IndexError_):
    """No index exists where one was expected."""


class IndexCorruptError(IndexError_):
    """The index on disk fails a manifest, checksum or completeness check."""


class IndexMismatchError(IndexError_):
    """The index on disk was built with another format, embedder or chunker than requested; `built`: the embedders
    it was built with, when those are what differ."""

    def __init__(self, message: str, built: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.built = built


class IndexFolderError(IndexError_):
    """The index folder cannot be built into: not writable, a file in its place, or a folder of other things."""


class StoreUnavailableError(IndexError_):
    """The store that serves the index (a Qdrant server, or one of its collections) does not answer."""


class StoreDamagedError(StoreUnavailableError):
    """A collection of a Qdrant local-mode folder whose files cannot be read (cut short, overwritten): what was
    published there is lost, not out of reach for a while, so a push may write it again."""


class EmbedderError(RagError):
    """An embedder cannot be constructed or fails to encode."""


class QueryError(RagError):
    """A search or ask request is invalid (empty, too long, unknown mode, bad filter)."""


class OverloadedError(RagError):
    """Too many questions wait for the encoders; the client should retry after `retry_after_s` seconds."""

    def __init__(self, message: str, retry_after_s: int = 1) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class NotFoundError(RagError):
    """A named resource (document, article) does not exist."""


class LLMError(RagError):
    """The configured generative model failed (timeout, bad status, bad payload)."""


class BuildProcessError(RagError):
    """A live build's process failed: its message is the build's own reason, or how the process ended."""


class BuildBusyError(RagError):
    """A build was asked for while another one (a live build, or a build in another process) is still running."""


class BuildsOffError(BuildBusyError):
    """This process does not build (`live_build="off"`, a replica): it serves what its store holds."""
