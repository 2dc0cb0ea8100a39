"""Settings read from the environment and validated once, at start-up."""

from __future__ import annotations

import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit

ENVIRONMENTS = ("development", "production", "test")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
_DURATION = re.compile(r"^\s*(\d+)\s*([smhd]?)\s*$")
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


class ConfigError(Exception):
    """A setting is missing or malformed; the message names the variable."""


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
    # USD per million input tokens, by model; and which model each strategy's savings are
    # priced at (GPT → OpenAI's model, CLAUDE → Anthropic's, DEEPSEEK → DeepSeek's,
    # UNIVERSAL and LEGAL → SAVINGS_PRICE_MODEL).
    rate_limit_storage_uri: str
    rate_limits_enabled: bool
    rate_limit_per_organization: str
    rate_limit_per_api_key: str
    rate_limit_registration: str
    model_input_prices: tuple[tuple[str, float], ...]
    strategy_price_models: tuple[tuple[str, str], ...]

    def provider(self, name: str) -> ProviderSettings:
        """The service-wide settings of one LLM provider."""
        return next(p for p in self.providers if p.name == name)


def _as_app_role(database_url: str, password: str | None) -> str:
    """DATABASE_URL with its user replaced by refinery_app (and its password, if any)."""
    parts = urlsplit(database_url)
    host = parts.netloc.rpartition("@")[2]
    user = "refinery_app" + (f":{quote(password, safe='')}" if password else "")
    return parts._replace(netloc=f"{user}@{host}").geturl()


def _duration(name: str, raw: str) -> int:
    """Parse '90', '15m', '24h' or '7d' into seconds."""
    match = _DURATION.match(raw)
    if not match or int(match.group(1)) <= 0:
        raise ConfigError(
            f"{name}: expected a positive duration like 900, 15m, 24h or 7d, got {raw!r}"
        )
    return int(match.group(1)) * _UNIT_SECONDS[match.group(2)]


def _ranged(name: str, raw: str, low: float, high: float, kind: type = int):
    """Parse a whole (kind=int) or decimal (kind=float) number within [low, high]."""
    try:
        value = kind(raw)
    except ValueError:
        expected = "a whole number" if kind is int else "a number"
        raise ConfigError(f"{name}: expected {expected}, got {raw!r}") from None
    if not low <= value <= high:
        raise ConfigError(f"{name}: expected a number from {low} to {high}, got {value}")
    return value


def _integer(name: str, raw: str, low: int, high: int) -> int:
    """Parse an integer within [low, high]."""
    return _ranged(name, raw, low, high, int)


def _number(name: str, raw: str, low: float, high: float) -> float:
    """Parse a decimal number within [low, high]."""
    return _ranged(name, raw, low, high, float)


def _boolean(name: str, raw: str) -> bool:
    """Parse true/false, 1/0, yes/no, on/off."""
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off", ""):
        return False
    raise ConfigError(f"{name}: expected true or false, got {raw!r}")


def _jwt_secret(env: str, raw: str | None, instance_path: Path) -> str:
    """Return the signing secret; development may keep a generated one in instance/."""
    if raw:
        if env != "development" and len(raw.encode()) < 32:
            raise ConfigError("JWT_SECRET: must be at least 32 bytes outside development")
        return raw
    if env != "development":
        raise ConfigError("JWT_SECRET: required outside development (at least 32 random bytes)")
    return _instance_secret(instance_path / "jwt_secret")


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


def _encryption_keys(env: str, raw: str, instance_path: Path) -> tuple[str, ...]:
    """Fernet keys, first one encrypts; development may keep a generated one in instance/."""
    from cryptography.fernet import Fernet

    if not raw:
        if env != "development":
            raise ConfigError(
                "ENCRYPTION_KEY: required outside development (a Fernet key; make one with "
                "python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key()"
                ".decode())')"
            )
        raw = _instance_secret(instance_path / "encryption_key", Fernet.generate_key().decode())
    keys = tuple(k.strip() for k in raw.split(",") if k.strip())
    for key in keys:
        try:
            Fernet(key)
        except ValueError:
            raise ConfigError(
                "ENCRYPTION_KEY: each comma-separated key must be 32 url-safe base64-encoded bytes"
            ) from None
    return keys


def _providers(get) -> tuple[ProviderSettings, ...]:
    """Base URL, model and fallback key of each provider, defaults from the clients."""
    from refinery.llm import DEFAULTS

    settings = []
    for name, default in DEFAULTS.items():
        prefix = name.upper()
        base_url = get(f"{prefix}_BASE_URL", default.base_url).rstrip("/")
        if not re.match(r"^https?://[^\s/]+", base_url):
            raise ConfigError(f"{prefix}_BASE_URL: expected an http(s) URL, got {base_url!r}")
        api_key = get(f"{prefix}_API_KEY", "") or None
        settings.append(
            ProviderSettings(name, base_url, get(f"{prefix}_MODEL", default.model), api_key)
        )
    return tuple(settings)


DEFAULT_PRICES = (
    "gpt-5.4-mini=0.75,gpt-5.4-nano=0.20,claude-haiku-4-5=1.00,"
    "deepseek-v4-flash=0.14,gemini-3.5-flash-lite=0.10"
)


def _rate(name: str, raw: str) -> str:
    """A rate like '600/minute' or '10 per hour', as Flask-Limiter reads it."""
    from limits import parse_many

    try:
        parse_many(raw)
    except ValueError:
        raise ConfigError(f"{name}: expected a rate like 600/minute, got {raw!r}") from None
    return raw


def _storage_uri(raw: str) -> str:
    """Where the rate-limit counters live: memory:// or redis://…"""
    if not raw.startswith(("memory://", "redis://", "rediss://", "redis+sentinel://")):
        raise ConfigError(f"RATE_LIMIT_STORAGE_URI: expected memory:// or redis://…, got {raw!r}")
    return raw


def _prices(raw: str) -> tuple[tuple[str, float], ...]:
    """Parse 'model=usd_per_million,…'."""
    prices = []
    for item in raw.split(","):
        model, _, price = item.strip().partition("=")
        try:
            value = float(price)
        except ValueError:
            value = -1.0
        if not model or value < 0:
            raise ConfigError(
                f"MODEL_INPUT_PRICES: expected model=USD per million input tokens, got {item!r}"
            )
        prices.append((model.strip(), value))
    return tuple(prices)


def _strategy_price_models(
    providers: tuple[ProviderSettings, ...], reference: str, prices: tuple[tuple[str, float], ...]
) -> tuple[tuple[str, str], ...]:
    """The model whose input price values each strategy's saved tokens."""
    by_provider = {p.name: p.model for p in providers}
    mapping = (
        ("UNIVERSAL", reference),
        ("GPT", by_provider["openai"]),
        ("CLAUDE", by_provider["anthropic"]),
        ("DEEPSEEK", by_provider["deepseek"]),
        ("LEGAL", reference),
    )
    known = {model for model, _ in prices}
    for _, model in mapping:
        if model not in known:
            raise ConfigError(f"MODEL_INPUT_PRICES: no price for model {model!r}")
    return mapping


def load_config(environ: dict[str, str] | None = None, instance_path: Path | None = None) -> Config:
    """Read and validate every setting; raise ConfigError naming the first bad one."""
    env_vars = dict(os.environ if environ is None else environ)
    instance = instance_path or Path(__file__).resolve().parent.parent / "instance"

    def get(name: str, default: str) -> str:
        return env_vars.get(name, default).strip() or default

    env = get("REFINERY_ENV", "production").lower()
    if env not in ENVIRONMENTS:
        raise ConfigError(f"REFINERY_ENV: expected one of {', '.join(ENVIRONMENTS)}, got {env!r}")
    database_url = env_vars.get("DATABASE_URL", "").strip()
    if not database_url:
        raise ConfigError(
            "DATABASE_URL: required (./setup.sh starts an embedded PostgreSQL when it is unset)"
        )
    if not database_url.startswith(("postgresql://", "postgres://")):
        raise ConfigError("DATABASE_URL: expected a postgresql:// URL")
    log_level = get("LOG_LEVEL", "INFO").upper()
    if log_level not in LOG_LEVELS:
        raise ConfigError(f"LOG_LEVEL: expected one of {', '.join(LOG_LEVELS)}, got {log_level!r}")
    origins = tuple(o.strip() for o in get("CORS_ORIGINS", "").split(",") if o.strip())
    for origin in origins:
        if origin != "*" and not re.match(r"^https?://[^/\s]+$", origin):
            raise ConfigError(
                f"CORS_ORIGINS: {origin!r} is not an origin like https://app.example.com"
            )

    providers = _providers(get)
    prices = _prices(get("MODEL_INPUT_PRICES", DEFAULT_PRICES))
    app_password = env_vars.get("APP_DATABASE_PASSWORD", "").strip() or None
    app_database_url = env_vars.get("APP_DATABASE_URL", "").strip() or _as_app_role(
        database_url, app_password
    )
    if not app_database_url.startswith(("postgresql://", "postgres://")):
        raise ConfigError("APP_DATABASE_URL: expected a postgresql:// URL")
    return Config(
        env=env,
        database_url=database_url,
        app_database_url=app_database_url,
        app_database_password=app_password,
        jwt_secret=_jwt_secret(env, env_vars.get("JWT_SECRET", "").strip() or None, instance),
        jwt_expiry=_duration("JWT_EXPIRY", get("JWT_EXPIRY", "24h")),
        jwt_refresh_expiry=_duration("JWT_REFRESH_EXPIRY", get("JWT_REFRESH_EXPIRY", "7d")),
        bcrypt_rounds=_integer("BCRYPT_ROUNDS", get("BCRYPT_ROUNDS", "12"), 4, 31),
        cors_origins=origins,
        force_https=_boolean("FORCE_HTTPS", get("FORCE_HTTPS", "false")),
        port=_integer("PORT", get("PORT", "5000"), 1, 65535),
        log_level=log_level,
        max_body_bytes=_integer("MAX_BODY_BYTES", get("MAX_BODY_BYTES", "1048576"), 1024, 1 << 30),
        proxy_count=_integer("PROXY_COUNT", get("PROXY_COUNT", "0"), 0, 10),
        db_pool_max=_integer("DB_POOL_MAX", get("DB_POOL_MAX", "10"), 1, 1000),
        db_pool_timeout=_number("DB_POOL_TIMEOUT", get("DB_POOL_TIMEOUT", "5"), 0.0, 300.0),
        db_connect_timeout=_integer("DB_CONNECT_TIMEOUT", get("DB_CONNECT_TIMEOUT", "5"), 1, 300),
        db_statement_timeout_ms=_integer(
            "DB_STATEMENT_TIMEOUT_MS", get("DB_STATEMENT_TIMEOUT_MS", "15000"), 0, 3_600_000
        ),
        login_window=_duration("LOGIN_THROTTLE_WINDOW", get("LOGIN_THROTTLE_WINDOW", "15m")),
        login_max_per_account=_integer(
            "LOGIN_MAX_FAILURES_PER_ACCOUNT", get("LOGIN_MAX_FAILURES_PER_ACCOUNT", "5"), 1, 10_000
        ),
        login_max_per_client=_integer(
            "LOGIN_MAX_FAILURES_PER_CLIENT", get("LOGIN_MAX_FAILURES_PER_CLIENT", "20"), 1, 100_000
        ),
        max_text_chars=_integer("MAX_TEXT_CHARS", get("MAX_TEXT_CHARS", "100000"), 1, 10_000_000),
        enterprise_monthly_limit=_integer(
            "ENTERPRISE_MONTHLY_LIMIT", get("ENTERPRISE_MONTHLY_LIMIT", "100000"), 0, 2_000_000_000
        ),
        encryption_keys=_encryption_keys(env, env_vars.get("ENCRYPTION_KEY", "").strip(), instance),
        providers=providers,
        provider_timeout=_number("PROVIDER_TIMEOUT", get("PROVIDER_TIMEOUT", "30"), 0.1, 600.0),
        provider_max_retries=_integer(
            "PROVIDER_MAX_RETRIES", get("PROVIDER_MAX_RETRIES", "2"), 0, 2
        ),
        provider_backoff=_number(
            "PROVIDER_RETRY_BACKOFF", get("PROVIDER_RETRY_BACKOFF", "0.5"), 0.0, 60.0
        ),
        provider_max_wait=_number(
            "PROVIDER_MAX_RETRY_WAIT", get("PROVIDER_MAX_RETRY_WAIT", "10"), 0.0, 600.0
        ),
        allow_private_provider_endpoints=_boolean(
            "ALLOW_PRIVATE_PROVIDER_ENDPOINTS", get("ALLOW_PRIVATE_PROVIDER_ENDPOINTS", "false")
        ),
        rate_limit_storage_uri=_storage_uri(get("RATE_LIMIT_STORAGE_URI", "memory://")),
        rate_limits_enabled=_boolean("RATE_LIMITS_ENABLED", get("RATE_LIMITS_ENABLED", "true")),
        rate_limit_per_organization=_rate(
            "RATE_LIMIT_PER_ORGANIZATION", get("RATE_LIMIT_PER_ORGANIZATION", "1200/minute")
        ),
        rate_limit_per_api_key=_rate(
            "RATE_LIMIT_PER_API_KEY", get("RATE_LIMIT_PER_API_KEY", "600/minute")
        ),
        rate_limit_registration=_rate(
            "RATE_LIMIT_REGISTRATION", get("RATE_LIMIT_REGISTRATION", "10/hour")
        ),
        model_input_prices=prices,
        strategy_price_models=_strategy_price_models(
            providers, get("SAVINGS_PRICE_MODEL", "gpt-5.4-mini"), prices
        ),
    )
