"""The phrase pass: wordy, polite and meta phrases and their shorter equivalents, as a table."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import regex

from refinery.engine.edit import CAP, edit_lines, sentence_initial
from refinery.engine.lines import Line
from refinery.engine.removals import Removals
from refinery.engine.strategy import STRATEGY_TABLE


@dataclass(frozen=True, slots=True)
class Phrase:
    """One rewrite: a case-insensitive pattern, its replacement, and an example that is a test.

    `example` refined at `level` (UNIVERSAL, or the group's own strategy) gives `result`.
    `initial` rules apply only at the start of a sentence: "Remember that" opens meta-talk,
    "tell them to remember that" is the task.
    """

    group: str
    level: str
    pattern: str
    replacement: str
    example: str
    result: str
    initial: bool = False


_S = r"[ \t]+"  # words on one line: rules never join lines, so structure is kept
_TABLE = Path(__file__).with_name("phrases.toml")
# The table is data (refinery/engine/phrases.toml): pattern, replacement, example, result.
PHRASES: tuple[Phrase, ...] = tuple(
    Phrase(**row) for row in tomllib.loads(_TABLE.read_text(encoding="utf-8"))["phrase"]
)


@dataclass(frozen=True, slots=True)
class _Compiled:
    """A phrase of the table, compiled: whole words only, case-insensitive."""

    phrase: Phrase
    pattern: regex.Pattern


def _spaces(pattern: str) -> str:
    """Let each space of `pattern` outside a character class match a run of spaces or tabs."""
    out, in_class, escaped = [], False, False
    for char in pattern:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "[":
            in_class = True
        elif char == "]":
            in_class = False
        elif char == " " and not in_class:
            char = _S
        out.append(char)
    return "".join(out)


def _compile(phrase: Phrase) -> _Compiled:
    """Compile a phrase's pattern; its spaces match any run of spaces or tabs."""
    body = _spaces(phrase.pattern)
    pattern = regex.compile(rf"(?<![\p{{L}}'’]){body}(?![\p{{L}}'’])", regex.IGNORECASE)
    return _Compiled(phrase, pattern)


def phrases_for(level: str, strategy: str) -> tuple[Phrase, ...]:
    """The phrases one level applies for a strategy, in table order."""
    row = STRATEGY_TABLE[strategy]
    return tuple(
        phrase
        for phrase in PHRASES
        if phrase.level == level
        and phrase.group not in row.excluded_groups
        and (phrase.group != "reasoning cue" or phrase.group in row.extra_groups)
    )


@cache
def _dispatch(level: str, strategy: str):
    """Index a level's phrases by the words a match can start with.

    Trying ~100 alternatives at every position is slow; instead each word of the line is
    looked up, and only the phrases that can start with it are tried there.
    """
    rules = [_compile(phrase) for phrase in phrases_for(level, strategy)]
    vocabulary = {w for rule in rules for w in regex.findall(r"[a-z]+", rule.pattern.pattern)}
    by_word: dict[str, list[int]] = {}
    for index, rule in enumerate(rules):
        for word in vocabulary:
            if any(rule.pattern.match(word + end, partial=True) for end in " ,."):
                by_word.setdefault(word, []).append(index)
    compiled = {
        word: regex.compile(
            "|".join(f"(?P<r{i}>{rules[i].pattern.pattern})" for i in indexes), regex.IGNORECASE
        )
        for word, indexes in by_word.items()
    }
    # A named list compiles to a set lookup: one fast scan finds every word a rule can start with.
    triggers = regex.compile(
        r"(?<![\p{L}'’])\L<words>(?![\p{L}])", regex.IGNORECASE, words=sorted(compiled)
    )
    # On lower-cased text as long as the original, the standard re's alternation finds the
    # same words (whole runs of a-z) about twice as fast as visiting every run of a-z.
    ascii_triggers = re.compile(
        r"(?<![a-z])(?:" + "|".join(sorted(compiled, key=len, reverse=True)) + r")(?![a-z])"
    )
    return triggers, ascii_triggers, compiled, rules


_EMPHASIS_MARKS = frozenset("*_~")


def _emphasized(text: str, start: int, end: int) -> bool:
    """Say whether a match touches an emphasis marker: the emphasized words are the point."""
    return (start > 0 and text[start - 1] in _EMPHASIS_MARKS) or (
        end < len(text) and text[end] in _EMPHASIS_MARKS
    )


def apply_phrases(lines: list[Line], level: str, strategy: str, removals: Removals) -> None:
    """Remove or shorten the level's phrases, keeping capitals at sentence starts."""
    triggers, ascii_triggers, by_word, rules = _dispatch(level, strategy)
    if not by_word:
        return

    def edit(text: str, removals: Removals) -> str:
        """Rewrite the lines (joined by newlines)."""
        out: list[str] = []
        position = 0
        lowered = text.lower()
        same_length = len(lowered) == len(text)
        words = ascii_triggers.finditer(lowered) if same_length else triggers.finditer(text)
        for word in words:
            candidates = by_word.get(word.group(0).lower())
            if candidates is None or word.start() < position:
                continue
            match = candidates.match(text, word.start())
            if match is None or _emphasized(text, match.start(), match.end()):
                continue
            rule = rules[int(match.lastgroup[1:])]
            # After a removed opener ("Please note that"), the next phrase starts the sentence.
            initial = sentence_initial(text, match.start()) or (
                bool(out) and out[-1] == CAP and not text[position : match.start()].strip()
            )
            if rule.phrase.initial and not initial:
                continue
            replacement = rule.phrase.replacement
            if "\\" in replacement:
                replacement = rule.pattern.match(text, match.start()).expand(replacement)
            reason = rule.phrase.group
            out.append(text[position : match.start()])
            if replacement:
                first = replacement[0].upper() if initial else replacement[0].lower()
                if replacement != "I" and not replacement.startswith("I "):
                    replacement = first + replacement[1:]
                removals.add(match.group(0), f"{reason} → {replacement!r}")
                out.append(replacement)
                position = match.end()
                continue
            end = match.end()
            # "Basically, do x": the comma that set the phrase off goes with it.
            if text[end : end + 1] == "," and not match.group(0).endswith(","):
                end += 1
            removals.add(text[match.start() : end], reason)
            if initial or match.group(0)[:1].isupper():
                out.append(CAP)
            position = end
        out.append(text[position:])
        return "".join(out)

    edit_lines(lines, edit, removals)
