"""An embedded PostgreSQL (pgserver) under instance/, for machines without a database."""

from __future__ import annotations

import sys
import warnings
from pathlib import Path
from urllib.parse import urlsplit

import psycopg2
from psycopg2 import sql

INSTANCE = Path(__file__).resolve().parent.parent / "instance"


def server_url(pgdata: Path = INSTANCE / "pgdata") -> str:
    """Start the embedded server (or reuse the running one) and return its admin URL."""
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns about XDG_RUNTIME_DIR
        import pgserver

        # cleanup_mode=None: the server outlives this process, so gunicorn's workers and
        # later commands reuse it; it stops with the machine or `pg_ctl stop`.
        server = pgserver.get_server(pgdata, cleanup_mode=None)
    return server.get_uri()


def with_database(url: str, name: str) -> str:
    """The same server URL, naming another database."""
    return urlsplit(url)._replace(path=f"/{name}").geturl()


def ensure_database(
    admin_url: str, name: str, fresh: bool = False, synchronous_commit: str | None = None
) -> str:
    """Create database `name` if missing (dropping it first when fresh); return its URL.

    synchronous_commit, when given, becomes the database's default (throwaway test and
    benchmark databases may not need to wait for the disk).
    """
    conn = psycopg2.connect(admin_url)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            if fresh:
                cur.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
                )
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
            if cur.fetchone() is None:
                cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            if synchronous_commit is not None:
                cur.execute(
                    sql.SQL("ALTER DATABASE {} SET synchronous_commit = {}").format(
                        sql.Identifier(name), sql.Literal(synchronous_commit)
                    )
                )
    finally:
        conn.close()
    return with_database(admin_url, name)


if __name__ == "__main__":
    # `python -m refinery.embedded [name]` prints the URL of database `name` (default refinery).
    print(ensure_database(server_url(), sys.argv[1] if len(sys.argv) > 1 else "refinery"))
