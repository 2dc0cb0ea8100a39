"""The organization blueprint: its name, plan and usage at a glance."""

from __future__ import annotations

from flask import Blueprint, g, jsonify

from refinery import db
from refinery.api.identity import login_required, record_action
from refinery.api.serializers import organization_json, subscription_json
from refinery.api.validation import Fields, json_body
from refinery.errors import NotFound
from refinery.queries import organizations

bp = Blueprint("organization", __name__, url_prefix="/api/organization")


def _organization_json(org: dict) -> dict:
    """The organization with its plan, this month's usage and member count."""
    subscription = subscription_json(org)
    return {
        **organization_json(org),
        "limit": subscription["limit"],
        "used": subscription["used"],
        "remaining": subscription["remaining"],
        "resetAt": subscription["resetAt"],
        "memberCount": org["member_count"],
    }


@bp.get("")
@login_required()
def get_organization():
    """The caller's organization."""
    with db.reading(g.principal["organization_id"]) as conn:
        org = organizations.get_organization(conn, g.principal["organization_id"])
    if org is None:
        raise NotFound("Organization not found.")
    return jsonify(_organization_json(org))


@bp.patch("")
@login_required(role="admin")
def rename_organization():
    """Rename the organization (the slug and the plan do not change here)."""
    fields = Fields(json_body())
    name = fields.string("name")
    fields.check()
    organization_id = g.principal["organization_id"]
    with db.transaction(g.principal["organization_id"]) as conn:
        organizations.rename(conn, organization_id, name)
        record_action(
            conn,
            "organization.changed",
            details={"name": name},
        )
        org = organizations.get_organization(conn, organization_id)
    return jsonify(_organization_json(org))
