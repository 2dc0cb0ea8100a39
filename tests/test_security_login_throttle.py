"""Issue #15, items 5 and 7: at most the limit's number of password checks per account and
window, under any concurrency, for logins and password changes alike."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import bcrypt
import psycopg2
import pytest
import requests

from refinery import create_app
from tests.conftest import PASSWORD, Auth, make_config

EMAIL = "admin@acme.example.com"
WRONG = "wrong password"


def _sql(database_url: str, statement: str, *params):
    """One statement as the schema owner; its rows."""
    conn = psycopg2.connect(database_url)
    with conn, conn.cursor() as cur:
        cur.execute(statement, params)
        rows = cur.fetchall()
    conn.close()
    return rows


def _failures(database_url: str, action: str) -> int:
    """How many audit events of this action were written."""
    return _sql(database_url, "SELECT count(*) FROM audit_log WHERE action = %s", action)[0][0]


@pytest.fixture
def checks_of(monkeypatch):
    """Count bcrypt checks against a given stored hash (bcrypt itself still runs)."""
    calls: list[bytes] = []
    real = bcrypt.checkpw
    lock = threading.Lock()

    def counting(password: bytes, hashed: bytes) -> bool:
        with lock:
            calls.append(bytes(hashed))
        return real(password, hashed)

    monkeypatch.setattr(bcrypt, "checkpw", counting)
    return lambda stored: sum(1 for hashed in calls if hashed == stored.encode())


def _stored_hash(database_url: str, email: str) -> str:
    """A member's stored password hash."""
    return _sql(database_url, "SELECT password_hash FROM users WHERE email = %s", email)[0][0]


def _concurrently(count: int, call) -> list[int]:
    """Run call(i) on `count` threads released at once; their status codes."""
    start = threading.Barrier(count)

    def one(i: int) -> int:
        start.wait()
        return call(i)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(one, range(count)))


def _concurrent_app(database_url: str, **overrides: str):
    """The app with room for many simultaneous requests, and bcrypt slow enough to race."""
    settings = {
        "LOGIN_MAX_FAILURES_PER_ACCOUNT": "5",
        "LOGIN_MAX_FAILURES_PER_CLIENT": "1000",
        "DB_POOL_MAX": "16",
        "DB_POOL_TIMEOUT": "30",
        "BCRYPT_ROUNDS": "8",
        **overrides,
    }
    return create_app(make_config(database_url, **settings))


def test_simultaneous_wrong_logins_check_at_most_the_limit(clean_db, checks_of):
    app = _concurrent_app(clean_db)
    Auth(app.test_client()).register("acme")
    stored = _stored_hash(clean_db, EMAIL)

    def login(i: int) -> int:
        body = {"email": EMAIL, "password": WRONG}
        return app.test_client().post("/api/auth/login", json=body).status_code

    statuses = _concurrently(40, login)

    assert checks_of(stored) == statuses.count(401) == 5
    assert statuses.count(429) == 35
    assert _failures(clean_db, "auth.login_failed") == 5
    # The window is spent: the right password now waits too.
    assert Auth(app.test_client()).login(EMAIL).status_code == 429


def test_simultaneous_wrong_logins_over_http_check_at_most_the_limit(live_server, clean_db):
    url = live_server(
        WEB_CONCURRENCY="2",
        GUNICORN_THREADS="8",
        BCRYPT_ROUNDS="8",
        LOGIN_MAX_FAILURES_PER_ACCOUNT="5",
        LOGIN_MAX_FAILURES_PER_CLIENT="1000",
    )
    registered = requests.post(
        f"{url}/api/auth/register",
        json={
            "email": EMAIL,
            "password": PASSWORD,
            "fullName": "Admin",
            "organizationName": "Acme",
            "organizationSlug": "acme",
        },
        timeout=10,
    )
    assert registered.status_code == 201

    def login(i: int) -> int:
        body = {"email": EMAIL, "password": WRONG}
        return requests.post(f"{url}/api/auth/login", json=body, timeout=30).status_code

    statuses = _concurrently(16, login) + _concurrently(16, login)

    # Every 401 is one password check, and each is audited: never more than the limit.
    assert statuses.count(401) == 5
    assert statuses.count(429) == len(statuses) - 5
    assert _failures(clean_db, "auth.login_failed") == 5
    right = requests.post(
        f"{url}/api/auth/login", json={"email": EMAIL, "password": PASSWORD}, timeout=10
    )
    assert right.status_code == 429
    assert right.json()["code"] == "login_throttled"


def test_simultaneous_wrong_current_passwords_check_at_most_the_limit(clean_db, checks_of):
    app = _concurrent_app(clean_db)
    token = Auth(app.test_client()).register("acme")["accessToken"]
    stored = _stored_hash(clean_db, EMAIL)

    def change(i: int) -> int:
        body = {"currentPassword": WRONG, "newPassword": "another-password-1"}
        response = app.test_client().post(
            "/api/auth/password", json=body, headers=Auth.header(token)
        )
        return response.status_code

    statuses = _concurrently(30, change)

    assert checks_of(stored) == statuses.count(400) == 5
    assert statuses.count(429) == 25
    assert _failures(clean_db, "auth.password_change_failed") == 5
    events = _sql(
        clean_db,
        "SELECT actor_email, client_ip FROM audit_log WHERE action = 'auth.password_change_failed'",
    )
    assert all(email == EMAIL and ip for email, ip in events)


def test_password_changes_and_logins_share_the_accounts_budget(clean_db):
    app = create_app(make_config(clean_db, LOGIN_MAX_FAILURES_PER_ACCOUNT="3"))
    client = app.test_client()
    auth = Auth(client)
    header = auth.header(auth.register("acme")["accessToken"])
    body = {"currentPassword": WRONG, "newPassword": "another-password-1"}
    assert client.post("/api/auth/password", json=body, headers=header).status_code == 400
    assert client.post("/api/auth/password", json=body, headers=header).status_code == 400
    assert auth.login(EMAIL, WRONG).status_code == 401
    blocked = client.post(
        "/api/auth/password",
        json={"currentPassword": PASSWORD, "newPassword": "another-password-1"},
        headers=header,
    )
    assert blocked.status_code == 429
    assert blocked.get_json()["code"] == "login_throttled"
    assert 1 <= int(blocked.headers["Retry-After"]) <= 15 * 60
    assert auth.login(EMAIL).status_code == 429
    # The password did not change while throttled: the old one still logs in.
    app_again = create_app(make_config(clean_db, LOGIN_MAX_FAILURES_PER_ACCOUNT="10"))
    assert Auth(app_again.test_client()).login(EMAIL).status_code == 200


def test_a_successful_check_gives_its_attempt_back(clean_db):
    app = create_app(make_config(clean_db, LOGIN_MAX_FAILURES_PER_ACCOUNT="2"))
    auth = Auth(app.test_client())
    auth.register("acme")
    # Any number of right passwords spend nothing: only wrong ones count.
    for _ in range(5):
        assert auth.login(EMAIL).status_code == 200
    assert auth.login(EMAIL, WRONG).status_code == 401
    assert auth.login(EMAIL).status_code == 200
    assert auth.login(EMAIL, WRONG).status_code == 401
    assert auth.login(EMAIL).status_code == 429
    counters = dict(_sql(clean_db, "SELECT scope, attempts FROM login_attempts"))
    assert counters == {"account": 2, "client": 2}


def test_a_refused_attempt_takes_nothing_and_the_window_starts_over(clean_db):
    app = create_app(make_config(clean_db, LOGIN_MAX_FAILURES_PER_ACCOUNT="2"))
    auth = Auth(app.test_client())
    auth.register("acme")
    for status in (401, 401, 429, 429, 429):
        assert auth.login(EMAIL, WRONG).status_code == status
    assert dict(_sql(clean_db, "SELECT scope, attempts FROM login_attempts")) == {
        "account": 2,
        "client": 2,
    }
    # Once the window has passed, the account starts over (and the old counter can go).
    _sql(
        clean_db,
        "UPDATE login_attempts SET window_start = now() - interval '16 minutes' RETURNING 1",
    )
    assert auth.login(EMAIL).status_code == 200
    assert auth.login(EMAIL, WRONG).status_code == 401
    assert dict(_sql(clean_db, "SELECT scope, attempts FROM login_attempts")) == {
        "account": 1,
        "client": 1,
    }


def test_ended_windows_are_forgotten(clean_db):
    app = create_app(make_config(clean_db))
    auth = Auth(app.test_client())
    for n in range(3):
        assert auth.login(f"guess{n}@example.com", WRONG).status_code == 401
    _sql(
        clean_db,
        "UPDATE login_attempts SET window_start = now() - interval '16 minutes' RETURNING 1",
    )
    assert auth.login("fresh@example.com", WRONG).status_code == 401
    assert sorted(_sql(clean_db, "SELECT scope, key FROM login_attempts")) == [
        ("account", "fresh@example.com"),
        ("client", "127.0.0.1"),
    ]


def test_simultaneous_right_and_wrong_logins_count_exactly_the_wrong_ones(clean_db):
    app = _concurrent_app(clean_db, LOGIN_MAX_FAILURES_PER_ACCOUNT="1000", BCRYPT_ROUNDS="4")
    Auth(app.test_client()).register("acme")

    def login(i: int) -> int:
        body = {"email": EMAIL, "password": PASSWORD if i % 2 else WRONG}
        address = {"REMOTE_ADDR": f"192.0.2.{i % 4}"}
        client = app.test_client()
        return client.post("/api/auth/login", json=body, environ_base=address).status_code

    statuses = _concurrently(40, login)

    # No deadlock between reservations, give-backs and clean-ups: every answer is an answer.
    assert sorted(set(statuses)) == [200, 401]
    counters = dict(_sql(clean_db, "SELECT key, attempts FROM login_attempts"))
    assert counters[EMAIL] == statuses.count(401) == 20
    assert sum(n for key, n in counters.items() if key != EMAIL) == 20
