"""The auth blueprint: register, login, refresh, logout, me."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from flask import Blueprint, current_app, g, jsonify, request

from refinery import db
from refinery.api.identity import issue_tokens, login_required, read_refresh_token, record_action
from refinery.api.ratelimit import per_client_registration
from refinery.api.serializers import organization_json, subscription_json, user_json
from refinery.api.validation import Fields, json_body
from refinery.errors import Conflict, NotFound, TooManyRequests, Unauthorized, ValidationError
from refinery.passwords import check_password, hash_password, needs_rehash
from refinery.queries import login_attempts, organizations, sessions, users

bp = Blueprint("auth", __name__, url_prefix="/api/auth")


def _settings():
    """The validated service configuration."""
    return current_app.config["REFINERY"]


def _client_ip() -> str:
    """The caller's address (as ProxyFix saw it when behind a trusted proxy)."""
    return request.remote_addr or "unknown"


def member_actor(user: dict) -> dict:
    """A member as the actor of an audit event."""
    return {
        "user_id": user["id"],
        "organization_id": user["organization_id"],
        "email": user["email"],
    }


def start_session(conn, user: dict) -> dict:
    """Open a login session and return the token pair for it."""
    session_id = str(uuid.uuid4())
    access, refresh, jti = issue_tokens(user, session_id)
    sessions.create_session(
        conn,
        session_id,
        user,
        jti,
        _settings().jwt_refresh_expiry,
        _client_ip(),
        request.headers.get("User-Agent"),
    )
    return {"accessToken": access, "refreshToken": refresh}


@bp.post("/register")
@per_client_registration
def register():
    """Create an organization, its first admin and a free subscription, in one transaction."""
    fields = Fields(json_body())
    email = fields.email()
    password = fields.password()
    full_name = fields.string("fullName")
    org_name = fields.string("organizationName")
    slug = fields.slug("organizationSlug")
    fields.check()

    password_hash = hash_password(password, _settings().bcrypt_rounds)
    # The id is chosen here so the transaction can act as the new organization from its
    # first statement (row-level security checks every insert against it).
    organization_id = str(uuid.uuid4())
    with db.transaction(organization_id) as conn:
        org = organizations.create_organization(conn, organization_id, org_name, slug)
        if org is None:
            raise Conflict("That organization slug is taken.", code="slug_taken")
        user = users.create_user(conn, org["id"], email, password_hash, full_name, "admin")
        if user is None:
            raise Conflict("An account with that e-mail already exists.", code="email_taken")
        tokens = start_session(conn, user)
        record_action(
            conn,
            "organization.registered",
            actor=member_actor(user),
            target_type="organization",
            target_id=org["id"],
            details={"slug": slug},
        )
    body = {**tokens, "user": user_json(user), "organization": organization_json(org)}
    return jsonify(body), 201


def reserve_password_check(organization_id: str | None, email: str, find: Callable) -> dict | None:
    """Reserve one password check for the account and the caller's address, then find.

    The one gate in front of every bcrypt check of a member's password (login, password
    change): the reservation commits before bcrypt runs, and past LOGIN_MAX_FAILURES_PER_*
    within LOGIN_THROTTLE_WINDOW it is refused (429 login_throttled) and takes nothing.
    Returns find(conn), run in the same transaction; a check that then succeeds gives the
    reservation back with login_attempts.release.
    """
    settings = _settings()
    with db.transaction(organization_id) as conn:
        wait = login_attempts.reserve(
            conn,
            email,
            _client_ip(),
            settings.login_window,
            settings.login_max_per_account,
            settings.login_max_per_client,
        )
        if wait:
            # Raised inside the transaction: it rolls back, so a refused attempt, which
            # checks no password, takes nothing from either budget.
            raise TooManyRequests(
                "Too many failed password attempts; try again later.",
                code="login_throttled",
                retry_after=wait,
            )
        return find(conn)


def _record_wrong_password(organization_id: str | None, action: str, actor: dict) -> None:
    """Audit a wrong password, and forget a batch of ended throttle windows."""
    with db.transaction(organization_id) as conn:
        login_attempts.forget_expired(conn, _settings().login_window)
        record_action(conn, action, organization_id=organization_id, actor=actor)


@bp.post("/login")
def login():
    """Exchange e-mail and password for tokens; failures are throttled and look alike."""
    fields = Fields(json_body())
    email = fields.email()
    password = fields.string("password", max_len=1000, strip=False)
    fields.check()

    settings = _settings()
    # No organization yet: the e-mail is looked up through a narrow database function.
    user = reserve_password_check(None, email, lambda conn: users.find_login(conn, email))
    stored = user and user["password_hash"]
    # Unknown e-mail and wrong password cost a bcrypt check at the configured cost each
    # and answer the same.
    if not check_password(password, stored, settings.bcrypt_rounds):
        organization_id = user and user["organization_id"]
        _record_wrong_password(
            organization_id, "auth.login_failed", {"user_id": user and user["id"], "email": email}
        )
        raise Unauthorized("Invalid e-mail or password.", code="invalid_credentials")

    # A hash made at another cost than BCRYPT_ROUNDS is replaced while the password is known.
    rehashed = needs_rehash(stored, settings.bcrypt_rounds) and hash_password(
        password, settings.bcrypt_rounds
    )
    with db.transaction(user["organization_id"]) as conn:
        login_attempts.release(conn, email, _client_ip())
        if rehashed:
            users.rehash_password(conn, user["id"], stored, rehashed)
        users.touch_login(conn, user["id"])
        tokens = start_session(conn, user)
        record_action(conn, "auth.login", actor=member_actor(user))
        org = organizations.get_organization(conn, user["organization_id"])
    return jsonify({**tokens, "user": user_json(user), "organization": organization_json(org)})


@bp.post("/refresh")
def refresh():
    """Spend a refresh token for a new pair; a spent one revokes its whole session."""
    fields = Fields(json_body())
    token = fields.string("refreshToken", max_len=4096)
    fields.check()
    claims = read_refresh_token(token)

    with db.transaction(claims["org"]) as conn:
        session = sessions.lock_session(conn, claims["sid"])
        live = session is not None and session["revoked_at"] is None and not session["expired"]
        reused = live and session["refresh_jti"] != claims["jti"]
        if reused:
            sessions.revoke_session(conn, session["id"], "reuse")
        elif live:
            user = {
                "id": session["user_id"],
                "organization_id": session["organization_id"],
                "role": session["role"],
            }
            access, new_refresh, jti = issue_tokens(user, str(session["id"]))
            sessions.rotate_refresh(conn, session["id"], jti, _settings().jwt_refresh_expiry)
    if reused:
        raise Unauthorized(
            "This refresh token was already used; the session is revoked. Log in again.",
            code="refresh_token_reused",
        )
    if not live:
        raise Unauthorized("The session has ended; log in again.", code="token_revoked")
    return jsonify({"accessToken": access, "refreshToken": new_refresh})


@bp.post("/logout")
@login_required()
def logout():
    """End the caller's session: its access and refresh tokens stop working."""
    with db.transaction(g.principal["organization_id"]) as conn:
        sessions.revoke_session(conn, g.principal["session_id"], "logout")
        record_action(conn, "auth.logout")
    return "", 204


@bp.get("/me")
@login_required()
def me():
    """The caller, their organization and its subscription."""
    principal = g.principal
    with db.reading(principal["organization_id"]) as conn:
        user = users.get_user(conn, principal["organization_id"], principal["user_id"])
        org = organizations.get_organization(conn, principal["organization_id"])
    if user is None or org is None:
        raise NotFound("Account not found.")
    return jsonify(
        {
            "user": user_json(user),
            "organization": organization_json(org),
            "subscription": subscription_json(org),
        }
    )


@bp.post("/password")
@login_required()
def change_password():
    """Change the caller's password; every other session of theirs ends.

    A wrong current password is throttled and audited like a failed login: the same
    account budget (the caller's e-mail) and the same address budget.
    """
    fields = Fields(json_body())
    current = fields.string("currentPassword", max_len=1000, strip=False)
    new = fields.password("newPassword")
    fields.check()
    settings, principal = _settings(), g.principal
    organization_id, email = principal["organization_id"], principal["email"]
    stored = reserve_password_check(
        organization_id,
        email,
        lambda conn: users.password_hash(conn, organization_id, principal["user_id"]),
    )
    if not check_password(current, stored, settings.bcrypt_rounds):
        _record_wrong_password(organization_id, "auth.password_change_failed", principal)
        raise ValidationError(
            details=[{"field": "currentPassword", "message": "is not the current password"}]
        )
    new_hash = hash_password(new, settings.bcrypt_rounds)
    with db.transaction(organization_id) as conn:
        login_attempts.release(conn, email, _client_ip())
        users.set_password(conn, principal["user_id"], new_hash)
        ended = sessions.revoke_user_sessions(
            conn, principal["user_id"], "password_change", keep_session_id=principal["session_id"]
        )
        record_action(
            conn,
            "auth.password_changed",
            details={"sessionsEnded": ended},
        )
    return "", 204
