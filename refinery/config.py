"""Settings read from the environment and validated once, at start-up.

SETTINGS names each variable once, with its default and the parser that checks it.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Callable, Collection
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from refinery import pricing

ENVIRONMENTS = ("development", "production", "test")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
LOG_FORMATS = ("text", "json")
# The origins a local frontend's dev server runs on (Vite, then Create React App / Next.js).
DEVELOPMENT_ORIGINS = (
    "http://localhost:5173",
    "http://127.0.0.1:5173",
    "http://localhost:3000",
    "http://127.0.0.1:3000",
)
_DURATION = re.compile(r"^\s*(\d+)\s*([smhd]?)\s*$")
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}
_POSTGRES = ("postgresql://", "postgres://")

# A parser takes the variable's text (stripped; the default when unset or blank) and what
# was read before it (fields of Config, and instance_path), and returns the value or
# raises ValueError saying what is wrong; the variable's name is put in front.
Parser = Callable[[str, dict], Any]


class ConfigError(Exception):
    """A setting is missing or malformed; the message names the variable."""


@dataclass(frozen=True)
class Setting:
    """One environment variable: the field it fills, its default and its parser."""

    field: str
    name: str
    default: str
    parse: Parser


@dataclass(frozen=True)
class ProviderSettings:
    """Service-wide defaults for one LLM provider: endpoint, model, fallback key."""

    name: str
    base_url: str
    model: str
    api_key: str | None


@dataclass(frozen=True)
class Config:
    """Every setting the service reads, already parsed and checked."""

    env: str
    database_url: str  # the schema owner: migrations and operator commands
    app_database_url: str  # the service itself, as refinery_app (row-level security applies)
    app_database_password: str | None
    jwt_secret: str
    jwt_expiry: int
    jwt_refresh_expiry: int
    bcrypt_rounds: int
    cors_origins: tuple[str, ...]
    force_https: bool
    port: int
    log_level: str
    log_format: str
    metrics_token: str | None
    max_body_bytes: int
    proxy_count: int
    db_pool_max: int
    db_pool_timeout: float
    db_connect_timeout: int
    db_statement_timeout_ms: int
    login_window: int
    login_max_per_account: int
    login_max_per_client: int
    max_text_chars: int
    enterprise_monthly_limit: int
    encryption_keys: tuple[str, ...]
    providers: tuple[ProviderSettings, ...]
    provider_timeout: float
    provider_max_retries: int
    provider_backoff: float
    provider_max_wait: float
    allow_private_provider_endpoints: bool
    worker_chunk_size: int
    worker_lease_seconds: int
    worker_poll_interval: float
    webhook_timeout: float
    webhook_retry_schedule: tuple[int, ...]
    webhook_rotation_grace: int
    rate_limit_storage_uri: str
    rate_limits_enabled: bool
    rate_limit_per_organization: str
    rate_limit_per_api_key: str
    rate_limit_registration: str
    # USD per million input tokens, by model; and the model each strategy's savings are
    # priced at (refinery/pricing.py).
    model_input_prices: tuple[tuple[str, float], ...]
    strategy_price_models: tuple[tuple[str, str], ...]

    def provider(self, name: str) -> ProviderSettings:
        """The service-wide settings of one LLM provider."""
        return next(p for p in self.providers if p.name == name)


def _one_of(options: tuple[str, ...], normal: Callable[[str], str]) -> Parser:
    """A parser for one of a few words, compared after normal() (lower or upper case)."""

    def parse(raw: str, _got: dict) -> str:
        value = normal(raw)
        if value not in options:
            raise ValueError(f"expected one of {', '.join(options)}, got {value!r}")
        return value

    return parse


def _ranged(low: float, high: float, kind: type = int) -> Parser:
    """A parser for a whole (kind=int) or decimal (kind=float) number within [low, high]."""

    def parse(raw: str, _got: dict) -> float:
        try:
            value = kind(raw)
        except ValueError:
            expected = "a whole number" if kind is int else "a number"
            raise ValueError(f"expected {expected}, got {raw!r}") from None
        if not low <= value <= high:
            raise ValueError(f"expected a number from {low} to {high}, got {value}")
        return value

    return parse


def _integer(low: int, high: int) -> Parser:
    """A parser for an integer within [low, high]."""
    return _ranged(low, high, int)


def _number(low: float, high: float) -> Parser:
    """A parser for a decimal number within [low, high]."""
    return _ranged(low, high, float)


def _duration(raw: str, _got: dict) -> int:
    """Parse '90', '15m', '24h' or '7d' into seconds."""
    match = _DURATION.match(raw)
    if not match or int(match.group(1)) <= 0:
        raise ValueError(f"expected a positive duration like 900, 15m, 24h or 7d, got {raw!r}")
    return int(match.group(1)) * _UNIT_SECONDS[match.group(2)]


def _durations(raw: str, got: dict) -> tuple[int, ...]:
    """A comma-separated list of durations ('5s' is not a unit: plain seconds are)."""
    return tuple(_duration(part.strip(), got) for part in raw.split(",") if part.strip())


def _boolean(raw: str, _got: dict) -> bool:
    """Parse true/false, 1/0, yes/no, on/off."""
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off", ""):
        return False
    raise ValueError(f"expected true or false, got {raw!r}")


def _text(raw: str, _got: dict) -> str:
    """Any text, as given."""
    return raw


def _optional(raw: str, _got: dict) -> str | None:
    """Any text; None when empty."""
    return raw or None


def _database_url(raw: str, _got: dict) -> str:
    """The schema owner's PostgreSQL URL, required."""
    if not raw:
        raise ValueError("required (./setup.sh starts an embedded PostgreSQL when it is unset)")
    if not raw.startswith(_POSTGRES):
        raise ValueError("expected a postgresql:// URL")
    return raw


def _app_database_url(raw: str, got: dict) -> str:
    """The service's URL; by default DATABASE_URL with its user made refinery_app."""
    if not raw:
        parts = urlsplit(got["database_url"])
        host = parts.netloc.rpartition("@")[2]
        password = got["app_database_password"]
        user = "refinery_app" + (f":{quote(password, safe='')}" if password else "")
        raw = parts._replace(netloc=f"{user}@{host}").geturl()
    if not raw.startswith(_POSTGRES):
        raise ValueError("expected a postgresql:// URL")
    return raw


def _origins(raw: str, got: dict) -> tuple[str, ...]:
    """Comma-separated browser origins allowed by CORS ('*' for any, 'none' for none).

    Unset: the usual local frontend origins in development, none elsewhere.
    """
    if not raw:
        return DEVELOPMENT_ORIGINS if got["env"] == "development" else ()
    if raw.lower() == "none":
        return ()
    origins = tuple(o.strip() for o in raw.split(",") if o.strip())
    for origin in origins:
        if origin != "*" and not re.match(r"^https?://[^/\s]+$", origin):
            raise ValueError(f"{origin!r} is not an origin like https://app.example.com")
    return origins


def _log_format(raw: str, got: dict) -> str:
    """text or json; unset: json in production, text elsewhere."""
    if not raw:
        return "json" if got["env"] == "production" else "text"
    return _one_of(LOG_FORMATS, str.lower)(raw, got)


def _metrics_token(raw: str, _got: dict) -> str | None:
    """The bearer token GET /metrics requires; unset: /metrics is off (404)."""
    if raw and len(raw.encode()) < 16:
        raise ValueError("must be at least 16 bytes (or unset, which turns /metrics off)")
    return raw or None


def _instance_secret(path: Path, value: str | None = None) -> str:
    """Create the secret file once (O_EXCL, so every worker reads the same) and read it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(value or secrets.token_urlsafe(48))
    return path.read_text().strip()


def _jwt_secret(raw: str, got: dict) -> str:
    """The signing secret; development may keep a generated one in instance/."""
    if raw:
        if got["env"] != "development" and len(raw.encode()) < 32:
            raise ValueError("must be at least 32 bytes outside development")
        return raw
    if got["env"] != "development":
        raise ValueError("required outside development (at least 32 random bytes)")
    return _instance_secret(got["instance_path"] / "jwt_secret")


def _encryption_keys(raw: str, got: dict) -> tuple[str, ...]:
    """Fernet keys, first one encrypts; development may keep a generated one in instance/."""
    from cryptography.fernet import Fernet

    if not raw:
        if got["env"] != "development":
            raise ValueError(
                "required outside development (a Fernet key; make one with "
                "python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key()"
                ".decode())')"
            )
        raw = _instance_secret(
            got["instance_path"] / "encryption_key", Fernet.generate_key().decode()
        )
    keys = tuple(k.strip() for k in raw.split(",") if k.strip())
    for key in keys:
        try:
            Fernet(key)
        except ValueError:
            raise ValueError(
                "each comma-separated key must be 32 url-safe base64-encoded bytes"
            ) from None
    return keys


def _http_url(raw: str, _got: dict) -> str:
    """An http(s) base URL, without a trailing slash."""
    url = raw.rstrip("/")
    if not re.match(r"^https?://[^\s/]+", url):
        raise ValueError(f"expected an http(s) URL, got {url!r}")
    return url


def _rate(raw: str, _got: dict) -> str:
    """A rate like '600/minute' or '10 per hour', as Flask-Limiter reads it."""
    from limits import parse_many

    try:
        parse_many(raw)
    except ValueError:
        raise ValueError(f"expected a rate like 600/minute, got {raw!r}") from None
    return raw


def _storage_uri(raw: str, _got: dict) -> str:
    """Where the rate-limit counters live: memory:// or redis://…"""
    if not raw.startswith(("memory://", "redis://", "rediss://", "redis+sentinel://")):
        raise ValueError(f"expected memory:// or redis://…, got {raw!r}")
    return raw


def _strategy_price_models(raw: str, got: dict) -> tuple[tuple[str, str], ...]:
    """The model each strategy's savings are priced at; raw is the reference model."""
    return pricing.strategy_models({p.name: p.model for p in got["providers"]}, raw)


def _prices(raw: str, got: dict) -> tuple[tuple[str, float], ...]:
    """The price table, with a price for every model a strategy is priced at."""
    return pricing.parse_prices(raw, got["strategy_price_models"])


# In the order they are checked: a parser may use any field above it.
SETTINGS = (
    Setting("env", "REFINERY_ENV", "production", _one_of(ENVIRONMENTS, str.lower)),
    Setting("database_url", "DATABASE_URL", "", _database_url),
    Setting("log_level", "LOG_LEVEL", "INFO", _one_of(LOG_LEVELS, str.upper)),
    Setting("log_format", "LOG_FORMAT", "", _log_format),
    Setting("metrics_token", "METRICS_TOKEN", "", _metrics_token),
    Setting("cors_origins", "CORS_ORIGINS", "", _origins),
    Setting("app_database_password", "APP_DATABASE_PASSWORD", "", _optional),
    Setting("app_database_url", "APP_DATABASE_URL", "", _app_database_url),
    Setting("jwt_secret", "JWT_SECRET", "", _jwt_secret),
    Setting("jwt_expiry", "JWT_EXPIRY", "24h", _duration),
    Setting("jwt_refresh_expiry", "JWT_REFRESH_EXPIRY", "7d", _duration),
    Setting("bcrypt_rounds", "BCRYPT_ROUNDS", "12", _integer(4, 31)),
    Setting("force_https", "FORCE_HTTPS", "false", _boolean),
    Setting("port", "PORT", "5000", _integer(1, 65535)),
    Setting("max_body_bytes", "MAX_BODY_BYTES", "1048576", _integer(1024, 1 << 30)),
    Setting("proxy_count", "PROXY_COUNT", "0", _integer(0, 10)),
    Setting("db_pool_max", "DB_POOL_MAX", "10", _integer(1, 1000)),
    Setting("db_pool_timeout", "DB_POOL_TIMEOUT", "5", _number(0.0, 300.0)),
    Setting("db_connect_timeout", "DB_CONNECT_TIMEOUT", "5", _integer(1, 300)),
    Setting("db_statement_timeout_ms", "DB_STATEMENT_TIMEOUT_MS", "15000", _integer(0, 3_600_000)),
    Setting("login_window", "LOGIN_THROTTLE_WINDOW", "15m", _duration),
    Setting("login_max_per_account", "LOGIN_MAX_FAILURES_PER_ACCOUNT", "5", _integer(1, 10_000)),
    Setting("login_max_per_client", "LOGIN_MAX_FAILURES_PER_CLIENT", "20", _integer(1, 100_000)),
    Setting("max_text_chars", "MAX_TEXT_CHARS", "100000", _integer(1, 10_000_000)),
    Setting(
        "enterprise_monthly_limit",
        "ENTERPRISE_MONTHLY_LIMIT",
        "100000",
        _integer(0, 2_000_000_000),
    ),
    Setting("encryption_keys", "ENCRYPTION_KEY", "", _encryption_keys),
    Setting("provider_timeout", "PROVIDER_TIMEOUT", "30", _number(0.1, 600.0)),
    Setting("provider_max_retries", "PROVIDER_MAX_RETRIES", "2", _integer(0, 2)),
    Setting("provider_backoff", "PROVIDER_RETRY_BACKOFF", "0.5", _number(0.0, 60.0)),
    Setting("provider_max_wait", "PROVIDER_MAX_RETRY_WAIT", "10", _number(0.0, 600.0)),
    Setting(
        "allow_private_provider_endpoints", "ALLOW_PRIVATE_PROVIDER_ENDPOINTS", "false", _boolean
    ),
    Setting("worker_chunk_size", "WORKER_CHUNK_SIZE", "10", _integer(1, 1000)),
    Setting("worker_lease_seconds", "WORKER_LEASE_SECONDS", "60", _integer(5, 86_400)),
    Setting("worker_poll_interval", "WORKER_POLL_INTERVAL", "1", _number(0.01, 60.0)),
    Setting("webhook_timeout", "WEBHOOK_TIMEOUT", "10", _number(0.1, 120.0)),
    Setting(
        "webhook_retry_schedule",
        "WEBHOOK_RETRY_SCHEDULE",
        "5,5m,30m,2h,5h,10h,14h,20h,20h",
        _durations,
    ),
    Setting("webhook_rotation_grace", "WEBHOOK_ROTATION_GRACE", "24h", _duration),
    Setting("rate_limit_storage_uri", "RATE_LIMIT_STORAGE_URI", "memory://", _storage_uri),
    Setting("rate_limits_enabled", "RATE_LIMITS_ENABLED", "true", _boolean),
    Setting("rate_limit_per_organization", "RATE_LIMIT_PER_ORGANIZATION", "1200/minute", _rate),
    Setting("rate_limit_per_api_key", "RATE_LIMIT_PER_API_KEY", "600/minute", _rate),
    Setting("rate_limit_registration", "RATE_LIMIT_REGISTRATION", "10/hour", _rate),
    Setting(
        "strategy_price_models",
        "SAVINGS_PRICE_MODEL",
        pricing.DEFAULT_REFERENCE_MODEL,
        _strategy_price_models,
    ),
    Setting("model_input_prices", "MODEL_INPUT_PRICES", pricing.DEFAULT_PRICES, _prices),
)

# Each provider's variables, named <PROVIDER>_<suffix> (OPENAI_BASE_URL, GEMINI_MODEL, …);
# the default of base_url and model comes from the provider's client.
PROVIDER_SETTINGS = (
    Setting("base_url", "BASE_URL", "", _http_url),
    Setting("model", "MODEL", "", _text),
    Setting("api_key", "API_KEY", "", _optional),
)


def _read(environ: dict[str, str], setting: Setting, name: str, default: str, got: dict):
    """One variable, parsed; ConfigError naming it when its value is bad."""
    raw = (environ.get(name) or "").strip() or default
    try:
        return setting.parse(raw, got)
    except ValueError as error:
        raise ConfigError(f"{name}: {error}") from None


def _providers(environ: dict[str, str], got: dict) -> tuple[ProviderSettings, ...]:
    """Base URL, model and fallback key of each provider, defaults from the clients."""
    from refinery.llm import DEFAULTS

    providers = []
    for provider, defaults in DEFAULTS.items():
        values = {}
        for setting in PROVIDER_SETTINGS:
            name = f"{provider.upper()}_{setting.name}"
            default = getattr(defaults, setting.field, setting.default)
            values[setting.field] = _read(environ, setting, name, default, got)
        providers.append(ProviderSettings(provider, **values))
    return tuple(providers)


def load_config(
    environ: dict[str, str] | None = None,
    instance_path: Path | None = None,
    only: Collection[str] | None = None,
) -> Config:
    """Read and validate every setting; raise ConfigError naming the first bad one.

    With `only` (field names, with any field their parsers read), just those settings are
    read and the others are None: an operator command checks what it uses and no more.
    """
    environ = dict(os.environ if environ is None else environ)
    got: dict = {
        "instance_path": instance_path or Path(__file__).resolve().parent.parent / "instance"
    }
    if only is None or "providers" in only:
        got["providers"] = _providers(environ, got)
    for setting in SETTINGS:
        if only is None or setting.field in only:
            got[setting.field] = _read(environ, setting, setting.name, setting.default, got)
    return Config(**{field.name: got.get(field.name) for field in fields(Config)})
