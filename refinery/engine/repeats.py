"""Exact repeats inside one paragraph: a sentence said twice in a row of prose is said once."""

from __future__ import annotations

from collections.abc import Callable

import regex

from refinery.engine.lines import Line
from refinery.engine.removals import Removals

_SENTENCE = regex.compile(r"(?<=[.!?])[ \t]+(?=\S)")
_KEY_WORD = regex.compile(r"\w+")


def drop_repeated_sentences(
    lines: list[Line], removals: Removals, unmask: Callable[[str], str]
) -> None:
    """Remove a sentence said before word for word in the same paragraph, keeping the last one.

    Only within one paragraph: the same sentence under two headings, after two labels or in
    two list items ("**search**: ... Call it at most once." and "**fetch**: ... Call it at
    most once.") governs a different thing each time and stays in both.
    """
    last_seen: dict[tuple[int, str], tuple[int, int]] = {}
    sentences: list[list[tuple[str, tuple[int, str]]]] = []
    for line_index, line in enumerate(lines):
        parts = _SENTENCE.split(line.content) if line.kind == "paragraph" and line.english else []
        keyed = []
        for part_index, part in enumerate(parts):
            words = _KEY_WORD.findall(unmask(part).lower())
            key = (line_index, " ".join(words))
            keyed.append((part, key))
            if len(words) >= 4:
                last_seen[key] = (line_index, part_index)
        sentences.append(keyed)
    if not last_seen:
        return
    for line_index, parts in enumerate(sentences):
        kept = []
        for part_index, (part, key) in enumerate(parts):
            if key in last_seen and last_seen[key] != (line_index, part_index):
                removals.add(part, "repeated sentence")
            else:
                kept.append(part)
        if len(kept) != len(parts):
            lines[line_index].content = " ".join(kept)
