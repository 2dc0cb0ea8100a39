"""Issue #15, item 15 (e-mail part): no control, format (bidi, zero-width), separator or
private-use character in an address, wherever one is accepted, by one rule."""

from __future__ import annotations

import sys
import unicodedata

import pytest

from tests.conftest import PASSWORD

REFUSED_CATEGORIES = ("Cc", "Cf", "Co", "Zs", "Zl", "Zp")
# The class, from the running Python's Unicode tables (private use: its first and last of
# each area, not all 137,468); NUL and surrogates are refused before, as unstorable.
_PRIVATE_USE = {0xE000, 0xF8FF, 0xF0000, 0xFFFFD, 0x100000, 0x10FFFD}
CLASS = [
    chr(code)
    for code in range(1, sys.maxunicode + 1)
    if unicodedata.category(chr(code)) in REFUSED_CATEGORIES
    and (unicodedata.category(chr(code)) != "Co" or code in _PRIVATE_USE)
]
EXAMPLES = {
    "ansi-escape": "\x1b[31mred\x1b[0m",
    "bidi-override": "gnp.\u202eexe",
    "zero-width-space": "ad\u200bmin",
    "zero-width-joiner": "ad\u200dmin",
    "bom": "\ufeffadmin",
    "delete": "ad\x7fmin",
    "c1-control": "ad\x85min",
    "line-separator": "ad\u2028min",
    "newline": "ad\nmin",
    "tag-character": "ad\U000e0041min",
}


def _register(client, email: str, slug: str = "some-org"):
    """POST /api/auth/register with this e-mail; the response."""
    body = {
        "email": email,
        "password": PASSWORD,
        "fullName": "Someone",
        "organizationName": "Org",
        "organizationSlug": slug,
    }
    return client.post("/api/auth/register", json=body)


def _refused_on_email(response) -> bool:
    """A 400 validation_error naming the email field."""
    body = response.get_json()
    return (
        response.status_code == 400
        and body["code"] == "validation_error"
        and "email" in {d["field"] for d in body["details"]}
    )


def test_the_class_covers_what_the_issue_names():
    assert {"\x1b", "\u202e", "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"} <= set(CLASS)
    assert len(CLASS) > 200


def test_registration_refuses_every_character_of_the_class(client):
    accepted = [
        f"U+{ord(char):04X}"
        for char in CLASS
        if not _refused_on_email(_register(client, f"ad{char}min@example.com"))
    ]
    assert accepted == []


@pytest.mark.parametrize("local", EXAMPLES.values(), ids=EXAMPLES.keys())
def test_login_and_invitations_refuse_them_too(client, auth, local):
    admin = auth.header(auth.register("acme")["accessToken"])
    email = f"{local}@example.com"
    assert _refused_on_email(auth.login(email))
    invited = client.post("/api/invitations", json={"email": email}, headers=admin)
    assert _refused_on_email(invited)
    assert _refused_on_email(_register(client, email))


def test_letters_of_any_script_and_symbols_are_still_addresses(client, auth):
    for n, local in enumerate(["jörg", "张伟", "o'brien+tag", "δοκιμή", "user_name-1"]):
        response = _register(client, f"{local}@example.com", slug=f"org-{n}")
        assert response.status_code == 201, (local, response.get_json())
        assert auth.login(f"{local}@example.com").status_code == 200
