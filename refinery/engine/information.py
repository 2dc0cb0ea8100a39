"""Self-information of English words from wordfreq frequencies, loaded once on first use."""

from __future__ import annotations

import math
import threading

_lock = threading.Lock()
_frequencies: dict[str, float] | None = None
# A word wordfreq has never seen is rare, hence informative: give it the floor frequency.
_UNSEEN = 1e-9


def _table() -> dict[str, float]:
    """Load wordfreq's English table lazily: importing it costs ~0.2 s and ~0.3 s more to read."""
    global _frequencies
    if _frequencies is None:
        with _lock:
            if _frequencies is None:
                import wordfreq

                _frequencies = wordfreq.get_frequency_dict("en", wordlist="best")
    return _frequencies


def bits(word: str) -> float:
    """Return -log2 p(word): how much information the word carries on its own."""
    return -math.log2(_table().get(word.lower().replace("’", "'"), _UNSEEN))


def warm_up() -> None:
    """Load the frequency table now, e.g. in a worker before it takes requests."""
    _table()
