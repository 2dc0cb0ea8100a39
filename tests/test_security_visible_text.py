"""Issue 15 item 15 (part): text with no visible character is refused, and a provider's
model follows the same pattern as the optimize `model` field (one definition)."""

from __future__ import annotations

import psycopg2
import pytest

from refinery.api.validation import MODEL, has_visible
from tests.conftest import Auth

# Each shows nothing: zero-width, joiners, BOM, bidi controls, word joiner, soft hyphen,
# Hangul fillers, the blank braille pattern, combining marks with no base, tags,
# variation selectors, ideographic and no-break spaces, and controls.
INVISIBLE = [
    "\u200b",
    "\u200b\u200c\u200d\ufeff",
    "\u2060\u2061\u2062\u2063\u2064",
    "\u202e\u202a\u202c\u2066\u2069\u200e\u200f",
    "\u00ad\u180e",
    "\u3164\u115f\u1160\uffa0",
    "\u2800\u2800",
    "\u0301\u0308\u034f",
    "\U000e0041\U000e007f",
    "\ufe0f\ufe0e",
    "\u3000\u00a0\u2007",
    "\x01\x1b\x7f\u0085",
    " \u200b \t\u200b\n",
]
VISIBLE = ["a", "\u200bok\u200b", "日本", "🙂", "\u00e9", "e\u0301", "1", "\ue000"]
# Every free-text field, with a valid body around it.
TEXT_FIELDS = [
    ("POST", "/api/optimize", {}, "text"),
    (
        "POST",
        "/api/invitations/accept",
        {"token": "an-unknown-token-of-a-plausible-length-000000", "password": "password-123"},
        "fullName",
    ),
    ("PATCH", "/api/users/{member}", {}, "fullName"),
    ("PATCH", "/api/organization", {}, "name"),
    ("POST", "/api/keys", {}, "name"),
    (
        "POST",
        "/api/auth/register",
        {
            "email": "x@other.example.com",
            "password": "password-123",
            "fullName": "X",
            "organizationName": "Other",
            "organizationSlug": "other",
        },
        "fullName",
    ),
    (
        "POST",
        "/api/auth/register",
        {
            "email": "x@other.example.com",
            "password": "password-123",
            "fullName": "X",
            "organizationName": "Other",
            "organizationSlug": "other",
        },
        "organizationName",
    ),
]


@pytest.mark.parametrize("text", INVISIBLE)
def test_invisible_text_has_nothing_visible(text):
    assert not has_visible(text)


@pytest.mark.parametrize("text", VISIBLE)
def test_visible_text_is_seen(text):
    assert has_visible(text)


@pytest.fixture
def org(client, auth, clean_db):
    """An admin's header, a member's id and the database."""
    admin = Auth.header(auth.register("acme")["accessToken"])
    member = auth.add_member(admin, "m@acme.example.com")["user"]
    return admin, member["id"], clean_db


def _used(database_url: str) -> tuple[int, int]:
    """The quota used and the optimizations recorded."""
    conn = psycopg2.connect(database_url)
    with conn, conn.cursor() as cur:
        cur.execute(
            "SELECT (SELECT sum(used_requests) FROM subscriptions),"
            " (SELECT count(*) FROM optimizations)"
        )
        row = cur.fetchone()
    conn.close()
    return row


@pytest.mark.parametrize(("method", "path", "base", "field"), TEXT_FIELDS, ids=str)
def test_every_text_field_refuses_text_with_nothing_visible(client, org, method, path, base, field):
    admin, member, database_url = org
    before = _used(database_url)
    for value in INVISIBLE:
        body = {**base, field: value}
        response = client.open(path.format(member=member), method=method, json=body, headers=admin)
        assert response.status_code == 400, (repr(value), response.get_json())
        answer = response.get_json()
        assert answer["code"] == "validation_error"
        assert [d["field"] for d in answer["details"]] == [field], answer
    assert _used(database_url) == before, "nothing charged, nothing recorded"


def test_a_prompt_with_visible_text_among_zero_width_is_accepted(client, org):
    admin, _, _ = org
    text = "\u200bPlease summarize the attached report for the board.\u200b"
    assert client.post("/api/optimize", json={"text": text}, headers=admin).status_code == 200


MODELS_REFUSED = [
    "any text <b> ;",
    "-leading-hyphen",
    "a" * 129,
    "gpt\u200b4o",
    "gpt 4o",
    "model\nINFO forged",
    "ünïcode",
    "",
]
MODELS_ACCEPTED = ["gpt-4o-mini", "claude-3-5-haiku-latest", "models/gemini-1.5:flash@2", "a"]


def test_the_model_pattern_is_one_definition():
    from refinery.api import credentials, optimize

    assert not hasattr(optimize, "_MODEL") and not hasattr(credentials, "_MODEL")
    for model in MODELS_ACCEPTED:
        assert MODEL.match(model)


@pytest.mark.parametrize("model", MODELS_REFUSED)
def test_provider_and_optimize_models_refuse_the_same_text(client, org, model):
    admin, _, _ = org
    put = client.put(
        "/api/providers/openai",
        json={"apiKey": "sk-test-key-12345", "model": model},
        headers=admin,
    )
    post = client.post(
        "/api/optimize", json={"text": "Summarize this report.", "model": model}, headers=admin
    )
    for response in (put, post):
        assert response.status_code == 400, response.get_json()
        assert [d["field"] for d in response.get_json()["details"]] == ["model"]


@pytest.mark.parametrize("model", MODELS_ACCEPTED)
def test_a_provider_model_id_is_accepted(client, org, model):
    admin, _, _ = org
    put = client.put(
        "/api/providers/openai",
        json={"apiKey": "sk-test-key-12345", "model": model},
        headers=admin,
    )
    assert put.status_code == 201, put.get_json()
    assert put.get_json()["model"] == model
