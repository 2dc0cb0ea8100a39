"""The keyset condition and parameters shared by every newest-first list."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from refinery.paging import Page

# Rows strictly older than the page's (created_at, id) position, when it has one.
AFTER = """(%(after_at)s::timestamptz IS NULL
                   OR (created_at, id) < (%(after_at)s, %(after_id)s::uuid))"""


def page_params(page: Page) -> dict:
    """Parameters for AFTER plus LIMIT (one extra row, to know whether more exist) and OFFSET."""
    return {
        "after_at": page.after[0] if page.after else None,
        "after_id": page.after[1] if page.after else None,
        "limit": page.limit + 1,
        "offset": page.offset,
    }
