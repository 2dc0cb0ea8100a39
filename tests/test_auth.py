"""Registration, login, refresh rotation, logout and /me through the real app."""

from __future__ import annotations

import jwt as pyjwt
import pytest

from refinery import create_app
from tests.conftest import JWT_SECRET, PASSWORD, make_config


def test_register_creates_organization_admin_and_free_plan(client, auth):
    body = auth.register("acme", email="Boss@Acme.example.com")
    assert body["user"]["email"] == "Boss@Acme.example.com"
    assert body["user"]["role"] == "admin"
    assert body["organization"]["slug"] == "acme"
    assert body["organization"]["plan"] == "free"
    assert body["user"]["organizationId"] == body["organization"]["id"]

    me = client.get("/api/auth/me", headers=auth.header(body["accessToken"]))
    assert me.status_code == 200
    subscription = me.get_json()["subscription"]
    assert subscription["limit"] == 1000
    assert subscription["used"] == 0
    assert subscription["resetAt"].endswith("-01T00:00:00Z")


def test_register_ignores_role_and_plan_in_body(auth):
    body = auth.register("sneaky", role="user", plan="enterprise", organizationId="x")
    assert body["user"]["role"] == "admin"
    assert body["organization"]["plan"] == "free"


@pytest.mark.parametrize("email", ["admin@acme.example.com", "ADMIN@ACME.EXAMPLE.COM"])
def test_duplicate_email_in_any_case_is_409(client, auth, email):
    auth.register("acme")
    response = client.post(
        "/api/auth/register",
        json={
            "email": email,
            "password": PASSWORD,
            "fullName": "Someone",
            "organizationName": "Other",
            "organizationSlug": "other-org",
        },
    )
    assert response.status_code == 409
    assert response.get_json()["code"] == "email_taken"


def test_duplicate_slug_is_409_and_creates_nothing(client, auth):
    auth.register("acme")
    response = client.post(
        "/api/auth/register",
        json={
            "email": "new@example.com",
            "password": PASSWORD,
            "fullName": "Someone",
            "organizationName": "Acme again",
            "organizationSlug": "acme",
        },
    )
    assert response.status_code == 409
    assert response.get_json()["code"] == "slug_taken"
    assert auth.login("new@example.com").status_code == 401


VALID = {
    "email": "valid@example.com",
    "password": PASSWORD,
    "fullName": "Valid Name",
    "organizationName": "Valid Org",
    "organizationSlug": "valid-org",
}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("email", "not-an-email"),
        ("email", "two@@example.com"),
        ("email", None),
        ("email", 42),
        ("password", "short"),
        ("password", "é" * 37),  # 74 bytes: bcrypt would silently truncate
        ("password", "x" * 73),
        ("fullName", ""),
        ("fullName", "   "),
        ("fullName", "n" * 256),
        ("organizationName", "o" * 256),
        ("organizationSlug", "ab"),
        ("organizationSlug", "a" * 64),
        ("organizationSlug", "Acme"),
        ("organizationSlug", "-acme"),
        ("organizationSlug", "acme-"),
        ("organizationSlug", "ac--me"),
        ("organizationSlug", "ac_me"),
        ("fullName", "nul\x00byte"),
    ],
)
def test_each_validation_rule_names_its_field(client, field, value):
    body = {**VALID, field: value}
    response = client.post("/api/auth/register", json=body)
    assert response.status_code == 400
    data = response.get_json()
    assert data["code"] == "validation_error"
    assert [d["field"] for d in data["details"]] == [field]
    assert data["requestId"]


def test_password_of_exactly_72_bytes_is_accepted(client, auth):
    password = "p" * 72
    response = client.post(
        "/api/auth/register", json={**VALID, "password": password, "organizationSlug": "exact"}
    )
    assert response.status_code == 201
    assert auth.login(VALID["email"], password).status_code == 200
    assert auth.login(VALID["email"], password + "x").status_code == 401


def test_malformed_json_and_wrong_content_type(client):
    bad = client.post(
        "/api/auth/register", data="{not json", headers={"Content-Type": "application/json"}
    )
    assert bad.status_code == 400
    assert bad.get_json()["code"] == "invalid_json"
    array = client.post("/api/auth/register", json=[1, 2])
    assert array.status_code == 400
    assert array.get_json()["code"] == "invalid_json"
    form = client.post("/api/auth/register", data={"email": "x"})
    assert form.status_code == 415
    assert form.get_json()["code"] == "unsupported_media_type"


def test_login_returns_tokens_user_and_organization(auth):
    registered = auth.register("acme")
    response = auth.login("ADMIN@acme.example.com")
    assert response.status_code == 200
    body = response.get_json()
    assert body["user"]["id"] == registered["user"]["id"]
    assert body["organization"] == registered["organization"]
    assert body["accessToken"] and body["refreshToken"]


def test_unknown_email_and_wrong_password_answer_identically(auth):
    auth.register("acme")
    wrong = auth.login("admin@acme.example.com", "wrong password")
    unknown = auth.login("nobody@acme.example.com", "wrong password")
    assert wrong.status_code == unknown.status_code == 401
    strip = lambda r: {k: v for k, v in r.get_json().items() if k != "requestId"}  # noqa: E731
    assert (
        strip(wrong)
        == strip(unknown)
        == {
            "error": "Invalid e-mail or password.",
            "code": "invalid_credentials",
        }
    )


def test_failed_logins_are_throttled_per_account(clean_db):
    app = create_app(make_config(clean_db, LOGIN_MAX_FAILURES_PER_ACCOUNT="3"))
    client = app.test_client()
    from tests.conftest import Auth

    auth = Auth(client)
    auth.register("acme")
    for _ in range(3):
        assert auth.login("admin@acme.example.com", "wrong password").status_code == 401
    # Past the limit even the right password waits.
    blocked = auth.login("Admin@acme.example.com")
    assert blocked.status_code == 429
    assert blocked.get_json()["code"] == "login_throttled"
    assert 1 <= int(blocked.headers["Retry-After"]) <= 15 * 60


def test_failed_logins_are_throttled_per_client_address(clean_db):
    app = create_app(make_config(clean_db, LOGIN_MAX_FAILURES_PER_CLIENT="4"))
    client = app.test_client()
    for n in range(4):
        response = client.post(
            "/api/auth/login", json={"email": f"guess{n}@example.com", "password": "whatever1"}
        )
        assert response.status_code == 401
    response = client.post(
        "/api/auth/login", json={"email": "fresh@example.com", "password": "whatever1"}
    )
    assert response.status_code == 429
    assert "Retry-After" in response.headers


def test_refresh_rotates_and_keeps_the_role(client, auth):
    registered = auth.register("acme")
    response = client.post("/api/auth/refresh", json={"refreshToken": registered["refreshToken"]})
    assert response.status_code == 200
    pair = response.get_json()
    assert set(pair) == {"accessToken", "refreshToken"}
    claims = pyjwt.decode(pair["accessToken"], JWT_SECRET, algorithms=["HS256"])
    assert claims["role"] == "admin"
    assert claims["org"] == registered["organization"]["id"]
    assert client.get("/api/auth/me", headers=auth.header(pair["accessToken"])).status_code == 200


def test_reused_refresh_token_revokes_the_whole_session(client, auth):
    registered = auth.register("acme")
    first = registered["refreshToken"]
    second = client.post("/api/auth/refresh", json={"refreshToken": first}).get_json()

    reuse = client.post("/api/auth/refresh", json={"refreshToken": first})
    assert reuse.status_code == 401
    assert reuse.get_json()["code"] == "refresh_token_reused"
    # Everything of that login is dead now: the newer refresh token and the access tokens.
    later = client.post("/api/auth/refresh", json={"refreshToken": second["refreshToken"]})
    assert later.status_code == 401
    me = client.get("/api/auth/me", headers=auth.header(second["accessToken"]))
    assert me.status_code == 401
    # Another login of the same member is untouched.
    assert auth.login("admin@acme.example.com").status_code == 200


def test_logout_revokes_access_and_refresh_tokens(client, auth):
    registered = auth.register("acme")
    headers = auth.header(registered["accessToken"])
    assert client.post("/api/auth/logout", headers=headers).status_code == 204
    assert client.get("/api/auth/me", headers=headers).status_code == 401
    refresh = client.post("/api/auth/refresh", json={"refreshToken": registered["refreshToken"]})
    assert refresh.status_code == 401
    assert refresh.get_json()["code"] == "token_revoked"


def test_me_shows_only_the_callers_organization(client, auth):
    a = auth.register("org-a")
    b = auth.register("org-b")
    me_a = client.get("/api/auth/me", headers=auth.header(a["accessToken"])).get_json()
    me_b = client.get("/api/auth/me", headers=auth.header(b["accessToken"])).get_json()
    assert me_a["organization"]["slug"] == "org-a"
    assert me_b["organization"]["slug"] == "org-b"
    assert me_a["user"]["id"] != me_b["user"]["id"]
    assert "org-b" not in str(me_a) and "org-a" not in str(me_b)


def _forge(claims: dict, key: str = JWT_SECRET, algorithm: str = "HS256") -> str:
    """A token signed outside the app."""
    return pyjwt.encode(claims, key, algorithm=algorithm)


def _claims_of(token: str) -> dict:
    return pyjwt.decode(token, JWT_SECRET, algorithms=["HS256"])


def _alg_none(claims: dict) -> str:
    """An unsigned token with alg none."""
    import base64
    import json

    def part(obj):
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


@pytest.mark.parametrize(
    "make_token",
    [
        pytest.param(lambda c: "not-a-jwt", id="malformed"),
        pytest.param(lambda c: _forge({**c, "exp": 1_000_000}), id="expired"),
        pytest.param(
            lambda c: _forge(
                {**c, "role": "admin", "org": "x"}, key="another-secret-of-32-bytes-or-more!!"
            ),
            id="wrong-secret",
        ),
        pytest.param(lambda c: _forge(c, algorithm="HS512"), id="wrong-algorithm"),
        pytest.param(lambda c: _alg_none(c), id="alg-none"),
        pytest.param(lambda c: _forge({**c, "type": "refresh"}), id="refresh-as-access"),
        pytest.param(lambda c: _forge({**c, "sid": "not-a-uuid"}), id="bad-session-claim"),
    ],
)
def test_bad_access_tokens_are_401_json(client, auth, make_token):
    registered = auth.register("acme")
    claims = _claims_of(registered["accessToken"])
    token = make_token(claims)
    response = client.get("/api/auth/me", headers=auth.header(token))
    assert response.status_code == 401
    body = response.get_json()
    assert body["code"] in {"invalid_token", "token_expired", "token_revoked"}
    assert body["requestId"]


def test_tampered_signature_is_401(client, auth):
    token = auth.register("acme")["accessToken"]
    head, payload, signature = token.split(".")
    flipped = signature[:-2] + ("AA" if signature[-2:] != "AA" else "BB")
    response = client.get("/api/auth/me", headers=auth.header(f"{head}.{payload}.{flipped}"))
    assert response.status_code == 401


def test_refresh_token_as_access_token_and_reverse(client, auth):
    registered = auth.register("acme")
    as_access = client.get("/api/auth/me", headers=auth.header(registered["refreshToken"]))
    assert as_access.status_code == 401
    as_refresh = client.post("/api/auth/refresh", json={"refreshToken": registered["accessToken"]})
    assert as_refresh.status_code == 401
    assert as_refresh.get_json()["code"] == "invalid_token"


def test_expired_refresh_token_is_401(client, auth):
    claims = _claims_of(auth.register("acme")["refreshToken"])
    expired = _forge({**claims, "exp": 1_000_000})
    response = client.post("/api/auth/refresh", json={"refreshToken": expired})
    assert response.status_code == 401
    assert response.get_json()["code"] == "token_expired"


def test_missing_credentials_is_401(client):
    response = client.get("/api/auth/me")
    assert response.status_code == 401
    assert response.get_json()["code"] == "unauthorized"


def test_bearer_scheme_is_case_insensitive_and_tokens_need_exp_and_type(client, auth):
    registered = auth.register("acme")
    token = registered["accessToken"]
    lower = client.get("/api/auth/me", headers={"Authorization": f"bearer {token}"})
    assert lower.status_code == 200
    claims = _claims_of(token)
    for missing in ("exp", "type", "sid"):
        forged = _forge({k: v for k, v in claims.items() if k != missing})
        response = client.get("/api/optimize/history", headers=auth.header(forged))
        assert response.status_code == 401, missing
        assert response.get_json()["code"] == "invalid_token"
    response = client.get("/api/optimize/history", headers={"Authorization": "Bearer"})
    assert response.status_code == 401
    assert response.get_json()["code"] == "invalid_token"
