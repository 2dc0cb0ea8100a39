"""The batch API: create (validated whole, quota reserved whole), read, results, cancel."""

from __future__ import annotations

import json

import psycopg2
import pytest

from refinery.worker import Worker
from tests.conftest import Auth

PROMPT = "Please could you kindly write a short summary of the following text for me."


def _items(count: int, **extra) -> list[dict]:
    return [
        {"customId": f"item-{n}", "text": f"{PROMPT} Number {n}.", **extra} for n in range(count)
    ]


def _sql(database_url: str, statement: str, *params):
    conn = psycopg2.connect(database_url)
    try:
        with conn, conn.cursor() as cur:
            cur.execute(statement, params)
            return cur.fetchall() if cur.description else None
    finally:
        conn.close()


def _set_limit(database_url: str, organization_id: str, limit: int) -> None:
    _sql(
        database_url,
        "UPDATE subscriptions SET monthly_limit = %s WHERE organization_id = %s",
        limit,
        organization_id,
    )


def quota_invariant(database_url: str, organization_id: str) -> tuple[int, int]:
    """(used_requests, completed history rows + reserved items still queued or running)."""
    ((used, counted),) = _sql(
        database_url,
        """
        SELECT s.used_requests,
               (SELECT count(*) FROM optimizations AS o
                WHERE o.organization_id = s.organization_id AND o.status = 'completed'
                  AND o.created_at >= s.period_start)
             + (SELECT count(*) FROM batch_items AS i
                JOIN batch_jobs AS b ON b.id = i.batch_job_id
                WHERE i.organization_id = s.organization_id
                  AND b.period_start = s.period_start
                  AND i.status IN ('queued', 'running'))
        FROM subscriptions AS s
        WHERE s.organization_id = %s
        """,
        organization_id,
    )
    return used, counted


@pytest.fixture
def admin(auth):
    body = auth.register("batchco")
    return {"header": Auth.header(body["accessToken"]), "org": body["organization"]["id"]}


def _drain(app) -> None:
    """Process every claimable item with the real worker code, in this process."""
    worker = Worker(app.config["REFINERY"])
    with app.app_context():
        while worker.run_once():
            pass


def _results(client, batch_id: str, header: dict, after: int | None = None) -> list[dict]:
    query = "" if after is None else f"?after={after}"
    response = client.get(f"/api/batches/{batch_id}/results{query}", headers=header)
    assert response.status_code == 200
    assert response.mimetype == "application/x-ndjson"
    return [json.loads(line) for line in response.get_data(as_text=True).splitlines()]


def test_a_batch_is_created_processed_and_its_results_read(app, client, admin, clean_db):
    response = client.post(
        "/api/batches",
        json={"items": _items(5), "compressionLevel": "high"},
        headers=admin["header"],
    )
    assert response.status_code == 202, response.get_json()
    batch = response.get_json()
    assert batch["status"] == "in_progress"
    assert batch["counts"] == {
        "total": 5,
        "queued": 5,
        "running": 0,
        "completed": 0,
        "failed": 0,
        "cancelled": 0,
        "expired": 0,
    }
    assert response.headers["Location"] == f"/api/batches/{batch['id']}"
    # Reserved at creation: the usage counts the five before any runs.
    assert quota_invariant(clean_db, admin["org"]) == (5, 5)

    _drain(app)

    done = client.get(f"/api/batches/{batch['id']}", headers=admin["header"]).get_json()
    assert done["status"] == "completed"
    assert done["counts"]["completed"] == 5
    assert done["finishedAt"] is not None
    lines = _results(client, batch["id"], admin["header"])
    assert [line["customId"] for line in lines] == [f"item-{n}" for n in range(5)]
    assert all(line["status"] == "completed" for line in lines)
    assert all(line["result"]["compressionLevel"] == "high" for line in lines)
    assert lines[0]["result"]["tokensSaved"] > 0
    # Resumable: after position 2, the rest.
    assert [line["position"] for line in _results(client, batch["id"], admin["header"], 2)] == [
        3,
        4,
    ]
    # Each item is a history row linked to its batch; used = counted rows.
    rows = _sql(
        clean_db,
        "SELECT count(*), count(DISTINCT batch_item_id) FROM optimizations WHERE batch_id = %s",
        batch["id"],
    )
    assert rows == [(5, 5)]
    assert quota_invariant(clean_db, admin["org"]) == (5, 5)


def test_ndjson_body_with_defaults_in_the_query_string(app, client, admin):
    body = "\n".join(json.dumps(item) for item in _items(3)) + "\n"
    response = client.post(
        "/api/batches?strategy=CLAUDE",
        data=body,
        headers={**admin["header"], "Content-Type": "application/x-ndjson"},
    )
    assert response.status_code == 202, response.get_json()
    _drain(app)
    lines = _results(client, response.get_json()["id"], admin["header"])
    assert [line["result"]["strategy"] for line in lines] == ["CLAUDE"] * 3


def test_one_invalid_item_refuses_the_whole_batch_naming_each(client, admin, clean_db):
    items = _items(4)
    items[1]["text"] = "   "
    items[2]["strategy"] = "NOPE"
    items[3]["customId"] = "item-0"
    response = client.post("/api/batches", json={"items": items}, headers=admin["header"])
    assert response.status_code == 400
    body = response.get_json()
    assert body["code"] == "validation_error"
    assert {(d["index"], d["field"]) for d in body["details"]} == {
        (1, "text"),
        (2, "strategy"),
        (3, "customId"),
    }
    assert _sql(clean_db, "SELECT count(*) FROM batch_jobs") == [(0,)]
    assert quota_invariant(clean_db, admin["org"]) == (0, 0)


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"items": []},
        {"items": "x"},
        {"items": [{"text": "no id"}]},
        {"items": [1, 2]},
        {"items": [{"customId": "a", "text": "t"}], "provider": "nope"},
    ],
)
def test_bad_bodies_are_400(client, admin, body):
    response = client.post("/api/batches", json=body, headers=admin["header"])
    assert response.status_code == 400
    assert response.get_json()["code"] == "validation_error"


def test_more_than_ten_thousand_items_is_refused(client, admin):
    items = [{"customId": str(n), "text": "x"} for n in range(10_001)]
    response = client.post("/api/batches", json={"items": items}, headers=admin["header"])
    assert response.status_code == 400
    assert response.get_json()["details"][0]["field"] == "items"


def test_bad_ndjson_line_is_400(client, admin):
    response = client.post(
        "/api/batches",
        data='{"customId": "a", "text": "x"}\n{not json\n',
        headers={**admin["header"], "Content-Type": "application/x-ndjson"},
    )
    assert response.status_code == 400
    assert response.get_json()["code"] == "invalid_json"


def test_a_batch_the_quota_cannot_hold_is_refused_whole(client, admin, clean_db):
    _set_limit(clean_db, admin["org"], 10)
    assert (
        client.post("/api/optimize", json={"text": PROMPT}, headers=admin["header"]).status_code
        == 200
    )
    response = client.post("/api/batches", json={"items": _items(10)}, headers=admin["header"])
    assert response.status_code == 429
    body = response.get_json()
    assert body["code"] == "quota_exceeded"
    assert body["remaining"] == 9
    assert body["requested"] == 10
    assert _sql(clean_db, "SELECT count(*) FROM batch_items") == [(0,)]
    exact = client.post("/api/batches", json={"items": _items(9)}, headers=admin["header"])
    assert exact.status_code == 202
    assert quota_invariant(clean_db, admin["org"]) == (10, 10)


def test_cancel_refunds_the_queued_items(app, client, admin, clean_db):
    created = client.post("/api/batches", json={"items": _items(30)}, headers=admin["header"])
    batch_id = created.get_json()["id"]
    worker = Worker(app.config["REFINERY"])
    with app.app_context():
        assert worker.run_once()  # one chunk of WORKER_CHUNK_SIZE (10) done
    response = client.post(f"/api/batches/{batch_id}/cancel", headers=admin["header"])
    assert response.status_code == 200
    batch = response.get_json()
    assert batch["status"] == "cancelled"
    assert batch["counts"]["completed"] == 10
    assert batch["counts"]["cancelled"] == 20
    assert batch["cancelledAt"] is not None
    assert quota_invariant(clean_db, admin["org"]) == (10, 10)
    again = client.post(f"/api/batches/{batch_id}/cancel", headers=admin["header"])
    assert again.status_code == 200
    lines = _results(client, batch_id, admin["header"])
    assert lines[-1]["error"]["code"] == "item_cancelled"


def test_a_finished_batch_cannot_be_cancelled(app, client, admin):
    created = client.post("/api/batches", json={"items": _items(2)}, headers=admin["header"])
    _drain(app)
    response = client.post(
        f"/api/batches/{created.get_json()['id']}/cancel", headers=admin["header"]
    )
    assert response.status_code == 409
    assert response.get_json()["code"] == "batch_not_cancellable"


def test_expired_batches_refund_their_queued_items(app, client, admin, clean_db):
    created = client.post("/api/batches", json={"items": _items(4)}, headers=admin["header"])
    batch_id = created.get_json()["id"]
    _sql(clean_db, "UPDATE batch_jobs SET expires_at = now() - interval '1 minute'")
    worker = Worker(app.config["REFINERY"])
    with app.app_context():
        assert not worker.run_once()  # nothing claimable past the expiry
        worker._sweep_expired()
    batch = client.get(f"/api/batches/{batch_id}", headers=admin["header"]).get_json()
    assert batch["status"] == "expired"
    assert batch["counts"]["expired"] == 4
    assert quota_invariant(clean_db, admin["org"]) == (0, 0)


def test_list_pages_with_a_cursor_and_filter(client, admin):
    ids = []
    for _ in range(3):
        created = client.post("/api/batches", json={"items": _items(1)}, headers=admin["header"])
        ids.append(created.get_json()["id"])
    first = client.get("/api/batches?limit=2", headers=admin["header"]).get_json()
    assert [b["id"] for b in first["data"]] == ids[::-1][:2]
    assert first["hasMore"] is True
    second = client.get(
        f"/api/batches?limit=2&cursor={first['nextCursor']}", headers=admin["header"]
    ).get_json()
    assert [b["id"] for b in second["data"]] == [ids[0]]
    none = client.get("/api/batches?status=completed", headers=admin["header"]).get_json()
    assert none["data"] == []


def test_api_keys_may_use_batches(app, client, admin):
    key = client.post("/api/keys", json={"name": "ci"}, headers=admin["header"]).get_json()
    header = {"X-API-Key": key["key"]}
    created = client.post("/api/batches", json={"items": _items(2)}, headers=header)
    assert created.status_code == 202
    assert created.get_json()["apiKeyId"] == key["id"]
    _drain(app)
    lines = _results(client, created.get_json()["id"], header)
    assert all(line["result"]["id"] for line in lines)


def test_another_organizations_batch_and_results_are_404(app, client, auth, admin):
    created = client.post("/api/batches", json={"items": _items(2)}, headers=admin["header"])
    batch_id = created.get_json()["id"]
    _drain(app)
    other = Auth.header(auth.register("intruder")["accessToken"])
    for path in (f"/api/batches/{batch_id}", f"/api/batches/{batch_id}/results"):
        assert client.get(path, headers=other).status_code == 404
    assert client.post(f"/api/batches/{batch_id}/cancel", headers=other).status_code == 404
    assert client.get("/api/batches", headers=other).get_json()["data"] == []
    assert client.get("/api/batches/not-a-uuid", headers=admin["header"]).status_code == 404


def test_a_provider_item_fails_and_is_refunded_without_a_key(app, client, admin, clean_db):
    items = _items(2)
    items[1]["provider"] = "openai"
    created = client.post("/api/batches", json={"items": items}, headers=admin["header"])
    assert created.status_code == 202
    _drain(app)
    batch = client.get(f"/api/batches/{created.get_json()['id']}", headers=admin["header"])
    assert batch.get_json()["counts"]["failed"] == 1
    lines = _results(client, created.get_json()["id"], admin["header"])
    assert lines[1]["error"]["code"] == "provider_not_configured"
    # The failed item is a failed history row, refunded: used = completed rows.
    assert quota_invariant(clean_db, admin["org"]) == (1, 1)


def test_provider_items_use_the_pipeline_with_its_retries(clean_db, fake):
    """A provider item goes through refine_remotely: retried on a 500, then recorded."""
    from refinery import create_app
    from tests.conftest import make_config, provider_settings

    app = create_app(
        make_config(clean_db, **provider_settings(fake.url), OPENAI_API_KEY="sk-service-1234")
    )
    client = app.test_client()
    body = Auth(client).register("provco")
    header = Auth.header(body["accessToken"])
    fake.behave("500", times=1)  # the first call fails once, then the retry answers
    created = client.post(
        "/api/batches", json={"provider": "openai", "items": _items(2)}, headers=header
    )
    assert created.status_code == 202
    _drain(app)
    lines = _results(client, created.get_json()["id"], header)
    assert [line["status"] for line in lines] == ["completed", "completed"]
    assert {line["result"]["provider"] for line in lines} == {"openai"}
    assert len(fake.calls("openai")) == 3
    assert quota_invariant(clean_db, body["organization"]["id"]) == (2, 2)
