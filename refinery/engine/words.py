"""The word pass of the high level: articles and bare copulas go, with a table of exceptions.

High is telegraphic: "Return the answer as a table" -> "Return answer as table". Only words
whose loss an expert reader would not notice are candidates; relation words, modals,
pronouns, negations and quantifiers never are (see docs/STRATEGIES.md). Each exception in
KEEPS is a context where a candidate carries meaning, with an example that is a test.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import regex

from refinery.engine.edit import CAP, edit_lines, sentence_initial
from refinery.engine.lines import Line
from refinery.engine.removals import Removals

ARTICLES = frozenset({"the", "a", "an"})
# Present-tense copulas: they carry no tense beyond the present and no modality.
COPULAS = frozenset({"is", "are"})
_CANDIDATES = regex.compile(r"(?<![\p{L}\p{N}])(?:the|an?|is|are)(?![\p{L}\p{N}])", regex.I)
_REASONS = {word: "article" for word in ARTICLES} | {word: "copula" for word in COPULAS}

# Characters that make a word part of a compound, an identifier or emphasis when they touch it.
_GLUE = set("-/_@'’&+=<>\\*~`|") | {"\ue000", "\ue001"}


def _after(pattern: str) -> Callable[[str, int, int], bool]:
    """A context test: what follows the word matches `pattern`."""
    compiled = regex.compile(pattern, regex.I)
    return lambda text, start, end: compiled.match(text, end) is not None


def previous_word(text: str, start: int) -> str:
    """The word right before `start`, across spaces and tabs only, lower-cased ("" if none)."""
    end = start
    while end > 0 and text[end - 1] in " \t":
        end -= 1
    begin = end
    while begin > 0 and (text[begin - 1].isalpha() or text[begin - 1] in "'’"):
        begin -= 1
    return text[begin:end].lower() if end < start else ""


def _before(words: str) -> Callable[[str, int, int], bool]:
    """A context test: the word before this one is one of `words` ("a|b|c")."""
    wanted = frozenset(words.split("|"))
    return lambda text, start, end: previous_word(text, start) in wanted


_END = r"[ \t]*(?:[.!?;:,)\]\n\"”]|$)"
_PREPOSITIONS = (
    "about|above|across|after|against|along|among|around|as|at|before|behind|below|beneath|"
    "beside|between|beyond|by|despite|during|except|for|from|in|inside|into|like|near|of|off|"
    "on|onto|out|outside|over|past|per|since|than|through|throughout|to|toward|towards|under|"
    "until|up|upon|via|with|within|without"
)
_PRONOUNS = "i|you|we|they|he|she|it|this|that|these|those|there|here|who|which|what"
_PARTICIPLE = (
    r"[ \t]+(?:(?!\p{L}*eed\b)\p{L}{2,}ed|given|written|known|shown|taken|made|done|seen|found|"
    r"built|sent|kept|set|put|told|paid|held|brought|bought|chosen|spoken|broken|driven|"
    r"forgotten|hidden|understood|meant)(?![\p{L}'’])"
)


# A number (masked by the engine) or a frequency right before "a": a rate, not an article.
_NUMBER_BEFORE = regex.compile(r"\ue001[ \t]*$")
_RATE_WORDS = frozenset(
    {"once", "twice", "thrice", "times", "one", "two", "three", "four", "five", "ten", "per"}
)


@dataclass(frozen=True, slots=True)
class Keep:
    """A context in which the high word pass keeps a candidate, and an example that shows it."""

    words: frozenset[str]
    test: Callable[[str, int, int], bool]
    why: str
    example: str
    kept: str  # the words of `example` that must survive at high, in order


KEEPS: tuple[Keep, ...] = (
    Keep(
        ARTICLES | COPULAS,
        _after(_END),
        "a clause's last word carries it",
        "Tell me what the problem is.",
        "problem is.",
    ),
    Keep(
        ARTICLES,
        _after(
            r"[ \t]+(?:few|little|lot|lots|bit|couple|number|dozen|handful|single|total|"
            r"maximum|minimum|max|min|great|good|whole|half)\b"
        ),
        "part of a quantity: 'a few' is not 'few'",
        "Give a few examples and keep a little humor.",
        "a few examples and keep a little humor",
    ),
    Keep(
        frozenset({"a", "an"}),
        lambda text, start, end: (
            _after(r"[ \t]+piece\b")(text, start, end)
            or _NUMBER_BEFORE.search(text, max(0, start - 12), start) is not None
            or previous_word(text, start) in _RATE_WORDS
        ),
        "a rate: 'twice a day', '$5 a month', 'one slide a piece'",
        "Post twice a day, spend $5 a month and write one bullet a piece.",
        "twice a day, spend $5 a month and write one bullet a piece",
    ),
    Keep(
        frozenset({"a", "an"}),
        _before(_PREPOSITIONS),
        "after a relation word the article says how many or which one ('at a time')",
        "Send no more than 3 sentences at a time, to a child and to an expert.",
        "at a time, to a child and to an expert",
    ),
    Keep(
        frozenset({"a", "an"}),
        _after(
            r"[ \t]+(?:be|is|are|was|were|to|of|in|on|for|with|by|from|the|if|then|when|"
            r"will|can|must|should|has|have|does|do)\b"
        ),
        "a letter, not an article: 'let a be', 'type the letter a to accept'",
        "Let a be the first number and type a to accept.",
        "Let a be first number and type a to accept.",
    ),
    Keep(
        ARTICLES,
        _after(r"[ \t]+(?:and|or|nor|but)\b|[ \t]*,"),
        "a letter or an item of a series: 'option a and option b'",
        "Choose between option a or option b.",
        "option a or option b",
    ),
    Keep(
        frozenset({"the"}),
        _after(r"[ \t]+only\b"),
        "'the only format' is not 'only format': the scope of 'only' would move",
        "The only output format should be Markdown.",
        "The only output format",
    ),
    Keep(
        ARTICLES,
        _after(r"[ \t]+(?:more|less|fewer|better|worse|sooner|later|longer|shorter)\b"),
        "'the more, the better' compares",
        "The more detail, the better.",
        "The more detail, the better.",
    ),
    Keep(
        ARTICLES,
        _before("all|both|half|such|what|quite|many|rather"),
        "part of a determiner phrase: 'such a', 'what a', 'half the'",
        "Write such a story that half the class laughs.",
        "such a story that half the class",
    ),
    Keep(
        COPULAS,
        lambda text, start, end: not _after(_PARTICIPLE)(text, start, end),
        "only a copula before a participle is bare ('is stored' -> 'stored'); before a noun "
        "or an adjective it says what something is",
        "Python is a language. The list is empty.",
        "Python is language. List is empty.",
    ),
    Keep(
        COPULAS,
        _before(f"{_PRONOUNS}|not|never|also|still|always|only"),
        "after its subject pronoun or a wh-word: 'what is', 'you are'",
        "Say what is expected and where it is stored.",
        "what is expected and where it is stored",
    ),
    Keep(
        COPULAS,
        _after(r"[ \t]+(?:not|never|no|to|being|there|also|only)\b"),
        "before a negation or an obligation: 'is not', 'are to'",
        "The report is not finished and the files are to be deleted.",
        "is not finished and files are to be deleted",
    ),
)
KEEPS_BY_WORD: dict[str, tuple[Keep, ...]] = {
    word: tuple(keep for keep in KEEPS if word in keep.words) for word in ARTICLES | COPULAS
}


def drop_light_words(lines: list[Line], removals: Removals) -> None:
    """Drop articles and bare copulas where no KEEPS context holds them."""

    def edit(text: str, removals: Removals) -> str:
        """Remove the light words of the lines (joined by newlines)."""
        out: list[str] = []
        position = 0
        for match in _CANDIDATES.finditer(text):
            start, end = match.span()
            word = match.group(0)
            lower = word.lower()
            before = text[start - 1] if start else " "
            after = text[end] if end < len(text) else " "
            if before in _GLUE or after in _GLUE:
                continue
            initial = sentence_initial(text, start)
            if word[0].isupper() and not initial:
                continue  # part of a name or defined term ("The Hague", "Plan A")
            if initial and lower in COPULAS:
                continue  # "Is it valid?": a question
            keeps = KEEPS_BY_WORD.get(lower)
            if keeps is None:
                continue  # matched only by case folding ("iſ"): not the listed word
            if any(keep.test(text, start, end) for keep in keeps):
                continue
            removals.add(word, _REASONS[lower])
            out.append(text[position:start])
            if initial:
                out.append(CAP)
            position = end
        out.append(text[position:])
        return "".join(out)

    edit_lines(lines, edit, removals)
