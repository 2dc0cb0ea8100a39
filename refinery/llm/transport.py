"""One HTTP attempt: POST the JSON body, read at most MAX_BODY_BYTES of answer in time."""

import json
import threading
import time
from typing import Any

import requests
from urllib3.exceptions import ReadTimeoutError

from .errors import ProviderError, ProviderTimeout
from .wire import Request

MAX_BODY_BYTES = 1 << 20  # no honest answer to a prompt rewrite comes near 1 MiB
CHUNK_BYTES = 64 << 10


class Dropped(Exception):
    """A connection-level failure that another attempt might get past."""

    def __init__(self, error: ProviderError) -> None:
        """Carry the error to raise if no attempts are left."""
        super().__init__(error.message)
        self.error = error


def send_once(
    request: Request, session: requests.Session, timeout: tuple[float, float]
) -> tuple[int, Any, bytes]:
    """POST once; return status, headers and the (capped) body, or raise."""
    name = request.provider
    connect, read = timeout
    try:
        # Redirects are refused: a custom endpoint must not bounce our key elsewhere.
        response = session.post(
            request.url,
            json=request.body,
            headers=request.headers,
            timeout=timeout,
            stream=True,
            allow_redirects=False,
        )
    except requests.ConnectTimeout:
        raise ProviderTimeout(f"Could not connect to {name} within {connect:g} s.") from None
    except requests.Timeout:
        raise ProviderTimeout(f"{name} did not answer within {read:g} s.") from None
    except requests.exceptions.SSLError:
        raise ProviderError(f"The TLS handshake with {name} failed.") from None
    except requests.ConnectionError:
        raise Dropped(ProviderError(f"Could not connect to {name}.")) from None
    with response:
        # read is a timeout between bytes; the deadline also stops a server that dribbles.
        raw = _read_capped(response, name, time.monotonic() + connect + read, read)
    return response.status_code, response.headers, raw


def _read_capped(response: requests.Response, name: str, deadline: float, read: float) -> bytes:
    """Read the body in chunks, giving up past the size cap or the deadline."""
    too_large = f"{name} sent a response larger than {MAX_BODY_BYTES} bytes."
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise ProviderError(too_large)
    body = bytearray()
    try:
        # urllib3 >= 2.6 also bounds what one compressed chunk may inflate to.
        for chunk in response.iter_content(CHUNK_BYTES):
            body += chunk
            if len(body) > MAX_BODY_BYTES:
                raise ProviderError(too_large)
            if time.monotonic() > deadline:
                raise ProviderTimeout(f"{name} did not finish its answer within {read:g} s.")
    except requests.ConnectionError as exc:
        # requests wraps a read timeout during streaming in ConnectionError.
        if exc.args and isinstance(exc.args[0], ReadTimeoutError):
            raise ProviderTimeout(f"{name} stopped answering for {read:g} s.") from None
        raise Dropped(ProviderError(f"{name} dropped the connection.")) from None
    except requests.RequestException:
        raise Dropped(ProviderError(f"{name} sent a broken response.")) from None
    return bytes(body)


def json_or_none(raw: bytes) -> Any:
    """Decode JSON, or None when the body is not JSON (an HTML error page, say)."""
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None


_threads = threading.local()


def thread_session() -> requests.Session:
    """One requests.Session per thread, so provider connections are reused."""
    session = getattr(_threads, "session", None)
    if session is None:
        session = _threads.session = requests.Session()
    return session
