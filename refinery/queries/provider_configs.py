"""Per-organization LLM provider credentials (the key itself stays encrypted here)."""

from __future__ import annotations

from psycopg2.extensions import connection

from refinery.queries.run import execute, fetch_all, fetch_one

# What PUT may change; a value absent from `values` keeps what is stored.
_SETTABLE = ("api_key_encrypted", "key_hint", "model", "endpoint", "is_active")

LIST_CONFIGS = """
SELECT provider, key_hint, model, endpoint, is_active, created_at, updated_at
FROM provider_configs
WHERE organization_id = %(organization_id)s
ORDER BY provider
"""

GET_CONFIG = """
SELECT provider, key_hint, model, endpoint, is_active, created_at, updated_at,
       api_key_encrypted
FROM provider_configs
WHERE organization_id = %(organization_id)s
  AND provider = %(provider)s
"""

CREATE_CONFIG = """
INSERT INTO provider_configs
    (organization_id, provider, api_key_encrypted, key_hint, model, endpoint,
     is_active, created_by)
VALUES
    (%(organization_id)s, %(provider)s, %(api_key_encrypted)s, %(key_hint)s,
     %(model)s, %(endpoint)s, coalesce(%(is_active)s, true), %(user_id)s)
RETURNING provider, key_hint, model, endpoint, is_active, created_at, updated_at
"""

# Each set_<column> says whether the request gave that column a value.
UPDATE_CONFIG = """
UPDATE provider_configs
SET api_key_encrypted = CASE WHEN %(set_api_key_encrypted)s
                             THEN %(api_key_encrypted)s ELSE api_key_encrypted END,
    key_hint = CASE WHEN %(set_key_hint)s THEN %(key_hint)s ELSE key_hint END,
    model = CASE WHEN %(set_model)s THEN %(model)s ELSE model END,
    endpoint = CASE WHEN %(set_endpoint)s THEN %(endpoint)s ELSE endpoint END,
    is_active = CASE WHEN %(set_is_active)s THEN %(is_active)s ELSE is_active END,
    updated_at = now()
WHERE organization_id = %(organization_id)s
  AND provider = %(provider)s
RETURNING provider, key_hint, model, endpoint, is_active, created_at, updated_at
"""

DELETE_CONFIG = """
DELETE FROM provider_configs
WHERE organization_id = %(organization_id)s
  AND provider = %(provider)s
RETURNING provider
"""

ALL_ENCRYPTED = """
SELECT id, api_key_encrypted
FROM provider_configs
FOR UPDATE
"""

SET_ENCRYPTED = """
UPDATE provider_configs
SET api_key_encrypted = %(api_key_encrypted)s
WHERE id = %(id)s
"""


def _params(organization_id: str, provider: str, values: dict) -> dict:
    """Parameters of CREATE_CONFIG and UPDATE_CONFIG: each settable value and whether given."""
    return {
        "organization_id": organization_id,
        "provider": provider,
        "user_id": values.get("user_id"),
        **{name: values.get(name) for name in _SETTABLE},
        **{f"set_{name}": name in values for name in _SETTABLE},
    }


def list_configs(conn: connection, organization_id: str) -> list[dict]:
    """Every provider the organization configured, without the encrypted key."""
    return fetch_all(conn, LIST_CONFIGS, {"organization_id": organization_id})


def get_config(conn: connection, organization_id: str, provider: str) -> dict | None:
    """One provider's configuration, with the encrypted key, for a call."""
    return fetch_one(conn, GET_CONFIG, {"organization_id": organization_id, "provider": provider})


def create_config(conn: connection, organization_id: str, provider: str, values: dict) -> dict:
    """Store the provider's first configuration for the organization."""
    return fetch_one(conn, CREATE_CONFIG, _params(organization_id, provider, values))


def update_config(conn: connection, organization_id: str, provider: str, values: dict) -> dict:
    """Change the given settings of an existing configuration."""
    return fetch_one(conn, UPDATE_CONFIG, _params(organization_id, provider, values))


def delete_config(conn: connection, organization_id: str, provider: str) -> bool:
    """Remove the provider's configuration; False when there was none."""
    params = {"organization_id": organization_id, "provider": provider}
    return fetch_one(conn, DELETE_CONFIG, params) is not None


def all_encrypted(conn: connection) -> list[dict]:
    """Every stored key, across organizations, for re-encryption under a new key."""
    return fetch_all(conn, ALL_ENCRYPTED)


def set_encrypted(conn: connection, config_id: str, api_key_encrypted: str) -> None:
    """Replace one stored ciphertext (same key, new encryption)."""
    execute(conn, SET_ENCRYPTED, {"id": config_id, "api_key_encrypted": api_key_encrypted})
