"""Apply sql/schema.sql and the dated updates in sql/updates/, each once."""

from __future__ import annotations

from pathlib import Path

import psycopg2
from psycopg2 import sql

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"
# Any constant works: it only keeps two processes from migrating at once.
_MIGRATION_LOCK = 7_316_004


def pending_updates(applied: set[str]) -> list[Path]:
    """The update files not yet recorded, in date order."""
    updates = sorted((SQL_DIR / "updates").glob("*.sql"))
    return [path for path in updates if path.stem not in applied]


def apply_schema(database_url: str, app_password: str | None = None) -> list[str]:
    """Bring the database up to date; return the names of the updates run.

    database_url must be the schema owner's (able to create the refinery_app role);
    app_password, when given, becomes refinery_app's password.
    """
    conn = psycopg2.connect(database_url)
    try:
        with conn, conn.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
            cur.execute("SELECT to_regclass('public.organizations') IS NULL")
            fresh = cur.fetchone()[0]
            cur.execute((SQL_DIR / "schema.sql").read_text())
            cur.execute("SELECT version FROM schema_migrations")
            applied = {row[0] for row in cur.fetchall()}
            ran = []
            for path in pending_updates(applied):
                # A fresh database already has what the updates add: schema.sql is current.
                if not fresh:
                    cur.execute(path.read_text())
                    ran.append(path.stem)
                cur.execute(
                    """
                    INSERT INTO schema_migrations (version)
                    VALUES (%s)
                    ON CONFLICT (version) DO NOTHING
                    """,
                    (path.stem,),
                )
            if app_password:
                cur.execute(
                    sql.SQL("ALTER ROLE refinery_app PASSWORD {}").format(sql.Literal(app_password))
                )
        return ran
    finally:
        conn.close()
