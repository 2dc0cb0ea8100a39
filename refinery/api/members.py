"""The members blueprint: an admin manages the people of the organization.

People join by invitation (refinery/api/invitations.py); POST /api/users answers 410.
"""

from __future__ import annotations

from flask import Blueprint, g, jsonify

from refinery import db
from refinery.api.identity import login_required, record_action
from refinery.api.serializers import member_json
from refinery.api.validation import Fields, json_body, path_id
from refinery.errors import APIError, Conflict, NotFound
from refinery.queries import users

bp = Blueprint("members", __name__, url_prefix="/api/users")

ROLES = ("admin", "user")


def _last_admin() -> Conflict:
    """409 for a change that would leave the organization without an admin."""
    return Conflict(
        "The organization must keep at least one admin: promote another member first.",
        code="last_admin",
    )


@bp.get("")
@login_required(role="admin")
def list_members():
    """Every member of the organization."""
    with db.reading(g.principal["organization_id"]) as conn:
        rows = users.list_members(conn, g.principal["organization_id"])
    return jsonify({"data": [member_json(row) for row in rows]})


@bp.post("")
@login_required(role="admin")
def add_member():
    """Gone: members join by invitation (POST /api/invitations), setting their own password."""
    raise APIError(
        "Members join by invitation: POST /api/invitations {email, role}; the invitee "
        "accepts with POST /api/invitations/accept and sets their own password.",
        code="invitation_required",
        status=410,
    )


@bp.patch("/<raw_id>")
@login_required(role="admin")
def change_member(raw_id: str):
    """Change a member's name or role; the last admin cannot be demoted."""
    user_id = path_id(raw_id, "Member")
    fields = Fields(json_body())
    changes = {}
    if "fullName" in fields.data:
        changes["full_name"] = fields.string("fullName")
    if "role" in fields.data:
        changes["role"] = fields.choice("role", ROLES)
    if not changes:
        fields.fail("fullName", "send fullName or role (or both)")
    fields.check()
    organization_id = g.principal["organization_id"]
    with db.transaction(g.principal["organization_id"]) as conn:
        admins = users.lock_admins(conn, organization_id)
        if changes.get("role") == "user" and admins == [user_id]:
            raise _last_admin()
        member = users.update_member(conn, organization_id, user_id, changes)
        if member is None:
            raise NotFound("Member not found.")
        record_action(
            conn,
            "member.changed",
            target_type="user",
            target_id=user_id,
            details={"fullName" if k == "full_name" else k: v for k, v in changes.items()},
        )
    return jsonify(member_json(member))


@bp.delete("/<raw_id>")
@login_required(role="admin")
def remove_member(raw_id: str):
    """Remove a member: their sessions end at once; their history stays."""
    user_id = path_id(raw_id, "Member")
    organization_id = g.principal["organization_id"]
    with db.transaction(g.principal["organization_id"]) as conn:
        if users.lock_admins(conn, organization_id) == [user_id]:
            raise _last_admin()
        member = users.delete_member(conn, organization_id, user_id)
        if member is None:
            raise NotFound("Member not found.")
        record_action(
            conn,
            "member.removed",
            target_type="user",
            target_id=user_id,
            details={"email": member["email"]},
        )
    return "", 204
