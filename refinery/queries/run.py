"""Run one named statement on the caller's connection; the caller owns the transaction."""

from __future__ import annotations

from psycopg2.extensions import connection


def fetch_one(conn: connection, statement: str, params: dict | None = None) -> dict | None:
    """The statement's first row, or None."""
    with conn.cursor() as cur:
        cur.execute(statement, params)
        return cur.fetchone()


def fetch_all(conn: connection, statement: str, params: dict | None = None) -> list[dict]:
    """Every row of the statement."""
    with conn.cursor() as cur:
        cur.execute(statement, params)
        return cur.fetchall()


def execute(conn: connection, statement: str, params: dict | None = None) -> int:
    """Run a statement that returns no rows; return how many rows it touched."""
    with conn.cursor() as cur:
        cur.execute(statement, params)
        return cur.rowcount
