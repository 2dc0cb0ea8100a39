"""Per-organization LLM provider credentials (the key itself stays encrypted here)."""

from __future__ import annotations

from psycopg2.extensions import connection

_COLUMNS = "provider, key_hint, model, endpoint, is_active, created_at, updated_at"
# What PUT may change; a value absent from `values` keeps what is stored.
_SETTABLE = ("api_key_encrypted", "key_hint", "model", "endpoint", "is_active")


def list_configs(conn: connection, organization_id: str) -> list[dict]:
    """Every provider the organization configured, without the encrypted key."""
    with conn.cursor() as cur:
        cur.execute(
            f"""
            SELECT {_COLUMNS}
            FROM provider_configs
            WHERE organization_id = %(organization_id)s
            ORDER BY provider
            """,  # noqa: S608 - constant column list
            {"organization_id": organization_id},
        )
        return cur.fetchall()


def get_config(conn: connection, organization_id: str, provider: str) -> dict | None:
    """One provider's configuration, with the encrypted key, for a call."""
    with conn.cursor() as cur:
        cur.execute(
            f"""
            SELECT {_COLUMNS}, api_key_encrypted
            FROM provider_configs
            WHERE organization_id = %(organization_id)s
              AND provider = %(provider)s
            """,  # noqa: S608 - constant column list
            {"organization_id": organization_id, "provider": provider},
        )
        return cur.fetchone()


def create_config(conn: connection, organization_id: str, provider: str, values: dict) -> dict:
    """Store the provider's first configuration for the organization."""
    with conn.cursor() as cur:
        cur.execute(
            f"""
            INSERT INTO provider_configs
                (organization_id, provider, api_key_encrypted, key_hint, model, endpoint,
                 is_active, created_by)
            VALUES
                (%(organization_id)s, %(provider)s, %(api_key_encrypted)s, %(key_hint)s,
                 %(model)s, %(endpoint)s, coalesce(%(is_active)s, true), %(user_id)s)
            RETURNING {_COLUMNS}
            """,  # noqa: S608 - constant column list
            {
                "organization_id": organization_id,
                "provider": provider,
                **{name: values.get(name) for name in _SETTABLE},
                "user_id": values.get("user_id"),
            },
        )
        return cur.fetchone()


def update_config(conn: connection, organization_id: str, provider: str, values: dict) -> dict:
    """Change the given settings of an existing configuration."""
    with conn.cursor() as cur:
        cur.execute(
            f"""
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
            RETURNING {_COLUMNS}
            """,  # noqa: S608 - constant column list
            {
                "organization_id": organization_id,
                "provider": provider,
                **{name: values.get(name) for name in _SETTABLE},
                **{f"set_{name}": name in values for name in _SETTABLE},
            },
        )
        return cur.fetchone()


def delete_config(conn: connection, organization_id: str, provider: str) -> bool:
    """Remove the provider's configuration; False when there was none."""
    with conn.cursor() as cur:
        cur.execute(
            """
            DELETE FROM provider_configs
            WHERE organization_id = %(organization_id)s
              AND provider = %(provider)s
            RETURNING provider
            """,
            {"organization_id": organization_id, "provider": provider},
        )
        return cur.fetchone() is not None


def all_encrypted(conn: connection) -> list[dict]:
    """Every stored key, across organizations, for re-encryption under a new key."""
    with conn.cursor() as cur:
        cur.execute(
            """
            SELECT id, api_key_encrypted
            FROM provider_configs
            FOR UPDATE
            """
        )
        return cur.fetchall()


def set_encrypted(conn: connection, config_id: str, api_key_encrypted: str) -> None:
    """Replace one stored ciphertext (same key, new encryption)."""
    with conn.cursor() as cur:
        cur.execute(
            """
            UPDATE provider_configs
            SET api_key_encrypted = %(api_key_encrypted)s
            WHERE id = %(id)s
            """,
            {"id": config_id, "api_key_encrypted": api_key_encrypted},
        )
