"""What the model writes, read over the real wire: fences, prose, junk, bad rewrites."""

import pytest

from refinery.llm import PROVIDERS, ProviderError

from .conftest import SAMPLE


@pytest.mark.parametrize("behaviour", ["fenced", "prose"])
@pytest.mark.parametrize("provider", PROVIDERS)
def test_json_wrapped_in_fences_or_prose_is_found(refine, fake, provider, behaviour):
    """```json fences and chatter around the object do not hide the answer."""
    fake.behave(behaviour)
    result = refine(provider)
    assert "{audience}" in result.refined_text
    assert result.removed_segments


@pytest.mark.parametrize("provider", PROVIDERS)
def test_answer_that_is_not_json_is_a_provider_error(refine, fake, provider):
    """Free text is not passed off as the refined prompt."""
    fake.behave("not_json")
    with pytest.raises(ProviderError, match="not the JSON we asked for") as caught:
        refine(provider)
    assert caught.value.code == "provider_error"


@pytest.mark.parametrize("provider", PROVIDERS)
def test_answer_cut_off_at_the_token_limit_is_a_provider_error(refine, fake, provider):
    """finish_reason length / stop_reason max_tokens / finishReason MAX_TOKENS."""
    fake.behave("truncated")
    with pytest.raises(ProviderError, match="cut off"):
        refine(provider)


@pytest.mark.parametrize(
    ("behaviour", "lost"),
    [("drop_placeholder", "{audience}"), ("drop_not", "not ")],
)
@pytest.mark.parametrize("provider", PROVIDERS)
def test_rewrite_that_breaks_an_invariant_is_returned_for_the_caller_to_check(
    refine, fake, provider, behaviour, lost
):
    """Invariant checks belong to the API layer; the client reports what it got."""
    fake.behave(behaviour)
    result = refine(provider)
    assert lost in SAMPLE
    assert lost not in result.refined_text


@pytest.mark.parametrize("provider", PROVIDERS)
def test_rewrite_longer_than_the_input_is_returned_as_is(refine, fake, provider):
    """The "not shorter → give back the input" rule is the caller's."""
    fake.behave("longer")
    result = refine(provider)
    assert len(result.refined_text) > len(SAMPLE)
