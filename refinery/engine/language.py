"""A cheap test of whether the English rules apply to a piece of text."""

from __future__ import annotations

import re

_WORD = re.compile(r"[^\W\d_]+")
# Scripts the English rules can never apply to: Greek, Cyrillic, Hebrew, Arabic, Indic,
# Thai, Hangul, kana and CJK ideographs.
_OTHER_SCRIPT = re.compile(
    "[\u0370-\u03ff\u0400-\u052f\u0590-\u08ff\u0900-\u0dff\u0e00-\u0fff\u1100-\u11ff"
    "\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\uf900-\ufaff]"
)
_ENGLISH = frozenset(
    [
        "the",
        "a",
        "an",
        "and",
        "or",
        "to",
        "of",
        "in",
        "on",
        "for",
        "with",
        "is",
        "are",
        "be",
        "you",
        "your",
        "i",
        "me",
        "my",
        "it",
        "this",
        "that",
        "as",
        "at",
        "by",
        "from",
        "will",
        "not",
        "do",
        "can",
        "should",
        "please",
        "what",
        "how",
        "if",
        "all",
        "any",
        "have",
        "has",
        "we",
        "our",
        "they",
        "their",
        "when",
        "which",
        "each",
        "every",
        "must",
        "only",
        "never",
        "use",
        "write",
        "act",
        "reply",
        "provide",
        "create",
    ]
)
# Function words of the other languages prompts are most often written in; a word that is
# also common English ("a", "in", "no", "die", "am", "of") is left out.
_OTHER = frozenset(
    [
        "el",
        "la",
        "los",
        "las",
        "del",
        "que",
        "y",
        "en",
        "un",
        "una",
        "por",
        "con",
        "para",
        "es",
        "se",
        "lo",
        "como",
        "pero",
        "más",
        "su",
        "sus",
        "al",
        "este",
        "esta",
        "der",
        "das",
        "und",
        "ist",
        "nicht",
        "ein",
        "eine",
        "zu",
        "mit",
        "für",
        "von",
        "den",
        "dem",
        "sie",
        "ich",
        "sich",
        "auf",
        "auch",
        "wie",
        "oder",
        "wird",
        "le",
        "les",
        "des",
        "et",
        "est",
        "une",
        "pour",
        "dans",
        "qui",
        "pas",
        "vous",
        "avec",
        "sur",
        "ce",
        "sont",
        "aux",
        "du",
        "leur",
        "nous",
        "il",
        "di",
        "che",
        "per",
        "non",
        "sono",
        "della",
        "gli",
        "delle",
        "uma",
        "com",
        "não",
        "para",
        "os",
        "dos",
        "ao",
        "mais",
        "de",
        "het",
        "een",
        "en",
        "van",
        "dat",
        "niet",
        "zijn",
        "voor",
        "ik",
        "je",
    ]
)


def votes(text: str) -> tuple[int, int, int, int]:
    """Count English function words, other languages' ones, letters, other-script letters."""
    words = _WORD.findall(text.lower())
    english = other = letters = 0
    for word in words:
        letters += len(word)
        if word in _ENGLISH:
            english += 1
        elif word in _OTHER:
            other += 1
    foreign = 0 if text.isascii() else len(_OTHER_SCRIPT.findall(text))
    return english, other, letters, foreign


def is_english(text: str, default: bool = True) -> bool:
    """Say whether `text` reads as English; with no evidence either way return `default`."""
    return verdict(votes(text), default)


def verdict(counts: tuple[int, int, int, int], default: bool) -> bool:
    """Turn votes into a decision: another script or more foreign function words says no."""
    english, other, letters, foreign = counts
    if letters and foreign > 0.4 * letters:
        return False
    if other >= 2 and other > english:
        return False
    if english == 0 and other == 0:
        return default
    return other <= english or default
