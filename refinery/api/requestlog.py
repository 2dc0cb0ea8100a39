"""Request ids, one log line per request, the request's fields on every record, and metrics."""

from __future__ import annotations

import logging
import re
import time
import uuid

from flask import Flask, g, has_request_context, request

from refinery import logs, metrics

log = logging.getLogger("refinery.request")
# A caller's id is kept only when it cannot smuggle anything into logs or headers.
_SANE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
UNMATCHED = "unmatched"  # the route label of a request no route matched (never its path)


def route_template() -> str:
    """The matched route's template (/api/optimize/history/<raw_id>), never the raw path."""
    rule = request.url_rule
    return rule.rule if rule is not None else UNMATCHED


class RequestContext(logging.Filter):
    """Adds the current request's id, method, route and caller to every record logged in it."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Set the fields the record does not already carry; never drops a record."""
        if not has_request_context():
            return True
        principal = g.get("principal") or {}
        fields = {
            "request_id": g.get("request_id"),
            "method": request.method,
            "route": route_template(),
            "organization_id": principal.get("organization_id"),
            "user_id": principal.get("user_id"),
            "api_key_id": principal.get("api_key_id"),
        }
        for name, value in fields.items():
            if getattr(record, name, None) is None and value is not None:
                setattr(record, name, str(value))
        return True


def init_request_log(app: Flask) -> None:
    """Set up the log format; attach the request id; log and count every request."""
    config = app.config["REFINERY"]
    logs.configure(config.log_format, config.log_level, RequestContext())

    @app.before_request
    def start() -> None:
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if _SANE_ID.match(incoming) else uuid.uuid4().hex
        g.started = time.perf_counter()

    @app.after_request
    def finish(response):
        request_id = g.get("request_id") or uuid.uuid4().hex
        response.headers["X-Request-ID"] = request_id
        seconds = time.perf_counter() - g.get("started", time.perf_counter())
        method, route = metrics.method_label(request.method), route_template()
        metrics.http_requests.labels(method, route, str(response.status_code)).inc()
        metrics.http_request_duration.labels(method, route).observe(seconds)
        # The path is the client's: the formatter escapes it like every other value.
        log.info(
            "%s %s %s %.1fms %s",
            request.method,
            request.path,
            response.status_code,
            seconds * 1000,
            request_id,
            extra={"status": response.status_code, "duration_ms": round(seconds * 1000, 1)},
        )
        return response
