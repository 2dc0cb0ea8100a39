"""The optimize pipeline: refine locally or through a provider, charge the quota, record."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import requests

from refinery import db
from refinery.api.serializers import timestamp
from refinery.config import Config
from refinery.crypto import decrypt_secret
from refinery.engine import local
from refinery.engine.checks import find_losses
from refinery.engine.tokens import DEFAULT_ENCODING, count_tokens
from refinery.errors import APIError, TooManyRequests
from refinery.llm import ProviderError, refine_remote, validate_endpoint
from refinery.queries import optimizations, provider_configs, quota

LOCAL_MODEL = "refinery-local-1"
_sessions = threading.local()


@dataclass(frozen=True)
class OptimizeRequest:
    """A validated optimize request."""

    text: str
    provider: str
    strategy: str
    level: str
    output_format: str
    model: str | None


class QuotaExceeded(TooManyRequests):
    """429: this month's allowance is spent."""

    code = "quota_exceeded"


def rate_limit_headers(outcome: dict) -> dict[str, str]:
    """X-RateLimit-Limit/Remaining/Reset (epoch seconds) for a quota outcome."""
    return {
        "X-RateLimit-Limit": str(outcome["limit"]),
        "X-RateLimit-Remaining": str(max(0, outcome["limit"] - outcome["used"])),
        "X-RateLimit-Reset": str(int(outcome["reset_at"].timestamp())),
    }


def _quota_error(outcome: dict) -> QuotaExceeded:
    """The 429 for a spent allowance, with when it comes back."""
    reset_at = outcome["reset_at"]
    error = QuotaExceeded(
        "This month's request quota is used up.",
        retry_after=int(reset_at.timestamp() - time.time()) + 1,
        extra={"remaining": 0, "resetAt": timestamp(reset_at)},
    )
    error.headers.update(rate_limit_headers(outcome))
    return error


def _savings(original_tokens: int, refined_tokens: int) -> tuple[int, float]:
    """Tokens saved and the percentage, to two decimals."""
    saved = original_tokens - refined_tokens
    percent = round(100.0 * saved / original_tokens, 2) if original_tokens else 0.0
    return saved, percent


def _base_record(
    principal: dict, request: OptimizeRequest, original_tokens: int | None = None
) -> dict:
    """The fields every record of this request shares (original_tokens: when already counted)."""
    return {
        "organization_id": principal["organization_id"],
        "user_id": principal.get("user_id"),
        "api_key_id": principal.get("api_key_id"),
        "provider": request.provider,
        "strategy": request.strategy,
        "compression_level": request.level,
        "output_format": request.output_format,
        "original_text": request.text,
        "tokenizer": DEFAULT_ENCODING,
        "original_tokens": (
            count_tokens(request.text) if original_tokens is None else original_tokens
        ),
    }


def run(config: Config, principal: dict, request: OptimizeRequest) -> tuple[dict, dict]:
    """Optimize one prompt; return (stored record, quota outcome)."""
    if request.provider == "local":
        return _run_local(principal, request)
    return _run_remote(config, principal, request)


NOT_SHORTER = "The result was not shorter than the input, so the input is returned unchanged."


def _finish(
    record: dict,
    refined_text: str,
    removed: list,
    warnings: list,
    must_be_shorter: bool,
    refined_tokens: int | None = None,
) -> None:
    """Fill in the result and its savings, never worse than the input (one rule for all).

    must_be_shorter: an LLM's rewrite that saves nothing is not worth its risk, so the input
    is kept; the local engine's may tie (whitespace normalized, nothing else to remove).
    refined_tokens: the refined text's count when already known (the local engine's).
    """
    if refined_tokens is None:
        refined_tokens = count_tokens(refined_text)
    original_tokens = record["original_tokens"]
    if refined_tokens > original_tokens or (must_be_shorter and refined_tokens == original_tokens):
        # A JSON envelope around a tiny prompt, or a provider's longer rewrite.
        refined_text, refined_tokens, removed = record["original_text"], original_tokens, []
        warnings = [*warnings, NOT_SHORTER]
    saved, percent = _savings(record["original_tokens"], refined_tokens)
    record.update(
        status="completed",
        refined_text=refined_text,
        refined_tokens=refined_tokens,
        tokens_saved=saved,
        savings_percentage=percent,
        removed_segments=list(removed),
        warnings=list(warnings),
    )


def refine_locally(principal: dict, request: OptimizeRequest) -> dict:
    """Run the local engine; return the finished record, not yet stored."""
    started = time.perf_counter()
    result = local.refine(request.text, request.strategy, request.level, request.output_format)
    # The engine counted both texts with the same encoding: not counted twice.
    record = _base_record(principal, request, result.original_tokens)
    _finish(
        record,
        result.refined_text,
        result.removed_segments,
        result.warnings,
        False,
        result.refined_tokens,
    )
    record.update(model=LOCAL_MODEL, duration_ms=round((time.perf_counter() - started) * 1000))
    return record


def _run_local(principal: dict, request: OptimizeRequest) -> tuple[dict, dict]:
    """The local engine, then reservation and record in one statement."""
    record = refine_locally(principal, request)
    with db.single_statement(principal["organization_id"]) as conn:
        outcome = optimizations.reserve_and_record(conn, record)
    if not outcome["allowed"]:
        raise _quota_error(outcome)
    record.update(id=outcome["id"], created_at=outcome["created_at"])
    return record, outcome


@dataclass(frozen=True)
class Credentials:
    """What a provider call needs: the key, and where and which model."""

    api_key: str
    base_url: str
    model: str
    custom_endpoint: bool


def resolve_credentials(config: Config, organization_id: str, provider: str) -> Credentials:
    """The organization's active key wins, else the service-wide one, else 400."""
    settings = config.provider(provider)
    with db.reading(organization_id) as conn:
        stored = provider_configs.get_config(conn, organization_id, provider)
    if stored is not None and stored["is_active"]:
        return Credentials(
            api_key=decrypt_secret(config.encryption_keys, stored["api_key_encrypted"]),
            base_url=stored["endpoint"] or settings.base_url,
            model=stored["model"] or settings.model,
            custom_endpoint=bool(stored["endpoint"]),
        )
    if settings.api_key:
        return Credentials(settings.api_key, settings.base_url, settings.model, False)
    raise APIError(
        f"No {provider} API key is configured: an admin can add one with "
        f"PUT /api/providers/{provider}.",
        code="provider_not_configured",
    )


def _http_session() -> requests.Session:
    """One requests.Session per thread, so provider connections are reused."""
    session = getattr(_sessions, "session", None)
    if session is None:
        session = _sessions.session = requests.Session()
    return session


def _provider_error(error: ProviderError) -> APIError:
    """The JSON error for a provider failure."""
    headers = {}
    if error.retry_after is not None or error.http_status in (429, 503):
        headers["Retry-After"] = str(max(1, round(error.retry_after or 1)))
    return APIError(error.message, code=error.code, status=error.http_status, headers=headers)


def _run_remote(config: Config, principal: dict, request: OptimizeRequest) -> tuple[dict, dict]:
    """Reserve, call the provider holding no connection, then record or refund."""
    credentials = resolve_credentials(config, principal["organization_id"], request.provider)
    if credentials.custom_endpoint:
        # Checked again at call time: DNS may have changed since the key was saved.
        try:
            validate_endpoint(credentials.base_url, config.allow_private_provider_endpoints)
        except ValueError as error:
            raise APIError(str(error), code="provider_endpoint_refused") from None
    record = _base_record(principal, request)
    model = request.model or credentials.model

    with db.single_statement(principal["organization_id"]) as conn:
        outcome = quota.reserve_request(conn, principal["organization_id"])
    if not outcome["allowed"]:
        raise _quota_error(outcome)

    started = time.perf_counter()
    try:
        answer = refine_remote(
            request.provider,
            request.text,
            strategy=request.strategy,
            level=request.level,
            output_format=request.output_format,
            api_key=credentials.api_key,
            model=model,
            base_url=credentials.base_url,
            timeout=config.provider_timeout,
            max_retries=config.provider_max_retries,
            backoff=config.provider_backoff,
            max_wait=config.provider_max_wait,
            session=_http_session(),
        )
    except ProviderError as error:
        record.update(
            model=model,
            status="failed",
            error_code=error.code,
            duration_ms=round((time.perf_counter() - started) * 1000),
        )
        with db.single_statement(principal["organization_id"]) as conn:
            optimizations.record_failure(conn, record, outcome["period_start"])
        raise _provider_error(error) from None

    losses = find_losses(request.text, answer.refined_text)
    _finish(record, answer.refined_text, answer.removed_segments, losses, True)
    record.update(
        model=answer.model,
        provider_input_tokens=answer.input_tokens,
        provider_output_tokens=answer.output_tokens,
        duration_ms=round((time.perf_counter() - started) * 1000),
    )
    with db.single_statement(principal["organization_id"]) as conn:
        record.update(optimizations.record(conn, record))
    return record, outcome
