"""Optimization history: recording results, paging, reading and deleting them."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from psycopg2.extensions import connection
from psycopg2.extras import Json

from refinery.queries.keyset import AFTER, page_params
from refinery.queries.prepared import Prepared

if TYPE_CHECKING:
    from refinery.paging import Page
from refinery.queries.quota import OUTCOME_COLUMNS, REFUSED_SELECT, RESERVE_CTE

# The columns a new record fills, with their types, in one place for every insert below.
_RECORD_TYPES = {
    "organization_id": "uuid",
    "user_id": "uuid",
    "api_key_id": "uuid",
    "provider": "text",
    "model": "text",
    "strategy": "text",
    "compression_level": "text",
    "output_format": "text",
    "status": "text",
    "original_text": "text",
    "refined_text": "text",
    "tokenizer": "text",
    "original_tokens": "integer",
    "refined_tokens": "integer",
    "tokens_saved": "integer",
    "savings_percentage": "numeric",
    "removed_segments": "jsonb",
    "warnings": "jsonb",
    "provider_input_tokens": "integer",
    "provider_output_tokens": "integer",
    "duration_ms": "integer",
    "error_code": "text",
}
_RECORD_FIELDS = tuple(_RECORD_TYPES)
_RECORD_COLUMNS = ", ".join(_RECORD_FIELDS)
_RECORD_VALUES = ", ".join(f"%({name})s" for name in _RECORD_FIELDS)

_SUMMARY_COLUMNS = """
    id, provider, model, strategy, compression_level, output_format, status, tokenizer,
    original_tokens, refined_tokens, tokens_saved, savings_percentage, duration_ms,
    error_code, user_id, api_key_id, created_at,
    left(original_text, 120) AS preview
"""
_DETAIL_COLUMNS = """
    id, provider, model, strategy, compression_level, output_format, status, tokenizer,
    original_tokens, refined_tokens, tokens_saved, savings_percentage, duration_ms,
    error_code, user_id, api_key_id, created_at, original_text, refined_text,
    removed_segments, warnings, provider_input_tokens, provider_output_tokens
"""


def _params(record: dict) -> dict:
    """Insert parameters: JSON columns wrapped, every field present."""
    params = {name: record.get(name) for name in _RECORD_FIELDS}
    params["removed_segments"] = Json(record.get("removed_segments") or [])
    params["warnings"] = Json(record.get("warnings") or [])
    return params


# Reserve a request and store its finished record in one statement: the local engine's
# whole write. Prepared, since it runs on every optimize request: PostgreSQL parses and
# plans it once per connection instead of each time (about half its CPU per run).
_RESERVE_AND_RECORD = Prepared(
    "refinery_reserve_and_record",
    f"""
    WITH {RESERVE_CTE},
    saved AS (
        INSERT INTO optimizations ({_RECORD_COLUMNS})
        SELECT {_RECORD_VALUES}
        FROM reserved
        RETURNING id, created_at
    )
    SELECT true AS allowed, {OUTCOME_COLUMNS}, v.id, v.created_at
    FROM reserved AS r
    CROSS JOIN saved AS v
    UNION ALL
    SELECT q.*, NULL::uuid, NULL::timestamptz
    FROM ({REFUSED_SELECT}) AS q
    """,  # noqa: S608 - constant SQL fragments; values are parameters
    _RECORD_TYPES,
)


def reserve_and_record(conn: connection, record: dict) -> dict:
    """Reserve a request and store its finished record in one statement.

    Returns {allowed, used, limit, period_start, reset_at, id, created_at}; when the quota
    is spent, allowed is false and nothing is stored.
    """
    with conn.cursor() as cur:
        cur.execute_prepared(_RESERVE_AND_RECORD, _params(record))
        return cur.fetchone()


def record(conn: connection, record: dict) -> dict:
    """Store a record whose request was already reserved; return {id, created_at}."""
    with conn.cursor() as cur:
        cur.execute(
            f"""
            INSERT INTO optimizations ({_RECORD_COLUMNS})
            VALUES ({_RECORD_VALUES})
            RETURNING id, created_at
            """,  # noqa: S608 - constant column list; values are parameters
            _params(record),
        )
        return cur.fetchone()


def record_failure(conn: connection, record: dict, period_start: datetime) -> dict:
    """Store a failed record and give back its reserved request, in one statement."""
    with conn.cursor() as cur:
        cur.execute(
            f"""
            WITH refunded AS (
                UPDATE subscriptions
                SET used_requests = used_requests - 1,
                    updated_at = now()
                WHERE organization_id = %(organization_id)s
                  AND period_start = %(period_start)s
                  AND used_requests > 0
                RETURNING used_requests
            )
            INSERT INTO optimizations ({_RECORD_COLUMNS})
            VALUES ({_RECORD_VALUES})
            RETURNING id, created_at, (SELECT used_requests FROM refunded) AS used
            """,  # noqa: S608 - constant column list; values are parameters
            {**_params(record), "period_start": period_start},
        )
        return cur.fetchone()


def list_page(conn: connection, organization_id: str, filters: dict, page: Page) -> list[dict]:
    """Newest first, up to limit + 1 rows (the extra one says whether more exist).

    page.after is a keyset position (created_at, id): only rows strictly older than it.
    """
    with conn.cursor() as cur:
        cur.execute(
            f"""
            SELECT {_SUMMARY_COLUMNS}
            FROM optimizations
            WHERE organization_id = %(organization_id)s
              AND (%(provider)s::text IS NULL OR provider = %(provider)s)
              AND (%(status)s::text IS NULL OR status = %(status)s)
              AND (%(strategy)s::text IS NULL OR strategy = %(strategy)s)
              AND (%(from)s::timestamptz IS NULL OR created_at >= %(from)s)
              AND (%(to)s::timestamptz IS NULL OR created_at < %(to)s)
              AND {AFTER}
            ORDER BY created_at DESC, id DESC
            LIMIT %(limit)s
            OFFSET %(offset)s
            """,  # noqa: S608 - constant column list; values are parameters
            {
                "organization_id": organization_id,
                "provider": filters.get("provider"),
                "status": filters.get("status"),
                "strategy": filters.get("strategy"),
                "from": filters.get("from"),
                "to": filters.get("to"),
                **page_params(page),
            },
        )
        return cur.fetchall()


def get_one(conn: connection, organization_id: str, optimization_id: str) -> dict | None:
    """The whole record, if it belongs to the organization."""
    with conn.cursor() as cur:
        cur.execute(
            f"""
            SELECT {_DETAIL_COLUMNS}
            FROM optimizations
            WHERE organization_id = %(organization_id)s
              AND id = %(id)s
            """,  # noqa: S608 - constant column list
            {"organization_id": organization_id, "id": optimization_id},
        )
        return cur.fetchone()


def delete_one(conn: connection, organization_id: str, optimization_id: str) -> bool:
    """Erase one record of the organization; False when there was none."""
    with conn.cursor() as cur:
        cur.execute(
            """
            DELETE FROM optimizations
            WHERE organization_id = %(organization_id)s
              AND id = %(id)s
            RETURNING id
            """,
            {"organization_id": organization_id, "id": optimization_id},
        )
        return cur.fetchone() is not None
