"""Members of organizations."""

from __future__ import annotations

from psycopg2.extensions import connection

from refinery.queries.run import execute, fetch_all, fetch_one

CREATE_USER = """
INSERT INTO users (organization_id, email, password_hash, full_name, role)
VALUES (%(organization_id)s, %(email)s, %(password_hash)s, %(full_name)s, %(role)s)
ON CONFLICT ((lower(email))) DO NOTHING
RETURNING id, organization_id, email, full_name, role, created_at, last_login_at
"""

# Through refinery_login_lookup, a SECURITY DEFINER function: the application's role
# cannot read other organizations' members, and login must find one before it knows the
# organization.
FIND_LOGIN = """
SELECT id, organization_id, email, full_name, role, created_at, last_login_at,
       password_hash
FROM refinery_login_lookup(%(email)s)
"""

GET_USER = """
SELECT id, organization_id, email, full_name, role, created_at, last_login_at
FROM users
WHERE organization_id = %(organization_id)s
  AND id = %(user_id)s
"""

TOUCH_LOGIN = """
UPDATE users
SET last_login_at = now()
WHERE id = %(user_id)s
"""

PASSWORD_HASH = """
SELECT password_hash
FROM users
WHERE organization_id = %(organization_id)s
  AND id = %(user_id)s
"""  # noqa: S105 - a statement, not a password

SET_PASSWORD = """
UPDATE users
SET password_hash = %(password_hash)s,
    updated_at = now()
WHERE id = %(user_id)s
"""  # noqa: S105 - a statement, not a password

# Only while the stored hash is still the one that was checked: a password changed in the
# meantime is never overwritten by the old password's new hash.
REHASH_PASSWORD = """
UPDATE users
SET password_hash = %(new_hash)s
WHERE id = %(user_id)s
  AND password_hash = %(old_hash)s
"""  # noqa: S105 - a statement, not a password

LIST_MEMBERS = """
SELECT id, organization_id, email, full_name, role, created_at, last_login_at
FROM users
WHERE organization_id = %(organization_id)s
ORDER BY created_at, id
"""

# Two admins demoting each other at once would otherwise both see the other remain.
LOCK_ADMINS = """
SELECT id
FROM users
WHERE organization_id = %(organization_id)s
  AND role = 'admin'
FOR UPDATE
"""

# A NULL full_name or role keeps what is stored.
UPDATE_MEMBER = """
UPDATE users
SET full_name = coalesce(%(full_name)s, full_name),
    role = coalesce(%(role)s, role),
    updated_at = now()
WHERE organization_id = %(organization_id)s
  AND id = %(user_id)s
RETURNING id, organization_id, email, full_name, role, created_at, last_login_at
"""

DELETE_MEMBER = """
DELETE FROM users
WHERE organization_id = %(organization_id)s
  AND id = %(user_id)s
RETURNING id, organization_id, email, full_name, role, created_at, last_login_at
"""


def create_user(
    conn: connection,
    organization_id: str,
    email: str,
    password_hash: str,
    full_name: str,
    role: str,
) -> dict | None:
    """Insert a member; None when the e-mail is taken (in any letter case)."""
    return fetch_one(
        conn,
        CREATE_USER,
        {
            "organization_id": organization_id,
            "email": email,
            "password_hash": password_hash,
            "full_name": full_name,
            "role": role,
        },
    )


def find_login(conn: connection, email: str) -> dict | None:
    """The member with this e-mail (any case), with the password hash, across the service."""
    return fetch_one(conn, FIND_LOGIN, {"email": email})


def get_user(conn: connection, organization_id: str, user_id: str) -> dict | None:
    """One member of the organization."""
    return fetch_one(conn, GET_USER, {"organization_id": organization_id, "user_id": user_id})


def touch_login(conn: connection, user_id: str) -> None:
    """Record a successful login's time."""
    execute(conn, TOUCH_LOGIN, {"user_id": user_id})


def password_hash(conn: connection, organization_id: str, user_id: str) -> str | None:
    """A member's stored password hash."""
    params = {"organization_id": organization_id, "user_id": user_id}
    row = fetch_one(conn, PASSWORD_HASH, params)
    return row and row["password_hash"]


def set_password(conn: connection, user_id: str, password_hash: str) -> None:
    """Replace a member's password hash."""
    execute(conn, SET_PASSWORD, {"user_id": user_id, "password_hash": password_hash})


def rehash_password(conn: connection, user_id: str, old_hash: str, new_hash: str) -> None:
    """Replace a member's hash by one of the same password at another cost, if unchanged."""
    params = {"user_id": user_id, "old_hash": old_hash, "new_hash": new_hash}
    execute(conn, REHASH_PASSWORD, params)


def list_members(conn: connection, organization_id: str) -> list[dict]:
    """Every member of the organization, oldest first."""
    return fetch_all(conn, LIST_MEMBERS, {"organization_id": organization_id})


def lock_admins(conn: connection, organization_id: str) -> list[str]:
    """Lock the organization's admins for this transaction; return their ids."""
    rows = fetch_all(conn, LOCK_ADMINS, {"organization_id": organization_id})
    return [str(row["id"]) for row in rows]


def update_member(
    conn: connection, organization_id: str, user_id: str, changes: dict
) -> dict | None:
    """Change a member's name and/or role; None when no such member."""
    return fetch_one(
        conn,
        UPDATE_MEMBER,
        {
            "organization_id": organization_id,
            "user_id": user_id,
            "full_name": changes.get("full_name"),
            "role": changes.get("role"),
        },
    )


def delete_member(conn: connection, organization_id: str, user_id: str) -> dict | None:
    """Remove a member (sessions go with them; history stays); None when no such member."""
    return fetch_one(conn, DELETE_MEMBER, {"organization_id": organization_id, "user_id": user_id})
