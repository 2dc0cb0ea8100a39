"""Requests per minute per organization and per API key, registrations per client address."""

from __future__ import annotations

import os
import socket
import uuid

import pytest

from refinery import create_app
from tests.conftest import Auth, make_config


def _app(clean_db, **limits):
    return create_app(make_config(clean_db, **limits))


def test_requests_per_organization_are_limited_across_its_members_and_keys(clean_db):
    client = _app(clean_db, RATE_LIMIT_PER_ORGANIZATION="5/minute").test_client()
    admin = Auth.header(Auth(client).register("busy")["accessToken"])
    key = client.post("/api/keys", json={"name": "k"}, headers=admin).get_json()["key"]
    other = Auth.header(Auth(client).register("calm")["accessToken"])
    # The key creation above was the first request of the organization's minute.
    for _ in range(2):
        assert client.get("/api/optimize/history", headers=admin).status_code == 200
        assert client.get("/api/optimize/history", headers={"X-API-Key": key}).status_code == 200
    limited = client.get("/api/usage", headers=admin)
    assert limited.status_code == 429
    body = limited.get_json()
    assert body["code"] == "rate_limited"
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    assert client.get("/api/usage", headers={"X-API-Key": key}).status_code == 429
    # Another organization has its own budget.
    assert client.get("/api/usage", headers=other).status_code == 200


def test_a_logged_out_token_spends_none_of_its_organizations_budget(clean_db):
    client = _app(clean_db, RATE_LIMIT_PER_ORGANIZATION="3/minute").test_client()
    auth = Auth(client)
    live = Auth.header(auth.register("spent")["accessToken"])
    second = auth.login("admin@spent.example.com")
    ended = Auth.header(second.get_json()["accessToken"])
    assert client.post("/api/auth/logout", headers=ended).status_code == 204  # 1 of 3
    for _ in range(5):
        refused = client.post("/api/optimize", json={"text": "Please do x."}, headers=ended)
        assert refused.status_code == 401
        assert refused.get_json()["code"] == "token_revoked"
    for _ in range(2):  # 2 and 3 of 3: the refused requests took none
        assert client.post("/api/optimize", json={"text": "Do x."}, headers=live).status_code == 200
    assert client.get("/api/usage", headers=live).status_code == 429


def test_requests_per_api_key_are_limited_apart_from_members(clean_db):
    client = _app(clean_db, RATE_LIMIT_PER_API_KEY="3/minute").test_client()
    admin = Auth.header(Auth(client).register("keyed")["accessToken"])
    key = client.post("/api/keys", json={"name": "k"}, headers=admin).get_json()["key"]
    second = client.post("/api/keys", json={"name": "k2"}, headers=admin).get_json()["key"]
    for _ in range(3):
        assert client.get("/api/usage", headers={"X-API-Key": key}).status_code == 200
    assert client.get("/api/usage", headers={"X-API-Key": key}).status_code == 429
    assert client.get("/api/usage", headers={"X-API-Key": second}).status_code == 200
    assert client.get("/api/usage", headers=admin).status_code == 200


def test_a_key_over_its_own_limit_spends_none_of_its_organizations_budget(clean_db):
    client = _app(
        clean_db, RATE_LIMIT_PER_ORGANIZATION="8/minute", RATE_LIMIT_PER_API_KEY="3/minute"
    ).test_client()
    admin = Auth.header(Auth(client).register("runaway")["accessToken"])
    runaway = client.post("/api/keys", json={"name": "a"}, headers=admin).get_json()["key"]
    calm = client.post("/api/keys", json={"name": "b"}, headers=admin).get_json()["key"]
    # 2 of 8 spent on the keys; the runaway key gets its 3, then ten refusals that cost nothing.
    codes = [
        client.get("/api/usage", headers={"X-API-Key": runaway}).status_code for _ in range(13)
    ]
    assert codes == [200] * 3 + [429] * 10
    assert [
        client.get("/api/usage", headers={"X-API-Key": calm}).status_code for _ in range(3)
    ] == [200] * 3
    assert client.get("/api/usage", headers=admin).status_code == 429  # 2 + 3 + 3 = 8


def test_every_rate_of_a_multi_rate_setting_applies(clean_db):
    client = _app(clean_db, RATE_LIMIT_PER_ORGANIZATION="100/minute;3/minute").test_client()
    admin = Auth.header(Auth(client).register("layered")["accessToken"])
    codes = [client.get("/api/usage", headers=admin).status_code for _ in range(5)]
    assert codes == [200, 200, 200, 429, 429]


def test_registration_is_limited_per_client_address(clean_db):
    client = _app(clean_db, RATE_LIMIT_REGISTRATION="2/hour").test_client()
    Auth(client).register("first")
    Auth(client).register("second")
    third = client.post(
        "/api/auth/register",
        json={
            "email": "third@example.com",
            "password": "password-123",
            "fullName": "T",
            "organizationName": "T",
            "organizationSlug": "third",
        },
    )
    assert third.status_code == 429
    assert third.get_json()["code"] == "rate_limited"
    assert "Retry-After" in third.headers
    elsewhere = client.post(
        "/api/auth/register",
        json={
            "email": "fourth@example.com",
            "password": "password-123",
            "fullName": "F",
            "organizationName": "F",
            "organizationSlug": "fourth",
        },
        environ_base={"REMOTE_ADDR": "203.0.113.9"},
    )
    assert elsewhere.status_code == 201


def _redis_reachable() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
        return True
    except OSError:
        return False


@pytest.mark.skipif(
    not _redis_reachable() and not os.environ.get("CI"),
    reason="no Redis on 127.0.0.1:6379 (CI has one, and there this test must run)",
)
def test_limits_are_shared_through_redis_by_separate_app_processes(clean_db):
    # Two apps stand for two worker processes: with redis:// they share one count.
    prefix = uuid.uuid4().hex  # the slug keeps buckets of earlier runs apart
    settings = {
        "RATE_LIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0",
        "RATE_LIMIT_PER_ORGANIZATION": "4/minute",
    }
    first = _app(clean_db, **settings).test_client()
    admin = Auth.header(Auth(first).register(f"r{prefix[:20]}")["accessToken"])
    second = _app(clean_db, **settings).test_client()
    statuses = []
    for client in (first, second, first, second, first):
        statuses.append(client.get("/api/usage", headers=admin).status_code)
    assert statuses == [200, 200, 200, 200, 429]
