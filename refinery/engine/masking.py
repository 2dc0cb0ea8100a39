"""Hide protected spans behind opaque markers so rules can never touch them."""

from __future__ import annotations

import regex

from refinery.engine.protect import Span, protected_spans

# Markers are private-use characters: not letters, digits or spaces, so no word rule or
# whitespace rule can match inside one. Digits 0-9 map to U+E010..U+E019.
_OPEN, _CLOSE, _DIGIT0 = "\ue000", "\ue001", 0xE010
MARKER = regex.compile("\ue000([\ue010-\ue019]+)\ue001")
_TO_MARKER_DIGITS = str.maketrans({str(d): chr(_DIGIT0 + d) for d in range(10)})


class MaskedText:
    """A text with each protected span replaced by a numbered marker."""

    def __init__(self, text: str) -> None:
        """Find the spans of `text` and build its masked form."""
        self.spans: list[Span] = protected_spans(text)
        markers = [
            _OPEN + str(index).translate(_TO_MARKER_DIGITS) + _CLOSE
            for index in range(len(self.spans))
        ]
        parts: list[str] = []
        position = 0
        for marker, span in zip(markers, self.spans, strict=True):
            parts.append(text[position : span.start])
            parts.append(marker)
            position = span.end
        parts.append(text[position:])
        self.masked = "".join(parts)
        self._texts = {marker: span.text for marker, span in zip(markers, self.spans, strict=True)}

    def unmask(self, masked: str) -> str:
        """Put the original spans back in place of their markers."""
        if not self.spans or _OPEN not in masked:
            return masked
        texts = self._texts
        return MARKER.sub(lambda m: texts[m.group(0)], masked)
