"""Robustness: any text up to the default MAX_TEXT_CHARS refines, in bounded time, at every level.

Each input is 100,000 characters of one awkward shape (a punctuation character, one of the
engine's private-use markers, a run of one word, bracket or quote, deep nesting). A call that
takes seconds on one of them grows faster than the text does: the bound is generous (the
target is under a second) so that only quadratic time or worse fails, never a slow machine.
"""

from __future__ import annotations

import random
import signal
import string
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from refinery.engine.local import refine

pytestmark = pytest.mark.slow

LIMIT = 100_000  # MAX_TEXT_CHARS's default (refinery/config.py)
BOUND_S = 5.0  # a failure, not the target
ABORT_S = 15  # stop waiting: the call has failed its bound anyway
LEVELS = ("low", "medium", "high")
# The engine's private-use markers (masking.py, stages.py, protect.py reserve U+E000-U+E01F).
MARKERS = {
    "open": "\ue000",
    "close": "\ue001",
    "capitalize": "\ue002",
    "digit-0": "\ue010",
    "digit-9": "\ue019",
    "reserved-end": "\ue01f",
    "whole-marker": "\ue000\ue010\ue001",
    "marker-in-words": "word \ue000\ue011\ue001 ",
}


def _fill(unit: str) -> str:
    """`unit` repeated up to exactly LIMIT characters."""
    return (unit * (LIMIT // len(unit) + 1))[:LIMIT]


def _nested_list() -> str:
    """A markdown list nested one level deeper on every line, as deep as LIMIT allows."""
    lines, size, depth = [], 0, 0
    while size < LIMIT:
        line = "  " * depth + "- item\n"
        lines.append(line)
        size += len(line)
        depth += 1
    return "".join(lines)[:LIMIT]


def _mix() -> str:
    """Seeded random words, punctuation, markers, markdown and newlines."""
    rng = random.Random(14)
    pieces = [
        *string.punctuation,
        *MARKERS.values(),
        "the ",
        "by ",
        "not ",
        "please ",
        "in order to ",
        "**",
        "```",
        "\n",
        "\n- ",
        "\n# ",
        "\n1. ",
        "{{x}}",
        "https://example.com/a_(b) ",
        " ",
    ]
    out, size = [], 0
    while size < LIMIT:
        piece = rng.choice(pieces)
        out.append(piece)
        size += len(piece)
    return "".join(out)[:LIMIT]


# The worst shapes, at every level.
SHAPES = {
    "backticks": _fill("`"),
    "tildes": _fill("~"),
    "open-brackets": _fill("["),
    "open-parentheses": _fill("("),
    "open-braces": _fill("{"),
    "double-quotes": _fill('"'),
    "single-quotes": _fill("'"),
    "curly-quotes": _fill("\u201c"),
    "asterisks": _fill("*"),
    "underscores": _fill("_"),
    "word-the": _fill("the "),
    "word-by": _fill("by "),
    "word-not": _fill("not "),
    "word-please": _fill("please "),
    "one-long-word": _fill("a"),
    "summarize-brackets": "Summarize: " + "[" * 1000,
    "summarize-parentheses": "Summarize: " + "(" * 1000,
    "summarize-braces": "Summarize: " + "{" * 1000,
    "balanced-brackets": "Summarize: " + "[" * 5000 + "x" + "]" * 5000,
    "nested-list": _nested_list(),
    "nested-quote": _fill("> "),
    "fence-lines": _fill("```\n"),
    "list-markers": _fill("- "),
    "headings": _fill("#"),
    "bold-words": _fill("**a** "),
    "inline-code-pairs": _fill("`a` "),
    "blank-lines": _fill("\n"),
    "spaces": _fill(" "),
    "sentences": _fill("Please make sure that you do not in order to. "),
    "mix": _mix(),
}


@contextmanager
def _deadline(seconds: int) -> Iterator[None]:
    """Raise TimeoutError in the block after `seconds` (SIGALRM: main thread, POSIX)."""

    def expire(signum, frame):
        """Stop a call that has already failed its bound."""
        raise TimeoutError(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture(scope="module", autouse=True)
def _warm() -> None:
    """Load the encoder and compile the patterns before any call is timed."""
    for level in LEVELS:
        refine("Please summarize the **text** below in order to help: `x` [y](z).", level=level)


def _check(text: str, level: str) -> None:
    """Refine `text` at `level`: no exception, a text back, within the bound."""
    started = time.perf_counter()
    with _deadline(ABORT_S):
        result = refine(text, "UNIVERSAL", level)
    elapsed = time.perf_counter() - started
    assert isinstance(result.refined_text, str)
    assert elapsed < BOUND_S, f"{elapsed:.1f} s for {len(text):,} characters at {level}"


@pytest.mark.parametrize("char", list(string.punctuation), ids=lambda c: f"U+{ord(c):04X}")
def test_a_run_of_one_punctuation_character(char):
    """100,000 of one ASCII punctuation character, at high (the level with the most passes)."""
    _check(_fill(char), "high")


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("name", list(MARKERS))
def test_a_run_of_one_engine_marker(name, level):
    """100,000 characters of a marker the engine uses internally."""
    _check(_fill(MARKERS[name]), level)


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("name", list(SHAPES))
def test_a_worst_shape(name, level):
    """Runs of one word, bracket or quote, deep nesting, and a mix of all of them."""
    _check(SHAPES[name], level)
