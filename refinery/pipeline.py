"""The optimize pipeline: refine locally or through a provider, charge the quota, record."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from refinery import db, metrics
from refinery.config import Config
from refinery.crypto import decrypt_secret
from refinery.engine import local
from refinery.engine.checks import find_losses
from refinery.engine.tokens import DEFAULT_ENCODING, count_tokens
from refinery.llm import (
    ProviderError,
    longest_call,
    refine_remote,
    thread_session,
    vet_endpoint,
)
from refinery.optimization import Optimization
from refinery.queries import optimizations, provider_configs

log = logging.getLogger("refinery.pipeline")
LOCAL_MODEL = "refinery-local-1"
NOT_SHORTER = "The result was not shorter than the input, so the input is returned unchanged."
# Spare time past the longest possible call before its pending record counts as abandoned.
SETTLE_MARGIN = 60.0
# How often one process settles an organization's abandoned pending records, at most.
SWEEP_EVERY = 60.0
_swept: dict[str, float] = {}  # organization id -> when this process last swept it
_swept_lock = threading.Lock()


@dataclass(frozen=True)
class OptimizeRequest:
    """A validated optimize request."""

    text: str
    provider: str
    strategy: str
    level: str
    output_format: str
    model: str | None


class QuotaExceeded(Exception):
    """This month's allowance is spent; outcome: {used, limit, reset_at} as it stands."""

    def __init__(self, outcome: dict) -> None:
        super().__init__("This month's request quota is used up.")
        self.outcome = outcome


class ProviderNotConfigured(Exception):
    """Neither the organization nor the service has a key for the provider."""


class EndpointRefused(Exception):
    """The organization's custom provider endpoint may not be called (now resolves inward)."""


def _savings(original_tokens: int, refined_tokens: int) -> tuple[int, float]:
    """Tokens saved and the percentage, to two decimals."""
    saved = original_tokens - refined_tokens
    percent = round(100.0 * saved / original_tokens, 2) if original_tokens else 0.0
    return saved, percent


def _request_fields(principal: dict, request: OptimizeRequest, original_tokens: int) -> dict:
    """The fields every record of this request shares."""
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
        "original_tokens": original_tokens,
    }


def _result_fields(
    request: OptimizeRequest,
    original_tokens: int,
    refined_text: str,
    removed: list,
    warnings: list,
    refined_tokens: int | None = None,
) -> dict:
    """The result and its savings, never worse than the input (one rule for all).

    A result that saves nothing is not worth its risk or its difference: the input comes
    back as it was, with a warning that says so (a JSON envelope around a tiny prompt, an
    LLM's longer rewrite, a prompt with nothing to remove).
    refined_tokens: the refined text's count when already known (the local engine's).
    """
    if refined_tokens is None:
        refined_tokens = count_tokens(refined_text)
    if refined_tokens >= original_tokens:
        refined_text, refined_tokens, removed = request.text, original_tokens, []
        warnings = [*warnings, NOT_SHORTER]
    saved, percent = _savings(original_tokens, refined_tokens)
    return {
        "status": "completed",
        "refined_text": refined_text,
        "refined_tokens": refined_tokens,
        "tokens_saved": saved,
        "savings_percentage": percent,
        "removed_segments": list(removed),
        "warnings": list(warnings),
    }


def _elapsed_ms(started: float) -> int:
    """Milliseconds since a perf_counter reading."""
    return round((time.perf_counter() - started) * 1000)


def stale_after(config: Config) -> float:
    """Seconds after its reservation when a pending record's call can no longer finish.

    The longest provider call these settings allow, then finishing it (a wait for a pooled
    connection, a new connection and one statement), then SETTLE_MARGIN.
    """
    call = longest_call(
        config.provider_timeout, config.provider_max_retries, config.provider_max_wait
    )
    finish = (
        config.db_pool_timeout + config.db_connect_timeout + config.db_statement_timeout_ms / 1000
    )
    return call + finish + SETTLE_MARGIN


def _sweep_due(organization_id: str) -> bool:
    """Whether this process should settle the organization's stale records now (once a minute)."""
    now = time.monotonic()
    with _swept_lock:
        last = _swept.get(organization_id)
        if last is not None and now - last < SWEEP_EVERY:
            return False
        if len(_swept) >= 4096:  # forget organizations not seen for a minute
            for seen in [key for key, when in _swept.items() if now - when >= SWEEP_EVERY]:
                del _swept[seen]
        _swept[organization_id] = now
        return True


def settle_abandoned(config: Config, principal: dict) -> None:
    """Before a reservation, at most once a minute: fail and refund abandoned pending records.

    A pending record older than stale_after() belongs to a call whose process died or lost
    the database before finishing it; its request is given back.
    """
    organization_id = principal["organization_id"]
    if not _sweep_due(organization_id):
        return
    with db.single_statement(organization_id, principal.get("session_check")) as conn:
        settled = optimizations.settle_stale(conn, organization_id, stale_after(config))
    if settled:
        log.warning("settled %d abandoned provider call(s) as failed and refunded them", settled)


def run(config: Config, principal: dict, request: OptimizeRequest) -> tuple[Optimization, dict]:
    """Optimize one prompt; return (the stored record, the quota outcome).

    Raises QuotaExceeded, ProviderNotConfigured, EndpointRefused or the provider's
    ProviderError (after recording the failure and refunding the request).
    """
    settle_abandoned(config, principal)
    if request.provider == "local":
        return _run_local(principal, request)
    return _run_remote(config, principal, request)


def refine_locally(principal: dict, request: OptimizeRequest) -> Optimization:
    """Run the local engine; return the finished record, not yet stored."""
    started = time.perf_counter()
    result = local.refine(request.text, request.strategy, request.level, request.output_format)
    # The engine counted both texts with the same encoding: not counted twice.
    return Optimization(
        **_request_fields(principal, request, result.original_tokens),
        **_result_fields(
            request,
            result.original_tokens,
            result.refined_text,
            result.removed_segments,
            result.warnings,
            result.refined_tokens,
        ),
        model=LOCAL_MODEL,
        duration_ms=_elapsed_ms(started),
    )


def _run_local(principal: dict, request: OptimizeRequest) -> tuple[Optimization, dict]:
    """The local engine, then reservation and record in one statement."""
    optimization = refine_locally(principal, request)
    with db.single_statement(principal["organization_id"], principal.get("session_check")) as conn:
        outcome = optimizations.reserve_and_record(conn, optimization.columns())
    if not outcome["allowed"]:
        metrics.quota_rejections.inc()
        raise QuotaExceeded(outcome)
    _count(optimization)
    return optimization.stored(outcome), outcome


@dataclass(frozen=True)
class Credentials:
    """What a provider call needs: the key, and where and which model."""

    api_key: str
    base_url: str
    model: str
    custom_endpoint: bool


def resolve_credentials(config: Config, principal: dict, provider: str) -> Credentials:
    """The organization's active key wins, else the service-wide one, else ProviderNotConfigured."""
    settings = config.provider(provider)
    organization_id = principal["organization_id"]
    with db.reading(organization_id, principal.get("session_check")) as conn:
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
    raise ProviderNotConfigured(
        f"No {provider} API key is configured: an admin can add one with "
        f"PUT /api/providers/{provider}."
    )


@dataclass(frozen=True)
class _Endpoint:
    """Credentials checked for a call, and the address their custom endpoint resolved to."""

    credentials: Credentials
    address: str | None


def _checked_credentials(config: Config, principal: dict, provider: str) -> _Endpoint:
    """The credentials, with a custom endpoint checked again now (DNS may have changed).

    Every connection of the call then goes to the address checked here.
    """
    credentials = resolve_credentials(config, principal, provider)
    address = None
    if credentials.custom_endpoint:
        try:
            address = vet_endpoint(
                credentials.base_url, config.allow_private_provider_endpoints
            ).address
        except ValueError as error:
            raise EndpointRefused(str(error)) from None
    return _Endpoint(credentials, address)


def refine_remotely(
    config: Config,
    principal: dict,
    request: OptimizeRequest,
    endpoint: _Endpoint,
    asked: dict | None = None,
) -> tuple[Optimization, ProviderError | None]:
    """Call the provider (its retries and timeouts) holding no connection; not stored.

    Returns the completed record, or the failed record and the provider's error. `asked`:
    the request's fields when the caller has them already (its text counted once).
    """
    credentials = endpoint.credentials
    if asked is None:
        asked = _request_fields(principal, request, count_tokens(request.text))
    model = request.model or credentials.model
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
            address=endpoint.address,
            timeout=config.provider_timeout,
            max_retries=config.provider_max_retries,
            backoff=config.provider_backoff,
            max_wait=config.provider_max_wait,
            session=thread_session(),
        )
    except ProviderError as error:
        metrics.provider_duration.labels(request.provider).observe(time.perf_counter() - started)
        metrics.provider_errors.labels(request.provider, error.code).inc()
        failed = Optimization(
            **asked,
            model=model,
            status="failed",
            error_code=error.code,
            duration_ms=_elapsed_ms(started),
        )
        return failed, error
    metrics.provider_duration.labels(request.provider).observe(time.perf_counter() - started)
    optimization = Optimization(
        **asked,
        **_result_fields(
            request,
            asked["original_tokens"],
            answer.refined_text,
            answer.removed_segments,
            find_losses(request.text, answer.refined_text),
        ),
        model=answer.model,
        provider_input_tokens=answer.input_tokens,
        provider_output_tokens=answer.output_tokens,
        duration_ms=_elapsed_ms(started),
    )
    return optimization, None


def refine_reserved(
    config: Config, principal: dict, request: OptimizeRequest
) -> tuple[Optimization, str | None]:
    """Refine a request whose quota is already reserved (a batch item); not stored.

    The same code as run() without the charge: returns (record, error message); a request
    that cannot be served is a failed record whose error_code says why.
    """
    if request.provider == "local":
        return refine_locally(principal, request), None
    try:
        endpoint = _checked_credentials(config, principal, request.provider)
    except (ProviderNotConfigured, EndpointRefused) as error:
        code = (
            "provider_not_configured"
            if isinstance(error, ProviderNotConfigured)
            else "provider_endpoint_refused"
        )
        asked = _request_fields(principal, request, count_tokens(request.text))
        failed = Optimization(**asked, model=request.model, status="failed", error_code=code)
        return failed, str(error)
    optimization, error = refine_remotely(config, principal, request, endpoint)
    return optimization, (error.message if error is not None else None)


def _run_remote(
    config: Config, principal: dict, request: OptimizeRequest
) -> tuple[Optimization, dict]:
    """Reserve and record as pending, call the provider holding no connection, then finish."""
    endpoint = _checked_credentials(config, principal, request.provider)
    asked = _request_fields(principal, request, count_tokens(request.text))
    organization_id = principal["organization_id"]

    # The charge and the pending record are one statement: a request is never charged
    # without its history row, whatever happens to this process or the database later.
    pending = Optimization(
        **asked, model=request.model or endpoint.credentials.model, status="pending"
    )
    with db.single_statement(organization_id, principal.get("session_check")) as conn:
        outcome = optimizations.reserve_and_record(conn, pending.columns())
    if not outcome["allowed"]:
        metrics.quota_rejections.inc()
        raise QuotaExceeded(outcome)
    pending_id = outcome["id"]

    optimization, error = refine_remotely(config, principal, request, endpoint, asked)
    if error is not None:
        with db.single_statement(organization_id) as conn:
            optimizations.fail(
                conn, organization_id, pending_id, error.code, optimization.duration_ms
            )
        _count(optimization)
        raise error
    with db.single_statement(organization_id) as conn:
        row = optimizations.complete(conn, pending_id, optimization.columns())
    if row is None:
        # Settled by the sweep, then erased, before the call finished: nothing to charge.
        log.warning("a provider call finished after its record was settled and erased")
        row = {"id": pending_id, "created_at": outcome["created_at"]}
    elif row["recharged"] is not None:
        log.warning("a provider call finished after the sweep settled it: charged again")
        outcome = {**outcome, "used": row["recharged"]}
    _count(optimization)
    return optimization.stored(row), outcome


def _count(optimization: Optimization) -> None:
    """Count a recorded optimization, and its tokens when it completed."""
    provider = optimization.provider
    metrics.optimizations.labels(
        provider, optimization.compression_level, optimization.status
    ).inc()
    if optimization.status == "completed":
        metrics.tokens_in.labels(provider).inc(optimization.original_tokens)
        metrics.tokens_saved.labels(provider).inc(max(0, optimization.tokens_saved or 0))
