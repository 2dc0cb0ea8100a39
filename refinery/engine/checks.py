"""Checks that a refined prompt kept what its original must keep."""

from __future__ import annotations

import json

from refinery.engine.lexicon import meaning_words
from refinery.engine.protect import Span, protected_spans


def visible_text(refined: str) -> str:
    """Return the text a reader sees: the string values when `refined` is a JSON document."""
    stripped = refined.strip()
    if not stripped.startswith(("{", "[")):
        return refined
    try:
        document = json.loads(stripped)
    except ValueError:
        return refined
    strings: list[str] = []

    def collect(node: object) -> None:
        """Gather every string leaf (and key) in document order."""
        if isinstance(node, str):
            strings.append(node)
        elif isinstance(node, dict):
            for key, value in node.items():
                strings.append(str(key))
                collect(value)
        elif isinstance(node, list):
            for item in node:
                collect(item)

    collect(document)
    return refined + "\n" + "\n".join(strings)


def find_losses(original: str, refined: str, spans: list[Span] | None = None) -> list[str]:
    """Describe each protected span or negation/modality word of `original` not in `refined`.

    `spans` may pass protected_spans(original) when the caller already has them.
    """
    seen = visible_text(refined)
    losses: list[str] = []
    reported: set[str] = set()
    cursor = 0
    for span in protected_spans(original) if spans is None else spans:
        # Spans usually come back in order: search forward first, so a long prompt with
        # thousands of spans is checked in one pass instead of one scan per span.
        found = seen.find(span.text, cursor)
        if found >= 0:
            cursor = found + len(span.text)
            continue
        if span.text not in seen and span.text not in reported:
            reported.add(span.text)
            losses.append(f"lost {span.kind.replace('_', ' ')}: {_preview(span.text)}")
    for word in sorted(meaning_words(original) - meaning_words(seen)):
        losses.append(f"lost negation/modality word: {word!r}")
    return losses


def _preview(text: str, limit: int = 80) -> str:
    """Quote a span for a warning, shortened if long."""
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")
