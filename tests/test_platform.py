"""Health, the pool under pressure, error shapes, request ids, headers, config, schema, seed."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import psycopg2
import pytest

from refinery import create_app, db
from refinery.config import ConfigError, load_config
from refinery.schema import apply_schema
from tests.conftest import ENCRYPTION_KEY, JWT_SECRET, make_config

ROOT = Path(__file__).resolve().parent.parent


def test_ready_reports_database_ok(client):
    response = client.get("/ready")
    assert response.status_code == 200
    assert response.get_json() == {
        "status": "ok",
        "database": "ok",
        "schema": "ok",
        "version": "0.1.0",
    }


def test_ready_is_503_when_the_database_is_unreachable():
    # Port 1 on loopback: nothing listens, so the connection is refused at once.
    app = create_app(make_config("postgresql://postgres@127.0.0.1:1/none", DB_CONNECT_TIMEOUT="1"))
    response = app.test_client().get("/ready")
    assert response.status_code == 503
    assert response.get_json()["database"] == "unreachable"


def test_api_answers_503_json_when_the_database_is_unreachable():
    app = create_app(make_config("postgresql://postgres@127.0.0.1:1/none", DB_CONNECT_TIMEOUT="1"))
    response = app.test_client().post(
        "/api/auth/login", json={"email": "a@example.com", "password": "password123"}
    )
    assert response.status_code == 503
    assert response.get_json()["code"] == "database_unavailable"
    assert response.headers["Retry-After"] == "1"


def test_pool_exhaustion_is_503_not_a_hang(clean_db):
    app = create_app(make_config(clean_db, DB_POOL_MAX="1", DB_POOL_TIMEOUT="0.2"))
    client = app.test_client()
    with app.app_context():
        pool = db.get_pool()
        held = pool.acquire()
        try:
            started = time.monotonic()
            response = client.get("/ready")
            assert response.status_code == 503
            assert time.monotonic() - started < 2
        finally:
            pool.release(held)
    assert client.get("/ready").status_code == 200


def test_broken_connection_is_discarded_not_reused(clean_db):
    app = create_app(make_config(clean_db, DB_POOL_MAX="2"))
    client = app.test_client()
    assert client.get("/ready").status_code == 200
    with app.app_context():
        pool = db.get_pool()
        conn = pool.acquire()
        pid = conn.get_backend_pid()
        pool.release(conn)
    # Kill that backend as a server restart would (waiting until it has exited).
    admin = psycopg2.connect(clean_db)
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute("SELECT pg_terminate_backend(%s, 5000)", (pid,))
    admin.close()
    # The dead one is found before it is lent, and dropped: the request gets a new one.
    assert client.get("/ready").status_code == 200
    with app.app_context():
        conn = db.get_pool().acquire()
        assert conn.get_backend_pid() != pid
        db.get_pool().release(conn)


def test_unknown_route_and_wrong_method_are_json(client):
    missing = client.get("/api/nothing-here")
    assert missing.status_code == 404
    assert missing.get_json()["code"] == "not_found"
    wrong = client.get("/api/auth/login")
    assert wrong.status_code == 405
    assert wrong.get_json()["code"] == "method_not_allowed"


def test_body_over_the_limit_is_413_json(clean_db):
    app = create_app(make_config(clean_db, MAX_BODY_BYTES="1024"))
    response = app.test_client().post(
        "/api/auth/login",
        data='{"email": "' + "a" * 2000 + '"}',
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert response.get_json()["code"] == "body_too_large"


def test_request_id_is_echoed_when_sane_and_replaced_when_not(client):
    sane = client.get("/health", headers={"X-Request-ID": "abc-123.x"})
    assert sane.headers["X-Request-ID"] == "abc-123.x"
    injected = client.get("/health", headers={"X-Request-ID": "a b<script>"})
    assert injected.headers["X-Request-ID"] != "a b<script>"
    assert len(injected.headers["X-Request-ID"]) == 32
    error = client.get("/nope", headers={"X-Request-ID": "trace-1"})
    assert error.get_json()["requestId"] == "trace-1"


def test_security_headers_are_set(client):
    response = client.get("/health")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "SAMEORIGIN"


def test_cors_allows_only_configured_origins(clean_db):
    app = create_app(make_config(clean_db, CORS_ORIGINS="https://app.example.com"))
    client = app.test_client()
    ok = client.get("/api/auth/me", headers={"Origin": "https://app.example.com"})
    assert ok.headers.get("Access-Control-Allow-Origin") == "https://app.example.com"
    other = client.get("/api/auth/me", headers={"Origin": "https://evil.example.com"})
    assert "Access-Control-Allow-Origin" not in other.headers


def test_one_log_line_per_request(client, caplog):
    caplog.set_level("INFO", logger="refinery.request")
    client.get("/health", headers={"X-Request-ID": "log-me"})
    lines = [r.getMessage() for r in caplog.records if r.name == "refinery.request"]
    assert len(lines) == 1
    method, path, status, duration, request_id = lines[0].split()
    assert (method, path, status, request_id) == ("GET", "/health", "200", "log-me")
    assert duration.endswith("ms")


BASE_ENV = {
    "DATABASE_URL": "postgresql://localhost/x",
    "JWT_SECRET": JWT_SECRET,
    "ENCRYPTION_KEY": ENCRYPTION_KEY,
}


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"REFINERY_ENV": "staging"}, "REFINERY_ENV"),
        ({"DATABASE_URL": ""}, "DATABASE_URL"),
        ({"DATABASE_URL": "mysql://x"}, "DATABASE_URL"),
        ({"JWT_SECRET": ""}, "JWT_SECRET"),
        ({"JWT_SECRET": "too-short"}, "JWT_SECRET"),
        ({"JWT_EXPIRY": "soon"}, "JWT_EXPIRY"),
        ({"JWT_REFRESH_EXPIRY": "0"}, "JWT_REFRESH_EXPIRY"),
        ({"BCRYPT_ROUNDS": "3"}, "BCRYPT_ROUNDS"),
        ({"BCRYPT_ROUNDS": "twelve"}, "BCRYPT_ROUNDS"),
        ({"PORT": "70000"}, "PORT"),
        ({"FORCE_HTTPS": "maybe"}, "FORCE_HTTPS"),
        ({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL"),
        ({"CORS_ORIGINS": "not an origin"}, "CORS_ORIGINS"),
        ({"ENCRYPTION_KEY": ""}, "ENCRYPTION_KEY"),
        ({"ENCRYPTION_KEY": "not-a-fernet-key"}, "ENCRYPTION_KEY"),
        ({"MAX_TEXT_CHARS": "0"}, "MAX_TEXT_CHARS"),
        ({"PROVIDER_TIMEOUT": "never"}, "PROVIDER_TIMEOUT"),
        ({"OPENAI_BASE_URL": "ftp://x"}, "OPENAI_BASE_URL"),
        ({"ALLOW_PRIVATE_PROVIDER_ENDPOINTS": "perhaps"}, "ALLOW_PRIVATE_PROVIDER_ENDPOINTS"),
    ],
)
def test_bad_configuration_names_the_variable(env, variable, tmp_path):
    with pytest.raises(ConfigError) as raised:
        load_config({**BASE_ENV, "REFINERY_ENV": "production", **env}, tmp_path)
    assert str(raised.value).startswith(f"{variable}:")


def test_config_defaults(tmp_path):
    config = load_config({**BASE_ENV}, tmp_path)
    assert config.env == "production"
    assert config.jwt_expiry == 24 * 3600
    assert config.jwt_refresh_expiry == 7 * 86400
    assert config.bcrypt_rounds == 12
    assert config.port == 5000
    assert config.force_https is False


def test_development_generates_one_secret_and_keeps_it(tmp_path):
    env = {"REFINERY_ENV": "development", "DATABASE_URL": "postgresql://localhost/x"}
    first = load_config(env, tmp_path).jwt_secret
    second = load_config(env, tmp_path).jwt_secret
    assert first == second and len(first) >= 32
    assert (tmp_path / "jwt_secret").stat().st_mode & 0o777 == 0o600


def test_wsgi_exits_with_one_line_on_bad_config():
    env = {k: v for k, v in os.environ.items() if k not in ("JWT_SECRET", "REFINERY_ENV")}
    env["DATABASE_URL"] = "postgresql://localhost/x"
    result = subprocess.run(
        [sys.executable, "-c", "import wsgi"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "configuration error: JWT_SECRET: required outside development (at least 32 random bytes)"
    ]


def test_schema_applies_twice_and_records_updates(database_url, tmp_path, monkeypatch):
    assert apply_schema(database_url) == []
    update = tmp_path / "updates" / "2099-01-01-add-note.sql"
    update.parent.mkdir()
    update.write_text("ALTER TABLE organizations ADD COLUMN IF NOT EXISTS test_note TEXT;")
    (tmp_path / "schema.sql").write_text((ROOT / "sql" / "schema.sql").read_text())
    monkeypatch.setattr("refinery.schema.SQL_DIR", tmp_path)
    try:
        assert apply_schema(database_url) == ["2099-01-01-add-note"]
        assert apply_schema(database_url) == []
    finally:
        conn = psycopg2.connect(database_url)
        with conn, conn.cursor() as cur:
            cur.execute("ALTER TABLE organizations DROP COLUMN test_note")
            cur.execute("DELETE FROM schema_migrations WHERE version = '2099-01-01-add-note'")
        conn.close()


def _run_seed(url: str, env_name: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": url, "REFINERY_ENV": env_name, "BCRYPT_ROUNDS": "4"}
    env["JWT_SECRET"] = JWT_SECRET
    env["ENCRYPTION_KEY"] = ENCRYPTION_KEY
    return subprocess.run(
        [sys.executable, "scripts/seed.py"], cwd=ROOT, env=env, capture_output=True, text=True
    )


def test_seed_is_idempotent_and_logs_in(clean_db, client, auth):
    assert _run_seed(clean_db, "test").returncode == 0
    assert _run_seed(clean_db, "test").returncode == 0
    conn = psycopg2.connect(clean_db)
    with conn, conn.cursor() as cur:
        cur.execute(
            "SELECT o.slug, s.plan, s.monthly_limit, count(u.id) FROM organizations o "
            "JOIN subscriptions s ON s.organization_id = o.id "
            "JOIN users u ON u.organization_id = o.id GROUP BY 1, 2, 3 ORDER BY 1"
        )
        rows = cur.fetchall()
    conn.close()
    assert rows == [("acme-corp", "pro", 10000, 2), ("tech-startup", "free", 1000, 1)]
    conn = psycopg2.connect(clean_db)
    with conn, conn.cursor() as cur:
        cur.execute(
            "SELECT o.slug, count(*), bool_and(p.refined_tokens <= p.original_tokens) "
            "FROM optimizations p JOIN organizations o ON o.id = p.organization_id "
            "GROUP BY 1 ORDER BY 1"
        )
        history = cur.fetchall()
    conn.close()
    assert history == [("acme-corp", 30, True), ("tech-startup", 24, True)]
    response = auth.login("user@acme.com", "password123")
    assert response.status_code == 200
    assert response.get_json()["user"]["role"] == "user"


def test_seed_refuses_production(clean_db):
    result = _run_seed(clean_db, "production")
    assert result.returncode == 1
    assert "refusing" in result.stderr


def test_the_app_connects_as_refinery_app_derived_from_database_url(tmp_path):
    env = {**BASE_ENV, "DATABASE_URL": "postgresql://owner:s3cret@db.internal:5432/refinery"}
    assert load_config(env, tmp_path).app_database_url == (
        "postgresql://refinery_app@db.internal:5432/refinery"
    )
    with_password = load_config({**env, "APP_DATABASE_PASSWORD": "p@ss/word"}, tmp_path)
    assert with_password.app_database_url == (
        "postgresql://refinery_app:p%40ss%2Fword@db.internal:5432/refinery"
    )
    explicit = load_config({**env, "APP_DATABASE_URL": "postgresql://app@pgbouncer/r"}, tmp_path)
    assert explicit.app_database_url == "postgresql://app@pgbouncer/r"
