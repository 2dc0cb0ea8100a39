"""Issue 15 item 12: oversized URLs (414) and headers (431) are answered in JSON.

The app checks its own limits (refinery/api/headlimits.py) before anything else runs;
gunicorn's limits (gunicorn.conf.py) sit above them, so only a request past gunicorn's
gets gunicorn's plain page, as DEPLOYMENT.md says.
"""

from __future__ import annotations

import ast

import pytest
import requests

from refinery.api import headlimits
from tests.conftest import ROOT

URL = headlimits.MAX_URL_BYTES
FIELD = headlimits.MAX_HEADER_BYTES
FIELDS = headlimits.MAX_HEADER_FIELDS
# Paths that exist, that do not, public and authenticated: the check comes first.
PATHS = ["/health", "/api/optimize/history", "/api/no-such-route"]


def _long_url(path: str, size: int) -> str:
    """path?pad=… of exactly `size` bytes."""
    prefix = f"{path}?pad="
    return prefix + "a" * (size - len(prefix))


def _oversized_heads() -> dict[str, dict]:
    """Header sets just past each of the app's header limits."""
    return {
        "one-field": {"X-Big": "a" * FIELD},
        "many-fields": {f"X-H{i}": "a" for i in range(FIELDS + 1)},
        "all-together": {f"X-H{i}": "a" * (FIELD - 20) for i in range(5)},
        "authorization": {"Authorization": "Bearer " + "a" * FIELD},
    }


def _gunicorn_limits() -> dict[str, int]:
    """gunicorn.conf.py's limit_request_* values, read without running the file."""
    tree = ast.parse((ROOT / "gunicorn.conf.py").read_text())
    return {
        node.targets[0].id: ast.literal_eval(node.value)
        for node in tree.body
        if isinstance(node, ast.Assign)
        and isinstance(node.targets[0], ast.Name)
        and node.targets[0].id.startswith("limit_request_")
    }


def _assert_json_error(response, status: int, code: str) -> None:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.get_json()
    assert body["code"] == code
    assert body["requestId"] == response.headers["X-Request-ID"]


@pytest.mark.parametrize("path", PATHS)
def test_a_url_over_the_limit_is_414_json(client, path):
    _assert_json_error(client.get(_long_url(path, URL + 1)), 414, "uri_too_long")
    assert client.get(_long_url("/health", URL)).status_code == 200


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("case", _oversized_heads().keys())
def test_headers_over_the_limits_are_431_json(client, path, case):
    response = client.get(path, headers=_oversized_heads()[case])
    _assert_json_error(response, 431, "headers_too_large")


def test_headers_within_the_limits_pass(client):
    within = {"X-Big": "a" * (FIELD - 10), **{f"X-H{i}": "a" for i in range(FIELDS - 10)}}
    assert client.get("/health", headers=within).status_code == 200


def test_gunicorns_limits_are_above_the_apps():
    settings = _gunicorn_limits()
    # The request line is "GET <url> HTTP/1.1": the URL plus 14 bytes at least.
    assert settings["limit_request_line"] >= URL + len("OPTIONS  HTTP/1.1") + 1
    assert settings["limit_request_field_size"] > FIELD
    assert settings["limit_request_fields"] > FIELDS


def test_against_gunicorn(live_server):
    url = live_server(WEB_CONCURRENCY="1")
    settings = _gunicorn_limits()

    def get(path: str, **kwargs):
        return requests.get(f"{url}{path}", timeout=10, **kwargs)

    for path in PATHS:
        response = get(_long_url(path, URL + 1))
        assert response.status_code == 414
        assert response.json()["code"] == "uri_too_long"
        # Up to gunicorn's own limit the answer is still the app's.
        response = get(_long_url(path, settings["limit_request_line"] - 20))
        assert response.json()["code"] == "uri_too_long"
        for case, headers in _oversized_heads().items():
            response = get(path, headers=headers)
            assert response.status_code == 431, case
            assert response.json()["code"] == "headers_too_large", case
    # Past gunicorn's limits gunicorn answers itself, as DEPLOYMENT.md documents.
    beyond_line = get(_long_url("/health", settings["limit_request_line"] + 10))
    assert beyond_line.status_code == 414
    beyond_field = get("/health", headers={"X-Big": "a" * settings["limit_request_field_size"]})
    assert beyond_field.status_code == 431
