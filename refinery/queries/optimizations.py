"""Optimization history: recording results, paging, reading and deleting them."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from psycopg2.extensions import connection
from psycopg2.extras import Json

from refinery.queries.keyset import page_params
from refinery.queries.prepared import Prepared
from refinery.queries.run import fetch_all, fetch_one

if TYPE_CHECKING:
    from refinery.paging import Page

# The fields of a new record, in the order of the inserts below, with their SQL types
# (for the PREPAREd statement).
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

# Reserve a request (as queries/quota.py RESERVE_REQUEST does) and store its finished
# record in one statement: the local engine's whole write. When the quota is spent,
# nothing is stored and the second branch reports the counter.
RESERVE_AND_RECORD = """
WITH period AS (
    SELECT date_trunc('month', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS start
),
reserved AS (
    UPDATE subscriptions AS s
    SET used_requests = CASE WHEN s.period_start < p.start THEN 1
                             ELSE s.used_requests + 1 END,
        period_start = p.start,
        updated_at = now()
    FROM period AS p
    WHERE s.organization_id = %(organization_id)s
      AND CASE WHEN s.period_start < p.start THEN 0
               ELSE s.used_requests END < s.monthly_limit
    RETURNING s.used_requests, s.monthly_limit, s.period_start
),
saved AS (
    INSERT INTO optimizations
        (organization_id, user_id, api_key_id, provider, model, strategy,
         compression_level, output_format, status, original_text, refined_text, tokenizer,
         original_tokens, refined_tokens, tokens_saved, savings_percentage,
         removed_segments, warnings, provider_input_tokens, provider_output_tokens,
         duration_ms, error_code)
    SELECT %(organization_id)s, %(user_id)s, %(api_key_id)s, %(provider)s, %(model)s,
           %(strategy)s, %(compression_level)s, %(output_format)s, %(status)s,
           %(original_text)s, %(refined_text)s, %(tokenizer)s, %(original_tokens)s,
           %(refined_tokens)s, %(tokens_saved)s, %(savings_percentage)s,
           %(removed_segments)s, %(warnings)s, %(provider_input_tokens)s,
           %(provider_output_tokens)s, %(duration_ms)s, %(error_code)s
    FROM reserved
    RETURNING id, created_at
)
SELECT true AS allowed,
       r.used_requests AS used,
       r.monthly_limit AS "limit",
       r.period_start,
       r.period_start + interval '1 month' AS reset_at,
       v.id,
       v.created_at
FROM reserved AS r
CROSS JOIN saved AS v
UNION ALL
SELECT false AS allowed,
       CASE WHEN s.period_start < p.start THEN 0 ELSE s.used_requests END AS used,
       s.monthly_limit AS "limit",
       p.start AS period_start,
       p.start + interval '1 month' AS reset_at,
       NULL::uuid AS id,
       NULL::timestamptz AS created_at
FROM subscriptions AS s
CROSS JOIN period AS p
WHERE s.organization_id = %(organization_id)s
  AND NOT EXISTS (SELECT 1 FROM reserved)
"""

# Prepared, since it runs on every optimize request: PostgreSQL parses and plans it once
# per connection instead of each time (about half its CPU per run).
_RESERVE_AND_RECORD = Prepared("refinery_reserve_and_record", RESERVE_AND_RECORD, _RECORD_TYPES)

# Store the record of a request reserved earlier. With %(refund_period_start)s set (a
# failed call), give the reserved request back in the same statement; with it NULL, the
# refund matches no row.
RECORD = """
WITH refunded AS (
    UPDATE subscriptions
    SET used_requests = used_requests - 1,
        updated_at = now()
    WHERE organization_id = %(organization_id)s
      AND period_start = %(refund_period_start)s
      AND used_requests > 0
    RETURNING used_requests
)
INSERT INTO optimizations
    (organization_id, user_id, api_key_id, provider, model, strategy,
     compression_level, output_format, status, original_text, refined_text, tokenizer,
     original_tokens, refined_tokens, tokens_saved, savings_percentage,
     removed_segments, warnings, provider_input_tokens, provider_output_tokens,
     duration_ms, error_code)
VALUES
    (%(organization_id)s, %(user_id)s, %(api_key_id)s, %(provider)s, %(model)s,
     %(strategy)s, %(compression_level)s, %(output_format)s, %(status)s,
     %(original_text)s, %(refined_text)s, %(tokenizer)s, %(original_tokens)s,
     %(refined_tokens)s, %(tokens_saved)s, %(savings_percentage)s,
     %(removed_segments)s, %(warnings)s, %(provider_input_tokens)s,
     %(provider_output_tokens)s, %(duration_ms)s, %(error_code)s)
RETURNING id, created_at, (SELECT used_requests FROM refunded) AS used
"""

# Newest first, one page: the optional filters, then rows strictly older than the page's
# (created_at, id) position when it has one, up to limit + 1 (the extra row says whether
# more exist).
LIST_PAGE = """
SELECT id, provider, model, strategy, compression_level, output_format, status, tokenizer,
       original_tokens, refined_tokens, tokens_saved, savings_percentage, duration_ms,
       error_code, user_id, api_key_id, created_at,
       left(original_text, 120) AS preview
FROM optimizations
WHERE organization_id = %(organization_id)s
  AND (%(provider)s::text IS NULL OR provider = %(provider)s)
  AND (%(status)s::text IS NULL OR status = %(status)s)
  AND (%(strategy)s::text IS NULL OR strategy = %(strategy)s)
  AND (%(from)s::timestamptz IS NULL OR created_at >= %(from)s)
  AND (%(to)s::timestamptz IS NULL OR created_at < %(to)s)
  AND (%(after_at)s::timestamptz IS NULL
       OR (created_at, id) < (%(after_at)s, %(after_id)s::uuid))
ORDER BY created_at DESC, id DESC
LIMIT %(limit)s
OFFSET %(offset)s
"""

GET_ONE = """
SELECT id, provider, model, strategy, compression_level, output_format, status, tokenizer,
       original_tokens, refined_tokens, tokens_saved, savings_percentage, duration_ms,
       error_code, user_id, api_key_id, created_at, original_text, refined_text,
       removed_segments, warnings, provider_input_tokens, provider_output_tokens
FROM optimizations
WHERE organization_id = %(organization_id)s
  AND id = %(id)s
"""

DELETE_ONE = """
DELETE FROM optimizations
WHERE organization_id = %(organization_id)s
  AND id = %(id)s
RETURNING id
"""


def record_params(record: dict) -> dict:
    """Insert parameters: JSON columns wrapped, every field present."""
    params = {name: record.get(name) for name in _RECORD_TYPES}
    params["removed_segments"] = Json(record.get("removed_segments") or [])
    params["warnings"] = Json(record.get("warnings") or [])
    return params


def reserve_and_record(conn: connection, record: dict) -> dict:
    """Reserve a request and store its finished record in one statement.

    Returns {allowed, used, limit, period_start, reset_at, id, created_at}; when the quota
    is spent, allowed is false and nothing is stored.
    """
    with conn.cursor() as cur:
        cur.execute_prepared(_RESERVE_AND_RECORD, record_params(record))
        return cur.fetchone()


def record(conn: connection, record: dict) -> dict:
    """Store a record whose request was already reserved; return {id, created_at}."""
    row = fetch_one(conn, RECORD, {**record_params(record), "refund_period_start": None})
    return {"id": row["id"], "created_at": row["created_at"]}


def record_failure(conn: connection, record: dict, period_start: datetime) -> dict:
    """Store a failed record and give back its reserved request, in one statement."""
    return fetch_one(conn, RECORD, {**record_params(record), "refund_period_start": period_start})


def list_page(conn: connection, organization_id: str, filters: dict, page: Page) -> list[dict]:
    """Newest first, up to limit + 1 rows (the extra one says whether more exist).

    page.after is a keyset position (created_at, id): only rows strictly older than it.
    """
    return fetch_all(
        conn,
        LIST_PAGE,
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


def get_one(conn: connection, organization_id: str, optimization_id: str) -> dict | None:
    """The whole record, if it belongs to the organization."""
    params = {"organization_id": organization_id, "id": optimization_id}
    return fetch_one(conn, GET_ONE, params)


def delete_one(conn: connection, organization_id: str, optimization_id: str) -> bool:
    """Erase one record of the organization; False when there was none."""
    params = {"organization_id": organization_id, "id": optimization_id}
    return fetch_one(conn, DELETE_ONE, params) is not None
