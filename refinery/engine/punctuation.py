"""The low level's punctuation pass: optional commas and decorative emoji."""

from __future__ import annotations

import regex

from refinery.engine.edit import edit_lines
from refinery.engine.lines import Line
from refinery.engine.removals import Removals

# A serial comma before "and"/"or" ("a, b, and c": see _serial_comma) and the comma after a
# sequence word opening a sentence: neither changes what is asked.
_OPTIONAL_COMMA = regex.compile(
    r"(?P<serial>,)(?=[ \t]+(?:and|or)[ \t])"
    r"|(?<=(?:^|[.!?:][ \t]+|\n)(?:Finally|Then|Next|First|Second|"
    r"Third|Lastly|Also|Instead|Overall|Ideally|Importantly|Now|Afterwards|Later))(?:,)",
    regex.M,
)
_PICTOGRAPH = "\U0001f000-\U0001faff\u2600-\u27bf\u2b50\u2b55"
# Only emoji that trail a finished sentence are decoration ("Be brief. 🗺️"); one inside an
# instruction is what it is about ("Mark it ✅ if true", "Reply with ✅ or ❌.").
_EMOJI = regex.compile(
    rf"(?<=[.!?:])[ \t]*[{_PICTOGRAPH}](?:[\ufe0f\u200d]|[ \t]*[{_PICTOGRAPH}])*[ \t]*$",
    regex.M,
)
# A comma that closes a clause holding a negation or a limit bounds its scope.
SCOPED_CLAUSE = regex.compile(
    r"(?i)(?<![\p{L}'’])(?:not|no|never|nor|none|nothing|cannot|without|only|except|unless|"
    r"at[ \t]+(?:most|least)|up[ \t]+to)(?![\p{L}'’])|n['’]t(?![\p{L}])"
)
_SUBORDINATE = regex.compile(
    r"[ \t]*(?:which|who|whom|whose|where|when|while|unless|if|although|though|because|since)\b",
    regex.I,
)
_CHAINED = regex.compile(r"[ \t]*(?:and|or|but|then)\b", regex.I)
_REACH = 300  # how far a sentence is looked at around a comma: long text stays linear


def _previous_comma(text: str, start: int) -> int:
    """The index of the comma before `start` in its sentence (within _REACH), or -1."""
    floor = max(0, start - _REACH)
    opening = max(text.rfind(mark, floor, start) for mark in ".!?;:\n")
    return text.rfind(",", max(opening + 1, floor), start)


def _serial_comma(text: str, start: int) -> bool:
    """Say whether the comma at `start`, before "and"/"or", ends a plain series ("a, b, and c").

    A lone comma ("list 5 bugs, and explain each") separates two actions; one closing an
    aside ("the files, which are temporary, and") or a negation ("Python, not Java, and
    explain why") bounds its scope.
    """
    previous = _previous_comma(text, start)
    if previous < 0:
        return False
    item = text[previous + 1 : start]
    # ", and guess what I might do, and expand": clauses chained by "and", not a series.
    return not (SCOPED_CLAUSE.search(item) or _SUBORDINATE.match(item) or _CHAINED.match(item))


def _light_punctuation(text: str, removals: Removals) -> str:
    """Drop serial commas, commas after sequence words, and decorative emoji."""
    dropped = 0

    def optional(match: regex.Match) -> str:
        """Drop a sequence word's comma, or a serial comma that ends a plain series."""
        nonlocal dropped
        if match.group("serial") and not _serial_comma(text, match.start()):
            return ","
        dropped += 1
        return ""

    text = _OPTIONAL_COMMA.sub(optional, text)
    if dropped:
        removals.add(",", "optional comma", dropped)
    for match in _EMOJI.finditer(text):
        removals.add(match.group(0), "decorative emoji")
    return _EMOJI.sub("", text)


def light_punctuation(lines: list[Line], removals: Removals) -> None:
    """Run the punctuation pass over the editable lines."""
    edit_lines(lines, _light_punctuation, removals)
