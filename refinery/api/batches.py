"""The batches blueprint: create a batch of optimize requests, read it, its results, cancel it."""

from __future__ import annotations

import json
import re
import time

from flask import Blueprint, Response, current_app, g, jsonify, request, stream_with_context

from refinery import db
from refinery.api.identity import login_required
from refinery.api.optimize import DEFAULTS, QuotaExceeded, read_optimize_request, read_options
from refinery.api.paging import page_json, read_page
from refinery.api.serializers import batch_json, batch_result_json, timestamp
from refinery.api.validation import Fields, json_body, path_id
from refinery.errors import APIError, NotFound, ValidationError
from refinery.queries import batches

bp = Blueprint("batches", __name__, url_prefix="/api/batches")

MAX_ITEMS = 10_000
# What a customId may hold: the OpenAPI document spells out the same pattern.
CUSTOM_ID = re.compile(r"^[!-~](?:[ -~]{0,62}[!-~])?$")
CUSTOM_ID_MAX = 64
BATCH_TTL_SECONDS = 24 * 3600
STATUSES = (
    "validating",
    "in_progress",
    "completed",
    "cancelling",
    "cancelled",
    "expired",
    "failed",
)
_RESULTS_CHUNK = 500
NDJSON = "application/x-ndjson"


def _raw_items() -> tuple[list, dict]:
    """The items and the batch-wide options' source: a JSON body, or NDJSON lines."""
    if request.mimetype == NDJSON:
        items = []
        body = request.get_data(cache=True).decode("utf-8", errors="replace")
        for number, line in enumerate(body.splitlines()):
            if not line.strip():
                continue
            try:
                items.append(json.loads(line))
            except (ValueError, RecursionError):
                raise APIError(
                    f"Line {number + 1} of the NDJSON body is not valid JSON.",
                    code="invalid_json",
                ) from None
        return items, request.args.to_dict()
    data = json_body()
    items = data.get("items")
    if not isinstance(items, list):
        raise ValidationError(details=[{"field": "items", "message": "must be an array"}])
    return items, data


def _read_items() -> list[dict]:
    """Every item validated up front: one bad item refuses the batch, naming each."""
    raw, source = _raw_items()
    if not raw:
        raise ValidationError(details=[{"field": "items", "message": "must not be empty"}])
    if len(raw) > MAX_ITEMS:
        raise ValidationError(
            details=[{"field": "items", "message": f"must hold at most {MAX_ITEMS} items"}]
        )
    batch_fields = Fields(source)
    defaults = read_options(batch_fields, DEFAULTS)
    batch_fields.check()
    limit = current_app.config["REFINERY"].max_text_chars
    errors: list[dict] = []
    items: list[dict] = []
    seen: set[str] = set()
    for index, entry in enumerate(raw):
        fields = Fields(entry if isinstance(entry, dict) else {})
        if not isinstance(entry, dict):
            fields.fail("item", "must be a JSON object")
        custom_id = fields.string("customId", max_len=CUSTOM_ID_MAX, strip=False)
        if custom_id is not None and not CUSTOM_ID.match(custom_id):
            fields.fail("customId", "must be printable ASCII with no space at either end")
            custom_id = None
        if custom_id is not None:
            if custom_id in seen:
                fields.fail("customId", "is used by an earlier item")
            seen.add(custom_id)
        optimize_request = read_optimize_request(fields, limit, defaults)
        errors.extend({"index": index, **error} for error in fields.errors)
        if fields.errors:
            continue
        items.append(
            {
                "position": index,
                "custom_id": custom_id,
                "input_text": optimize_request.text,
                "provider": optimize_request.provider,
                "model": optimize_request.model,
                "strategy": optimize_request.strategy,
                "compression_level": optimize_request.level,
                "output_format": optimize_request.output_format,
            }
        )
    if errors:
        raise ValidationError("Some items are not valid; nothing was queued.", details=errors)
    return items


def _quota_error(outcome: dict, requested: int) -> QuotaExceeded:
    """429: the allowance cannot hold every item; says how many remain."""
    remaining = max(0, outcome["limit"] - outcome["used"])
    return QuotaExceeded(
        f"The batch needs {requested} requests; {remaining} remain this month.",
        retry_after=int(outcome["reset_at"].timestamp() - time.time()) + 1,
        extra={
            "remaining": remaining,
            "requested": requested,
            "resetAt": timestamp(outcome["reset_at"]),
        },
    )


def _organization() -> str:
    """The caller's organization."""
    return g.principal["organization_id"]


@bp.post("")
@login_required(allow_api_key=True, fold_session_check=True)
def create():
    """Queue a batch: reserve one request per item, all or nothing; 202 with the batch."""
    items = _read_items()
    with db.transaction(_organization(), g.principal.get("session_check")) as conn:
        outcome = batches.create(conn, _organization(), g.principal, items, BATCH_TTL_SECONDS)
        if not outcome["allowed"]:
            raise _quota_error(outcome, len(items))
        row = batches.get_one(conn, _organization(), outcome["id"])
    return jsonify(batch_json(row)), 202, {"Location": f"/api/batches/{row['id']}"}


@bp.get("")
@login_required(allow_api_key=True, fold_session_check=True)
def list_batches():
    """The organization's batches, newest first."""
    fields = Fields(request.args.to_dict())
    page = read_page(fields)
    status = fields.optional_choice("status", STATUSES)
    fields.check()
    with db.reading(_organization(), g.principal.get("session_check")) as conn:
        rows = batches.list_page(conn, _organization(), status, page)
    return jsonify(page_json(rows, page, batch_json))


def _batch_or_404(conn, raw_id: str) -> dict:
    """The organization's batch, or 404 (another organization's is 404 too)."""
    row = batches.get_one(conn, _organization(), path_id(raw_id, "Batch"))
    if row is None:
        raise NotFound("Batch not found.")
    return row


@bp.get("/<raw_id>")
@login_required(allow_api_key=True, fold_session_check=True)
def get_batch(raw_id: str):
    """One batch: status, counts per item state, timestamps."""
    with db.reading(_organization(), g.principal.get("session_check")) as conn:
        row = _batch_or_404(conn, raw_id)
    return jsonify(batch_json(row))


@bp.get("/<raw_id>/results")
@login_required(allow_api_key=True, fold_session_check=True)
def results(raw_id: str):
    """NDJSON, one line per item in order after ?after=<position>, streamed."""
    fields = Fields(request.args.to_dict())
    after = -1
    raw_after = request.args.get("after")
    if raw_after not in (None, ""):
        try:
            after = int(raw_after)
        except ValueError:
            fields.fail("after", "must be a whole number (an item's position)")
    fields.check()
    organization_id = _organization()
    with db.reading(organization_id, g.principal.get("session_check")) as conn:
        batch_id = _batch_or_404(conn, raw_id)["id"]

    def lines():
        """Each page of results as NDJSON lines, one short read per page."""
        position = after
        while True:
            with db.reading(organization_id) as conn:
                rows = batches.results_page(
                    conn, organization_id, batch_id, position, _RESULTS_CHUNK
                )
            for row in rows:
                line = batch_result_json(row)
                yield json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n"
            if len(rows) < _RESULTS_CHUNK:
                return
            position = rows[-1]["position"]

    return Response(stream_with_context(lines()), mimetype=NDJSON)


@bp.post("/<raw_id>/cancel")
@login_required(allow_api_key=True, fold_session_check=True)
def cancel(raw_id: str):
    """Cancel a live batch: queued items are refunded; running ones finish."""
    batch_id = path_id(raw_id, "Batch")
    with db.transaction(_organization(), g.principal.get("session_check")) as conn:
        stopped = batches.stop(conn, _organization(), batch_id, "cancelled")
        row = _batch_or_404(conn, raw_id)
    if stopped is None and row["status"] not in ("cancelling", "cancelled"):
        raise APIError(
            f"The batch is {row['status']}; only a batch in progress can be cancelled.",
            code="batch_not_cancellable",
            status=409,
        )
    return jsonify(batch_json(row))
