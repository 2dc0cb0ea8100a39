"""The edits of each level, applied to the editable lines of a masked prompt."""

from __future__ import annotations

import re
from functools import cache

import regex

from refinery.engine import information
from refinery.engine.lexicon import KEEP_WORDS, WORD
from refinery.engine.lines import EDITABLE, Line
from refinery.engine.removals import Removals
from refinery.engine.rules import HIGH, LOW, MEDIUM, rules_for

# Where a removal at the start of a sentence needs the next word capitalized.
_CAP = "\ue002"
# Applied to the changed lines joined by newlines, so every pattern stays within a line.
# The standard library's re: for these plain patterns it is about twice as fast as regex.
_TIDY = (
    # (needle that must be present for the pattern to matter, pattern, replacement)
    (_CAP, re.compile(r"\ue002[ \t]+"), _CAP),
    ("  ", re.compile(r"[ \t]{2,}"), " "),
    ("", re.compile(r"(?<=\S)[ \t]+(?=[,.;:!?](?:\s|$))", re.M), ""),
    ("", re.compile(r"(?<=[.!?:])[ \t]*[,;](?=[ \t]|$)", re.M), ""),
    (",", re.compile(r",[ \t]*(?=[,.;:!?])"), ""),
    ("(", re.compile(r"\([ \t]*\)"), ""),
    ("", re.compile(r"^[ \t]*[,;][ \t]*", re.M), ""),
    ("", re.compile(r"^[ \t]+", re.M), ""),
)
_HAS_WORD = regex.compile(r"[\p{L}\p{N}\ue000]")
# The next word's first letter, past opening quotes and brackets only: after a removal,
# "14 years of experience" must not become "14 years Experience".
_CAPITALIZE = regex.compile(r"\ue002([ \t\"'“‘(\[*_]*)(\p{Ll})")

# Closed-class words the word pass may drop when they carry little information. Medium
# drops the lightest (articles, copulas, common prepositions: under MEDIUM_MAX_BITS);
# high goes telegraphic: a wider class (pronouns, auxiliaries, "and") under HIGH_MAX_BITS.
# Negation, modality, quantifiers and logic words (lexicon.KEEP_WORDS) are never candidates.
_MEDIUM_WORDS = frozenset(
    [
        "the",
        "a",
        "an",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "am",
        "that",
        "this",
        "these",
        "those",
        "there",
        "of",
        "in",
        "on",
        "at",
        "by",
        "for",
        "with",
        "from",
        "to",
        "into",
        "onto",
        "about",
        "just",
        "so",
        "such",
        "really",
        "also",
    ]
)
_HIGH_WORDS = _MEDIUM_WORDS | frozenset(
    # "I", "me", "my" and question words stay: they say who does what ("I paste a diff").
    {"and", "you", "your", "yours", "they", "them", "their", "it", "its", "he", "she", "his"}
    | {"her", "him", "will", "would", "could", "do", "does", "did", "have", "has", "had"}
)
_LEGAL_WORDS = frozenset({"just", "really", "so"})
information.register(_HIGH_WORDS | _LEGAL_WORDS)
MEDIUM_MAX_BITS = 9.0
HIGH_MAX_BITS = 12.0
# Pronouns and auxiliaries stop being removable when they are the only subject left.
_LEVEL_WORDS = {MEDIUM: _MEDIUM_WORDS, HIGH: _HIGH_WORDS}
_KEEP_AT = {MEDIUM: KEEP_WORDS, HIGH: KEEP_WORDS - _HIGH_WORDS}
_MAX_BITS = {MEDIUM: MEDIUM_MAX_BITS, HIGH: HIGH_MAX_BITS}


@cache
def _light_words(level: str, legal: bool) -> tuple[regex.Pattern, dict[str, str]]:
    """The level's droppable words under its threshold: a finder and each word's reason.

    Scored once (wordfreq is read on first use), so the pass itself never looks a word up.
    """
    words = _LEGAL_WORDS if legal else _LEVEL_WORDS[level] - _KEEP_AT[level]
    reasons = {}
    for word in sorted(words):
        score = information.bits(word)
        # Medium has judged its own words with their context whole; at high that context
        # may be gone ("to justify the plan" -> "to justify plan"), so high leaves them be,
        # except the copulas medium keeps after a subject ("you are a reviewer").
        judged = level == HIGH and word in _MEDIUM_WORDS and score < MEDIUM_MAX_BITS
        if score < _MAX_BITS[level] and not (judged and word not in _COPULAS):
            reasons[word] = f"low-information word ({score:.1f} bits)"
    finder = regex.compile(r"(?<![\p{L}])\L<words>(?![\p{L}])", regex.I, words=list(reasons))
    return finder, reasons


# Word edges that mean a word is part of a compound or an identifier, never dropped alone.
_GLUE = set("-/_@'’&+=<>\\*~`") | {"\ue000", "\ue001"}

_SHOUTED = regex.compile(
    r"\b(?:IMPORTANT|CRITICAL|CRUCIAL|ESSENTIAL|MANDATORY|REQUIRED|NEVER|ALWAYS|MUST|ONLY|"
    r"DO|DON'T|NOT|NO|ALL|ANY|EVERY|ENSURE|REMEMBER|NOTE|WARNING|STRICTLY|ABSOLUTELY)\b"
)
_EMPHASIS = regex.compile(r"(\*\*|__)(?=\S)([^\n]*?\S)\1")
_WORD_COMMA = regex.compile(r"(?<=\p{L}),(?=[ \t]+\p{L})")
# A comma that closes a clause holding a negation or a limit bounds its scope ("Do not
# explain, just answer"), and one before a contrast or condition opens a new scope
# ("..., unless asked"): those stay. Every other comma between two words goes.
_SCOPED_CLAUSE = regex.compile(
    r"(?i)(?<![\p{L}'’])(?:not|no|never|nor|none|nothing|cannot|without|only|except|unless|"
    r"at[ \t]+(?:most|least)|up[ \t]+to)(?![\p{L}'’])|n['’]t(?![\p{L}])"
)
_SCOPE_AFTER = regex.compile(
    r"[ \t]+(?:but|unless|except|although|though|whereas|while|because|if|or|otherwise|not|"
    r"never|only)\b",
    regex.I,
)
_CLAUSE_START = regex.compile(r"[.!?;:,\n(][^.!?;:,\n(]*$")
_CLAUSE_AFTER = regex.compile(r"(?:(?![ \t]+(?:and|or)[ \t])[^.!?;:,\n()])*", regex.I)
_LIST_WORD = regex.compile(r"[\p{L}\p{N}\ue000]+")
# A serial comma before "and"/"or" ("a, b, and c": see _serial_comma) and the comma after a
# sequence word opening a sentence: neither changes what is asked (LEGAL keeps them: in
# contracts commas can carry scope).
_OPTIONAL_COMMA = regex.compile(
    r"(?P<serial>,)(?=[ \t]+(?:and|or)[ \t])"
    r"|(?<=(?:^|[.!?:][ \t]+|\n)(?:Finally|Then|Next|First|Second|"
    r"Third|Lastly|Also|Instead|Overall|Ideally|Importantly|Then|Now|Afterwards|Later))(?:,)",
    regex.M,
)
_PICTOGRAPH = "\U0001f000-\U0001faff\u2600-\u27bf\u2b50\u2b55"
_EMOJI = regex.compile(rf"[ \t]?[{_PICTOGRAPH}](?:[\ufe0f\u200d]|[{_PICTOGRAPH}])*")
_STEP = regex.compile(
    r"(?m)^(?:step)[ \t]+(\ue000[\ue010-\ue019]+\ue001)[ \t]*[:.)-][ \t]*", regex.I
)
_SENTENCE = regex.compile(r"(?<=[.!?])[ \t]+(?=\S)")
_KEY_WORD = regex.compile(r"\w+")


_OPENERS_BEFORE = frozenset(" \t\"'“(")
_ENDS = frozenset(".!?\n\ue002")


def _sentence_initial(text: str, position: int) -> bool:
    """Say whether `position` starts a sentence (or a line)."""
    index = position - 1
    while index >= 0 and text[index] in _OPENERS_BEFORE:
        index -= 1
    return index < 0 or text[index] in _ENDS


def _tidy(line: str) -> str:
    """Repair spacing, punctuation and capitals around removals."""
    for needle, pattern, replacement in _TIDY:
        if needle in line:
            line = pattern.sub(replacement, line)
    if _CAP not in line:
        return line
    line = _CAPITALIZE.sub(lambda m: m.group(1) + m.group(2).upper(), line)
    return line.replace(_CAP, "")


def _edit(lines: list[Line], edit, removals: Removals) -> None:
    """Run `edit(text, removals)` once over the editable English lines joined by newlines.

    One call per stage instead of one per line: rules never cross a newline, and the
    per-call overhead is what dominates on short lines. Changed lines are tidied; a line
    whose edit is refused keeps its text, and only the kept edits are reported.
    """
    targets = [line for line in lines if line.kind in EDITABLE and line.english and line.content]
    if not targets:
        return
    before = [line.content for line in targets]
    found = Removals()
    after = edit("\n".join(before), found).split("\n")
    changed = [i for i, (old, new) in enumerate(zip(before, after, strict=True)) if old != new]
    if not changed:
        return
    tidied = _tidy("\n".join(after[i] for i in changed)).split("\n")
    # A list item keeps its text: an empty bullet would change the structure. A line
    # left with punctuation only ("You will:" -> ":") keeps its words: it was a label.
    kept = [
        (i, new)
        for i, new in zip(changed, tidied, strict=True)
        if (new.strip() or targets[i].kind != "item") and (not new.strip() or _HAS_WORD.search(new))
    ]
    if len(kept) == len(changed):
        removals.extend(found)
    elif kept:
        # Rules never cross a newline: the kept lines alone give the same edits.
        edit("\n".join(before[i] for i, _ in kept), removals)
    for i, new in kept:
        targets[i].content = new


@cache
def _dispatch(level: str, strategy: str):
    """Index a stage's rules by the words a match can start with.

    Trying ~100 alternatives at every position is slow; instead each word of the line is
    looked up, and only the rules that can start with it are tried there.
    """
    rules = rules_for(level, strategy)
    vocabulary = {w for rule in rules for w in regex.findall(r"[a-z]+", rule.pattern.pattern)}
    by_word: dict[str, list[int]] = {}
    for index, rule in enumerate(rules):
        for word in vocabulary:
            if rule.pattern.match(word + " ", partial=True) or rule.pattern.match(word + ","):
                by_word.setdefault(word, []).append(index)
    compiled = {
        word: regex.compile(
            "|".join(f"(?P<r{i}>{rules[i].pattern.pattern})" for i in indexes), regex.IGNORECASE
        )
        for word, indexes in by_word.items()
    }
    # A named list compiles to a set lookup: one fast scan finds every word a rule can start with.
    triggers = regex.compile(
        r"(?<![\p{L}'’])\L<words>(?![\p{L}])", regex.IGNORECASE, words=sorted(compiled)
    )
    # On lower-cased text as long as the original, the standard re's alternation finds the
    # same words (whole runs of a-z) about twice as fast as visiting every run of a-z.
    ascii_triggers = re.compile(
        r"(?<![a-z])(?:" + "|".join(sorted(compiled, key=len, reverse=True)) + r")(?![a-z])"
    )
    return triggers, ascii_triggers, compiled, rules


def apply_phrase_rules(lines: list[Line], level: str, strategy: str, removals: Removals) -> None:
    """Remove or shorten the stage's phrases, keeping capitals at sentence starts."""
    triggers, ascii_triggers, by_word, rules = _dispatch(level, strategy)
    if not by_word:
        return

    def edit(text: str, removals: Removals) -> str:
        """Rewrite one line."""
        out: list[str] = []
        position = 0
        lowered = text.lower()
        same_length = len(lowered) == len(text)
        words = ascii_triggers.finditer(lowered) if same_length else triggers.finditer(text)
        for word in words:
            candidates = by_word.get(word.group(0).lower())
            if candidates is None or word.start() < position:
                continue
            match = candidates.match(text, word.start())
            if match is None:
                continue
            rule = rules[int(match.lastgroup[1:])]
            replacement = rule.replacement
            if "\\" in replacement:
                replacement = rule.pattern.match(text, match.start()).expand(replacement)
            out.append(text[position : match.start()])
            tail = "".join(out[-3:])[-8:]
            initial = _sentence_initial(tail, len(tail))
            if replacement:
                first = replacement[0].upper() if initial else replacement[0].lower()
                if replacement != "I" and not replacement.startswith("I "):
                    replacement = first + replacement[1:]
                removals.add(match.group(0), f"{rule.reason} → {replacement!r}")
            else:
                end = match.end()
                # "Basically, do x": the comma that set the word off goes with it.
                if text[end : end + 1] == "," and not match.group(0).endswith(","):
                    end += 1
                removals.add(text[match.start() : end], rule.reason)
                if initial or match.group(0)[:1].isupper():
                    replacement = _CAP
                out.append(replacement)
                position = end
                continue
            out.append(replacement)
            position = match.end()
        out.append(text[position:])
        return "".join(out)

    _edit(lines, edit, removals)


def drop_repeated_sentences(lines: list[Line], removals: Removals, unmask) -> None:
    """Remove a sentence said before word for word, keeping its last occurrence."""
    last_seen: dict[str, tuple[int, int]] = {}
    sentences: list[list[tuple[str, str]]] = []
    for line_index, line in enumerate(lines):
        parts = _SENTENCE.split(line.content) if line.kind == "paragraph" and line.english else []
        keyed = []
        for part_index, part in enumerate(parts):
            words = _KEY_WORD.findall(unmask(part).lower())
            key = " ".join(words)
            keyed.append((part, key))
            if len(words) >= 4:
                last_seen[key] = (line_index, part_index)
        sentences.append(keyed)
    if not last_seen:
        return
    for line_index, parts in enumerate(sentences):
        kept = []
        for part_index, (part, key) in enumerate(parts):
            if key in last_seen and last_seen[key] != (line_index, part_index):
                removals.add(part, "repeated sentence")
            else:
                kept.append(part)
        if len(kept) != len(parts):
            lines[line_index].content = " ".join(kept)


def apply_strategy_edits(lines: list[Line], level: str, strategy: str, removals: Removals) -> None:
    """Edits that belong to one model family's way of reading prompts."""
    if level == LOW and strategy == "GPT":

        def step_to_item(text: str, removals: Removals) -> str:
            """'Step 1: do x' -> '1. do x', a markdown list item GPT reads as a sequence."""

            def item(match: regex.Match) -> str:
                """Report and rewrite one step label."""
                removals.add(match.group(0), f"step label → markdown item '{match.group(1)}.'")
                return f"{match.group(1)}. "

            return _STEP.sub(item, text)

        _edit(lines, step_to_item, removals)
    if level == LOW and strategy != "LEGAL":

        def light_punctuation(text: str, removals: Removals) -> str:
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

        _edit(lines, light_punctuation, removals)
    if level == LOW and strategy in {"UNIVERSAL", "CLAUDE", "DEEPSEEK"}:

        def plain(text: str, removals: Removals) -> str:
            """Drop bold/underline emphasis markers; the words stay."""
            for match in _EMPHASIS.finditer(text):
                removals.add(match.group(1) * 2, "emphasis markers")
            return _EMPHASIS.sub(r"\2", text)

        _edit(lines, plain, removals)
    if level == MEDIUM and strategy == "CLAUDE":

        def calm(text: str, removals: Removals) -> str:
            """Lower-case shouted instructions: recent Claude models over-apply them."""
            for match in _SHOUTED.finditer(text):
                removals.add(match.group(0), f"shouting → {match.group(0).lower()!r}")
            return _SHOUTED.sub(
                lambda m: (str.capitalize if _sentence_initial(text, m.start()) else str.lower)(
                    m.group(0)
                ),
                text,
            )

        _edit(lines, calm, removals)


def drop_commas(text: str, removals: Removals) -> str:
    """Drop commas between clauses, except those that bound a negation's or a condition's scope.

    A comma with fewer than three words on either side, up to the next punctuation (or, after
    it, the next "and"/"or"), separates list items or arguments and stays.
    """
    out: list[str] = []
    position = 0
    dropped = 0
    for match in _WORD_COMMA.finditer(text):
        start = match.start()
        opening = _CLAUSE_START.search(text, max(0, start - 200), start)
        clause = text[opening.start() + 1 if opening else max(0, start - 200) : start]
        if _SCOPED_CLAUSE.search(clause) or _SCOPE_AFTER.match(text, match.end()):
            continue
        following = _CLAUSE_AFTER.match(text, match.end()).group(0)
        if len(_LIST_WORD.findall(clause)) < 3 or len(_LIST_WORD.findall(following)) < 3:
            continue  # "id, name, email", "f(a, b)": the comma separates items
        if _in_series(text, start, match.end()):
            continue  # "create material for talks, practise delivery and work on posture"
        out.append(text[position:start])
        position = match.end()
        dropped += 1
    if not dropped:
        return text
    removals.add(",", "comma between words", dropped)
    out.append(text[position:])
    return "".join(out)


_SENTENCE_AFTER = regex.compile(r"[^.!?;:\n]*")
_REACH = 300  # how far a sentence is looked at around a comma: long text stays linear
_SERIES_END = regex.compile(r"[ \t](?:and|or)[ \t]", regex.I)


def _in_series(text: str, start: int, end: int) -> bool:
    """Say whether the comma at [start, end) separates items of a series, however long.

    A sentence with another comma, or an "and"/"or" after this one, lists things: without
    the comma, two items would read as one ("material for presentation practice delivery").
    """
    after = _SENTENCE_AFTER.match(text, end, end + _REACH).group(0)
    if _previous_comma(text, start) >= 0 or "," in after:
        return True
    return _SERIES_END.search(after) is not None


def _previous_comma(text: str, start: int) -> int:
    """The index of the comma before `start` in its sentence (within _REACH), or -1."""
    floor = max(0, start - _REACH)
    opening = max(text.rfind(mark, floor, start) for mark in ".!?;:\n")
    return text.rfind(",", max(opening + 1, floor), start)


_SUBORDINATE = regex.compile(
    r"[ \t]*(?:which|who|whom|whose|where|when|while|unless|if|although|though|because|since)\b",
    regex.I,
)


def _serial_comma(text: str, start: int) -> bool:
    """Say whether the comma at `start`, before "and"/"or", ends a plain series ("a, b, and c").

    A lone comma ("list 5 bugs, and explain each") separates two actions, and at high it is
    what still separates them; one closing an aside ("the files, which are temporary, and")
    or a negation ("Python, not Java, and explain why") bounds its scope.
    """
    previous = _previous_comma(text, start)
    if previous < 0:
        return False
    item = text[previous + 1 : start]
    return not (_SCOPED_CLAUSE.search(item) or _SUBORDINATE.match(item))


def drop_low_information_words(
    lines: list[Line], level: str, strategy: str, removals: Removals
) -> None:
    """Drop the level's closed-class words whose self-information is below its threshold."""
    finder, reasons = _light_words(level, strategy == "LEGAL")

    def edit(text: str, removals: Removals) -> str:
        """Remove the low-information words of one line."""
        out: list[str] = []
        position = 0
        for match in finder.finditer(text):
            word = match.group(0)
            lower = word.lower()
            reason = reasons.get(lower)
            if reason is None:
                continue  # matched only by case folding ("iſ"): not the listed word
            before = text[match.start() - 1] if match.start() else " "
            after = text[match.end()] if match.end() < len(text) else " "
            if before in _GLUE or after in _GLUE or before.isalnum() or after.isalnum():
                continue
            if _carries_its_phrase(text, match.start(), match.end(), lower, level):
                continue
            initial = _sentence_initial(text, match.start())
            if initial and (lower in _AUXILIARIES or lower == "to"):
                continue  # "Do this", "Be brief": the verb; "To plan my trip, ...": a purpose
            if word[0].isupper() and not initial:
                continue  # part of a name or defined term ("The Hague", "This Agreement")
            removals.add(word, reason)
            out.append(text[position : match.start()])
            if initial:
                out.append(_CAP)
            position = match.end()
        out.append(text[position:])
        return "".join(out)

    _edit(lines, edit, removals)


def _just_before(words: str) -> regex.Pattern:
    """A pattern for one of `words` (alternatives) and the space before the current word."""
    return regex.compile(rf"(?i)\b(?:{words})[ \t]+$")


def _next(words: str) -> regex.Pattern:
    """A pattern for the space after the current word and one of `words` (alternatives)."""
    return regex.compile(rf"(?i)[ \t]+(?:{words})\b")


_COPULAS = frozenset({"is", "are", "am", "was", "were", "be"})
_DO = frozenset({"do", "does", "did"})
_HAVE = frozenset({"have", "has", "had"})
_TO_AFTER = _next("to")
_OBLIGATION_BEFORE = regex.compile(
    r"(?i)(?<![\p{L}])(?:have|has|had|need|needs|needed|ought|got)[ \t]+$"
)
_PRONOUNS = frozenset({"you", "they", "it", "he", "she", "them", "him", "her", "this", "that"})
_END = r"[ \t]*(?:[.!?;:,)\]\n]|$)"  # the end of a clause
_CLAUSE_END = regex.compile(_END)
_LAST_WORD_AFTER = regex.compile(r"[ \t]+[\p{L}'’]+" + _END)
_MODALS = "should|must|shall|may|might|can|could|would|will"
_MODAL_BEFORE = _just_before(f"{_MODALS}|cannot|not|never|to")
_OBJECTS = "me|you|him|her|us|them|it"
_OBJECT_AFTER = _next(_OBJECTS)
_RELATIVE_BEFORE = _just_before("that|which|who")
_COPULA_BEFORE = _just_before("is|are|was|were|be|been|being|am|not|never")
# "Ensure that the output...", "that you": "that" opens a clause whose subject follows.
_CLAUSE_SUBJECT_AFTER = _next(
    "the|a|an|i|you|we|they|he|she|it|this|these|those|there|my|your|our|their|"
    "his|its|each|every|all|any|no|some"
)
# "based on", "according to", "instead of": the preposition is half of a fixed phrase.
_COLLOCATION_BEFORE = _just_before(
    "based|according|depending|instead|regardless|due|compared|relative|opposed|"
    "apart|aside|ahead|similar|related|responsible"
)
_BARE_VERB_AFTER = _next("be|have|do")
# "3 months from now", "start from scratch": without the preposition the time or place changes.
_DEICTIC_AFTER = _next("now|today|tomorrow|yesterday|here|there|scratch")
_INFINITIVE_BEFORE = _just_before(
    f"{_OBJECTS}|how|what|where|when|whether|which|who|whom|want|wants|like"
)
_VERB_WITH_OBJECT_AFTER = regex.compile(
    rf"(?i)[ \t]+[\p{{L}}]+[ \t]+(?:{_OBJECTS}|the|a|an|my|your|his|its|our|their|this|these)\b"
)
_AUXILIARY_BEFORE = regex.compile(
    rf"(?i)(?<![\p{{L}}])(?:do|does|did|is|are|was|were|have|has|had|{_MODALS})[ \t]+$"
)
_PREPOSITIONS = frozenset(
    {"by", "to", "in", "on", "for", "of", "with", "from", "at", "into", "onto", "about", "and"}
)
_PREPOSITION_BEFORE = _just_before("|".join(sorted(_PREPOSITIONS - {"and"})))
_PREPOSITION_AFTER = _next("|".join(sorted(_PREPOSITIONS - {"and"})))
_AND_OR_AFTER = _next("and|or")
_AND_OR_BEFORE = _just_before("and|or")
_BETWEEN_BEFORE = regex.compile(r"(?i)\bbetween\b[^.!?;:,\n]*$")
_SPAN_AFTER = regex.compile(r"[ \t]+\ue000")
_AUXILIARIES = _COPULAS | _DO | frozenset({"will", "would", "could", "have", "has"})
_AND_BEFORE = _just_before("and")
_SUBJECT_AFTER = _next("i|you|we|they|he|she")
_AS_AFTER = _next("as")
_QUANTIFIER_AFTER = _next("most|least|all|once|first|last")
_NEGATION_AFTER = _next("not|never|no|only|always")
_PRONOUN_BEFORE = _just_before("i|you|we|they|he|she|it|this|that")


def _follows(before: regex.Pattern, text: str, start: int) -> bool:
    """Say whether the word at `start` comes right after what `before` finds.

    `before` ends with `$` (a modal, a pronoun, an auxiliary and the space after it); only
    the dozen characters in front of the word are searched.
    """
    return before.search(text, max(0, start - 12), start) is not None


def _carries_its_phrase(text: str, start: int, end: int, word: str, level: str) -> bool:
    """Say whether the candidate `word` at [start, end) holds up the phrase it sits in."""

    def after(pattern: regex.Pattern) -> bool:
        return pattern.match(text, end) is not None

    def before(pattern: regex.Pattern) -> bool:
        return _follows(pattern, text, start)

    if after(_CLAUSE_END):
        return True  # "as they are.", "You:", "f(a, b)": a clause's last word carries it
    if word in _PRONOUNS and (
        after(_LAST_WORD_AFTER) or before(_AUXILIARY_BEFORE) or before(_PREPOSITION_BEFORE)
    ):
        return True  # "as they are.", "Do you know": a verb's subject; "to you": an object
    if word in {"you", "they", "he", "she"} and before(_AND_BEFORE):
        return True
    if word == "and" and (
        after(_SUBJECT_AFTER)
        or after(_PREPOSITION_AFTER)
        or before(_PREPOSITION_BEFORE)
        or _previous_comma(text, start) >= 0
        or _BETWEEN_BEFORE.search(text, max(0, start - 40), start)
    ):
        return True  # "I paste a diff and you review it", "to a child and to an expert", "with
        # and without", "a, b and c", "between a list and a tuple": two things, not one
    if word == "at" and after(_QUANTIFIER_AFTER):
        return True  # "at most 5", "at least": part of a limit
    if word == "such" and after(_AS_AFTER):
        return True  # "such as": examples follow, not a role
    if word in _AUXILIARIES and (after(_NEGATION_AFTER) or after(_SUBJECT_AFTER)):
        return True  # "do not", "will never", "would you": the verb of a negation, a question
    if (word == "to" and before(_OBLIGATION_BEFORE)) or (word in _HAVE and after(_TO_AFTER)):
        return True  # "have to", "need to", "ought to": an obligation
    if word in _AUXILIARIES and before(_MODAL_BEFORE):
        return True  # "should be", "will have", "to be": the modal needs its verb
    if word in _DO and before(_PRONOUN_BEFORE):
        return True  # "what would you do": after its subject, "do" is the verb
    if word in _COPULAS and (
        (level == MEDIUM and before(_PRONOUN_BEFORE)) or before(_RELATIVE_BEFORE)
    ):
        return True  # "you are a reviewer": the copula carries the role; "bugs that are"
    if word in _PREPOSITIONS and (
        after(_SPAN_AFTER)
        or after(_AND_OR_AFTER)
        or before(_AND_OR_BEFORE)
        or after(_OBJECT_AFTER)
        or after(_DEICTIC_AFTER)
        or before(_COPULA_BEFORE)
        or before(_COLLOCATION_BEFORE)
        or _between_same_words(text, start, end)
    ):
        return True  # "for {city}", "with and without", "and to", "to her", "from now", "based on"
    if word == "that" and not after(_CLAUSE_SUBJECT_AFTER):
        return True  # "numbers that are not in", "ideas that include": a relative clause
    return word == "to" and (
        before(_INFINITIVE_BEFORE)
        or after(_LAST_WORD_AFTER)
        or after(_BARE_VERB_AFTER)
        or after(_VERB_WITH_OBJECT_AFTER)
    )  # "like me to continue", "how to use", "avatar to generate", "to be", "to justify it"


def _between_same_words(text: str, start: int, end: int) -> bool:
    """Say whether the word at [start, end) sits between two copies of one word."""
    before = WORD.findall(text[max(0, start - 30) : start].rpartition("\n")[2])
    after = WORD.match(text, end + 1) if end + 1 < len(text) else None
    return bool(before and after and before[-1].lower() == after.group(0).lower())


def run_stage(lines: list[Line], level: str, strategy: str, removals: Removals, unmask) -> None:
    """Apply one level's own edits (not the lower levels') to the lines in place."""
    apply_strategy_edits(lines, level, strategy, removals)
    apply_phrase_rules(lines, level, strategy, removals)
    if level == MEDIUM:
        drop_repeated_sentences(lines, removals, unmask)
    # Commas before the word pass: an "and" after a comma of its sentence ends a series.
    if level in {LOW, HIGH} and strategy != "LEGAL":
        _edit(lines, drop_commas, removals)
    if level in _LEVEL_WORDS:
        drop_low_information_words(lines, level, strategy, removals)
