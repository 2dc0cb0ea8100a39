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
    """The member with this e-mail (any case), with the password hash, across the service.

    Through refinery_login_lookup, a SECURITY DEFINER function: the application's role
    cannot read other organizations' members, and login must find one before it knows the
    organization.
    """
    with conn.cursor() as cur:
        cur.execute(
            """
            SELECT id, organization_id, email, full_name, role, created_at, last_login_at,
                   password_hash
            FROM refinery_login_lookup(%(email)s)
            """,
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


def password_hash(conn: connection, organization_id: str, user_id: str) -> str | None:
    """A member's stored password hash."""
    with conn.cursor() as cur:
        cur.execute(
            """
            SELECT password_hash
            FROM users
            WHERE organization_id = %(organization_id)s
              AND id = %(user_id)s
            """,
            {"organization_id": organization_id, "user_id": user_id},
        )
        row = cur.fetchone()
        return row and row["password_hash"]


def set_password(conn: connection, user_id: str, password_hash: str) -> None:
    """Replace a member's password hash."""
    with conn.cursor() as cur:
        cur.execute(
            """
            UPDATE users
            SET password_hash = %(password_hash)s,
                updated_at = now()
            WHERE id = %(user_id)s
            """,
            {"user_id": user_id, "password_hash": password_hash},
        )


def list_members(conn: connection, organization_id: str) -> list[dict]:
    """Every member of the organization, oldest first."""
    with conn.cursor() as cur:
        cur.execute(
            f"""
            SELECT {_COLUMNS}
            FROM users
            WHERE organization_id = %(organization_id)s
            ORDER BY created_at, id
            """,  # noqa: S608 - a constant column list
            {"organization_id": organization_id},
        )
        return cur.fetchall()


def lock_admins(conn: connection, organization_id: str) -> list[str]:
    """Lock the organization's admins for this transaction; return their ids.

    Two admins demoting each other at once would otherwise both see the other remain.
    """
    with conn.cursor() as cur:
        cur.execute(
            """
            SELECT id
            FROM users
            WHERE organization_id = %(organization_id)s
              AND role = 'admin'
            FOR UPDATE
            """,
            {"organization_id": organization_id},
        )
        return [str(row["id"]) for row in cur.fetchall()]


def update_member(
    conn: connection, organization_id: str, user_id: str, changes: dict
) -> dict | None:
    """Change a member's name and/or role; None when no such member."""
    with conn.cursor() as cur:
        cur.execute(
            f"""
            UPDATE users
            SET full_name = coalesce(%(full_name)s, full_name),
                role = coalesce(%(role)s, role),
                updated_at = now()
            WHERE organization_id = %(organization_id)s
              AND id = %(user_id)s
            RETURNING {_COLUMNS}
            """,  # noqa: S608 - a constant column list
            {
                "organization_id": organization_id,
                "user_id": user_id,
                "full_name": changes.get("full_name"),
                "role": changes.get("role"),
            },
        )
        return cur.fetchone()


def delete_member(conn: connection, organization_id: str, user_id: str) -> dict | None:
    """Remove a member (sessions go with them; history stays); None when no such member."""
    with conn.cursor() as cur:
        cur.execute(
            f"""
            DELETE FROM users
            WHERE organization_id = %(organization_id)s
              AND id = %(user_id)s
            RETURNING {_COLUMNS}
            """,  # noqa: S608 - a constant column list
            {"organization_id": organization_id, "user_id": user_id},
        )
        return cur.fetchone()
