"""What the schema knows about itself: the updates applied to this database."""

from __future__ import annotations

from psycopg2.extensions import connection

from refinery.queries.run import fetch_all

APPLIED_UPDATES = """
SELECT version
FROM refinery_applied_updates() AS version
"""


def applied_updates(conn: connection) -> set[str]:
    """The names of the sql/updates files recorded as applied."""
    return {row["version"] for row in fetch_all(conn, APPLIED_UPDATES)}
