"""The optimize blueprint: POST /api/optimize and the organization's history."""

from __future__ import annotations

import time

from flask import Blueprint, current_app, g, jsonify, request

from refinery import db, pipeline
from refinery.api.identity import login_required
from refinery.api.paging import page_json, read_moment, read_page
from refinery.api.serializers import (
    optimization_json,
    optimization_summary_json,
    timestamp,
)
from refinery.api.validation import Fields, json_body, path_id
from refinery.engine import local
from refinery.errors import APIError, Conflict, NotFound, TooManyRequests
from refinery.llm import PROVIDERS, ProviderError
from refinery.optimization import Optimization
from refinery.queries import optimizations

bp = Blueprint("optimize", __name__, url_prefix="/api/optimize")

PROVIDER_CHOICES = ("local", *PROVIDERS)
STATUSES = ("pending", "completed", "failed")


DEFAULTS = {
    "provider": "local",
    "strategy": "UNIVERSAL",
    "compressionLevel": "medium",
    "outputFormat": "default",
    "model": None,
}


def read_options(fields: Fields, defaults: dict) -> dict:
    """provider, strategy, compressionLevel, outputFormat and model, else the defaults."""
    options = {
        "provider": fields.choice("provider", PROVIDER_CHOICES, default=defaults["provider"]),
        "strategy": fields.choice("strategy", local.STRATEGIES, default=defaults["strategy"]),
        "compressionLevel": fields.choice(
            "compressionLevel", local.LEVELS, default=defaults["compressionLevel"]
        ),
        "outputFormat": fields.choice(
            "outputFormat", local.OUTPUT_FORMATS, default=defaults["outputFormat"]
        ),
    }
    model = fields.model()
    return {**options, "model": model if model is not None else defaults["model"]}


def read_optimize_request(
    fields: Fields, limit: int, defaults: dict = DEFAULTS
) -> pipeline.OptimizeRequest | None:
    """One optimize request out of fields (errors recorded on fields; None if any)."""
    text = fields.string("text", max_len=limit, strip=False, visible=True)
    options = read_options(fields, defaults)
    if fields.errors:
        return None
    return pipeline.OptimizeRequest(
        text,
        options["provider"],
        options["strategy"],
        options["compressionLevel"],
        options["outputFormat"],
        options["model"],
    )


def _read_request() -> pipeline.OptimizeRequest:
    """Validate the body; 413 for text over MAX_TEXT_CHARS, 400 for everything else."""
    data = json_body()
    fields = Fields(data)
    limit = current_app.config["REFINERY"].max_text_chars
    text = data.get("text")
    if isinstance(text, str) and len(text) > limit:
        raise APIError(
            f"text is {len(text)} characters; the limit is {limit}.",
            code="text_too_long",
            status=413,
        )
    optimize_request = read_optimize_request(fields, limit)
    fields.check()
    return optimize_request


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


def _provider_error(error: ProviderError) -> APIError:
    """The JSON error for a provider failure."""
    headers = {}
    if error.retry_after is not None or error.http_status in (429, 503):
        headers["Retry-After"] = str(max(1, round(error.retry_after or 1)))
    return APIError(error.message, code=error.code, status=error.http_status, headers=headers)


@bp.post("")
@login_required(allow_api_key=True, fold_session_check=True)
def optimize():
    """Refine one prompt, record it, and charge one request of the monthly quota."""
    optimize_request = _read_request()
    try:
        optimization, outcome = pipeline.run(
            current_app.config["REFINERY"], g.principal, optimize_request
        )
    except pipeline.QuotaExceeded as error:
        raise _quota_error(error.outcome) from None
    except pipeline.ProviderNotConfigured as error:
        raise APIError(str(error), code="provider_not_configured") from None
    except pipeline.EndpointRefused as error:
        raise APIError(str(error), code="provider_endpoint_refused") from None
    except ProviderError as error:
        raise _provider_error(error) from None
    return jsonify(optimization_json(optimization, outcome)), 200, rate_limit_headers(outcome)


@bp.get("/history")
@login_required(allow_api_key=True, fold_session_check=True)
def history():
    """The organization's optimizations, newest first, without the full texts."""
    fields = Fields(request.args.to_dict())
    page = read_page(fields)
    filters = {
        "provider": fields.optional_choice("provider", PROVIDER_CHOICES),
        "status": fields.optional_choice("status", STATUSES),
        "strategy": fields.optional_choice("strategy", local.STRATEGIES),
        "from": read_moment(fields, "from", end_of_day=False),
        "to": read_moment(fields, "to", end_of_day=True),
    }
    fields.check()
    with db.reading(g.principal["organization_id"], g.principal.get("session_check")) as conn:
        rows = optimizations.list_page(conn, g.principal["organization_id"], filters, page)
    return jsonify(page_json(rows, page, optimization_summary_json))


@bp.get("/history/<raw_id>")
@login_required(allow_api_key=True, fold_session_check=True)
def history_detail(raw_id: str):
    """One whole record of the organization."""
    with db.reading(g.principal["organization_id"], g.principal.get("session_check")) as conn:
        row = optimizations.get_one(
            conn, g.principal["organization_id"], path_id(raw_id, "Optimization")
        )
    if row is None:
        raise NotFound("Optimization not found.")
    return jsonify(optimization_json(Optimization.from_row(row)))


@bp.delete("/history/<raw_id>")
@login_required(allow_api_key=True, fold_session_check=True)
def history_delete(raw_id: str):
    """Erase one record (for a prompt that held something private)."""
    with db.transaction(g.principal["organization_id"], g.principal.get("session_check")) as conn:
        status = optimizations.delete_one(
            conn, g.principal["organization_id"], path_id(raw_id, "Optimization")
        )
    if status is None:
        raise NotFound("Optimization not found.")
    if status == "pending":
        # Its provider call is in flight: the record holds the request's charge until settled.
        raise Conflict(
            "This optimization is still running; erase it once it has finished.",
            code="optimization_pending",
        )
    return "", 204
