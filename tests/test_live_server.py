"""The real service under gunicorn: the quota under concurrency, a pool of one connection."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import psycopg2
import requests

from tests.conftest import PASSWORD, provider_settings


def _register(url: str, slug: str) -> dict:
    """Register an organization over HTTP; return the Authorization header."""
    response = requests.post(
        f"{url}/api/auth/register",
        json={
            "email": f"admin@{slug}.example.com",
            "password": PASSWORD,
            "fullName": "Admin",
            "organizationName": slug,
            "organizationSlug": slug,
        },
        timeout=10,
    )
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['accessToken']}"}


def _query(database_url: str, sql: str, *params):
    conn = psycopg2.connect(database_url)
    with conn, conn.cursor() as cur:
        cur.execute(sql, params)
        row = cur.fetchone()
    conn.close()
    return row


def test_exactly_the_limit_passes_under_concurrency(live_server, clean_db):
    url = live_server(WEB_CONCURRENCY="2", GUNICORN_THREADS="8")
    header = _register(url, "busy")
    _query(clean_db, "UPDATE subscriptions SET monthly_limit = 50 RETURNING 1")

    def one(i: int) -> int:
        body = {"text": f"Please write {i} short tips for new hires. Do not use jargon."}
        with requests.Session() as session:
            return session.post(
                f"{url}/api/optimize", json=body, headers=header, timeout=30
            ).status_code

    with ThreadPoolExecutor(max_workers=16) as pool:
        statuses = list(pool.map(one, range(200)))

    assert statuses.count(200) == 50
    assert statuses.count(429) == 150
    assert _query(clean_db, "SELECT used_requests FROM subscriptions")[0] == 50
    assert _query(clean_db, "SELECT count(*) FROM optimizations")[0] == 50


def test_a_hanging_provider_does_not_hold_the_only_connection(live_server, fake):
    fake.behave("slow", delay=3)
    url = live_server(
        WEB_CONCURRENCY="1",
        GUNICORN_THREADS="4",
        DB_POOL_MAX="1",
        DB_POOL_TIMEOUT="1",
        OPENAI_API_KEY="sk-service-wide-test-key-123456",
        **{**provider_settings(fake.url), "PROVIDER_TIMEOUT": "10"},
    )
    header = _register(url, "patient")
    finished = {}

    def slow_optimize():
        response = requests.post(
            f"{url}/api/optimize",
            json={"text": "Please kindly summarize this very long memo.", "provider": "openai"},
            headers=header,
            timeout=30,
        )
        finished["optimize"] = (time.monotonic(), response.status_code)

    worker = threading.Thread(target=slow_optimize)
    worker.start()
    time.sleep(0.5)  # the provider call is now in flight
    history = requests.get(f"{url}/api/optimize/history", headers=header, timeout=10)
    answered_at = time.monotonic()
    worker.join()

    assert history.status_code == 200
    assert fake.calls("openai"), "the provider was called"
    assert answered_at < finished["optimize"][0], "history answered while the provider hung"
    assert finished["optimize"][1] == 200
