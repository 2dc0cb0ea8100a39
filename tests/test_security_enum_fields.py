"""Issue 15 item 4: a key that is present must hold a valid value; null or "" is not "absent".

The routes and their enumerated fields come from the OpenAPI document, so a new enum field
is covered without editing this file.
"""

from __future__ import annotations

import psycopg2
import pytest

from refinery.api.openapi import load_document
from tests.conftest import Auth

PROMPT = "Could you please write a short summary of the quarterly report for the team?"
BAD_VALUES = [None, "", " ", 0, False, [], {}, "no-such-value"]
# A valid body per route, so that the field under test is the only thing wrong.
BASE_BODIES = {
    ("post", "/api/optimize"): {"text": PROMPT},
    ("post", "/api/invitations"): {"email": "new@acme.example.com"},
    ("post", "/api/batches"): {"items": [{"customId": "a", "text": PROMPT}]},
    ("patch", "/api/users/{id}"): {"fullName": "Renamed"},
}


def _resolve(document: dict, schema: dict) -> dict:
    """Follow a local $ref (the document's own components)."""
    while "$ref" in schema:
        node = document
        for part in schema["$ref"].lstrip("#/").split("/"):
            node = node[part]
        schema = {**node, **{k: v for k, v in schema.items() if k != "$ref"}}
    return schema


def _enum_fields() -> list[tuple[str, str, str, str]]:
    """(method, path, "body" or "query", field) for every enumerated field the API reads."""
    document = load_document()
    found = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            for parameter in operation.get("parameters", []):
                parameter = _resolve(document, parameter)
                schema = _resolve(document, parameter.get("schema", {}))
                if parameter["in"] == "query" and "enum" in schema:
                    found.append((method, path, "query", parameter["name"]))
            content = operation.get("requestBody", {}).get("content", {})
            body = _resolve(document, content.get("application/json", {}).get("schema", {}))
            for name, schema in body.get("properties", {}).items():
                if "enum" in _resolve(document, schema):
                    found.append((method, path, "body", name))
    return found


ENUM_FIELDS = _enum_fields()


def test_the_document_lists_the_enum_fields_we_expect():
    """The sweep below is not empty: it covers at least the fields issue 15 named."""
    fields = {(m, p, f) for m, p, _, f in ENUM_FIELDS}
    assert {
        ("post", "/api/invitations", "role"),
        ("patch", "/api/users/{id}", "role"),
        ("post", "/api/optimize", "strategy"),
        ("post", "/api/optimize", "compressionLevel"),
        ("post", "/api/optimize", "provider"),
        ("post", "/api/optimize", "outputFormat"),
        ("get", "/api/optimize/history", "status"),
        ("get", "/api/audit", "action"),
    } <= fields


@pytest.fixture
def org(client, auth, clean_db):
    """An admin's header, a member's id and the test database."""
    admin = Auth.header(auth.register("acme")["accessToken"])
    member = auth.add_member(admin, "m@acme.example.com")["user"]
    return admin, member["id"], clean_db


def _rows(database_url: str) -> tuple[int, int, int]:
    """Optimizations, users and the quota used: nothing may change on a refused request."""
    conn = psycopg2.connect(database_url)
    with conn, conn.cursor() as cur:
        cur.execute(
            "SELECT (SELECT count(*) FROM optimizations), (SELECT count(*) FROM users),"
            " (SELECT coalesce(sum(used_requests), 0) FROM subscriptions)"
        )
        row = cur.fetchone()
    conn.close()
    return row


@pytest.mark.parametrize(("method", "path", "where", "field"), ENUM_FIELDS, ids=str)
def test_a_present_enum_field_must_hold_one_of_its_values(client, org, method, path, where, field):
    admin, member, database_url = org
    url = path.format(id=member, provider="openai")
    before = _rows(database_url)
    for value in BAD_VALUES:
        if where == "query":
            if not isinstance(value, str):
                continue  # a query string only carries text
            response = client.open(url, method=method, query_string={field: value}, headers=admin)
        else:
            body = {**BASE_BODIES.get((method, path), {}), field: value}
            response = client.open(url, method=method, json=body, headers=admin)
        assert response.status_code == 400, (field, value, response.get_json())
        answer = response.get_json()
        assert answer["code"] == "validation_error"
        wrong = [d["field"] for d in answer["details"]]
        assert field in wrong, (field, value, answer)
        if (method, path) in BASE_BODIES or where == "query":
            assert wrong == [field], (field, value, answer)
    assert _rows(database_url) == before


def test_absent_enum_fields_take_their_defaults(client, org):
    admin, _, _ = org
    response = client.post("/api/optimize", json={"text": PROMPT}, headers=admin)
    assert response.status_code == 200
    body = response.get_json()
    assert (body["provider"], body["strategy"], body["compressionLevel"]) == (
        "local",
        "UNIVERSAL",
        "medium",
    )
    invited = client.post(
        "/api/invitations", json=BASE_BODIES[("post", "/api/invitations")], headers=admin
    )
    assert invited.status_code == 201
    assert invited.get_json()["role"] == "user"


@pytest.mark.parametrize(
    ("method", "path", "field", "value"),
    [
        ("post", "/api/optimize", "model", None),
        ("post", "/api/optimize", "model", ""),
        ("put", "/api/providers/openai", "apiKey", None),
        ("put", "/api/providers/openai", "apiKey", ""),
        ("put", "/api/providers/openai", "model", ""),
        ("put", "/api/providers/openai", "endpoint", ""),
        ("put", "/api/providers/openai", "isActive", None),
    ],
)
def test_optional_fields_refuse_null_and_empty_unless_null_clears(
    client, org, method, path, field, value
):
    admin, _, _ = org
    base = {"text": PROMPT} if path == "/api/optimize" else {"apiKey": "sk-test-key-12345"}
    response = client.open(path, method=method, json={**base, field: value}, headers=admin)
    assert response.status_code == 400, response.get_json()
    assert [d["field"] for d in response.get_json()["details"]] == [field]


def test_null_clears_a_providers_model_and_endpoint(client, org):
    admin, _, _ = org
    first = {"apiKey": "sk-test-key-12345", "model": "gpt-4o-mini"}
    assert client.put("/api/providers/openai", json=first, headers=admin).status_code == 201
    cleared = client.put(
        "/api/providers/openai", json={"model": None, "endpoint": None}, headers=admin
    )
    assert cleared.status_code == 200, cleared.get_json()
    assert (cleared.get_json()["model"], cleared.get_json()["endpoint"]) == (None, None)


@pytest.mark.parametrize(
    ("path", "name"),
    [
        *[("/api/optimize/history", name) for name in ("limit", "offset", "cursor", "from", "to")],
        *[("/api/audit", name) for name in ("limit", "offset", "cursor")],
        *[("/api/usage", name) for name in ("from", "to")],
    ],
)
def test_an_empty_query_value_is_not_absent(client, org, path, name):
    admin, _, _ = org
    response = client.get(f"{path}?{name}=", headers=admin)
    assert response.status_code == 400, response.get_json()
    assert [d["field"] for d in response.get_json()["details"]] == [name]
