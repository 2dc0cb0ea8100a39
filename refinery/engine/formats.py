"""Reshape a refined prompt into markdown sections or a JSON object."""

from __future__ import annotations

import json
from collections.abc import Callable

import regex

from refinery.engine.lines import Line
from refinery.engine.masking import MARKER
from refinery.engine.removals import Removals

SECTIONS = ("role", "task", "context", "constraints", "output_format")
_TITLES = {
    "role": "Role",
    "task": "Task",
    "context": "Context",
    "constraints": "Constraints",
    "output_format": "Output format",
}
_SENTENCE = regex.compile(r"(?<=[.!?])[ \t]+(?=\S)")
_ROLE = regex.compile(
    r"^(?:act as|you are|you're|imagine (?:that )?you are|pretend|as an? \w+|"
    r"take (?:on )?the role|play the role|your role|i want you to act|be an? )",
    regex.I,
)
_CONSTRAINT = regex.compile(
    r"\b(?:not|no|never|don't|do not|must|mustn't|only|always|should|shouldn't|avoid|unless|"
    r"except|without|ensure|limit|at most|at least|strictly|required?)\b",
    regex.I,
)
_OUTPUT = regex.compile(
    r"\b(?:format|formatted|respond|response|reply|answer|output|return|json|markdown|table|"
    r"bullets?|code block|words?|sentences?|paragraphs?|tone|style|length|structure)\b",
    regex.I,
)
_CONTEXT = regex.compile(
    r"^(?:i will|i'll|i am|i'm|i have|my |we |our |the user|users? will|this is|context|"
    r"background|given|first (?:request|command|sentence|question|prompt|message|input)|"
    r"example|for example|e\.g\.)",
    regex.I,
)
_LABELS = (
    ("role", regex.compile(r"\b(?:role|persona|identity|who you are)\b", regex.I)),
    (
        "constraints",
        regex.compile(
            r"\b(?:rules?|constraints?|guidelines?|requirements?|restrictions?|do not|"
            r"don'ts?|limitations?)\b",
            regex.I,
        ),
    ),
    (
        "output_format",
        regex.compile(r"\b(?:output|format|response|deliverables?|structure)\b", regex.I),
    ),
    (
        "context",
        regex.compile(r"\b(?:context|background|examples?|inputs?|variables?|about)\b", regex.I),
    ),
    (
        "task",
        regex.compile(r"\b(?:task|steps?|instructions?|goals?|objectives?|process)\b", regex.I),
    ),
)


def _classify_sentence(text: str) -> str:
    """Put one instruction in the section a reader would look for it in."""
    if _ROLE.match(text):
        return "role"
    if _CONTEXT.match(text):
        return "context"
    if _CONSTRAINT.search(text):
        return "constraints"
    if _OUTPUT.search(text):
        return "output_format"
    return "task"


def _classify_label(text: str) -> str | None:
    """Map a heading or a 'Rules:' label to a section, if it names one."""
    for section, pattern in _LABELS:
        if pattern.search(text):
            return section
    return None


def sections(
    lines: list[Line], unmask: Callable[[str], str], removals: Removals
) -> dict[str, list[str]]:
    """Group the refined instructions by section, in their original order.

    A heading that names a section ("## Rules") becomes that section and is reported as
    removed; any other heading is kept as an item.
    """
    grouped: dict[str, list[str]] = {name: [] for name in SECTIONS}
    heading_label: str | None = None
    label: str | None = None
    previous = "task"
    for index, line in enumerate(lines):
        if line.kind == "blank":
            continue
        if line.kind == "heading":
            heading_label = label = _classify_label(line.content)
            heading = unmask(line.prefix + line.content).strip()
            if label and MARKER.search(line.content) is None:
                removals.add(heading, f"heading replaced by the {_TITLES[label]!r} section")
            else:
                grouped[previous].append(heading)
            continue
        if line.kind in {"table", "block"}:
            grouped[previous].append(unmask(line.prefix).strip("\n"))
            continue
        label = label if line.kind == "item" else heading_label
        if line.kind == "item":
            text = unmask(line.prefix.strip() + " " + line.content)
            indent = len(line.prefix) - len(line.prefix.lstrip())
            grouped[label or _classify_sentence(line.content)].append(" " * indent + text)
            previous = label or previous
            continue
        next_kind = lines[index + 1].kind if index + 1 < len(lines) else "blank"
        introduces_list = line.content.rstrip().endswith(":") and next_kind == "item"
        if introduces_list:
            label = _classify_label(line.content) or heading_label
        for sentence in _SENTENCE.split(line.content.strip()):
            section = label or _classify_sentence(sentence)
            grouped[section].append(unmask(sentence))
            previous = section
        previous = label or previous
    return {name: items for name, items in grouped.items() if items}


def to_markdown(grouped: dict[str, list[str]], section_style: str) -> str:
    """Render sections as markdown headings ("heading") or XML-tag sections ("xml")."""
    blocks = []
    for name, items in grouped.items():
        body = _join(items, markdown=True)
        if section_style == "xml":
            blocks.append(f"<{name}>\n{body}\n</{name}>")
        else:
            blocks.append(f"## {_TITLES[name]}\n{body}")
    return "\n\n".join(blocks)


_BLOCKS = {"|", "`", "~"}
_BLOCK_ENDS = ("|", "`", "~")
_STRUCTURE = regex.compile(r"^\s*(?:[-*+•|#`~>]|\d+[.)] )")


def _is_structure(item: str) -> bool:
    """Say whether an item is a list item, heading, table row or block of its own."""
    return _STRUCTURE.match(item) is not None


def to_json(grouped: dict[str, list[str]], compact: bool) -> str:
    """Render sections as a JSON object; the role is a string, the rest lists."""
    # One string per section: a list would spend two tokens of quotes and commas per item.
    document = {name: _join(items) for name, items in grouped.items()}
    separators = (",", ":") if compact else (", ", ": ")
    return json.dumps(document, ensure_ascii=False, separators=separators)


def _join(items: list[str], markdown: bool = False) -> str:
    """Join a section: sentences run on as a paragraph, list items and blocks get own lines.

    Bulleting every sentence would cost two tokens a sentence; a section heading costs
    about three, which is what lets the shaped prompt stay shorter than the original.
    """
    text = ""
    for item in items:
        structured = _is_structure(item)
        if not text:
            text = item
        elif markdown and (item.lstrip()[:1] in _BLOCKS or text.endswith(_BLOCK_ENDS)):
            text += "\n\n" + item  # tables and code need blank lines to stay what they are
        elif structured or _is_structure(text.rsplit("\n", 1)[-1]):
            text += "\n" + item
        else:
            text += " " + item
    return text


def minimal_json(text: str) -> str:
    """The smallest JSON form of a prompt: one task string."""
    return json.dumps({"task": text}, ensure_ascii=False, separators=(",", ":"))
