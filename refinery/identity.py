"""JWT issuing and checking, and the decorator that says who is calling."""

from __future__ import annotations

import functools
import hashlib
import secrets
import uuid
from collections.abc import Callable
from datetime import timedelta

from flask import Flask, g, request
from flask_jwt_extended import (
    JWTManager,
    create_access_token,
    create_refresh_token,
    current_user,
    decode_token,
    get_jti,
    verify_jwt_in_request,
)

from refinery import db
from refinery.errors import Forbidden, Unauthorized, error_response
from refinery.queries import api_keys, sessions
from refinery.ratelimit import limit_caller

API_KEY_PREFIX = "rfy_"


def init_jwt(app: Flask) -> None:
    """Configure flask-jwt-extended: HS256 only, headers only, our JSON errors."""
    config = app.config["REFINERY"]
    app.config.update(
        JWT_SECRET_KEY=config.jwt_secret,
        JWT_ALGORITHM="HS256",
        JWT_DECODE_ALGORITHMS=["HS256"],
        JWT_TOKEN_LOCATION=["headers"],
        JWT_COOKIE_CSRF_PROTECT=False,  # tokens never travel in cookies
        JWT_ACCESS_TOKEN_EXPIRES=timedelta(seconds=config.jwt_expiry),
        JWT_REFRESH_TOKEN_EXPIRES=timedelta(seconds=config.jwt_refresh_expiry),
    )
    jwt = JWTManager(app)

    def reject(message: str, code: str = "invalid_token"):
        return error_response(Unauthorized(message, code=code))

    jwt.unauthorized_loader(lambda reason: reject("Authentication is required.", "unauthorized"))
    jwt.invalid_token_loader(lambda reason: reject("The token is invalid."))
    jwt.expired_token_loader(lambda header, data: reject("The token has expired.", "token_expired"))
    jwt.revoked_token_loader(lambda header, data: reject("The token was revoked.", "token_revoked"))
    jwt.user_lookup_error_loader(
        lambda header, data: reject("The session has ended; log in again.", "token_revoked")
    )
    jwt.token_verification_failed_loader(lambda header, data: reject("The token is invalid."))

    @jwt.user_lookup_loader
    def load_principal(header: dict, data: dict) -> dict | None:
        """The member behind an access token, while its session lives."""
        try:
            for claim in ("sid", "sub", "org"):
                uuid.UUID(str(data[claim]))
        except (ValueError, KeyError):
            return None
        # The organization comes from our own signature: it scopes the lookup itself.
        with db.reading(data["org"]) as conn:
            return sessions.active_principal(conn, data["sid"], data["sub"])


def issue_tokens(user: dict, session_id: str) -> tuple[str, str, str]:
    """An access token and a refresh token for a session: (access, refresh, refresh_jti)."""
    claims = {"org": str(user["organization_id"]), "role": user["role"], "sid": session_id}
    identity = str(user["id"])
    access = create_access_token(identity=identity, additional_claims=claims)
    refresh = create_refresh_token(
        identity=identity, additional_claims={"org": claims["org"], "sid": session_id}
    )
    return access, refresh, get_jti(refresh)


def read_refresh_token(token: str) -> dict:
    """Verify a refresh token's signature, expiry and type; return its claims."""
    claims = decode_token(token)
    if claims.get("type") != "refresh":
        raise Unauthorized("A refresh token is required.", code="invalid_token")
    try:
        uuid.UUID(str(claims.get("sid")))
        uuid.UUID(str(claims.get("org")))
    except ValueError:
        raise Unauthorized("The token is invalid.", code="invalid_token") from None
    return claims


def new_api_key() -> tuple[str, str, str]:
    """A fresh key: (the secret shown once, its display prefix, its SHA-256 hex)."""
    secret = API_KEY_PREFIX + secrets.token_urlsafe(32)  # 32 random bytes
    return secret, secret[:12], hash_api_key(secret)


def hash_api_key(secret: str) -> str:
    """How a key is stored and looked up: SHA-256, hex (the key is random, so no salt)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def _presented_api_key() -> str | None:
    """An API key from X-API-Key, or from a Bearer token that looks like one."""
    key = request.headers.get("X-API-Key")
    if key is not None:
        return key.strip()
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip().startswith(API_KEY_PREFIX):
        return token.strip()
    return None


def _api_key_principal(key: str) -> dict:
    """The organization acting through a live key, with a member's rights; else 401."""
    principal = None
    if key.startswith(API_KEY_PREFIX) and len(key) <= 128:
        # No organization yet: the key is looked up through a narrow database function.
        with db.reading(None) as conn:
            principal = api_keys.authenticate_key(conn, hash_api_key(key))
    if principal is None:
        raise Unauthorized("The API key is invalid or revoked.", code="invalid_api_key")
    return dict(principal)


def login_required(role: str | None = None, allow_api_key: bool = False) -> Callable:
    """Require a live access token, or an API key where allowed, and the role when given.

    Sets g.principal: {user_id, api_key_id, organization_id, role, email}.
    """

    def decorate(view: Callable) -> Callable:
        limited = limit_caller(view)

        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            key = _presented_api_key()
            if key is not None:
                principal = _api_key_principal(key)
                if not allow_api_key:
                    raise Forbidden(
                        "API keys cannot be used here; a member must log in.",
                        code="api_key_not_allowed",
                    )
            else:
                verify_jwt_in_request()
                principal = dict(current_user)
            if role is not None and principal["role"] != role:
                raise Forbidden(f"This requires the {role} role.")
            g.principal = principal
            return limited(*args, **kwargs)

        return wrapper

    return decorate
