"""The one exception family every provider failure is raised as (plain Python, no Flask).

Each carries what the API layer needs to answer: a stable ``code``, the ``http_status``
to answer with, a human ``message`` (already scrubbed of the API key) and ``retry_after``
in seconds when the client should wait before trying again.
"""


class ProviderError(Exception):
    """The provider failed or answered something unusable (502 provider_error)."""

    code = "provider_error"
    http_status = 502

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        """Keep the message and the seconds to wait, if the provider told us."""
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after

    def __str__(self) -> str:
        """Show only the (scrubbed) message."""
        return self.message


class ProviderAuthError(ProviderError):
    """The provider rejected the credentials (502 provider_auth_failed)."""

    code = "provider_auth_failed"


class ProviderQuotaExhausted(ProviderError):
    """The provider account is out of credit or quota; waiting won't help (502)."""

    code = "provider_quota_exhausted"


class ProviderRateLimited(ProviderError):
    """The provider rate-limited the organization's key (429 provider_rate_limited)."""

    code = "provider_rate_limited"
    http_status = 429


class ProviderUnavailable(ProviderError):
    """The provider is overloaded for everyone (503 provider_overloaded)."""

    code = "provider_overloaded"
    http_status = 503


class ProviderTimeout(ProviderError):
    """The provider did not answer in time (504 provider_timeout)."""

    code = "provider_timeout"
    http_status = 504


def scrub(text: str, secret: str | None) -> str:
    """Remove every occurrence of the secret from a message that may be shown."""
    # Very short "keys" would blank out ordinary letters; those are not real keys anyway.
    if secret and len(secret) >= 6:
        text = text.replace(secret, "[redacted]")
    return text
