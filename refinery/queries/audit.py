"""The append-only audit trail."""

from __future__ import annotations

from typing import TYPE_CHECKING

from psycopg2.extensions import connection
from psycopg2.extras import Json

from refinery.queries.keyset import page_params
from refinery.queries.run import execute, fetch_all

if TYPE_CHECKING:
    from refinery.paging import Page

RECORD_EVENT = """
INSERT INTO audit_log
    (organization_id, actor_user_id, actor_api_key_id, actor_email, action,
     target_type, target_id, client_ip, details)
VALUES
    (%(organization_id)s, %(actor_user_id)s, %(actor_api_key_id)s, %(actor_email)s,
     %(action)s, %(target_type)s, %(target_id)s, %(client_ip)s, %(details)s)
"""

# Newest first, one page: rows strictly older than the page's (created_at, id) position
# when it has one, up to limit + 1 (the extra row says whether more exist).
LIST_PAGE = """
SELECT id, action, actor_user_id, actor_api_key_id, actor_email, target_type, target_id,
       client_ip, details, created_at
FROM audit_log
WHERE organization_id = %(organization_id)s
  AND (%(action)s::text IS NULL OR action = %(action)s)
  AND (%(after_at)s::timestamptz IS NULL
       OR (created_at, id) < (%(after_at)s, %(after_id)s::uuid))
ORDER BY created_at DESC, id DESC
LIMIT %(limit)s
OFFSET %(offset)s
"""


def record_event(conn: connection, event: dict) -> None:
    """Append one event."""
    execute(conn, RECORD_EVENT, {**event, "details": Json(event.get("details") or {})})


def list_page(conn: connection, organization_id: str, action: str | None, page: Page) -> list[dict]:
    """The organization's events, newest first, up to limit + 1."""
    return fetch_all(
        conn,
        LIST_PAGE,
        {"organization_id": organization_id, "action": action, **page_params(page)},
    )
