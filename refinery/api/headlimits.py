"""The size of a request's URL and headers, checked by the app so the answer is JSON.

gunicorn.conf.py sets gunicorn's own limits above these: a request between the two gets
the app's JSON 414 or 431; only one beyond gunicorn's limits gets gunicorn's plain page
(DEPLOYMENT.md lists both).
"""

from __future__ import annotations

from flask import Flask, request

from refinery.errors import APIError

MAX_URL_BYTES = 4096  # the path and query string, as sent
MAX_HEADER_BYTES = 8192  # one header: name and value
MAX_HEADERS_BYTES = 32768  # all headers together
MAX_HEADER_FIELDS = 100


def _url_size(environ: dict) -> int:
    """The length of the request target as the client sent it."""
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if raw is None:
        query = environ.get("QUERY_STRING", "")
        raw = environ.get("PATH_INFO", "") + ("?" + query if query else "")
    return len(raw.encode("latin-1", "replace"))


def _header_problem(environ: dict) -> str | None:
    """What is too large about the headers, or None."""
    sizes = [
        len(name) - 5 + len(value.encode("latin-1", "replace"))
        for name, value in environ.items()
        if name.startswith("HTTP_") and isinstance(value, str)
    ]
    for name in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        if name in environ:
            sizes.append(len(name) + len(str(environ[name])))
    if len(sizes) > MAX_HEADER_FIELDS:
        return f"more than {MAX_HEADER_FIELDS} header fields"
    if sizes and max(sizes) > MAX_HEADER_BYTES:
        return f"a header field over {MAX_HEADER_BYTES} bytes"
    if sum(sizes) > MAX_HEADERS_BYTES:
        return f"headers over {MAX_HEADERS_BYTES} bytes in all"
    return None


def init_head_limits(app: Flask) -> None:
    """Refuse an oversized URL (414) or oversized headers (431) before anything else runs."""

    @app.before_request
    def check_head() -> None:
        if _url_size(request.environ) > MAX_URL_BYTES:
            raise APIError(
                f"The URL is longer than {MAX_URL_BYTES} bytes.", code="uri_too_long", status=414
            )
        problem = _header_problem(request.environ)
        if problem:
            raise APIError(f"The request has {problem}.", code="headers_too_large", status=431)
