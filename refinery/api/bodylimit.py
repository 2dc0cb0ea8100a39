"""The request class: a body is read up to MAX_BODY_BYTES whatever its framing.

With a Content-Length, werkzeug refuses a length over the limit before reading. A body
without one (Transfer-Encoding: chunked, ended by the server) is wrapped by werkzeug in a
stream that stops at the limit without saying so, and the cut body would be parsed. Here
such a stream is read up to one byte past the limit: that byte arriving is a 413.
"""

from __future__ import annotations

from typing import IO

from flask import Request
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.utils import cached_property
from werkzeug.wsgi import LimitedStream, get_input_stream


class _CappedStream(LimitedStream):
    """A server-terminated body read up to limit + 1 bytes; the extra byte is a 413."""

    def __init__(self, stream: IO[bytes], limit: int) -> None:
        super().__init__(stream, limit + 1, is_max=True)

    def readinto(self, buffer) -> int | None:  # type: ignore[override]
        """Read like LimitedStream, refusing the body once it is longer than the limit."""
        size = super().readinto(buffer)
        if self.is_exhausted:
            raise RequestEntityTooLarge()
        return size


class BoundedRequest(Request):
    """Flask's request, whose body stream refuses more than MAX_BODY_BYTES in any framing."""

    @cached_property
    def stream(self) -> IO[bytes]:
        """The body: Content-Length framed as werkzeug does it, otherwise capped."""
        if self.shallow:
            raise RuntimeError("This request was created with shallow=True: no body reads.")
        limit = self.max_content_length
        if (
            limit is not None
            and self.content_length is None
            and "wsgi.input_terminated" in self.environ
        ):
            return _CappedStream(self.environ["wsgi.input"], limit)
        return get_input_stream(self.environ, max_content_length=limit)
