"""Fixtures: one fake provider server per session, reset before every test."""

import pytest

from refinery.engine.providers import refine_remote
from tests.fake_provider import FakeProvider

KEY = "sk-test-Zq8ExampleSecretKey1234567890"
SAMPLE = (
    "Please summarize the report at https://example.com/q3.pdf for {audience} in 3 "
    "bullet points. Do not mention revenue. I would really appreciate it if you could "
    "just keep it very short."
)


@pytest.fixture(scope="session")
def fake_server():
    """The fake provider, started once for the whole session."""
    with FakeProvider() as fake:
        yield fake


@pytest.fixture
def fake(fake_server):
    """The fake provider answering "ok", with no recorded requests."""
    fake_server.reset()
    yield fake_server
    fake_server.reset()


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
