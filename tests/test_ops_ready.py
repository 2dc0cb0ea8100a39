"""GET /health is liveness with no I/O; GET /ready checks PostgreSQL, the schema and Redis."""

from __future__ import annotations

import time

import psycopg2
import pytest

from refinery import create_app
from refinery.schema import pending_updates
from tests.conftest import _free_port, make_config

CLOSED_DATABASE = "postgresql://postgres@127.0.0.1:1/none"


def _owner(database_url: str, statement: str, params: tuple = ()) -> None:
    """Run one statement as the schema's owner, committed."""
    conn = psycopg2.connect(database_url)
    try:
        with conn, conn.cursor() as cur:
            cur.execute(statement, params)
    finally:
        conn.close()


def test_health_answers_without_touching_the_database():
    # The database URL names a closed port: /health never tries it.
    app = create_app(make_config(CLOSED_DATABASE, DB_CONNECT_TIMEOUT="1"))
    started = time.monotonic()
    response = app.test_client().get("/health")
    assert time.monotonic() - started < 0.5
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "version": "0.1.0"}


def test_ready_is_200_with_each_part_named(client):
    response = client.get("/ready")
    assert response.status_code == 200
    assert response.get_json()["database"] == "ok"
    assert response.get_json()["schema"] == "ok"
    assert "redis" not in response.get_json()  # memory:// counts: no Redis to check


def test_ready_is_503_when_the_database_is_down():
    app = create_app(make_config(CLOSED_DATABASE, DB_CONNECT_TIMEOUT="1"))
    response = app.test_client().get("/ready")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "unavailable"
    assert body["database"] == "unreachable"


def test_ready_is_503_when_an_update_is_not_applied(app, clean_db):
    latest = pending_updates(set())[-1].stem
    _owner(clean_db, "DELETE FROM schema_migrations WHERE version = %s", (latest,))
    try:
        response = app.test_client().get("/ready")
        assert response.status_code == 503
        assert response.get_json()["database"] == "ok"
        assert response.get_json()["schema"] == "behind"
    finally:
        _owner(clean_db, "INSERT INTO schema_migrations (version) VALUES (%s)", (latest,))
    assert app.test_client().get("/ready").status_code == 200


def test_ready_is_503_on_a_database_init_db_has_not_brought_up_to_date(app, clean_db):
    # Before this code's init-db, the function that lists the applied updates is missing.
    _owner(clean_db, "ALTER FUNCTION refinery_applied_updates() RENAME TO hidden_updates")
    try:
        response = app.test_client().get("/ready")
        assert response.status_code == 503
        assert response.get_json()["schema"] == "behind"
    finally:
        _owner(clean_db, "ALTER FUNCTION hidden_updates() RENAME TO refinery_applied_updates")


@pytest.mark.parametrize("enabled", ["true", "false"])
def test_ready_checks_redis_only_when_the_limits_count_there(clean_db, enabled):
    storage = f"redis://127.0.0.1:{_free_port()}/0?socket_connect_timeout=0.5"
    app = create_app(
        make_config(clean_db, RATE_LIMIT_STORAGE_URI=storage, RATE_LIMITS_ENABLED=enabled)
    )
    response = app.test_client().get("/ready")
    if enabled == "true":
        assert response.status_code == 503
        assert response.get_json()["redis"] == "unreachable"
        assert response.get_json()["database"] == "ok"
    else:
        assert response.status_code == 200
        assert "redis" not in response.get_json()
