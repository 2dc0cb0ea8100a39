"""OpenAI chat completions (POST {base}/v1/chat/completions), also DeepSeek's wire format."""

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

NAME = "OpenAI"
BASE_URL = "https://api.openai.com"
MODEL = "gpt-5.4-mini"  # OpenAI's models page: the lower-latency, lower-cost choice

# 429 codes and words that mean "out of money", not "too fast" (insufficient_quota says
# "You exceeded your current quota, please check your plan and billing details").
_QUOTA_CODES = frozenset({"insufficient_quota", "billing_hard_limit_reached"})
_QUOTA_WORDS = ("quota", "billing", "credit balance")


def build_request(
    meta: MetaPrompt, *, api_key: str, model: str, base_url: str, max_tokens: int
) -> Request:
    """The chat completions request for OpenAI."""
    url = join_url(base_url, "v1", "/chat/completions")
    # max_completion_tokens replaced max_tokens for OpenAI and is required by its reasoning
    # models; temperature is left out because those models reject anything but the default.
    return chat_completions_request(
        NAME, url, meta, api_key=api_key, model=model, limit={"max_completion_tokens": max_tokens}
    )


def chat_completions_request(
    name: str, url: str, meta: MetaPrompt, *, api_key: str, model: str, limit: dict[str, int]
) -> Request:
    """A chat completions request in JSON mode; ``limit`` names the output-token field."""
    body = {
        "model": model,
        "messages": [
            {"role": "system", "content": meta.system},
            {"role": "user", "content": meta.user},
        ],
        "response_format": {"type": "json_object"},
        **limit,
    }
    headers = {"Authorization": f"Bearer {api_key}", "Content-Type": "application/json"}
    return Request(name, url, headers, body, api_key, read_failure)


def read_answer(body: dict[str, Any], model: str) -> ProviderAnswer:
    """The text and usage of an OpenAI chat completion."""
    return read_chat_completion(NAME, body, model)


def read_chat_completion(name: str, body: dict[str, Any], model: str) -> ProviderAnswer:
    """The first choice's text and the usage of a chat completion, or ProviderError."""
    choice = as_dict((as_list(body.get("choices")) or [None])[0])
    message = choice.get("message")
    if not isinstance(message, dict):
        raise ProviderError(f"{name} answered without a message.")
    refusal = message.get("refusal")
    if isinstance(refusal, str) and refusal:
        raise ProviderError(f"{name} refused to rewrite the prompt: {refusal[:300]}")
    finish = choice.get("finish_reason")
    if finish == "length":
        raise ProviderError(f"{name}'s answer was cut off at the output token limit.")
    if finish == "content_filter":
        raise ProviderError(f"{name}'s content filter blocked the answer.")
    content = message.get("content")
    if not isinstance(content, str) or not content.strip():
        raise ProviderError(f"{name} answered with an empty message.")
    usage = as_dict(body.get("usage"))
    return ProviderAnswer(
        text=content,
        model=reported_model(body.get("model"), model),
        input_tokens=token_count(usage.get("prompt_tokens")),
        output_tokens=token_count(usage.get("completion_tokens")),
    )


def read_failure(status: int, body: Any) -> Failure:
    """Read {"error": {"message", "type", "code"}} (OpenAI and DeepSeek)."""
    error = as_dict(as_dict(body).get("error"))
    message = error.get("message") if isinstance(error.get("message"), str) else ""
    codes = {str(error.get("type") or ""), str(error.get("code") or "")}
    quota = status == 429 and (
        bool(codes & _QUOTA_CODES) or any(word in message.lower() for word in _QUOTA_WORDS)
    )
    return Failure(message=message, quota_exhausted=quota)
