"""Webhook endpoints, their deliveries and attempts (events are written by triggers)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from psycopg2.extensions import connection

from refinery.queries.keyset import page_params
from refinery.queries.run import execute, fetch_all, fetch_one

if TYPE_CHECKING:
    from refinery.paging import Page

CREATE = """
INSERT INTO webhook_endpoints (organization_id, url, event_types, secret_encrypted)
VALUES (%(organization_id)s, %(url)s, %(event_types)s, %(secret_encrypted)s)
RETURNING id, url, event_types, enabled, disabled_reason, previous_secret_expires_at,
          created_at, updated_at
"""

LIST = """
SELECT id, url, event_types, enabled, disabled_reason, previous_secret_expires_at,
       created_at, updated_at
FROM webhook_endpoints
WHERE organization_id = %(organization_id)s
ORDER BY created_at DESC, id DESC
"""

GET_ONE = """
SELECT id, url, event_types, enabled, disabled_reason, previous_secret_expires_at,
       created_at, updated_at
FROM webhook_endpoints
WHERE organization_id = %(organization_id)s
  AND id = %(id)s
"""

# Change what is given (NULL keeps the value); enabling clears the reason it was disabled.
UPDATE = """
UPDATE webhook_endpoints
SET url = COALESCE(%(url)s, url),
    event_types = COALESCE(%(event_types)s, event_types),
    enabled = COALESCE(%(enabled)s, enabled),
    disabled_reason = CASE WHEN %(enabled)s IS NULL THEN disabled_reason
                           WHEN %(enabled)s THEN NULL
                           ELSE 'disabled by an admin' END,
    updated_at = now()
WHERE organization_id = %(organization_id)s
  AND id = %(id)s
RETURNING id, url, event_types, enabled, disabled_reason, previous_secret_expires_at,
          created_at, updated_at
"""

DELETE = """
DELETE FROM webhook_endpoints
WHERE organization_id = %(organization_id)s
  AND id = %(id)s
RETURNING id
"""

# The old secret keeps signing, beside the new one, until the grace period ends.
ROTATE = """
UPDATE webhook_endpoints
SET previous_secret_encrypted = secret_encrypted,
    previous_secret_expires_at = now() + make_interval(secs => %(grace_seconds)s),
    secret_encrypted = %(secret_encrypted)s,
    updated_at = now()
WHERE organization_id = %(organization_id)s
  AND id = %(id)s
RETURNING id, url, event_types, enabled, disabled_reason, previous_secret_expires_at,
          created_at, updated_at
"""

# A webhook.test event for this one endpoint, queued at once.
PING = """
WITH endpoint AS (
    SELECT id FROM webhook_endpoints
    WHERE organization_id = %(organization_id)s AND id = %(id)s
),
event AS (
    INSERT INTO webhook_events (organization_id, event_type, payload)
    SELECT %(organization_id)s, 'webhook.test', jsonb_build_object('endpointId', e.id)
    FROM endpoint AS e
    RETURNING id
)
INSERT INTO webhook_deliveries (organization_id, endpoint_id, event_id)
SELECT %(organization_id)s, e.id, v.id
FROM endpoint AS e CROSS JOIN event AS v
RETURNING id
"""

DELIVERIES_PAGE = """
SELECT d.id, d.event_id, v.event_type, d.status, d.attempts, d.next_attempt_at,
       d.last_status, d.created_at, d.finished_at,
       COALESCE((SELECT jsonb_agg(jsonb_build_object(
                    'attempt', a.attempt, 'statusCode', a.status_code, 'error', a.error,
                    'durationMs', a.duration_ms, 'at', a.created_at) ORDER BY a.attempt)
                 FROM webhook_attempts AS a
                 WHERE a.organization_id = d.organization_id AND a.delivery_id = d.id),
                '[]'::jsonb) AS attempt_log
FROM webhook_deliveries AS d
JOIN webhook_events AS v ON v.id = d.event_id
WHERE d.organization_id = %(organization_id)s
  AND d.endpoint_id = %(endpoint_id)s
  AND (%(after_at)s::timestamptz IS NULL
       OR (d.created_at, d.id) < (%(after_at)s, %(after_id)s::uuid))
ORDER BY d.created_at DESC, d.id DESC
LIMIT %(limit)s
OFFSET %(offset)s
"""

# Send a delivery again (the same webhook-id), now; its schedule goes on from its attempts.
REDELIVER = """
UPDATE webhook_deliveries
SET status = 'pending',
    next_attempt_at = now(),
    finished_at = NULL,
    lease_until = NULL
WHERE organization_id = %(organization_id)s
  AND endpoint_id = %(endpoint_id)s
  AND id = %(id)s
RETURNING id
"""

CLAIM = "SELECT * FROM refinery_claim_webhook_deliveries(%(token)s, %(limit)s, %(lease)s)"

# One attempt's outcome, in one statement: log it, settle or reschedule the delivery (only
# while this claim holds it), and disable the endpoint when the receiver said 410 Gone.
RECORD_ATTEMPT = """
WITH settled AS (
    UPDATE webhook_deliveries
    SET status = %(status)s,
        next_attempt_at = COALESCE(%(next_attempt_at)s, next_attempt_at),
        last_status = %(status_code)s,
        lease_until = NULL,
        finished_at = CASE WHEN %(status)s = 'pending' THEN NULL ELSE now() END
    WHERE organization_id = %(organization_id)s
      AND id = %(id)s
      AND claim_token = %(token)s
    RETURNING id, endpoint_id, attempts
),
logged AS (
    INSERT INTO webhook_attempts
        (organization_id, delivery_id, attempt, status_code, error, duration_ms)
    SELECT %(organization_id)s, s.id, s.attempts, %(status_code)s, %(error)s, %(duration_ms)s
    FROM settled AS s
),
disabled AS (
    UPDATE webhook_endpoints AS w
    SET enabled = false,
        disabled_reason = 'the receiver answered 410 Gone',
        updated_at = now()
    FROM settled AS s
    WHERE %(disable)s
      AND w.organization_id = %(organization_id)s
      AND w.id = s.endpoint_id
)
SELECT count(*) AS applied FROM settled
"""


def _key(organization_id: str, endpoint_id: str) -> dict:
    """The parameters naming one endpoint of one organization."""
    return {"organization_id": organization_id, "id": endpoint_id}


def create(conn: connection, organization_id: str, url: str, types: list, secret: str) -> dict:
    """Store an endpoint with its encrypted secret."""
    params = {"organization_id": organization_id, "url": url, "event_types": types}
    return fetch_one(conn, CREATE, {**params, "secret_encrypted": secret})


def list_all(conn: connection, organization_id: str) -> list[dict]:
    """Every endpoint of the organization, newest first."""
    return fetch_all(conn, LIST, {"organization_id": organization_id})


def get_one(conn: connection, organization_id: str, endpoint_id: str) -> dict | None:
    """One endpoint of the organization, or None."""
    return fetch_one(conn, GET_ONE, _key(organization_id, endpoint_id))


def update(conn: connection, organization_id: str, endpoint_id: str, changes: dict):
    """Change url, event_types or enabled (None keeps each); the row, or None."""
    params = {**_key(organization_id, endpoint_id), "url": None, "event_types": None}
    return fetch_one(conn, UPDATE, {**params, "enabled": None, **changes})


def delete(conn: connection, organization_id: str, endpoint_id: str) -> bool:
    """Remove an endpoint and its deliveries; False when there was none."""
    return fetch_one(conn, DELETE, _key(organization_id, endpoint_id)) is not None


def rotate(conn: connection, organization_id: str, endpoint_id: str, secret: str, grace: int):
    """Put in a new secret; the old one signs too for `grace` seconds. The row, or None."""
    params = {**_key(organization_id, endpoint_id), "secret_encrypted": secret}
    return fetch_one(conn, ROTATE, {**params, "grace_seconds": grace})


def ping(conn: connection, organization_id: str, endpoint_id: str) -> dict | None:
    """Queue a webhook.test delivery to the endpoint; {id} of the delivery, or None."""
    return fetch_one(conn, PING, _key(organization_id, endpoint_id))


def deliveries_page(conn: connection, organization_id: str, endpoint_id: str, page: Page):
    """The endpoint's deliveries with their attempts, newest first, up to limit + 1."""
    params = {"organization_id": organization_id, "endpoint_id": endpoint_id}
    return fetch_all(conn, DELIVERIES_PAGE, {**params, **page_params(page)})


def redeliver(conn: connection, organization_id: str, endpoint_id: str, delivery_id: str):
    """Queue a delivery again now; None when it is not the endpoint's."""
    params = {"organization_id": organization_id, "endpoint_id": endpoint_id}
    return fetch_one(conn, REDELIVER, {**params, "id": delivery_id})


def claim(conn: connection, token: str, limit: int, lease: int) -> list[dict]:
    """Claim due deliveries of enabled endpoints (any organization)."""
    return fetch_all(conn, CLAIM, {"token": token, "limit": limit, "lease": lease})


def record_attempt(conn: connection, delivery: dict, token: str, outcome: dict) -> int:
    """Log one attempt and settle or reschedule its delivery; 1 if this claim held it."""
    params = {
        "organization_id": delivery["organization_id"],
        "id": delivery["id"],
        "token": token,
        **outcome,
    }
    return fetch_one(conn, RECORD_ATTEMPT, params)["applied"]


# Operator command rotate-keys only (as the owner, across organizations).
ALL_SECRETS = """
SELECT id, secret_encrypted, previous_secret_encrypted
FROM webhook_endpoints
"""

SET_SECRETS = """
UPDATE webhook_endpoints
SET secret_encrypted = %(secret_encrypted)s,
    previous_secret_encrypted = %(previous_secret_encrypted)s
WHERE id = %(id)s
"""


def all_secrets(conn: connection) -> list[dict]:
    """Every endpoint's encrypted secrets, across organizations, for re-encryption."""
    return fetch_all(conn, ALL_SECRETS)


def set_secrets(conn: connection, endpoint_id: str, current: str, previous: str | None) -> None:
    """Replace an endpoint's ciphertexts (same secrets, new encryption)."""
    params = {"id": endpoint_id, "secret_encrypted": current}
    execute(conn, SET_SECRETS, {**params, "previous_secret_encrypted": previous})
