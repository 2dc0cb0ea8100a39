"""Reading JSON bodies and checking their fields, with one error per bad field."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

from flask import request

from refinery.errors import APIError, NotFound, ValidationError

EMAIL = re.compile(
    r"^[^@\s]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)
SLUG = re.compile(r"^[a-z0-9](-?[a-z0-9])*$")
# Surrogates cannot be encoded to UTF-8 and NUL cannot be stored by PostgreSQL.
_UNSTORABLE = re.compile(r"[\x00\ud800-\udfff]")


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
        min_len: int = 1,
        max_len: int = 255,
        strip: bool = True,
    ) -> str | None:
        """A string field of min_len..max_len characters (after stripping)."""
        value = self.data.get(name)
        if value is None:
            if required:
                self.fail(name, "is required")
            return None
        if not isinstance(value, str):
            self.fail(name, "must be a string")
            return None
        if _UNSTORABLE.search(value):
            self.fail(name, "must not contain NUL characters or unpaired surrogates")
            return None
        if strip:
            value = value.strip()
        if not min_len <= len(value) <= max_len:
            self.fail(name, f"must be {min_len} to {max_len} characters")
            return None
        return value

    def email(self, name: str = "email") -> str | None:
        """An e-mail address, stripped; case is kept but compared case-insensitively."""
        value = self.string(name, min_len=3, max_len=254)
        if value is not None and not EMAIL.match(value):
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

    def choice(self, name: str, allowed: tuple[str, ...], default: str | None = None) -> str | None:
        """One of `allowed`, matched case-insensitively; `default` only when the key is absent.

        A key that is present must hold one of the values: null or "" is an error.
        """
        if name not in self.data:
            if default is None:
                self.fail(name, f"must be one of: {', '.join(allowed)}")
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
