"""Failed logins, counted over a sliding window per account and per client address."""

from __future__ import annotations

from psycopg2.extensions import connection

from refinery.queries.run import execute, fetch_one

# Seconds until the per_account-th newest failure of the account, or the per_client-th
# of the address, leaves the window (zero or less: under both limits).
THROTTLE_WAIT = """
WITH account AS (
    SELECT created_at
    FROM login_failures
    WHERE lower(email) = lower(%(email)s)
      AND created_at > now() - make_interval(secs => %(window)s)
    ORDER BY created_at DESC
    OFFSET %(per_account)s - 1
    LIMIT 1
), client AS (
    SELECT created_at
    FROM login_failures
    WHERE client_ip = %(client_ip)s
      AND created_at > now() - make_interval(secs => %(window)s)
    ORDER BY created_at DESC
    OFFSET %(per_client)s - 1
    LIMIT 1
)
SELECT ceil(GREATEST(
           coalesce((SELECT extract(epoch FROM created_at) FROM account), 0),
           coalesce((SELECT extract(epoch FROM created_at) FROM client), 0)
       ) + %(window)s - extract(epoch FROM now()))::int AS wait
"""

FORGET_OLD_FAILURES = """
DELETE FROM login_failures
WHERE lower(email) = lower(%(email)s)
  AND created_at < now() - make_interval(secs => %(window)s)
"""

RECORD_FAILURE = """
INSERT INTO login_failures (email, client_ip)
VALUES (%(email)s, %(client_ip)s)
"""


def throttle_wait(
    conn: connection, email: str, client_ip: str, window: int, per_account: int, per_client: int
) -> int:
    """Seconds until another attempt is allowed; 0 when under both limits."""
    row = fetch_one(
        conn,
        THROTTLE_WAIT,
        {
            "email": email,
            "client_ip": client_ip,
            "window": window,
            "per_account": per_account,
            "per_client": per_client,
        },
    )
    return max(0, row["wait"])


def record_failure(conn: connection, email: str, client_ip: str, window: int) -> None:
    """Remember one failed attempt and forget this account's attempts older than the window."""
    execute(conn, FORGET_OLD_FAILURES, {"email": email, "window": window})
    execute(conn, RECORD_FAILURE, {"email": email, "client_ip": client_ip})
