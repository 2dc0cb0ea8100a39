"""Requests per minute per organization, per API key, and registrations per client address.

Flask-Limiter with a configurable storage: memory:// for one process, redis:// when several
processes or instances must share the counts. This is abuse protection, apart from the
monthly quota, which PostgreSQL counts exactly.
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Callable

from flask import Flask, current_app, g
from flask_limiter import Limiter
from flask_limiter.errors import RateLimitExceeded
from flask_limiter.util import get_remote_address

from refinery.errors import TooManyRequests, error_response

limiter = Limiter(key_func=get_remote_address, headers_enabled=False, strategy="moving-window")


def _settings():
    """The validated configuration."""
    return current_app.config["REFINERY"]


def limits_enabled() -> bool:
    """Whether rate limits apply (RATE_LIMITS_ENABLED)."""
    return _settings().rate_limits_enabled


def _organization_key() -> str:
    """Every caller of an organization shares its bucket."""
    return f"org:{g.principal['organization_id']}"


def _api_key_key() -> str:
    """An API key's own bucket."""
    return f"key:{g.principal['api_key_id']}"


def _not_an_api_key() -> bool:
    """Members are exempt from the per-key limit."""
    return g.principal.get("api_key_id") is None


_per_organization = limiter.shared_limit(
    lambda: _settings().rate_limit_per_organization,
    scope="organization",
    key_func=_organization_key,
)
_per_api_key = limiter.shared_limit(
    lambda: _settings().rate_limit_per_api_key,
    scope="api_key",
    key_func=_api_key_key,
    exempt_when=_not_an_api_key,
)
per_client_registration = limiter.limit(
    lambda: _settings().rate_limit_registration, key_func=get_remote_address, scope="register"
)


def limit_caller(view: Callable) -> Callable:
    """Apply the per-organization and per-API-key limits (g.principal must be set).

    With RATE_LIMITS_ENABLED=false the view is called directly: Flask-Limiter's decorator
    otherwise still works out which limits apply on every request before finding it is off.
    """
    limited = _per_organization(_per_api_key(view))

    @functools.wraps(view)
    def checked(*args, **kwargs):
        if limits_enabled():
            return limited(*args, **kwargs)
        return view(*args, **kwargs)

    return checked


def init_rate_limits(app: Flask) -> None:
    """Bind the limiter to the app's storage and answer breaches in our JSON shape."""
    config = app.config["REFINERY"]
    app.config["RATELIMIT_STORAGE_URI"] = config.rate_limit_storage_uri
    app.config["RATELIMIT_ENABLED"] = config.rate_limits_enabled
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
