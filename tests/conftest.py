"""Fixtures: a fresh PostgreSQL database, the real app, a client and an auth helper."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import psycopg2
import pytest
import requests

from refinery import create_app
from refinery.config import load_config
from refinery.embedded import ensure_database, server_url
from refinery.schema import apply_schema
from tests.fake_provider import FakeProvider

ROOT = Path(__file__).resolve().parent.parent
# How the service is started: the live-server fixture here, the Dockerfile's CMD, the
# Procfile and the systemd unit (tests/test_container.py checks that they agree).
GUNICORN_COMMAND = ("gunicorn", "-c", "gunicorn.conf.py", "wsgi:app")
JWT_SECRET = "test-secret-that-is-at-least-32-bytes-long!"
PASSWORD = "correct horse battery"
# A fixed Fernet key for the tests (32 zero bytes is a valid key, and nobody's secret).
ENCRYPTION_KEY = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
# Every table the app writes, children first, emptied between tests (schema_migrations
# stays). DELETE, not TRUNCATE: on tables this small it is several times faster.
_TABLES = (
    "audit_log",
    "batch_items",
    "batch_jobs",
    "optimizations",
    "provider_configs",
    "api_keys",
    "login_attempts",
    "invitations",
    "auth_sessions",
    "subscriptions",
    "users",
    "organizations",
)


@pytest.fixture(scope="session")
def database_url() -> str:
    """A database made fresh for this run: on DATABASE_URL's server, else the embedded one."""
    server = os.environ.get("DATABASE_URL") or server_url()
    name = os.environ.get("TEST_DATABASE_NAME", "refinery_test")
    if urlsplit(server).path.strip("/") == name:
        pytest.exit(f"DATABASE_URL already names {name}; the tests drop and recreate it")
    # A throwaway database: commits need not wait for the disk.
    url = ensure_database(server, name, fresh=True, synchronous_commit="off")
    apply_schema(url)
    return url


# The suite drives many requests from one address; the rate-limit tests set their own.
GENEROUS_RATE_LIMITS = {
    "RATE_LIMIT_PER_ORGANIZATION": "100000/minute",
    "RATE_LIMIT_PER_API_KEY": "100000/minute",
    "RATE_LIMIT_REGISTRATION": "100000/hour",
}


def service_environment(database_url: str, **overrides: str) -> dict[str, str]:
    """The service's environment in the tests (on this database), with overrides."""
    return {
        "REFINERY_ENV": "test",
        "DATABASE_URL": database_url,
        "JWT_SECRET": JWT_SECRET,
        "ENCRYPTION_KEY": ENCRYPTION_KEY,
        "BCRYPT_ROUNDS": "4",
        "LOG_LEVEL": "WARNING",
        **GENEROUS_RATE_LIMITS,
        **overrides,
    }


def make_config(database_url: str, **overrides: str):
    """The test configuration, with environment-style overrides."""
    return load_config(service_environment(database_url, **{"DB_POOL_TIMEOUT": "2", **overrides}))


@pytest.fixture(scope="session")
def fake_provider():
    """A fake LLM provider on 127.0.0.1 speaking all four wire formats, for the session."""
    with FakeProvider() as fake:
        yield fake


@pytest.fixture
def fake(fake_provider):
    """The fake provider answering "ok" with no recorded requests, reset after the test."""
    fake_provider.reset()
    yield fake_provider
    fake_provider.reset()


def provider_settings(fake_url: str) -> dict[str, str]:
    """Settings that point every provider at the fake server with test-sized waits."""
    settings = {
        "ALLOW_PRIVATE_PROVIDER_ENDPOINTS": "true",
        "PROVIDER_TIMEOUT": "1",
        "PROVIDER_RETRY_BACKOFF": "0.01",
        "PROVIDER_MAX_RETRY_WAIT": "2",
    }
    for name in ("OPENAI", "ANTHROPIC", "DEEPSEEK", "GEMINI"):
        settings[f"{name}_BASE_URL"] = fake_url
    return settings


@pytest.fixture
def clean_db(database_url: str):
    """Empty every table before the test."""
    conn = psycopg2.connect(database_url)
    try:
        with conn, conn.cursor() as cur:
            cur.execute(";".join(f"DELETE FROM {table}" for table in _TABLES))
    finally:
        conn.close()
    return database_url


@pytest.fixture
def app(clean_db: str):
    """The real application on the test database."""
    return create_app(make_config(clean_db))


@pytest.fixture
def client(app):
    """A test client for the real WSGI app."""
    return app.test_client()


class Auth:
    """Registers organizations and logs members in through the real endpoints."""

    def __init__(self, client) -> None:
        self.client = client

    def register(self, slug: str = "acme", email: str | None = None, **extra) -> dict:
        """Register an organization with its admin; return the 201 body."""
        body = {
            "email": email or f"admin@{slug}.example.com",
            "password": PASSWORD,
            "fullName": f"Admin of {slug}",
            "organizationName": f"Org {slug}",
            "organizationSlug": slug,
            **extra,
        }
        response = self.client.post("/api/auth/register", json=body)
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    def login(self, email: str, password: str = PASSWORD):
        """POST /api/auth/login and return the response."""
        return self.client.post("/api/auth/login", json={"email": email, "password": password})

    def add_member(
        self, admin_header: dict, email: str, role: str = "user", password: str = PASSWORD
    ) -> dict:
        """Invite an address as the admin and accept as the invitee; return the 201 body."""
        invited = self.client.post(
            "/api/invitations", json={"email": email, "role": role}, headers=admin_header
        )
        assert invited.status_code == 201, invited.get_json()
        accepted = self.client.post(
            "/api/invitations/accept",
            json={"token": invited.get_json()["token"], "password": password, "fullName": "Member"},
        )
        assert accepted.status_code == 201, accepted.get_json()
        return accepted.get_json()

    @staticmethod
    def header(token: str) -> dict:
        """An Authorization header for a bearer token."""
        return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def auth(client) -> Auth:
    """The auth helper bound to the client."""
    return Auth(client)


def _free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def live_server(clean_db):
    """Start the real service under gunicorn (gunicorn.conf.py) on a free port; yield its URL.

    Call it with environment overrides: live_server(WEB_CONCURRENCY="2", DB_POOL_MAX="1").
    """
    started = []

    def start(**overrides: str) -> str:
        port = _free_port()
        env = {
            **os.environ,
            **service_environment(clean_db, **{"BIND": f"127.0.0.1:{port}", **overrides}),
        }
        process = subprocess.Popen(
            [sys.executable, "-m", *GUNICORN_COMMAND],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        started.append(process)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{url}/health", timeout=1).status_code == 200:
                    return url
            except requests.RequestException:  # not listening yet, or still booting
                time.sleep(0.1)
        raise RuntimeError("gunicorn did not answer /health within 20 s")

    yield start
    for process in started:
        process.terminate()
        process.wait(timeout=30)
