"""Self-information of the droppable words, and the frequency table let go after scoring."""

import pytest
import wordfreq

from refinery.engine import information
from refinery.engine.local import refine


def test_registered_words_are_scored_from_wordfreq():
    information.warm_up()
    assert information.bits("the") == pytest.approx(4.2, abs=0.1)
    assert information.bits("The") == information.bits("the")
    assert 8 < information.bits("an") < information.bits("does")


def test_an_unregistered_word_is_an_error_not_a_guess():
    with pytest.raises(KeyError):
        information.bits("blockchain")


def test_the_full_table_is_not_kept_after_scoring():
    information.warm_up()
    refine("Please write the summary of the report for the team.", "UNIVERSAL", "high")
    assert wordfreq.get_frequency_dict.cache_info().currsize == 0
    assert wordfreq.get_frequency_list.cache_info().currsize == 0
