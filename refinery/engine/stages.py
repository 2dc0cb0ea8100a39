"""Which passes each level runs, in order; every pass is a module with its own table."""

from __future__ import annotations

from collections.abc import Callable

from refinery.engine import markup, punctuation, repeats, words
from refinery.engine.lines import Line
from refinery.engine.phrases import apply_phrases
from refinery.engine.removals import Removals
from refinery.engine.strategy import HIGH, LOW, MEDIUM, STRATEGY_TABLE


def run_stage(
    lines: list[Line], level: str, strategy: str, removals: Removals, unmask: Callable[[str], str]
) -> None:
    """Apply one level's own edits (not the lower levels') to the lines in place."""
    row = STRATEGY_TABLE[strategy]
    if level == LOW:
        if row.step_items:
            markup.steps_to_items(lines, removals)
        if row.optional_commas:
            punctuation.light_punctuation(lines, removals)
        markup.short_table_delimiters(lines, removals)
        apply_phrases(lines, LOW, strategy, removals)
        repeats.drop_repeated_sentences(lines, removals, unmask)
    elif level == MEDIUM:
        if row.calm_shouting:
            markup.calm_shouting(lines, removals)
        apply_phrases(lines, MEDIUM, strategy, removals)
    elif level == HIGH:
        apply_phrases(lines, HIGH, strategy, removals)
        if row.drops_articles:
            words.drop_light_words(lines, removals)
