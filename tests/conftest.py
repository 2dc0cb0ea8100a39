"""Fixtures: a fresh PostgreSQL database, the real app, a client and an auth helper."""

from __future__ import annotations

import os
from urllib.parse import urlsplit

import psycopg2
import pytest

from refinery import create_app
from refinery.config import load_config
from refinery.embedded import ensure_database, server_url
from refinery.schema import apply_schema

JWT_SECRET = "test-secret-that-is-at-least-32-bytes-long!"
PASSWORD = "correct horse battery"
# Every table the app writes, emptied between tests (schema_migrations stays).
_TABLES = (
    "audit_log, batch_items, batch_jobs, optimizations, provider_configs, api_keys, "
    "login_failures, auth_sessions, subscriptions, users, organizations"
)


@pytest.fixture(scope="session")
def database_url() -> str:
    """A database made fresh for this run: on DATABASE_URL's server, else the embedded one."""
    server = os.environ.get("DATABASE_URL") or server_url()
    name = os.environ.get("TEST_DATABASE_NAME", "refinery_test")
    if urlsplit(server).path.strip("/") == name:
        pytest.exit(f"DATABASE_URL already names {name}; the tests drop and recreate it")
    url = ensure_database(server, name, fresh=True)
    apply_schema(url)
    return url


def make_config(database_url: str, **overrides: str):
    """The test configuration, with environment-style overrides."""
    env = {
        "REFINERY_ENV": "test",
        "DATABASE_URL": database_url,
        "JWT_SECRET": JWT_SECRET,
        "BCRYPT_ROUNDS": "4",
        "LOG_LEVEL": "WARNING",
        "DB_POOL_TIMEOUT": "2",
        **overrides,
    }
    return load_config(env)


@pytest.fixture
def clean_db(database_url: str):
    """Empty every table before the test."""
    conn = psycopg2.connect(database_url)
    try:
        with conn, conn.cursor() as cur:
            cur.execute(f"TRUNCATE {_TABLES} CASCADE")
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

    @staticmethod
    def header(token: str) -> dict:
        """An Authorization header for a bearer token."""
        return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def auth(client) -> Auth:
    """The auth helper bound to the client."""
    return Auth(client)
