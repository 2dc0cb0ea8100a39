"""The usage blueprint: what the organization used and saved over a period."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import Blueprint, current_app, g, jsonify, request

from refinery import db
from refinery.api.identity import login_required
from refinery.api.paging import read_moment
from refinery.api.serializers import subscription_json, timestamp
from refinery.api.validation import Fields
from refinery.errors import NotFound
from refinery.queries import organizations, usage

bp = Blueprint("usage", __name__, url_prefix="/api/usage")


def _figures(row: dict) -> dict:
    """Counts and token sums of one group."""
    original, saved = row["original_tokens"], row["tokens_saved"]
    return {
        "optimizations": row["optimizations"],
        "failed": row["failed"],
        "pending": row["pending"],
        "originalTokens": original,
        "refinedTokens": row["refined_tokens"],
        "tokensSaved": saved,
        "savingsPercentage": round(100.0 * saved / original, 2) if original else 0.0,
        "estimatedSavingsUsd": round(float(row["saved_usd"]), 6),
    }


def _price_per_token() -> dict[str, float]:
    """USD value of one saved token, per strategy, from the configured price table."""
    config = current_app.config["REFINERY"]
    prices = dict(config.model_input_prices)
    return {strategy: prices[model] / 1e6 for strategy, model in config.strategy_price_models}


@bp.get("")
@login_required(allow_api_key=True, fold_session_check=True)
def get_usage():
    """Plan and quota, then totals, per provider and per day over [from, to)."""
    fields = Fields(request.args.to_dict())
    now = datetime.now(UTC)
    month_start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    start = read_moment(fields, "from", end_of_day=False) or month_start
    end = read_moment(fields, "to", end_of_day=True) or now + timedelta(seconds=1)
    fields.check()  # a period that ends before it starts is empty, not an error
    organization_id = g.principal["organization_id"]
    with db.reading(g.principal["organization_id"], g.principal.get("session_check")) as conn:
        org = organizations.get_organization(conn, organization_id)
        rows = usage.summarize(conn, organization_id, start, end, _price_per_token())
    if org is None:
        raise NotFound("Organization not found.")
    empty = {
        "optimizations": 0,
        "failed": 0,
        "pending": 0,
        "original_tokens": 0,
        "refined_tokens": 0,
        "tokens_saved": 0,
        "saved_usd": 0,
    }
    total = next((row for row in rows if row["grouping"] == 3), empty)
    totals = _figures(total)
    config = current_app.config["REFINERY"]
    return jsonify(
        {
            **subscription_json(org),
            "from": timestamp(start),
            "to": timestamp(end),
            "totals": totals,
            "byProvider": [
                {"provider": row["provider"], **_figures(row)}
                for row in rows
                if row["grouping"] == 1
            ],
            "byDay": [
                {"date": row["day"].isoformat(), **_figures(row)}
                for row in rows
                if row["grouping"] == 2
            ],
            "estimatedSavingsUsd": totals["estimatedSavingsUsd"],
            "pricing": {
                "usdPerMillionInputTokens": dict(config.model_input_prices),
                "modelByStrategy": dict(config.strategy_price_models),
            },
        }
    )
