"""Defensive parsing of the model's text."""

import json

import pytest

from refinery.llm.errors import ProviderError
from refinery.llm.parse import parse_answer

ANSWER = {
    "refinedText": "Summarize {doc} in 3 bullets. Do not guess.",
    "removedSegments": [{"text": "Please", "reason": "politeness"}],
    "explanation": "Dropped politeness.",
}
RAW = json.dumps(ANSWER)


@pytest.mark.parametrize(
    "text",
    [
        RAW,
        f"  \n{RAW}\n ",
        f"```json\n{RAW}\n```",
        f"```\n{RAW}\n```",
        f"Here you go:\n```json\n{RAW}\n```\nAnything else?",
        f"Sure! {RAW} Hope this helps.",
        f'Note: {{"x": 1}} is unrelated. The answer: {RAW}',
        json.dumps({"result": ANSWER}),
    ],
    ids=["bare", "padded", "fenced", "plain-fence", "fence-in-prose", "prose", "decoy", "wrapped"],
)
def test_answer_is_found(text):
    """The JSON object is found wherever the model put it."""
    answer = parse_answer(text)
    assert answer.refined_text == ANSWER["refinedText"]
    assert answer.removed_segments == ANSWER["removedSegments"]
    assert answer.explanation == ANSWER["explanation"]


def test_missing_optional_fields_default_to_empty():
    """Only refinedText is required."""
    answer = parse_answer('{"refinedText": "Short."}')
    assert (answer.refined_text, answer.removed_segments, answer.explanation) == ("Short.", [], "")


def test_wrong_types_are_made_safe():
    """Mistyped fields and junk segments are dropped, strings kept, reasons defaulted."""
    answer = parse_answer(
        json.dumps(
            {
                "refinedText": "Short.",
                "removedSegments": ["really", {"text": "very", "reason": 3}, {"reason": "x"}, 7],
                "explanation": ["not", "a", "string"],
            }
        )
    )
    assert answer.removed_segments == [
        {"text": "really", "reason": ""},
        {"text": "very", "reason": ""},
    ]
    assert answer.explanation == ""
    assert parse_answer('{"refinedText": "A", "removedSegments": "all"}').removed_segments == []


def test_snake_case_keys_are_accepted():
    """Some models answer refined_text / removed_segments."""
    answer = parse_answer('{"refined_text": "A.", "removed_segments": [{"text": "b"}]}')
    assert answer.refined_text == "A."
    assert answer.removed_segments == [{"text": "b", "reason": ""}]


def test_refined_text_keeps_its_bytes():
    """Whitespace and escapes inside refinedText are not touched."""
    original = "Line one\n\n  - item `code`  \n{{name}} ${x}"
    assert parse_answer(json.dumps({"refinedText": original})).refined_text == original


@pytest.mark.parametrize(
    "text",
    [
        "",
        "I cannot help with that.",
        '{"refinedText": ',
        '{"refinedText": 42}',
        '{"refinedText": "   "}',
        '{"explanation": "no text"}',
        '["refinedText", "x"]',
        "{" * 5000,
    ],
    ids=["empty", "prose", "broken", "number", "blank", "missing", "array", "braces"],
)
def test_no_usable_object_is_a_provider_error(text):
    """No JSON object with a non-empty string refinedText → ProviderError."""
    with pytest.raises(ProviderError, match="not the JSON we asked for") as caught:
        parse_answer(text)
    assert caught.value.http_status == 502
