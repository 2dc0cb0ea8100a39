"""The audit trail's events, and recording one: who did what to which, from where."""

from __future__ import annotations

from psycopg2.extensions import connection

from refinery.queries import audit

ACTIONS = (
    "organization.registered",
    "auth.login",
    "auth.login_failed",
    "auth.logout",
    "auth.password_changed",
    "auth.password_change_failed",
    "member.added",
    "member.changed",
    "member.removed",
    "api_key.created",
    "api_key.revoked",
    "provider.set",
    "provider.removed",
    "organization.changed",
    "plan.changed",
    "invitation.created",
    "invitation.revoked",
    "invitation.accepted",
)


def record(
    conn: connection,
    action: str,
    *,
    actor: dict,
    client_ip: str | None,
    organization_id: str | None = None,
    target_type: str | None = None,
    target_id: str | None = None,
    details: dict | None = None,
) -> None:
    """Append an event by `actor` (a principal); never pass a secret in details."""
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
            "client_ip": client_ip,
            "details": details,
        },
    )
