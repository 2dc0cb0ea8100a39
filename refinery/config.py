"""Settings read from the environment and validated once, at start-up."""

from __future__ import annotations

import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

ENVIRONMENTS = ("development", "production", "test")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
_DURATION = re.compile(r"^\s*(\d+)\s*([smhd]?)\s*$")
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


class ConfigError(Exception):
    """A setting is missing or malformed; the message names the variable."""


@dataclass(frozen=True)
class Config:
    """Every setting the service reads, already parsed and checked."""

    env: str
    database_url: str
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


def _duration(name: str, raw: str) -> int:
    """Parse '90', '15m', '24h' or '7d' into seconds."""
    match = _DURATION.match(raw)
    if not match or int(match.group(1)) <= 0:
        raise ConfigError(
            f"{name}: expected a positive duration like 900, 15m, 24h or 7d, got {raw!r}"
        )
    return int(match.group(1)) * _UNIT_SECONDS[match.group(2)]


def _integer(name: str, raw: str, low: int, high: int) -> int:
    """Parse an integer within [low, high]."""
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name}: expected a whole number, got {raw!r}") from None
    if not low <= value <= high:
        raise ConfigError(f"{name}: expected a number from {low} to {high}, got {value}")
    return value


def _number(name: str, raw: str, low: float, high: float) -> float:
    """Parse a decimal number within [low, high]."""
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name}: expected a number, got {raw!r}") from None
    if not low <= value <= high:
        raise ConfigError(f"{name}: expected a number from {low} to {high}, got {value}")
    return value


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


def _instance_secret(path: Path) -> str:
    """Create the secret file once (O_EXCL, so every worker reads the same) and read it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


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

    return Config(
        env=env,
        database_url=database_url,
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
    )
