"""GET /health (is the process alive) and GET /ready (can it serve: database, schema, Redis)."""

from __future__ import annotations

import logging

import psycopg2
from flask import Blueprint, current_app, jsonify

from refinery import __version__, db
from refinery.api.ratelimit import limiter
from refinery.errors import DatabaseUnavailable
from refinery.queries.schema_state import applied_updates
from refinery.schema import pending_updates

bp = Blueprint("health", __name__)
log = logging.getLogger("refinery.health")


@bp.get("/health")
def health():
    """Liveness: 200 while the process answers. No I/O, so it never waits on anything."""
    return jsonify({"status": "ok", "version": __version__})


def _database_state() -> dict[str, str]:
    """database: ok or unreachable; schema: ok, behind (updates not applied) or unknown."""
    try:
        with db.reading(None) as conn:
            applied = applied_updates(conn)
    except DatabaseUnavailable:
        return {"database": "unreachable", "schema": "unknown"}
    except psycopg2.Error as error:
        # A database init-db has not updated: refinery_applied_updates() is missing.
        log.warning("readiness: cannot read the schema's updates: %s", error)
        return {"database": "ok", "schema": "behind"}
    return {"database": "ok", "schema": "behind" if pending_updates(applied) else "ok"}


def _redis_state() -> dict[str, str]:
    """redis: ok or unreachable, when the rate limits count in Redis; else nothing."""
    config = current_app.config["REFINERY"]
    if not config.rate_limits_enabled or config.rate_limit_storage_uri.startswith("memory://"):
        return {}
    try:
        reachable = limiter.storage.check()
    except Exception:  # any client error means the same: not reachable now
        reachable = False
    return {"redis": "ok" if reachable else "unreachable"}


@bp.get("/ready")
def ready():
    """Readiness: 200 when every part answers (database, schema, Redis if used), else 503."""
    parts = {**_database_state(), **_redis_state()}
    healthy = all(state == "ok" for state in parts.values())
    body = {"status": "ok" if healthy else "unavailable", **parts, "version": __version__}
    return jsonify(body), 200 if healthy else 503
