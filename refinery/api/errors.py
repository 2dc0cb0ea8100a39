"""The handlers that turn every error, ours or werkzeug's or unexpected, into one JSON shape."""

from __future__ import annotations

import logging

from flask import Flask, g, jsonify
from werkzeug.exceptions import HTTPException

from refinery.errors import APIError

log = logging.getLogger("refinery.errors")

# Stable codes for the errors werkzeug raises on its own (routing, body size, methods).
_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "body_too_large",
    415: "unsupported_media_type",
    429: "too_many_requests",
}


def error_response(error: APIError):
    """Build the JSON response for an APIError."""
    body = {"error": error.message, "code": error.code}
    if error.details:
        body["details"] = error.details
    body.update(error.extra)
    body["requestId"] = g.get("request_id")
    response = jsonify(body)
    response.status_code = error.status
    for name, value in error.headers.items():
        response.headers[name] = value
    return response


def register_error_handlers(app: Flask) -> None:
    """Route every error, ours or werkzeug's or unexpected, to the JSON shape."""

    @app.errorhandler(APIError)
    def handle_api_error(error: APIError):
        return error_response(error)

    @app.errorhandler(HTTPException)
    def handle_http_exception(error: HTTPException):
        status = error.code or 500
        code = _HTTP_CODES.get(status, "http_error")
        message = error.description or "Request failed."
        if status == 413:
            message = f"The request body exceeds {app.config['MAX_CONTENT_LENGTH']} bytes."
        # Keep werkzeug's own headers, such as Allow on a 405.
        headers = {k: v for k, v in error.get_headers() if k.lower() != "content-type"}
        return error_response(APIError(message, code=code, status=status, headers=headers))

    @app.errorhandler(Exception)
    def handle_unexpected(error: Exception):
        log.exception("unhandled error (request %s)", g.get("request_id"))
        return error_response(
            APIError("An internal error occurred.", code="internal_error", status=500)
        )
