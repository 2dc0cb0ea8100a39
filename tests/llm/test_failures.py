"""Provider failures: which are retried, how long we wait, what is raised and shown."""

import subprocess
import sys
import time
from pathlib import Path

import pytest

from refinery.llm import (
    PROVIDERS,
    ProviderAuthError,
    ProviderError,
    ProviderQuotaExhausted,
    ProviderRateLimited,
    ProviderTimeout,
    ProviderUnavailable,
)

from .conftest import KEY


@pytest.mark.parametrize("provider", PROVIDERS)
def test_bad_key_is_an_auth_error_and_not_retried(refine, fake, provider):
    """401 (Gemini: 400 API_KEY_INVALID) → provider_auth_failed after one attempt."""
    fake.behave("401")
    with pytest.raises(ProviderAuthError) as caught:
        refine(provider)
    error = caught.value
    assert (error.code, error.http_status) == ("provider_auth_failed", 502)
    assert "Check the organization's" in error.message
    assert len(fake.calls()) == 1


@pytest.mark.parametrize("provider", PROVIDERS)
def test_key_never_appears_in_an_error(refine, fake, provider):
    """The fake echoes the key in its error message; we must scrub it everywhere."""
    fake.behave("401")
    with pytest.raises(ProviderError) as caught:
        refine(provider)
    error = caught.value
    assert KEY not in str(error)
    assert KEY not in error.message
    assert KEY not in repr(error)
    assert "[redacted]" in error.message


@pytest.mark.parametrize("provider", PROVIDERS)
def test_exhausted_quota_is_not_retried(refine, fake, provider):
    """insufficient_quota, low credit, 402 or a per-day quota: no point in waiting."""
    fake.behave("quota", retry_after=0)
    with pytest.raises(ProviderQuotaExhausted) as caught:
        refine(provider)
    assert caught.value.code == "provider_quota_exhausted"
    assert len(fake.calls()) == 1


@pytest.mark.parametrize("provider", PROVIDERS)
def test_429_then_ok_succeeds_after_honouring_retry_after(refine, fake, provider):
    """Retry-After (Gemini: RetryInfo.retryDelay) is slept before the second attempt."""
    fake.behave("429", retry_after=0.5, times=1)
    started = time.monotonic()
    result = refine(provider)
    elapsed = time.monotonic() - started
    assert result.refined_text
    first, second = fake.calls()
    assert second.at - first.at >= 0.5
    assert elapsed < 1.5


def test_integer_retry_after_is_honoured(refine, fake):
    """The usual whole-seconds Retry-After: 1."""
    fake.behave("429", retry_after=1, times=1)
    refine("anthropic")
    first, second = fake.calls()
    assert 1.0 <= second.at - first.at < 1.8


@pytest.mark.parametrize("provider", PROVIDERS)
def test_rate_limit_persisting_raises_rate_limited_after_three_attempts(refine, fake, provider):
    """429 on every attempt → 429 provider_rate_limited carrying the provider's wait."""
    fake.behave("429", retry_after=0)
    with pytest.raises(ProviderRateLimited) as caught:
        refine(provider)
    error = caught.value
    assert (error.code, error.http_status, error.retry_after) == ("provider_rate_limited", 429, 0)
    assert len(fake.calls()) == 3


@pytest.mark.parametrize("provider", PROVIDERS)
def test_retry_after_beyond_max_wait_is_raised_not_slept(refine, fake, provider):
    """A 120 s Retry-After is passed on to the client at once instead of blocking."""
    fake.behave("429", retry_after=120)
    started = time.monotonic()
    with pytest.raises(ProviderRateLimited) as caught:
        refine(provider, max_wait=5)
    assert caught.value.retry_after == 120
    assert len(fake.calls()) == 1
    assert time.monotonic() - started < 1


@pytest.mark.parametrize("provider", PROVIDERS)
def test_three_500s_give_provider_error_after_exactly_three_attempts(refine, fake, provider):
    """5xx is retried twice, then reported as 502 provider_error with the provider's words."""
    fake.behave("500")
    with pytest.raises(ProviderError) as caught:
        refine(provider)
    error = caught.value
    assert type(error) is ProviderError
    assert (error.code, error.http_status) == ("provider_error", 502)
    assert "HTTP 500" in error.message
    assert len(fake.calls()) == 3


@pytest.mark.parametrize("provider", PROVIDERS)
def test_500_then_ok_succeeds(refine, fake, provider):
    """One transient failure costs one retry, not the request."""
    fake.behave("500", times=1)
    assert refine(provider).refined_text
    assert len(fake.calls()) == 2


@pytest.mark.parametrize("status", ["503", "529"])
@pytest.mark.parametrize("provider", PROVIDERS)
def test_overloaded_after_retries_is_unavailable(refine, fake, provider, status):
    """503/529 overloaded on every attempt → 503 provider_overloaded with Retry-After."""
    fake.behave(status, retry_after=0)
    with pytest.raises(ProviderUnavailable) as caught:
        refine(provider)
    error = caught.value
    assert (error.code, error.http_status) == ("provider_overloaded", 503)
    assert len(fake.calls()) == 3
    if provider != "gemini":  # Gemini sends RetryInfo only with 429s
        assert error.retry_after == 0


def test_max_retries_zero_means_one_attempt(refine, fake):
    """The caller can switch retries off."""
    fake.behave("529")
    with pytest.raises(ProviderUnavailable):
        refine("anthropic", max_retries=0)
    assert len(fake.calls()) == 1


@pytest.mark.parametrize("provider", PROVIDERS)
def test_slow_provider_times_out_quickly(refine, fake, provider):
    """A provider slower than the read timeout → 504 provider_timeout, not retried."""
    fake.behave("slow", delay=2.0)
    started = time.monotonic()
    with pytest.raises(ProviderTimeout) as caught:
        refine(provider, timeout=0.3)
    assert time.monotonic() - started < 1.0
    assert (caught.value.code, caught.value.http_status) == ("provider_timeout", 504)
    assert len(fake.calls()) == 1


@pytest.fixture(scope="module")
def enormous_provider():
    """A fake provider sending 16 MiB answers from its own process.

    In-process, the server thread's own buffers would count towards the peak we measure.
    """
    root = Path(__file__).resolve().parents[2]
    command = [sys.executable, "-m", "tests.fake_provider", "enormous"]
    process = subprocess.Popen(command, cwd=root, stdout=subprocess.PIPE, text=True)
    try:
        yield process.stdout.readline().strip()
    finally:
        process.terminate()
        process.wait(timeout=5)


# Measured in a process of its own: tracemalloc counts every thread's allocations, and in
# the suite's process other tests' server threads may allocate at the same moment.
_MEASURE = """
import sys, tracemalloc
from refinery.llm import ProviderError, refine_remote
tracemalloc.start()
try:
    refine_remote(sys.argv[1], "Summarize the memo.", strategy="UNIVERSAL", level="medium",
                  output_format="default", api_key=sys.argv[3], base_url=sys.argv[2],
                  timeout=5.0, backoff=0.01, max_wait=2.0)
    print("no error")
except ProviderError as exc:
    print(tracemalloc.get_traced_memory()[1], exc)
"""


@pytest.mark.parametrize("provider", PROVIDERS)
def test_enormous_body_is_cut_off_with_bounded_memory(enormous_provider, provider):
    """A 16 MiB answer stops at the 1 MiB cap and never sits whole in memory."""
    root = Path(__file__).resolve().parents[2]
    command = [sys.executable, "-c", _MEASURE, provider, enormous_provider, KEY]
    result = subprocess.run(command, cwd=root, capture_output=True, text=True, timeout=60)
    peak, _, message = result.stdout.strip().partition(" ")
    assert "larger than" in message, result.stdout + result.stderr
    assert int(peak) < 3 << 20


@pytest.mark.parametrize("provider", PROVIDERS)
def test_non_json_body_is_a_provider_error(refine, fake, provider):
    """An HTML page with status 200 (a proxy, say) is not an answer."""
    fake.behave("bad_body")
    with pytest.raises(ProviderError, match="not JSON"):
        refine(provider)


def test_unreachable_provider_is_retried_then_reported(refine):
    """Connection refused is retried like a dropped connection, then 502 provider_error."""
    with pytest.raises(ProviderError, match="Could not connect") as caught:
        refine("openai", base_url="http://127.0.0.1:9")
    assert caught.value.http_status == 502


def test_missing_key_is_an_auth_error_before_any_request(refine, fake):
    """No key configured: say so instead of sending an empty header."""
    with pytest.raises(ProviderAuthError, match="No Gemini API key"):
        refine("gemini", api_key="")
    assert fake.calls() == []
