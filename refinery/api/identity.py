"""JWT issuing and checking, and the decorator that says who is calling."""

from __future__ import annotations

import functools
import hashlib
import secrets
import uuid
from collections.abc import Callable
from datetime import timedelta

import jwt as pyjwt
from flask import Flask, current_app, g, request
from flask_jwt_extended import (
    JWTManager,
    create_access_token,
    create_refresh_token,
    decode_token,
    get_jti,
)
from psycopg2.extensions import connection

from refinery import audit, db
from refinery.api.errors import error_response
from refinery.api.ratelimit import limit_caller, limits_enabled
from refinery.errors import Forbidden, Unauthorized
from refinery.queries import api_keys, sessions

API_KEY_PREFIX = "rfy_"


def init_jwt(app: Flask) -> None:
    """Configure flask-jwt-extended (issuing, refresh tokens): HS256 only, our JSON errors.

    Access tokens on every authenticated request are checked by _access_claims below,
    with PyJWT directly, under the same rules.
    """
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
    jwt.token_verification_failed_loader(lambda header, data: reject("The token is invalid."))


def _session_ended() -> Unauthorized:
    """401 for an access token whose login session was ended (logout, reuse, removal)."""
    return Unauthorized("The session has ended; log in again.", code="token_revoked")


def _bearer_token() -> str:
    """The token of the Authorization header's Bearer credentials; else 401 unauthorized."""
    header = request.headers.get("Authorization")
    if header:
        for credentials in header.split(","):
            scheme, _, token = credentials.strip().partition(" ")
            if scheme.lower() == "bearer":
                return token.strip()
    raise Unauthorized("Authentication is required.", code="unauthorized")


def _access_claims() -> dict:
    """Verify the presented access token (signature, HS256 only, expiry, type, claims).

    PyJWT directly, once: the same checks flask-jwt-extended made, without its per-request
    machinery. 401 token_expired or invalid_token.
    """
    token = _bearer_token()
    try:
        claims = pyjwt.decode(
            token,
            current_app.config["JWT_SECRET_KEY"],
            algorithms=["HS256"],
            options={"require": ["exp", "sub"]},
        )
    except pyjwt.ExpiredSignatureError:
        raise Unauthorized("The token has expired.", code="token_expired") from None
    except pyjwt.InvalidTokenError:
        raise Unauthorized("The token is invalid.", code="invalid_token") from None
    try:
        if claims.get("type") != "access":
            raise ValueError("not an access token")
        for claim in ("sid", "sub", "org"):
            uuid.UUID(claims[claim])
    except (ValueError, KeyError, TypeError, AttributeError):
        raise Unauthorized("The token is invalid.", code="invalid_token") from None
    return claims


def _session_principal(organization_id: str, session_id: str, user_id: str) -> dict:
    """The member behind a live session (its own round trip); else 401 token_revoked."""
    # The organization comes from our own signature: it scopes the lookup itself.
    try:
        with db.reading(organization_id) as conn:
            principal = sessions.active_principal(conn, session_id, user_id)
    except db.SessionEnded:
        raise _session_ended() from None
    return dict(principal)


def record_action(conn: connection, action: str, *, actor: dict | None = None, **event) -> None:
    """Append an audit event by actor (default: the caller), from the request's address."""
    actor = actor if actor is not None else g.get("principal") or {}
    audit.record(conn, action, actor=actor, client_ip=request.remote_addr, **event)


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
    """An API key from X-API-Key, or from a Bearer token that looks like one.

    A request carrying both X-API-Key and Authorization is refused (401): which of two
    credentials acts must never depend on which one the server happens to read first.
    """
    key = request.headers.get("X-API-Key")
    if key is not None:
        if "Authorization" in request.headers:
            raise Unauthorized(
                "Send one credential: X-API-Key or Authorization, not both.",
                code="invalid_token",
            )
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


def _with_folded_check(claims: dict, view: Callable, args: tuple, kwargs: dict):
    """Run the view with the session check riding in front of its first statement.

    A view that sent no statement, or failed before one carried the check, is checked with
    a round trip of its own before it answers: a dead session's 401 comes first.
    """
    check = db.SessionCheck(claims["sid"], claims["sub"])
    g.principal = {
        "user_id": claims["sub"],
        "api_key_id": None,
        "organization_id": claims["org"],
        "role": None,
        "email": None,
        "session_id": claims["sid"],
        "session_check": check,
    }
    try:
        response = view(*args, **kwargs)
    except db.SessionEnded:
        raise _session_ended() from None
    except Exception:
        if not check.done:
            _session_principal(claims["org"], claims["sid"], claims["sub"])
        raise
    if not check.done:
        _session_principal(claims["org"], claims["sid"], claims["sub"])
    return response


def login_required(
    role: str | None = None, allow_api_key: bool = False, fold_session_check: bool = False
) -> Callable:
    """Require a live access token, or an API key where allowed, and the role when given.

    Sets g.principal: {user_id, api_key_id, organization_id, role, email, session_id}, and
    session_check on the folded path.

    fold_session_check: for views that need only the member's id and organization (not
    role or e-mail), the check that the token's session is still live is not a round trip
    of its own but rides in front of the view's first statement: g.principal["session_check"]
    (a db.SessionCheck) is passed to the view's db.reading/transaction/single_statement,
    which fails with 401 token_revoked when the session has ended. A view that sends no statement,
    or fails before it does, is checked with its own round trip before it answers. role and
    email are then None. With rate limits on, the check keeps its own round trip in front:
    a logged-out token must not spend its organization's per-minute budget.
    """
    if fold_session_check and role is not None:
        raise ValueError("a role check needs the member's current role: no folded check")

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
                claims = _access_claims()
                if not fold_session_check or limits_enabled():
                    principal = _session_principal(claims["org"], claims["sid"], claims["sub"])
                else:
                    return _with_folded_check(claims, limited, args, kwargs)
            if role is not None and principal["role"] != role:
                raise Forbidden(f"This requires the {role} role.")
            g.principal = principal
            return limited(*args, **kwargs)

        return wrapper

    return decorate
