"""Logging: JSON lines in staging and production, a readable line locally.

Every record carries the request id of the request it was logged in (from the
`X-Request-ID` middleware), so a log line and an error response's `request_id` match.
The access log is written here too, inside the request, so it carries the id as well.
Either way a record is one line: what a client sent (a path with `%0A`) cannot forge another.
"""

import datetime as dt
import json
import logging
import re
import sys
import textwrap
import time
from typing import IO, Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from src.config import Settings
from src.web.request_id import request_id_var

HANDLER_NAME = "service"
TEXT_FORMAT = "%(asctime)s %(levelname)-7s %(name)s [%(request_id)s] %(message)s"
# Attributes every LogRecord has; anything else was passed in `extra=` and is logged as a field
# (but not uvicorn's `color_message`, a terminal-coloured copy of the message).
_NOT_EXTRA = {"message", "asctime", "request_id", "color_message"}
_STANDARD_ATTRIBUTES = frozenset(vars(logging.makeLogRecord({}))) | _NOT_EXTRA
# Control characters (C0, DEL, C1) and the Unicode line separators.
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")

access_logger = logging.getLogger("src.access")


class RequestIdFilter(logging.Filter):
    """Stamps the current request id on each record (unless the caller passed one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = request_id_var.get() or "-"
        return True


def escape_controls(text: str) -> str:
    """`text` on one line: each control character written as its escape (`\\n`, `\\x1b`, ...)."""
    return _CONTROL_CHARACTERS.sub(lambda match: match[0].encode("unicode_escape").decode("ascii"), text)


class TextFormatter(logging.Formatter):
    """The readable line, its control characters escaped. A traceback keeps its lines, indented
    under the record, so none of them can pass for a record of its own."""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        # The traceback is formatted here, never taken from the copy another handler cached.
        record.message = record.getMessage()
        record.asctime = self.formatTime(record)
        lines = [escape_controls(self.formatMessage(record))]
        if record.exc_info:
            lines.append(_indented(self.formatException(record.exc_info)))
        if record.stack_info:
            lines.append(_indented(self.formatStack(record.stack_info)))
        return "\n".join(lines)


def _indented(block: str) -> str:
    lines = (escape_controls(line) for line in block.splitlines())
    return textwrap.indent("\n".join(lines), "  ")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
        }
        entry.update({key: value for key, value in vars(record).items() if key not in _STANDARD_ATTRIBUTES})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure_logging(settings: Settings, stream: IO[str] | None = None) -> logging.Handler:
    """Route every record (uvicorn's too) through one handler; calling it again replaces it."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.name = HANDLER_NAME
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter() if settings.json_logs else TextFormatter())
    root = logging.getLogger()
    for old in [old for old in root.handlers if old.name == HANDLER_NAME]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(settings.LOG_LEVEL)
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True
    # Replaced by the access log below, which knows the request id.
    logging.getLogger("uvicorn.access").disabled = True
    return handler


class AccessLogMiddleware:
    """One record per request: method, path, status and duration. Runs inside the request id."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status_code = 500

        async def send_and_record(message: Message) -> None:
            nonlocal status_code
            if message["type"] == "http.response.start":
                status_code = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_record)
        finally:
            access_logger.info(
                "%s %s %s",
                scope["method"],
                scope["path"],
                status_code,
                extra={
                    "method": scope["method"],
                    "path": scope["path"],
                    "status_code": status_code,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                },
            )
