"""POST /api/optimize with the local engine, the quota, and the history endpoints."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import jwt
import psycopg2
import pytest

from refinery import create_app, db
from refinery.engine.tokens import count_tokens
from tests.conftest import JWT_SECRET, Auth, make_config

PROMPT = (
    "Could you please write a short summary of the report at https://example.com/q3?id=7 "
    "for {audience}? I would really appreciate it. Do not mention revenue. Keep it under "
    "120 words. Thank you so much!"
)


def _set_limit(database_url: str, slug: str, limit: int, used: int = 0, months_ago: int = 0):
    """Set an organization's monthly limit and counter directly in the database."""
    conn = psycopg2.connect(database_url)
    with conn, conn.cursor() as cur:
        cur.execute(
            """
            UPDATE subscriptions SET monthly_limit = %s, used_requests = %s,
                period_start = date_trunc('month', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
                               - make_interval(months => %s)
            WHERE organization_id = (SELECT id FROM organizations WHERE slug = %s)
            """,
            (limit, used, months_ago, slug),
        )
    conn.close()


def _count_rows(database_url: str, sql: str, *params) -> int:
    conn = psycopg2.connect(database_url)
    with conn, conn.cursor() as cur:
        cur.execute(sql, params)
        value = cur.fetchone()[0]
    conn.close()
    return value


@pytest.fixture
def member(auth):
    """An organization 'acme' and its admin's auth header."""
    body = auth.register("acme")
    return auth.header(body["accessToken"])


def test_local_optimize_returns_the_documented_body(client, member):
    response = client.post(
        "/api/optimize",
        json={"text": PROMPT, "strategy": "gpt", "compressionLevel": "HIGH"},
        headers=member,
    )
    assert response.status_code == 200
    body = response.get_json()
    assert body["provider"] == "local"
    assert body["strategy"] == "GPT"
    assert body["compressionLevel"] == "high"
    assert body["outputFormat"] == "default"
    assert body["tokenizer"] == "o200k_base"
    assert body["originalTokens"] == count_tokens(PROMPT)
    assert body["refinedTokens"] == count_tokens(body["refinedText"])
    assert body["tokensSaved"] == body["originalTokens"] - body["refinedTokens"] > 0
    expected = round(100 * body["tokensSaved"] / body["originalTokens"], 2)
    assert body["savingsPercentage"] == expected
    for kept in ("https://example.com/q3?id=7", "{audience}", "120", "not"):
        assert kept in body["refinedText"]
    assert all(set(s) == {"text", "reason"} for s in body["removedSegments"])
    assert body["usage"]["used"] == 1 and body["usage"]["limit"] == 1000
    assert response.headers["X-RateLimit-Limit"] == "1000"
    assert response.headers["X-RateLimit-Remaining"] == "999"
    reset = datetime.fromtimestamp(int(response.headers["X-RateLimit-Reset"]), UTC)
    assert reset.day == 1 and reset > datetime.now(UTC)
    uuid.UUID(body["id"])


def test_optimize_is_recorded_in_history(client, member):
    created = client.post("/api/optimize", json={"text": PROMPT}, headers=member).get_json()
    detail = client.get(f"/api/optimize/history/{created['id']}", headers=member)
    assert detail.status_code == 200
    record = detail.get_json()
    assert record["originalText"] == PROMPT
    assert record["refinedText"] == created["refinedText"]
    assert record["removedSegments"] == created["removedSegments"]
    assert record["status"] == "completed"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "text"),
        ({"text": ""}, "text"),
        ({"text": "   \n\t "}, "text"),
        ({"text": 12}, "text"),
        ({"text": "a\x00b"}, "text"),
        ({"text": "lone \ud800 surrogate"}, "text"),
        ({"text": "ok", "provider": "mistral"}, "provider"),
        ({"text": "ok", "strategy": "poetic"}, "strategy"),
        ({"text": "ok", "compressionLevel": "extreme"}, "compressionLevel"),
        ({"text": "ok", "outputFormat": "yaml"}, "outputFormat"),
        ({"text": "ok", "model": "bad model id!"}, "model"),
        ({"text": "ok", "provider": 3}, "provider"),
    ],
)
def test_bad_optimize_input_is_400_and_not_charged(client, member, body, field, clean_db):
    # json.dumps escapes the lone surrogate as \ud800, as a real client would send it.
    response = client.post(
        "/api/optimize",
        data=json.dumps(body),
        headers={**member, "Content-Type": "application/json"},
    )
    assert response.status_code == 400, response.get_json()
    data = response.get_json()
    assert data["code"] == "validation_error"
    assert [d["field"] for d in data["details"]] == [field]
    if field in ("provider", "strategy", "compressionLevel", "outputFormat"):
        assert "must be one of" in data["details"][0]["message"]
    assert _count_rows(clean_db, "SELECT count(*) FROM optimizations") == 0
    assert _count_rows(clean_db, "SELECT sum(used_requests) FROM subscriptions") == 0


def test_text_over_the_limit_is_413(clean_db):
    app = create_app(make_config(clean_db, MAX_TEXT_CHARS="50"))
    client = app.test_client()
    header = Auth.header(Auth(client).register("acme")["accessToken"])
    response = client.post("/api/optimize", json={"text": "x" * 51}, headers=header)
    assert response.status_code == 413
    assert response.get_json()["code"] == "text_too_long"
    ok = client.post("/api/optimize", json={"text": "word " * 10}, headers=header)
    assert ok.status_code == 200


def test_optimize_requires_authentication(client):
    response = client.post("/api/optimize", json={"text": PROMPT})
    assert response.status_code == 401
    assert response.get_json()["code"] == "unauthorized"


def test_quota_refuses_past_the_limit_with_429(client, member, clean_db):
    _set_limit(clean_db, "acme", limit=2)
    for used in (1, 2):
        response = client.post("/api/optimize", json={"text": PROMPT}, headers=member)
        assert response.status_code == 200
        assert response.get_json()["usage"]["used"] == used
    refused = client.post("/api/optimize", json={"text": PROMPT}, headers=member)
    assert refused.status_code == 429
    body = refused.get_json()
    assert body["code"] == "quota_exceeded"
    assert body["remaining"] == 0
    assert body["resetAt"].endswith("-01T00:00:00Z")
    assert int(refused.headers["Retry-After"]) > 0
    assert refused.headers["X-RateLimit-Remaining"] == "0"
    assert _count_rows(clean_db, "SELECT count(*) FROM optimizations") == 2


def test_month_roll_over_resets_the_count(client, member, clean_db):
    _set_limit(clean_db, "acme", limit=5, used=5, months_ago=1)
    me = client.get("/api/auth/me", headers=member).get_json()
    assert me["subscription"]["used"] == 0
    response = client.post("/api/optimize", json={"text": PROMPT}, headers=member)
    assert response.status_code == 200
    assert response.get_json()["usage"]["used"] == 1


def _optimize_n(client, header, n, **extra):
    ids = []
    for i in range(n):
        body = {
            "text": f"Please list {i + 1} ideas for a team offsite. Do not repeat any.",
            **extra,
        }
        response = client.post("/api/optimize", json=body, headers=header)
        assert response.status_code == 200
        ids.append(response.get_json()["id"])
    return ids


def test_history_pages_newest_first_with_offset_and_cursor(client, member):
    ids = _optimize_n(client, member, 7)
    first = client.get("/api/optimize/history?limit=3", headers=member).get_json()
    assert [r["id"] for r in first["data"]] == ids[::-1][:3]
    assert first["hasMore"] is True and first["limit"] == 3 and first["offset"] == 0
    assert "originalText" not in first["data"][0]

    second = client.get(
        f"/api/optimize/history?limit=3&cursor={first['nextCursor']}", headers=member
    ).get_json()
    assert [r["id"] for r in second["data"]] == ids[::-1][3:6]
    third = client.get(
        f"/api/optimize/history?limit=3&cursor={second['nextCursor']}", headers=member
    ).get_json()
    assert [r["id"] for r in third["data"]] == ids[::-1][6:]
    assert third["hasMore"] is False and third["nextCursor"] is None

    by_offset = client.get("/api/optimize/history?limit=3&offset=3", headers=member).get_json()
    assert [r["id"] for r in by_offset["data"]] == ids[::-1][3:6]


def test_history_limit_is_clamped_and_checked(client, member):
    _optimize_n(client, member, 2)
    assert client.get("/api/optimize/history?limit=0", headers=member).get_json()["limit"] == 1
    assert client.get("/api/optimize/history?limit=500", headers=member).get_json()["limit"] == 100
    default = client.get("/api/optimize/history", headers=member).get_json()
    assert default["limit"] == 20 and len(default["data"]) == 2
    bad = client.get("/api/optimize/history?limit=ten", headers=member)
    assert bad.status_code == 400
    assert bad.get_json()["details"][0]["field"] == "limit"
    for query in ("cursor=garbage!", "status=lost", "from=yesterday", "provider=x"):
        response = client.get(f"/api/optimize/history?{query}", headers=member)
        assert response.status_code == 400, query
        assert response.get_json()["details"][0]["field"] == query.split("=")[0]


def test_history_filters(client, member):
    _optimize_n(client, member, 2, strategy="LEGAL")
    _optimize_n(client, member, 3)
    legal = client.get("/api/optimize/history?strategy=legal", headers=member).get_json()
    assert len(legal["data"]) == 2
    assert {r["strategy"] for r in legal["data"]} == {"LEGAL"}
    local = client.get("/api/optimize/history?provider=local&status=completed", headers=member)
    assert len(local.get_json()["data"]) == 5
    assert (
        client.get("/api/optimize/history?provider=openai", headers=member).get_json()["data"] == []
    )
    today = datetime.now(UTC).date().isoformat()
    assert (
        len(
            client.get(f"/api/optimize/history?from={today}&to={today}", headers=member).get_json()[
                "data"
            ]
        )
        == 5
    )
    assert (
        client.get("/api/optimize/history?to=2000-01-01", headers=member).get_json()["data"] == []
    )


def test_delete_erases_one_record(client, member):
    first, second = _optimize_n(client, member, 2)
    assert client.delete(f"/api/optimize/history/{first}", headers=member).status_code == 204
    assert client.get(f"/api/optimize/history/{first}", headers=member).status_code == 404
    assert client.delete(f"/api/optimize/history/{first}", headers=member).status_code == 404
    remaining = client.get("/api/optimize/history", headers=member).get_json()["data"]
    assert [r["id"] for r in remaining] == [second]


def test_another_organizations_history_is_invisible(client, auth):
    a = auth.header(auth.register("org-a")["accessToken"])
    b = auth.header(auth.register("org-b")["accessToken"])
    (a_id,) = _optimize_n(client, a, 1)
    assert client.get("/api/optimize/history", headers=b).get_json()["data"] == []
    assert client.get(f"/api/optimize/history/{a_id}", headers=b).status_code == 404
    assert client.delete(f"/api/optimize/history/{a_id}", headers=b).status_code == 404
    # Still there for its owner.
    assert client.get(f"/api/optimize/history/{a_id}", headers=a).status_code == 200


@pytest.mark.parametrize("raw_id", ["not-a-uuid", "1", "00000000-0000-0000-0000-000000000000"])
def test_malformed_or_unknown_ids_are_404(client, member, raw_id):
    assert client.get(f"/api/optimize/history/{raw_id}", headers=member).status_code == 404
    assert client.delete(f"/api/optimize/history/{raw_id}", headers=member).status_code == 404


def test_a_logged_out_token_neither_optimizes_nor_reads(client, auth, clean_db):
    # The session check rides in front of each route's statement: it must still stop
    # everything, charge nothing and store nothing, and answer 401 before any other error.
    registered = auth.register("acme")
    headers = auth.header(registered["accessToken"])
    assert client.post("/api/optimize", json={"text": PROMPT}, headers=headers).status_code == 200
    assert client.post("/api/auth/logout", headers=headers).status_code == 204

    for response in (
        client.post("/api/optimize", json={"text": PROMPT}, headers=headers),
        client.post("/api/optimize", json={"text": " "}, headers=headers),
        client.get("/api/optimize/history", headers=headers),
        client.get("/api/optimize/history?limit=oops", headers=headers),
        client.get(f"/api/optimize/history/{uuid.uuid4()}", headers=headers),
        client.get("/api/optimize/history/not-an-id", headers=headers),
        client.delete(f"/api/optimize/history/{uuid.uuid4()}", headers=headers),
        client.get("/api/usage", headers=headers),
    ):
        assert response.status_code == 401, response.get_json()
        assert response.get_json()["code"] == "token_revoked"
    assert _count_rows(clean_db, "SELECT count(*) FROM optimizations") == 1
    assert _count_rows(clean_db, "SELECT sum(used_requests) FROM subscriptions") == 1


def test_a_live_token_of_another_member_session_is_refused(client, auth):
    # A token naming a session that is not its member's is refused on the folded path too.
    first = auth.register("acme")
    second = auth.register("other")
    claims = jwt.decode(first["accessToken"], JWT_SECRET, algorithms=["HS256"])
    other = jwt.decode(second["accessToken"], JWT_SECRET, algorithms=["HS256"])
    forged = jwt.encode({**claims, "sid": other["sid"]}, JWT_SECRET, algorithm="HS256")
    response = client.get("/api/optimize/history", headers=auth.header(forged))
    assert response.status_code == 401
    assert response.get_json()["code"] == "token_revoked"


@pytest.mark.parametrize("lose", ["server_side", "client_side"])
def test_optimize_falls_back_when_prepared_statements_do_not_last(
    app, client, auth, clean_db, monkeypatch, lose
):
    # Behind a pooler in transaction mode a PREPAREd statement is missing at EXECUTE, or
    # already there at PREPARE: the request still succeeds, once, with the plain statement.
    monkeypatch.setitem(db._prepared_statements, "enabled", True)
    headers = auth.header(auth.register("acme")["accessToken"])
    assert client.post("/api/optimize", json={"text": PROMPT}, headers=headers).status_code == 200
    with app.app_context():
        for conn in db.get_pool()._idle:
            if lose == "server_side":
                with conn.cursor() as cur:
                    cur.execute("DEALLOCATE ALL")
            else:
                conn.prepared.clear()
    for used in (2, 3):
        response = client.post("/api/optimize", json={"text": PROMPT}, headers=headers)
        assert response.status_code == 200
        assert response.get_json()["usage"]["used"] == used
    assert db._prepared_statements["enabled"] is False
    assert _count_rows(clean_db, "SELECT count(*) FROM optimizations") == 3
