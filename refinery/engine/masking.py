"""Hide protected spans behind opaque markers so rules can never touch them."""

from __future__ import annotations

import regex

from refinery.engine.protect import Span, protected_spans

# Markers are private-use characters: not letters, digits or spaces, so no word rule or
# whitespace rule can match inside one. Digits 0-9 map to U+E010..U+E019.
_OPEN, _CLOSE, _DIGIT0 = "\ue000", "\ue001", 0xE010
MARKER = regex.compile("\ue000([\ue010-\ue019]+)\ue001")
_TO_MARKER_DIGITS = str.maketrans({str(d): chr(_DIGIT0 + d) for d in range(10)})
_FROM_MARKER_DIGITS = {chr(_DIGIT0 + d): str(d) for d in range(10)}


class MaskedText:
    """A text with each protected span replaced by a numbered marker."""

    def __init__(self, text: str) -> None:
        """Find the spans of `text` and build its masked form."""
        self.spans: list[Span] = protected_spans(text)
        parts: list[str] = []
        position = 0
        for index, span in enumerate(self.spans):
            parts.append(text[position : span.start])
            parts.append(_OPEN + str(index).translate(_TO_MARKER_DIGITS) + _CLOSE)
            position = span.end
        parts.append(text[position:])
        self.masked = "".join(parts)

    def unmask(self, masked: str) -> str:
        """Put the original spans back in place of their markers."""
        if not self.spans:
            return masked
        return MARKER.sub(lambda m: self.spans[_index(m.group(1))].text, masked)

    def span_at(self, marker_digits: str) -> Span:
        """Return the span a marker stands for."""
        return self.spans[_index(marker_digits)]


def _index(marker_digits: str) -> int:
    """Decode a marker's private-use digits."""
    return int("".join(_FROM_MARKER_DIGITS[c] for c in marker_digits))
