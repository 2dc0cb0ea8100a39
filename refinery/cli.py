"""Operator commands: `flask --app refinery init-db`, `worker`, …."""

from __future__ import annotations

import click
from flask import Flask, current_app

from refinery import audit, db
from refinery.crypto import reencrypt_secret
from refinery.queries import organizations, provider_configs, webhooks
from refinery.schema import apply_schema
from refinery.worker import Worker


def register(app: Flask) -> None:
    """Attach the CLI commands to the app."""

    @app.cli.command("init-db")
    def init_db() -> None:
        """Apply sql/schema.sql and any pending sql/updates/."""
        config = current_app.config["REFINERY"]
        ran = apply_schema(config.database_url, config.app_database_password)
        click.echo(f"schema applied; updates run: {', '.join(ran) if ran else 'none'}")

    @app.cli.command("worker")
    @click.option(
        "--parent-pid",
        type=int,
        help="Stop when this process is no longer the parent (./setup.sh serve passes $$).",
    )
    def worker(parent_pid: int | None) -> None:
        """Process batch items until SIGTERM (run any number, on any number of machines)."""
        process = Worker(current_app.config["REFINERY"], parent_pid=parent_pid)
        process.install_signal_handlers()
        process.run()

    @app.cli.command("rotate-keys")
    def rotate_keys() -> None:
        """Re-encrypt every stored provider key under the first ENCRYPTION_KEY."""
        keys = current_app.config["REFINERY"].encryption_keys
        with db.owner_connection(current_app.config["REFINERY"].database_url) as conn:
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
    def set_plan(slug: str, plan: str, limit: int | None) -> None:
        """Move an organization to a plan (enterprise: --limit, else ENTERPRISE_MONTHLY_LIMIT)."""
        config = current_app.config["REFINERY"]
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
