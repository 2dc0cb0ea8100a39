"""The APIError family: an HTTP status, a stable snake_case code and a message each."""

from __future__ import annotations


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
