"""Property-based conformance: the real app against refinery/api/openapi.yaml, via schemathesis.

Every operation is called with a member's access token, an API key (both ways of sending
it) and no credentials, and every check schemathesis has is run: no 5xx; status, headers,
content type and body as documented; a request the document calls valid is not refused
with 400 (positive_data_acceptance); one it calls invalid is refused (negative_data_rejection);
credentials are not ignored; undocumented methods are 405 with Allow; and the rest.
Examples are few and derandomized, so a run is deterministic and takes about a minute.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import missing_required_header, positive_data_acceptance

from refinery import create_app
from refinery.api.openapi import load_document
from tests.conftest import PASSWORD, Auth, make_config, provider_settings

METRICS_TOKEN = "schemathesis-metrics-token-0123456789"


class AppUnderTest:
    """The WSGI app schemathesis calls: this test's app (its own probes included)."""

    target: Flask | None = None

    def __call__(self, environ, start_response):
        """Hand the request to the current test's app."""
        return self.target(environ, start_response)


APP = AppUnderTest()
schema = schemathesis.openapi.from_dict(load_document())
schema.app = APP  # a WSGI app: schemathesis sends every request, probes too, in-process

# Service-wide provider keys, so provider requests reach the fake provider on loopback.
SERVICE_KEYS = {
    f"{name}_API_KEY": "sk-service-key-1234"
    for name in ("OPENAI", "ANTHROPIC", "DEEPSEEK", "GEMINI")
}
CREDENTIALS = ("member", "api_key", "api_key_bearer", "none")
# The document's security scheme each kind of credential is.
SCHEMES = {"member": "memberToken", "api_key": "apiKey", "api_key_bearer": "apiKeyBearer"}


@pytest.fixture
def api(clean_db: str, fake) -> Flask:
    """The real app on the test database, its providers pointed at the fake one."""
    # METRICS_TOKEN set: /metrics then answers as documented (401 without the token).
    settings = {**provider_settings(fake.url), **SERVICE_KEYS, "METRICS_TOKEN": METRICS_TOKEN}
    app = create_app(make_config(clean_db, **settings))
    APP.target = app
    yield app
    APP.target = None


@dataclass
class Caller:
    """One credential of an organization, and what only the server and the caller know."""

    headers: dict[str, str]
    cursors: dict[str, str] = field(default_factory=dict)  # path -> a cursor it returned


@pytest.fixture
def caller_for(api: Flask) -> Callable[[str], Caller]:
    """The caller of a kind, its organization registered on first use."""
    return functools.cache(functools.partial(_caller, api))


def _caller(api: Flask, kind: str) -> Caller:
    """Register an organization with history, make it an API key, present one credential."""
    if kind == "none":
        return Caller({})
    auth = Auth(api.test_client())
    member = auth.header(auth.register("schema-org")["accessToken"])
    created = auth.client.post("/api/keys", json={"name": "fuzz"}, headers=member)
    key = created.get_json()["key"]
    for _ in range(2):  # two records, batches and audit events: a second page exists
        auth.client.post("/api/optimize", json={"text": "Please do it."}, headers=member)
        items = [{"customId": "a", "text": "Please do it."}]
        auth.client.post("/api/batches", json={"items": items}, headers=member)
    cursors = {
        path: auth.client.get(path, query_string={"limit": 1}, headers=member).get_json()[
            "nextCursor"
        ]
        for path in ("/api/optimize/history", "/api/audit", "/api/batches")
    }
    headers = {
        "member": member,
        "api_key": {"X-API-Key": key},
        "api_key_bearer": {"Authorization": f"Bearer {key}"},
    }[kind]
    return Caller(headers, cursors)


def _fill_in_secrets(case, caller: Caller) -> None:
    """Put in a valid request what no document can describe: the password, a real cursor.

    The current password and a page cursor are valid by their meaning, not their shape:
    for a request the document calls valid, send the ones the server knows to be right.
    """
    if not case.meta.generation.mode.is_positive:
        return
    if case.operation.path == "/api/auth/password" and isinstance(case.body, dict):
        case.body["currentPassword"] = PASSWORD
    if case.query and "cursor" in case.query and caller.cursors:
        # Every list's cursor has the same form: a route with no page of its own here (a
        # webhook's deliveries) gets the history's, which it reads as a position.
        fallback = caller.cursors["/api/optimize/history"]
        case.query["cursor"] = caller.cursors.get(case.operation.path, fallback)


def _restore_password(case, response, caller: Caller) -> None:
    """After a password change went through, set it back for the next example."""
    if case.operation.path == "/api/auth/password" and response.status_code == 204:
        restored = APP.target.test_client().post(
            "/api/auth/password",
            json={"currentPassword": case.body["newPassword"], "newPassword": PASSWORD},
            headers=caller.headers,
        )
        assert restored.status_code == 204, restored.get_json()


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
    case, api: Flask, caller_for: Callable, credentials: str
) -> None:
    """Every check schemathesis has passes, with each kind of credential and with none."""
    if credentials != "none" and case.operation.definition.raw.get("security") == []:
        pytest.skip("a public operation: credentials change nothing")
    caller = caller_for(credentials)
    _fill_in_secrets(case, caller)
    security = case.operation.definition.raw.get("security", [])
    declared = credentials == "none" or any(SCHEMES[credentials] in way for way in security)
    # missing_required_header drops the operation's credential header and expects 401; a
    # credential the operation does not take (an API key on a members' route) is still
    # in the request then, and is answered with the documented 403 api_key_not_allowed.
    excluded = [] if declared else [missing_required_header]
    # A deprecated operation that is gone (POST /api/users: 410 invitation_required)
    # accepts nothing by design; every other check still runs on it.
    if case.operation.definition.raw.get("deprecated"):
        excluded.append(positive_data_acceptance)
    response = case.call_and_validate(headers=caller.headers, excluded_checks=excluded)
    _restore_password(case, response, caller)


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
    case.call_and_validate(headers=auth.header(token))


def test_method_not_allowed_names_the_allowed_methods(api: Flask) -> None:
    """A 405 carries Allow, as RFC 9110 requires (schemathesis's unsupported_method check)."""
    response = api.test_client().open("/health", method="TRACE")
    assert response.status_code == 405
    assert response.get_json()["code"] == "method_not_allowed"
    assert "GET" in response.headers.get("Allow", "")
