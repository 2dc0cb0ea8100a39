"""The low level's markdown-noise pass and the strategies' markup edits.

Emphasis markers stay: a blind read found bold that set a rule's priority, and bold in
templates and sample outputs the model copies, as often as bold that only decorates.
"""

from __future__ import annotations

import regex

from refinery.engine.edit import edit_lines, sentence_initial
from refinery.engine.lines import Line
from refinery.engine.removals import Removals

_STEP = regex.compile(
    r"(?m)^(?:step)[ \t]+(\ue000[\ue010-\ue019]+\ue001)[ \t]*[:.)-][ \t]*", regex.I
)
_SHOUTED = regex.compile(
    r"\b(?:IMPORTANT|CRITICAL|CRUCIAL|ESSENTIAL|MANDATORY|REQUIRED|NEVER|ALWAYS|MUST|ONLY|"
    r"DO|DON'T|NOT|NO|ALL|ANY|EVERY|ENSURE|REMEMBER|NOTE|WARNING|STRICTLY|ABSOLUTELY)\b"
)
# A table's delimiter row ("|:------|----:|"): three dashes say as much as thirty.
_DELIMITER_CELL = regex.compile(r"(?<=\|[ \t]*:?)-{4,}(?=:?[ \t]*(?:\||$))")
_DELIMITER_ROW = regex.compile(r"^[ \t]*\|?(?:[ \t]*:?-+:?[ \t]*\|)+[ \t]*:?-*:?[ \t]*$")


def short_table_delimiters(lines: list[Line], removals: Removals) -> None:
    """Shorten the dashes of a table's delimiter row to three per cell."""
    for line in lines:
        if line.kind == "table" and _DELIMITER_ROW.match(line.prefix):
            shorter = _DELIMITER_CELL.sub("---", line.prefix)
            if shorter != line.prefix:
                removals.add("-", "table delimiter dashes", len(line.prefix) - len(shorter))
                line.prefix = shorter


def steps_to_items(lines: list[Line], removals: Removals) -> None:
    """'Step 1: do x' -> '1. do x', a markdown list item GPT reads as a sequence."""

    def step_to_item(text: str, removals: Removals) -> str:
        """Rewrite each step label."""

        def item(match: regex.Match) -> str:
            """Report and rewrite one step label."""
            removals.add(match.group(0), f"step label → markdown item '{match.group(1)}.'")
            return f"{match.group(1)}. "

        return _STEP.sub(item, text)

    edit_lines(lines, step_to_item, removals)


def calm_shouting(lines: list[Line], removals: Removals) -> None:
    """Lower-case shouted instructions: recent Claude models over-apply them."""

    def calm(text: str, removals: Removals) -> str:
        """Lower-case each shouted instruction word, capitalized at a sentence start."""
        for match in _SHOUTED.finditer(text):
            removals.add(match.group(0), f"shouting → {match.group(0).lower()!r}")
        return _SHOUTED.sub(
            lambda m: (str.capitalize if sentence_initial(text, m.start()) else str.lower)(
                m.group(0)
            ),
            text,
        )

    edit_lines(lines, calm, removals)
