"""Protected spans: what refining must keep byte for byte."""

import itertools

import pytest

from refinery.engine.protect import protected_spans

CASES = [
    ("Budget: $1,250.50 in total.", "$1,250.50", "number"),
    ("Raise it by 15% this year.", "15%", "number"),
    ("Deliver by 2026-11-25, please.", "2026-11-25", "number"),
    ("Pin v2.3.1 of the library.", "v2.3.1", "number"),
    ("The call starts at 10:30.", "10:30", "number"),
    ("Limit it to 500 words.", "500 words", "number"),
    ("Order INV-2026-0042 is late.", "INV-2026-0042", "number"),
    (
        "Open https://example.com/search?q=a+b&lang=en#results.",
        "https://example.com/search?q=a+b&lang=en#results",
        "url",
    ),
    ("Docs at www.example.org/guide, then stop.", "www.example.org/guide", "url"),
    ("Write to jane.doe+ops@example.co.uk today.", "jane.doe+ops@example.co.uk", "email"),
    ("Edit /etc/nginx/nginx.conf carefully.", "/etc/nginx/nginx.conf", "path"),
    ("Read src/app/main.py first.", "src/app/main.py", "path"),
    ("Save to C:\\Users\\me\\report.docx now.", "C:\\Users\\me\\report.docx", "path"),
    ("Update README.md too.", "README.md", "path"),
    (
        "Run `pip install -r requirements.txt` first.",
        "`pip install -r requirements.txt`",
        "inline_code",
    ),
    ("Fill in {x} here.", "{x}", "placeholder"),
    ("Hello {{name}}!", "{{name}}", "placeholder"),
    ("Role: ${Position:Software Developer} role.", "${Position:Software Developer}", "placeholder"),
    ("Topic: [[TOPIC]] only.", "[[TOPIC]]", "placeholder"),
    ("Background: [BACKGROUND COLOR] flat.", "[BACKGROUND COLOR]", "placeholder"),
    ("Wrap it in <answer> tags.", "<answer>", "placeholder"),
    ("Print %s for the name and %d for the count.", "%s", "placeholder"),
    ('My first sentence is "Hi there"', '"Hi there"', "quoted"),
    ("Say 'example input value' only.", "'example input value'", "quoted"),
    (
        "See [the docs](https://example.com/docs_(v2)) now.",
        "[the docs](https://example.com/docs_(v2))",
        "link",
    ),
    ("Set user_id and maxTokens.", "user_id", "identifier"),
    ("Clause 4(a) and (iii) apply.", "(iii)", "clause"),
]


@pytest.mark.parametrize(("text", "expected", "kind"), CASES)
def test_span_is_found_whole(text, expected, kind):
    """Each fixture's span is found exactly, with its kind, and no wider."""
    spans = {(s.text, s.kind) for s in protected_spans(text)}
    assert (expected, kind) in spans


def test_fenced_code_and_json_blocks_are_single_spans():
    """A fenced block and a JSON object are each one span, whatever they contain."""
    text = 'Use this:\n```python\nprint("a  b")\n```\nand {"name": "x", "tags": [1, 2]} as input.'
    kinds = {s.text: s.kind for s in protected_spans(text)}
    assert kinds['```python\nprint("a  b")\n```'] == "code_block"
    assert kinds['{"name": "x", "tags": [1, 2]}'] == "json"


def test_unclosed_fence_protects_to_the_end():
    """An unterminated fence still protects everything after it."""
    text = "Intro.\n```\ncode   with   spaces\nmore"
    assert protected_spans(text)[-1].text == "```\ncode   with   spaces\nmore"


def test_spans_are_ordered_and_disjoint_and_slice_the_text():
    """Overlapping finds merge; each span is exactly text[start:end]."""
    text = 'Say "visit https://a.example.com/x?y=1" and pay $5 at 10:30 in {city}.'
    spans = protected_spans(text)
    for first, second in itertools.pairwise(spans):
        assert first.end <= second.start
    for span in spans:
        assert text[span.start : span.end] == span.text
    assert spans[0].text == '"visit https://a.example.com/x?y=1"'


@pytest.mark.parametrize("text", ["", "   \n\t ", "plain words only here", "don't, it's, they're"])
def test_plain_prose_has_no_spans(text):
    """Contractions and plain words are not mistaken for quotes or identifiers."""
    assert protected_spans(text) == []


def test_sentence_punctuation_is_not_part_of_a_url_or_number():
    """A full stop after a URL or number belongs to the sentence."""
    texts = {s.text for s in protected_spans("Go to https://example.com/a. Pay 10.")}
    assert texts == {"https://example.com/a", "10"}
