"""DeepSeek: OpenAI's chat completions wire format at POST {base}/chat/completions."""

from typing import Any

from . import openai
from .meta_prompt import MetaPrompt
from .wire import ProviderAnswer, Request, join_url

NAME = "DeepSeek"
BASE_URL = "https://api.deepseek.com"
MODEL = "deepseek-v4-flash"  # deepseek-chat/-reasoner were retired on 2026-07-24

read_failure = openai.read_failure  # same {"error": {"message", "type", "code"}} body


def build_request(
    meta: MetaPrompt, *, api_key: str, model: str, base_url: str, max_tokens: int
) -> Request:
    """The chat completions request for DeepSeek (which names the limit max_tokens)."""
    # DeepSeek documents no version segment; a base ending in /v1 also works there.
    url = join_url(base_url, "", "/chat/completions")
    return openai.chat_completions_request(
        NAME, url, meta, api_key=api_key, model=model, limit={"max_tokens": max_tokens}
    )


def read_answer(body: dict[str, Any], model: str) -> ProviderAnswer:
    """The text and usage of a DeepSeek chat completion."""
    return openai.read_chat_completion(NAME, body, model)
