"""Spans of a prompt that must survive refining byte for byte."""

from __future__ import annotations

import json
from dataclasses import dataclass

import regex

# Each finder is (kind, pattern). Where spans overlap they are merged into one, so a
# URL inside a quoted string protects the whole quotation.
_FLAGS = regex.VERSION1 | regex.MULTILINE

# A fence may open after a list marker ("- ```text"). Runs of backticks or tildes are taken
# whole (possessive), so a line of 100,000 backticks is read once, not once per length.
_FENCE_OPEN = r"^[ \t]*(?:(?:[-*+]|\d{1,9}[.)])[ \t]+)?"
_FENCE = regex.compile(
    _FENCE_OPEN + r"(?P<f>`{3,}+|~{3,}+)(?(?<=`)[^`\n]*+|[^\n]*+)\n"
    r"(?:.*?\n)??[ \t]*(?P=f)[ \t]*$"
    r"|" + _FENCE_OPEN + r"(?:`{3,}+|~{3,}+).*\Z",
    _FLAGS | regex.DOTALL,
)
_UNITS = (
    r"am|pm|AM|PM|a\.m\.|p\.m\.|ms|sec|secs|seconds?|minutes?|mins?|hours?|hrs?|days?|"
    r"weeks?|months?|years?|km|cm|mm|kg|mg|lbs?|oz|ft|px|pt|em|rem|dpi|fps|"
    r"KB|MB|GB|TB|kb|mb|gb|tb|Hz|kHz|MHz|GHz|°[CF]?|words?|characters?|chars|"
    r"sentences?|paragraphs?|pages?|lines?|items?|tokens?|bullets?|points?|steps?|"
    r"times|percent|USD|EUR|GBP|dollars?|euros?"
)
_PATTERNS: tuple[tuple[str, str], ...] = (
    # The engine's own markers (masking, stages) are private-use characters; where a prompt
    # holds them itself they are kept as they are and can never be read as a marker.
    ("reserved", r"[\ue000-\ue01f]+"),
    ("inline_code", r"(?<!`)(`+)(?!`)[^\n]+?(?<!`)\1(?!`)"),
    ("link", r"!?\[[^\[\]\n]*\]\([^()\s]*(?:\([^()\s]*\))?[^()\s]*(?:\s+\"[^\"\n]*\")?\)"),
    ("url", r"\b(?:https?|ftp|file|wss?)://[^\s<>\"'`]+|\bwww\.[^\s<>\"'`]+"),
    ("placeholder", r"\{\{[^{}\n]{0,100}\}\}|\$\{[^{}\n]{0,100}\}|\{[^{}\n]{1,100}\}"),
    ("placeholder", r"\[\[[^\[\]\n]{1,100}\]\]|\[[^\[\]\n]{1,80}\]"),
    ("placeholder", r"</?[A-Za-z][\w:.-]*(?:\s[^<>\n]{0,200})?/?>"),
    ("placeholder", r"%(?:\(\w+\))?(?:\d+\$)?[-+#0]*\d*(?:\.\d+)?[sdifrxXeEgGcu]\b"),
    ("placeholder", r"\$[A-Z_][A-Z0-9_]+\b|<<[^<>\n]{1,60}>>"),
    ("path", r"(?<![\w/.~])(?:~|\.{1,2})?/(?:[\w.@+-]+/)*[\w.@+-]+/?"),
    ("path", r"\b[A-Za-z]:\\[^\s\"'<>|]+"),
    # An inline example is data the model imitates: from "e.g." to the end of its sentence.
    (
        "example",
        r"(?i)\b(?:e\.g\.|for example|for instance)[,:]*+[ \t]*[^\s:,][^\n]*?"
        r"(?:[.!?](?=[ \t]|$)|$)",
    ),
    ("clause", r"§+[ \t]*\d[\w.()-]*|\((?:[a-zA-Z]|[ivxlcIVXLC]{1,6}|\d{1,3})\)"),
    (
        "quoted",
        r"(?<![\w\"])\"[^\"\n]{1,1000}\"|“[^“”\n]{1,1000}”|«[^«»\n]{1,1000}»|「[^「」\n]{1,1000}」",
    ),
    ("quoted", r"(?<![\w'])'[^'\n]{1,200}'(?![\w'])|(?<![\w‘’])‘[^‘’\n]{1,200}’(?![\w‘’])"),
)
_FINDERS = tuple((kind, regex.compile(pattern, _FLAGS)) for kind, pattern in _PATTERNS)
# Patterns that would start a scan at every letter are found from a rarer anchor instead
# ("@", a digit, "/", "_", a file extension) and then extended leftwards over `left`
# characters; `needs_left` says the part before the anchor may not be empty. This keeps
# protected_spans linear and fast (it runs on every request).
_ANCHORED: tuple[tuple[str, regex.Pattern, str, bool], ...] = (
    ("email", regex.compile(r"@[\w-]+(?:\.[\w-]+)+\b"), ".+-", True),
    (
        "url",
        regex.compile(
            r"\.(?:com|org|net|io|ai|dev|gov|edu|co|app|info|me|ly|uk|de)\b(?:/[^\s<>\"'`]*)?"
        ),
        ".-",
        True,
    ),
    ("path", regex.compile(r"/[\w.-]+(?:/[\w.-]+)*/?"), ".-", True),
    (
        "path",
        regex.compile(
            r"\.(?:py|js|mjs|ts|tsx|jsx|json|ya?ml|md|txt|csv|html?|css|scss|sh|toml|ini|cfg|"
            r"sql|go|rs|java|kt|c|cpp|h|hpp|cs|rb|php|xml|pdf|docx?|xlsx?|pptx?|png|jpe?g|gif|"
            r"svg|webp|mp[34]|wav|env|lock|log|ipynb|sol|swift|vue|dockerfile|tf)\b"
        ),
        "-",
        True,
    ),
    ("identifier", regex.compile(r"_[A-Za-z0-9]\w*"), "", True),
    ("identifier", regex.compile(r"(?<=[a-z])[A-Z][A-Za-z0-9]*"), "", True),
    (
        "number",
        regex.compile(r"\d[\w.,:/%+-]*(?:\s?(?:%|(?:" + _UNITS + r")\b))?"),
        ".$€£¥₹#-",
        False,
    ),
)
_JSON_START = regex.compile(r"[{\[](?=\s*[\"{\[])")
_FILE_END = regex.compile(r"\.[A-Za-z0-9]{1,8}/?$")


def _extend_left(text: str, position: int, chars: str) -> int:
    """Walk left from `position` over word characters and `chars` (at most 120 of them)."""
    limit = max(0, position - 120)
    while position > limit:
        previous = text[position - 1]
        if not (previous.isalnum() or previous == "_" or previous in chars):
            break
        position -= 1
    return position


# Trailing characters that end a sentence, not a number, URL or path.
_TRAILING = ".,;:!?)]}'\"-/+"


@dataclass(frozen=True, slots=True)
class Span:
    """A protected region of the text: [start, end) and what it is."""

    start: int
    end: int
    text: str
    kind: str


def _trim(text: str, start: int, end: int, kind: str) -> int:
    """Drop sentence punctuation that a greedy pattern swallowed at the end of a span."""
    if kind not in {"url", "number", "path"}:
        return end
    while end > start + 1 and text[end - 1] in _TRAILING:
        closer = text[end - 1]
        # Keep a closing bracket that the span itself opened (Wikipedia-style URLs).
        opener = {")": "(", "]": "[", "}": "{"}.get(closer)
        if opener and text.count(opener, start, end) >= text.count(closer, start, end):
            break
        end -= 1
    return end


def _is_relative_path(candidate: str) -> bool:
    """A slash between words is a path if it names a file or has parts ("and/or" is not)."""
    return candidate.count("/") >= 2 or bool(_FILE_END.search(candidate))


_CLOSERS = {"[": "]", "{": "}"}
# Deeper than this, a structure is not handed to the JSON decoder (which recurses per level).
_MAX_JSON_DEPTH = 200


def _bracket_ends(text: str) -> dict[int, tuple[int, int]]:
    """Map each `[` or `{` to (index after its closer, its deepest nesting), in one pass.

    Strings are skipped the way JSON reads them, so a bracket inside "..." does not count.
    An opener without a matching closer is left out.
    """
    ends: dict[int, tuple[int, int]] = {}
    stack: list[list] = []  # [opener index, expected closer, deepest depth below]
    index, length = 0, len(text)
    while index < length:
        char = text[index]
        if char in _CLOSERS:
            stack.append([index, _CLOSERS[char], len(stack) + 1])
        elif stack and char == stack[-1][1]:
            start, _, deepest = stack.pop()
            ends[start] = (index + 1, deepest - len(stack))
            if stack:
                stack[-1][2] = max(stack[-1][2], deepest)
        elif char in "]}":
            stack.clear()  # a stray closer: nothing open before it can be JSON
        elif char == '"' and stack:
            closing = _STRING_END.match(text, index + 1)
            if closing:  # a quote never closed on its line is prose, not a JSON string
                index = closing.end() - 1
        index += 1
    return ends


_STRING_END = regex.compile(r'(?:[^"\\\n]|\\.)*+"')


def _json_spans(text: str) -> list[tuple[int, int, str]]:
    """Find JSON objects and arrays embedded in the text, in time linear in its length.

    Only a balanced candidate is decoded; one nested deeper than the decoder can take is
    kept whole as it is.
    """
    if "[" not in text and "{" not in text:
        return []
    ends = _bracket_ends(text)
    found: list[tuple[int, int, str]] = []
    position = 0
    for match in _JSON_START.finditer(text):
        start = match.start()
        if start < position or start not in ends:
            continue
        end, depth = ends[start]
        if depth > _MAX_JSON_DEPTH:
            found.append((start, end, "json"))
            position = end
            continue
        try:
            json.loads(text[start:end])
        except ValueError:
            continue
        found.append((start, end, "json"))
        position = end
    return found


def protected_spans(text: str) -> list[Span]:
    """Return the non-overlapping spans that refining must leave byte for byte, in order."""
    raw: list[tuple[int, int, str]] = [
        (m.start(), m.end(), "code_block") for m in _FENCE.finditer(text)
    ]
    raw.extend(_json_spans(text))
    for kind, pattern in _FINDERS:
        for match in pattern.finditer(text):
            end = _trim(text, match.start(), match.end(), kind)
            if end > match.start():
                raw.append((match.start(), end, kind))
    for kind, pattern, left_chars, needs_left in _ANCHORED:
        reach = -1
        for match in pattern.finditer(text):
            if match.start() < reach:
                continue
            start = _extend_left(text, match.start(), left_chars)
            if needs_left and start == match.start():
                continue
            if (
                kind == "path"
                and "/" in match.group(0)
                and not _is_relative_path(text[start : match.end()])
            ):
                continue
            end = _trim(text, start, match.end(), kind)
            raw.append((start, end, kind))
            reach = end
    raw.sort(key=lambda item: (item[0], -item[1]))
    merged: list[list] = []
    for start, end, kind in raw:
        if merged and start < merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end, kind])
    return [Span(start, end, text[start:end], kind) for start, end, kind in merged]
