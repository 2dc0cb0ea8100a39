"""GET /metrics: who may read it, that values move as requests are served, bounded labels,
and the sum over gunicorn workers in multiprocess mode."""

from __future__ import annotations

import re
import uuid

import psycopg2
import requests
from prometheus_client.mmap_dict import MmapedDict
from prometheus_client.parser import text_string_to_metric_families

from refinery import create_app, db
from refinery.api.ratelimit import STORAGE_RETRY_SECONDS
from tests.conftest import Auth, _free_port, make_config, provider_settings
from tests.gunicorn_run import gunicorn

TOKEN = "metrics-token-for-the-tests-0123456789"
SCRAPE = {"Authorization": f"Bearer {TOKEN}"}
TEXT = "Please could you kindly summarize the following text for me in a few words?"


def _values(text: str) -> dict[tuple, float]:
    """Every sample of an exposition: (name, sorted labels) -> value."""
    samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def _scrape(client) -> tuple[str, dict[tuple, float]]:
    """GET /metrics with the token: the text and its samples."""
    response = client.get("/metrics", headers=SCRAPE)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=")
    text = response.get_data(as_text=True)
    return text, _values(text)


def _value(samples: dict, name: str, **labels: str) -> float:
    """One sample's value (0 when absent)."""
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def _metrics_app(clean_db, **settings: str):
    """An app that serves /metrics to TOKEN."""
    return create_app(make_config(clean_db, METRICS_TOKEN=TOKEN, **settings))


def test_metrics_are_off_unless_a_token_is_configured(client):
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", headers=SCRAPE).status_code == 404


def test_metrics_need_the_token(clean_db):
    client = _metrics_app(clean_db).test_client()
    assert client.get("/metrics").status_code == 401
    wrong = client.get("/metrics", headers={"Authorization": "Bearer not-the-token-at-all"})
    assert wrong.status_code == 401
    assert wrong.get_json()["code"] == "unauthorized"
    assert client.get("/metrics", headers=SCRAPE).status_code == 200


def test_requests_are_counted_by_route_template_and_status(clean_db):
    client = _metrics_app(clean_db).test_client()
    _, before = _scrape(client)
    for _ in range(3):
        client.get("/health")
    missing = uuid.uuid4()
    client.get(f"/api/optimize/history/{missing}")  # 401: no token
    client.get(f"/no-such-page-{missing}")
    client.open("/health", method="FROBNICATE")
    text, after = _scrape(client)
    name = "refinery_http_requests_total"
    health = {"method": "GET", "route": "/health", "status": "200"}
    assert _value(after, name, **health) - _value(before, name, **health) == 3
    detail = {"method": "GET", "route": "/api/optimize/history/<raw_id>", "status": "401"}
    assert _value(after, name, **detail) - _value(before, name, **detail) == 1
    unmatched = {"method": "GET", "route": "unmatched", "status": "404"}
    assert _value(after, name, **unmatched) - _value(before, name, **unmatched) == 1
    other = {"method": "OTHER", "route": "unmatched", "status": "405"}
    assert _value(after, name, **other) - _value(before, name, **other) == 1
    # Bounded labels: no raw path, id or client-chosen method ever becomes a label.
    assert str(missing) not in text and "FROBNICATE" not in text
    count = "refinery_http_request_duration_seconds_count"
    latency = {"method": "GET", "route": "/health"}
    assert _value(after, count, **latency) - _value(before, count, **latency) == 3
    assert 'refinery_http_request_duration_seconds_bucket{le="0.005",method="GET"' in text


def test_optimizations_tokens_and_quota_rejections_move(clean_db):
    client = _metrics_app(clean_db).test_client()
    registered = Auth(client).register("metered")
    header = Auth.header(registered["accessToken"])
    _, before = _scrape(client)
    answer = client.post(
        "/api/optimize", json={"text": TEXT, "compressionLevel": "high"}, headers=header
    ).get_json()
    conn = psycopg2.connect(clean_db)
    with conn, conn.cursor() as cur:
        cur.execute("UPDATE subscriptions SET used_requests = monthly_limit")
    conn.close()
    refused = client.post("/api/optimize", json={"text": TEXT}, headers=header)
    assert refused.status_code == 429
    text, after = _scrape(client)
    done = {"provider": "local", "level": "high", "status": "completed"}
    name = "refinery_optimizations_total"
    assert _value(after, name, **done) - _value(before, name, **done) == 1
    tokens_in = "refinery_optimization_input_tokens_total"
    saved = "refinery_optimization_saved_tokens_total"
    assert (
        _value(after, tokens_in, provider="local") - _value(before, tokens_in, provider="local")
        == answer["originalTokens"]
    )
    assert (
        _value(after, saved, provider="local") - _value(before, saved, provider="local")
        == answer["tokensSaved"]
    )
    rejections = "refinery_quota_rejections_total"
    assert _value(after, rejections) - _value(before, rejections) == 1
    assert registered["organization"]["id"] not in text  # no organization label


def test_provider_errors_and_latency_are_counted_by_provider(clean_db, fake):
    settings = {**provider_settings(fake.url), "OPENAI_API_KEY": "sk-service-key-0000"}
    client = _metrics_app(clean_db, **settings).test_client()
    header = Auth.header(Auth(client).register("providers")["accessToken"])
    _, before = _scrape(client)
    ok = client.post("/api/optimize", json={"text": TEXT, "provider": "openai"}, headers=header)
    assert ok.status_code == 200
    fake.behave("not_json")
    failed = client.post("/api/optimize", json={"text": TEXT, "provider": "openai"}, headers=header)
    assert failed.get_json()["code"] == "provider_error"
    _, after = _scrape(client)
    errors = "refinery_provider_errors_total"
    labels = {"provider": "openai", "code": "provider_error"}
    assert _value(after, errors, **labels) - _value(before, errors, **labels) == 1
    count = "refinery_provider_request_duration_seconds_count"
    assert _value(after, count, provider="openai") - _value(before, count, provider="openai") == 2
    name = "refinery_optimizations_total"
    for status in ("completed", "failed"):
        labels = {"provider": "openai", "level": "medium", "status": status}
        assert _value(after, name, **labels) - _value(before, name, **labels) == 1


def test_pool_waits_and_timeouts_are_counted(clean_db):
    app = _metrics_app(clean_db, DB_POOL_MAX="1", DB_POOL_TIMEOUT="0.2")
    client = app.test_client()
    _, before = _scrape(client)
    with app.app_context():
        pool = db.get_pool()
        held = pool.acquire()
        try:
            assert client.get("/ready").status_code == 503
        finally:
            pool.release(held)
    _, after = _scrape(client)
    for name in ("refinery_db_pool_waits_total", "refinery_db_pool_timeouts_total"):
        assert _value(after, name) - _value(before, name) == 1, name


def test_rate_limit_storage_failures_are_counted(clean_db):
    storage = f"redis://127.0.0.1:{_free_port()}/0?socket_connect_timeout=0.5"
    client = _metrics_app(clean_db, RATE_LIMIT_STORAGE_URI=storage).test_client()
    _, before = _scrape(client)
    Auth(client).register("limits")  # the registration limit meets the closed port
    _, after = _scrape(client)
    name = "refinery_ratelimit_storage_failures_total"
    assert _value(after, name) - _value(before, name) == 1
    assert STORAGE_RETRY_SECONDS > 0  # then skipped: one failure for the interval


def _live_value(url: str, name: str, **labels: str) -> float:
    """One sample from a live server's /metrics."""
    response = requests.get(f"{url}/metrics", headers=SCRAPE, timeout=5)
    assert response.status_code == 200
    return _value(_values(response.text), name, **labels)


def _served_ready(path) -> bool:
    """Whether one process's counter file counts a GET /ready."""
    return any(
        '"/ready"' in key and value > 0
        for key, value, *_ in MmapedDict.read_all_values_from_file(str(path))
    )


def test_values_add_up_across_gunicorn_workers(clean_db, tmp_path):
    directory = tmp_path / "prometheus"
    directory.mkdir()
    (directory / "counter_999999.db").write_bytes(b"stale")  # a previous run's: cleared
    with gunicorn(
        clean_db,
        tmp_path / "gunicorn.log",
        WEB_CONCURRENCY="2",
        METRICS_TOKEN=TOKEN,
        PROMETHEUS_MULTIPROC_DIR=str(directory),
    ) as url:
        name = "refinery_http_requests_total"
        # Not /health: the start-up poll's requests may still be landing.
        ready = {"method": "GET", "route": "/ready", "status": "200"}
        before = _live_value(url, name, **ready)
        for _ in range(40):
            # A new connection each: the two workers take turns accepting.
            assert requests.get(f"{url}/ready", timeout=5).status_code == 200
        files = sorted(directory.glob("counter_*.db"))
        assert "counter_999999.db" not in [path.name for path in files]
        serving = [path.name for path in files if _served_ready(path)]
        assert len(serving) == 2, serving  # both workers served and wrote their values
        # Whichever worker answers the scrape, it reports the sum of both.
        for _ in range(4):
            assert _live_value(url, name, **ready) - before == 40
        session = requests.Session()
        registered = session.post(
            f"{url}/api/auth/register",
            json={
                "email": "admin@live.example.com",
                "password": "correct horse battery",
                "fullName": "A",
                "organizationName": "Live",
                "organizationSlug": "live",
            },
            timeout=10,
        ).json()
        header = {"Authorization": f"Bearer {registered['accessToken']}"}
        optimized = "refinery_optimizations_total"
        labels = {"provider": "local", "level": "medium", "status": "completed"}
        start = _live_value(url, optimized, **labels)
        for _ in range(6):
            requests.post(f"{url}/api/optimize", json={"text": TEXT}, headers=header, timeout=10)
        assert _live_value(url, optimized, **labels) - start == 6
        text = requests.get(f"{url}/metrics", headers=SCRAPE, timeout=5).text
        assert not re.search(r'route="/api/[^"]*[0-9a-f]{8}-', text)  # no ids in labels
