"""The meta-prompt: fixed safety rules, wording per strategy, level and output format."""

import itertools

import pytest

from refinery.llm.meta_prompt import (
    BEGIN_MARKER,
    END_MARKER,
    LEVELS,
    OUTPUT_FORMATS,
    STRATEGIES,
    build_meta_prompt,
    output_token_budget,
)

TEXT = "Please translate {text} to French. Do not use slang."


@pytest.mark.parametrize(
    ("strategy", "level", "output_format"),
    list(itertools.product(STRATEGIES, LEVELS, OUTPUT_FORMATS)),
)
def test_every_combination_keeps_the_invariants_and_asks_for_json(strategy, level, output_format):
    """Whatever the options, placeholders, numbers, URLs, code and negations are protected."""
    meta = build_meta_prompt(TEXT, strategy=strategy, level=level, output_format=output_format)
    for phrase in ("byte for byte", "placeholder", "number", "URL", "code span", "negation"):
        assert phrase in meta.system
    for field in ('"refinedText"', '"removedSegments"', '"explanation"'):
        assert field in meta.system
    assert f"{BEGIN_MARKER}\n{TEXT}\n{END_MARKER}" in meta.user
    assert TEXT not in meta.system


def _system(strategy="UNIVERSAL", level="medium", output_format="default"):
    """The system prompt for one combination."""
    return build_meta_prompt(
        TEXT, strategy=strategy, level=level, output_format=output_format
    ).system


def test_strategies_are_worded_differently():
    """LEGAL keeps terms, clauses, articles and obligations; GPT Markdown; CLAUDE XML tags."""
    legal = _system("LEGAL")
    for phrase in ("defined term", "clause, section and article", "(a, an, the)", "shall"):
        assert phrase in legal
    assert "Markdown" in _system("GPT")
    assert "XML tags" in _system("CLAUDE")
    assert "terse" in _system("DEEPSEEK")
    assert len({_system(s) for s in STRATEGIES}) == len(STRATEGIES)


def test_levels_are_worded_differently():
    """Cumulative, as the engine promises: low lossless, medium short forms, high telegraphic."""
    low, medium, high = (_system(level=level) for level in LEVELS)
    assert "lossless" in low and "filler" in low and "wordy phrases" not in low
    assert "filler" in medium and "wordy phrases" in medium and "telegraphic" not in medium
    assert "Never remove prepositions" in medium
    assert "wordy phrases" in high and "telegraphic" in high and "Never drop a word" in high


def test_output_formats_are_worded_differently():
    """default keeps the shape, markdown restructures, json names the object's keys."""
    assert "do not restructure" in _system(output_format="default")
    assert "bullet" in _system(output_format="markdown")
    json_format = _system(output_format="json")
    for key in ('"role"', '"task"', '"context"', '"constraints"', '"output_format"'):
        assert key in json_format


@pytest.mark.parametrize("option", ["strategy", "level", "output_format"])
def test_unknown_option_is_a_value_error(option):
    """Options are validated upstream; a bad one here is a bug, said plainly."""
    options = {"strategy": "UNIVERSAL", "level": "medium", "output_format": "default"}
    options[option] = "bogus"
    with pytest.raises(ValueError, match="bogus"):
        build_meta_prompt(TEXT, **options)


def test_output_budget_grows_with_the_input_within_bounds():
    """Room for the rewrite and its removals, never below 4096 nor above 32768."""
    assert output_token_budget("short") == 4096
    assert output_token_budget("x" * 30_000) > 4096
    assert output_token_budget("x" * 10_000_000) == 32768
