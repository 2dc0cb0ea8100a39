"""Fixtures: refine_remote pointed at the fake provider (`fake`, from tests/conftest.py)."""

import pytest

from refinery.llm import refine_remote

KEY = "sk-test-Zq8ExampleSecretKey1234567890"
SAMPLE = (
    "Please summarize the report at https://example.com/q3.pdf for {audience} in 3 "
    "bullet points. Do not mention revenue. I would really appreciate it if you could "
    "just keep it very short."
)


@pytest.fixture
def refine(fake):
    """refine_remote pointed at the fake, with test-sized timeouts and backoff."""

    def call(provider, text=SAMPLE, **overrides):
        """Refine text with one provider; keyword overrides win."""
        options = {
            "strategy": "UNIVERSAL",
            "level": "medium",
            "output_format": "default",
            "api_key": KEY,
            "base_url": fake.url,
            "timeout": 2.0,
            "backoff": 0.01,
            "max_wait": 2.0,
        }
        options.update(overrides)
        return refine_remote(provider, text, **options)

    return call
