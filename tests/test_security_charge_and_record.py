"""Issue #15, item 1: a provider call's charge and its history row are one fact.

Under a real database crash (`pg_ctl stop -m immediate` on a cluster of this test's own)
while provider calls are in flight: every charged request has its row, `used` equals the
rows that count (completed + pending, for the period; failed rows never count), pending
rows show in history and usage, and the sweep settles abandoned ones (failed, refunded).
"""

from __future__ import annotations

import threading
import time

import psycopg2
import pytest
import requests

from refinery import create_app
from refinery.embedded import ensure_database
from refinery.pipeline import stale_after
from refinery.schema import apply_schema
from tests.conftest import PASSWORD, Auth, make_config, provider_settings
from tests.fake_provider import FakeProvider
from tests.throwaway_postgres import ThrowawayCluster

PROMPT = "Please write 3 short tips for new hires. Do not use jargon."
SERVICE_KEY = "sk-service-wide-test-key-123456"
IN_FLIGHT = 4


@pytest.fixture
def cluster():
    """A PostgreSQL of this test's own, with the schema, to crash."""
    own = ThrowawayCluster()
    try:
        url = ensure_database(own.url, "charges")
        apply_schema(url)
        yield own, url
    finally:
        own.remove()


@pytest.fixture
def own_fake():
    """A fake provider of this test's own."""
    with FakeProvider() as fake:
        yield fake


def _owner(url: str, statement: str, params: tuple = ()) -> list[tuple]:
    """Run one statement as the schema owner; its rows (if any)."""
    conn = psycopg2.connect(url)
    try:
        with conn, conn.cursor() as cur:
            cur.execute(statement, params)
            return cur.fetchall() if cur.description else []
    finally:
        conn.close()


def _ledger(url: str) -> dict:
    """The counter and the history, by status, of the only organization."""
    used = _owner(url, "SELECT used_requests FROM subscriptions")[0][0]
    rows = dict(_owner(url, "SELECT status, count(*) FROM optimizations GROUP BY status"))
    return {"used": used, **{s: rows.get(s, 0) for s in ("completed", "pending", "failed")}}


def _assert_invariant(url: str) -> dict:
    """used = the rows that count: completed + pending (failed rows were refunded)."""
    ledger = _ledger(url)
    assert ledger["used"] == ledger["completed"] + ledger["pending"], ledger
    return ledger


def test_a_crash_mid_call_keeps_every_charge_with_its_row_until_settled(
    cluster, own_fake, live_server
):
    pg, url = cluster
    base = live_server(
        DATABASE_URL=url,
        WEB_CONCURRENCY="2",
        GUNICORN_THREADS=str(IN_FLIGHT),
        DB_CONNECT_TIMEOUT="1",
        DB_POOL_TIMEOUT="1",
        OPENAI_API_KEY=SERVICE_KEY,
        **{**provider_settings(own_fake.url), "PROVIDER_TIMEOUT": "20"},
    )
    body = {
        "email": "admin@charges.example.com",
        "password": PASSWORD,
        "fullName": "Admin",
        "organizationName": "Charges",
        "organizationSlug": "charges",
    }
    token = requests.post(f"{base}/api/auth/register", json=body, timeout=10).json()["accessToken"]
    header = {"Authorization": f"Bearer {token}"}
    _owner(url, "UPDATE subscriptions SET monthly_limit = 1000")

    def optimize() -> requests.Response:
        return requests.post(
            f"{base}/api/optimize",
            json={"text": PROMPT, "provider": "openai"},
            headers=header,
            timeout=60,
        )

    # One call that completes and one that fails: charged once, refunded once.
    assert optimize().status_code == 200
    own_fake.behave("401", times=1)
    assert optimize().status_code == 502
    assert _assert_invariant(url) == {"used": 1, "completed": 1, "pending": 0, "failed": 1}

    # Calls in flight when the database crashes: the provider answers while it is down.
    own_fake.behave("slow", delay=3)
    before = len(own_fake.calls())
    answers: list[int] = []
    threads = [
        threading.Thread(target=lambda: answers.append(optimize().status_code))
        for _ in range(IN_FLIGHT)
    ]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 10
    while len(own_fake.calls()) < before + IN_FLIGHT and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(own_fake.calls()) == before + IN_FLIGHT, "the calls never reached the provider"
    pg.crash()
    for thread in threads:
        thread.join()
    pg.start()
    assert answers == [503] * IN_FLIGHT

    # Each request in flight is charged and has its row: pending, not lost.
    assert _assert_invariant(url) == {
        "used": 1 + IN_FLIGHT,
        "completed": 1,
        "pending": IN_FLIGHT,
        "failed": 1,
    }
    own_fake.behave("ok")
    history = requests.get(
        f"{base}/api/optimize/history?status=pending", headers=header, timeout=10
    ).json()["data"]
    assert len(history) == IN_FLIGHT
    assert {entry["status"] for entry in history} == {"pending"}
    assert {entry["refinedTokens"] for entry in history} == {None}
    usage = requests.get(f"{base}/api/usage", headers=header, timeout=10).json()
    assert usage["used"] == 1 + IN_FLIGHT
    assert (usage["totals"]["optimizations"], usage["totals"]["pending"]) == (1, IN_FLIGHT)
    # A pending record holds its charge: it cannot be erased until settled.
    erase = requests.delete(
        f"{base}/api/optimize/history/{history[0]['id']}", headers=header, timeout=10
    )
    assert erase.status_code == 409
    assert erase.json()["code"] == "optimization_pending"

    # The operator's sweep leaves calls younger than the longest possible call alone.
    app = create_app(
        make_config(url, OPENAI_API_KEY=SERVICE_KEY, **provider_settings(own_fake.url))
    )
    config = app.config["REFINERY"]
    result = app.test_cli_runner().invoke(args=["sweep"])
    assert result.exit_code == 0, result.output
    assert "settled 0 pending" in result.output
    _assert_invariant(url)

    # Time passes (the rows are made older than the bound): two of them are abandoned.
    age = f"{stale_after(config) + 5} seconds"
    _owner(
        url,
        "UPDATE optimizations SET created_at = created_at - %s::interval "
        "WHERE id IN (SELECT id FROM optimizations WHERE status = 'pending' "
        "ORDER BY id LIMIT 2)",
        (age,),
    )
    result = app.test_cli_runner().invoke(args=["sweep"])
    assert "settled 2 pending" in result.output, result.output
    assert _assert_invariant(url) == {
        "used": 1 + IN_FLIGHT - 2,
        "completed": 1,
        "pending": IN_FLIGHT - 2,
        "failed": 3,
    }

    # The other two: settled by the next reservation of this organization in a process
    # that has not swept it yet (this one), before it charges.
    _owner(
        url,
        "UPDATE optimizations SET created_at = created_at - %s::interval WHERE status = 'pending'",
        (age,),
    )
    client = app.test_client()
    login = Auth(client).login(body["email"])
    local = client.post(
        "/api/optimize", json={"text": PROMPT}, headers=Auth.header(login.get_json()["accessToken"])
    )
    assert local.status_code == 200
    assert local.get_json()["usage"]["used"] == 2
    assert _assert_invariant(url) == {"used": 2, "completed": 2, "pending": 0, "failed": 5}
    codes = _owner(url, "SELECT error_code, count(*) FROM optimizations GROUP BY error_code")
    assert dict(codes) == {None: 2, "provider_auth_failed": 1, "provider_interrupted": 4}


def test_a_call_that_outlives_the_sweep_is_completed_and_charged_again(clean_db, own_fake):
    app = create_app(
        make_config(
            clean_db,
            OPENAI_API_KEY=SERVICE_KEY,
            **{**provider_settings(own_fake.url), "PROVIDER_TIMEOUT": "20"},
        )
    )
    client = app.test_client()
    header = Auth.header(Auth(client).register("outlived")["accessToken"])
    own_fake.behave("slow", delay=3)
    answers = []
    call = threading.Thread(
        target=lambda: answers.append(
            app.test_client().post(
                "/api/optimize", json={"text": PROMPT, "provider": "openai"}, headers=header
            )
        )
    )
    call.start()
    deadline = time.monotonic() + 10
    while not own_fake.calls() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _assert_invariant(clean_db) == {"used": 1, "completed": 0, "pending": 1, "failed": 0}
    # The process "stalls" past the bound: the sweep settles the call while it runs.
    age = f"{stale_after(app.config['REFINERY']) + 5} seconds"
    _owner(clean_db, "UPDATE optimizations SET created_at = created_at - %s::interval", (age,))
    assert "settled 1 pending" in app.test_cli_runner().invoke(args=["sweep"]).output
    assert _assert_invariant(clean_db) == {"used": 0, "completed": 0, "pending": 0, "failed": 1}
    call.join()

    # The answer was delivered, so the record says so and the request counts again.
    response = answers[0]
    assert response.status_code == 200
    assert response.get_json()["usage"]["used"] == 1
    assert _assert_invariant(clean_db) == {"used": 1, "completed": 1, "pending": 0, "failed": 0}
    record = client.get(f"/api/optimize/history/{response.get_json()['id']}", headers=header)
    assert (record.get_json()["status"], record.get_json()["errorCode"]) == ("completed", None)
