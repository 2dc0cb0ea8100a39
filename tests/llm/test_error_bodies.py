"""Reading each provider's error bodies and Retry-After forms."""

import email.utils
import time

import pytest

from refinery.llm import (
    ProviderQuotaExhausted,
    ProviderRateLimited,
    ProviderUnavailable,
    anthropic,
    gemini,
    openai,
)


def test_retry_after_as_an_http_date_in_the_past_means_retry_now(refine, fake):
    """An HTTP-date Retry-After already passed is a wait of zero."""
    fake.behave("429", retry_after=email.utils.formatdate(time.time() - 60, usegmt=True), times=1)
    assert refine("openai").refined_text
    assert len(fake.calls()) == 2


def test_retry_after_as_a_far_http_date_is_raised_with_the_seconds(refine, fake):
    """An HTTP-date an hour away is passed on as about 3600 seconds."""
    fake.behave("503", retry_after=email.utils.formatdate(time.time() + 3600, usegmt=True))
    with pytest.raises(ProviderUnavailable) as caught:
        refine("deepseek")
    assert 3500 < caught.value.retry_after <= 3600
    assert len(fake.calls()) == 1


@pytest.mark.parametrize("value", ["soon", "nan", "-5"])
def test_unusable_retry_after_falls_back_to_backoff(refine, fake, value):
    """Garbage in Retry-After never crashes the retry loop."""
    fake.behave("429", retry_after=value, times=1)
    assert refine("anthropic").refined_text


def test_openai_plain_rate_limit_is_not_mistaken_for_quota():
    """Only insufficient_quota and billing wording mean the money ran out."""
    limit = {"error": {"message": "Rate limit reached for requests", "code": "rate_limit_exceeded"}}
    assert not openai.read_failure(429, limit).quota_exhausted
    quota = {"error": {"message": "x", "type": "insufficient_quota", "code": "insufficient_quota"}}
    assert openai.read_failure(429, quota).quota_exhausted


def test_anthropic_spend_cap_is_quota_not_rate_limit():
    """A 429 rate_limit_error with enforced_spend_limit_reached waits for next month."""
    body = {
        "type": "error",
        "error": {
            "type": "rate_limit_error",
            "message": "You have reached your spend limit.",
            "details": {"error_code": "enforced_spend_limit_reached"},
        },
    }
    assert anthropic.read_failure(429, body).quota_exhausted
    plain = {"type": "error", "error": {"type": "rate_limit_error", "message": "Slow down."}}
    assert not anthropic.read_failure(429, plain).quota_exhausted


def test_gemini_per_minute_quota_is_a_rate_limit_with_its_retry_delay():
    """Gemini says "quota" and "billing" even for per-minute limits; details decide."""
    body = {
        "error": {
            "code": 429,
            "message": "You exceeded your current quota, please check your plan and billing.",
            "status": "RESOURCE_EXHAUSTED",
            "details": [
                {
                    "@type": "type.googleapis.com/google.rpc.QuotaFailure",
                    "violations": [{"quotaId": "GenerateRequestsPerMinutePerProjectPerModel"}],
                },
                {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "1.5s"},
            ],
        }
    }
    failure = gemini.read_failure(429, body)
    assert not failure.quota_exhausted
    assert failure.retry_after == 1.5


@pytest.mark.parametrize("body", [None, "text", {"error": "flat"}, {"error": {"message": 5}}])
@pytest.mark.parametrize("module", [openai, anthropic, gemini])
def test_odd_error_bodies_are_read_without_crashing(module, body):
    """Proxies and gateways send all sorts; reading never raises."""
    assert module.read_failure(500, body).message == ""


def test_exceptions_carry_code_status_and_retry_after(refine, fake):
    """The API layer reads these three attributes and the message."""
    fake.behave("429", retry_after=7)
    with pytest.raises(ProviderRateLimited) as caught:
        refine("openai", max_wait=5)
    error = caught.value
    assert (error.code, error.http_status, error.retry_after) == ("provider_rate_limited", 429, 7)
    assert not isinstance(error, ProviderQuotaExhausted)
