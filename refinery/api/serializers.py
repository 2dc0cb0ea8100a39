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


def optimization_summary_json(row: dict) -> dict:
    """A history entry without the full texts."""
    return {
        "id": str(row["id"]),
        "provider": row["provider"],
        "model": row["model"],
        "strategy": row["strategy"],
        "compressionLevel": row["compression_level"],
        "outputFormat": row["output_format"],
        "status": row["status"],
        "tokenizer": row["tokenizer"],
        "originalTokens": row["original_tokens"],
        "refinedTokens": row["refined_tokens"],
        "tokensSaved": row["tokens_saved"],
        "savingsPercentage": _percentage(row["savings_percentage"]),
        "durationMs": row["duration_ms"],
        "errorCode": row["error_code"],
        "userId": row["user_id"] and str(row["user_id"]),
        "apiKeyId": row["api_key_id"] and str(row["api_key_id"]),
        "createdAt": timestamp(row["created_at"]),
        "preview": row.get("preview"),
    }


def optimization_json(row: dict) -> dict:
    """The whole record, texts included."""
    body = optimization_summary_json(row)
    del body["preview"]
    body.update(
        {
            "originalText": row["original_text"],
            "refinedText": row["refined_text"],
            "removedSegments": row["removed_segments"],
            "warnings": row["warnings"],
            "providerUsage": {
                "inputTokens": row["provider_input_tokens"],
                "outputTokens": row["provider_output_tokens"],
            },
        }
    )
    return body


def member_json(user: dict) -> dict:
    """A member as an admin sees them."""
    return {
        **user_json(user),
        "createdAt": timestamp(user["created_at"]),
        "lastLoginAt": timestamp(user["last_login_at"]),
    }
