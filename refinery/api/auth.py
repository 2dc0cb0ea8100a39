"""The auth blueprint: register, login, refresh, logout, me."""

from __future__ import annotations

import uuid

from flask import Blueprint, current_app, g, jsonify, request

from refinery import db
from refinery.api.identity import issue_tokens, login_required, read_refresh_token, record_action
from refinery.api.ratelimit import per_client_registration
from refinery.api.serializers import organization_json, subscription_json, user_json
from refinery.api.validation import Fields, json_body
from refinery.errors import Conflict, NotFound, TooManyRequests, Unauthorized, ValidationError
from refinery.passwords import check_password, hash_password
from refinery.queries import login_failures, organizations, sessions, users

bp = Blueprint("auth", __name__, url_prefix="/api/auth")


def _settings():
    """The validated service configuration."""
    return current_app.config["REFINERY"]


def _client_ip() -> str:
    """The caller's address (as ProxyFix saw it when behind a trusted proxy)."""
    return request.remote_addr or "unknown"


def _actor(user: dict) -> dict:
    """A member as the actor of an audit event."""
    return {
        "user_id": user["id"],
        "organization_id": user["organization_id"],
        "email": user["email"],
    }


def _start_session(conn, user: dict) -> dict:
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
        tokens = _start_session(conn, user)
        record_action(
            conn,
            "organization.registered",
            actor=_actor(user),
            target_type="organization",
            target_id=org["id"],
            details={"slug": slug},
        )
    body = {**tokens, "user": user_json(user), "organization": organization_json(org)}
    return jsonify(body), 201


@bp.post("/login")
def login():
    """Exchange e-mail and password for tokens; failures are throttled and look alike."""
    fields = Fields(json_body())
    email = fields.string("email", max_len=254)
    password = fields.string("password", max_len=1000, strip=False)
    fields.check()

    settings, client_ip = _settings(), _client_ip()
    # No organization yet: the e-mail is looked up through a narrow database function.
    with db.reading(None) as conn:
        wait = login_failures.throttle_wait(
            conn,
            email,
            client_ip,
            settings.login_window,
            settings.login_max_per_account,
            settings.login_max_per_client,
        )
        user = None if wait else users.find_login(conn, email)
    if wait:
        raise TooManyRequests(
            "Too many failed logins; try again later.", code="login_throttled", retry_after=wait
        )

    # Unknown e-mail and wrong password cost one bcrypt check each and answer the same.
    if not check_password(password, user and user["password_hash"], settings.bcrypt_rounds):
        with db.transaction(user and user["organization_id"]) as conn:
            login_failures.record_failure(conn, email, client_ip, settings.login_window)
            record_action(
                conn,
                "auth.login_failed",
                organization_id=user and user["organization_id"],
                actor={"user_id": user and user["id"], "email": email},
            )
        raise Unauthorized("Invalid e-mail or password.", code="invalid_credentials")

    with db.transaction(user["organization_id"]) as conn:
        users.touch_login(conn, user["id"])
        tokens = _start_session(conn, user)
        record_action(conn, "auth.login", actor=_actor(user))
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
    """Change the caller's password; every other session of theirs ends."""
    fields = Fields(json_body())
    current = fields.string("currentPassword", max_len=1000, strip=False)
    new = fields.password("newPassword")
    fields.check()
    settings, principal = _settings(), g.principal
    with db.reading(principal["organization_id"]) as conn:
        stored = users.password_hash(conn, principal["organization_id"], principal["user_id"])
    if not check_password(current, stored, settings.bcrypt_rounds):
        raise ValidationError(
            details=[{"field": "currentPassword", "message": "is not the current password"}]
        )
    new_hash = hash_password(new, settings.bcrypt_rounds)
    with db.transaction(principal["organization_id"]) as conn:
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
