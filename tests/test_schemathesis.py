"""Property-based conformance: the real app against refinery/api/openapi.yaml, via schemathesis.

Every operation is called with a member's access token, an API key (both ways of sending
it) and no credentials; each response must be documented (status, headers, content type,
body schema) and none may be a 5xx. Examples are few and derandomized, so a run is
deterministic and fast.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from refinery import create_app
from refinery.api.openapi import load_document
from tests.conftest import Auth, make_config, provider_settings

schema = schemathesis.openapi.from_dict(load_document())

# Service-wide provider keys, so provider requests reach the fake provider on loopback.
SERVICE_KEYS = {
    f"{name}_API_KEY": "sk-service-key-1234"
    for name in ("OPENAI", "ANTHROPIC", "DEEPSEEK", "GEMINI")
}
CREDENTIALS = ("member", "api_key", "api_key_bearer", "none")
# What "conforms" means here: no 5xx; status, headers, content type and body as documented.
CONFORMANCE = [
    not_a_server_error,
    status_code_conformance,
    response_headers_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture
def api(clean_db: str, fake) -> Flask:
    """The real app on the test database, its providers pointed at the fake one."""
    return create_app(make_config(clean_db, **provider_settings(fake.url), **SERVICE_KEYS))


@pytest.fixture
def credentials_for(api: Flask) -> Callable[[str], dict[str, str]]:
    """Headers of a kind for an organization registered on first use (none for "none")."""
    return functools.cache(functools.partial(_credentials, api))


def _credentials(api: Flask, kind: str) -> dict[str, str]:
    """Register an organization, make it an API key, and present one credential of `kind`."""
    if kind == "none":
        return {}
    auth = Auth(api.test_client())
    token = auth.register("schema-org")["accessToken"]
    created = auth.client.post("/api/keys", json={"name": "fuzz"}, headers=auth.header(token))
    key = created.get_json()["key"]
    return {
        "member": {"Authorization": f"Bearer {token}"},
        "api_key": {"X-API-Key": key},
        "api_key_bearer": {"Authorization": f"Bearer {key}"},
    }[kind]


@pytest.mark.parametrize("credentials", CREDENTIALS)
@schema.parametrize()
@settings(
    max_examples=5,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_conforms_to_its_document(
    case, api: Flask, credentials_for: Callable, credentials: str
) -> None:
    """No 5xx, and every response is one the document describes."""
    if credentials != "none" and case.operation.definition.raw.get("security") == []:
        pytest.skip("a public operation: credentials change nothing")
    case.call_and_validate(app=api, headers=credentials_for(credentials), checks=CONFORMANCE)


# Cases found by fuzzing (or next to what it found), kept as explicit, readable requests.
# Each is checked exactly like a generated case.
FOUND = [
    pytest.param(
        "POST",
        "/api/optimize",
        {"body": {"text": "0", "outputFormat": "json"}},
        id="optimize-never-negative-savings",
    ),
    pytest.param(
        "GET", "/api/optimize/history", {"query": {"to": "9999-12-31"}}, id="history-to-9999"
    ),
    pytest.param("GET", "/api/usage", {"query": {"to": "9999-12-31"}}, id="usage-to-9999"),
    pytest.param(
        "GET",
        "/api/usage",
        {"query": {"from": "0001-01-01T00:00:00+14:00"}},
        id="usage-from-year-1",
    ),
]


@pytest.mark.parametrize(("method", "path", "parts"), FOUND)
def test_found_case_conforms(api: Flask, method: str, path: str, parts: dict) -> None:
    """A request fuzzing turned up gets a documented, non-5xx answer."""
    auth = Auth(api.test_client())
    token = auth.register("found-org")["accessToken"]
    case = schema[path][method].Case(**parts)
    case.call_and_validate(app=api, headers=auth.header(token), checks=CONFORMANCE)


def test_method_not_allowed_names_the_allowed_methods(api: Flask) -> None:
    """A 405 carries Allow, as RFC 9110 requires (schemathesis's unsupported_method check)."""
    response = api.test_client().open("/health", method="TRACE")
    assert response.status_code == 405
    assert response.get_json()["code"] == "method_not_allowed"
    assert "GET" in response.headers.get("Allow", "")
