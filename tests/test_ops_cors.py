"""CORS: the local frontend origins in development, nothing in production unless configured."""

from __future__ import annotations

import pytest

from refinery import create_app
from refinery.app import CORS_MAX_AGE
from refinery.config import DEVELOPMENT_ORIGINS
from tests.conftest import make_config


def _preflight(client, origin: str, path: str = "/api/optimize"):
    """An OPTIONS preflight as a browser sends it before a JSON POST with a bearer token."""
    return client.options(
        path,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )


@pytest.mark.parametrize("origin", DEVELOPMENT_ORIGINS)
def test_a_local_frontend_preflight_passes_in_development(clean_db, origin):
    client = create_app(make_config(clean_db, REFINERY_ENV="development")).test_client()
    response = _preflight(client, origin)
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == origin
    allowed = response.headers["Access-Control-Allow-Headers"].lower()
    assert "authorization" in allowed and "content-type" in allowed
    assert "POST" in response.headers["Access-Control-Allow-Methods"]
    assert response.headers["Access-Control-Max-Age"] == str(CORS_MAX_AGE)
    assert "Origin" in response.headers.get("Vary", "")
    # The answer itself exposes what a frontend reads.
    answer = client.get("/api/auth/me", headers={"Origin": origin})
    assert answer.headers["Access-Control-Allow-Origin"] == origin
    assert "X-Request-ID" in answer.headers["Access-Control-Expose-Headers"]
    assert "Origin" in answer.headers.get("Vary", "")


def test_other_origins_get_no_cors_headers_in_development(clean_db):
    client = create_app(make_config(clean_db, REFINERY_ENV="development")).test_client()
    response = _preflight(client, "http://localhost:8080")
    assert "Access-Control-Allow-Origin" not in response.headers


@pytest.mark.parametrize("env", ["production", "test"])
def test_no_origin_is_allowed_outside_development_unless_configured(clean_db, env):
    client = create_app(make_config(clean_db, REFINERY_ENV=env)).test_client()
    response = _preflight(client, "http://localhost:5173")
    assert "Access-Control-Allow-Origin" not in response.headers


def test_cors_origins_replaces_the_development_defaults(clean_db):
    config = make_config(
        clean_db, REFINERY_ENV="development", CORS_ORIGINS="https://app.example.com"
    )
    client = create_app(config).test_client()
    assert "Access-Control-Allow-Origin" not in _preflight(client, "http://localhost:5173").headers
    chosen = _preflight(client, "https://app.example.com")
    assert chosen.headers["Access-Control-Allow-Origin"] == "https://app.example.com"
    assert chosen.headers["Access-Control-Max-Age"] == str(CORS_MAX_AGE)
    assert "Origin" in chosen.headers["Vary"]


def test_cors_origins_none_turns_cors_off_in_development(clean_db):
    config = make_config(clean_db, REFINERY_ENV="development", CORS_ORIGINS="none")
    client = create_app(config).test_client()
    assert "Access-Control-Allow-Origin" not in _preflight(client, "http://localhost:5173").headers
