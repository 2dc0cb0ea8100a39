"""Operator commands: `flask --app refinery init-db`."""

from __future__ import annotations

import click
from flask import Flask, current_app

from refinery.schema import apply_schema


def register(app: Flask) -> None:
    """Attach the CLI commands to the app."""

    @app.cli.command("init-db")
    def init_db() -> None:
        """Apply sql/schema.sql and any pending sql/updates/."""
        ran = apply_schema(current_app.config["REFINERY"].database_url)
        click.echo(f"schema applied; updates run: {', '.join(ran) if ran else 'none'}")
