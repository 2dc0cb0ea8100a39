"""Webhooks: endpoints, the outbox, signed deliveries with retries, 410, timeouts, tenancy."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from standardwebhooks import Webhook

from refinery import create_app
from refinery.webhook_delivery import deliver_due
from tests.conftest import ENCRYPTION_KEY, Auth, make_config
from tests.test_batch_workers import _wait, workers  # noqa: F401 (fixture)
from tests.test_batches import _drain, _items, _set_limit, _sql

FAST = {
    "ALLOW_PRIVATE_PROVIDER_ENDPOINTS": "true",
    "WEBHOOK_RETRY_SCHEDULE": "1,1,1",
    "WEBHOOK_TIMEOUT": "1",
}


class Receiver:
    """An HTTP receiver on 127.0.0.1 answering from a script: a status, or "hang"."""

    def __init__(self) -> None:
        self.script: list = []
        self.received: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append({"headers": dict(self.headers), "body": body.decode()})
                answer = receiver.script.pop(0) if receiver.script else 200
                if answer == "hang":
                    time.sleep(5)
                    answer = 200
                self.send_response(answer)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()


@pytest.fixture
def receiver():
    found = Receiver()
    yield found
    found.close()


@pytest.fixture
def hook_app(clean_db):
    return create_app(make_config(clean_db, **FAST))


@pytest.fixture
def hook_client(hook_app):
    return hook_app.test_client()


@pytest.fixture
def admin(hook_client):
    body = Auth(hook_client).register("hookco")
    return {"header": Auth.header(body["accessToken"]), "org": body["organization"]["id"]}


def _endpoint(client, admin, url: str, types=("batch.completed",)) -> dict:
    response = client.post(
        "/api/webhooks", json={"url": url, "eventTypes": list(types)}, headers=admin["header"]
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def _deliver_until(app, condition, timeout: float = 15) -> None:
    """Run the workers' delivery step until condition() holds."""
    deadline = time.monotonic() + timeout
    with app.app_context():
        while not condition():
            assert time.monotonic() < deadline, "the deliveries never got there"
            if not deliver_due(app.config["REFINERY"]):
                time.sleep(0.1)


def _batch_done(app, client, admin, count: int = 2) -> str:
    created = client.post("/api/batches", json={"items": _items(count)}, headers=admin["header"])
    _drain(app)
    return created.get_json()["id"]


def test_500_twice_then_200_is_three_attempts_with_one_id_and_a_valid_signature(
    hook_app, hook_client, admin, receiver
):
    endpoint = _endpoint(hook_client, admin, receiver.url)
    assert endpoint["secret"].startswith("whsec_")
    receiver.script = [500, 500, 200]
    batch_id = _batch_done(hook_app, hook_client, admin)
    _deliver_until(hook_app, lambda: len(receiver.received) == 3)
    ids = {r["headers"]["webhook-id"] for r in receiver.received}
    assert len(ids) == 1
    last = receiver.received[-1]
    payload = Webhook(endpoint["secret"]).verify(last["body"], last["headers"])
    assert payload["type"] == "batch.completed"
    assert payload["data"]["id"] == batch_id
    log = hook_client.get(
        f"/api/webhooks/{endpoint['id']}/deliveries", headers=admin["header"]
    ).get_json()
    (delivery,) = log["data"]
    assert delivery["status"] == "succeeded"
    assert [a["statusCode"] for a in delivery["attempts"]] == [500, 500, 200]
    # Redeliver: once more, the same webhook-id.
    again = hook_client.post(
        f"/api/webhooks/{endpoint['id']}/deliveries/{delivery['id']}/redeliver",
        headers=admin["header"],
    )
    assert again.status_code == 202
    _deliver_until(hook_app, lambda: len(receiver.received) == 4)
    assert receiver.received[-1]["headers"]["webhook-id"] in ids


def test_410_disables_the_endpoint(hook_app, hook_client, admin, receiver):
    endpoint = _endpoint(hook_client, admin, receiver.url)
    receiver.script = [410]
    _batch_done(hook_app, hook_client, admin)
    _deliver_until(hook_app, lambda: len(receiver.received) == 1)
    shown = hook_client.get(f"/api/webhooks/{endpoint['id']}", headers=admin["header"])
    assert shown.get_json()["enabled"] is False
    assert "410" in shown.get_json()["disabledReason"]
    _batch_done(hook_app, hook_client, admin)
    with hook_app.app_context():
        assert not deliver_due(hook_app.config["REFINERY"])
    assert len(receiver.received) == 1


def test_a_hanging_receiver_does_not_hold_the_worker(hook_app, hook_client, admin, receiver):
    _endpoint(hook_client, admin, receiver.url)
    receiver.script = ["hang"]
    _batch_done(hook_app, hook_client, admin)
    started = time.monotonic()
    with hook_app.app_context():
        assert deliver_due(hook_app.config["REFINERY"])
    assert time.monotonic() - started < 3  # WEBHOOK_TIMEOUT is 1 s
    rows = _sql(hook_app.config["REFINERY"].database_url, "SELECT error FROM webhook_attempts")
    assert rows[0][0].startswith("timeout")


def test_rotation_signs_with_both_secrets_in_the_grace_period(
    hook_app, hook_client, admin, receiver
):
    endpoint = _endpoint(hook_client, admin, receiver.url)
    rotated = hook_client.post(
        f"/api/webhooks/{endpoint['id']}/rotate-secret", headers=admin["header"]
    ).get_json()
    assert rotated["secret"] != endpoint["secret"]
    assert rotated["previousSecretExpiresAt"] is not None
    assert (
        hook_client.post(
            f"/api/webhooks/{endpoint['id']}/test", headers=admin["header"]
        ).status_code
        == 202
    )
    _deliver_until(hook_app, lambda: len(receiver.received) == 1)
    message = receiver.received[0]
    for secret in (endpoint["secret"], rotated["secret"]):
        assert Webhook(secret).verify(message["body"], message["headers"])["type"] == "webhook.test"


def test_quota_threshold_events_at_80_and_100_percent(hook_app, hook_client, admin, receiver):
    _set_limit(hook_app.config["REFINERY"].database_url, admin["org"], 10)
    _endpoint(hook_client, admin, receiver.url, types=("quota.threshold",))
    created = hook_client.post("/api/batches", json={"items": _items(8)}, headers=admin["header"])
    assert created.status_code == 202
    for _ in range(2):
        hook_client.post(
            "/api/optimize", json={"text": "Please list 3 colours."}, headers=admin["header"]
        )
    _deliver_until(hook_app, lambda: len(receiver.received) == 2)
    thresholds = [json.loads(r["body"])["data"]["threshold"] for r in receiver.received]
    assert sorted(thresholds) == [80, 100]


def test_endpoints_are_guarded_and_admin_only_and_tenant_scoped(
    hook_app, hook_client, admin, receiver, clean_db
):
    strict = create_app(make_config(clean_db)).test_client()
    refused = strict.post(
        "/api/webhooks",
        json={"url": receiver.url, "eventTypes": ["batch.completed"]},
        headers=admin["header"],
    )
    assert refused.status_code == 400  # http and a loopback address, outside tests
    bad = hook_client.post(
        "/api/webhooks",
        json={"url": receiver.url, "eventTypes": ["nope"]},
        headers=admin["header"],
    )
    assert bad.status_code == 400
    endpoint = _endpoint(hook_client, admin, receiver.url)
    other = Auth.header(Auth(hook_client).register("otherco")["accessToken"])
    base = f"/api/webhooks/{endpoint['id']}"
    assert hook_client.get(base, headers=other).status_code == 404
    assert hook_client.get(f"{base}/deliveries", headers=other).status_code == 404
    assert hook_client.patch(base, json={"enabled": False}, headers=other).status_code == 404
    assert hook_client.delete(base, headers=other).status_code == 404
    assert hook_client.get("/api/webhooks", headers=other).get_json()["data"] == []
    key = hook_client.post("/api/keys", json={"name": "k"}, headers=admin["header"]).get_json()
    assert hook_client.get("/api/webhooks", headers={"X-API-Key": key["key"]}).status_code == 403
    disabled = hook_client.patch(base, json={"enabled": False}, headers=admin["header"])
    assert disabled.get_json()["enabled"] is False
    assert hook_client.delete(base, headers=admin["header"]).status_code == 204


def test_cancel_halfway_with_a_worker_delivers_batch_cancelled_once(
    hook_app,
    hook_client,
    admin,
    receiver,
    workers,  # noqa: F811 (the fixture imported above)
    clean_db,
):
    _set_limit(clean_db, admin["org"], 100_000)
    _endpoint(hook_client, admin, receiver.url, types=("batch.cancelled",))
    created = hook_client.post(
        "/api/batches", json={"items": _items(2000)}, headers=admin["header"]
    )
    batch_id = created.get_json()["id"]
    workers(**FAST)
    _wait(clean_db, batch_id, lambda s: s["done"] >= 100)
    hook_client.post(f"/api/batches/{batch_id}/cancel", headers=admin["header"])
    _wait(clean_db, batch_id, lambda s: s["status"] == "cancelled", timeout=30)
    deadline = time.monotonic() + 15
    while not receiver.received and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(1.5)  # a second delivery, if there were one, would have come by now
    assert len(receiver.received) == 1
    body = json.loads(receiver.received[0]["body"])
    assert body["type"] == "batch.cancelled"
    assert body["data"]["id"] == batch_id


def test_rotate_keys_reencrypts_the_signing_secrets(hook_app, hook_client, admin, receiver):
    endpoint = _endpoint(hook_client, admin, receiver.url)
    hook_client.post(f"/api/webhooks/{endpoint['id']}/rotate-secret", headers=admin["header"])
    database_url = hook_app.config["REFINERY"].database_url
    new_key = "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB="
    both = create_app(make_config(database_url, ENCRYPTION_KEY=f"{new_key},{ENCRYPTION_KEY}"))
    result = both.test_cli_runner().invoke(args=["rotate-keys"])
    assert "1 webhook secret(s)" in result.output, result.output
    only_new = create_app(make_config(database_url, ENCRYPTION_KEY=new_key, **FAST))
    with only_new.app_context():
        assert (
            only_new.test_client()
            .post(f"/api/webhooks/{endpoint['id']}/test", headers=admin["header"])
            .status_code
            == 202
        )
    _deliver_until(only_new, lambda: len(receiver.received) == 1)
    message = receiver.received[0]
    assert Webhook(endpoint["secret"]).verify(message["body"], message["headers"])


def test_deliveries_page_with_a_returned_cursor(hook_client, admin, receiver):
    """Deliveries come a page at a time, newest first; nextCursor gives the next page."""
    endpoint = _endpoint(hook_client, admin, receiver.url)
    path = f"/api/webhooks/{endpoint['id']}/deliveries"
    for _ in range(2):
        ping = hook_client.post(f"/api/webhooks/{endpoint['id']}/test", headers=admin["header"])
        assert ping.status_code == 202
    first = hook_client.get(path, query_string={"limit": 1}, headers=admin["header"]).get_json()
    assert len(first["data"]) == 1 and first["nextCursor"]
    second = hook_client.get(
        path, query_string={"limit": 1, "cursor": first["nextCursor"]}, headers=admin["header"]
    ).get_json()
    assert len(second["data"]) == 1
    assert second["data"][0]["id"] != first["data"][0]["id"]
