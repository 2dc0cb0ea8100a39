"""The providers blueprint: an admin's view and control of the organization's LLM keys."""

from __future__ import annotations

from flask import Blueprint, current_app, g, jsonify

from refinery import db
from refinery.api.identity import login_required, record_action
from refinery.api.serializers import timestamp
from refinery.api.validation import Fields, json_body
from refinery.crypto import encrypt_secret, mask_secret
from refinery.errors import NotFound
from refinery.llm import PROVIDERS, validate_endpoint
from refinery.queries import provider_configs

bp = Blueprint("providers", __name__, url_prefix="/api/providers")


def _provider(name: str) -> str:
    """A provider named in the URL; unknown ones are 404."""
    if name not in PROVIDERS:
        raise NotFound(f"Unknown provider {name!r}; expected one of: {', '.join(PROVIDERS)}.")
    return name


def _provider_json(name: str, stored: dict | None) -> dict:
    """One provider as an admin sees it: never the key, only its masked hint."""
    settings = current_app.config["REFINERY"].provider(name)
    return {
        "provider": name,
        "configured": stored is not None,
        "isActive": bool(stored and stored["is_active"]),
        "maskedKey": stored["key_hint"] if stored else None,
        "model": stored["model"] if stored else None,
        "endpoint": stored["endpoint"] if stored else None,
        "defaultModel": settings.model,
        "serviceKeyAvailable": settings.api_key is not None,
        "updatedAt": timestamp(stored["updated_at"]) if stored else None,
    }


@bp.get("")
@login_required(role="admin")
def list_providers():
    """Every provider, configured or not."""
    with db.reading(g.principal["organization_id"]) as conn:
        stored = {
            row["provider"]: row
            for row in provider_configs.list_configs(conn, g.principal["organization_id"])
        }
    return jsonify({"data": [_provider_json(name, stored.get(name)) for name in PROVIDERS]})


@bp.put("/<name>")
@login_required(role="admin")
def put_provider(name: str):
    """Set the organization's key (required the first time), model, endpoint, isActive."""
    provider = _provider(name)
    data = json_body()
    fields = Fields(data)
    config = current_app.config["REFINERY"]
    values: dict = {"user_id": g.principal["user_id"]}
    api_key = fields.string("apiKey", required=False, min_len=8, max_len=512)
    if api_key is not None:
        values["api_key_encrypted"] = encrypt_secret(config.encryption_keys, api_key)
        values["key_hint"] = mask_secret(api_key)
    if "model" in data:
        values["model"] = fields.model(nullable=True)
    if "endpoint" in data:
        endpoint = fields.string("endpoint", required=False, nullable=True, max_len=2048)
        if endpoint is not None:
            try:
                endpoint = validate_endpoint(endpoint, config.allow_private_provider_endpoints)
            except ValueError as error:
                fields.fail("endpoint", str(error))
        values["endpoint"] = endpoint
    if "isActive" in data:
        if isinstance(data["isActive"], bool):
            values["is_active"] = data["isActive"]
        else:
            fields.fail("isActive", "must be true or false")
    fields.check()

    with db.transaction(g.principal["organization_id"]) as conn:
        existing = provider_configs.get_config(conn, g.principal["organization_id"], provider)
        if existing is None and api_key is None:
            fields.fail("apiKey", "is required the first time a provider is configured")
            fields.check()
        save = provider_configs.update_config if existing else provider_configs.create_config
        row = save(conn, g.principal["organization_id"], provider, values)
        changed = sorted(k for k in ("model", "endpoint", "is_active") if k in values)
        record_action(
            conn,
            "provider.set",
            target_type="provider",
            target_id=provider,
            details={"keyChanged": api_key is not None, "changed": changed},
        )
    return jsonify(_provider_json(provider, row)), 201 if existing is None else 200


@bp.delete("/<name>")
@login_required(role="admin")
def delete_provider(name: str):
    """Forget the organization's key for this provider."""
    provider = _provider(name)
    with db.transaction(g.principal["organization_id"]) as conn:
        deleted = provider_configs.delete_config(conn, g.principal["organization_id"], provider)
        if deleted:
            record_action(
                conn,
                "provider.removed",
                target_type="provider",
                target_id=provider,
            )
    if not deleted:
        raise NotFound(f"No {provider} configuration to delete.")
    return "", 204
