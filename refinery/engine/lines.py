"""Split a masked prompt into lines that know their markdown role."""

from __future__ import annotations

from dataclasses import dataclass

import regex

from refinery.engine.language import verdict, votes
from refinery.engine.masking import MARKER

# Kinds whose content the word rules may edit; the rest is kept as it is.
EDITABLE = frozenset({"paragraph", "item", "quote"})

_HEADING = regex.compile(r"^([ \t]{0,3}#{1,6}[ \t]+)(.*)$")
_ITEM = regex.compile(
    r"^([ \t]*(?:[-*+•]|\d{1,3}[.)]|[A-Za-z][.)])[ \t]+(?:\[[ xX]\][ \t]+)?)(.*)$"
)
_QUOTE = regex.compile(r"^([ \t]*(?:>[ \t]?)+)(.*)$")
_RULE = regex.compile(r"^[ \t]*(?:[-*_][ \t]*){3,}$")
_INDENT = regex.compile(r"^([ \t]*)(.*)$")


@dataclass(slots=True)
class Line:
    """One line: a prefix kept as is (indent, list marker, heading marks) and its content."""

    kind: str
    prefix: str
    content: str
    english: bool = True


# A line of source code pasted without a fence: rules must not touch it.
CODE_LINE = regex.compile(
    r"^(?:[ \t]{4,}|\t)\S|^[ \t]*(?:def |class |import |from [\w.]+ import |return\b|elif |"
    r"else:|try:|except\b|finally:|with .*:$|for .*:$|if .*:$|while .*:$|@\w|#!|//|/\*|\*/|"
    r"(?:const|let|var|function|public|private|async|await) |[\w.\[\]'\"]+ ?[-+*/]?= ?\S)"
)
_CODE_ENDS = (";", "{", "}", "(", "[", ",", ")")


def looks_like_code(line: str) -> bool:
    """Say whether a line reads as source code rather than prose."""
    return line.rstrip().endswith(_CODE_ENDS) or CODE_LINE.match(line) is not None


_MARKUP_START = frozenset("#-*+•>|_0123456789\ue000")


def _classify(raw: str) -> Line:
    """Give a line its kind and split off the markup a refiner must keep."""
    stripped = raw.lstrip()
    if not stripped:
        return Line("blank", "", "")
    if stripped[0] not in _MARKUP_START and "|" not in raw and stripped[1:2] not in {".", ")"}:
        return Line("paragraph", raw[: len(raw) - len(stripped)], stripped)
    if raw.lstrip().startswith("|") or raw.count("|") >= 2:
        return Line("table", raw, "")
    if MARKER.fullmatch(raw.strip()) or _RULE.match(raw):
        return Line("block", raw, "")
    for kind, pattern in (("heading", _HEADING), ("item", _ITEM), ("quote", _QUOTE)):
        match = pattern.match(raw)
        if match:
            return Line(kind, match.group(1), match.group(2))
    match = _INDENT.match(raw)
    return Line("paragraph", match.group(1), match.group(2))


# "1. Plan": the number is a protected span, so a numbered item reaches here masked.
_NUMBERED = regex.compile(r"[ \t]*" + MARKER.pattern + r"[.)][ \t]")


def _code_lines(block: list[Line]) -> int:
    """Count the lines of a block that read as code.

    A deeply indented item under a list item ("1. Plan" then "     - Write tests") is a
    nested list, not code; one that opens the block or follows code ("steps:" then
    "    - run: make") is code, as an indented block is in markdown.
    """
    count, in_list = 0, False
    for line in block:
        raw = line.prefix + line.content
        item = line.kind == "item" or _NUMBERED.match(raw) is not None
        if in_list and item:
            continue
        if looks_like_code(raw):
            count += 1
            in_list = False
        else:
            in_list = item
    return count


def split_lines(masked: str) -> list[Line]:
    """Classify every line and mark the paragraphs written in a language the rules know."""
    lines = [_classify(raw) for raw in masked.split("\n")]
    blocks: list[tuple[list[Line], tuple[int, int, int, int]]] = []
    block: list[Line] = []
    for line in [*lines, Line("blank", "", "")]:
        if line.kind != "blank":
            block.append(line)
        elif block:
            blocks.append((block, votes(" ".join(item.content for item in block))))
            block = []
    for block, _ in blocks:
        # A block that is mostly code is kept as written, like a fenced one.
        code = _code_lines(block)
        if code >= 2 and code * 2 >= len(block):
            for line in block:
                line.kind, line.prefix, line.content = "block", line.prefix + line.content, ""
    freeze_examples(lines)
    total = tuple(sum(column) for column in zip(*(v for _, v in blocks), strict=True))
    document_english = verdict(total, True) if blocks else True
    for block, block_votes in blocks:
        english = verdict(block_votes, document_english)
        for item in block:
            item.english = english
    return lines


# A label that introduces examples or a template: what follows is data the model imitates,
# so it is kept as written ("EXAMPLE OUTPUT", "E.g.:", "Questions might include:").
_EXAMPLE_LABEL = regex.compile(
    r"\b(?:examples?|e\.g\.|for instance|samples?|templates?|(?:might|may|could) include|"
    r"options|choices|like this|(?:following|this) format)(?![\p{L}])",
    regex.I,
)
# A label that names a part of the prompt itself ends an example that a label opened.
_SECTION_LABEL = regex.compile(
    r"\b(?:instructions?|rules|steps|output|input|constraints|guidelines|requirements|notes|"
    r"task|goal|purpose|identity|context|role|format)\b",
    regex.I,
)
_END_LABEL = regex.compile(r"^\s*(?:end|/)\b", regex.I)
_WORDS = regex.compile(r"[\p{L}\p{N}][\p{L}\p{N}'’._-]*")


def _is_label(line: Line) -> bool:
    """Say whether a line heads what follows: a heading, an ALL-CAPS title or a short 'X:'."""
    if line.kind == "heading":
        return True
    if line.kind != "paragraph":
        return False
    text = line.content.strip().strip("*_").strip()
    words = _WORDS.findall(text)
    if not words or len(words) > 12:
        return False
    letters = [c for c in text if c.isalpha()]
    shouted = len(words) <= 8 and letters and all(c.isupper() for c in letters)
    return bool(shouted or text.endswith(":"))


# Labels inside a few-shot example ("Input:", "User:", "Answer:") do not end it.
_TURN_LABEL = regex.compile(
    r"^\s*(?:input|output|user|assistant|human|ai|system|question|answer|q|a|response|query|"
    r"prompt|completion|example\s*\d*)\s*:\s*$",
    regex.I,
)


def _opens_example(line: Line) -> bool:
    """Say whether a line introduces examples or a template: a label, or a line ending in ':'."""
    if _EXAMPLE_LABEL.search(line.content) is None:
        return False
    if line.kind == "heading" or _is_label(line):
        return True
    return line.kind in EDITABLE and line.content.rstrip().rstrip("*_").endswith(":")


def _names_a_part(line: Line, heading: bool, after_blank: bool) -> bool:
    """Say whether a line heads a part of the prompt itself: "# OUTPUT", "Rules:" (not bold).

    Titles inside an example ("**ANALYTICAL CONTEXT**") are part of the example.
    """
    if _SECTION_LABEL.search(line.content) is None or _TURN_LABEL.match(line.content):
        return False
    if heading:
        return True
    text = line.content.strip()
    return after_blank and _is_label(line) and text.endswith(":") and not text.startswith("*")


def freeze_examples(lines: list[Line]) -> None:
    """Keep as written every line under a label that introduces examples or a template.

    An example may have headings, titles and labels of its own ("# VULNERABILITIES",
    "ARCHITECTURE:", "## SUMMARY" and its table): the run ends at an "END ..." line, or at
    a heading or a new block's label that names a part of the prompt itself ("# OUTPUT
    INSTRUCTIONS", "Rules:"), unless that one introduces an example again.
    """
    frozen = False
    after_blank = True
    for line in lines:
        if line.kind == "blank":
            after_blank = True
            continue
        heading = line.kind == "heading"
        label = heading or (_is_label(line) and not _TURN_LABEL.match(line.content))
        if frozen and label and _END_LABEL.match(line.content):
            frozen = False
        elif not frozen or _names_a_part(line, heading, after_blank):
            frozen = _opens_example(line)
        elif line.kind in EDITABLE or line.kind == "table":
            line.kind, line.prefix, line.content = "block", line.prefix + line.content, ""
        after_blank = False


def join_lines(lines: list[Line]) -> str:
    """Render lines back to text, dropping lines a refiner emptied and extra blank lines."""
    out: list[str] = []
    for line in lines:
        if line.kind in EDITABLE and not line.content.strip() and line.prefix.strip() == "":
            continue
        text = line.prefix + line.content
        if line.kind == "blank" and (not out or out[-1] == ""):
            continue
        out.append(text.rstrip() if line.kind != "blank" else "")
    while out and out[-1] == "":
        out.pop()
    return "\n".join(out)
