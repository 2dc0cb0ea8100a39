"""Issue #15, item 6: after BCRYPT_ROUNDS changes, a login upgrades the stored hash, and
unknown e-mails and wrong passwords both spend a bcrypt check at the configured cost."""

from __future__ import annotations

import bcrypt
import psycopg2
import pytest

from refinery import create_app
from tests.conftest import PASSWORD, Auth, make_config

EMAIL = "admin@acme.example.com"


def hash_cost(password_hash: str) -> int:
    """The cost a bcrypt hash was made at: "$2b$12$..." -> 12."""
    return int(password_hash.split("$")[2])


def _stored_hash(database_url: str) -> str:
    """The registered admin's password hash."""
    conn = psycopg2.connect(database_url)
    with conn, conn.cursor() as cur:
        cur.execute("SELECT password_hash FROM users WHERE email = %s", (EMAIL,))
        stored = cur.fetchone()[0]
    conn.close()
    return stored


@pytest.fixture
def costs_checked(monkeypatch):
    """The cost of every hash bcrypt.checkpw is called with (bcrypt itself still runs)."""
    costs: list[int] = []
    real = bcrypt.checkpw

    def recording(password: bytes, hashed: bytes) -> bool:
        costs.append(hash_cost(hashed.decode()))
        return real(password, hashed)

    monkeypatch.setattr(bcrypt, "checkpw", recording)
    return costs


@pytest.fixture
def raised(clean_db):
    """An account hashed at cost 4, then the service configured with BCRYPT_ROUNDS=6."""
    Auth(create_app(make_config(clean_db, BCRYPT_ROUNDS="4")).test_client()).register("acme")
    assert hash_cost(_stored_hash(clean_db)) == 4
    return Auth(create_app(make_config(clean_db, BCRYPT_ROUNDS="6")).test_client())


def test_a_login_rehashes_at_the_configured_cost(raised, clean_db):
    old = _stored_hash(clean_db)
    assert raised.login(EMAIL).status_code == 200
    new = _stored_hash(clean_db)
    assert hash_cost(new) == 6 and new != old
    assert bcrypt.checkpw(PASSWORD.encode(), new.encode())
    # Already current: the next login leaves it alone.
    assert raised.login(EMAIL).status_code == 200
    assert _stored_hash(clean_db) == new


def test_a_lowered_cost_is_applied_too(clean_db):
    Auth(create_app(make_config(clean_db, BCRYPT_ROUNDS="6")).test_client()).register("acme")
    lowered = Auth(create_app(make_config(clean_db, BCRYPT_ROUNDS="5")).test_client())
    assert lowered.login(EMAIL).status_code == 200
    assert hash_cost(_stored_hash(clean_db)) == 5


def test_a_wrong_password_leaves_the_hash_alone(raised, clean_db):
    old = _stored_hash(clean_db)
    assert raised.login(EMAIL, "wrong password").status_code == 401
    assert _stored_hash(clean_db) == old


def test_unknown_email_spends_the_configured_cost(raised, costs_checked):
    assert raised.login("nobody@acme.example.com", "wrong password").status_code == 401
    assert costs_checked == [6]


def test_wrong_password_on_an_old_hash_spends_the_configured_cost(raised, costs_checked):
    assert raised.login(EMAIL, "wrong password").status_code == 401
    assert 6 in costs_checked and sorted(costs_checked) == [4, 6]


@pytest.mark.parametrize("password", ["wrong password", "x" * 73])
def test_every_failed_check_spends_at_least_the_configured_cost(raised, costs_checked, password):
    unknown = raised.login("nobody@acme.example.com", password)
    known = raised.login(EMAIL, password)
    assert unknown.status_code == known.status_code == 401
    assert max(costs_checked) == 6 and costs_checked.count(6) == 2


def test_a_wrong_current_password_on_an_old_hash_spends_the_configured_cost(
    raised, costs_checked, clean_db
):
    token = raised.login(EMAIL).get_json()["accessToken"]  # rehashes at 6
    costs_checked.clear()
    body = {"currentPassword": "wrong password", "newPassword": "another-password-1"}
    response = raised.client.post("/api/auth/password", json=body, headers=Auth.header(token))
    assert response.status_code == 400
    assert costs_checked == [6]


def test_a_rehash_never_overwrites_a_password_changed_meanwhile(raised, clean_db):
    from refinery import db
    from refinery.passwords import hash_password
    from refinery.queries import users

    old = _stored_hash(clean_db)
    changed = hash_password("changed-password-1", 4)
    with raised.client.application.app_context():
        with db.reading(None) as conn:
            found = users.find_login(conn, EMAIL)
        with db.transaction(str(found["organization_id"])) as conn:
            users.set_password(conn, str(found["id"]), changed)  # a password change wins
            users.rehash_password(conn, str(found["id"]), old, hash_password(PASSWORD, 6))
    assert _stored_hash(clean_db) == changed
