"""The OpenAPI document: every route and no other, a valid 3.1 document, served as promised."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from openapi_spec_validator import validate

from refinery import create_app
from refinery.api.openapi import load_document
from tests.conftest import ROOT, make_config

METHODS = {"get", "put", "post", "delete", "patch"}


@pytest.fixture(scope="module")
def offline_app() -> Flask:
    """The app without a database: routing and these views need none."""
    return create_app(make_config("postgresql://nobody@127.0.0.1:1/none"))


def _shape(path: str) -> str:
    """A route with its variables blanked: /a/<x> and /a/{y} both become /a/{}."""
    return re.sub(r"<[^>]+>|\{[^}]+\}", "{}", path)


def _routes(app: Flask) -> set[tuple[str, str]]:
    """(METHOD, path shape) of every Flask route but static files, HEAD and OPTIONS."""
    return {
        (method, _shape(rule.rule))
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }


def _documented() -> set[tuple[str, str]]:
    """(METHOD, path shape) of every operation in the document."""
    return {
        (method.upper(), _shape(path))
        for path, item in load_document()["paths"].items()
        for method in item
        if method in METHODS
    }


def _codes(node: object) -> set[str]:
    """Every error code the document names in a `code` property (const or enum)."""
    found: set[str] = set()
    if isinstance(node, dict):
        code = node.get("properties", {}).get("code", {})
        if isinstance(code, dict):
            found |= {code["const"]} if "const" in code else set(code.get("enum", ()))
        for value in node.values():
            found |= _codes(value)
    elif isinstance(node, list):
        for value in node:
            found |= _codes(value)
    return found


def test_every_route_is_documented(offline_app: Flask) -> None:
    """A route added to the app without the document fails here."""
    assert _routes(offline_app) - _documented() == set()


def test_every_documented_operation_exists(offline_app: Flask) -> None:
    """An operation left in the document after its route went fails here."""
    assert _documented() - _routes(offline_app) == set()


def test_document_is_valid_openapi_3_1() -> None:
    """openapi-spec-validator accepts the document as OpenAPI 3.1."""
    document = load_document()
    assert document["openapi"].startswith("3.1.")
    validate(document)


def test_every_error_code_of_api_md_is_documented() -> None:
    """Each code in API.md's status tables (errors, provider failures) is in the document."""
    api_md = (ROOT / "API.md").read_text()
    rows = re.findall(r"^\| [1-5]\d\d[^|]*\| ([^|]+)\|", api_md, re.MULTILINE)
    listed = {code for row in rows for code in re.findall(r"`([a-z_]+)`", row)}
    assert {"validation_error", "provider_timeout"} <= listed, "API.md's tables were not found"
    assert listed - _codes(load_document()) == set()


def test_both_auth_schemes_are_declared() -> None:
    """Members' JWTs and API keys (X-API-Key or Bearer rfy_…) are security schemes."""
    schemes = load_document()["components"]["securitySchemes"]
    assert schemes["memberToken"] == {**schemes["memberToken"], "type": "http", "scheme": "bearer"}
    assert schemes["apiKey"]["in"] == "header" and schemes["apiKey"]["name"] == "X-API-Key"
    assert schemes["apiKeyBearer"]["scheme"] == "bearer"


def test_document_is_served_without_credentials(offline_app: Flask) -> None:
    """GET /api/openapi.json is the loaded document, as JSON, under the strict CSP."""
    response = offline_app.test_client().get("/api/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.get_json() == load_document()
    assert response.headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert "X-Request-ID" in response.headers


def test_document_is_loaded_once(offline_app: Flask) -> None:
    """Requests reuse the document read at first use; nothing is rebuilt per request."""
    client = offline_app.test_client()
    first = client.get("/api/openapi.json").get_data()
    misses = load_document.cache_info().misses
    assert client.get("/api/openapi.json").get_data() == first
    assert load_document.cache_info().misses == misses


def test_docs_page_uses_only_local_assets(offline_app: Flask) -> None:
    """/api/docs loads Swagger UI from this server: every asset it names is served here."""
    client = offline_app.test_client()
    page = client.get("/api/docs")
    assert page.status_code == 200
    assert page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert "//" not in re.sub(r"<!DOCTYPE[^>]*>", "", html)  # no absolute URL: no CDN
    assets = re.findall(r'(?:src|href)="docs/([^"]+)"', html)
    assert {"swagger-ui-bundle.js", "swagger-ui.css", "docs.js"} <= set(assets)
    for asset in assets:
        response = client.get(f"/api/docs/{asset}")
        assert response.status_code == 200, asset
        assert len(response.get_data()) > 100, asset
    assert client.get("/api/docs/swagger-ui-bundle.js").mimetype == "text/javascript"
    assert client.get("/api/docs/swagger-ui.css").mimetype == "text/css"


def test_docs_page_alone_has_a_relaxed_csp(offline_app: Flask) -> None:
    """The docs page may run this origin's scripts; the API keeps default-src 'none'."""
    client = offline_app.test_client()
    csp = client.get("/api/docs").headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-eval" not in csp and "http" not in csp
    for path in ("/api/openapi.json", "/api/docs/docs.js", "/api/auth/me", "/api/nowhere"):
        strict = client.get(path).headers["Content-Security-Policy"]
        assert strict.startswith("default-src 'none'"), path
        assert "script-src" not in strict, path


def test_unknown_docs_asset_is_a_json_404(offline_app: Flask) -> None:
    """Only the page's own files are served; nothing else of the package or the disk."""
    client = offline_app.test_client()
    for name in ("index.html", "..%2Fopenapi.py", "oauth2-redirect.html", "LICENSE"):
        response = client.get(f"/api/docs/{name}")
        assert response.status_code == 404, name
        assert response.get_json()["code"] == "not_found"
