"""Members of organizations."""

from __future__ import annotations

from psycopg2.extensions import connection

_COLUMNS = "id, organization_id, email, full_name, role, created_at, last_login_at"


def create_user(
    conn: connection,
    organization_id: str,
    email: str,
    password_hash: str,
    full_name: str,
    role: str,
) -> dict | None:
    """Insert a member; None when the e-mail is taken (in any letter case)."""
    with conn.cursor() as cur:
        cur.execute(
            f"""
            INSERT INTO users (organization_id, email, password_hash, full_name, role)
            VALUES (%(organization_id)s, %(email)s, %(password_hash)s, %(full_name)s, %(role)s)
            ON CONFLICT ((lower(email))) DO NOTHING
            RETURNING {_COLUMNS}
            """,  # noqa: S608 - a constant column list
            {
                "organization_id": organization_id,
                "email": email,
                "password_hash": password_hash,
                "full_name": full_name,
                "role": role,
            },
        )
        return cur.fetchone()


def find_login(conn: connection, email: str) -> dict | None:
    """The member with this e-mail (any case), with the password hash, across the service."""
    with conn.cursor() as cur:
        cur.execute(
            f"""
            SELECT {_COLUMNS}, password_hash
            FROM users
            WHERE lower(email) = lower(%(email)s)
            """,  # noqa: S608 - a constant column list
            {"email": email},
        )
        return cur.fetchone()


def get_user(conn: connection, organization_id: str, user_id: str) -> dict | None:
    """One member of the organization."""
    with conn.cursor() as cur:
        cur.execute(
            f"""
            SELECT {_COLUMNS}
            FROM users
            WHERE organization_id = %(organization_id)s
              AND id = %(user_id)s
            """,  # noqa: S608 - a constant column list
            {"organization_id": organization_id, "user_id": user_id},
        )
        return cur.fetchone()


def touch_login(conn: connection, user_id: str) -> None:
    """Record a successful login's time."""
    with conn.cursor() as cur:
        cur.execute(
            """
            UPDATE users
            SET last_login_at = now()
            WHERE id = %(user_id)s
            """,
            {"user_id": user_id},
        )
