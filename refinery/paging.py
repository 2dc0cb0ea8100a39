"""Where a page of a list starts and how long it is (read by refinery/api/paging.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Page:
    """Where a page starts and how long it is."""

    limit: int
    offset: int
    after: tuple[datetime, str] | None  # (created_at, id) of the last row already seen
