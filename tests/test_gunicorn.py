"""gunicorn fails fast: a configuration error stops the master with one line, no workers."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from tests.conftest import ENCRYPTION_KEY, GUNICORN_COMMAND, JWT_SECRET, ROOT, _free_port

# Settings every case shares; each case then breaks one.
_BASE = {
    "REFINERY_ENV": "production",
    "DATABASE_URL": "postgresql://postgres@127.0.0.1:1/none",
    "JWT_SECRET": JWT_SECRET,
    "ENCRYPTION_KEY": ENCRYPTION_KEY,
}


@pytest.mark.parametrize(
    ("broken", "line"),
    [
        (
            {"JWT_SECRET": None},
            "configuration error: JWT_SECRET: required outside development "
            "(at least 32 random bytes)",
        ),
        (
            {"BCRYPT_ROUNDS": "99"},
            "configuration error: BCRYPT_ROUNDS: expected a number from 4 to 31, got 99",
        ),
    ],
)
def test_bad_configuration_stops_the_master_with_one_line(broken, line):
    env = {k: v for k, v in os.environ.items() if k not in _BASE and k != "BCRYPT_ROUNDS"}
    env.update({k: v for k, v in {**_BASE, **broken}.items() if v is not None})
    env["BIND"] = f"127.0.0.1:{_free_port()}"
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", *GUNICORN_COMMAND],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 1
    assert result.stderr.splitlines() == [line]  # no "Starting gunicorn", no worker booted
    assert result.stdout == ""
    assert time.monotonic() - started < 15
