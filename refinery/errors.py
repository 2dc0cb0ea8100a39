"""The APIError family and the handlers that turn every error into one JSON shape."""

from __future__ import annotations

import logging

from flask import Flask, g, jsonify
from werkzeug.exceptions import HTTPException

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


class APIError(Exception):
    """An error with an HTTP status, a stable snake_case code and a human message."""

    status = 400
    code = "bad_request"
    message = "The request could not be processed."

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        status: int | None = None,
        details: list[dict] | None = None,
        headers: dict[str, str] | None = None,
        extra: dict | None = None,
    ) -> None:
        super().__init__(message or self.message)
        self.message = message or self.message
        self.code = code or self.code
        self.status = status or self.status
        self.details = details
        self.headers = headers or {}
        self.extra = extra or {}


class ValidationError(APIError):
    """400 with one {field, message} entry per bad field."""

    code = "validation_error"
    message = "The request body is not valid."


class Unauthorized(APIError):
    """401: missing, invalid or revoked credentials."""

    status = 401
    code = "unauthorized"
    message = "Authentication is required."


class Forbidden(APIError):
    """403: authenticated, but the role does not allow this."""

    status = 403
    code = "forbidden"
    message = "You do not have permission to do this."


class NotFound(APIError):
    """404: absent, or owned by another organization."""

    status = 404
    code = "not_found"
    message = "Not found."


class Conflict(APIError):
    """409: the request collides with existing state."""

    status = 409
    code = "conflict"


class TooManyRequests(APIError):
    """429 with Retry-After."""

    status = 429
    code = "too_many_requests"
    message = "Too many requests."

    def __init__(self, message: str | None = None, *, retry_after: int, **kwargs) -> None:
        headers = {"Retry-After": str(max(1, int(retry_after)))}
        super().__init__(message, headers=headers, **kwargs)


class DatabaseUnavailable(APIError):
    """503: the database did not answer in time."""

    status = 503
    code = "database_unavailable"
    message = "The database is unavailable; try again shortly."

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message, headers={"Retry-After": "1"})


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
