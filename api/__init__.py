"""The HTTP API: a Litestar app over the core (search, ask, OpenAI-compatible chat, documents, admin)."""
