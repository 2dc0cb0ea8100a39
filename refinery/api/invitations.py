"""The invitations blueprint: an admin invites an address; the invitee accepts, once."""

from __future__ import annotations

import hashlib
import secrets
import uuid

from flask import Blueprint, current_app, g, jsonify

from refinery import db
from refinery.api.auth import member_actor, start_session
from refinery.api.identity import login_required, record_action
from refinery.api.members import ROLES
from refinery.api.serializers import invitation_json, organization_json, user_json
from refinery.api.validation import Fields, json_body
from refinery.errors import Conflict, NotFound
from refinery.passwords import hash_password
from refinery.queries import invitations, organizations, users

bp = Blueprint("invitations", __name__, url_prefix="/api/invitations")

TOKEN_PREFIX = "rfi_"  # noqa: S105 - a prefix, not a secret
# How long an invitation can be accepted.
LIFETIME_SECONDS = 7 * 24 * 3600


def _token_hash(token: str) -> str:
    """How a token is stored and looked up: SHA-256, hex (the token is random: no salt)."""
    return hashlib.sha256(token.encode()).hexdigest()


def _not_acceptable() -> NotFound:
    """404 for a token that is unknown, used, revoked or expired (one answer for all)."""
    return NotFound(
        "This invitation is unknown, already used, revoked or expired.",
        code="invitation_invalid",
    )


@bp.get("")
@login_required(role="admin")
def list_invitations():
    """Every invitation of the organization, newest first, with its status."""
    with db.reading(g.principal["organization_id"]) as conn:
        rows = invitations.list_invitations(conn, g.principal["organization_id"])
    return jsonify({"data": [invitation_json(row) for row in rows]})


@bp.post("")
@login_required(role="admin")
def create_invitation():
    """Invite an address: the token is shown once; the answer never says who exists."""
    fields = Fields(json_body())
    email = fields.email()
    role = fields.choice("role", ROLES, default="user")
    fields.check()
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)  # 32 random bytes
    organization_id = g.principal["organization_id"]
    with db.transaction(organization_id) as conn:
        invitation = invitations.create_invitation(
            conn,
            organization_id,
            {
                "email": email,
                "role": role,
                "token_hash": _token_hash(token),
                "invited_by": g.principal["user_id"],
                "lifetime": LIFETIME_SECONDS,
            },
        )
        record_action(
            conn,
            "invitation.created",
            target_type="invitation",
            target_id=invitation["id"],
            details={"email": email, "role": role},
        )
    return jsonify({**invitation_json(invitation), "token": token}), 201


# A UUID converter: "/accept" beside it must not look like an id (OPTIONS would list DELETE
# there); any other id is not one of ours, so not found.
@bp.delete("/<uuid:raw_id>")
@login_required(role="admin")
def revoke_invitation(raw_id: uuid.UUID):
    """Revoke a pending invitation: its token stops working."""
    invitation_id = str(raw_id)
    organization_id = g.principal["organization_id"]
    with db.transaction(organization_id) as conn:
        if not invitations.revoke_invitation(conn, organization_id, invitation_id):
            if invitations.get_invitation(conn, organization_id, invitation_id) is None:
                raise NotFound("Invitation not found.")
            raise Conflict(
                "Only a pending invitation can be revoked; this one was accepted, "
                "revoked or has expired.",
                code="invitation_not_pending",
            )
        record_action(conn, "invitation.revoked", target_type="invitation", target_id=invitation_id)
    return "", 204


@bp.post("/accept")
def accept_invitation():
    """Become a member: the invitee sets their name and password, and is logged in."""
    fields = Fields(json_body())
    token = fields.string("token", max_len=128)
    password = fields.password()
    full_name = fields.string("fullName")
    fields.check()

    # No organization yet: the token is looked up through a narrow database function.
    with db.reading(None) as conn:
        found = invitations.find_by_token(conn, _token_hash(token))
    if found is None:
        raise _not_acceptable()
    password_hash = hash_password(password, current_app.config["REFINERY"].bcrypt_rounds)
    organization_id, invitation_id = str(found["organization_id"]), str(found["id"])
    with db.transaction(organization_id) as conn:
        invitation = invitations.claim(conn, organization_id, invitation_id)
        if invitation is None:  # accepted or revoked since the lookup
            raise _not_acceptable()
        user = users.create_user(
            conn, organization_id, invitation["email"], password_hash, full_name, invitation["role"]
        )
        if user is None:  # the address registered (anywhere) since the invitation was made
            raise Conflict(
                "An account with this invitation's e-mail already exists.", code="email_taken"
            )
        invitations.set_accepted_user(conn, organization_id, invitation_id, user["id"])
        tokens = start_session(conn, user)
        record_action(
            conn,
            "invitation.accepted",
            actor=member_actor(user),
            target_type="invitation",
            target_id=invitation_id,
            details={"role": user["role"]},
        )
        org = organizations.get_organization(conn, organization_id)
    body = {**tokens, "user": user_json(user), "organization": organization_json(org)}
    return jsonify(body), 201
