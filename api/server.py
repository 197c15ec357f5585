"""`rag serve`: run the app under uvicorn, one worker (the models live in-process)."""

from __future__ import annotations

import logging

import uvicorn

from rag.settings import Settings

from .app import create_app

logger = logging.getLogger(__name__)


def serve(settings: Settings) -> int:
    """Serve until interrupted; the lifespan builds the index first if it is missing. Returns an exit code."""
    for name in ("api", "rag"):  # the entry point decides: this command reports its phases unless told otherwise
        log = logging.getLogger(name)
        if log.getEffectiveLevel() > logging.INFO:
            log.setLevel(logging.INFO)
    app = create_app(settings)
    config = uvicorn.Config(app, host=settings.host, port=settings.port, workers=1, lifespan="on",
                            log_config=None, access_log=False, server_header=False, timeout_graceful_shutdown=10)
    server = uvicorn.Server(config)
    logger.info("newsrag API on http://%s:%d (OpenAPI at /schema, index %s)", settings.host, settings.port,
                settings.index_dir)
    server.run()
    return 0 if server.started else 1
