"""Issue #15, item 8: members join by invitation. An admin learns nothing about addresses
and claims none; the invitee sets their own password; tokens are hashed, expire, are
single-use, revocable, audited and invisible to other organizations."""

from __future__ import annotations

import hashlib
import threading
from concurrent.futures import ThreadPoolExecutor

import psycopg2
import pytest

from refinery import create_app
from tests.conftest import PASSWORD, Auth, make_config

INVITEE = "lin@elsewhere.example.com"


@pytest.fixture
def orgs(client, auth):
    """Org A's admin and org B's admin, as headers."""
    a = auth.header(auth.register("org-a")["accessToken"])
    b = auth.header(auth.register("org-b")["accessToken"])
    return {"a": a, "b": b}


def _sql(database_url: str, statement: str, *params):
    """One statement as the schema owner; its rows."""
    conn = psycopg2.connect(database_url)
    with conn, conn.cursor() as cur:
        cur.execute(statement, params)
        rows = cur.fetchall() if cur.description else None
    conn.close()
    return rows


def _invite(client, header: dict, email: str = INVITEE, **extra):
    """POST /api/invitations; the response."""
    return client.post("/api/invitations", json={"email": email, **extra}, headers=header)


def _accept(client, token: str, password: str = PASSWORD, full_name: str = "Lin Chen"):
    """POST /api/invitations/accept; the response."""
    body = {"token": token, "password": password, "fullName": full_name}
    return client.post("/api/invitations/accept", json=body)


def _shape(response) -> tuple:
    """What an answer tells about the address: status, keys, status field, role, email."""
    body = response.get_json()
    return response.status_code, tuple(sorted(body)), body["status"], body["role"], body["email"]


def test_the_answer_is_the_same_whoever_has_the_address(client, orgs, auth):
    auth.add_member(orgs["b"], "taken@elsewhere.example.com")
    answers = [
        _invite(client, orgs["a"], "free@elsewhere.example.com"),
        _invite(client, orgs["a"], "taken@elsewhere.example.com"),  # in another organization
        _invite(client, orgs["a"], "TAKEN@elsewhere.example.com"),
        _invite(client, orgs["a"], "admin@org-b.example.com"),
        _invite(client, orgs["a"], "admin@org-a.example.com"),  # even its own admin
    ]
    shapes = {_shape(r)[:4] for r in answers}
    assert shapes == {
        (
            201,
            tuple(
                sorted(
                    [
                        "id",
                        "email",
                        "role",
                        "status",
                        "invitedBy",
                        "acceptedUserId",
                        "createdAt",
                        "expiresAt",
                        "acceptedAt",
                        "revokedAt",
                        "token",
                    ]
                )
            ),
            "pending",
            "user",
        )
    }
    assert len({r.get_json()["token"] for r in answers}) == len(answers)


def test_an_invited_address_belongs_to_nobody_until_accepted(client, orgs, auth):
    token = _invite(client, orgs["a"]).get_json()["token"]
    # Not a member yet: it cannot log in, and its real owner can still sign up elsewhere.
    assert auth.login(INVITEE).status_code == 401
    members = client.get("/api/users", headers=orgs["a"]).get_json()["data"]
    assert INVITEE not in {m["email"] for m in members}
    auth.register("owner-org", email=INVITEE)
    # Accepting now is a clear 409, and the invitation stays pending (revocable).
    taken = _accept(client, token)
    assert taken.status_code == 409
    assert taken.get_json()["code"] == "email_taken"
    listed = client.get("/api/invitations", headers=orgs["a"]).get_json()["data"]
    assert [i["status"] for i in listed] == ["pending"]


def test_the_invitee_sets_their_password_and_is_logged_in(client, orgs, auth):
    created = _invite(client, orgs["a"], role="admin").get_json()
    accepted = _accept(client, created["token"], password="lins-own-password-9")
    assert accepted.status_code == 201
    body = accepted.get_json()
    assert body["user"]["email"] == INVITEE and body["user"]["role"] == "admin"
    assert body["user"]["fullName"] == "Lin Chen"
    assert body["organization"]["slug"] == "org-a"
    assert client.get("/api/auth/me", headers=auth.header(body["accessToken"])).status_code == 200
    assert auth.login(INVITEE, "lins-own-password-9").status_code == 200
    (listed,) = client.get("/api/invitations", headers=orgs["a"]).get_json()["data"]
    assert listed["status"] == "accepted" and listed["acceptedUserId"] == body["user"]["id"]
    assert listed["acceptedAt"] is not None and "token" not in listed


def test_a_token_is_single_use_even_when_sent_twice_at_once(clean_db):
    app = create_app(make_config(clean_db, DB_POOL_MAX="8"))
    auth = Auth(app.test_client())
    admin = auth.header(auth.register("org-a")["accessToken"])
    token = _invite(auth.client, admin).get_json()["token"]
    start = threading.Barrier(6)

    def accept(i: int) -> int:
        start.wait()
        return _accept(app.test_client(), token, full_name=f"Lin {i}").status_code

    with ThreadPoolExecutor(max_workers=6) as pool:
        statuses = list(pool.map(accept, range(6)))
    assert statuses.count(201) == 1
    assert statuses.count(404) == 5
    assert _accept(auth.client, token).get_json()["code"] == "invitation_invalid"
    assert _sql(clean_db, "SELECT count(*) FROM users WHERE email = %s", INVITEE)[0][0] == 1


def test_only_the_tokens_hash_is_stored(client, orgs, clean_db):
    token = _invite(client, orgs["a"]).get_json()["token"]
    ((stored,),) = _sql(clean_db, "SELECT token_hash FROM invitations")
    assert stored == hashlib.sha256(token.encode()).hexdigest()
    dump = str(_sql(clean_db, "SELECT * FROM invitations")) + str(
        _sql(clean_db, "SELECT * FROM audit_log")
    )
    assert token not in dump


def test_expired_and_revoked_invitations_cannot_be_accepted(client, orgs, clean_db):
    expired = _invite(client, orgs["a"], "old@elsewhere.example.com").get_json()
    revoked = _invite(client, orgs["a"], "gone@elsewhere.example.com").get_json()
    _sql(
        clean_db,
        "UPDATE invitations SET expires_at = now() - interval '1 second' WHERE id = %s",
        expired["id"],
    )
    assert client.delete(f"/api/invitations/{revoked['id']}", headers=orgs["a"]).status_code == 204
    for token in (expired["token"], revoked["token"], "rfi_" + "x" * 43, "nonsense"):
        response = _accept(client, token)
        assert response.status_code == 404
        assert response.get_json()["code"] == "invitation_invalid"
    statuses = {
        i["email"]: i["status"]
        for i in client.get("/api/invitations", headers=orgs["a"]).get_json()["data"]
    }
    assert statuses == {
        "old@elsewhere.example.com": "expired",
        "gone@elsewhere.example.com": "revoked",
    }
    # Only a pending invitation can be revoked.
    for invitation in (expired, revoked):
        again = client.delete(f"/api/invitations/{invitation['id']}", headers=orgs["a"])
        assert again.status_code == 409
        assert again.get_json()["code"] == "invitation_not_pending"


def test_invitations_expire_after_seven_days(client, orgs, clean_db):
    created = _invite(client, orgs["a"]).get_json()
    ((days,),) = _sql(
        clean_db,
        "SELECT extract(epoch FROM expires_at - created_at) / 86400 FROM invitations",
    )
    assert round(days, 3) == 7
    assert created["expiresAt"] > created["createdAt"]


def test_another_organizations_invitations_are_invisible(client, orgs, auth):
    mine = _invite(client, orgs["a"]).get_json()
    assert client.get("/api/invitations", headers=orgs["b"]).get_json() == {"data": []}
    refused = client.delete(f"/api/invitations/{mine['id']}", headers=orgs["b"])
    assert refused.status_code == 404
    assert refused.get_json()["code"] == "not_found"
    # Still pending, and accepting makes a member of org A, not of the other admin's.
    body = _accept(client, mine["token"]).get_json()
    assert body["organization"]["slug"] == "org-a"
    members_b = client.get("/api/users", headers=orgs["b"]).get_json()["data"]
    assert INVITEE not in {m["email"] for m in members_b}


def test_only_admins_invite_list_and_revoke(client, orgs, auth):
    member = auth.header(auth.add_member(orgs["a"], "m@org-a.example.com")["accessToken"])
    key = client.post("/api/keys", json={"name": "k"}, headers=orgs["a"]).get_json()["key"]
    pending = _invite(client, orgs["a"]).get_json()
    for header in (member, {"X-API-Key": key}, {}):
        assert _invite(client, header).status_code in (401, 403)
        assert client.get("/api/invitations", headers=header).status_code in (401, 403)
        gone = client.delete(f"/api/invitations/{pending['id']}", headers=header)
        assert gone.status_code in (401, 403)


def test_post_api_users_is_gone_with_a_clear_error(client, orgs):
    old_client = client.post(
        "/api/users",
        json={"email": INVITEE, "fullName": "Lin", "password": PASSWORD},
        headers=orgs["a"],
    )
    assert old_client.status_code == 410
    body = old_client.get_json()
    assert body["code"] == "invitation_required" and "/api/invitations" in body["error"]
    # Nothing was claimed: the address is still free everywhere.
    assert Auth(client).register("owner-org", email=INVITEE)["user"]["email"] == INVITEE


def test_invitations_are_audited_without_their_token(client, orgs):
    created = _invite(client, orgs["a"]).get_json()
    second = _invite(client, orgs["a"], "sam@elsewhere.example.com").get_json()
    client.delete(f"/api/invitations/{second['id']}", headers=orgs["a"])
    accepted = _accept(client, created["token"]).get_json()
    events = client.get("/api/audit?limit=100", headers=orgs["a"]).get_json()["data"]
    by_action = {e["action"]: e for e in events}
    assert by_action["invitation.created"]["targetId"] in {created["id"], second["id"]}
    assert by_action["invitation.created"]["actorEmail"] == "admin@org-a.example.com"
    assert by_action["invitation.revoked"]["targetId"] == second["id"]
    joined = by_action["invitation.accepted"]
    assert joined["targetId"] == created["id"]
    assert joined["actorUserId"] == accepted["user"]["id"] and joined["actorEmail"] == INVITEE
    assert created["token"] not in str(events) and second["token"] not in str(events)
    other = client.get("/api/audit?limit=100", headers=orgs["b"]).get_json()["data"]
    assert not [e for e in other if e["action"].startswith("invitation.")]


def test_row_level_security_keeps_invitations_to_their_organization(client, orgs, clean_db):
    import psycopg2.extras

    _invite(client, orgs["a"])
    _invite(client, orgs["b"], "other@elsewhere.example.com")
    conn = psycopg2.connect(
        make_config(clean_db).app_database_url, cursor_factory=psycopg2.extras.RealDictCursor
    )
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("SELECT count(*) AS n FROM invitations")
        assert cur.fetchone()["n"] == 0  # no organization set: nothing
        cur.execute(
            "SELECT set_config('app.current_org', "
            "(SELECT organization_id::text FROM refinery_login_lookup('admin@org-a.example.com')),"
            " false)"
        )
        cur.execute("SELECT email FROM invitations")
        assert cur.fetchall() == [{"email": INVITEE}]
    conn.close()
