"""Optimization history: recording results, paging, reading and deleting them."""

from __future__ import annotations

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

# Reserve one request of this month's allowance and store its record, in one statement:
# the charge and the record are one fact. The local engine stores its finished record
# (status 'completed'); a provider call stores a 'pending' one before the call, which
# COMPLETE or FAIL then settles (SETTLE_STALE if the process died in between).
# The period rolls over on the 1st (UTC). One UPDATE: concurrent reservations queue on the
# row lock and each re-checks the limit after the one before it commits, so exactly
# `monthly_limit` pass in a period. When the quota is spent, nothing is stored and the
# second branch reports the counter.
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

# Store a record without charging anything (demo data: scripts/seed.py).
RECORD = """
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
RETURNING id, created_at
"""

# A pending record's call succeeded: fill in the result. A record the sweep settled
# meanwhile (failed, refunded: the call outlived stale_after, its process stalled) is
# completed too and its request charged again, without the limit check, since the answer
# is delivered: the record tells the truth and the counter still equals what counts.
# FOR UPDATE: a sweep settling the row at the same moment is waited for and seen.
COMPLETE = """
WITH target AS (
    SELECT id, status, created_at
    FROM optimizations
    WHERE organization_id = %(organization_id)s
      AND id = %(id)s
      AND (status = 'pending' OR (status = 'failed' AND error_code = %(interrupted)s))
    FOR UPDATE
),
done AS (
    UPDATE optimizations AS o
    SET status = 'completed',
        model = %(model)s,
        refined_text = %(refined_text)s,
        refined_tokens = %(refined_tokens)s,
        tokens_saved = %(tokens_saved)s,
        savings_percentage = %(savings_percentage)s,
        removed_segments = %(removed_segments)s,
        warnings = %(warnings)s,
        provider_input_tokens = %(provider_input_tokens)s,
        provider_output_tokens = %(provider_output_tokens)s,
        duration_ms = %(duration_ms)s,
        error_code = NULL
    FROM target AS t
    WHERE o.organization_id = %(organization_id)s
      AND o.id = t.id
    RETURNING o.id, o.created_at
),
recharged AS (
    UPDATE subscriptions AS s
    SET used_requests = s.used_requests + 1,
        updated_at = now()
    FROM target AS t
    WHERE s.organization_id = %(organization_id)s
      AND t.status = 'failed'
      AND s.period_start
          = date_trunc('month', t.created_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
    RETURNING s.used_requests
)
SELECT d.id, d.created_at, (SELECT used_requests FROM recharged) AS recharged
FROM done AS d
"""

# The error code of a call settled by the sweep.
INTERRUPTED = "provider_interrupted"

# Pending records become failed and their requests are given back, in one statement: a
# call that failed (FAIL: one id), or calls older than the longest possible call, whose
# process died or lost the database before finishing (SETTLE_STALE). A refund goes to the
# period the request was charged in (the month of created_at, UTC), only while that is the
# counter's period: a new month's counter already started from zero.
_SETTLE = """
WITH settled AS (
    UPDATE optimizations
    SET status = 'failed',
        error_code = %(error_code)s,
        duration_ms = coalesce(%(duration_ms)s, duration_ms)
    WHERE {organization}status = 'pending'
      AND {which}
    RETURNING organization_id, created_at
),
refunds AS (
    SELECT organization_id,
           date_trunc('month', created_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS period_start,
           count(*) AS requests
    FROM settled
    GROUP BY 1, 2
),
refunded AS (
    UPDATE subscriptions AS s
    SET used_requests = greatest(0, s.used_requests - r.requests),
        updated_at = now()
    FROM refunds AS r
    WHERE s.organization_id = r.organization_id
      AND s.period_start = r.period_start
    RETURNING s.used_requests
)
SELECT (SELECT count(*) FROM settled) AS settled,
       (SELECT min(used_requests) FROM refunded) AS used
"""
_ONE_ORGANIZATION = "organization_id = %(organization_id)s\n      AND "
_STALE = "created_at < now() - make_interval(secs => %(older_than)s)"
FAIL = _SETTLE.format(organization=_ONE_ORGANIZATION, which="id = %(id)s")
SETTLE_STALE = _SETTLE.format(organization=_ONE_ORGANIZATION, which=_STALE)
# The same for every organization at once: the operator's `flask --app refinery sweep`,
# as the schema owner (row-level security does not apply to it).
SETTLE_STALE_EVERYWHERE = _SETTLE.format(organization="", which=_STALE)

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

# Erase one record, unless its call is still in flight (a pending record holds its
# request's charge until it is settled). status: the record's, or no row when none.
DELETE_ONE = """
WITH target AS (
    SELECT id, status
    FROM optimizations
    WHERE organization_id = %(organization_id)s
      AND id = %(id)s
),
erased AS (
    DELETE FROM optimizations AS o
    USING target AS t
    WHERE o.organization_id = %(organization_id)s
      AND o.id = t.id
      AND t.status <> 'pending'
    RETURNING o.id
)
SELECT t.status, EXISTS (SELECT 1 FROM erased) AS erased
FROM target AS t
"""


def record_params(record: dict) -> dict:
    """Insert parameters: JSON columns wrapped, every field present."""
    params = {name: record.get(name) for name in _RECORD_TYPES}
    params["removed_segments"] = Json(record.get("removed_segments") or [])
    params["warnings"] = Json(record.get("warnings") or [])
    return params


def reserve_and_record(conn: connection, record: dict) -> dict:
    """Reserve a request and store its record (finished, or pending) in one statement.

    Returns {allowed, used, limit, period_start, reset_at, id, created_at}; when the quota
    is spent, allowed is false and nothing is stored.
    """
    with conn.cursor() as cur:
        cur.execute_prepared(_RESERVE_AND_RECORD, record_params(record))
        return cur.fetchone()


def record(conn: connection, record: dict) -> dict:
    """Store a record without charging (demo data); return {id, created_at}."""
    return fetch_one(conn, RECORD, record_params(record))


def complete(conn: connection, optimization_id: str, record: dict) -> dict | None:
    """Fill in a pending (or swept) record's result: {id, created_at, recharged}.

    recharged is the counter after charging again a record the sweep had settled, else
    None. None when the record is gone (erased after it was settled).
    """
    params = {**record_params(record), "id": optimization_id, "interrupted": INTERRUPTED}
    return fetch_one(conn, COMPLETE, params)


def fail(
    conn: connection, organization_id: str, optimization_id: str, error_code: str, duration_ms: int
) -> dict:
    """Mark a pending record failed and give its request back: {settled, used}."""
    params = {
        "organization_id": organization_id,
        "id": optimization_id,
        "error_code": error_code,
        "duration_ms": duration_ms,
    }
    return fetch_one(conn, FAIL, params)


def settle_stale(conn: connection, organization_id: str | None, older_than: float) -> int:
    """Fail and refund pending records older than older_than seconds; how many there were.

    organization_id None: every organization's (the schema owner's connection only).
    """
    params = {
        "organization_id": organization_id,
        "older_than": older_than,
        "error_code": INTERRUPTED,
        "duration_ms": None,
    }
    statement = SETTLE_STALE if organization_id is not None else SETTLE_STALE_EVERYWHERE
    return fetch_one(conn, statement, params)["settled"]


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


def delete_one(conn: connection, organization_id: str, optimization_id: str) -> str | None:
    """Erase one record of the organization unless it is pending.

    Returns the record's status ("pending": not erased), or None when there was none.
    """
    params = {"organization_id": organization_id, "id": optimization_id}
    row = fetch_one(conn, DELETE_ONE, params)
    return None if row is None else row["status"]
