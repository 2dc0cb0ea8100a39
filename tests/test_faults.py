"""Faults survived. Each test owns what it breaks: its own PostgreSQL, its own fake provider."""

from __future__ import annotations

import threading
import time
import tracemalloc

import psycopg2
import pytest
import requests

from refinery import create_app
from refinery.embedded import ensure_database
from refinery.schema import apply_schema
from tests.conftest import Auth, make_config, provider_settings
from tests.fake_provider import FakeProvider

PROMPT = "Please write 3 short tips for new hires. Do not use jargon."


@pytest.fixture
def own_postgres(tmp_path_factory):
    """A PostgreSQL server of this test's own, deleted afterwards."""
    import pgserver
    from pgserver import _commands

    server = pgserver.get_server(tmp_path_factory.mktemp("pg"), cleanup_mode="delete")
    url = ensure_database(server.get_uri(), "faults")
    apply_schema(url)

    def restart() -> None:
        _commands.pg_ctl(
            ["-w", "-m", "fast", "restart"], pgdata=server.pgdata, user=server.system_user
        )

    yield url, restart
    server.cleanup()


def test_database_restart_fails_fast_then_recovers_without_charging(own_postgres):
    url, restart = own_postgres
    app = create_app(make_config(url, DB_CONNECT_TIMEOUT="1", DB_POOL_TIMEOUT="1"))
    client = app.test_client()
    header = Auth.header(Auth(client).register("resilient")["accessToken"])
    conn = psycopg2.connect(url)
    with conn, conn.cursor() as cur:
        cur.execute("UPDATE subscriptions SET monthly_limit = 1000000")
    conn.close()
    results: list[tuple[float, float, int]] = []  # (start, duration, status)
    stop = threading.Event()

    def load():
        own = app.test_client()
        while not stop.is_set():
            started = time.monotonic()
            status = own.post("/api/optimize", json={"text": PROMPT}, headers=header).status_code
            results.append((started, time.monotonic() - started, status))

    workers = [threading.Thread(target=load) for _ in range(3)]
    for worker in workers:
        worker.start()
    time.sleep(1.0)
    restart_began = time.monotonic()
    restart()
    restarted = time.monotonic()
    time.sleep(3.0)
    stop.set()
    for worker in workers:
        worker.join()

    statuses = {status for _, _, status in results}
    assert statuses <= {200, 503}, statuses
    assert 503 in statuses, "the restart broke the pooled connections"
    assert any(s == 200 for t, _, s in results if t < restart_began)
    # Failures are fast: no request hangs on the dead database.
    assert max(duration for _, duration, status in results if status == 503) < 3
    # Normal again within 2 s of the server being back: every request started after that is 200.
    late = [status for t, _, status in results if t > restarted + 2]
    assert late and set(late) == {200}
    # No quota charged for work that was not recorded.
    ok = sum(1 for _, _, status in results if status == 200)
    conn = psycopg2.connect(url)
    with conn, conn.cursor() as cur:
        cur.execute("SELECT used_requests FROM subscriptions")
        used = cur.fetchone()[0]
        cur.execute("SELECT count(*) FROM optimizations")
        recorded = cur.fetchone()[0]
    conn.close()
    assert used == recorded == ok


@pytest.fixture
def own_fake():
    """A fake provider of this test's own."""
    with FakeProvider() as fake:
        yield fake


def test_a_hanging_provider_is_504_within_the_timeout_and_frees_the_worker(live_server, own_fake):
    own_fake.behave("slow", delay=20)
    url = live_server(
        WEB_CONCURRENCY="1",
        GUNICORN_THREADS="1",
        OPENAI_API_KEY="sk-service-wide-test-key-123456",
        **{**provider_settings(own_fake.url), "PROVIDER_TIMEOUT": "1"},
    )
    token = requests.post(
        f"{url}/api/auth/register",
        json={
            "email": "a@hang.example.com",
            "password": "password-123",
            "fullName": "A",
            "organizationName": "Hang",
            "organizationSlug": "hang",
        },
        timeout=10,
    ).json()["accessToken"]
    started = time.monotonic()
    response = requests.post(
        f"{url}/api/optimize",
        json={"text": PROMPT, "provider": "openai"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    elapsed = time.monotonic() - started
    assert response.status_code == 504
    assert response.json()["code"] == "provider_timeout"
    assert elapsed < 3
    # One worker with one thread: it answers at once, so it is free again.
    started = time.monotonic()
    assert requests.get(f"{url}/health", timeout=5).status_code == 200
    assert time.monotonic() - started < 1


@pytest.mark.parametrize(
    ("behaviour", "options"), [("enormous", {"size": 64 << 20}), ("bad_body", {})]
)
def test_garbage_or_enormous_answers_are_502_with_memory_bounded(
    clean_db, own_fake, behaviour, options
):
    app = create_app(
        make_config(
            clean_db,
            OPENAI_API_KEY="sk-service-wide-test-key-123456",
            **provider_settings(own_fake.url),
        )
    )
    client = app.test_client()
    header = Auth.header(Auth(client).register("bounded")["accessToken"])
    own_fake.behave(behaviour, **options)
    tracemalloc.start()
    try:
        response = client.post(
            "/api/optimize", json={"text": PROMPT, "provider": "openai"}, headers=header
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert response.status_code == 502
    assert response.get_json()["code"] == "provider_error"
    # A 64 MiB answer is cut off at the client's 1 MiB cap, not read into memory.
    assert peak < 16 << 20, f"peak {peak / 2**20:.1f} MiB"
