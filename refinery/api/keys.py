"""The API keys blueprint: keys for the organization's own backends."""

from __future__ import annotations

from flask import Blueprint, g, jsonify

from refinery import db
from refinery.api.identity import login_required, new_api_key, record_action
from refinery.api.serializers import timestamp
from refinery.api.validation import Fields, json_body, path_id
from refinery.errors import NotFound
from refinery.queries import api_keys

bp = Blueprint("keys", __name__, url_prefix="/api/keys")


def _key_json(row: dict) -> dict:
    """A key as the API lists it: never the secret or its hash."""
    return {
        "id": str(row["id"]),
        "name": row["name"],
        "prefix": row["prefix"],
        "createdAt": timestamp(row["created_at"]),
        "lastUsedAt": timestamp(row["last_used_at"]),
        "revokedAt": timestamp(row["revoked_at"]),
        "createdBy": row["created_by"]
        and {"id": str(row["created_by"]), "email": row["created_by_email"]},
    }


@bp.post("")
@login_required(role="admin")
def create_key():
    """Make a key; the secret is in this response and nowhere else, ever."""
    fields = Fields(json_body())
    name = fields.string("name", max_len=100)
    fields.check()
    secret, prefix, key_hash = new_api_key()
    with db.transaction(g.principal["organization_id"]) as conn:
        row = api_keys.create_key(
            conn, g.principal["organization_id"], g.principal["user_id"], name, prefix, key_hash
        )
        record_action(
            conn,
            "api_key.created",
            target_type="api_key",
            target_id=row["id"],
            details={"name": name, "prefix": prefix},
        )
    body = {
        "id": str(row["id"]),
        "name": row["name"],
        "prefix": prefix,
        "key": secret,
        "createdAt": timestamp(row["created_at"]),
    }
    return jsonify(body), 201


@bp.get("")
@login_required(role="admin")
def list_keys():
    """The organization's keys, revoked ones included, newest first."""
    with db.reading(g.principal["organization_id"]) as conn:
        rows = api_keys.list_keys(conn, g.principal["organization_id"])
    return jsonify({"data": [_key_json(row) for row in rows]})


@bp.delete("/<raw_id>")
@login_required(role="admin")
def revoke_key(raw_id: str):
    """Revoke a key: the next request with it is refused."""
    key_id = path_id(raw_id, "API key")
    with db.transaction(g.principal["organization_id"]) as conn:
        row = api_keys.revoke_key(conn, g.principal["organization_id"], key_id)
        if row is None:
            raise NotFound("API key not found.")
        record_action(
            conn,
            "api_key.revoked",
            target_type="api_key",
            target_id=key_id,
            details={"name": row["name"], "prefix": row["prefix"]},
        )
    return "", 204
