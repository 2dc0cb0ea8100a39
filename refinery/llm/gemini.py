"""Gemini generateContent (POST {base}/v1beta/models/{model}:generateContent)."""

from typing import Any
from urllib.parse import quote

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

NAME = "Gemini"
BASE_URL = "https://generativelanguage.googleapis.com"
MODEL = "gemini-3.5-flash-lite"  # stable, and the replacement named for gemini-2.5-flash


def build_request(
    meta: MetaPrompt, *, api_key: str, model: str, base_url: str, max_tokens: int
) -> Request:
    """The generateContent request: systemInstruction, contents, JSON generationConfig."""
    name = model.removeprefix("models/")
    url = join_url(base_url, "v1beta", f"/models/{quote(name, safe='-._~')}:generateContent")
    body = {
        "systemInstruction": {"parts": [{"text": meta.system}]},
        "contents": [{"role": "user", "parts": [{"text": meta.user}]}],
        "generationConfig": {
            "responseMimeType": "application/json",
            "maxOutputTokens": max_tokens,
        },
    }
    # The key goes in a header, never in ?key=, so it cannot leak through logged URLs.
    headers = {"x-goog-api-key": api_key, "Content-Type": "application/json"}
    return Request(NAME, url, headers, body, api_key, read_failure)


def read_answer(body: dict[str, Any], model: str) -> ProviderAnswer:
    """The first candidate's text parts and the usage metadata, or ProviderError."""
    blocked = as_dict(body.get("promptFeedback")).get("blockReason")
    if blocked:
        raise ProviderError(f"{NAME} blocked the prompt ({blocked}).")
    candidate = as_dict((as_list(body.get("candidates")) or [None])[0])
    finish = candidate.get("finishReason")
    if finish == "MAX_TOKENS":
        raise ProviderError(f"{NAME}'s answer was cut off at the output token limit.")
    parts = [as_dict(part) for part in as_list(as_dict(candidate.get("content")).get("parts"))]
    # Thought summaries are parts too; only the answer parts count.
    text = "".join(
        part["text"]
        for part in parts
        if isinstance(part.get("text"), str) and not part.get("thought")
    )
    if not text.strip():
        reason = f" (finishReason {finish})" if finish else ""
        raise ProviderError(f"{NAME} answered with no text{reason}.")
    usage = as_dict(body.get("usageMetadata"))
    output = token_count(usage.get("candidatesTokenCount"))
    thoughts = token_count(usage.get("thoughtsTokenCount"))
    if output is not None and thoughts is not None:
        output += thoughts  # billed as output, like OpenAI's reasoning tokens
    return ProviderAnswer(
        text=text,
        model=reported_model(body.get("modelVersion"), model),
        input_tokens=token_count(usage.get("promptTokenCount")),
        output_tokens=output,
    )


def read_failure(status: int, body: Any) -> Failure:
    """Read {"error": {"code", "message", "status", "details"}}.

    Gemini words every 429 as "exceeded your current quota ... billing", even per-minute
    limits, so the text says nothing; the structured details do: a QuotaFailure on a
    per-day quota means no retry today, and RetryInfo.retryDelay is the wait it asks for.
    """
    error = as_dict(as_dict(body).get("error"))
    message = error.get("message") if isinstance(error.get("message"), str) else ""
    auth = quota = False
    retry_after = None
    for detail in map(as_dict, as_list(error.get("details"))):
        kind = str(detail.get("@type", ""))
        if kind.endswith("google.rpc.ErrorInfo") and detail.get("reason") == "API_KEY_INVALID":
            auth = True  # Gemini says "API key not valid" with a 400
        elif kind.endswith("google.rpc.RetryInfo"):
            retry_after = _seconds(detail.get("retryDelay"))
        elif kind.endswith("google.rpc.QuotaFailure"):
            violations = map(as_dict, as_list(detail.get("violations")))
            quota = quota or any("PerDay" in str(v.get("quotaId", "")) for v in violations)
    return Failure(message=message, auth=auth, quota_exhausted=quota, retry_after=retry_after)


def _seconds(delay: Any) -> float | None:
    """A protobuf Duration string such as "30s" or "1.5s" in seconds."""
    if not isinstance(delay, str) or not delay.endswith("s"):
        return None
    try:
        return max(0.0, float(delay[:-1]))
    except ValueError:
        return None
