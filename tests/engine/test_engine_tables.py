"""The engine's rule tables: every row's example is the engine's real output."""

import pytest

from refinery.engine.local import refine
from refinery.engine.phrases import PHRASES
from refinery.engine.strategy import STRATEGY_TABLE
from refinery.engine.words import KEEPS


def _strategy(group: str) -> str:
    """The first strategy that applies a phrase group."""
    for row in STRATEGY_TABLE.values():
        if group in row.extra_groups or (
            group not in row.excluded_groups and group != "reasoning cue"
        ):
            return row.name
    raise AssertionError(group)


@pytest.mark.parametrize("phrase", PHRASES, ids=lambda p: p.example[:40])
def test_each_phrase_example_is_the_engines_output_at_its_level(phrase):
    """The phrase's own level turns its example into its result."""
    refined = refine(phrase.example, _strategy(phrase.group), phrase.level).refined_text
    assert refined == phrase.result


@pytest.mark.parametrize("phrase", [p for p in PHRASES if p.initial], ids=lambda p: p.example[:40])
def test_a_sentence_opener_is_kept_inside_a_sentence(phrase):
    """An opener rule ("Remember that") leaves the same words alone mid-sentence."""
    text = "Tell the user: " + phrase.example[0].lower() + phrase.example[1:]
    refined = refine(text, _strategy(phrase.group), phrase.level).refined_text
    assert refined.startswith("Tell the user: " + phrase.example[0].lower())


@pytest.mark.parametrize("keep", KEEPS, ids=lambda k: k.why[:40])
def test_each_keep_example_keeps_its_words_at_high(keep):
    """Each exception of the high word pass holds its example's words."""
    assert keep.kept in refine(keep.example, "UNIVERSAL", "high").refined_text


def test_high_drops_articles_and_bare_copulas_only():
    """What high removes: articles, and a copula before a participle."""
    text = "Return the answer as a table. The key is stored in the vault."
    assert refine(text, "UNIVERSAL", "high").refined_text == (
        "Return answer as a table. Key stored in vault."
    )


def test_legal_keeps_every_article_at_high():
    """LEGAL's row keeps articles: in a contract "a supplier" is not "the Supplier"."""
    text = "The Supplier shall deliver the goods to a warehouse."
    assert refine(text, "LEGAL", "high").refined_text == text
