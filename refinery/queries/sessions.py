"""Login sessions: each holds the one refresh token that is currently valid."""

from __future__ import annotations

from psycopg2.extensions import connection


def create_session(
    conn: connection,
    session_id: str,
    user: dict,
    refresh_jti: str,
    ttl_seconds: int,
    client_ip: str | None,
    user_agent: str | None,
) -> None:
    """Open a session for a user whose first refresh token is refresh_jti."""
    with conn.cursor() as cur:
        cur.execute(
            """
            INSERT INTO auth_sessions
                (id, organization_id, user_id, refresh_jti, client_ip, user_agent, expires_at)
            VALUES
                (%(id)s, %(organization_id)s, %(user_id)s, %(refresh_jti)s, %(client_ip)s,
                 %(user_agent)s, now() + make_interval(secs => %(ttl)s))
            """,
            {
                "id": session_id,
                "organization_id": user["organization_id"],
                "user_id": user["id"],
                "refresh_jti": refresh_jti,
                "client_ip": client_ip,
                "user_agent": (user_agent or "")[:255] or None,
                "ttl": ttl_seconds,
            },
        )


def lock_session(conn: connection, session_id: str) -> dict | None:
    """The session and its member's current role, locked against a concurrent refresh."""
    with conn.cursor() as cur:
        cur.execute(
            """
            SELECT s.id, s.refresh_jti, s.revoked_at, s.expires_at < now() AS expired,
                   u.id AS user_id, u.organization_id, u.role
            FROM auth_sessions AS s
            JOIN users AS u ON u.id = s.user_id
            WHERE s.id = %(session_id)s
            FOR UPDATE OF s
            """,
            {"session_id": session_id},
        )
        return cur.fetchone()


def rotate_refresh(conn: connection, session_id: str, refresh_jti: str, ttl_seconds: int) -> None:
    """Make refresh_jti the session's only valid refresh token."""
    with conn.cursor() as cur:
        cur.execute(
            """
            UPDATE auth_sessions
            SET refresh_jti = %(refresh_jti)s,
                refreshed_at = now(),
                expires_at = now() + make_interval(secs => %(ttl)s)
            WHERE id = %(session_id)s
            """,
            {"session_id": session_id, "refresh_jti": refresh_jti, "ttl": ttl_seconds},
        )


def revoke_session(conn: connection, session_id: str, reason: str) -> None:
    """End a session: its access and refresh tokens stop working."""
    with conn.cursor() as cur:
        cur.execute(
            """
            UPDATE auth_sessions
            SET revoked_at = now(),
                revoked_reason = %(reason)s
            WHERE id = %(session_id)s
              AND revoked_at IS NULL
            """,
            {"session_id": session_id, "reason": reason},
        )


def active_principal(conn: connection, session_id: str, user_id: str) -> dict:
    """The member behind a live session: id, organization, current role and e-mail.

    What "live" means is written once, in refinery_session_principal (sql/schema.sql),
    which raises SQLSTATE RF401 (db.SessionEnded) when the session has ended.
    """
    with conn.cursor() as cur:
        cur.execute(
            """
            SELECT user_id, api_key_id, organization_id, role, email, session_id
            FROM refinery_session_principal(%(session_id)s, %(user_id)s)
            """,
            {"session_id": session_id, "user_id": user_id},
        )
        return cur.fetchone()


def revoke_user_sessions(
    conn: connection, user_id: str, reason: str, keep_session_id: str | None = None
) -> int:
    """End every live session of a member (but keep_session_id); return how many ended."""
    with conn.cursor() as cur:
        cur.execute(
            """
            UPDATE auth_sessions
            SET revoked_at = now(),
                revoked_reason = %(reason)s
            WHERE user_id = %(user_id)s
              AND revoked_at IS NULL
              AND id IS DISTINCT FROM %(keep)s::uuid
            """,
            {"user_id": user_id, "reason": reason, "keep": keep_session_id},
        )
        return cur.rowcount
