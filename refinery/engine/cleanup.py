"""Whitespace and control-character normalization, the part of refining every level does."""

from __future__ import annotations

import regex

from refinery.engine.lines import looks_like_code
from refinery.engine.removals import Removals

# C0/C1 controls other than tab and newline, plus invisible format characters; they carry
# nothing for a model and sometimes come from copy-paste.
_CONTROL = regex.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b\u200c\u200d\u2060\ufeff]")
# Runs of spaces between words; a tab is kept: it may separate the columns of a template.
_INNER_RUN = regex.compile(r"(?<=\S) {2,}(?=\S)")
_TRAILING = regex.compile(r"[ \t]+$", regex.MULTILINE)
_BLANK_RUN = regex.compile(r"\n(?:[ \t]*\n){2,}")


def normalize(masked: str, removals: Removals) -> str:
    """Drop control characters and redundant whitespace outside protected spans."""
    text = masked.replace("\r\n", "\n").replace("\r", "\n")
    controls = _CONTROL.findall(text)
    if controls:
        removals.add("".join(controls), "control character", len(controls))
        text = _CONTROL.sub("", text)
    removed: list[str] = []

    def keep_one(match: regex.Match) -> str:
        """Replace a run of spaces with one space, remembering what went."""
        removed.append(match.group(0)[1:] or match.group(0))
        return " "

    text = "\n".join(
        _INNER_RUN.sub(keep_one, line) if "  " in line and not looks_like_code(line) else line
        for line in text.split("\n")
    )
    text = _TRAILING.sub(lambda m: removed.append(m.group(0)) or "", text)
    text = _BLANK_RUN.sub(lambda m: removed.append(m.group(0)[2:]) or "\n\n", text)
    stripped = text.strip("\n")
    if len(stripped) != len(text):
        removed.append("\n" * (len(text) - len(stripped)))
    if removed:
        removals.add("".join(removed), "redundant whitespace", sum(len(r) for r in removed))
    return stripped
