"""Anthropic Messages API (POST {base}/v1/messages)."""

from typing import Any

from .errors import ProviderError
from .meta_prompt import MetaPrompt
from .wire import (
    Failure,
    ProviderAnswer,
    Request,
    as_dict,
    as_list,
    join_url,
    reported_model,
    token_count,
)

NAME = "Anthropic"
BASE_URL = "https://api.anthropic.com"
MODEL = "claude-haiku-4-5"  # the models overview: the fastest current Claude model
API_VERSION = "2023-06-01"


def build_request(
    meta: MetaPrompt, *, api_key: str, model: str, base_url: str, max_tokens: int
) -> Request:
    """The messages request: top-level system prompt, required max_tokens."""
    body = {
        "model": model,
        "max_tokens": max_tokens,
        "system": meta.system,
        "messages": [{"role": "user", "content": meta.user}],
    }
    headers = {
        "x-api-key": api_key,
        "anthropic-version": API_VERSION,
        "Content-Type": "application/json",
    }
    return Request(
        NAME, join_url(base_url, "v1", "/messages"), headers, body, api_key, read_failure
    )


def read_answer(body: dict[str, Any], model: str) -> ProviderAnswer:
    """The text blocks and usage of a message, or ProviderError."""
    stop = body.get("stop_reason")
    if stop == "max_tokens":
        raise ProviderError(f"{NAME}'s answer was cut off at the output token limit.")
    if stop == "refusal":
        raise ProviderError(f"{NAME} refused to rewrite the prompt.")
    blocks = [as_dict(block) for block in as_list(body.get("content"))]
    text = "".join(
        block["text"]
        for block in blocks
        if block.get("type") == "text" and isinstance(block.get("text"), str)
    )
    if not text.strip():
        raise ProviderError(f"{NAME} answered with no text.")
    usage = as_dict(body.get("usage"))
    return ProviderAnswer(
        text=text,
        model=reported_model(body.get("model"), model),
        input_tokens=token_count(usage.get("input_tokens")),
        output_tokens=token_count(usage.get("output_tokens")),
    )


def read_failure(status: int, body: Any) -> Failure:
    """Read {"type": "error", "error": {"type", "message"}}."""
    error = as_dict(as_dict(body).get("error"))
    message = error.get("message") if isinstance(error.get("message"), str) else ""
    details = as_dict(error.get("details"))
    # A spent monthly cap comes as a 429 rate_limit_error with this code, and a prepaid
    # balance at zero as a 400 "credit balance is too low": retrying cannot help either.
    quota = (
        error.get("type") == "billing_error"
        or details.get("error_code") == "enforced_spend_limit_reached"
        or "credit balance" in message.lower()
    )
    return Failure(message=message, quota_exhausted=quota)
