"""Rows to the API's camelCase JSON shapes."""

from __future__ import annotations

from datetime import UTC, datetime

from refinery.optimization import Optimization


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


def invitation_status(invitation: dict) -> str:
    """pending, accepted, revoked or expired."""
    if invitation["accepted_at"] is not None:
        return "accepted"
    if invitation["revoked_at"] is not None:
        return "revoked"
    if invitation["expires_at"] <= datetime.now(UTC):
        return "expired"
    return "pending"


def invitation_json(invitation: dict) -> dict:
    """An invitation as an admin sees it (never its token or the token's hash)."""
    accepted_by = invitation["accepted_user_id"]
    return {
        "id": str(invitation["id"]),
        "email": invitation["email"],
        "role": invitation["role"],
        "status": invitation_status(invitation),
        "invitedBy": invitation["invited_by"] and str(invitation["invited_by"]),
        "acceptedUserId": accepted_by and str(accepted_by),
        "createdAt": timestamp(invitation["created_at"]),
        "expiresAt": timestamp(invitation["expires_at"]),
        "acceptedAt": timestamp(invitation["accepted_at"]),
        "revokedAt": timestamp(invitation["revoked_at"]),
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


def usage_json(outcome: dict) -> dict:
    """The quota after this request: {used, limit, resetAt}."""
    return {
        "used": outcome["used"],
        "limit": outcome["limit"],
        "resetAt": timestamp(outcome["reset_at"]),
    }


def _percentage(value) -> float | None:
    """NUMERIC(5,2) as a JSON number."""
    return None if value is None else float(value)


def _optimization_head(optimization: Optimization) -> dict:
    """What a history entry and the whole record share."""
    return {
        "id": str(optimization.id),
        "provider": optimization.provider,
        "model": optimization.model,
        "strategy": optimization.strategy,
        "compressionLevel": optimization.compression_level,
        "outputFormat": optimization.output_format,
        "status": optimization.status,
        "tokenizer": optimization.tokenizer,
        "originalTokens": optimization.original_tokens,
        "refinedTokens": optimization.refined_tokens,
        "tokensSaved": optimization.tokens_saved,
        "savingsPercentage": _percentage(optimization.savings_percentage),
        "durationMs": optimization.duration_ms,
        "errorCode": optimization.error_code,
        "userId": optimization.user_id and str(optimization.user_id),
        "apiKeyId": optimization.api_key_id and str(optimization.api_key_id),
        "createdAt": timestamp(optimization.created_at),
    }


# What POST /api/optimize answers with, in this order, then the quota and createdAt.
_RESULT_KEYS = (
    "id",
    "refinedText",
    "originalTokens",
    "refinedTokens",
    "tokensSaved",
    "savingsPercentage",
    "tokenizer",
    "provider",
    "model",
    "strategy",
    "compressionLevel",
    "outputFormat",
    "removedSegments",
    "warnings",
    "durationMs",
    "providerUsage",
)


def optimization_json(optimization: Optimization, outcome: dict | None = None) -> dict:
    """The whole record (history detail); with the quota outcome, POST /api/optimize's answer."""
    body = {
        **_optimization_head(optimization),
        "originalText": optimization.original_text,
        "refinedText": optimization.refined_text,
        "removedSegments": optimization.removed_segments,
        "warnings": optimization.warnings,
        "providerUsage": {
            "inputTokens": optimization.provider_input_tokens,
            "outputTokens": optimization.provider_output_tokens,
        },
    }
    if outcome is None:
        return body
    return {
        **{key: body[key] for key in _RESULT_KEYS},
        "usage": usage_json(outcome),
        "createdAt": body["createdAt"],
    }


def optimization_summary_json(row: dict) -> dict:
    """A history entry without the full texts."""
    return {**_optimization_head(Optimization.from_row(row)), "preview": row.get("preview")}


def member_json(user: dict) -> dict:
    """A member as an admin sees them."""
    return {
        **user_json(user),
        "createdAt": timestamp(user["created_at"]),
        "lastLoginAt": timestamp(user["last_login_at"]),
    }


def batch_json(row: dict) -> dict:
    """A batch: status, counts per item state, timestamps."""
    running = row["running_items"]
    return {
        "id": str(row["id"]),
        "object": "batch",
        "status": row["status"],
        "counts": {
            "total": row["total_items"],
            "queued": row["remaining_items"] - running,
            "running": running,
            "completed": row["completed_items"],
            "failed": row["failed_items"],
            "cancelled": row["cancelled_items"],
            "expired": row["expired_items"],
        },
        "createdBy": row["created_by"] and str(row["created_by"]),
        "apiKeyId": row["api_key_id"] and str(row["api_key_id"]),
        "createdAt": timestamp(row["created_at"]),
        "expiresAt": timestamp(row["expires_at"]),
        "cancelledAt": timestamp(row["cancelled_at"]),
        "finishedAt": timestamp(row["finished_at"]),
    }


def batch_result_json(row: dict) -> dict:
    """One results line: the item, and its optimize answer or its error."""
    line = {"customId": row["custom_id"], "position": row["position"], "status": row["item_status"]}
    if row["item_status"] == "completed" and row["id"] is not None:
        record = optimization_json(Optimization.from_row(row))
        line["result"] = {key: record[key] for key in _RESULT_KEYS} | {
            "createdAt": record["createdAt"]
        }
    elif row["item_status"] in ("failed", "cancelled", "expired"):
        code = row["item_error_code"] or f"item_{row['item_status']}"
        message = row["error_message"] or f"The item was {row['item_status']} before it ran."
        line["error"] = {"code": code, "message": message}
    return line
