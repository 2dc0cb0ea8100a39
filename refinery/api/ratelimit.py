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
import time
from collections.abc import Callable

from flask import Flask, current_app, g
from flask_limiter import Limiter
from flask_limiter.errors import RateLimitExceeded
from flask_limiter.util import get_remote_address
from limits import RateLimitItem, parse_many

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


per_client_registration = limiter.limit(
    lambda: _settings().rate_limit_registration, key_func=get_remote_address, scope="register"
)


@functools.cache
def _parsed(rates: str) -> tuple[RateLimitItem, ...]:
    """A configured setting ("1200/minute", or several joined by ";") as limits items."""
    return tuple(parse_many(rates))


def _refuse(item: RateLimitItem, scope: str, identifier: str) -> TooManyRequests:
    """The 429 for a full bucket, with the seconds until it has room."""
    reset = limiter.limiter.get_window_stats(item, scope, identifier).reset_time
    window = item.get_expiry()
    return TooManyRequests(
        f"Rate limit of {item} exceeded; slow down.",
        code="rate_limited",
        retry_after=max(1, min(window, math.ceil(reset - time.time()))),
    )


_last_outage_log = 0.0


def _storage_failed(error: Exception) -> None:
    """Let the request through when the counts' storage fails, and say so once a minute.

    These limits are abuse protection; the monthly quota, counted in PostgreSQL, still
    holds. Refusing every request while Redis is down would turn its outage into ours.
    """
    global _last_outage_log
    now = time.monotonic()
    if now - _last_outage_log >= 60:
        _last_outage_log = now
        log.warning("rate-limit storage failed, requests pass uncounted: %r", error)


def _take(rates: str, scope: str, identifier: str, count: bool = True) -> None:
    """Count the request in each bucket (or, count=False, only look); 429 when one is full."""
    check = limiter.limiter.hit if count else limiter.limiter.test
    for item in _parsed(rates):
        try:
            room = check(item, scope, identifier)
        except limiter.storage.base_exceptions as error:
            _storage_failed(error)
            return
        if not room:
            raise _refuse(item, scope, identifier)


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
