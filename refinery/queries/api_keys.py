"""Organization API keys: stored as SHA-256 with a display prefix, revocable."""

from __future__ import annotations

from psycopg2.extensions import connection

from refinery.queries.run import fetch_all, fetch_one

CREATE_KEY = """
INSERT INTO api_keys (organization_id, created_by, name, prefix, key_hash)
VALUES (%(organization_id)s, %(user_id)s, %(name)s, %(prefix)s, %(key_hash)s)
RETURNING id, name, prefix, created_at
"""

LIST_KEYS = """
SELECT k.id, k.name, k.prefix, k.created_at, k.last_used_at, k.revoked_at,
       k.created_by, u.email AS created_by_email
FROM api_keys AS k
LEFT JOIN users AS u ON u.id = k.created_by
WHERE k.organization_id = %(organization_id)s
ORDER BY k.created_at DESC, k.id DESC
"""

REVOKE_KEY = """
UPDATE api_keys
SET revoked_at = coalesce(revoked_at, now())
WHERE organization_id = %(organization_id)s
  AND id = %(id)s
RETURNING id, name, prefix
"""

# Through refinery_api_key_principal, a SECURITY DEFINER function: the organization is
# what the key says, so it cannot be known before the lookup.
AUTHENTICATE_KEY = """
SELECT NULL::uuid AS user_id, api_key_id, organization_id,
       'user' AS role, NULL AS email
FROM refinery_api_key_principal(%(key_hash)s)
"""


def create_key(
    conn: connection, organization_id: str, user_id: str, name: str, prefix: str, key_hash: str
) -> dict:
    """Store a new key's hash and prefix."""
    return fetch_one(
        conn,
        CREATE_KEY,
        {
            "organization_id": organization_id,
            "user_id": user_id,
            "name": name,
            "prefix": prefix,
            "key_hash": key_hash,
        },
    )


def list_keys(conn: connection, organization_id: str) -> list[dict]:
    """The organization's keys, newest first (never the hash)."""
    return fetch_all(conn, LIST_KEYS, {"organization_id": organization_id})


def revoke_key(conn: connection, organization_id: str, key_id: str) -> dict | None:
    """Revoke a key of the organization at once; None when it has no such key."""
    return fetch_one(conn, REVOKE_KEY, {"organization_id": organization_id, "id": key_id})


def authenticate_key(conn: connection, key_hash: str) -> dict | None:
    """The live key with this hash, as a principal; stamps last_used_at at most once a minute."""
    return fetch_one(conn, AUTHENTICATE_KEY, {"key_hash": key_hash})
