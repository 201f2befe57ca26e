"""One-line JSON logs with a request id on every record.

The user's text is never logged unless `DUTA_LOG_TEXT=1` is set: code that wants to show a
text passes it through :func:`user_text`, which gives a redacted stand-in (its length) by
default and the text itself, at DEBUG, only when asked to.
"""

from __future__ import annotations

import contextvars
import json
import logging
import os
import sys
import time

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")


def log_text_enabled() -> bool:
    """True when `DUTA_LOG_TEXT=1`: user text may appear in DEBUG logs."""
    return os.environ.get("DUTA_LOG_TEXT", "") == "1"


def user_text(text: str) -> str:
    """The text for a log line: itself with DUTA_LOG_TEXT=1, else `<N chars>`."""
    return repr(text) if log_text_enabled() else f"<{len(text)} chars>"


class RequestIdFilter(logging.Filter):
    """Stamps the current request id on the record when it is emitted (in its own context)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id.get()
        return True


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON object per line."""

    def format(self, record: logging.LogRecord) -> str:
        payload = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", None) or request_id.get(),
            "msg": record.getMessage(),
        }
        if record.exc_info:
            payload["exc"] = self.formatException(record.exc_info)
        return json.dumps(payload, ensure_ascii=False)


def configure_logging(level: str = "INFO", service: str = "duta") -> None:
    """Configures the root logger once, at a service's entry point."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    logging.getLogger("duta").info(
        "logging configured for %s%s",
        service,
        " (DUTA_LOG_TEXT=1: user text appears in DEBUG logs)" if log_text_enabled() else "",
    )
