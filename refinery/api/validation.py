"""Reading JSON bodies and checking their fields, with one error per bad field."""

from __future__ import annotations

import json
import re
import unicodedata
import uuid
from typing import Any

from flask import request

from refinery.errors import APIError, NotFound, ValidationError

EMAIL = re.compile(
    r"^[^@\s]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)
# Characters no address may hold in its local part: controls (ANSI escapes start with
# one), format characters (bidi overrides, zero-width spaces and joiners), separators,
# surrogates and private-use characters. By Unicode category, so the whole class is out.
_EMAIL_FORBIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Zs", "Zl", "Zp"})
SLUG = re.compile(r"^[a-z0-9](-?[a-z0-9])*$")
# Surrogates cannot be encoded to UTF-8 and NUL cannot be stored by PostgreSQL.
_UNSTORABLE = re.compile(r"[\x00\ud800-\udfff]")
# A model id of an LLM provider: the one definition for optimize and PUT /api/providers.
MODEL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/@-]{0,127}$")
# Characters that show nothing on their own: controls, format characters (zero-width,
# bidi marks, BOM, tags), separators and combining marks with no base. An unassigned code
# point is not among them: it is drawn (as a box) and may be assigned by a newer Unicode.
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zs", "Zl", "Zp", "Mn", "Me"})
# Letters and symbols that are drawn blank: Hangul fillers and the blank braille pattern.
_BLANK_GLYPHS = frozenset("\u115f\u1160\u3164\uffa0\u2800")


def has_visible(text: str) -> bool:
    """Whether the text holds at least one character that shows something."""
    return any(
        not char.isspace()
        and char not in _BLANK_GLYPHS
        and unicodedata.category(char) not in _INVISIBLE_CATEGORIES
        for char in text
    )


def path_id(raw: str, what: str) -> str:
    """An object id from the URL; anything that is not a UUID cannot exist (404)."""
    try:
        return str(uuid.UUID(raw))
    except ValueError:
        raise NotFound(f"{what} not found.") from None


def json_body() -> dict[str, Any]:
    """The request body as a JSON object, or a 415/400 APIError."""
    if not request.is_json:
        raise APIError(
            "Send a JSON body with Content-Type: application/json.",
            code="unsupported_media_type",
            status=415,
        )
    try:
        data = json.loads(request.get_data(cache=True))
    except (ValueError, RecursionError):
        raise APIError("The request body is not valid JSON.", code="invalid_json") from None
    if not isinstance(data, dict):
        raise APIError("The request body must be a JSON object.", code="invalid_json")
    return data


class Fields:
    """Collects per-field errors while reading values out of a JSON object."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self.errors: list[dict[str, str]] = []

    def fail(self, name: str, message: str) -> None:
        """Record one field's error."""
        self.errors.append({"field": name, "message": message})

    def string(
        self,
        name: str,
        *,
        required: bool = True,
        nullable: bool = False,
        min_len: int = 1,
        max_len: int = 255,
        strip: bool = True,
        visible: bool | None = None,
    ) -> str | None:
        """A string field of min_len..max_len characters (after stripping).

        Absent: None (an error if required). Present, it must be a string, except that
        null is None where `nullable` (a value that can be cleared). `visible` (by default
        when stripping; never for passwords) asks for at least one visible character.
        """
        if name not in self.data:
            if required:
                self.fail(name, "is required")
            return None
        value = self.data[name]
        if value is None:
            if required:
                self.fail(name, "is required")
            elif not nullable:
                self.fail(name, "must be a string")
            return None
        if not isinstance(value, str):
            self.fail(name, "must be a string" + (" or null" if nullable else ""))
            return None
        if _UNSTORABLE.search(value):
            self.fail(name, "must not contain NUL characters or unpaired surrogates")
            return None
        if strip:
            value = value.strip()
        if not min_len <= len(value) <= max_len:
            self.fail(name, f"must be {min_len} to {max_len} characters")
            return None
        if (strip if visible is None else visible) and min_len > 0 and not has_visible(value):
            self.fail(name, "must contain a visible character (not only blank or zero-width ones)")
            return None
        return value

    def email(self, name: str = "email") -> str | None:
        """An e-mail address, stripped; case is kept but compared case-insensitively.

        The one check of an address wherever one is accepted (register, login,
        invitations): its shape, and no invisible or control character in it.
        """
        value = self.string(name, min_len=3, max_len=254)
        if value is None:
            return None
        if any(unicodedata.category(char) in _EMAIL_FORBIDDEN_CATEGORIES for char in value):
            self.fail(
                name,
                "must not contain control, format (bidi, zero-width) or space characters",
            )
            return None
        if any(ord(char) > 0xFFFF for char in value):
            # Emoji and other astral characters: no mail system we know delivers to them,
            # and the OpenAPI document can only spell the rule out this way.
            self.fail(name, "must not contain characters outside the Basic Multilingual Plane")
            return None
        if not EMAIL.match(value):
            self.fail(name, "must be an e-mail address like name@example.com")
            return None
        return value

    def password(self, name: str = "password") -> str | None:
        """A password of 8..72 UTF-8 bytes: bcrypt ignores what lies past 72, so refuse it."""
        value = self.string(name, min_len=1, max_len=1000, strip=False)
        if value is None:
            return None
        size = len(value.encode("utf-8"))
        if size < 8:
            self.fail(name, "must be at least 8 characters")
            return None
        if size > 72:
            self.fail(name, "must be at most 72 bytes in UTF-8 (bcrypt's limit)")
            return None
        return value

    def slug(self, name: str) -> str | None:
        """A lowercase slug: letters, digits and single hyphens, 3..63 characters."""
        value = self.string(name, min_len=3, max_len=63)
        if value is not None and not SLUG.match(value):
            self.fail(name, "must be lowercase letters and digits, single hyphens between them")
            return None
        return value

    def model(self, name: str = "model", *, nullable: bool = False) -> str | None:
        """An optional model id of an LLM provider (MODEL); null only where `nullable`."""
        value = self.string(name, required=False, nullable=nullable, max_len=128)
        if value is not None and not MODEL.match(value):
            self.fail(name, "must be a model id like gpt-4o-mini")
            return None
        return value

    def choice(self, name: str, allowed: tuple[str, ...], default: str | None = None) -> str | None:
        """One of `allowed`, matched case-insensitively; `default` only when the key is absent.

        A key that is present must hold one of the values: null or "" is an error, not
        "absent". Without a default the key is required.
        """
        if name not in self.data:
            if default is None:
                self.fail(name, f"is required: one of {', '.join(allowed)}")
            return default
        value = self.data[name]
        if isinstance(value, str):
            for option in allowed:
                if option.lower() == value.strip().lower():
                    return option
        self.fail(name, f"must be one of: {', '.join(allowed)}")
        return None

    def optional_choice(self, name: str, allowed: tuple[str, ...]) -> str | None:
        """Like choice, but absence means None (a filter that is not set)."""
        if name not in self.data:
            return None
        return self.choice(name, allowed)

    def check(self) -> None:
        """Raise a ValidationError listing every failed field, if any."""
        if self.errors:
            raise ValidationError(details=self.errors)
