"""Issue 15 item 16: operator commands read only the settings they use, and every `flask`
command stops with one line (exit status 1) on a bad setting, as the service does."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from refinery import cli
from refinery.config import load_config
from tests.conftest import ROOT, service_environment

# Outside development: a missing JWT_SECRET or ENCRYPTION_KEY stops the service.
PRODUCTION = {"REFINERY_ENV": "production"}


def _flask(*args: str, **environ: str) -> subprocess.CompletedProcess:
    """Run `flask --app refinery <args>` with only these settings in the environment."""
    env = {"PATH": os.environ.get("PATH", ""), **environ}
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "refinery", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def _one_line_error(result: subprocess.CompletedProcess, names: str) -> None:
    """Exit status 1, and stderr is one line naming the problem, no traceback."""
    assert result.returncode == 1, (result.stdout, result.stderr)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: ") and names in lines[0], lines


@pytest.mark.parametrize(
    "unrelated",
    [
        {},
        {"JWT_SECRET": "short"},
        {"BCRYPT_ROUNDS": "many", "PORT": "0", "CORS_ORIGINS": "not an origin"},
        {"ENCRYPTION_KEY": "not-a-fernet-key", "RATE_LIMIT_STORAGE_URI": "ftp://x"},
    ],
    ids=["no-secrets", "short-jwt-secret", "bad-service-settings", "bad-key-and-storage"],
)
def test_init_db_needs_only_the_database_settings(clean_db, unrelated):
    result = _flask("init-db", DATABASE_URL=clean_db, **PRODUCTION, **unrelated)
    assert result.returncode == 0, result.stderr
    assert "schema applied" in result.stdout
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("environ", "names"),
    [
        ({}, "DATABASE_URL"),
        ({"DATABASE_URL": "mysql://db/refinery"}, "DATABASE_URL"),
        ({"DATABASE_URL": "postgresql://postgres@127.0.0.1:1/none"}, "database error"),
        ({"DATABASE_URL": "{db}", "REFINERY_ENV": "staging"}, "REFINERY_ENV"),
    ],
    ids=["no-database", "not-postgres", "unreachable", "bad-environment"],
)
def test_init_db_stops_in_one_line_on_a_bad_database_setting(clean_db, environ, names):
    environ = {k: v.format(db=clean_db) for k, v in {**PRODUCTION, **environ}.items()}
    _one_line_error(_flask("init-db", **environ), names)


@pytest.mark.parametrize("command", [["routes"], ["shell"], ["run", "--port", "1"]], ids=str)
def test_commands_that_need_the_whole_service_stop_in_one_line(clean_db, command):
    _one_line_error(_flask(*command, DATABASE_URL=clean_db, **PRODUCTION), "JWT_SECRET")


def test_rotate_keys_names_the_missing_encryption_key(clean_db):
    result = _flask("rotate-keys", DATABASE_URL=clean_db, **PRODUCTION)
    _one_line_error(result, "ENCRYPTION_KEY")


def test_set_plan_needs_only_its_settings(client, auth, clean_db):
    auth.register("org-a")
    result = _flask("set-plan", "org-a", "pro", DATABASE_URL=clean_db, **PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert "org-a: plan pro" in result.stdout
    bad = _flask(
        "set-plan", "org-a", "enterprise", DATABASE_URL=clean_db, ENTERPRISE_MONTHLY_LIMIT="x"
    )
    _one_line_error(bad, "ENTERPRISE_MONTHLY_LIMIT")
    missing = _flask("set-plan", "no-such-org", "pro", DATABASE_URL=clean_db, **PRODUCTION)
    _one_line_error(missing, "no-such-org")


def test_a_valid_configuration_gives_the_whole_app(clean_db):
    result = _flask("routes", **service_environment(clean_db))
    assert result.returncode == 0, result.stderr
    assert "/api/optimize" in result.stdout


def test_only_reads_the_named_settings_and_writes_no_secret(tmp_path):
    environ = {"REFINERY_ENV": "development", "DATABASE_URL": "postgresql://h/db"}
    config = load_config(environ, instance_path=tmp_path, only=cli._DATABASE)
    assert config.database_url == "postgresql://h/db"
    assert config.jwt_secret is None and config.encryption_keys is None
    assert list(tmp_path.iterdir()) == [], "no development secret made for a migration"


def test_the_service_itself_still_fails_fast(clean_db):
    result = subprocess.run(
        [sys.executable, "-c", "import wsgi"],
        cwd=ROOT,
        env={"PATH": os.environ.get("PATH", ""), "DATABASE_URL": clean_db, **PRODUCTION},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "configuration error: JWT_SECRET: required outside development (at least 32 random bytes)"
    ]
