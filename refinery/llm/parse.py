"""Read the model's answer defensively: find our JSON object wherever the model put it.

Accepted: the bare object, the object inside a ```json fence, the object with prose
around it, and missing or mistyped optional fields (they default to empty). Not accepted:
text with no JSON object carrying a non-empty string ``refinedText``. Treating free text
as the refined prompt would pass the model's chatter ("Sure! Here is...") off as the
user's prompt, so that raises ProviderError instead and the caller can fall back.
"""

import json
import re
from dataclasses import dataclass, field
from typing import Any

from .errors import ProviderError

NOT_OUR_JSON = "The provider's answer was not the JSON we asked for."

_FENCE = re.compile(r"```[a-zA-Z]*[ \t]*\n?(.*?)```", re.DOTALL)
_MAX_OBJECT_STARTS = 200  # bounds the scan of a long answer full of braces


@dataclass(frozen=True)
class ParsedAnswer:
    """The fields we asked the model for, with safe types."""

    refined_text: str
    removed_segments: list[dict[str, str]] = field(default_factory=list)
    explanation: str = ""


def parse_answer(text: str) -> ParsedAnswer:
    """Find and validate the JSON answer in the model's text, or raise ProviderError."""
    for candidate in _candidates(text):
        answer = _answer_from(candidate)
        if answer is not None:
            return answer
    raise ProviderError(NOT_OUR_JSON)


def _candidates(text: str):
    """Yield decoded JSON values in order of how likely they are to be the answer."""
    stripped = text.strip()
    yield from _decode_whole(stripped)
    for match in _FENCE.finditer(stripped):
        yield from _decode_whole(match.group(1).strip())
    decoder = json.JSONDecoder()
    start = stripped.find("{")
    tries = 0
    while start != -1 and tries < _MAX_OBJECT_STARTS:
        tries += 1
        try:
            value, _ = decoder.raw_decode(stripped, start)
        except ValueError:
            pass
        else:
            yield value
        start = stripped.find("{", start + 1)


def _decode_whole(text: str):
    """Yield the text decoded as JSON, if it is JSON."""
    try:
        yield json.loads(text)
    except ValueError:
        return


def _answer_from(value: Any) -> ParsedAnswer | None:
    """Build the answer from a decoded value, looking one level into wrapper objects."""
    if not isinstance(value, dict):
        return None
    refined = _first(value, "refinedText", "refined_text")
    if isinstance(refined, str) and refined.strip():
        return ParsedAnswer(
            refined_text=refined,
            removed_segments=_segments(_first(value, "removedSegments", "removed_segments")),
            explanation=_text(value.get("explanation")),
        )
    # Some models wrap the answer: {"result": {"refinedText": ...}}.
    for inner in value.values():
        if isinstance(inner, dict) and _first(inner, "refinedText", "refined_text"):
            return _answer_from(inner)
    return None


def _first(value: dict[str, Any], *keys: str) -> Any:
    """The value of the first key present."""
    for key in keys:
        if key in value:
            return value[key]
    return None


def _segments(value: Any) -> list[dict[str, str]]:
    """removedSegments as a list of {"text", "reason"} with strings, dropping junk."""
    if not isinstance(value, list):
        return []
    segments = []
    for item in value:
        if isinstance(item, str):
            item = {"text": item}
        if not isinstance(item, dict):
            continue
        removed = item.get("text")
        if not isinstance(removed, str) or not removed:
            continue
        segments.append({"text": removed, "reason": _text(item.get("reason"))})
    return segments


def _text(value: Any) -> str:
    """A string field, or "" when the model gave something else."""
    return value if isinstance(value, str) else ""
