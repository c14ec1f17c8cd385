"""structlog set-up: one JSON object per line, or readable console lines, by BOTGATE_LOG_FORMAT."""

from __future__ import annotations

import logging
import sys

import structlog


def configure(log_format: str) -> None:
    """Configure structlog once for the process (the CLI calls this; tests capture logs instead)."""
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer() if log_format == "json" else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.INFO),
        logger_factory=structlog.PrintLoggerFactory(sys.stdout),
        cache_logger_on_first_use=True,
    )
