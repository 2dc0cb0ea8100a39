"""Requests per minute per organization, per API key, and registrations per client address.

Counted by the limits library (sliding-window counters) in a configurable storage, set up by
Flask-Limiter: memory:// for one process, redis:// when several processes or instances must
share the counts. This is abuse protection, apart from the monthly quota, which PostgreSQL
counts exactly.
"""

from __future__ import annotations

import functools
import logging
import math
import threading
import time
from collections.abc import Callable

from flask import Flask, current_app, g
from flask_limiter import Limiter
from flask_limiter.errors import RateLimitExceeded
from flask_limiter.util import get_remote_address
from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage
from limits.strategies import RateLimiter, SlidingWindowCounterRateLimiter

from refinery import metrics
from refinery.api.errors import error_response
from refinery.errors import TooManyRequests

log = logging.getLogger("refinery.ratelimit")
limiter = Limiter(
    key_func=get_remote_address, headers_enabled=False, strategy="sliding-window-counter"
)


def _settings():
    """The validated configuration."""
    return current_app.config["REFINERY"]


def limits_enabled() -> bool:
    """Whether rate limits apply (RATE_LIMITS_ENABLED)."""
    return _settings().rate_limits_enabled


@functools.cache
def _parsed(rates: str) -> tuple[RateLimitItem, ...]:
    """A configured setting ("1200/minute", or several joined by ";") as limits items."""
    return tuple(parse_many(rates))


# After the shared storage fails, it is left alone this many seconds: the counts go to this
# process's memory instead, so a hung Redis costs one request one timeout per interval,
# not every request three, and the limits still hold (per process) meanwhile.
STORAGE_RETRY_SECONDS = 15.0


class _Breaker:
    """The app's fallback counts in memory, and until when the shared storage is skipped."""

    def __init__(self) -> None:
        self.fallback = SlidingWindowCounterRateLimiter(MemoryStorage())
        self.open_until = 0.0
        self.lock = threading.Lock()


def _breaker() -> _Breaker:
    """This app's breaker (made by init_rate_limits)."""
    return current_app.extensions["refinery_rate_limits"]


def _counter() -> RateLimiter:
    """Where counts go now: the shared storage, or memory while it is being skipped."""
    breaker = _breaker()
    if time.monotonic() < breaker.open_until:
        return breaker.fallback
    return limiter.limiter


def _storage_failed(error: Exception) -> RateLimiter:
    """Skip the shared storage for STORAGE_RETRY_SECONDS, say so once; return the fallback.

    Whichever request fails first opens the interval and logs (one line, no traceback);
    requests failing at the same moment only count the failure.
    """
    metrics.ratelimit_storage_failures.inc()
    breaker = _breaker()
    now = time.monotonic()
    with breaker.lock:
        if now < breaker.open_until:
            return breaker.fallback
        breaker.open_until = now + STORAGE_RETRY_SECONDS
    log.warning(
        "rate-limit storage failed (%s: %s); counting in this process's memory for %.0f s",
        type(error).__name__,
        error,
        STORAGE_RETRY_SECONDS,
    )
    return breaker.fallback


def _refuse(counter: RateLimiter, item: RateLimitItem, scope: str, identifier: str):
    """The 429 for a full bucket, with the seconds until it has room."""
    window = item.get_expiry()
    try:
        reset = counter.get_window_stats(item, scope, identifier).reset_time
    except limiter.storage.base_exceptions:
        reset = time.time() + window
    return TooManyRequests(
        f"Rate limit of {item} exceeded; slow down.",
        code="rate_limited",
        retry_after=max(1, min(window, math.ceil(reset - time.time()))),
    )


def _take(rates: str, scope: str, identifier: str, count: bool = True) -> None:
    """Count the request in each bucket (or, count=False, only look); 429 when one is full.

    When the shared storage fails, the request is counted in memory instead (_storage_failed).
    """
    for item in _parsed(rates):
        counter = _counter()
        try:
            room = (counter.hit if count else counter.test)(item, scope, identifier)
        except limiter.storage.base_exceptions as error:
            counter = _storage_failed(error)
            room = (counter.hit if count else counter.test)(item, scope, identifier)
        if not room:
            raise _refuse(counter, item, scope, identifier)


def per_client_registration(view: Callable) -> Callable:
    """Apply the registration limit per client address (RATE_LIMIT_REGISTRATION)."""

    @functools.wraps(view)
    def checked(*args, **kwargs):
        if limits_enabled():
            _take(_settings().rate_limit_registration, "register", get_remote_address())
        return view(*args, **kwargs)

    return checked


def limit_caller(view: Callable) -> Callable:
    """Apply the per-organization and per-API-key limits (g.principal must be set).

    The buckets are counted with the limits library directly, in Flask-Limiter's storage
    and with its strategy. A request its own key's limit refuses spends nothing of the
    organization's budget: the organization is tested first, the key counted, then the
    organization, so one runaway key cannot lock out the rest of its organization.
    """

    @functools.wraps(view)
    def checked(*args, **kwargs):
        if limits_enabled():
            settings = _settings()
            principal = g.principal
            organization = str(principal["organization_id"])
            if principal.get("api_key_id") is not None:
                _take(settings.rate_limit_per_organization, "org", organization, count=False)
                _take(settings.rate_limit_per_api_key, "key", str(principal["api_key_id"]))
            _take(settings.rate_limit_per_organization, "org", organization)
        return view(*args, **kwargs)

    return checked


def init_rate_limits(app: Flask) -> None:
    """Bind the limiter to the app's storage and answer breaches in our JSON shape."""
    config = app.config["REFINERY"]
    app.config["RATELIMIT_STORAGE_URI"] = config.rate_limit_storage_uri
    app.config["RATELIMIT_ENABLED"] = config.rate_limits_enabled
    app.config["RATELIMIT_SWALLOW_ERRORS"] = True  # the registration limit fails open too
    limiter.init_app(app)
    app.extensions["refinery_rate_limits"] = _Breaker()

    @app.errorhandler(RateLimitExceeded)
    def rate_limited(error: RateLimitExceeded):
        current = limiter.current_limit
        window = error.limit.limit.get_expiry()
        # The storage keeps whole seconds, so its reset time can read one past the window.
        wait = min(window, math.ceil(current.reset_at - time.time())) if current else window
        return error_response(
            TooManyRequests(
                f"Rate limit of {error.limit.limit} exceeded; slow down.",
                code="rate_limited",
                retry_after=wait,
            )
        )
