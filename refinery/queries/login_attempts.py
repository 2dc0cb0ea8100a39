"""Password checks, reserved per account and per client address before bcrypt runs."""

from __future__ import annotations

from psycopg2.extensions import connection

from refinery.queries.run import execute, fetch_one

# One statement takes one attempt from the account's and the address's budgets: each
# counter row is created or bumped under its row lock, so concurrent attempts are
# serialized and each sees the count including itself. A window older than `window`
# seconds starts over at this attempt. The account row always comes first, so two
# statements never wait for each other's rows in opposite order. The answer: seconds
# until the later of the exceeded windows ends (0: within both limits).
RESERVE = """
WITH reserved AS (
    INSERT INTO login_attempts AS a (scope, key, attempts, window_start)
    VALUES ('account', lower(%(email)s), 1, now()),
           ('client', %(client_ip)s, 1, now())
    ON CONFLICT (scope, key) DO UPDATE
    SET attempts = CASE
            WHEN a.window_start <= now() - make_interval(secs => %(window)s) THEN 1
            ELSE a.attempts + 1
        END,
        window_start = CASE
            WHEN a.window_start <= now() - make_interval(secs => %(window)s) THEN now()
            ELSE a.window_start
        END
    RETURNING a.scope, a.attempts, a.window_start
)
SELECT coalesce(max(ceil(extract(epoch FROM window_start + make_interval(secs => %(window)s)
                                             - now()))), 0)::int AS wait
FROM reserved
WHERE attempts > CASE scope WHEN 'account' THEN %(per_account)s ELSE %(per_client)s END
"""

# A check that succeeded gives its attempt back to both budgets. The rows are locked in
# the order RESERVE locks them (account, then client), so the two never deadlock.
RELEASE = """
WITH locked AS (
    SELECT scope, key
    FROM login_attempts
    WHERE ((scope = 'account' AND key = lower(%(email)s))
           OR (scope = 'client' AND key = %(client_ip)s))
      AND attempts > 0
    ORDER BY scope
    FOR UPDATE
)
UPDATE login_attempts AS a
SET attempts = a.attempts - 1
FROM locked
WHERE a.scope = locked.scope
  AND a.key = locked.key
"""

# Counters whose window has ended, a bounded batch at a time. Rows another transaction
# holds are skipped, so this never waits for (or deadlocks with) a reservation.
FORGET_EXPIRED = """
DELETE FROM login_attempts
WHERE (scope, key) IN (
    SELECT scope, key
    FROM login_attempts
    WHERE window_start <= now() - make_interval(secs => %(window)s)
    LIMIT 100
    FOR UPDATE SKIP LOCKED
)
"""


def reserve(
    conn: connection, email: str, client_ip: str, window: int, per_account: int, per_client: int
) -> int:
    """Take one password check from both budgets; seconds to wait when over a limit, else 0."""
    row = fetch_one(
        conn,
        RESERVE,
        {
            "email": email,
            "client_ip": client_ip,
            "window": window,
            "per_account": per_account,
            "per_client": per_client,
        },
    )
    return max(0, row["wait"])


def release(conn: connection, email: str, client_ip: str) -> None:
    """Give back the attempt of a password check that succeeded."""
    execute(conn, RELEASE, {"email": email, "client_ip": client_ip})


def forget_expired(conn: connection, window: int) -> None:
    """Delete up to 100 counters whose window has ended."""
    execute(conn, FORGET_EXPIRED, {"window": window})
