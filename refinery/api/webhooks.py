"""The webhooks blueprint: admins manage endpoints, read deliveries, redeliver, ping."""

from __future__ import annotations

from flask import Blueprint, current_app, g, jsonify, request

from refinery import db, webhooks
from refinery.api.identity import login_required
from refinery.api.paging import page_json, read_page
from refinery.api.serializers import timestamp
from refinery.api.validation import Fields, json_body, path_id
from refinery.crypto import encrypt_secret
from refinery.errors import NotFound
from refinery.llm import validate_endpoint
from refinery.queries import webhooks as queries

bp = Blueprint("webhooks", __name__, url_prefix="/api/webhooks")


def endpoint_json(row: dict) -> dict:
    """An endpoint as an admin sees it (never its secret)."""
    return {
        "id": str(row["id"]),
        "url": row["url"],
        "eventTypes": list(row["event_types"]),
        "enabled": row["enabled"],
        "disabledReason": row["disabled_reason"],
        "previousSecretExpiresAt": timestamp(row["previous_secret_expires_at"]),
        "createdAt": timestamp(row["created_at"]),
        "updatedAt": timestamp(row["updated_at"]),
    }


def delivery_json(row: dict) -> dict:
    """A delivery of one event to the endpoint, with every attempt."""
    return {
        "id": str(row["id"]),
        "eventId": str(row["event_id"]),
        "eventType": row["event_type"],
        "status": row["status"],
        "attempts": row["attempt_log"],
        "nextAttemptAt": timestamp(row["next_attempt_at"]) if row["status"] == "pending" else None,
        "lastStatusCode": row["last_status"],
        "createdAt": timestamp(row["created_at"]),
        "finishedAt": timestamp(row["finished_at"]),
    }


def _organization() -> str:
    """The admin's organization."""
    return g.principal["organization_id"]


def _url(fields: Fields, required: bool) -> str | None:
    """The receiver's URL, through the same outbound-address guard as provider endpoints."""
    url = fields.string("url", required=required, max_len=2048)
    if url is None:
        return None
    try:
        return validate_endpoint(
            url, current_app.config["REFINERY"].allow_private_provider_endpoints
        )
    except ValueError as error:
        fields.fail("url", str(error))
        return None


def _event_types(fields: Fields, required: bool) -> list[str] | None:
    """A non-empty list of known event types, without repeats."""
    value = fields.data.get("eventTypes")
    if value is None:
        if required:
            fields.fail("eventTypes", "is required")
        return None
    if (
        not isinstance(value, list)
        or not value
        or any(item not in webhooks.EVENT_TYPES for item in value)
    ):
        fields.fail("eventTypes", f"must be a non-empty list of: {', '.join(webhooks.EVENT_TYPES)}")
        return None
    return list(dict.fromkeys(value))


def _endpoint_or_404(conn, raw_id: str) -> dict:
    """The organization's endpoint, or 404."""
    row = queries.get_one(conn, _organization(), path_id(raw_id, "Webhook endpoint"))
    if row is None:
        raise NotFound("Webhook endpoint not found.")
    return row


@bp.post("")
@login_required(role="admin")
def create():
    """Add an endpoint; its signing secret is in this answer only."""
    fields = Fields(json_body())
    url = _url(fields, required=True)
    types = _event_types(fields, required=True)
    fields.check()
    secret = webhooks.new_secret()
    sealed = encrypt_secret(current_app.config["REFINERY"].encryption_keys, secret)
    with db.transaction(_organization()) as conn:
        row = queries.create(conn, _organization(), url, types, sealed)
    return jsonify({**endpoint_json(row), "secret": secret}), 201


@bp.get("")
@login_required(role="admin")
def list_endpoints():
    """Every endpoint of the organization."""
    with db.reading(_organization()) as conn:
        rows = queries.list_all(conn, _organization())
    return jsonify({"data": [endpoint_json(row) for row in rows]})


@bp.get("/<raw_id>")
@login_required(role="admin")
def get_endpoint(raw_id: str):
    """One endpoint."""
    with db.reading(_organization()) as conn:
        row = _endpoint_or_404(conn, raw_id)
    return jsonify(endpoint_json(row))


@bp.patch("/<raw_id>")
@login_required(role="admin")
def update_endpoint(raw_id: str):
    """Change the URL or event types, or enable or disable the endpoint."""
    endpoint_id = path_id(raw_id, "Webhook endpoint")
    fields = Fields(json_body())
    changes = {"url": _url(fields, required=False), "event_types": _event_types(fields, False)}
    enabled = fields.data.get("enabled")
    if enabled is not None and not isinstance(enabled, bool):
        fields.fail("enabled", "must be true or false")
    fields.check()
    with db.transaction(_organization()) as conn:
        row = queries.update(conn, _organization(), endpoint_id, {**changes, "enabled": enabled})
    if row is None:
        raise NotFound("Webhook endpoint not found.")
    return jsonify(endpoint_json(row))


@bp.delete("/<raw_id>")
@login_required(role="admin")
def delete_endpoint(raw_id: str):
    """Remove an endpoint and its delivery log."""
    with db.transaction(_organization()) as conn:
        deleted = queries.delete(conn, _organization(), path_id(raw_id, "Webhook endpoint"))
    if not deleted:
        raise NotFound("Webhook endpoint not found.")
    return "", 204


@bp.post("/<raw_id>/rotate-secret")
@login_required(role="admin")
def rotate_secret(raw_id: str):
    """A new secret, shown once; the old one signs too until the grace period ends."""
    config = current_app.config["REFINERY"]
    secret = webhooks.new_secret()
    sealed = encrypt_secret(config.encryption_keys, secret)
    with db.transaction(_organization()) as conn:
        row = queries.rotate(
            conn,
            _organization(),
            path_id(raw_id, "Webhook endpoint"),
            sealed,
            config.webhook_rotation_grace,
        )
    if row is None:
        raise NotFound("Webhook endpoint not found.")
    return jsonify({**endpoint_json(row), "secret": secret})


@bp.post("/<raw_id>/test")
@login_required(role="admin")
def ping(raw_id: str):
    """Queue a webhook.test message to the endpoint."""
    with db.transaction(_organization()) as conn:
        row = queries.ping(conn, _organization(), path_id(raw_id, "Webhook endpoint"))
    if row is None:
        raise NotFound("Webhook endpoint not found.")
    return jsonify({"deliveryId": str(row["id"])}), 202


@bp.get("/<raw_id>/deliveries")
@login_required(role="admin")
def deliveries(raw_id: str):
    """The endpoint's deliveries, newest first, each with its attempts."""
    fields = Fields(request.args.to_dict())
    page = read_page(fields)
    fields.check()
    with db.reading(_organization()) as conn:
        endpoint = _endpoint_or_404(conn, raw_id)
        rows = queries.deliveries_page(conn, _organization(), endpoint["id"], page)
    return jsonify(page_json(rows, page, delivery_json))


@bp.post("/<raw_id>/deliveries/<raw_delivery>/redeliver")
@login_required(role="admin")
def redeliver(raw_id: str, raw_delivery: str):
    """Send a delivery again now, with the same webhook-id."""
    endpoint_id = path_id(raw_id, "Webhook endpoint")
    delivery_id = path_id(raw_delivery, "Delivery")
    with db.transaction(_organization()) as conn:
        row = queries.redeliver(conn, _organization(), endpoint_id, delivery_id)
    if row is None:
        raise NotFound("Delivery not found.")
    return jsonify({"deliveryId": str(row["id"])}), 202
