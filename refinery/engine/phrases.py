"""The phrase pass: wordy, polite and meta phrases and their shorter equivalents, as a table."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

import regex

from refinery.engine.edit import CAP, edit_lines, sentence_initial
from refinery.engine.lines import Line
from refinery.engine.removals import Removals
from refinery.engine.strategy import HIGH, LOW, MEDIUM, STRATEGY_TABLE


@dataclass(frozen=True, slots=True)
class Phrase:
    """One rewrite: a case-insensitive pattern, its replacement, and an example that is a test.

    `example` refined at `level` (UNIVERSAL, or the group's own strategy) gives `result`.
    `initial` rules apply only at the start of a sentence: "Remember that" opens meta-talk,
    "tell them to remember that" is the task.
    """

    group: str
    level: str
    pattern: str
    replacement: str
    example: str
    result: str
    initial: bool = False


_S = r"[ \t]+"  # words on one line: rules never join lines, so structure is kept
_SUBJECT = r"(?= (?:the|a|an|you|your|it|its|this|these|those|all|each|every|no|there|they|we|i)\b)"

# Words after which a quantity phrase keeps its "of" ("many of the tests").
_DETERMINER = r"(?= (?:the|these|those|this|that|my|your|our|their|its|his|her|them|us|it)\b)"
# What follows "important to" when it names who cares, not what to do.
_NOT_A_VERB = (
    r"(?:me|us|you|him|her|them|the|a|an|my|our|your|their|his|its|this|that|these|those|"
    r"everyone|everybody|all|users?|customers?|clients?|people)\b"
)
# Words that make "Ensure that you ..." a statement about the reader, not the task's verb.
_AUXILIARY = (
    r"(?:are|were|is|am|have|has|had|can|could|will|would|should|must|may|might|do|does|did|"
    r"don't|cannot|can't|won't|not|also|get|and|or|both|all|yourself)\b"
)


# Order matters within a level: longer, more specific phrases first.
# fmt: off
PHRASES: tuple[Phrase, ...] = (
    # -- low: lossless. Role openers, filler, politeness, hedges and meta-talk.
    Phrase("wordy role opener", LOW,
        r"i (?:want|would like|need|'d like|’d like) you to"
        r" (?:act|behave|serve|function|pretend) as",
        "Act as", "I want you to act as a travel guide.", "Act as a travel guide."),
    Phrase("wordy role opener", LOW,
        r"i (?:want|would like|need|'d like|’d like) you to"
        r" (?:(?:be|become)(?= (?:a|an|my|our)\b)|play the role of)",
        "Act as", "I want you to play the role of a tutor.", "Act as a tutor."),
    Phrase("filler", LOW, r"(?:basically|needless to say|simply put|as a matter of fact),?", "",
        "Basically, list the risks.", "List the risks.", initial=True),
    Phrase("filler", LOW, r"(?:furthermore|moreover|additionally|in addition),", "",
        "Moreover, list the risks.", "List the risks.", initial=True),
    Phrase("politeness", LOW, r"(?:could|would|can|will) you please", "",
        "Could you please list the risks?", "List the risks?"),
    # "say please and thank you", "respond kindly": the word is the task there.
    # "say please and thank you", "end with please": there the word is the task.
    Phrase("politeness", LOW, r"(?<!\b(?:say|saying|with|word) )please(?= \p{Ll})", "",
        "Please list the risks and please explain each.", "List the risks and explain each."),
    Phrase("politeness", LOW, r"(?<![^,\s])(?<![^,\s][ \t])please(?=[.!?])", "",
        "List the risks, please.", "List the risks."),
    Phrase("politeness", LOW, r"kindly", "",
        "Kindly list the risks.", "List the risks.", initial=True),
    # Only the speaker's own thanks: "customers appreciate it when..." is content.
    Phrase("politeness", LOW,
        r"i(?: would|'d|’d)? (?:really )?appreciate (?:it )?if you (?:could|would|can)", "",
        "I would appreciate it if you could list the risks.", "List the risks."),
    Phrase("politeness", LOW,
        r"i(?: would|'d|’d)? (?:really )?appreciate (?:it|your help)(?:[.!]|(?=[^\S\n]*(?:\n|$)))",
        "", "List the risks. I appreciate your help.", "List the risks."),
    # A whole sentence of thanks, with what it thanks for: "For your help!" alone means nothing.
    Phrase("politeness", LOW,
        r"thank you(?: (?:so|very) much)?(?: in advance)?(?: for [^.!?\n]{1,60})?"
        r"(?:[.!]|(?=[ \t]*(?:\n|$)))", "",
        "List the risks. Thank you in advance for your help!", "List the risks.", initial=True),
    Phrase("politeness", LOW,
        r"thanks(?: (?:so much|a lot|in advance))?(?: for [^.!?\n]{1,60})?"
        r"(?:[.!]|(?=[ \t]*(?:\n|$)))",
        "",
        "List the risks. Thanks!", "List the risks.", initial=True),
    Phrase("politeness", LOW, r"i (?:want|would like|need|'d like|’d like) you to(?! not\b)", "",
        "I want you to list the risks.", "List the risks.", initial=True),
    Phrase("politeness", LOW, r"i (?:want|would like|'d like|’d like) to ask you to(?! not\b)", "",
        "I would like to ask you to list the risks.", "List the risks.", initial=True),
    Phrase("hedge", LOW, r"i (?:think|believe|guess|feel|suspect) that", "",
        "I think that the tone is too formal.", "The tone is too formal.", initial=True),
    Phrase("hedge", LOW, r"(?:of course|obviously|needless to say),", "",
        "Of course, cite your sources.", "Cite your sources.", initial=True),
    Phrase("meta-talk", LOW,
        r"your (?:main |primary )?(task|job|goal|mission|objective)s? (?:is|are) to(?=:)", r"\1",
        "Your task is to:", "Task:", initial=True),
    Phrase("meta-talk", LOW, r"you are tasked with(?=:)", "task", "You are tasked with:", "Task:",
        initial=True),
    Phrase("meta-talk", LOW,
        r"your (?:main |primary |first )?(?:task|job|goal|role|mission|objective) (?:here )?is to",
        "", "Your task is to summarize the text.", "Summarize the text.", initial=True),
    Phrase("meta-talk", LOW, r"in this (?:role|task|conversation|prompt),", "",
        "In this role, you answer questions about tax.", "You answer questions about tax.",
        initial=True),
    # Only before the verb of the task: "Ensure that you are able to" keeps its subject.
    Phrase("meta-talk", LOW, r"(?:make sure|ensure|be sure) (?:that )?you(?! " + _AUXILIARY + r")",
        "",
        "Make sure that you cite your sources.", "Cite your sources.", initial=True),
    Phrase("meta-talk", LOW, r"be sure to(?! not\b)", "", "Be sure to cite your sources.",
        "Cite your sources.", initial=True),
    Phrase("meta-talk", LOW, r"(?:it is|it's) important to note that", "",
        "It is important to note that the data is old.", "The data is old.", initial=True),
    Phrase("meta-talk", LOW, r"(?:it is|it's) important to(?! " + _NOT_A_VERB + r")", "",
        "It is important to check the units.", "Check the units.", initial=True),
    Phrase("meta-talk", LOW, r"(?:it is|it's) important that", "ensure",
        "It is important that the answer is short.", "Ensure the answer is short.", initial=True),
    Phrase("meta-talk", LOW, r"(?:note|remember|keep in mind|bear in mind) that" + _SUBJECT, "",
        "Remember that the user is a child.", "The user is a child.", initial=True),
    Phrase("meta-talk", LOW,
        r"(?:as|like) (?:i )?(?:mentioned|said|stated) (?:above|before|earlier),?", "",
        "As mentioned above, cite your sources.", "Cite your sources.", initial=True),
    Phrase("meta-talk", LOW, r"the following is", "", "The following is a list of rules:",
        "A list of rules:", initial=True),
    Phrase("meta-talk", LOW,
        r"(?:here is|here are|below is|below are)(?= (?:the|a|an|some|my|your|our)\b)"
        r"(?=[^.!?\n]*:[ \t]*(?:\n|$))", "",
        "Here are the rules:", "The rules:", initial=True),
    Phrase("meta-talk", LOW, r"are as follows(?=:)", "are", "The steps are as follows:",
        "The steps are:"),
    Phrase("meta-talk", LOW,
        r"my first (request|command|sentence|question|prompt|suggestion request|task|word|"
        r"message|input|topic|query|statement|text|line|problem)(?: is| will be):?",
        r"first \1:", 'My first request is "Rome"', 'First request: "Rome"'),
    Phrase("meta-talk", LOW, r"my (request|question|topic|input) is:?", r"\1:",
        "My question is: why?", "Question: why?", initial=True),
    # -- medium: wordy phrases and their exact short forms.
    Phrase("wordy phrase", MEDIUM, r"in order to", "to", "Read the file in order to find the bug.",
        "Read the file to find the bug."),
    Phrase("wordy phrase", MEDIUM, r"in order for", "for",
        "In order for the test to pass, fix the import.", "For the test to pass, fix the import."),
    Phrase("wordy phrase", MEDIUM, r"so as to", "to", "Sort the list so as to find duplicates.",
        "Sort the list to find duplicates."),
    Phrase("wordy phrase", MEDIUM, r"(?:due|owing) to the fact that|in light of the fact that",
        "because", "Retry due to the fact that the server is busy.",
        "Retry because the server is busy."),
    Phrase("wordy phrase", MEDIUM, r"(?:in spite of|despite) the fact that", "although",
        "Answer despite the fact that the data is old.", "Answer although the data is old."),
    Phrase("wordy phrase", MEDIUM,
        r"at (?:this point in time|the present time|this moment in time)", "now",
        "Stop at this point in time.", "Stop now."),
    Phrase("wordy phrase", MEDIUM, r"in the event that", "if",
        "In the event that the file is empty, say so.", "If the file is empty, say so."),
    Phrase("wordy phrase", MEDIUM, r"for the purpose of", "for",
        "Use it for the purpose of testing.", "Use it for testing."),
    Phrase("wordy phrase", MEDIUM, r"(?:with|in) regards? to", "regarding",
        "Ask questions with regard to the budget.", "Ask questions regarding the budget."),
    Phrase("wordy phrase", MEDIUM, r"on the subject of", "about",
        "Write a poem on the subject of love.", "Write a poem about love."),
    # Before a determiner the quantity keeps its "of": "many of the tests", not "many the".
    Phrase("wordy phrase", MEDIUM, r"a large number of" + _DETERMINER, "many of",
        "Rerun a large number of the tests.", "Rerun many of the tests."),
    Phrase("wordy phrase", MEDIUM, r"a large number of", "many", "List a large number of ideas.",
        "List many ideas."),
    Phrase("wordy phrase", MEDIUM, r"a great deal of" + _DETERMINER, "much of",
        "Cut a great deal of the text.", "Cut much of the text."),
    Phrase("wordy phrase", MEDIUM, r"a great deal of", "much", "It needs a great deal of care.",
        "It needs much care."),
    Phrase("wordy phrase", MEDIUM, r"a small number of" + _DETERMINER, "a few of",
        "Give a small number of the examples.", "Give a few of the examples."),
    Phrase("wordy phrase", MEDIUM, r"a small number of", "a few",
        "Give a small number of examples.", "Give a few examples."),
    Phrase("wordy phrase", MEDIUM, r"the majority of" + _DETERMINER, "most of",
        "Fix the majority of the bugs.", "Fix most of the bugs."),
    Phrase("wordy phrase", MEDIUM, r"the majority of", "most",
        "Ask the majority of users.", "Ask most users."),
    Phrase("wordy phrase", MEDIUM, r"a variety of(?!" + _DETERMINER[3:], "various",
        "Use a variety of sources.", "Use various sources."),
    Phrase("wordy phrase", MEDIUM, r"(?<!\bbe )(is|are) able to", "can",
        "Say whether the model is able to answer.", "Say whether the model can answer."),
    Phrase("wordy phrase", MEDIUM,
        r"(?<!\b(?:to|should|must|would|could|will|might|may|can|shall) )"
        r"(?:has|have) the ability to",
        "can",
        "Say whether the model has the ability to answer.", "Say whether the model can answer."),
    Phrase("wordy phrase", MEDIUM, r"prior to", "before", "Read the rules prior to answering.",
        "Read the rules before answering."),
    Phrase("wordy phrase", MEDIUM, r"subsequent to", "after", "Summarize subsequent to reading.",
        "Summarize after reading."),
    Phrase("wordy phrase", MEDIUM, r"each and every", "every", "Check each and every line.",
        "Check every line."),
    Phrase("wordy phrase", MEDIUM, r"first and foremost", "first",
        "First and foremost, be accurate.", "First, be accurate."),
    # "Make sure to X" is "X": "ensure to" is not English.
    Phrase("wordy phrase", MEDIUM, r"(?:make|be) sure (?:not to|to not)", "do not",
        "Make sure not to include personal data.", "Do not include personal data."),
    Phrase("wordy phrase", MEDIUM, r"(?:make|be) sure to", "",
        "Always make sure to double-check the math.", "Always double-check the math."),
    Phrase("wordy phrase", MEDIUM, r"make sure that|make sure", "ensure",
        "Make sure the output is valid JSON.", "Ensure the output is valid JSON."),
    Phrase("wordy phrase", MEDIUM, r"take into (?:account|consideration)|give consideration to",
        "consider", "Take into account the budget.", "Consider the budget."),
    # "has come up with" is a participle; "devise" would change the tense.
    Phrase("wordy phrase", MEDIUM, r"(?<!\b(?:have|has|had|having|'ve|’ve) )come up with",
        "devise", "Come up with three names.",
        "Devise three names."),
    Phrase("wordy phrase", MEDIUM, r"until such time as", "until",
        "Wait until such time as the user answers.", "Wait until the user answers."),
    Phrase("wordy phrase", MEDIUM,
        r"(?<!\b(?:is|are|be|was|were) )in (?:the|a) (?:form|format) of(?= an?\b)", "as",
        "Answer in the form of a table.", "Answer as a table."),
    Phrase("wordy phrase", MEDIUM, r"on a daily basis", "daily", "Check the logs on a daily basis.",
        "Check the logs daily."),
    Phrase("wordy phrase", MEDIUM, r"on a weekly basis", "weekly",
        "Send a report on a weekly basis.", "Send a report weekly."),
    Phrase("wordy phrase", MEDIUM, r"on a monthly basis", "monthly",
        "Send a report on a monthly basis.", "Send a report monthly."),
    Phrase("wordy phrase", MEDIUM, r"at all times", "always", "Stay polite at all times.",
        "Stay polite always."),
    Phrase("wordy phrase", MEDIUM, r"in the near future", "soon",
        "Say what will change in the near future.", "Say what will change soon."),
    Phrase("wordy phrase", MEDIUM, r"with the exception of", "except",
        "Translate everything with the exception of names.", "Translate everything except names."),
    Phrase("wordy phrase", MEDIUM, r"in the absence of", "without",
        "In the absence of data, say so.", "Without data, say so."),
    Phrase("wordy phrase", MEDIUM, r"in the course of", "during",
        "Take notes in the course of the call.", "Take notes during the call."),
    Phrase("wordy phrase", MEDIUM, r"in excess of", "more than", "Flag costs in excess of $500.",
        "Flag costs more than $500."),
    Phrase("wordy phrase", MEDIUM, r"in close proximity to", "near",
        "List cafes in close proximity to the station.", "List cafes near the station."),
    Phrase("wordy phrase", MEDIUM, r"utilize|utilise", "use", "Utilize the data.", "Use the data."),
    Phrase("wordy phrase", MEDIUM, r"utilizes|utilises", "uses", "It utilizes the data.",
        "It uses the data."),
    Phrase("wordy phrase", MEDIUM, r"utilizing|utilising", "using", "Answer utilizing the data.",
        "Answer using the data."),
    Phrase("wordy phrase", MEDIUM, r"(?:provide|give) a summary of" + _DETERMINER, "summarize",
        "Provide a summary of the text.", "Summarize the text."),
    Phrase("wordy phrase", MEDIUM, r"(?:provide|give) a description of" + _DETERMINER, "describe",
        "Give a description of the product.", "Describe the product."),
    Phrase("wordy phrase", MEDIUM, r"(?:provide|give) an explanation of" + _DETERMINER, "explain",
        "Provide an explanation of the error.", "Explain the error."),
    Phrase("legal-sensitive phrase", MEDIUM, r"any and all", "all",
        "Remove any and all duplicates.", "Remove all duplicates."),
    # DEEPSEEK: its reasoning models think on their own; chain-of-thought cues are redundant.
    # Only a whole sentence of cue: "Show your reasoning before the answer" asks for output.
    Phrase("reasoning cue", MEDIUM,
        r"(?:(?:let's|let us|please) think|think) (?:about (?:it|this) )?step[ -]by[ -]step"
        r"(?: before (?:answering|you answer))?(?:[.:!]|(?=[ \t]*(?:\n|$)))",
        "", "Solve 3x + 5 = 20. Let's think step by step.", "Solve 3x + 5 = 20.", initial=True),
    Phrase("reasoning cue", MEDIUM,
        r"take a deep breath(?:[.!]|(?=[ \t]*(?:\n|$)))|take a deep breath and",
        "", "Take a deep breath and solve 3x + 5 = 20.", "Solve 3x + 5 = 20.", initial=True),
    # -- high: telegraphic.
    Phrase("telegraphic", HIGH,
        r"there (?:is|are)(?= (?:no|a|an|the|some|any|many|few|several|more|fewer|two|three)\b"
        r"| \ue000)",
        "", "If there is no answer, say so.", "If no answer, say so."),
    # "Ensure that the output" -> "Ensure the output": "that" opens the clause whose subject
    # follows; a relative "that" ("the numbers that are") is not after these verbs.
    Phrase("telegraphic", HIGH,
        r"(ensure|confirm|verify|check|assume|state|mention|say|indicate|specify|note|remember)"
        r" that" + _SUBJECT,
        r"\1", "Verify that the totals match.", "Verify totals match."),
)
# fmt: on


@dataclass(frozen=True, slots=True)
class _Compiled:
    """A phrase of the table, compiled: whole words only, case-insensitive."""

    phrase: Phrase
    pattern: regex.Pattern


def _spaces(pattern: str) -> str:
    """Let each space of `pattern` outside a character class match a run of spaces or tabs."""
    out, in_class, escaped = [], False, False
    for char in pattern:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "[":
            in_class = True
        elif char == "]":
            in_class = False
        elif char == " " and not in_class:
            char = _S
        out.append(char)
    return "".join(out)


def _compile(phrase: Phrase) -> _Compiled:
    """Compile a phrase's pattern; its spaces match any run of spaces or tabs."""
    body = _spaces(phrase.pattern)
    pattern = regex.compile(rf"(?<![\p{{L}}'’]){body}(?![\p{{L}}'’])", regex.IGNORECASE)
    return _Compiled(phrase, pattern)


def phrases_for(level: str, strategy: str) -> tuple[Phrase, ...]:
    """The phrases one level applies for a strategy, in table order."""
    row = STRATEGY_TABLE[strategy]
    return tuple(
        phrase
        for phrase in PHRASES
        if phrase.level == level
        and phrase.group not in row.excluded_groups
        and (phrase.group != "reasoning cue" or phrase.group in row.extra_groups)
    )


@cache
def _dispatch(level: str, strategy: str):
    """Index a level's phrases by the words a match can start with.

    Trying ~100 alternatives at every position is slow; instead each word of the line is
    looked up, and only the phrases that can start with it are tried there.
    """
    rules = [_compile(phrase) for phrase in phrases_for(level, strategy)]
    vocabulary = {w for rule in rules for w in regex.findall(r"[a-z]+", rule.pattern.pattern)}
    by_word: dict[str, list[int]] = {}
    for index, rule in enumerate(rules):
        for word in vocabulary:
            if any(rule.pattern.match(word + end, partial=True) for end in " ,."):
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


_EMPHASIS_MARKS = frozenset("*_~")


def _emphasized(text: str, start: int, end: int) -> bool:
    """Say whether a match touches an emphasis marker: the emphasized words are the point."""
    return (start > 0 and text[start - 1] in _EMPHASIS_MARKS) or (
        end < len(text) and text[end] in _EMPHASIS_MARKS
    )


def apply_phrases(lines: list[Line], level: str, strategy: str, removals: Removals) -> None:
    """Remove or shorten the level's phrases, keeping capitals at sentence starts."""
    triggers, ascii_triggers, by_word, rules = _dispatch(level, strategy)
    if not by_word:
        return

    def edit(text: str, removals: Removals) -> str:
        """Rewrite the lines (joined by newlines)."""
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
            if match is None or _emphasized(text, match.start(), match.end()):
                continue
            rule = rules[int(match.lastgroup[1:])]
            # After a removed opener ("Please note that"), the next phrase starts the sentence.
            initial = sentence_initial(text, match.start()) or (
                bool(out) and out[-1] == CAP and not text[position : match.start()].strip()
            )
            if rule.phrase.initial and not initial:
                continue
            replacement = rule.phrase.replacement
            if "\\" in replacement:
                replacement = rule.pattern.match(text, match.start()).expand(replacement)
            reason = rule.phrase.group
            out.append(text[position : match.start()])
            if replacement:
                first = replacement[0].upper() if initial else replacement[0].lower()
                if replacement != "I" and not replacement.startswith("I "):
                    replacement = first + replacement[1:]
                removals.add(match.group(0), f"{reason} → {replacement!r}")
                out.append(replacement)
                position = match.end()
                continue
            end = match.end()
            # "Basically, do x": the comma that set the phrase off goes with it.
            if text[end : end + 1] == "," and not match.group(0).endswith(","):
                end += 1
            removals.add(text[match.start() : end], reason)
            if initial or match.group(0)[:1].isupper():
                out.append(CAP)
            position = end
        out.append(text[position:])
        return "".join(out)

    edit_lines(lines, edit, removals)
