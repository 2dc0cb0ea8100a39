"""One HTTP attempt: POST the JSON body, read at most MAX_BODY_BYTES of answer in time."""

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
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


class PinnedAdapter(HTTPAdapter):
    """Connects a pinned host's requests to its vetted address, never to a fresh DNS answer.

    The connection goes to the address; the Host header, TLS SNI and the certificate check
    keep the host name of the URL. Hosts that are not pinned connect as usual.
    """

    def __init__(self) -> None:
        """An adapter with no pins yet (see ``pinned``)."""
        super().__init__()
        self.pins: dict[tuple[str, int], str] = {}

    def build_connection_pool_key_attributes(self, request, verify, cert=None):
        """The pool of the pinned address, told the host name for SNI and the certificate."""
        host_params, pool_kwargs = super().build_connection_pool_key_attributes(
            request, verify, cert
        )
        address = self.pins.get(_pin_key(request.url))
        if address is not None:
            name = host_params["host"]
            host_params = {**host_params, "host": address}
            if host_params["scheme"] == "https":
                pool_kwargs = {**pool_kwargs, "server_hostname": name}
                if verify is not False:
                    pool_kwargs["assert_hostname"] = name
        return host_params, pool_kwargs

    def add_headers(self, request, **kwargs) -> None:
        """Name the host in Host, since the connection itself only knows the address."""
        if _pin_key(request.url) in self.pins:
            request.headers["Host"] = urlsplit(request.url).netloc


def _pin_key(url: str) -> tuple[str, int]:
    """(host, port) of a URL, the port defaulted from the scheme."""
    parts = urlsplit(url)
    return (parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80))


@contextmanager
def pinned(session: requests.Session, url: str, address: str | None) -> Iterator[None]:
    """Within the block, connections to url's host go to address (None: no pin)."""
    if address is None:
        yield
        return
    adapter = session.get_adapter(url)
    if not isinstance(adapter, PinnedAdapter):
        raise TypeError("a pinned call needs a session from new_session()")
    key = _pin_key(url)
    adapter.pins[key] = address
    try:
        yield
    finally:
        adapter.pins.pop(key, None)


def send_once(
    request: Request,
    session: requests.Session,
    timeout: tuple[float, float],
    address: str | None = None,
) -> tuple[int, Any, bytes]:
    """POST once (to the vetted address, if given); return status, headers and body, or raise."""
    name = request.provider
    connect, read = timeout
    try:
        # Redirects are refused: a custom endpoint must not bounce our key elsewhere.
        with pinned(session, request.url, address):
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


def new_session() -> requests.Session:
    """A requests.Session whose connections can be pinned to vetted addresses."""
    session = requests.Session()
    for prefix in ("https://", "http://"):
        session.mount(prefix, PinnedAdapter())
    return session


def thread_session() -> requests.Session:
    """One requests.Session per thread, so provider connections are reused."""
    session = getattr(_threads, "session", None)
    if session is None:
        session = _threads.session = new_session()
    return session
