"""Failed logins, counted over a sliding window per account and per client address."""

from __future__ import annotations

from psycopg2.extensions import connection


def throttle_wait(
    conn: connection, email: str, client_ip: str, window: int, per_account: int, per_client: int
) -> int:
    """Seconds until another attempt is allowed; 0 when under both limits."""
    with conn.cursor() as cur:
        cur.execute(
            """
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
            """,
            {
                "email": email,
                "client_ip": client_ip,
                "window": window,
                "per_account": per_account,
                "per_client": per_client,
            },
        )
        return max(0, cur.fetchone()["wait"])


def record_failure(conn: connection, email: str, client_ip: str, window: int) -> None:
    """Remember one failed attempt and forget this account's attempts older than the window."""
    with conn.cursor() as cur:
        cur.execute(
            """
            DELETE FROM login_failures
            WHERE lower(email) = lower(%(email)s)
              AND created_at < now() - make_interval(secs => %(window)s)
            """,
            {"email": email, "window": window},
        )
        cur.execute(
            """
            INSERT INTO login_failures (email, client_ip)
            VALUES (%(email)s, %(client_ip)s)
            """,
            {"email": email, "client_ip": client_ip},
        )
