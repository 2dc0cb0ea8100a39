"""Operator commands: `flask --app refinery init-db`, `rotate-keys`, `set-plan`, `sweep`,
`worker`.

Each reads only the settings it uses, so a migration needs the database's settings and no
more; a bad setting or an unreachable database is one line (`Error: …`) and exit status 1.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import click
import psycopg2
from flask import Flask, current_app
from flask.cli import ScriptInfo

from refinery import audit, db
from refinery.config import Config, ConfigError, load_config
from refinery.crypto import reencrypt_secret
from refinery.pipeline import stale_after
from refinery.queries import optimizations, organizations, provider_configs, webhooks
from refinery.schema import apply_schema
from refinery.worker import Worker

# What each command reads, with the settings its parsers read first (env for the secrets).
_DATABASE = ("env", "database_url", "app_database_password")
_ENCRYPTION = (*_DATABASE, "encryption_keys")
_PLANS = (*_DATABASE, "enterprise_monthly_limit")
_SWEEP = (
    *_DATABASE,
    "provider_timeout",
    "provider_max_retries",
    "provider_max_wait",
    "db_pool_timeout",
    "db_connect_timeout",
    "db_statement_timeout_ms",
)


def loaded_by_flask_command() -> bool:
    """Whether the `flask` command line is loading the app (its ScriptInfo is in context)."""
    ctx = click.get_current_context(silent=True)
    return ctx is not None and ctx.find_object(ScriptInfo) is not None


def command_app(error: ConfigError) -> Flask:
    """What `flask --app refinery` gets when the service's settings do not all load.

    Only the operator commands, each reading just its own settings. A command that needs
    the whole service (flask routes, run, shell) stops with one line naming the setting.
    """
    if not isinstance(click.get_current_context().command, click.Group):
        raise click.ClickException(f"configuration error: {error}")
    app = Flask("refinery")
    register(app)
    return app


def _settings(only: tuple[str, ...]) -> Config:
    """The app's settings, or when the service's did not load, just `only` (one-line error)."""
    config = current_app.config.get("REFINERY")
    if config is not None:
        return config
    try:
        return load_config(only=only)
    except ConfigError as error:
        raise click.ClickException(f"configuration error: {error}") from None


def _one_line_errors(command: Callable) -> Callable:
    """An unreachable or refusing database is one line and exit status 1, not a traceback."""

    @functools.wraps(command)
    def run(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except psycopg2.OperationalError as error:
            reason = (str(error).strip().splitlines() or ["no reason given"])[0]
            raise click.ClickException(f"database error: {reason}") from None

    return run


def register(app: Flask) -> None:
    """Attach the CLI commands to the app."""

    @app.cli.command("init-db")
    @_one_line_errors
    def init_db() -> None:
        """Apply sql/schema.sql and any pending sql/updates/."""
        config = _settings(_DATABASE)
        ran = apply_schema(config.database_url, config.app_database_password)
        click.echo(f"schema applied; updates run: {', '.join(ran) if ran else 'none'}")

    @app.cli.command("worker")
    @click.option(
        "--parent-pid",
        type=int,
        help="Stop when this process is no longer the parent (./setup.sh serve passes $$).",
    )
    @_one_line_errors
    def worker(parent_pid: int | None) -> None:
        """Process batch items until SIGTERM (run any number, on any number of machines)."""
        config = current_app.config.get("REFINERY")
        if config is None:  # the service's settings did not load: say which, in one line
            try:
                config = load_config()
            except ConfigError as error:
                raise click.ClickException(f"configuration error: {error}") from None
        process = Worker(config, parent_pid=parent_pid)
        process.install_signal_handlers()
        process.run()

    @app.cli.command("rotate-keys")
    @_one_line_errors
    def rotate_keys() -> None:
        """Re-encrypt every stored provider key under the first ENCRYPTION_KEY."""
        config = _settings(_ENCRYPTION)
        keys = config.encryption_keys
        with db.owner_connection(config.database_url) as conn:
            rows = provider_configs.all_encrypted(conn)
            for row in rows:
                token = reencrypt_secret(keys, row["api_key_encrypted"])
                provider_configs.set_encrypted(conn, row["id"], token)
            endpoints = webhooks.all_secrets(conn)
            for row in endpoints:
                previous = row["previous_secret_encrypted"]
                webhooks.set_secrets(
                    conn,
                    row["id"],
                    reencrypt_secret(keys, row["secret_encrypted"]),
                    previous and reencrypt_secret(keys, previous),
                )
        click.echo(
            f"re-encrypted {len(rows)} provider key(s) and {len(endpoints)} webhook "
            "secret(s) under the first key"
        )

    @app.cli.command("set-plan")
    @click.argument("slug")
    @click.argument("plan", type=click.Choice(["free", "pro", "enterprise"]))
    @click.option("--limit", type=click.IntRange(0, 2_000_000_000), help="Monthly requests.")
    @_one_line_errors
    def set_plan(slug: str, plan: str, limit: int | None) -> None:
        """Move an organization to a plan (enterprise: --limit, else ENTERPRISE_MONTHLY_LIMIT)."""
        config = _settings(_PLANS)
        if limit is None:
            limit = organizations.PLAN_LIMITS.get(plan, config.enterprise_monthly_limit)
        elif plan != "enterprise":
            raise click.UsageError("--limit applies to the enterprise plan only")
        with db.owner_connection(config.database_url) as conn:
            row = organizations.set_plan(conn, slug, plan, limit)
            if row is None:
                raise click.ClickException(f"no organization with slug {slug!r}")
            audit.record(
                conn,
                "plan.changed",
                client_ip=None,
                organization_id=row["organization_id"],
                actor={"email": "operator"},
                details={"plan": plan, "limit": limit},
            )
        click.echo(f"{slug}: plan {plan}, {limit} requests a month")

    @app.cli.command("sweep")
    @_one_line_errors
    def sweep() -> None:
        """Fail and refund every organization's abandoned provider calls (pending records)."""
        config = _settings(_SWEEP)
        older_than = stale_after(config)
        with db.owner_connection(config.database_url) as conn:
            settled = optimizations.settle_stale(conn, None, older_than)
        click.echo(
            f"settled {settled} pending record(s) older than {older_than:g} s as failed "
            "and refunded their requests"
        )
