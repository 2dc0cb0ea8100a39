"""Organization administration: the role matrix, members, API keys, usage and the audit log."""

from __future__ import annotations

from dataclasses import dataclass

import psycopg2
import pytest

from refinery import create_app
from tests.conftest import PASSWORD, Auth, make_config, provider_settings

ORG_KEY = "sk-org-admin-test-key-000000001"
PROMPT = "Could you please write 3 short taglines for a bakery? Do not use the word 'fresh'."


@dataclass
class World:
    """Two organizations and every kind of caller."""

    client: object
    headers: dict  # caller name -> headers
    ids: dict  # what the routes need: a_member, a_optimization, a_key
    secret: str  # org A's live API key
    database_url: str


def _header(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def _sql(database_url: str, sql: str, *params):
    conn = psycopg2.connect(database_url)
    with conn, conn.cursor() as cur:
        cur.execute(sql, params)
        rows = cur.fetchall() if cur.description else None
    conn.close()
    return rows


@pytest.fixture
def world(clean_db, fake) -> World:
    """Org A: admin, member, a live key, a revoked key, an optimization, an OpenAI key.
    Org B: its admin."""
    app = create_app(make_config(clean_db, **provider_settings(fake.url)))
    client = app.test_client()
    auth = Auth(client)
    admin = _header(auth.register("org-a")["accessToken"])
    other = _header(auth.register("org-b")["accessToken"])
    member = auth.add_member(admin, "member@org-a.example.com")["user"]
    member_header = _header(auth.login("member@org-a.example.com").get_json()["accessToken"])
    live = client.post("/api/keys", json={"name": "backend"}, headers=admin).get_json()
    revoked = client.post("/api/keys", json={"name": "old"}, headers=admin).get_json()
    assert client.delete(f"/api/keys/{revoked['id']}", headers=admin).status_code == 204
    optimization = client.post("/api/optimize", json={"text": PROMPT}, headers=admin).get_json()
    client.put("/api/providers/openai", json={"apiKey": ORG_KEY}, headers=admin)
    return World(
        client=client,
        headers={
            "admin": admin,
            "member": member_header,
            "api_key": {"X-API-Key": live["key"]},
            "none": {},
            "revoked_key": _header(revoked["key"]),
            "other_admin": other,
        },
        ids={"a_member": member["id"], "a_optimization": optimization["id"], "a_key": live["id"]},
        secret=live["key"],
        database_url=clean_db,
    )


CALLERS = ("admin", "member", "api_key", "none", "revoked_key", "other_admin")
BAD_PASSWORD_CHANGE = {"currentPassword": "not it", "newPassword": "another-password-1"}
# method, path, body, expected status per caller (in CALLERS order)
MATRIX = [
    ("GET", "/api/auth/me", None, (200, 200, 403, 401, 401, 200)),
    ("POST", "/api/auth/password", BAD_PASSWORD_CHANGE, (400, 400, 403, 401, 401, 400)),
    ("POST", "/api/optimize", {"text": PROMPT}, (200, 200, 200, 401, 401, 200)),
    ("GET", "/api/optimize/history", None, (200, 200, 200, 401, 401, 200)),
    ("GET", "/api/optimize/history/{a_optimization}", None, (200, 200, 200, 401, 401, 404)),
    ("DELETE", "/api/optimize/history/{a_optimization}", None, (204, 204, 204, 401, 401, 404)),
    ("GET", "/api/usage", None, (200, 200, 200, 401, 401, 200)),
    ("GET", "/api/providers", None, (200, 403, 403, 401, 401, 200)),
    ("PUT", "/api/providers/anthropic", {"apiKey": ORG_KEY}, (201, 403, 403, 401, 401, 201)),
    ("DELETE", "/api/providers/openai", None, (204, 403, 403, 401, 401, 404)),
    ("GET", "/api/users", None, (200, 403, 403, 401, 401, 200)),
    (
        "POST",
        "/api/users",
        {"email": "new@example.com", "fullName": "New", "password": PASSWORD},
        (410, 403, 403, 401, 401, 410),
    ),
    ("PATCH", "/api/users/{a_member}", {"fullName": "Renamed"}, (200, 403, 403, 401, 401, 404)),
    ("DELETE", "/api/users/{a_member}", None, (204, 403, 403, 401, 401, 404)),
    ("GET", "/api/organization", None, (200, 200, 403, 401, 401, 200)),
    ("PATCH", "/api/organization", {"name": "Renamed Org"}, (200, 403, 403, 401, 401, 200)),
    ("POST", "/api/keys", {"name": "ci"}, (201, 403, 403, 401, 401, 201)),
    ("GET", "/api/keys", None, (200, 403, 403, 401, 401, 200)),
    ("DELETE", "/api/keys/{a_key}", None, (204, 403, 403, 401, 401, 404)),
    ("GET", "/api/audit", None, (200, 403, 403, 401, 401, 200)),
]
ERROR_CODES = {
    401: {"unauthorized", "invalid_api_key"},
    403: {"forbidden", "api_key_not_allowed"},
    404: {"not_found"},
    400: {"validation_error"},
    410: {"invitation_required"},
}


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize(
    ("method", "path", "body", "expected"), MATRIX, ids=[f"{m} {p}" for m, p, _, _ in MATRIX]
)
def test_role_matrix(world, caller, method, path, body, expected):
    status = expected[CALLERS.index(caller)]
    url = path.format(**world.ids)
    response = world.client.open(url, method=method, json=body, headers=world.headers[caller])
    assert response.status_code == status, response.get_data(as_text=True)
    if status >= 400:
        assert response.get_json()["code"] in ERROR_CODES[status]
    elif status != 204 and caller == "other_admin":
        text = response.get_data(as_text=True)
        for own_id in world.ids.values():
            assert own_id not in text, f"org A's {own_id} leaked to org B"


def test_api_key_is_accepted_as_bearer_and_header_and_acts_for_its_organization(world):
    for header in ({"X-API-Key": world.secret}, _header(world.secret)):
        response = world.client.post("/api/optimize", json={"text": PROMPT}, headers=header)
        assert response.status_code == 200
    history = world.client.get("/api/optimize/history", headers=world.headers["admin"]).get_json()
    by_key = [row for row in history["data"] if row["apiKeyId"] == world.ids["a_key"]]
    assert len(by_key) == 2 and all(row["userId"] is None for row in by_key)


def test_key_secret_appears_in_exactly_one_response(clean_db):
    client = create_app(make_config(clean_db)).test_client()
    admin = _header(Auth(client).register("acme")["accessToken"])
    created = client.post("/api/keys", json={"name": "backend"}, headers=admin)
    secret = created.get_json()["key"]
    assert secret.startswith("rfy_") and len(secret) >= 4 + 43
    assert created.get_json()["prefix"] == secret[:12]
    later = [
        client.get("/api/keys", headers=admin),
        client.post("/api/optimize", json={"text": PROMPT}, headers={"X-API-Key": secret}),
        client.get("/api/optimize/history", headers={"X-API-Key": secret}),
        client.get("/api/audit", headers=admin),
        client.get("/api/usage", headers={"X-API-Key": secret}),
    ]
    for response in later:
        assert response.status_code == 200
        assert secret not in response.get_data(as_text=True)
    stored = _sql(clean_db, "SELECT key_hash, prefix FROM api_keys")
    assert stored[0][0] != secret and secret not in stored[0][0]


def test_revoked_key_is_refused_at_once(world):
    header = {"X-API-Key": world.secret}
    assert world.client.get("/api/usage", headers=header).status_code == 200
    admin = world.headers["admin"]
    assert world.client.delete(f"/api/keys/{world.ids['a_key']}", headers=admin).status_code == 204
    refused = world.client.get("/api/usage", headers=header)
    assert refused.status_code == 401
    assert refused.get_json()["code"] == "invalid_api_key"
    listed = world.client.get("/api/keys", headers=admin).get_json()["data"]
    assert all(k["revokedAt"] for k in listed)


def test_last_used_is_written_at_most_once_a_minute(world):
    header = {"X-API-Key": world.secret}
    key_id = world.ids["a_key"]

    def last_used():
        return _sql(world.database_url, "SELECT last_used_at FROM api_keys WHERE id = %s", key_id)[
            0
        ][0]

    world.client.get("/api/usage", headers=header)
    first = last_used()
    assert first is not None
    world.client.get("/api/usage", headers=header)
    assert last_used() == first  # within the minute: not written again
    _sql(
        world.database_url,
        "UPDATE api_keys SET last_used_at = now() - interval '2 minutes' WHERE id = %s",
        key_id,
    )
    stale = last_used()
    world.client.get("/api/usage", headers=header)
    assert last_used() > stale


def test_the_last_admin_can_be_neither_demoted_nor_removed(world):
    client, admin = world.client, world.headers["admin"]
    me = client.get("/api/auth/me", headers=admin).get_json()["user"]["id"]
    demote = client.patch(f"/api/users/{me}", json={"role": "user"}, headers=admin)
    assert demote.status_code == 409
    assert demote.get_json()["code"] == "last_admin"
    remove = client.delete(f"/api/users/{me}", headers=admin)
    assert remove.status_code == 409
    # With a second admin, the first may step down.
    member = world.ids["a_member"]
    promoted = client.patch(f"/api/users/{member}", json={"role": "admin"}, headers=admin)
    assert promoted.get_json()["role"] == "admin"
    assert client.patch(f"/api/users/{me}", json={"role": "user"}, headers=admin).status_code == 200
    # The caller is now a plain member: admin routes refuse them.
    assert client.get("/api/users", headers=admin).status_code == 403


def test_removing_a_member_ends_their_sessions_and_keeps_their_history(world):
    client, admin, member = world.client, world.headers["admin"], world.headers["member"]
    made = client.post("/api/optimize", json={"text": PROMPT}, headers=member).get_json()
    assert client.delete(f"/api/users/{world.ids['a_member']}", headers=admin).status_code == 204
    assert client.get("/api/auth/me", headers=member).status_code == 401
    kept = client.get(f"/api/optimize/history/{made['id']}", headers=admin)
    assert kept.status_code == 200
    assert kept.get_json()["userId"] is None


def test_member_validation_and_duplicates(world):
    client, admin = world.client, world.headers["admin"]
    duplicate = client.post(
        "/api/invitations", json={"email": "MEMBER@org-a.example.com"}, headers=admin
    )
    accepted = client.post(
        "/api/invitations/accept",
        json={"token": duplicate.get_json()["token"], "password": PASSWORD, "fullName": "Again"},
    )
    assert accepted.status_code == 409
    assert accepted.get_json()["code"] == "email_taken"
    bad = client.post("/api/invitations", json={"email": "x", "role": "owner"}, headers=admin)
    assert bad.status_code == 400
    fields = {d["field"] for d in bad.get_json()["details"]}
    assert fields == {"email", "role"}
    bad_role = client.patch(
        f"/api/users/{world.ids['a_member']}", json={"role": "root"}, headers=admin
    )
    assert bad_role.status_code == 400


def test_password_change_keeps_this_session_and_ends_the_others(world):
    client = world.client
    auth = Auth(client)
    other_session = _header(auth.login("member@org-a.example.com").get_json()["accessToken"])
    member = world.headers["member"]
    changed = client.post(
        "/api/auth/password",
        json={"currentPassword": PASSWORD, "newPassword": "a-brand-new-password"},
        headers=member,
    )
    assert changed.status_code == 204
    assert client.get("/api/auth/me", headers=member).status_code == 200
    assert client.get("/api/auth/me", headers=other_session).status_code == 401
    assert auth.login("member@org-a.example.com").status_code == 401
    assert auth.login("member@org-a.example.com", "a-brand-new-password").status_code == 200
    too_long = client.post(
        "/api/auth/password",
        json={"currentPassword": "a-brand-new-password", "newPassword": "x" * 80},
        headers=member,
    )
    assert too_long.status_code == 400
    assert too_long.get_json()["details"][0]["field"] == "newPassword"


def test_organization_shows_plan_usage_and_members(world):
    org = world.client.get("/api/organization", headers=world.headers["member"]).get_json()
    assert org["slug"] == "org-a" and org["plan"] == "free"
    assert org["limit"] == 1000 and org["used"] == 1
    assert org["memberCount"] == 2
    renamed = world.client.patch(
        "/api/organization", json={"name": "  A Better Name "}, headers=world.headers["admin"]
    )
    assert renamed.get_json()["name"] == "A Better Name"
    bad = world.client.patch("/api/organization", json={"name": ""}, headers=world.headers["admin"])
    assert bad.status_code == 400


def test_set_plan_command(world, fake):
    app = create_app(make_config(world.database_url, **provider_settings(fake.url)))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["set-plan", "org-a", "enterprise", "--limit", "5000"])
    assert result.exit_code == 0, result.output
    org = world.client.get("/api/organization", headers=world.headers["admin"]).get_json()
    assert (org["plan"], org["limit"]) == ("enterprise", 5000)
    assert runner.invoke(args=["set-plan", "org-a", "pro"]).exit_code == 0
    org = world.client.get("/api/organization", headers=world.headers["admin"]).get_json()
    assert (org["plan"], org["limit"]) == ("pro", 10000)
    assert runner.invoke(args=["set-plan", "no-such-org", "pro"]).exit_code != 0
    assert runner.invoke(args=["set-plan", "org-a", "free", "--limit", "5"]).exit_code != 0


def test_usage_totals_equal_the_sum_of_the_optimizations(clean_db):
    app = create_app(make_config(clean_db))
    client = app.test_client()
    header = _header(Auth(client).register("acme")["accessToken"])
    config = app.config["REFINERY"]
    prices = dict(config.model_input_prices)
    model_of = dict(config.strategy_price_models)
    made = []
    for i, strategy in enumerate(["UNIVERSAL", "GPT", "CLAUDE", "DEEPSEEK", "LEGAL", "GPT"]):
        body = {"text": f"{PROMPT} Please number them from {i + 1}.", "strategy": strategy}
        made.append(client.post("/api/optimize", json=body, headers=header).get_json())
    usage = client.get("/api/usage", headers=header).get_json()
    totals = usage["totals"]
    assert totals["optimizations"] == 6
    assert totals["originalTokens"] == sum(m["originalTokens"] for m in made)
    assert totals["refinedTokens"] == sum(m["refinedTokens"] for m in made)
    assert totals["tokensSaved"] == sum(m["tokensSaved"] for m in made)
    expected_usd = sum(m["tokensSaved"] * prices[model_of[m["strategy"]]] / 1e6 for m in made)
    assert usage["estimatedSavingsUsd"] == pytest.approx(expected_usd, abs=1e-6)
    assert usage["byProvider"] == [{"provider": "local", **totals}]
    (day,) = usage["byDay"]
    assert day["tokensSaved"] == totals["tokensSaved"]
    assert (usage["used"], usage["limit"]) == (6, 1000)
    empty = client.get("/api/usage?from=2001-01-01&to=2001-01-31", headers=header).get_json()
    assert empty["totals"]["optimizations"] == 0 and empty["byDay"] == []
    # A period that ends before it starts is empty: a valid request, answered with zeros.
    backwards = client.get("/api/usage?from=2026-02-01&to=2026-01-01", headers=header)
    assert backwards.status_code == 200
    assert backwards.get_json()["totals"]["optimizations"] == 0


def test_audit_records_each_action_and_only_for_its_organization(world, fake):
    client, admin = world.client, world.headers["admin"]
    auth = Auth(client)
    auth.login("admin@org-a.example.com", "wrong password")
    client.patch(f"/api/users/{world.ids['a_member']}", json={"role": "admin"}, headers=admin)
    client.delete("/api/providers/openai", headers=admin)
    client.post(
        "/api/auth/password",
        json={"currentPassword": PASSWORD, "newPassword": "new-password-123"},
        headers=world.headers["member"],
    )
    client.delete(f"/api/users/{world.ids['a_member']}", headers=admin)
    client.patch("/api/organization", json={"name": "Renamed"}, headers=admin)
    app = create_app(make_config(world.database_url, **provider_settings(fake.url)))
    app.test_cli_runner().invoke(args=["set-plan", "org-a", "pro"])
    client.post("/api/auth/logout", headers=world.headers["member"])  # already removed: 401

    events = client.get("/api/audit?limit=100", headers=admin).get_json()["data"]
    actions = {e["action"] for e in events}
    assert actions >= {
        "organization.registered",
        "auth.login",
        "auth.login_failed",
        "auth.password_changed",
        "invitation.created",
        "invitation.accepted",
        "member.changed",
        "member.removed",
        "api_key.created",
        "api_key.revoked",
        "provider.set",
        "provider.removed",
        "organization.changed",
        "plan.changed",
    }
    removed = next(e for e in events if e["action"] == "member.removed")
    assert removed["actorEmail"] == "admin@org-a.example.com"
    assert removed["details"] == {"email": "member@org-a.example.com"}
    failed = next(e for e in events if e["action"] == "auth.login_failed")
    assert failed["clientIp"] and "wrong password" not in str(events)
    assert world.secret not in str(events) and ORG_KEY not in str(events)

    only = client.get("/api/audit?action=api_key.revoked", headers=admin).get_json()["data"]
    assert [e["action"] for e in only] == ["api_key.revoked"]
    other = client.get("/api/audit?limit=100", headers=world.headers["other_admin"]).get_json()
    assert {e["action"] for e in other["data"]} == {"organization.registered"}
    assert client.get("/api/audit?action=nope", headers=admin).status_code == 400


def test_logout_is_audited(client, auth):
    token = auth.register("acme")["accessToken"]
    assert client.post("/api/auth/logout", headers=_header(token)).status_code == 204
    admin = _header(auth.login("admin@acme.example.com").get_json()["accessToken"])
    actions = [e["action"] for e in client.get("/api/audit", headers=admin).get_json()["data"]]
    assert "auth.logout" in actions


def test_audit_rows_cannot_be_changed(world):
    with pytest.raises(psycopg2.Error, match="append-only"):
        _sql(world.database_url, "UPDATE audit_log SET action = 'forged'")
