"""A down or hung Redis (the rate limits' storage): skipped a while, logged once, limits hold.

Two fakes on 127.0.0.1: a closed port (connection refused at once) and a server that
accepts connections and never answers (a hung Redis, which costs a full socket timeout).
"""

from __future__ import annotations

import logging
import socket
import threading
import time

import pytest

from refinery import create_app
from tests.conftest import Auth, _free_port, make_config

TIMEOUTS = "?socket_connect_timeout=0.5&socket_timeout=0.5"


class HungServer:
    """Accepts TCP connections on 127.0.0.1 and never sends a byte."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.accepted: list[socket.socket] = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        """Hold every connection open, reading nothing back."""
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted.append(conn)

    def close(self) -> None:
        """Stop listening and drop the held connections."""
        self.sock.close()
        for conn in self.accepted:
            conn.close()


@pytest.fixture
def hung_redis():
    """The URL of a Redis that accepts and hangs."""
    server = HungServer()
    yield f"redis://127.0.0.1:{server.port}/0{TIMEOUTS}"
    server.close()


@pytest.fixture
def closed_redis():
    """The URL of a Redis port nothing listens on."""
    return f"redis://127.0.0.1:{_free_port()}/0{TIMEOUTS}"


def _outage_warnings(caplog) -> list[logging.LogRecord]:
    """The rate-limit outage warnings logged so far."""
    return [r for r in caplog.records if "rate-limit storage failed" in r.getMessage()]


def _api_key_client(clean_db, storage: str, **limits: str):
    """A client of an app counting in storage, and an API key's header."""
    app = create_app(make_config(clean_db, RATE_LIMIT_STORAGE_URI=storage, **limits))
    client = app.test_client()
    # The key is made while the limits are unused (registration passes through them too).
    admin = Auth.header(Auth(client).register("outage")["accessToken"])
    key = client.post("/api/keys", json={"name": "k"}, headers=admin).get_json()["key"]
    return client, {"X-API-Key": key}


@pytest.mark.parametrize("storage", ["hung_redis", "closed_redis"])
def test_a_failed_storage_costs_one_timeout_then_is_skipped(clean_db, storage, request, caplog):
    url = request.getfixturevalue(storage)
    caplog.set_level("WARNING", logger="refinery.ratelimit")
    client, key = _api_key_client(clean_db, url)
    # Registration and key creation above met the failure first: the storage is skipped.
    started = time.monotonic()
    for _ in range(20):
        assert client.get("/api/usage", headers=key).status_code == 200
    elapsed = time.monotonic() - started
    # Unskipped, a hung Redis costs 3 × 0.5 s per API-key request (30 s for these 20).
    assert elapsed < 2.0, elapsed
    warnings = _outage_warnings(caplog)
    assert len(warnings) == 1  # once per interval, not once per request
    assert warnings[0].exc_info is None  # one line, no traceback


def test_the_first_request_after_the_interval_tries_redis_again(clean_db, hung_redis, caplog):
    from refinery.api import ratelimit

    caplog.set_level("WARNING", logger="refinery.ratelimit")
    client, key = _api_key_client(clean_db, hung_redis)
    assert len(_outage_warnings(caplog)) == 1
    breaker = client.application.extensions["refinery_rate_limits"]
    breaker.open_until = time.monotonic() - 1  # as if STORAGE_RETRY_SECONDS had passed
    started = time.monotonic()
    assert client.get("/api/usage", headers=key).status_code == 200
    tried = time.monotonic() - started
    assert 0.4 < tried < 3.0, tried  # one socket timeout (and the client's own retries)
    assert len(_outage_warnings(caplog)) == 2
    assert breaker.open_until > time.monotonic() + ratelimit.STORAGE_RETRY_SECONDS - 5


@pytest.mark.parametrize("storage", ["hung_redis", "closed_redis"])
def test_limits_hold_per_process_while_the_storage_is_down(clean_db, storage, request):
    url = request.getfixturevalue(storage)
    client, key = _api_key_client(clean_db, url, RATE_LIMIT_PER_API_KEY="3/minute")
    codes = [client.get("/api/usage", headers=key).status_code for _ in range(5)]
    assert codes == [200, 200, 200, 429, 429]


@pytest.mark.parametrize("storage", ["hung_redis", "closed_redis"])
def test_the_registration_limit_holds_while_the_storage_is_down(clean_db, storage, request):
    url = request.getfixturevalue(storage)
    app = create_app(
        make_config(clean_db, RATE_LIMIT_STORAGE_URI=url, RATE_LIMIT_REGISTRATION="2/hour")
    )
    client = app.test_client()
    Auth(client).register("first")
    Auth(client).register("second")
    third = client.post(
        "/api/auth/register",
        json={
            "email": "third@example.com",
            "password": "password-123",
            "fullName": "T",
            "organizationName": "T",
            "organizationSlug": "third",
        },
    )
    assert third.status_code == 429
    assert third.get_json()["code"] == "rate_limited"
