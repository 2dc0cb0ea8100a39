"""Call a provider with retries: what failed, whether to try again, and how long to wait.

Retried (at most ``RetryPolicy.max_retries`` times, so three attempts by default): 429
rate limits, 5xx including Anthropic's 529, 408 and dropped connections. Not retried:
400/401/402/403 and other 4xx, a 429 that says the account is out of quota, timeouts
(the caller has already waited the whole timeout once), and any Retry-After longer than
``max_wait``: that is raised at once with ``retry_after`` for the API to pass on, rather
than holding a worker thread.
"""

import email.utils
import math
import random
import time
from dataclasses import dataclass
from typing import Any

import requests

from .errors import (
    ProviderAuthError,
    ProviderError,
    ProviderQuotaExhausted,
    ProviderRateLimited,
    ProviderUnavailable,
    scrub,
)
from .transport import Dropped, json_or_none, send_once
from .wire import Request

OVERLOADED = frozenset({503, 529})  # busy for everyone (529 is Anthropic's overloaded_error)
LONGEST_RETRY_AFTER = 86_400.0  # a bigger or non-finite value is nonsense; clamp it


@dataclass(frozen=True)
class RetryPolicy:
    """How often to try again and how long to wait in between."""

    max_retries: int = 2
    backoff: float = 0.5  # first backoff step in seconds; doubles per attempt, with jitter
    max_wait: float = 10.0  # longest single sleep; a longer Retry-After is raised, not slept


def post_json(
    request: Request,
    *,
    session: requests.Session,
    timeout: tuple[float, float],
    retry: RetryPolicy,
    address: str | None = None,
) -> dict[str, Any]:
    """Send the request, retrying what is worth retrying; return the decoded JSON answer.

    With ``address``, every attempt connects to that vetted address (see transport.pinned).
    """
    for attempt in range(retry.max_retries + 1):
        try:
            status, headers, raw = send_once(request, session, timeout, address)
        except Dropped as exc:
            error, wait = exc.error, _backoff(retry, attempt)
        else:
            if 200 <= status < 300:
                answer = json_or_none(raw)
                if not isinstance(answer, dict):
                    raise ProviderError(f"{request.provider} answered with something not JSON.")
                return answer
            error, retryable = _classify(request, status, headers, raw)
            if not retryable:
                raise error
            if error.retry_after is not None and error.retry_after > retry.max_wait:
                raise error  # the provider wants longer than we may hold a worker
            wait = error.retry_after if error.retry_after is not None else _backoff(retry, attempt)
        if attempt == retry.max_retries:
            raise error
        time.sleep(min(wait, retry.max_wait))
    raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises


def _classify(
    request: Request, status: int, headers: Any, raw: bytes
) -> tuple[ProviderError, bool]:
    """Turn an error response into the exception to raise and whether to retry."""
    name = request.provider
    failure = request.read_failure(status, json_or_none(raw))
    said = scrub(failure.message.strip(), request.api_key)[:500]
    detail = f" ({said})" if said else ""
    retry_after = _retry_after(headers)
    if retry_after is None and failure.retry_after is not None:
        retry_after = _seconds(str(failure.retry_after))
    if 300 <= status < 400:
        return ProviderError(f"{name} answered with a redirect (HTTP {status}); refused."), False
    if status in (401, 403) or failure.auth:
        message = f"{name} rejected the API key{detail}. Check the organization's {name} key."
        return ProviderAuthError(message), False
    if status == 402 or failure.quota_exhausted:
        message = (
            f"{name} says the account is out of credit or quota{detail}. "
            f"Check the organization's {name} plan and billing."
        )
        return ProviderQuotaExhausted(message, retry_after=retry_after), False
    if status == 429:
        message = f"{name} is rate-limiting the organization's key{detail}."
        return ProviderRateLimited(message, retry_after=retry_after), True
    if status in OVERLOADED:
        message = f"{name} is overloaded right now{detail}. Try again shortly."
        return ProviderUnavailable(message, retry_after=retry_after), True
    message = f"{name} failed with HTTP {status}{detail}."
    return ProviderError(message, retry_after=retry_after), status >= 500 or status == 408


def _retry_after(headers: Any) -> float | None:
    """Seconds from retry-after-ms (OpenAI) or Retry-After (seconds or an HTTP date)."""
    millis = _seconds(headers.get("retry-after-ms"))
    if millis is not None:
        return millis / 1000
    value = (headers.get("Retry-After") or "").strip()
    seconds = _seconds(value)
    if seconds is not None or not value:
        return seconds
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return min(LONGEST_RETRY_AFTER, max(0.0, when.timestamp() - time.time()))


def _seconds(value: str | None) -> float | None:
    """A header number clamped to [0, LONGEST_RETRY_AFTER], or None if it is not one."""
    try:
        number = float(value or "")
    except ValueError:
        return None
    if math.isnan(number):
        return None
    return min(LONGEST_RETRY_AFTER, max(0.0, number))


def _backoff(retry: RetryPolicy, attempt: int) -> float:
    """Exponential backoff with jitter, so many workers don't retry in lockstep."""
    step = retry.backoff * (2**attempt)
    return step / 2 + random.uniform(0, step / 2)  # noqa: S311 - jitter, not a secret
