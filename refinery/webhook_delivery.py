"""Deliver due webhook messages: sign, POST (no redirects, bounded time), log, retry."""

from __future__ import annotations

import logging
import time
import uuid
from datetime import UTC, datetime, timedelta

import requests

from refinery import db, webhooks
from refinery.config import Config
from refinery.crypto import decrypt_secret
from refinery.llm import validate_endpoint
from refinery.queries import webhooks as queries

log = logging.getLogger("refinery.webhooks")
_CLAIM_CHUNK = 10


def _secrets_in_force(config: Config, delivery: dict) -> list[str]:
    """The current secret, and the previous one while its grace period lasts."""
    keys = config.encryption_keys
    found = [decrypt_secret(keys, delivery["secret_encrypted"])]
    until = delivery["previous_secret_expires_at"]
    if delivery["previous_secret_encrypted"] and until and until > datetime.now(UTC):
        found.append(decrypt_secret(keys, delivery["previous_secret_encrypted"]))
    return found


def send(config: Config, delivery: dict) -> tuple[int | None, str | None]:
    """One attempt: (HTTP status, None) or (None, what went wrong). Never raises."""
    message_id = f"msg_{uuid.UUID(str(delivery['event_id'])).hex}"
    body = webhooks.message_body(
        delivery["event_type"], delivery["event_created_at"], delivery["payload"]
    )
    timestamp = int(time.time())
    try:
        # Checked again at each delivery: DNS may have been re-pointed since it was saved.
        validate_endpoint(delivery["url"], config.allow_private_provider_endpoints)
    except ValueError as error:
        return None, f"endpoint_refused: {error}"
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "PromptRefinery-Webhooks/1",
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": webhooks.signature_header(
            _secrets_in_force(config, delivery), message_id, timestamp, body
        ),
    }
    timeout = config.webhook_timeout
    try:
        with requests.post(
            delivery["url"],
            data=body.encode(),
            headers=headers,
            timeout=(min(timeout, 5.0), timeout),
            allow_redirects=False,
            stream=True,  # the answer's body is not read: a receiver cannot make us wait on it
        ) as response:
            return response.status_code, None
    except requests.Timeout:
        return None, f"timeout: no answer within {timeout:g} s"
    except requests.RequestException as error:
        return None, f"connection_failed: {type(error).__name__}"


def outcome_of(config: Config, delivery: dict, status: int | None, error: str | None) -> dict:
    """What the attempt means for the delivery: done, given up, or when to try again."""
    attempts = delivery["attempts"]
    succeeded = status is not None and 200 <= status < 300
    outcome = {"status_code": status, "error": error, "disable": status == 410}
    if succeeded:
        return {**outcome, "status": "succeeded", "next_attempt_at": None}
    delay = None if status == 410 else webhooks.next_delay(config.webhook_retry_schedule, attempts)
    if delay is None:
        return {**outcome, "status": "failed", "next_attempt_at": None}
    when = datetime.now(UTC) + timedelta(seconds=delay)
    return {**outcome, "status": "pending", "next_attempt_at": when}


def deliver_due(config: Config, stopping=None) -> bool:
    """Claim and send the due deliveries; False when none were due."""
    token = str(uuid.uuid4())
    lease = int(config.webhook_timeout * _CLAIM_CHUNK) + 30
    with db.single_statement(None) as conn:
        due = queries.claim(conn, token, _CLAIM_CHUNK, lease)
    for index, delivery in enumerate(due):
        if stopping is not None and stopping.is_set() and index > 0:
            break  # the rest are claimed again when their lease lapses
        started = time.perf_counter()
        status, error = send(config, delivery)
        outcome = outcome_of(config, delivery, status, error)
        outcome["duration_ms"] = round((time.perf_counter() - started) * 1000)
        organization_id = str(delivery["organization_id"])
        with db.single_statement(organization_id) as conn:
            queries.record_attempt(
                conn, {**delivery, "organization_id": organization_id}, token, outcome
            )
        log.info("webhook %s to %s: %s", delivery["event_type"], delivery["url"], status or error)
    return bool(due)
