"""The shapes a provider module hands to the transport and gets back from it."""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Failure:
    """What a provider's error body says, as read by that provider's module."""

    message: str = ""
    auth: bool = False  # the key is wrong even though the status is not 401/403 (Gemini)
    quota_exhausted: bool = False  # waiting won't help: out of credit, spend cap, daily quota
    retry_after: float | None = None  # a wait the body asks for (Gemini's RetryInfo)


@dataclass(frozen=True)
class Request:
    """One provider call: where, what, and how to read that provider's errors."""

    provider: str  # display name used in messages, e.g. "Anthropic"
    url: str
    headers: dict[str, str] = field(repr=False)  # carries the key
    body: dict[str, Any]
    api_key: str = field(repr=False)
    read_failure: Callable[[int, Any], Failure]


@dataclass(frozen=True)
class ProviderAnswer:
    """The model's text and what the provider reports about the call."""

    text: str
    model: str
    input_tokens: int | None
    output_tokens: int | None


def join_url(base_url: str, version: str, path: str) -> str:
    """Append the API version and path, without doubling a version the base already has."""
    # SDK-style settings often end in /v1 (OPENAI_BASE_URL=https://api.openai.com/v1).
    base = base_url.rstrip("/")
    if version and not base.endswith("/" + version):
        base = f"{base}/{version}"
    return base + path


def token_count(value: Any) -> int | None:
    """A reported token count, or None when the provider sent something else."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def reported_model(value: Any, requested: str) -> str:
    """The model the provider says served the call, else the one we asked for."""
    return value if isinstance(value, str) and value else requested


def as_dict(value: Any) -> dict[str, Any]:
    """The value if it is a JSON object, else an empty one (providers' shapes drift)."""
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    """The value if it is a JSON array, else an empty one."""
    return value if isinstance(value, list) else []
