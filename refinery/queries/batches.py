"""Batches and their items: creating (with the quota), reading, claiming, finishing, stopping.

The quota invariant these statements keep, for an organization and its current period:
    used_requests = completed history rows of the period
                    + batch items reserved in the period and still queued or running
A batch reserves all its items in the statement that creates it; an item that completes
becomes a completed history row in the statement that finishes it (no change to the
counter); an item that fails becomes a failed history row and is refunded in that same
statement; an item cancelled or expired is refunded in the statement that stops it.
Refunds go to the period the batch was reserved in only (a batch that spans a month
boundary keeps last month's count, as a failed optimize call does).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from psycopg2.extensions import connection
from psycopg2.extras import Json

from refinery.queries.keyset import page_params
from refinery.queries.optimizations import record_params
from refinery.queries.run import execute, fetch_all, fetch_one

if TYPE_CHECKING:
    from refinery.paging import Page

ITEM_STATES = ("queued", "running", "completed", "failed", "cancelled", "expired")

# Reserve one request per item, create the batch and insert its items, in one statement;
# or, when the allowance cannot hold them all, create nothing and report the counter.
CREATE = """
WITH period AS (
    SELECT date_trunc('month', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS start
),
reserved AS (
    UPDATE subscriptions AS s
    SET used_requests = CASE WHEN s.period_start < p.start THEN 0
                             ELSE s.used_requests END + %(count)s,
        period_start = p.start,
        updated_at = now()
    FROM period AS p
    WHERE s.organization_id = %(organization_id)s
      AND CASE WHEN s.period_start < p.start THEN 0
               ELSE s.used_requests END + %(count)s <= s.monthly_limit
    RETURNING s.used_requests, s.monthly_limit, s.period_start
),
batch AS (
    INSERT INTO batch_jobs
        (organization_id, created_by, api_key_id, status, period_start, total_items,
         remaining_items, expires_at)
    SELECT %(organization_id)s, %(user_id)s, %(api_key_id)s, 'in_progress', r.period_start,
           %(count)s, %(count)s, now() + make_interval(secs => %(ttl_seconds)s)
    FROM reserved AS r
    RETURNING id
),
items AS (
    INSERT INTO batch_items
        (organization_id, batch_job_id, position, custom_id, input_text, provider, model,
         strategy, compression_level, output_format)
    SELECT %(organization_id)s, b.id, x.position, x.custom_id, x.input_text, x.provider,
           x.model, x.strategy, x.compression_level, x.output_format
    FROM batch AS b
    CROSS JOIN jsonb_to_recordset(%(items)s) AS x(
        position INTEGER, custom_id TEXT, input_text TEXT, provider TEXT, model TEXT,
        strategy TEXT, compression_level TEXT, output_format TEXT)
)
SELECT true AS allowed,
       b.id,
       r.used_requests AS used,
       r.monthly_limit AS "limit",
       r.period_start + interval '1 month' AS reset_at
FROM batch AS b
CROSS JOIN reserved AS r
UNION ALL
SELECT false AS allowed,
       NULL::uuid AS id,
       CASE WHEN s.period_start < p.start THEN 0 ELSE s.used_requests END AS used,
       s.monthly_limit AS "limit",
       p.start + interval '1 month' AS reset_at
FROM subscriptions AS s
CROSS JOIN period AS p
WHERE s.organization_id = %(organization_id)s
  AND NOT EXISTS (SELECT 1 FROM reserved)
"""

GET_ONE = """
SELECT b.id, b.status, b.created_by, b.api_key_id, b.total_items, b.remaining_items,
    b.completed_items, b.failed_items, b.cancelled_items, b.expired_items, b.created_at,
    b.expires_at, b.cancelled_at, b.finished_at,
    (SELECT count(*) FROM batch_items AS i
     WHERE i.organization_id = b.organization_id AND i.batch_job_id = b.id
       AND i.status = 'running') AS running_items
FROM batch_jobs AS b
WHERE b.organization_id = %(organization_id)s
  AND b.id = %(id)s
"""

LIST_PAGE = """
SELECT b.id, b.status, b.created_by, b.api_key_id, b.total_items, b.remaining_items,
    b.completed_items, b.failed_items, b.cancelled_items, b.expired_items, b.created_at,
    b.expires_at, b.cancelled_at, b.finished_at,
    (SELECT count(*) FROM batch_items AS i
     WHERE i.organization_id = b.organization_id AND i.batch_job_id = b.id
       AND i.status = 'running') AS running_items
FROM batch_jobs AS b
WHERE b.organization_id = %(organization_id)s
  AND (%(status)s::text IS NULL OR b.status = %(status)s)
  AND (%(after_at)s::timestamptz IS NULL
       OR (b.created_at, b.id) < (%(after_at)s, %(after_id)s::uuid))
ORDER BY b.created_at DESC, b.id DESC
LIMIT %(limit)s
OFFSET %(offset)s
"""

# One page of results in item order after a position: each item with its history row.
RESULTS_PAGE = """
SELECT i.position, i.custom_id, i.status AS item_status, i.error_code AS item_error_code,
       i.error_message,
       o.id, o.provider, o.model, o.strategy, o.compression_level, o.output_format, o.status,
       o.tokenizer, o.original_tokens, o.refined_tokens, o.tokens_saved,
       o.savings_percentage, o.duration_ms, o.error_code, o.user_id, o.api_key_id,
       o.created_at, o.original_text, o.refined_text, o.removed_segments, o.warnings,
       o.provider_input_tokens, o.provider_output_tokens
FROM batch_items AS i
LEFT JOIN optimizations AS o
       ON o.batch_item_id = i.id AND o.organization_id = %(organization_id)s
WHERE i.organization_id = %(organization_id)s
  AND i.batch_job_id = %(batch_id)s
  AND i.position > %(after)s
ORDER BY i.position
LIMIT %(limit)s
"""

CLAIM = """
SELECT * FROM refinery_claim_batch_items(%(token)s, %(limit)s, %(lease_seconds)s)
"""

EXPIRED = "SELECT * FROM refinery_expired_batches(%(limit)s)"

# Finish one claimed item, in one statement: mark it (only while this claim still holds
# it), store its history row linked to the batch and item, count it on the batch (the last
# item ends the batch), and refund its request when it failed. A claim that lost the item
# (its lease lapsed and another worker took it) changes nothing: applied = 0.
FINISH_ITEM = """
WITH done AS (
    UPDATE batch_items
    SET status = %(status)s,
        finished_at = now(),
        lease_until = NULL,
        error_code = %(error_code)s,
        error_message = %(error_message)s
    WHERE organization_id = %(organization_id)s
      AND id = %(item_id)s
      AND status = 'running'
      AND claim_token = %(claim_token)s
    RETURNING id, batch_job_id
),
saved AS (
    INSERT INTO optimizations
        (organization_id, user_id, api_key_id, provider, model, strategy,
         compression_level, output_format, status, original_text, refined_text, tokenizer,
         original_tokens, refined_tokens, tokens_saved, savings_percentage,
         removed_segments, warnings, provider_input_tokens, provider_output_tokens,
         duration_ms, error_code, batch_id, batch_item_id)
    SELECT %(organization_id)s, %(user_id)s, %(api_key_id)s, %(provider)s, %(model)s,
           %(strategy)s, %(compression_level)s, %(output_format)s, %(status)s,
           %(original_text)s, %(refined_text)s, %(tokenizer)s, %(original_tokens)s,
           %(refined_tokens)s, %(tokens_saved)s, %(savings_percentage)s,
           %(removed_segments)s, %(warnings)s, %(provider_input_tokens)s,
           %(provider_output_tokens)s, %(duration_ms)s, %(error_code)s,
           d.batch_job_id, d.id
    FROM done AS d
    RETURNING id
),
counted AS (
    UPDATE batch_jobs AS b
    SET remaining_items = b.remaining_items - 1,
        completed_items = b.completed_items + (%(status)s = 'completed')::int,
        failed_items = b.failed_items + (%(status)s = 'failed')::int,
        status = CASE
            WHEN b.remaining_items > 1 THEN b.status
            WHEN b.status = 'cancelling' THEN 'cancelled'
            WHEN b.status <> 'in_progress' THEN b.status
            WHEN b.completed_items + (%(status)s = 'completed')::int = 0 THEN 'failed'
            ELSE 'completed' END,
        finished_at = CASE WHEN b.remaining_items = 1 THEN now() ELSE b.finished_at END
    FROM done AS d
    WHERE b.id = d.batch_job_id
    RETURNING b.status, b.remaining_items, b.period_start
),
refunded AS (
    UPDATE subscriptions AS s
    SET used_requests = s.used_requests - 1,
        updated_at = now()
    FROM counted AS c
    WHERE %(status)s = 'failed'
      AND s.organization_id = %(organization_id)s
      AND s.period_start = c.period_start
      AND s.used_requests > 0
    RETURNING s.used_requests
)
SELECT (SELECT count(*) FROM saved) AS applied,
       (SELECT status FROM counted) AS batch_status,
       (SELECT remaining_items FROM counted) AS remaining
"""

# Stop a live batch (cancel, or expire): its queued items become `item_status`, their
# requests go back to the period they were reserved in, and the batch becomes `final` when
# nothing runs any more, else `pending` (the running items finish and the last ends it).
STOP = """
WITH target AS (
    SELECT id, period_start
    FROM batch_jobs
    WHERE organization_id = %(organization_id)s
      AND id = %(id)s
      AND status = 'in_progress'
    FOR UPDATE
),
stopped AS (
    UPDATE batch_items AS i
    SET status = %(item_status)s,
        finished_at = now(),
        lease_until = NULL
    FROM target AS t
    WHERE i.batch_job_id = t.id
      AND i.organization_id = %(organization_id)s
      AND i.status = 'queued'
    RETURNING i.id
),
tally AS (
    SELECT count(*)::int AS n FROM stopped
),
refunded AS (
    UPDATE subscriptions AS s
    SET used_requests = s.used_requests - y.n,
        updated_at = now()
    FROM target AS t, tally AS y
    WHERE s.organization_id = %(organization_id)s
      AND s.period_start = t.period_start
      AND y.n > 0
    RETURNING s.used_requests
)
UPDATE batch_jobs AS b
SET remaining_items = b.remaining_items - y.n,
    cancelled_items = b.cancelled_items + CASE WHEN %(item_status)s = 'cancelled'
                                               THEN y.n ELSE 0 END,
    expired_items = b.expired_items + CASE WHEN %(item_status)s = 'expired'
                                           THEN y.n ELSE 0 END,
    status = CASE WHEN b.remaining_items - y.n = 0 THEN %(final)s ELSE %(pending)s END,
    cancelled_at = CASE WHEN %(item_status)s = 'cancelled' THEN now() ELSE b.cancelled_at END,
    finished_at = CASE WHEN b.remaining_items - y.n = 0 THEN now() ELSE b.finished_at END
FROM target AS t, tally AS y
WHERE b.id = t.id
RETURNING b.id, b.status
"""


def create(conn: connection, organization_id: str, principal: dict, items: list[dict], ttl: int):
    """Reserve len(items) requests and store the batch; {allowed, id, used, limit, reset_at}."""
    return fetch_one(
        conn,
        CREATE,
        {
            "organization_id": organization_id,
            "user_id": principal.get("user_id"),
            "api_key_id": principal.get("api_key_id"),
            "count": len(items),
            "ttl_seconds": ttl,
            "items": Json(items),
        },
    )


def get_one(conn: connection, organization_id: str, batch_id: str) -> dict | None:
    """One batch of the organization with its counts, or None."""
    return fetch_one(conn, GET_ONE, {"organization_id": organization_id, "id": batch_id})


def list_page(conn: connection, organization_id: str, status: str | None, page: Page):
    """Newest first, up to limit + 1 batches (the extra one says whether more exist)."""
    params = {"organization_id": organization_id, "status": status, **page_params(page)}
    return fetch_all(conn, LIST_PAGE, params)


def results_page(
    conn: connection, organization_id: str, batch_id: str, after: int, limit: int
) -> list[dict]:
    """Up to limit items after position `after`, each with its history row's columns."""
    params = {"organization_id": organization_id, "batch_id": batch_id}
    return fetch_all(conn, RESULTS_PAGE, {**params, "after": after, "limit": limit})


def claim(conn: connection, token: str, limit: int, lease_seconds: int) -> list[dict]:
    """Claim up to limit items of one batch for this claim token (any organization)."""
    params = {"token": token, "limit": limit, "lease_seconds": lease_seconds}
    return fetch_all(conn, CLAIM, params)


def expired(conn: connection, limit: int) -> list[dict]:
    """Live batches past their expiry: [{id, organization_id}] (any organization)."""
    return fetch_all(conn, EXPIRED, {"limit": limit})


def finish_item(conn: connection, item: dict, claim_token: str, record: dict) -> dict:
    """Finish a claimed item with its record (completed, or failed and refunded).

    Returns {applied: 0 or 1, batch_status, remaining}.
    """
    return fetch_one(
        conn,
        FINISH_ITEM,
        {
            **record_params(record),
            "item_id": item["id"],
            "claim_token": claim_token,
            "error_message": record.get("error_message"),
        },
    )


def stop(conn: connection, organization_id: str, batch_id: str, reason: str) -> dict | None:
    """Cancel (reason 'cancelled') or expire ('expired') a live batch; None when not live."""
    pending = "cancelling" if reason == "cancelled" else reason
    params = {"organization_id": organization_id, "id": batch_id, "item_status": reason}
    return fetch_one(conn, STOP, {**params, "final": reason, "pending": pending})


# Extend this claim's lease on its items still running (a long chunk keeps them).
RENEW = """
UPDATE batch_items
SET lease_until = now() + make_interval(secs => %(lease_seconds)s)
WHERE organization_id = %(organization_id)s
  AND id = ANY(%(ids)s::uuid[])
  AND claim_token = %(claim_token)s
  AND status = 'running'
"""

# Give items back unprocessed (a worker stopping): their lease ends now, so any worker may
# claim them at once, whatever the batch's state.
RELEASE = """
UPDATE batch_items
SET lease_until = now() - interval '1 second'
WHERE organization_id = %(organization_id)s
  AND id = ANY(%(ids)s::uuid[])
  AND claim_token = %(claim_token)s
  AND status = 'running'
"""


def renew(conn: connection, organization_id: str, ids: list, token: str, seconds: int) -> int:
    """Extend the lease on this claim's running items; return how many it still holds."""
    params = {"organization_id": organization_id, "ids": [str(i) for i in ids]}
    return execute(conn, RENEW, {**params, "claim_token": token, "lease_seconds": seconds})


def release(conn: connection, organization_id: str, ids: list, token: str) -> int:
    """End the lease on this claim's running items now; return how many were released."""
    params = {"organization_id": organization_id, "ids": [str(i) for i in ids]}
    return execute(conn, RELEASE, {**params, "claim_token": token})
