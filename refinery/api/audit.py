"""GET /api/audit: the organization's audit trail, for admins."""

from __future__ import annotations

from flask import Blueprint, g, jsonify, request

from refinery import db
from refinery.api.identity import login_required
from refinery.api.paging import page_json, read_page
from refinery.api.serializers import timestamp
from refinery.api.validation import Fields
from refinery.audit import ACTIONS
from refinery.queries import audit

bp = Blueprint("audit", __name__, url_prefix="/api/audit")


def _event_json(row: dict) -> dict:
    """An audit event as the API shows it."""
    return {
        "id": str(row["id"]),
        "action": row["action"],
        "actorUserId": row["actor_user_id"] and str(row["actor_user_id"]),
        "actorApiKeyId": row["actor_api_key_id"] and str(row["actor_api_key_id"]),
        "actorEmail": row["actor_email"],
        "targetType": row["target_type"],
        "targetId": row["target_id"],
        "clientIp": row["client_ip"],
        "details": row["details"],
        "createdAt": timestamp(row["created_at"]),
    }


@bp.get("")
@login_required(role="admin")
def list_events():
    """The organization's audit trail, newest first; filter by action."""
    fields = Fields(request.args.to_dict())
    page = read_page(fields)
    action = fields.optional_choice("action", ACTIONS)
    fields.check()
    with db.reading(g.principal["organization_id"]) as conn:
        rows = audit.list_page(conn, g.principal["organization_id"], action, page)
    return jsonify(page_json(rows, page, _event_json))
