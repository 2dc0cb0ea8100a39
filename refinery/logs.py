"""Log formats: plain text or one JSON object per line, with client input made harmless.

Whatever a client sends (a path, a header, an e-mail address) can reach a log message. The
formatters escape control characters in every value they write, so no value can start a
new line, forge a record or write a NUL byte, whichever format is used.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime

# C0 controls, DEL, C1 controls (NEL among them) and the Unicode line and paragraph
# separators: everything a terminal or a log shipper may take as a line break or a command.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
# The request fields a record may carry (set by the web layer's filter), in output order.
CONTEXT_FIELDS = (
    "request_id",
    "method",
    "route",
    "status",
    "duration_ms",
    "organization_id",
    "user_id",
    "api_key_id",
)
_TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def escape(value: str) -> str:
    """value with every control character written as a visible escape (\\n, \\x00, \\u2028)."""
    return _CONTROL.sub(_escaped_char, value)


def _escaped_char(match: re.Match) -> str:
    """The escape for one control character."""
    char = match.group()
    if char in _NAMED:
        return _NAMED[char]
    return f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}"


def _message(record: logging.LogRecord) -> str:
    """The record's message with its arguments, escaped."""
    return escape(record.getMessage())


class TextFormatter(logging.Formatter):
    """time level logger: message, one line; a traceback's lines follow, indented."""

    def __init__(self) -> None:
        super().__init__(_TEXT_FORMAT)

    def formatMessage(self, record: logging.LogRecord) -> str:
        """The line, with the escaped message."""
        return self._style.format(_with_message(record, _message(record)))

    def formatException(self, ei) -> str:
        """The traceback, each line escaped and indented, so none can pass for a record."""
        text = super().formatException(ei)
        return "\n".join("    " + escape(line) for line in text.split("\n"))

    def formatStack(self, stack_info: str) -> str:
        """The stack, each line escaped and indented."""
        return "\n".join("    " + escape(line) for line in stack_info.split("\n"))


def _with_message(record: logging.LogRecord, message: str) -> logging.LogRecord:
    """record with record.message set (what %(message)s reads)."""
    record.message = message
    return record


class JsonFormatter(logging.Formatter):
    """One JSON object per line: timestamp, level, logger, message and the request's fields."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as one line of JSON."""
        entry = {
            "timestamp": datetime.fromtimestamp(record.created, UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for field in CONTEXT_FIELDS:
            value = getattr(record, field, None)
            if value is not None:
                entry[field] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        # json escapes C0 controls; the rest of the set is written as \\u escapes too.
        line = json.dumps(entry, ensure_ascii=False, default=str)
        return _CONTROL.sub(lambda match: f"\\u{ord(match.group()):04x}", line)


def formatter(log_format: str) -> logging.Formatter:
    """The formatter for LOG_FORMAT (text or json)."""
    return JsonFormatter() if log_format == "json" else TextFormatter()


def configure(log_format: str, level: str, context: logging.Filter | None = None) -> None:
    """Send the root logger's records to stderr in log_format, at level (once per process).

    context: a filter that adds the current request's fields to each record.
    """
    root = logging.getLogger()
    handler = next((h for h in root.handlers if getattr(h, "refinery", False)), None)
    if handler is None:
        handler = logging.StreamHandler(sys.stderr)
        handler.refinery = True
        root.addHandler(handler)
        root.setLevel(level)
    handler.setFormatter(formatter(log_format))
    for old in list(handler.filters):
        handler.removeFilter(old)
    if context is not None:
        handler.addFilter(context)
    logging.getLogger("refinery").setLevel(level)
