"""Each client speaks its provider's own wire format and reads its answer."""

import pytest

from refinery.llm import DEFAULTS, PROVIDERS, RemoteRefinement
from refinery.llm.meta_prompt import BEGIN_MARKER, END_MARKER

from .conftest import KEY, SAMPLE


@pytest.mark.parametrize("provider", PROVIDERS)
def test_ok_answer_is_read_into_a_refinement(refine, fake, provider):
    """A well-formed answer becomes a RemoteRefinement with usage and removals."""
    result = refine(provider)
    assert isinstance(result, RemoteRefinement)
    assert result.provider == provider
    assert len(result.refined_text) < len(SAMPLE)
    assert "{audience}" in result.refined_text
    assert "Do not mention revenue." in result.refined_text
    assert {"text": "Please", "reason": "filler"} in result.removed_segments
    assert result.explanation == "Removed filler words."
    assert result.input_tokens and result.output_tokens
    assert len(fake.calls(provider)) == 1


def test_openai_wire_format(refine, fake):
    """Bearer auth, system + user messages, JSON mode, max_completion_tokens."""
    result = refine("openai", model="gpt-test")
    (call,) = fake.calls()
    assert call.path == "/v1/chat/completions"
    assert call.headers["authorization"] == f"Bearer {KEY}"
    body = call.json
    assert body["model"] == "gpt-test"
    assert [m["role"] for m in body["messages"]] == ["system", "user"]
    assert BEGIN_MARKER in body["messages"][1]["content"]
    assert SAMPLE in body["messages"][1]["content"]
    assert body["response_format"] == {"type": "json_object"}
    assert body["max_completion_tokens"] >= 4096
    assert "temperature" not in body
    assert result.model == "gpt-test-2026-03-17"  # the snapshot the provider reports


def test_deepseek_wire_format(refine, fake):
    """OpenAI-compatible body at /chat/completions with max_tokens and its default model."""
    result = refine("deepseek")
    (call,) = fake.calls()
    assert call.path == "/chat/completions"
    assert call.headers["authorization"] == f"Bearer {KEY}"
    assert call.json["model"] == DEFAULTS["deepseek"].model
    assert call.json["max_tokens"] >= 4096
    assert call.json["response_format"] == {"type": "json_object"}
    assert result.model == DEFAULTS["deepseek"].model


def test_anthropic_wire_format(refine, fake):
    """x-api-key, anthropic-version, top-level system and the required max_tokens."""
    result = refine("anthropic")
    (call,) = fake.calls()
    assert call.path == "/v1/messages"
    assert call.headers["x-api-key"] == KEY
    assert call.headers["anthropic-version"] == "2023-06-01"
    assert "authorization" not in call.headers
    body = call.json
    assert body["model"] == DEFAULTS["anthropic"].model
    assert body["max_tokens"] >= 4096
    assert "placeholder" in body["system"]
    assert body["messages"] == [{"role": "user", "content": body["messages"][0]["content"]}]
    assert body["messages"][0]["content"].endswith(END_MARKER)
    assert result.model == DEFAULTS["anthropic"].model


def test_gemini_wire_format(refine, fake):
    """Model in the path, x-goog-api-key header, systemInstruction and JSON output."""
    result = refine("gemini", model="models/gemini-test")
    (call,) = fake.calls()
    assert call.path == "/v1beta/models/gemini-test:generateContent"
    assert call.headers["x-goog-api-key"] == KEY
    assert "key=" not in call.path
    body = call.json
    assert "byte for byte" in body["systemInstruction"]["parts"][0]["text"]
    assert body["contents"][0]["role"] == "user"
    assert SAMPLE in body["contents"][0]["parts"][0]["text"]
    assert body["generationConfig"]["responseMimeType"] == "application/json"
    assert body["generationConfig"]["maxOutputTokens"] >= 4096
    assert result.model == "gemini-test"


@pytest.mark.parametrize("provider", PROVIDERS)
def test_base_url_with_version_suffix_is_not_doubled(refine, fake, provider):
    """OPENAI_BASE_URL=https://host/v1 (the SDK habit) reaches the same path."""
    version = {"openai": "/v1", "anthropic": "/v1", "deepseek": "", "gemini": "/v1beta"}
    refine(provider, base_url=fake.url + version[provider] + "/")
    (call,) = fake.calls()
    assert call.path.count("/v1") <= 1


def test_defaults_name_every_provider():
    """The config layer gets a base URL and model for each provider."""
    assert set(DEFAULTS) == set(PROVIDERS)
    for base_url, model in DEFAULTS.values():
        assert base_url.startswith("https://")
        assert model


def test_unknown_provider_is_a_value_error(refine):
    """A provider name outside PROVIDERS is a programming error, not a provider failure."""
    with pytest.raises(ValueError, match="unknown provider"):
        refine("mistral")
