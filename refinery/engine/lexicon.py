"""Word lists the engine and its checks share: what must never be dropped."""

from __future__ import annotations

import re

import regex

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

# Words the low-information pass keeps although they are frequent: quantifiers, logic,
# comparison, order, modal verbs and pronouns that tell who does what.
KEEP_WORDS = NEGATION_MODALITY | frozenset(
    [
        "all",
        "any",
        "each",
        "every",
        "both",
        "either",
        "some",
        "most",
        "more",
        "less",
        "least",
        "few",
        "many",
        "much",
        "several",
        "if",
        "then",
        "else",
        "or",
        "but",
        "than",
        "because",
        "so",
        "while",
        "until",
        "before",
        "after",
        "first",
        "last",
        "next",
        "once",
        "same",
        "other",
        "another",
        "also",
        "too",
        "same",
        "different",
        "between",
        "against",
        "during",
        "over",
        "under",
        "up",
        "down",
        "out",
        "off",
        "above",
        "below",
        "again",
        "can",
        "could",
        "will",
        "would",
        "need",
        "needs",
        "needed",
        "i",
        "me",
        "my",
        "mine",
        "you",
        "your",
        "yours",
        "we",
        "us",
        "our",
        "they",
        "them",
        "their",
        "he",
        "she",
        "him",
        "her",
        "his",
        "it",
        "its",
        "who",
        "whom",
        "whose",
        "what",
        "which",
        "when",
        "where",
        "why",
        "how",
        "whether",
        "one",
        "two",
        "three",
        "four",
        "five",
        "six",
        "seven",
        "eight",
        "nine",
        "ten",
        "hundred",
        "thousand",
        "million",
        "yes",
        "ok",
        "new",
        "old",
        "own",
    ]
)

_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "ʼ": "'"})
WORD = regex.compile(r"\p{L}[\p{L}\p{M}'’]*")


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
