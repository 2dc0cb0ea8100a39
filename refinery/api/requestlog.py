"""Request ids and one log line per request."""

from __future__ import annotations

import logging
import re
import time
import uuid

from flask import Flask, g, request

log = logging.getLogger("refinery.request")
# A caller's id is kept only when it cannot smuggle anything into logs or headers.
_SANE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def init_request_log(app: Flask) -> None:
    """Attach the request id and log method, path, status, duration and id."""

    @app.before_request
    def start() -> None:
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if _SANE_ID.match(incoming) else uuid.uuid4().hex
        g.started = time.perf_counter()

    @app.after_request
    def finish(response):
        request_id = g.get("request_id") or uuid.uuid4().hex
        response.headers["X-Request-ID"] = request_id
        elapsed = (time.perf_counter() - g.get("started", time.perf_counter())) * 1000
        log.info(
            "%s %s %s %.1fms %s",
            request.method,
            request.path,
            response.status_code,
            elapsed,
            request_id,
        )
        return response
