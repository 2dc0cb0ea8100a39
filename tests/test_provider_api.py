"""Optimize through each LLM provider (a fake one on loopback), and the admin's key endpoints."""

from __future__ import annotations

import logging

import psycopg2
import pytest

from refinery import create_app
from refinery.crypto import decrypt_secret
from refinery.passwords import hash_password
from tests.conftest import ENCRYPTION_KEY, PASSWORD, Auth, make_config, provider_settings

PROVIDERS = ("openai", "anthropic", "deepseek", "gemini")
ORG_KEY = "sk-org-Zq8ExampleSecretKey1234567890"
TEXT = (
    "Could you please kindly summarize the attached memo for {audience} in 3 bullet points? "
    "Do not mention revenue. I would really appreciate it if you could keep it very short."
)


@pytest.fixture
def provider_app(clean_db, fake):
    """The app with every provider's base URL pointed at the fake server."""
    return create_app(make_config(clean_db, **provider_settings(fake.url)))


@pytest.fixture
def admin(provider_app):
    """A client and the admin header of organization 'acme'."""
    client = provider_app.test_client()
    header = Auth.header(Auth(client).register("acme")["accessToken"])
    return client, header


def _configure(client, header, provider: str, **extra) -> dict:
    response = client.put(
        f"/api/providers/{provider}", json={"apiKey": ORG_KEY, **extra}, headers=header
    )
    assert response.status_code in (200, 201), response.get_json()
    return response.get_json()


def _used(database_url: str) -> int:
    conn = psycopg2.connect(database_url)
    with conn, conn.cursor() as cur:
        cur.execute("SELECT coalesce(sum(used_requests), 0) FROM subscriptions")
        value = cur.fetchone()[0]
    conn.close()
    return value


@pytest.mark.parametrize("provider", PROVIDERS)
def test_optimize_through_each_provider(admin, fake, provider, clean_db):
    client, header = admin
    _configure(client, header, provider)
    response = client.post(
        "/api/optimize", json={"text": TEXT, "provider": provider}, headers=header
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["provider"] == provider
    assert body["refinedTokens"] < body["originalTokens"]
    assert "{audience}" in body["refinedText"] and "not" in body["refinedText"].lower()
    assert body["providerUsage"]["inputTokens"] > 0
    assert body["providerUsage"]["outputTokens"] > 0
    assert body["usage"]["used"] == 1
    (call,) = fake.calls(provider)
    sent_key = call.headers.get("authorization", "") + call.headers.get("x-api-key", "")
    sent_key += call.headers.get("x-goog-api-key", "")
    assert ORG_KEY in sent_key
    record = client.get(f"/api/optimize/history/{body['id']}", headers=header).get_json()
    assert record["providerUsage"] == body["providerUsage"]
    assert record["model"] == body["model"]


FAILURES = [
    # behaviour, options, status, code
    ("401", {}, 502, "provider_auth_failed"),
    ("quota", {}, 502, "provider_quota_exhausted"),
    ("429", {"retry_after": 0}, 429, "provider_rate_limited"),
    ("500", {}, 502, "provider_error"),
    ("529", {"retry_after": 0}, 503, "provider_overloaded"),
    ("slow", {"delay": 2}, 504, "provider_timeout"),
    ("not_json", {}, 502, "provider_error"),
    ("enormous", {"size": 2 << 20}, 502, "provider_error"),
]


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize(("behaviour", "options", "status", "code"), FAILURES)
def test_provider_failures_map_to_json_errors_and_are_not_charged(
    admin, fake, clean_db, provider, behaviour, options, status, code
):
    client, header = admin
    _configure(client, header, provider)
    fake.behave(behaviour, **options)
    response = client.post(
        "/api/optimize", json={"text": TEXT, "provider": provider}, headers=header
    )
    assert response.status_code == status, response.get_json()
    body = response.get_json()
    assert body["code"] == code
    assert ORG_KEY not in response.get_data(as_text=True)
    if status in (429, 503):
        assert int(response.headers["Retry-After"]) >= 1
    assert _used(clean_db) == 0
    failed = client.get("/api/optimize/history?status=failed", headers=header).get_json()
    assert [r["errorCode"] for r in failed["data"]] == [code]


@pytest.mark.parametrize("provider", PROVIDERS)
def test_retry_after_429_then_success(admin, fake, provider):
    client, header = admin
    _configure(client, header, provider)
    fake.behave("429", retry_after=0, times=1)
    response = client.post(
        "/api/optimize", json={"text": TEXT, "provider": provider}, headers=header
    )
    assert response.status_code == 200
    assert len(fake.calls(provider)) == 2


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize("behaviour", ["fenced", "prose"])
def test_wrapped_json_answers_are_understood(admin, fake, provider, behaviour):
    client, header = admin
    _configure(client, header, provider)
    fake.behave(behaviour)
    response = client.post(
        "/api/optimize", json={"text": TEXT, "provider": provider}, headers=header
    )
    assert response.status_code == 200
    assert not response.get_json()["refinedText"].lstrip().startswith(("```", "{"))


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize(
    ("behaviour", "lost"), [("drop_placeholder", "{audience}"), ("drop_not", "'not'")]
)
def test_lost_placeholders_and_negations_are_warned(admin, fake, provider, behaviour, lost):
    client, header = admin
    _configure(client, header, provider)
    fake.behave(behaviour)
    response = client.post(
        "/api/optimize", json={"text": TEXT, "provider": provider}, headers=header
    )
    assert response.status_code == 200
    warnings = response.get_json()["warnings"]
    assert any(lost in warning for warning in warnings), warnings


@pytest.mark.parametrize("provider", PROVIDERS)
def test_an_answer_longer_than_the_input_gives_back_the_input(admin, fake, provider):
    client, header = admin
    _configure(client, header, provider)
    fake.behave("longer")
    response = client.post(
        "/api/optimize", json={"text": TEXT, "provider": provider}, headers=header
    )
    assert response.status_code == 200
    body = response.get_json()
    assert body["refinedText"] == TEXT
    assert body["tokensSaved"] == 0 and body["savingsPercentage"] == 0
    assert body["removedSegments"] == []
    assert any("not shorter" in warning for warning in body["warnings"])


def test_service_wide_key_is_used_when_the_organization_has_none(clean_db, fake):
    settings = {**provider_settings(fake.url), "ANTHROPIC_API_KEY": "sk-ant-service-key-000111"}
    app = create_app(make_config(clean_db, **settings))
    client = app.test_client()
    header = Auth.header(Auth(client).register("acme")["accessToken"])
    listed = {
        p["provider"]: p for p in client.get("/api/providers", headers=header).get_json()["data"]
    }
    assert listed["anthropic"]["serviceKeyAvailable"] is True
    assert listed["openai"]["serviceKeyAvailable"] is False
    response = client.post(
        "/api/optimize", json={"text": TEXT, "provider": "anthropic"}, headers=header
    )
    assert response.status_code == 200
    assert fake.calls("anthropic")[0].headers["x-api-key"] == "sk-ant-service-key-000111"


def test_no_key_anywhere_is_400_provider_not_configured(admin, clean_db):
    client, header = admin
    response = client.post(
        "/api/optimize", json={"text": TEXT, "provider": "gemini"}, headers=header
    )
    assert response.status_code == 400
    assert response.get_json()["code"] == "provider_not_configured"
    assert _used(clean_db) == 0


def test_inactive_configuration_is_not_used(admin):
    client, header = admin
    _configure(client, header, "openai", isActive=False)
    response = client.post(
        "/api/optimize", json={"text": TEXT, "provider": "openai"}, headers=header
    )
    assert response.status_code == 400
    assert response.get_json()["code"] == "provider_not_configured"


def test_keys_are_encrypted_at_rest_and_never_shown(admin, clean_db, caplog):
    caplog.set_level(logging.DEBUG)
    client, header = admin
    created = _configure(client, header, "openai", model="gpt-5.4-nano")
    assert created["maskedKey"] == "sk-…7890"
    assert created["model"] == "gpt-5.4-nano"
    conn = psycopg2.connect(clean_db)
    with conn, conn.cursor() as cur:
        cur.execute("SELECT api_key_encrypted FROM provider_configs")
        (ciphertext,) = cur.fetchone()
    conn.close()
    assert ORG_KEY not in ciphertext
    assert decrypt_secret((ENCRYPTION_KEY,), ciphertext) == ORG_KEY
    responses = [
        client.get("/api/providers", headers=header),
        client.post("/api/optimize", json={"text": TEXT, "provider": "openai"}, headers=header),
        client.get("/api/optimize/history", headers=header),
    ]
    for response in responses:
        assert ORG_KEY not in response.get_data(as_text=True)
    assert ORG_KEY not in caplog.text


def test_update_keeps_the_key_and_first_put_requires_one(admin):
    client, header = admin
    missing = client.put("/api/providers/openai", json={"model": "gpt-5.4-mini"}, headers=header)
    assert missing.status_code == 400
    assert missing.get_json()["details"][0]["field"] == "apiKey"
    _configure(client, header, "openai")
    updated = client.put("/api/providers/openai", json={"isActive": False}, headers=header)
    assert updated.status_code == 200
    assert updated.get_json()["maskedKey"] == "sk-…7890"
    assert updated.get_json()["isActive"] is False


def test_provider_endpoint_validation(clean_db):
    app = create_app(make_config(clean_db))  # private endpoints not allowed
    client = app.test_client()
    header = Auth.header(Auth(client).register("acme")["accessToken"])
    for endpoint in ("http://api.example.com", "https://127.0.0.1", "https://169.254.169.254"):
        response = client.put(
            "/api/providers/openai", json={"apiKey": ORG_KEY, "endpoint": endpoint}, headers=header
        )
        assert response.status_code == 400, endpoint
        assert response.get_json()["details"][0]["field"] == "endpoint"
    ok = client.put(
        "/api/providers/openai",
        json={"apiKey": ORG_KEY, "endpoint": "https://8.8.8.8/v1"},
        headers=header,
    )
    assert ok.status_code == 201


def test_unknown_provider_and_bad_fields(admin):
    client, header = admin
    assert (
        client.put("/api/providers/mistral", json={"apiKey": ORG_KEY}, headers=header).status_code
        == 404
    )
    bad = client.put("/api/providers/openai", json={"apiKey": 5, "isActive": "yes"}, headers=header)
    assert bad.status_code == 400
    assert {d["field"] for d in bad.get_json()["details"]} == {"apiKey", "isActive"}


def test_delete_removes_the_configuration(admin):
    client, header = admin
    _configure(client, header, "deepseek")
    assert client.delete("/api/providers/deepseek", headers=header).status_code == 204
    assert client.delete("/api/providers/deepseek", headers=header).status_code == 404
    listed = client.get("/api/providers", headers=header).get_json()["data"]
    assert all(not p["configured"] for p in listed)


def test_members_who_are_not_admins_get_403(provider_app, clean_db):
    client = provider_app.test_client()
    org_id = Auth(client).register("acme")["organization"]["id"]
    conn = psycopg2.connect(clean_db)
    with conn, conn.cursor() as cur:
        cur.execute(
            "INSERT INTO users (organization_id, email, password_hash, full_name, role) "
            "VALUES (%s, 'member@acme.example.com', %s, 'Member', 'user')",
            (org_id, hash_password(PASSWORD, 4)),
        )
    conn.close()
    token = Auth(client).login("member@acme.example.com").get_json()["accessToken"]
    header = Auth.header(token)
    assert client.get("/api/providers", headers=header).status_code == 403
    put = client.put("/api/providers/openai", json={"apiKey": ORG_KEY}, headers=header)
    assert put.status_code == 403
    assert put.get_json()["code"] == "forbidden"
    assert client.delete("/api/providers/openai", headers=header).status_code == 403
    # A member may still optimize.
    assert client.post("/api/optimize", json={"text": TEXT}, headers=header).status_code == 200


def test_another_organizations_credentials_are_invisible_and_unused(provider_app):
    client = provider_app.test_client()
    a = Auth.header(Auth(client).register("org-a")["accessToken"])
    b = Auth.header(Auth(client).register("org-b")["accessToken"])
    _configure(client, a, "openai")
    listed = client.get("/api/providers", headers=b).get_json()["data"]
    assert all(not p["configured"] for p in listed)
    response = client.post("/api/optimize", json={"text": TEXT, "provider": "openai"}, headers=b)
    assert response.status_code == 400
    assert response.get_json()["code"] == "provider_not_configured"
    assert client.delete("/api/providers/openai", headers=b).status_code == 404


def test_rotate_keys_reencrypts_under_the_first_key(admin, clean_db, fake):
    client, header = admin
    _configure(client, header, "openai")
    new_key = "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB="
    rotated_app = create_app(
        make_config(
            clean_db, ENCRYPTION_KEY=f"{new_key},{ENCRYPTION_KEY}", **provider_settings(fake.url)
        )
    )
    result = rotated_app.test_cli_runner().invoke(args=["rotate-keys"])
    assert result.exit_code == 0, result.output
    assert "re-encrypted 1" in result.output
    conn = psycopg2.connect(clean_db)
    with conn, conn.cursor() as cur:
        cur.execute("SELECT api_key_encrypted FROM provider_configs")
        (ciphertext,) = cur.fetchone()
    conn.close()
    assert decrypt_secret((new_key,), ciphertext) == ORG_KEY
    # The new key alone now serves calls.
    only_new = create_app(
        make_config(clean_db, ENCRYPTION_KEY=new_key, **provider_settings(fake.url))
    )
    other = only_new.test_client()
    token = Auth(other).login("admin@acme.example.com").get_json()["accessToken"]
    response = other.post(
        "/api/optimize", json={"text": TEXT, "provider": "openai"}, headers=Auth.header(token)
    )
    assert response.status_code == 200


def test_a_stored_endpoint_is_checked_again_before_each_call(clean_db, fake):
    # Saved while private endpoints were allowed; the operator has since turned that off.
    allowing = create_app(make_config(clean_db, **provider_settings(fake.url))).test_client()
    header = Auth.header(Auth(allowing).register("acme")["accessToken"])
    saved = allowing.put(
        "/api/providers/openai",
        json={"apiKey": ORG_KEY, "endpoint": fake.url},
        headers=header,
    )
    assert saved.status_code == 201
    strict = {**provider_settings(fake.url), "ALLOW_PRIVATE_PROVIDER_ENDPOINTS": "false"}
    client = create_app(make_config(clean_db, **strict)).test_client()
    response = client.post(
        "/api/optimize", json={"text": TEXT, "provider": "openai"}, headers=header
    )
    assert response.status_code == 400
    assert response.get_json()["code"] == "provider_endpoint_refused"
    assert fake.calls() == []
    assert _used(clean_db) == 0
