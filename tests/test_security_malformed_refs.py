"""Issue 15 item 9: malformed cursors and ids are a clear 4xx on every route, never a 500.

The paged routes are the document's operations that take a `cursor`; the id routes are
the app's URL rules with an id. A cursor is refused with 400 whatever it decodes to; an id
in the path that is not a UUID is 404, like an unknown one (API.md).
"""

from __future__ import annotations

import base64
import json
from urllib.parse import quote

import pytest

from refinery import create_app
from refinery.api.openapi import load_document
from tests.conftest import Auth, make_config


def _b64(text: str) -> str:
    """A cursor's encoding: url-safe base64 without padding."""
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


MOMENT = "2026-01-01T00:00:00+00:00"
UUID = "00000000-0000-4000-8000-000000000000"
MALFORMED_CURSORS = {
    "issue-example-id-is-a-number": "WyIyMDI2LTAxLTAxVDAwOjAwOjAwKzAwOjAwIiwgMTIzXQ",
    "id-is-true": _b64(json.dumps([MOMENT, True])),
    "id-is-a-list": _b64(json.dumps([MOMENT, [UUID]])),
    "id-is-null": _b64(json.dumps([MOMENT, None])),
    "id-is-an-object": _b64(json.dumps([MOMENT, {"id": UUID}])),
    "id-not-a-uuid": _b64(json.dumps([MOMENT, "x"])),
    "moment-is-a-number": _b64(json.dumps([1767225600, UUID])),
    "moment-is-a-list": _b64(json.dumps([[MOMENT], UUID])),
    "moment-not-a-date": _b64(json.dumps(["yesterday", UUID])),
    "moment-without-zone": _b64(json.dumps(["2026-01-01T00:00:00", UUID])),
    "one-element": _b64(json.dumps([MOMENT])),
    "three-elements": _b64(json.dumps([MOMENT, UUID, 1])),
    "empty-list": _b64("[]"),
    "an-object-with-two-keys": _b64(json.dumps({MOMENT: 1, UUID: 2})),
    "a-string": _b64(json.dumps(MOMENT)),
    "a-number": _b64("12"),
    "null": _b64("null"),
    "deep-nesting": _b64("[" * 1000),
    "deep-nesting-short": _b64("[" * 150),
    "not-json": _b64("{broken"),
    "not-utf8": base64.urlsafe_b64encode(b"\xff\xfe\xfd").decode(),
    "not-base64": "%%%%",
    "raw-brackets": "[" * 1000,
    "very-long": "A" * 10_000,
    "empty": "",
}
MALFORMED_IDS = {
    "word": "x",
    "number": "123",
    "true": "true",
    "a-json-list": '["00000000-0000-4000-8000-000000000000"]',
    "an-object": '{"id":1}',
    "nested-brackets": "[" * 1000,
    "nul": "%00",
    "sql": "' OR 1=1",
    "almost-a-uuid": "zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz",
    "too-long": "0" * 3000,
}


def _paged_routes() -> list[str]:
    """Every operation of the document that takes a cursor."""
    document = load_document()
    routes = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if not isinstance(operation, dict):
                continue
            refs = [p.get("$ref", p.get("name")) for p in operation.get("parameters", [])]
            if "#/components/parameters/cursor" in refs:
                routes.append(f"{method.upper()} {path}")
    return routes


PAGED_ROUTES = _paged_routes()


def _id_routes() -> list[tuple[str, str]]:
    """(method, rule) for every URL rule of the app that takes an id."""
    app = create_app(make_config("postgresql://unused@127.0.0.1/unused"))
    routes = []
    for rule in app.url_map.iter_rules():
        if "raw_id" in rule.arguments:
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                routes.append((method, rule.rule))
    return routes


ID_ROUTES = _id_routes()


def test_the_sweeps_cover_the_routes_we_know():
    assert {"GET /api/optimize/history", "GET /api/audit"} <= set(PAGED_ROUTES)
    assert {
        ("GET", "/api/optimize/history/<raw_id>"),
        ("DELETE", "/api/optimize/history/<raw_id>"),
        ("PATCH", "/api/users/<raw_id>"),
        ("DELETE", "/api/users/<raw_id>"),
        ("DELETE", "/api/keys/<raw_id>"),
    } <= set(ID_ROUTES)


@pytest.fixture
def admin(client, auth):
    """An admin's header, with two optimizations and two audited key creations to page over."""
    header = Auth.header(auth.register("acme")["accessToken"])
    text = "Could you please write a short summary of the quarterly report?"
    for name in ("one", "two"):
        assert client.post("/api/optimize", json={"text": text}, headers=header).status_code == 200
        assert client.post("/api/keys", json={"name": name}, headers=header).status_code == 201
        items = [{"customId": name, "text": text}]
        assert client.post("/api/batches", json={"items": items}, headers=header).status_code == 202
    return header


@pytest.mark.parametrize("route", PAGED_ROUTES)
@pytest.mark.parametrize("cursor", MALFORMED_CURSORS.values(), ids=MALFORMED_CURSORS.keys())
def test_a_malformed_cursor_is_400_on_every_paged_route(client, admin, route, cursor):
    method, path = route.split(" ", 1)
    response = client.open(path, method=method, query_string={"cursor": cursor}, headers=admin)
    assert response.status_code == 400, response.get_data(as_text=True)
    body = response.get_json()
    assert body["code"] == "validation_error"
    assert [d["field"] for d in body["details"]] == ["cursor"]


# A webhook's deliveries need an endpoint and its attempts: tests/test_webhooks.py pages them.
@pytest.mark.parametrize("route", [route for route in PAGED_ROUTES if "{" not in route])
def test_a_returned_cursor_still_works(client, admin, route):
    method, path = route.split(" ", 1)
    first = client.open(path, method=method, query_string={"limit": 1}, headers=admin)
    cursor = first.get_json()["nextCursor"]
    assert cursor
    second = client.open(
        path, method=method, query_string={"limit": 1, "cursor": cursor}, headers=admin
    )
    assert second.status_code == 200
    assert second.get_json()["data"][0]["id"] != first.get_json()["data"][0]["id"]


@pytest.mark.parametrize("route", PAGED_ROUTES)
def test_deep_nesting_in_any_query_value_is_never_a_500(client, admin, route):
    method, path = route.split(" ", 1)
    deep = "[" * 1000
    operation = load_document()["paths"][path][method.lower()]
    names = {p.get("name") or p["$ref"].rsplit("/", 1)[1] for p in operation["parameters"]}
    for name in names:
        response = client.open(path, method=method, query_string={name: deep}, headers=admin)
        assert response.status_code == 400, (name, response.get_data(as_text=True))
        assert name in [d["field"] for d in response.get_json()["details"]]


@pytest.mark.parametrize(("method", "rule"), ID_ROUTES, ids=str)
@pytest.mark.parametrize("raw", MALFORMED_IDS.values(), ids=MALFORMED_IDS.keys())
def test_a_malformed_id_is_404_on_every_route_with_an_id(client, admin, method, rule, raw):
    path = rule.replace("<raw_id>", quote(raw, safe="%"))
    response = client.open(path, method=method, json={"fullName": "X"}, headers=admin)
    assert response.status_code == 404, response.get_data(as_text=True)
    assert response.get_json()["code"] == "not_found"
