"""The monthly request quota, counted atomically in the subscriptions row."""

from __future__ import annotations

from psycopg2.extensions import connection

from refinery.queries.run import fetch_one

# Reserve one request of this month's allowance, rolling the period over on the 1st (UTC).
# One UPDATE: concurrent reservations queue on the row lock and each re-checks the limit
# after the one before it commits, so exactly `monthly_limit` pass in a period. When
# nothing was reserved, the second branch reports the spent counter instead.
RESERVE_REQUEST = """
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
)
SELECT true AS allowed,
       r.used_requests AS used,
       r.monthly_limit AS "limit",
       r.period_start,
       r.period_start + interval '1 month' AS reset_at
FROM reserved AS r
UNION ALL
SELECT false AS allowed,
       CASE WHEN s.period_start < p.start THEN 0 ELSE s.used_requests END AS used,
       s.monthly_limit AS "limit",
       p.start AS period_start,
       p.start + interval '1 month' AS reset_at
FROM subscriptions AS s
CROSS JOIN period AS p
WHERE s.organization_id = %(organization_id)s
  AND NOT EXISTS (SELECT 1 FROM reserved)
"""


def reserve_request(conn: connection, organization_id: str) -> dict:
    """Take one request of the allowance: {allowed, used, limit, period_start, reset_at}."""
    return fetch_one(conn, RESERVE_REQUEST, {"organization_id": organization_id})
