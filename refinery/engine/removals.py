"""The record of what refining removed, and why."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable


class Removals:
    """Removed segments, grouped so a word dropped 40 times is one entry with its count."""

    def __init__(self, unmask: Callable[[str], str] = str) -> None:
        """Start an empty record; `unmask` turns masked text back into what the user wrote."""
        self._counts: Counter[tuple[str, str]] = Counter()
        self._unmask = unmask

    def add(self, text: str, reason: str, count: int = 1) -> None:
        """Record that `text` (masked; shown unmasked) was removed or rewritten for `reason`."""
        if text:
            self._counts[(text, reason)] += count

    def extend(self, other: Removals) -> None:
        """Add another record's entries to this one."""
        self._counts.update(other._counts)

    def as_list(self) -> list[dict]:
        """Return [{text, reason}] in first-seen order, with repeat counts in the reason."""
        merged: Counter[tuple[str, str]] = Counter()
        for (text, reason), count in self._counts.items():
            merged[(self._unmask(text) if "\ue000" in text else text, reason)] += count
        segments = []
        for (text, reason), count in merged.items():
            if reason == "redundant whitespace" or count == 1:
                segments.append({"text": text, "reason": reason})
            else:
                segments.append({"text": text, "reason": f"{reason} (×{count})"})
        return segments
