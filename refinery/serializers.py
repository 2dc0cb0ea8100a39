"""Rows to the API's camelCase JSON shapes."""

from __future__ import annotations

from datetime import UTC, datetime


def timestamp(value: datetime | None) -> str | None:
    """An ISO 8601 UTC timestamp ending in Z."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def user_json(user: dict) -> dict:
    """A member as the API shows it (never the password hash)."""
    return {
        "id": str(user["id"]),
        "email": user["email"],
        "fullName": user["full_name"],
        "role": user["role"],
        "organizationId": str(user["organization_id"]),
    }


def organization_json(org: dict) -> dict:
    """An organization with its plan."""
    return {"id": str(org["id"]), "name": org["name"], "slug": org["slug"], "plan": org["plan"]}


def subscription_json(org: dict) -> dict:
    """The plan and this month's usage."""
    return {
        "plan": org["plan"],
        "used": org["used_requests"],
        "limit": org["monthly_limit"],
        "remaining": max(0, org["monthly_limit"] - org["used_requests"]),
        "resetAt": timestamp(org["reset_at"]),
    }
