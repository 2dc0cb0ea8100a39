"""Page parameters shared by every list: limit, offset and an opaque keyset cursor."""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from datetime import UTC, date, datetime, timedelta

from flask import request

from refinery.api.validation import Fields
from refinery.paging import Page

# Cursors this API returns are about 80 characters; anything much longer is not one.
_MAX_CURSOR_CHARS = 256
# The ends of what a moment can be; a valid date-time beyond them is taken as the end.
_EARLIEST = datetime.min.replace(tzinfo=UTC)
_LATEST = datetime.max.replace(tzinfo=UTC)


def _bounded_int(fields: Fields, name: str, default: int, low: int, high: int) -> int:
    """A query-string integer, clamped into [low, high]; a field error when not a number."""
    raw = request.args.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        fields.fail(name, "must be a whole number")
        return default
    return min(max(value, low), high)


def _decode_cursor(fields: Fields, raw: str | None) -> tuple[datetime, str] | None:
    """The keyset position inside a cursor; a bad cursor is a field error on `cursor`.

    A cursor is base64 of the JSON list [created_at, id]: anything else, whatever it
    decodes to (another shape, other types, deep nesting), is refused.
    """
    if raw is None:
        return None
    position = None
    if 0 < len(raw) <= _MAX_CURSOR_CHARS:
        try:
            padded = raw + "=" * (-len(raw) % 4)
            position = _keyset_position(json.loads(base64.urlsafe_b64decode(padded.encode())))
        except (ValueError, binascii.Error, UnicodeDecodeError, RecursionError):
            position = None
    if position is None:
        fields.fail("cursor", "is not a cursor this API returned")
    return position


def _keyset_position(decoded: object) -> tuple[datetime, str] | None:
    """(created_at, id) from a decoded cursor: a timezone-aware moment and a UUID, or None."""
    if not (isinstance(decoded, list) and len(decoded) == 2):
        return None
    created_at, row_id = decoded
    if not (isinstance(created_at, str) and isinstance(row_id, str)):
        return None
    try:
        moment = datetime.fromisoformat(created_at)
        row_id = str(uuid.UUID(row_id))
    except ValueError:
        return None
    return (moment, row_id) if moment.tzinfo is not None else None


def read_page(fields: Fields) -> Page:
    """limit (1..100, default 20, clamped), offset, cursor from the query string."""
    limit = _bounded_int(fields, "limit", 20, 1, 100)
    offset = _bounded_int(fields, "offset", 0, 0, 1_000_000)
    after = _decode_cursor(fields, request.args.get("cursor"))
    # A cursor already says where the page starts.
    return Page(limit, 0 if after else offset, after)


def _encode_cursor(row: dict) -> str:
    """An opaque keyset position: the row's (created_at, id)."""
    raw = json.dumps([row["created_at"].isoformat(), str(row["id"])])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def page_json(rows: list[dict], page: Page, shape) -> dict:
    """{data, limit, offset, hasMore, nextCursor} from up to limit + 1 rows."""
    has_more = len(rows) > page.limit
    rows = rows[: page.limit]
    return {
        "data": [shape(row) for row in rows],
        "limit": page.limit,
        "offset": page.offset,
        "hasMore": has_more,
        "nextCursor": _encode_cursor(rows[-1]) if has_more else None,
    }


def read_moment(fields: Fields, name: str, end_of_day: bool) -> datetime | None:
    """An ISO date or date-time from the query string (UTC unless it says otherwise).

    A bare date as an upper bound (end_of_day) means the end of that day. A moment past
    the years 1 to 9999 in UTC (9999-12-31 as an upper bound, year 1 with a positive
    offset) is taken as the end it passed: the document allows them, so they are answered.
    """
    raw = request.args.get(name)
    if raw is None:
        return None
    try:
        if len(raw) == 10:
            day = date.fromisoformat(raw)
            moment = datetime(day.year, day.month, day.day, tzinfo=UTC)
            if end_of_day:
                moment += timedelta(days=1)
        else:
            moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
            moment = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)
    except ValueError:
        fields.fail(name, "must be an ISO 8601 date or date-time, like 2026-11-25")
        return None
    except OverflowError:  # 9999-12-31 plus a day, or year 1 moved to UTC: past an end
        return _LATEST if raw.startswith("9999") else _EARLIEST
    return moment
