"""Word lists the engine and its checks share: what must never be dropped."""

from __future__ import annotations

import re

# Negation and modality: dropping any of these can invert or weaken an instruction, so
# the engine never removes them and `checks.find_losses` reports any that go missing.
NEGATION_MODALITY = frozenset(
    [
        "not",
        "no",
        "never",
        "nor",
        "neither",
        "none",
        "nothing",
        "nobody",
        "nowhere",
        "cannot",
        "can't",
        "don't",
        "doesn't",
        "didn't",
        "won't",
        "wouldn't",
        "shouldn't",
        "mustn't",
        "isn't",
        "aren't",
        "wasn't",
        "weren't",
        "haven't",
        "hasn't",
        "hadn't",
        "couldn't",
        "needn't",
        "mightn't",
        "shan't",
        "ain't",
        "must",
        "shall",
        "should",
        "may",
        "might",
        "only",
        "always",
        "unless",
        "except",
        "without",
    ]
)

_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "ʼ": "'"})


# Every negation/modality word is ASCII, so an ASCII scan finds them all, fast; letters
# around a match are checked so "piñon" does not yield "on" or "no".
_ASCII_WORD = re.compile(r"(?<![^\W\d_])[a-z]+(?:'[a-z]+)?(?![^\W\d_])")


def meaning_words(text: str) -> set[str]:
    """Return the negation and modality words of `text`, lower-cased, apostrophes unified."""
    text = text.lower()
    if "’" in text or "ʼ" in text:
        text = text.translate(_APOSTROPHES)
    words = set(_ASCII_WORD.findall(text))
    return {w for w in words if w in NEGATION_MODALITY or w.endswith("n't")}
