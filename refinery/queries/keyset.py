"""The keyset parameters shared by every newest-first list.

Each list statement says the condition itself:
    (%(after_at)s::timestamptz IS NULL
     OR (created_at, id) < (%(after_at)s, %(after_id)s::uuid))
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from refinery.paging import Page


def page_params(page: Page) -> dict:
    """The keyset position, LIMIT (one extra row, to know whether more exist) and OFFSET."""
    return {
        "after_at": page.after[0] if page.after else None,
        "after_id": page.after[1] if page.after else None,
        "limit": page.limit + 1,
        "offset": page.offset,
    }
