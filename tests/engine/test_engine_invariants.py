"""The engine's invariants (DESIGN.md) over 362 real prompts, every strategy, level and format."""

import json
from pathlib import Path

import pytest
import regex

from refinery.engine.checks import find_losses
from refinery.engine.local import LEVELS, OUTPUT_FORMATS, STRATEGIES, refine
from refinery.engine.protect import protected_spans
from refinery.engine.tokens import count_tokens

DATA = Path(__file__).resolve().parent.parent / "data"
# Short real prompts (awesome-chatgpt-prompts) and long structured ones (fabric patterns).
PROMPTS = [
    json.loads(line)["prompt"]
    for sample in ("corpus_sample.jsonl", "fabric_sample.jsonl")
    for line in (DATA / sample).read_text(encoding="utf-8").split("\n")  # U+2028 is data
    if line
]
ORIGINAL_TOKENS = [count_tokens(prompt) for prompt in PROMPTS]
SPANS = [protected_spans(prompt) for prompt in PROMPTS]  # computed once, checked 45 times
# Markdown structure: headings, list items and table rows, outside fenced code.
STRUCTURE = regex.compile(r"^[ \t]*(?:#{1,6}[ \t]|(?:[-*+•]|\d{1,3}[.)])[ \t]|\|)", regex.M)
FENCE = regex.compile(r"^[ \t]*(`{3,}|~{3,}).*?^[ \t]*\1", regex.M | regex.S)


def _structure(text: str) -> list[str]:
    """The markdown skeleton of a text: each structural line's marker, in order."""
    return [m.group(0).strip() for m in STRUCTURE.finditer(FENCE.sub("", text))]


def _kept(skeleton: list[str], refined: str) -> bool:
    """Every structural line survives in order (GPT may add list items, none may go)."""
    remaining = iter(_structure(refined))
    return all(marker in remaining for marker in skeleton)


def test_the_sample_is_big_enough():
    """At least 300 corpus prompts, including long ones."""
    assert len(PROMPTS) >= 300
    assert max(ORIGINAL_TOKENS) > 3000


@pytest.mark.parametrize("output_format", OUTPUT_FORMATS)
@pytest.mark.parametrize("strategy", STRATEGIES)
def test_invariants_hold_for_every_prompt(strategy, output_format):
    """Spans and meaning words kept, never longer, levels ordered, JSON parses.

    UNIVERSAL runs every prompt; the other strategies, which differ from it in a few rules,
    every second one (the suite's time is spent where the rules are).
    """
    failures = []
    step = 1 if strategy == "UNIVERSAL" else 2
    rows = list(zip(PROMPTS, ORIGINAL_TOKENS, SPANS, strict=True))[::step]
    for prompt, original, spans in rows:
        counts = []
        for level in LEVELS:
            result = refine(prompt, strategy, level, output_format)
            tokens = count_tokens(result.refined_text)
            counts.append(tokens)
            where = f"{level}: {prompt[:60]!r}"
            if result.refined_tokens != tokens or result.original_tokens != original:
                failures.append(f"token counts misreported at {where}")
            for loss in find_losses(prompt, result.refined_text, spans=spans):
                failures.append(f"{loss} at {where}")
            if output_format == "json":
                document = json.loads(result.refined_text)
                assert isinstance(document, dict) and document
            envelope = any("JSON envelope" in w for w in result.warnings)
            if tokens > original and not (output_format == "json" and envelope):
                failures.append(f"{tokens} > {original} tokens at {where}")
            if output_format == "default" and not _kept(_structure(prompt), result.refined_text):
                failures.append(f"markdown structure changed at {where}")
        if not counts[2] <= counts[1] <= counts[0]:
            failures.append(f"levels out of order {counts} for {prompt[:60]!r}")
    assert not failures, "\n".join(failures[:20])


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_refining_is_deterministic(strategy):
    """The same input gives the same output, removals and warnings."""
    for prompt in PROMPTS[::7]:
        assert refine(prompt, strategy, "high") == refine(prompt, strategy, "high")


@pytest.mark.parametrize("level", LEVELS)
def test_refining_twice_removes_almost_nothing_more(level):
    """A refined prompt is a fixed point, give or take a few tokens."""
    first_total = second_total = 0
    for prompt in PROMPTS:
        once = refine(prompt, "UNIVERSAL", level).refined_text
        twice = refine(once, "UNIVERSAL", level).refined_text
        first_total += count_tokens(once)
        second_total += count_tokens(twice)
        assert count_tokens(twice) >= 0.9 * count_tokens(once), prompt[:60]
    assert second_total >= 0.98 * first_total
