"""The machinery every pass shares: run an edit over the editable lines, then tidy them."""

from __future__ import annotations

import re
from collections.abc import Callable

import regex

from refinery.engine.lines import EDITABLE, Line
from refinery.engine.removals import Removals

# Where a removal at the start of a sentence needs the next word capitalized.
CAP = "\ue002"
# Applied to the changed lines joined by newlines, so every pattern stays within a line.
# The standard library's re: for these plain patterns it is about twice as fast as regex.
_TIDY = (
    # (needle that must be present for the pattern to matter, pattern, replacement)
    (CAP, re.compile(r"\ue002[ \t]+"), CAP),
    ("  ", re.compile(r" {2,}"), " "),
    ("", re.compile(r"(?<=\S)[ \t]+(?=[,.;:!?](?:\s|$))", re.M), ""),
    ("", re.compile(r"(?<=[.!?:])[ \t]*[,;](?=[ \t]|$)", re.M), ""),
    (",", re.compile(r",[ \t]*(?=[,.;:!?])"), ""),
    ("(", re.compile(r"\([ \t]*\)"), ""),
    ("", re.compile(r"^[ \t]*[,;][ \t]*", re.M), ""),
    ("", re.compile(r"^[ \t]+", re.M), ""),
)
_HAS_WORD = regex.compile(r"[\p{L}\p{N}\ue000]")
# The next word's first letter, past opening quotes and brackets only: after a removal,
# "14 years of experience" must not become "14 years Experience".
_CAPITALIZE = regex.compile(r"\ue002([ \t\"'“‘(\[*_]*)(\p{Ll})")
_OPENERS_BEFORE = frozenset(" \t\"'“(*_")
_ENDS = frozenset(".!?\n\ue002")

Edit = Callable[[str, Removals], str]


def sentence_initial(text: str, position: int) -> bool:
    """Say whether `position` starts a sentence (or a line)."""
    index = position - 1
    while index >= 0 and text[index] in _OPENERS_BEFORE:
        index -= 1
    return index < 0 or text[index] in _ENDS


def tidy(line: str) -> str:
    """Repair spacing, punctuation and capitals around removals."""
    for needle, pattern, replacement in _TIDY:
        if needle in line:
            line = pattern.sub(replacement, line)
    if CAP not in line:
        return line
    line = _CAPITALIZE.sub(lambda m: m.group(1) + m.group(2).upper(), line)
    return line.replace(CAP, "")


def edit_lines(lines: list[Line], edit: Edit, removals: Removals) -> None:
    """Run `edit(text, removals)` once over the editable English lines joined by newlines.

    One call per pass instead of one per line: rules never cross a newline, and the
    per-call overhead is what dominates on short lines. Changed lines are tidied; a line
    whose edit is refused keeps its text, and only the kept edits are reported.
    """
    targets = [line for line in lines if line.kind in EDITABLE and line.english and line.content]
    if not targets:
        return
    before = [line.content for line in targets]
    found = Removals()
    after = edit("\n".join(before), found).split("\n")
    changed = [i for i, (old, new) in enumerate(zip(before, after, strict=True)) if old != new]
    if not changed:
        return
    tidied = tidy("\n".join(after[i] for i in changed)).split("\n")
    # A list item keeps its text: an empty bullet would change the structure. A line
    # left with punctuation only ("You will:" -> ":") keeps its words: it was a label.
    kept = [
        (i, new)
        for i, new in zip(changed, tidied, strict=True)
        if (new.strip() or targets[i].kind != "item") and (not new.strip() or _HAS_WORD.search(new))
    ]
    if len(kept) == len(changed):
        removals.extend(found)
    elif kept:
        # Rules never cross a newline: the kept lines alone give the same edits.
        edit("\n".join(before[i] for i, _ in kept), removals)
    for i, new in kept:
        targets[i].content = new
