"""The local rule engine: shorter prompts, same instructions, no model and no network."""

from __future__ import annotations

from dataclasses import dataclass, field

from refinery.engine import formats
from refinery.engine.checks import find_losses
from refinery.engine.cleanup import normalize
from refinery.engine.lexicon import meaning_words
from refinery.engine.lines import Line, join_lines, split_lines
from refinery.engine.masking import MaskedText
from refinery.engine.removals import Removals
from refinery.engine.stages import run_stage
from refinery.engine.strategy import LEVELS, OUTPUT_FORMATS, STRATEGIES, STRATEGY_TABLE
from refinery.engine.tokens import count_tokens


@dataclass(frozen=True)
class Refinement:
    """What refining produced: the text, what went and why, and anything to look at."""

    refined_text: str
    removed_segments: list[dict] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    original_tokens: int = 0
    refined_tokens: int = 0


@dataclass
class _Snapshot:
    """The prompt after one level: its lines, text, token count and removals so far."""

    lines: list[Line]
    text: str
    tokens: int
    removals: Removals


def _validate(strategy: str, level: str, output_format: str) -> None:
    """Reject values outside the canonical ones; the API layer normalizes case first."""
    for value, allowed, name in (
        (strategy, STRATEGIES, "strategy"),
        (level, LEVELS, "level"),
        (output_format, OUTPUT_FORMATS, "output_format"),
    ):
        if value not in allowed:
            raise ValueError(f"unknown {name} {value!r}; expected one of {allowed}")


def _snapshots(
    masked: MaskedText, strategy: str, level: str, original: str, original_tokens: int
) -> list[_Snapshot]:
    """Run the levels up to `level` in turn; a level that would cost tokens is skipped."""
    removals = Removals(masked.unmask)
    lines = split_lines(normalize(masked.masked, removals))
    text = masked.unmask(join_lines(lines))
    tokens = original_tokens if text == original else count_tokens(text)
    current = _Snapshot(lines, text, tokens, removals)
    snapshots = []
    for stage in LEVELS[: LEVELS.index(level) + 1]:
        stage_lines = [Line(x.kind, x.prefix, x.content, x.english) for x in current.lines]
        stage_removals = Removals(masked.unmask)
        run_stage(stage_lines, stage, strategy, stage_removals, masked.unmask)
        text = masked.unmask(join_lines(stage_lines))
        tokens = current.tokens if text == current.text else count_tokens(text)
        if tokens <= current.tokens:
            total = Removals(masked.unmask)
            total.extend(current.removals)
            total.extend(stage_removals)
            current = _Snapshot(stage_lines, text, tokens, total)
        snapshots.append(current)
    return snapshots


def _shape(
    snapshot: _Snapshot, masked: MaskedText, strategy: str, output_format: str, budget: int
) -> tuple[str, int, list[str]]:
    """Give a snapshot the requested shape within `budget` tokens, else its own plain text.

    The plain text of a level never costs more than the result of the level below, so a
    shape that does not fit falls back to this level's words, not to a lower level's.
    """
    if output_format == "default":
        return snapshot.text, snapshot.tokens, []
    english = any(line.english for line in snapshot.lines if line.kind != "blank")
    grouped = formats.sections(snapshot.lines, masked.unmask, snapshot.removals) if english else {}
    if output_format == "markdown":
        if grouped:
            shaped = formats.to_markdown(grouped, STRATEGY_TABLE[strategy].section_style)
            tokens = count_tokens(shaped)
            if tokens <= budget:
                return shaped, tokens, []
        return (
            snapshot.text,
            snapshot.tokens,
            ["markdown sections would cost more tokens than they save; the prompt keeps its shape"],
        )
    for candidate in (
        *(formats.to_json(grouped, compact) for compact in (False, True) if grouped),
        formats.minimal_json(snapshot.text),
    ):
        tokens = count_tokens(candidate)
        if tokens <= budget:
            return candidate, tokens, []
    extra = tokens - budget
    return candidate, tokens, [f"the JSON envelope adds {extra} tokens to a prompt this short"]


def refine(
    text: str, strategy: str = "UNIVERSAL", level: str = "medium", output_format: str = "default"
) -> Refinement:
    """Make `text` shorter at `level` without losing what it asks; see docs/STRATEGIES.md."""
    _validate(strategy, level, output_format)
    original_tokens = count_tokens(text)
    masked = MaskedText(text)
    snapshots = _snapshots(masked, strategy, level, text, original_tokens)
    # Each level may only do better than the one below it, whatever the output shape: a
    # level's shape must fit within what the level below gave.
    budget = original_tokens
    previous = None
    for snapshot in snapshots:
        if snapshot is not previous:  # a level that changed nothing keeps the shape it had
            shaped, tokens, notes = _shape(snapshot, masked, strategy, output_format, budget)
            budget = min(budget, tokens)
        previous = snapshot
    warnings = list(notes)
    if not all(line.english for line in snapshot.lines if line.kind != "blank"):
        warnings.append("text in a language the rules do not cover was only whitespace-normalized")
    # Spans are masked, so no rule can reach them; a meaning word can only go inside a
    # removed segment, so the full check runs only when one of those held such a word.
    removed = " ".join(segment["text"] for segment in snapshot.removals.as_list())
    if meaning_words(removed):
        warnings.extend(find_losses(text, shaped, spans=masked.spans))
    return Refinement(shaped, snapshot.removals.as_list(), warnings, original_tokens, tokens)
