"""LLM provider clients: OpenAI, Anthropic, DeepSeek and Gemini over their own wire formats."""

from .endpoint import Endpoint, validate_endpoint, vet_endpoint
from .errors import (
    ProviderAuthError,
    ProviderError,
    ProviderQuotaExhausted,
    ProviderRateLimited,
    ProviderTimeout,
    ProviderUnavailable,
)
from .refine import (
    DEFAULTS,
    PROVIDERS,
    ProviderDefaults,
    RemoteRefinement,
    longest_call,
    refine_remote,
)
from .transport import new_session, thread_session

__all__ = [
    "DEFAULTS",
    "PROVIDERS",
    "Endpoint",
    "ProviderAuthError",
    "ProviderDefaults",
    "ProviderError",
    "ProviderQuotaExhausted",
    "ProviderRateLimited",
    "ProviderTimeout",
    "ProviderUnavailable",
    "RemoteRefinement",
    "longest_call",
    "new_session",
    "refine_remote",
    "thread_session",
    "validate_endpoint",
    "vet_endpoint",
]
