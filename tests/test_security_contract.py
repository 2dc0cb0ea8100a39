"""The OpenAPI document and the server agree: what one calls valid, the other accepts.

tests/test_schemathesis.py fuzzes every operation with every check; these are the classes
its findings belong to, spelled out: the document's patterns are judged with JSON Schema's
own regular expressions (ECMA-262, via jsonschema_rs), the server through the real app.
"""

from __future__ import annotations

import jsonschema_rs
import pytest

from refinery.api.openapi import load_document
from refinery.llm import validate_endpoint
from tests.conftest import PASSWORD

DOCUMENT = load_document()
SCHEMAS = DOCUMENT["components"]["schemas"]
PROVIDER_BODY = DOCUMENT["paths"]["/api/providers/{provider}"]["put"]["requestBody"]
ENDPOINT = PROVIDER_BODY["content"]["application/json"]["schema"]["properties"]["endpoint"]

# Every character Python or JSON Schema calls white space, and a few controls.
ODD_CHARACTERS = sorted(
    {chr(c) for c in range(0x3001) if chr(c).isspace()} | {"\ufeff", "\x00", "\x01", "\x7f"}
)


def _valid(schema: dict, value: object) -> bool:
    """Whether the document's schema (its $refs resolved) accepts value."""
    return jsonschema_rs.validator_for({**schema, "components": DOCUMENT["components"]}).is_valid(
        value
    )


@pytest.mark.parametrize("char", ODD_CHARACTERS, ids=lambda c: f"U+{ord(c):04X}")
def test_an_email_is_valid_to_the_document_exactly_when_the_server_takes_it(app, char):
    """U+001C and friends: JSON Schema's \\s and Python's differ, so neither is used."""
    email = f"a{char}b@example.com"
    answer = app.test_client().post(
        "/api/auth/register",
        json={
            "email": email,
            "password": PASSWORD,
            "fullName": "Someone",
            "organizationName": "Org",
            "organizationSlug": f"org-{ord(char):x}",
        },
    )
    assert answer.status_code in (201, 400), answer.get_json()
    assert _valid(SCHEMAS["EmailInput"], email) == (answer.status_code == 201)


@pytest.mark.parametrize(
    "url",
    [
        "https://api.example.com/v1",
        "https://api.example.com.",
        "https://a-b.example.co/v1/openai",
        "https://203.0.114.7:8443",
        "https://[2606:4700::1111]/v1",
        "https://[::g]",
        "https://[1:2:3:4:5:6:7:8:9]",
        "https://0",
        "https://127.1",
        "https://2130706433",
        "https://0x7f.1",
        "https://api.example.com:0",
        "https://api.example.com:65536",
        "https://api.example.com/a b",
        "https://api.example.com/?x=1",
        "https://api.example.com/#top",
        "https://user:pw@api.example.com",
        "https://exämple.com",
        "https://a..b",
        "https://-a.com",
        "ftp://api.example.com",
    ],
)
def test_an_endpoint_is_valid_to_the_document_exactly_when_its_form_is_accepted(url):
    """The document's endpoint pattern says what the server's check of the form says."""
    try:
        validate_endpoint(url, allow_private=True)  # the form only: no DNS, no address rules
        accepted = True
    except ValueError:
        accepted = False
    assert _valid(ENDPOINT, url) == accepted


@pytest.mark.parametrize("path", ["/api/optimize/history", "/api/usage"])
@pytest.mark.parametrize(
    "query",
    [
        {"to": "9999-12-31"},
        {"to": "9999-12-31T23:59:59-12:00"},
        {"from": "0001-01-01T00:00:00+14:00"},
        {"from": "2026-02-01", "to": "2026-01-01"},
    ],
)
def test_moments_the_document_allows_are_answered(auth, path, query):
    """Valid dates at the ends of the calendar, and a backwards period, are not refused."""
    schema = SCHEMAS["Moment"]
    assert all(_valid(schema, value) for value in query.values())
    header = auth.header(auth.register("moments")["accessToken"])
    answer = auth.client.get(path, query_string=query, headers=header)
    assert answer.status_code == 200, answer.get_json()


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/api/optimize/history", "cursor"),
        ("/api/optimize/history", "from"),
        ("/api/optimize/history", "status"),
        ("/api/optimize/history", "limit"),
        ("/api/usage", "to"),
        ("/api/audit", "action"),
    ],
)
def test_an_empty_query_value_is_refused_not_taken_as_absent(auth, path, name):
    """`?cursor=` is not a cursor, `?status=` not a status: the document calls "" invalid."""
    header = auth.header(auth.register("empties")["accessToken"])
    answer = auth.client.get(f"{path}?{name}=", headers=header)
    assert answer.status_code == 400
    assert answer.get_json()["details"][0]["field"] == name


@pytest.mark.parametrize("authorization", ["Bearer not-a-token", "Bearer rfy_other"])
def test_a_request_with_two_credentials_is_refused(auth, authorization):
    """An API key beside any Authorization header is 401: never "the first one read wins"."""
    token = auth.register("two-creds")["accessToken"]
    key = auth.client.post("/api/keys", json={"name": "k"}, headers=auth.header(token))
    headers = {"X-API-Key": key.get_json()["key"], "Authorization": authorization}
    answer = auth.client.get("/api/usage", headers=headers)
    assert answer.status_code == 401
    assert answer.get_json()["code"] == "invalid_token"


@pytest.mark.parametrize("body", [{}, {"unknown": 1}])
def test_a_member_change_naming_nothing_is_invalid_to_both(auth, body):
    """PATCH /api/users/{id} needs fullName or role: the document says so too."""
    schema = DOCUMENT["paths"]["/api/users/{id}"]["patch"]["requestBody"]["content"]
    assert not _valid(schema["application/json"]["schema"], body)
    registered = auth.register("patchers")
    header = auth.header(registered["accessToken"])
    answer = auth.client.patch(f"/api/users/{registered['user']['id']}", json=body, headers=header)
    assert answer.status_code == 400
