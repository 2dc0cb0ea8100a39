"""The audit trail: recording who did what, and GET /api/audit for admins."""

from __future__ import annotations

from flask import Blueprint, g, jsonify, request

from refinery import db
from refinery.identity import login_required
from refinery.paging import page_json, read_page
from refinery.queries import audit
from refinery.serializers import timestamp
from refinery.validation import Fields

bp = Blueprint("audit", __name__, url_prefix="/api/audit")

ACTIONS = (
    "organization.registered",
    "auth.login",
    "auth.login_failed",
    "auth.logout",
    "auth.password_changed",
    "member.added",
    "member.changed",
    "member.removed",
    "api_key.created",
    "api_key.revoked",
    "provider.set",
    "provider.removed",
    "organization.changed",
    "plan.changed",
)


def record(
    conn,
    action: str,
    *,
    organization_id: str | None = None,
    target_type: str | None = None,
    target_id: str | None = None,
    details: dict | None = None,
    actor: dict | None = None,
) -> None:
    """Append an event by the current caller (or `actor`); never pass a secret in details."""
    actor = actor if actor is not None else g.get("principal") or {}
    audit.record_event(
        conn,
        {
            "organization_id": organization_id or actor.get("organization_id"),
            "actor_user_id": actor.get("user_id"),
            "actor_api_key_id": actor.get("api_key_id"),
            "actor_email": actor.get("email"),
            "action": action,
            "target_type": target_type,
            "target_id": target_id and str(target_id),
            "client_ip": request.remote_addr if request else None,
            "details": details,
        },
    )


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
