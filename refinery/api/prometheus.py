"""GET /metrics: the Prometheus text, for a scraper holding METRICS_TOKEN."""

from __future__ import annotations

import hmac

from flask import Blueprint, Response, current_app, request

from refinery import metrics
from refinery.errors import NotFound, Unauthorized

bp = Blueprint("prometheus", __name__)


@bp.get("/metrics")
def scrape():
    """The metrics of every worker; 404 unless METRICS_TOKEN is set, 401 without it."""
    token = current_app.config["REFINERY"].metrics_token
    if token is None:
        raise NotFound("The requested URL was not found on the server.")
    presented = request.headers.get("Authorization", "")
    if not hmac.compare_digest(presented.encode(), f"Bearer {token}".encode()):
        raise Unauthorized("GET /metrics needs Authorization: Bearer <METRICS_TOKEN>.")
    body, content_type = metrics.render()
    return Response(body, content_type=content_type)
