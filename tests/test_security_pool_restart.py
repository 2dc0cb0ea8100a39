"""Issue #15, item 2: a dead pooled connection never reaches a request.

A PostgreSQL of the test's own is restarted (crashed, then started) between requests;
every request after it succeeds, whichever connection, thread or worker serves it.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import psycopg2
import pytest
import requests

from refinery import create_app
from refinery.embedded import ensure_database
from refinery.schema import apply_schema
from tests.conftest import PASSWORD, Auth, make_config
from tests.throwaway_postgres import ThrowawayCluster

PROMPT = "Please write 3 short tips for new hires. Do not use jargon."
AFTER_RESTART = 20


@pytest.fixture
def cluster():
    """A PostgreSQL of this test's own, with the schema, to restart."""
    own = ThrowawayCluster()
    try:
        url = ensure_database(own.url, "restarts")
        apply_schema(url)
        yield own, url
    finally:
        own.remove()


def _requests(app, header: dict) -> list:
    """One of each kind of unit of work (a write, reads), each on a client of its own."""
    return [
        lambda: app.test_client().post("/api/optimize", json={"text": PROMPT}, headers=header),
        lambda: app.test_client().get("/api/usage", headers=header),
        lambda: app.test_client().get("/api/optimize/history", headers=header),
        lambda: app.test_client().get("/api/keys", headers=header),
    ]


def test_the_first_requests_after_a_restart_get_live_connections(cluster):
    pg, url = cluster
    app = create_app(make_config(url, DB_CONNECT_TIMEOUT="1", DB_POOL_TIMEOUT="2"))
    client = app.test_client()
    header = Auth.header(Auth(client).register("restarts")["accessToken"])
    kinds = _requests(app, header)
    # Several connections idle in the pool: concurrent requests filled it.
    with ThreadPoolExecutor(8) as workers:
        warm = list(workers.map(lambda i: kinds[i % len(kinds)]().status_code, range(32)))
    assert set(warm) == {200}

    for _ in range(2):  # each restart, not only the first
        pg.restart()
        statuses = [kinds[i % len(kinds)]().status_code for i in range(AFTER_RESTART)]
        assert statuses == [200] * AFTER_RESTART
        with ThreadPoolExecutor(8) as workers:
            pg.restart()
            concurrent = list(
                workers.map(lambda i: kinds[i % len(kinds)]().status_code, range(AFTER_RESTART))
            )
        assert concurrent == [200] * AFTER_RESTART

    conn = psycopg2.connect(url)
    with conn, conn.cursor() as cur:
        cur.execute("SELECT used_requests FROM subscriptions")
        used = cur.fetchone()[0]
        cur.execute("SELECT count(*) FROM optimizations")
        assert cur.fetchone()[0] == used
    conn.close()


def test_no_worker_answers_503_after_a_restart(cluster, live_server):
    pg, url = cluster
    base = live_server(DATABASE_URL=url, WEB_CONCURRENCY="4", GUNICORN_THREADS="2")
    body = {
        "email": "admin@workers.example.com",
        "password": PASSWORD,
        "fullName": "Admin",
        "organizationName": "Workers",
        "organizationSlug": "workers",
    }
    token = requests.post(f"{base}/api/auth/register", json=body, timeout=10).json()
    header = {"Authorization": f"Bearer {token['accessToken']}"}

    def get(path: str) -> int:
        return requests.get(f"{base}{path}", headers=header, timeout=10).status_code

    # Every worker has a pooled connection (new TCP connections spread over the workers).
    with ThreadPoolExecutor(8) as workers:
        assert set(workers.map(get, ["/api/usage"] * 80)) == {200}
    pg.restart()
    statuses = [get("/api/usage" if i % 2 else "/api/optimize/history") for i in range(20)]
    assert statuses == [200] * 20
