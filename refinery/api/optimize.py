"""The optimize blueprint: POST /api/optimize and the organization's history."""

from __future__ import annotations

import re

from flask import Blueprint, current_app, g, jsonify, request

from refinery import db, pipeline
from refinery.api.identity import login_required
from refinery.api.paging import page_json, read_moment, read_page
from refinery.api.serializers import (
    optimization_json,
    optimization_summary_json,
    timestamp,
    usage_json,
)
from refinery.api.validation import Fields, json_body, path_id
from refinery.engine import local
from refinery.errors import APIError, NotFound
from refinery.llm import PROVIDERS
from refinery.queries import optimizations

bp = Blueprint("optimize", __name__, url_prefix="/api/optimize")

PROVIDER_CHOICES = ("local", *PROVIDERS)
STATUSES = ("completed", "failed")
_MODEL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/@-]{0,127}$")


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
    text = fields.string("text", max_len=limit, strip=False)
    if text is not None and not text.strip():
        fields.fail("text", "must not be empty or only whitespace")
    provider = fields.choice("provider", PROVIDER_CHOICES, default="local")
    strategy = fields.choice("strategy", local.STRATEGIES, default="UNIVERSAL")
    level = fields.choice("compressionLevel", local.LEVELS, default="medium")
    output_format = fields.choice("outputFormat", local.OUTPUT_FORMATS, default="default")
    model = fields.string("model", required=False, max_len=128)
    if model is not None and not _MODEL.match(model):
        fields.fail("model", "must be a model id like gpt-4o-mini")
    fields.check()
    return pipeline.OptimizeRequest(text, provider, strategy, level, output_format, model)


@bp.post("")
@login_required(allow_api_key=True, fold_session_check=True)
def optimize():
    """Refine one prompt, record it, and charge one request of the monthly quota."""
    optimize_request = _read_request()
    record, outcome = pipeline.run(current_app.config["REFINERY"], g.principal, optimize_request)
    body = {
        "id": str(record["id"]),
        "refinedText": record["refined_text"],
        "originalTokens": record["original_tokens"],
        "refinedTokens": record["refined_tokens"],
        "tokensSaved": record["tokens_saved"],
        "savingsPercentage": record["savings_percentage"],
        "tokenizer": record["tokenizer"],
        "provider": record["provider"],
        "model": record["model"],
        "strategy": record["strategy"],
        "compressionLevel": record["compression_level"],
        "outputFormat": record["output_format"],
        "removedSegments": record["removed_segments"],
        "warnings": record["warnings"],
        "durationMs": record["duration_ms"],
        "providerUsage": {
            "inputTokens": record.get("provider_input_tokens"),
            "outputTokens": record.get("provider_output_tokens"),
        },
        "usage": usage_json(outcome),
        "createdAt": timestamp(record["created_at"]),
    }
    return jsonify(body), 200, pipeline.rate_limit_headers(outcome)


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
    with db.reading(g.principal["organization_id"]) as conn:
        rows = optimizations.list_page(conn, g.principal["organization_id"], filters, page)
    return jsonify(page_json(rows, page, optimization_summary_json))


@bp.get("/history/<raw_id>")
@login_required(allow_api_key=True, fold_session_check=True)
def history_detail(raw_id: str):
    """One whole record of the organization."""
    with db.reading(g.principal["organization_id"]) as conn:
        row = optimizations.get_one(
            conn, g.principal["organization_id"], path_id(raw_id, "Optimization")
        )
    if row is None:
        raise NotFound("Optimization not found.")
    return jsonify(optimization_json(row))


@bp.delete("/history/<raw_id>")
@login_required(allow_api_key=True, fold_session_check=True)
def history_delete(raw_id: str):
    """Erase one record (for a prompt that held something private)."""
    with db.transaction(g.principal["organization_id"]) as conn:
        deleted = optimizations.delete_one(
            conn, g.principal["organization_id"], path_id(raw_id, "Optimization")
        )
    if not deleted:
        raise NotFound("Optimization not found.")
    return "", 204
