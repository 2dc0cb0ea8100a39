"""Invitations to join an organization: created by an admin, accepted once by the invitee."""

from __future__ import annotations

from psycopg2.extensions import connection

from refinery.queries.run import fetch_all, fetch_one

CREATE_INVITATION = """
INSERT INTO invitations (organization_id, email, role, token_hash, invited_by, expires_at)
VALUES (%(organization_id)s, %(email)s, %(role)s, %(token_hash)s, %(invited_by)s,
        now() + make_interval(secs => %(lifetime)s))
RETURNING id, organization_id, email, role, invited_by, created_at, expires_at, accepted_at,
          accepted_user_id, revoked_at
"""

LIST_INVITATIONS = """
SELECT id, organization_id, email, role, invited_by, created_at, expires_at, accepted_at,
       accepted_user_id, revoked_at
FROM invitations
WHERE organization_id = %(organization_id)s
ORDER BY created_at DESC, id DESC
"""

GET_INVITATION = """
SELECT id, organization_id, email, role, invited_by, created_at, expires_at, accepted_at,
       accepted_user_id, revoked_at
FROM invitations
WHERE organization_id = %(organization_id)s
  AND id = %(invitation_id)s
"""

REVOKE_INVITATION = """
UPDATE invitations
SET revoked_at = now()
WHERE organization_id = %(organization_id)s
  AND id = %(invitation_id)s
  AND accepted_at IS NULL
  AND revoked_at IS NULL
  AND expires_at > now()
RETURNING id
"""

# Through refinery_invitation_lookup, a SECURITY DEFINER function: the invitee's request
# carries only the token, and its organization is not known before this.
FIND_BY_TOKEN = """
SELECT id, organization_id, email, role
FROM refinery_invitation_lookup(%(token_hash)s)
"""  # noqa: S105 - a statement, not a token

# The row lock makes acceptance single-use: a second accept waits, then finds it taken.
CLAIM = """
UPDATE invitations
SET accepted_at = now()
WHERE organization_id = %(organization_id)s
  AND id = %(invitation_id)s
  AND accepted_at IS NULL
  AND revoked_at IS NULL
  AND expires_at > now()
RETURNING id, email, role
"""

SET_ACCEPTED_USER = """
UPDATE invitations
SET accepted_user_id = %(user_id)s
WHERE organization_id = %(organization_id)s
  AND id = %(invitation_id)s
RETURNING id
"""


def create_invitation(conn: connection, organization_id: str, invitation: dict) -> dict:
    """Insert an invitation ({email, role, token_hash, invited_by, lifetime} seconds)."""
    return fetch_one(conn, CREATE_INVITATION, {"organization_id": organization_id, **invitation})


def list_invitations(conn: connection, organization_id: str) -> list[dict]:
    """Every invitation of the organization, newest first."""
    return fetch_all(conn, LIST_INVITATIONS, {"organization_id": organization_id})


def get_invitation(conn: connection, organization_id: str, invitation_id: str) -> dict | None:
    """One invitation of the organization."""
    params = {"organization_id": organization_id, "invitation_id": invitation_id}
    return fetch_one(conn, GET_INVITATION, params)


def revoke_invitation(conn: connection, organization_id: str, invitation_id: str) -> bool:
    """Revoke a pending invitation; False when it is not pending (or not the organization's)."""
    params = {"organization_id": organization_id, "invitation_id": invitation_id}
    return fetch_one(conn, REVOKE_INVITATION, params) is not None


def find_by_token(conn: connection, token_hash: str) -> dict | None:
    """The pending invitation with this token hash, across the service."""
    return fetch_one(conn, FIND_BY_TOKEN, {"token_hash": token_hash})


def claim(conn: connection, organization_id: str, invitation_id: str) -> dict | None:
    """Mark a pending invitation accepted (locking it); None when it no longer is pending."""
    params = {"organization_id": organization_id, "invitation_id": invitation_id}
    return fetch_one(conn, CLAIM, params)


def set_accepted_user(
    conn: connection, organization_id: str, invitation_id: str, user_id: str
) -> None:
    """Record which member an accepted invitation became."""
    params = {"organization_id": organization_id, "invitation_id": invitation_id}
    fetch_one(conn, SET_ACCEPTED_USER, {**params, "user_id": user_id})
