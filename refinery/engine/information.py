"""Self-information of English words from wordfreq frequencies.

Only the closed-class words the word pass may drop are ever scored, so their bits are
computed once from wordfreq's English table and the table (about 40 MB of Python objects)
is released at once instead of being kept by every process.
"""

from __future__ import annotations

import gc
import math
import threading
from collections.abc import Iterable

_lock = threading.Lock()
_bits: dict[str, float] = {}
_words: frozenset[str] = frozenset()
# A word wordfreq has never seen is rare, hence informative: give it the floor frequency.
_UNSEEN = 1e-9


def _normal(word: str) -> str:
    return word.lower().replace("’", "'")


def register(words: Iterable[str]) -> None:
    """Declare the words that may be scored; `bits` of any other word is an error."""
    global _words
    _words = _words | {_normal(word) for word in words}


def _load() -> dict[str, float]:
    """Score the registered words from wordfreq's table, then let the table go."""
    global _bits
    with _lock:
        if not _words <= _bits.keys():
            import wordfreq

            table = wordfreq.get_frequency_dict("en", wordlist="best")
            _bits = {word: -math.log2(table.get(word, _UNSEEN)) for word in _words}
            del table
            wordfreq.get_frequency_dict.cache_clear()
            wordfreq.get_frequency_list.cache_clear()
            gc.collect()
    return _bits


def bits(word: str) -> float:
    """Return -log2 p(word): how much information the word carries on its own."""
    key = _normal(word)
    try:
        return _bits[key]
    except KeyError:
        if key not in _words:
            raise
        return _load()[key]


def warm_up() -> None:
    """Score the words now, e.g. in the server's master process before it forks."""
    _load()
