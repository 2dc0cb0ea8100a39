"""The one entry point: have a provider rewrite a prompt, return what it gave back."""

from dataclasses import dataclass
from typing import NamedTuple

import requests

from . import anthropic, deepseek, gemini, openai
from .errors import ProviderAuthError
from .meta_prompt import build_meta_prompt, output_token_budget
from .parse import parse_answer
from .retry import RetryPolicy, post_json
from .transport import new_session

PROVIDERS = ("openai", "anthropic", "deepseek", "gemini")
_MODULES = {"openai": openai, "anthropic": anthropic, "deepseek": deepseek, "gemini": gemini}
CONNECT_TIMEOUT = 5.0  # a reachable host connects in well under this


class ProviderDefaults(NamedTuple):
    """Where a provider lives and which model to use when none is configured."""

    base_url: str
    model: str


DEFAULTS: dict[str, ProviderDefaults] = {
    name: ProviderDefaults(module.BASE_URL, module.MODEL) for name, module in _MODULES.items()
}


@dataclass(frozen=True)
class RemoteRefinement:
    """A provider's rewrite, before the caller checks it against the invariants."""

    refined_text: str
    removed_segments: list[dict[str, str]]
    explanation: str
    provider: str
    model: str  # as reported by the provider, else the one requested
    input_tokens: int | None  # as reported by the provider
    output_tokens: int | None


def refine_remote(
    provider: str,
    text: str,
    *,
    strategy: str,
    level: str,
    output_format: str,
    api_key: str,
    model: str | None = None,
    base_url: str | None = None,
    address: str | None = None,
    timeout: float | tuple[float, float] = 30.0,
    max_retries: int = 2,
    max_wait: float = 10.0,
    backoff: float = 0.5,
    session: requests.Session | None = None,
) -> RemoteRefinement:
    """Ask the provider to refine text; raise a ProviderError subclass on any failure.

    ``timeout`` is the read timeout in seconds (connect is capped at 5 s), or an explicit
    (connect, read) pair. ``max_wait`` caps any single sleep between attempts: a longer
    Retry-After raises at once. ``base_url`` is used as given: run vet_endpoint on a custom
    one first and pass its ``address``, the checked address every connection then goes to.
    Pass one ``session`` per thread (from new_session) to reuse connections.
    """
    module = _MODULES.get(provider)
    if module is None:
        raise ValueError(f"unknown provider {provider!r}; expected one of {PROVIDERS}")
    if not api_key:
        raise ProviderAuthError(
            f"No {module.NAME} API key is configured. Add the organization's {module.NAME} key."
        )
    meta = build_meta_prompt(text, strategy=strategy, level=level, output_format=output_format)
    chosen_model = model or module.MODEL
    request = module.build_request(
        meta,
        api_key=api_key,
        model=chosen_model,
        base_url=base_url or module.BASE_URL,
        max_tokens=output_token_budget(text),
    )
    timeouts = timeout if isinstance(timeout, tuple) else (min(CONNECT_TIMEOUT, timeout), timeout)
    retry = RetryPolicy(max_retries=max_retries, backoff=backoff, max_wait=max_wait)
    own_session = session is None
    http = new_session() if own_session else session
    try:
        body = post_json(request, session=http, timeout=timeouts, retry=retry, address=address)
    finally:
        if own_session:
            http.close()
    answer = module.read_answer(body, chosen_model)
    parsed = parse_answer(answer.text)
    return RemoteRefinement(
        refined_text=parsed.refined_text,
        removed_segments=parsed.removed_segments,
        explanation=parsed.explanation,
        provider=provider,
        model=answer.model,
        input_tokens=answer.input_tokens,
        output_tokens=answer.output_tokens,
    )


def longest_call(timeout: float, max_retries: int, max_wait: float) -> float:
    """Seconds refine_remote can take at most with these settings (its attempts and sleeps).

    One attempt: connecting (at most CONNECT_TIMEOUT), the headers (a read timeout), then
    the body within a connect + read deadline checked after each chunk, whose last read may
    wait one more read timeout. Between attempts, at most max_wait each.
    """
    connect = min(CONNECT_TIMEOUT, timeout)
    attempt = 2 * connect + 3 * timeout
    return (max_retries + 1) * attempt + max_retries * max_wait
