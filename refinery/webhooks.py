"""Webhook signing (Standard Webhooks), secrets and the retry schedule."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import random
import secrets
from datetime import datetime

EVENT_TYPES = (
    "batch.completed",
    "batch.failed",
    "batch.expired",
    "batch.cancelled",
    "quota.threshold",
)
SECRET_PREFIX = "whsec_"  # noqa: S105 (the format's prefix, not a secret)


def new_secret() -> str:
    """A signing secret: whsec_ and 32 random bytes in base64."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def sign(secret: str, message_id: str, timestamp: int, body: str) -> str:
    """v1,<base64 HMAC-SHA256 of id.timestamp.body> under the secret's key bytes."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{message_id}.{timestamp}.{body}".encode()
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signature_header(secrets_in_force: list[str], message_id: str, timestamp: int, body: str):
    """The webhook-signature value: one v1 signature per secret in force, space-separated."""
    return " ".join(sign(secret, message_id, timestamp, body) for secret in secrets_in_force)


def message_body(event_type: str, created_at: datetime, payload: dict) -> str:
    """The JSON body every attempt of an event sends, byte for byte the same."""
    moment = created_at.isoformat().replace("+00:00", "Z")
    document = {"type": event_type, "timestamp": moment, "data": payload}
    return json.dumps(document, separators=(",", ":"), sort_keys=True)


def next_delay(schedule: tuple[int, ...], attempts: int) -> float | None:
    """Seconds until the next attempt after `attempts` failed ones (±20% jitter); None: give up."""
    if attempts > len(schedule):
        return None
    return schedule[attempts - 1] * random.uniform(0.8, 1.2)  # noqa: S311 (jitter, not a secret)
