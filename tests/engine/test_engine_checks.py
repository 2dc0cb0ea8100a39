"""find_losses: the one check for the local engine and for LLM providers' answers."""

import json

from refinery.engine.checks import find_losses

ORIGINAL = (
    "Do not reply unless asked. Only use {name} and pay $1,250.50 via https://x.example.com/p?a=1."
)


def test_nothing_lost_nothing_reported():
    """A faithful rewrite raises no warning."""
    refined = (
        "Do not reply unless asked. Only use {name}, pay $1,250.50 via https://x.example.com/p?a=1."
    )
    assert find_losses(ORIGINAL, refined) == []


def test_each_lost_span_and_word_is_reported():
    """Every dropped placeholder, number, URL or negation is named."""
    losses = find_losses(ORIGINAL, "Reply. Use name and pay $1,250 via the site.")
    text = "\n".join(losses)
    for expected in (
        "{name}",
        "$1,250.50",
        "https://x.example.com/p?a=1",
        "'not'",
        "'unless'",
        "'only'",
    ):
        assert expected in text
    assert len(losses) == 6


def test_altered_span_counts_as_lost():
    """A span that changed one byte is lost."""
    assert find_losses("Use v2.3.1 now.", "Use v2.3.2 now.") == ["lost number: 'v2.3.1'"]


def test_json_answers_are_read_through_their_strings():
    """Escaped quotes inside a JSON answer still count as the original quotation."""
    original = 'Never translate "Hello, world" or {x}.'
    refined = json.dumps({"constraints": ['Never translate "Hello, world" or {x}.']})
    assert find_losses(original, refined) == []


def test_contractions_with_either_apostrophe_match():
    """A typographic apostrophe is the same word as a straight one."""
    assert find_losses("Don’t guess.", "Don't guess.") == []
    assert find_losses("Don't guess.", "Guess.") == ['lost negation/modality word: "don\'t"']
