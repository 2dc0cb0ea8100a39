"""GET /health: is the service up and does the database answer."""

from __future__ import annotations

from flask import Blueprint, jsonify

from refinery import __version__, db
from refinery.errors import DatabaseUnavailable

bp = Blueprint("health", __name__)


@bp.get("/health")
def health():
    """200 when a query round-trips through the pool, else 503."""
    try:
        with db.reading(None) as conn, conn.cursor() as cur:
            cur.execute("SELECT 1")
    except DatabaseUnavailable:
        body = {"status": "unavailable", "database": "unreachable", "version": __version__}
        return jsonify(body), 503
    return jsonify({"status": "ok", "database": "ok", "version": __version__})
