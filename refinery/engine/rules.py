"""The phrase rules of the local engine: what each level removes or rewrites, per strategy."""

from __future__ import annotations

from dataclasses import dataclass

import regex

LOW, MEDIUM, HIGH = "low", "medium", "high"
ALL = frozenset({"UNIVERSAL", "GPT", "CLAUDE", "DEEPSEEK", "LEGAL"})
NOT_LEGAL = ALL - {"LEGAL"}


@dataclass(frozen=True, slots=True)
class Rule:
    """One rewrite: a case-insensitive pattern, its replacement and why it is safe."""

    level: str
    pattern: regex.Pattern
    replacement: str
    reason: str
    strategies: frozenset[str] = ALL


def _rule(level: str, pattern: str, replacement: str, reason: str, strategies=ALL) -> Rule:
    """Compile a rule; patterns match whole words only, case-insensitively."""
    compiled = regex.compile(rf"(?<![\p{{L}}'’]){pattern}(?![\p{{L}}'’])", regex.IGNORECASE)
    return Rule(level, compiled, replacement, reason, frozenset(strategies))


_S = r"[ \t]+"  # words on one line: rules never join lines, so structure is kept

# Wordy phrase -> shorter phrase with the same meaning (low and up).
_WORDY = {
    r"in order to": "to",
    r"in order for": "for",
    r"due to the fact that": "because",
    r"owing to the fact that": "because",
    r"in spite of the fact that": "although",
    r"despite the fact that": "although",
    r"at this point in time": "now",
    r"at the present time": "now",
    r"at this moment in time": "now",
    r"in the event that": "if",
    r"for the purpose of": "for",
    r"with regard to": "about",
    r"with respect to": "about",
    r"in regard to": "about",
    r"in relation to": "about",
    r"on the subject of": "about",
    r"a large number of": "many",
    r"a great deal of": "much",
    r"the majority of": "most",
    r"a (?:small )?number of": "some",
    r"is able to": "can",
    r"are able to": "can",
    r"be able to": "can",
    r"has the ability to": "can",
    r"have the ability to": "can",
    r"prior to": "before",
    r"subsequent to": "after",
    r"in addition to": "besides",
    r"each and every": "every",
    r"first and foremost": "first",
    r"make sure that": "ensure",
    r"make sure": "ensure",
    r"take into account": "consider",
    r"take into consideration": "consider",
    r"give consideration to": "consider",
    r"come up with": "create",
    r"in the process of": "while",
    r"until such time as": "until",
    r"it is necessary to": "you must",
    r"it is essential to": "you must",
    r"in a (\p{L}+ly) manner": r"\1",
    r"in a (\p{L}+) way": r"\1ly",
    r"as well as": "and",
    r"along with": "with",
}
# Filler words that add nothing in an instruction (low and up).
_FILLER = (
    r"basically|actually|literally|essentially|totally|utterly|simply put,?|needless to say,?|"
    r"furthermore,?|moreover,?|additionally,?|in addition,|as a matter of fact,?"
)

# Role openers: "I want you to act as a poet." -> "Act as a poet." (low and up).
_OPENERS = (
    r"i (?:want|would like|need|'d like|’d like) you to (?:act|behave|serve|function|pretend) as",
    r"i (?:want|would like|need|'d like|’d like) you to (?:be|become|play(?: the role of)?)",
)

# Politeness: a request is as clear without it (medium and up).
_POLITE = {
    r"(?:could|would|can|will) you please": "",
    r"please": "",
    r"kindly": "",
    # Only the speaker's own thanks: "customers appreciate it when..." is content.
    r"i(?: would|'d|’d)? (?:really )?appreciate (?:it )?if you (?:could|would|can)": "",
    r"i(?: would|'d|’d)? (?:really )?appreciate (?:it|your help)(?:[.!]|(?=[^\S\n]*(?:\n|$)))": "",
    r"thank you(?: (?:so|very) much)?(?: in advance)?[.!]?": "",
    r"thanks(?: (?:so|a lot|in advance))?[.!]?": "",
    r"i (?:want|would like|need|'d like|’d like) you to": "",
    r"i (?:want|would like|'d like|’d like) to ask you to": "",
    # "Could you list..." is a request; "Would you like me to...?" asks something.
    r"(?<=(?:^|[.!?:;])\s*)(?:can|could|would|will) you"
    r"(?! (?:like|mind|prefer|rather|want|know|agree|think|be|have|need)\b)": "",
}
# Hedges and intensifiers that neither add nor restrict (medium and up).
_HEDGES = (
    r"i think(?: that)?,?|i believe(?: that)?,?|i guess,?|i feel like|it seems(?: that)?|"
    r"perhaps|maybe|probably|possibly|somewhat|more or less|"
    r"a bit|a little bit|quite|really|very|extremely|highly|truly|definitely|"
    r"certainly|obviously|clearly,|of course,?"
)
# Meta-talk: sentences about the prompt instead of the task (medium and up).
_META = {
    r"your (?:main |primary )?(task|job|goal|mission|objective)s? (?:is|are) to(?=:)": r"\1",
    r"you are tasked with(?=:)": "task",
    r"your (?:main |primary |first )?(?:task|job|goal|role|mission|objective) (?:here )?is to": "",
    r"you are tasked with": "",
    r"the (?:main |primary )?(?:goal|aim|purpose|objective) "
    r"(?:of this (?:prompt|task|exercise) )?is to": "",
    r"in this (?:role|task|conversation|prompt),?": "",
    r"i am going to (?:give|provide) you": "I give you",
    r"i will (?:give|provide) you(?: with)?": "I give you",
    r"you will be (?:given|provided with)": "you get",
    r"(?:please )?(?:make sure|ensure) (?:that )?you": "",
    r"(?:feel free to|do your best to|try your best to|be sure to)": "",
    r"(?:it is|it's) (?:very |really )?important (?:to note )?that": "",
    r"(?:it is|it's) (?:very |really )?important to": "",
    r"(?:please )?(?:note|remember|keep in mind|bear in mind) that": "",
    r"(?:as|like) (?:i )?(?:mentioned|said|stated) (?:above|before|earlier),?": "",
    r"the following is": "",
    r"(?:here is|here are|below is|below are)": "",
    r"as follows": "",
    r"my first (request|command|sentence|question|prompt|suggestion request|task|word|"
    r"message|input|topic|query|statement|text|line|problem)(?: is| will be):?": r"first \1:",
    r"my (request|question|topic|input) is:?": r"\1:",
}
# High: telegraphic rewrites before the word-level pass.
_TELEGRAPHIC = {
    r"you will": "you",
    r"i will": "I",
    r"you are going to": "you",
    r"i am going to": "I",
    r"there (?:is|are)": "",
    r"in (?:the|a) (?:form|format) of": "as",
}

# DEEPSEEK: its reasoning models think on their own; chain-of-thought cues are redundant.
_REASONING_CUES = (
    r"(?:let's|let us|please) think (?:about (?:it|this) )?step[ -]by[ -]step[.:]?|"
    r"think (?:about (?:it|this) )?step[ -]by[ -]step(?: before (?:answering|you answer))?[.:]?|"
    r"take a deep breath(?: and)?[.,]?|show your (?:reasoning|thinking|chain of thought)[.]?|"
    r"explain your reasoning step[ -]by[ -]step[.]?"
)
# UNIVERSAL wordy phrases LEGAL keeps: in a contract each of these has settled meaning.
_LEGAL_SENSITIVE = {
    r"including but not limited to": "including",
    r"(?:null and void)": "void",
    r"(?:cease and desist)": "stop",
    r"(?:any and all)": "all",
    r"(?:terms and conditions)": "terms",
}


def _compile_rules() -> tuple[Rule, ...]:
    """Build the ordered rule list: longer, more specific phrases first within a level."""
    rules: list[Rule] = []
    for pattern in _OPENERS:
        rules.append(_rule(LOW, pattern, "Act as", "wordy role opener"))
    for pattern, replacement in _WORDY.items():
        rules.append(_rule(LOW, pattern.replace(" ", _S), replacement, "wordy phrase"))
    for pattern, replacement in _LEGAL_SENSITIVE.items():
        rules.append(_rule(LOW, pattern.replace(" ", _S), replacement, "wordy phrase", NOT_LEGAL))
    rules.append(_rule(LOW, f"(?:{_FILLER})", "", "filler word"))
    rules.append(_rule(MEDIUM, f"(?:{_REASONING_CUES})", "", "reasoning cue", {"DEEPSEEK"}))
    for pattern, replacement in _META.items():
        rules.append(_rule(MEDIUM, pattern.replace(" ", _S), replacement, "meta-talk"))
    for pattern, replacement in _POLITE.items():
        rules.append(_rule(MEDIUM, pattern.replace(" ", _S), replacement, "politeness"))
    rules.append(_rule(MEDIUM, f"(?:{_HEDGES.replace(' ', _S)})", "", "hedge", NOT_LEGAL))
    for pattern, replacement in _TELEGRAPHIC.items():
        rules.append(
            _rule(
                MEDIUM, pattern.replace(" ", _S), replacement, "future tense → present", NOT_LEGAL
            )
        )
    return tuple(rules)


RULES = _compile_rules()


def rules_for(level: str, strategy: str) -> tuple[Rule, ...]:
    """Return the phrase rules one stage applies for a strategy, in order."""
    return tuple(rule for rule in RULES if rule.level == level and strategy in rule.strategies)
