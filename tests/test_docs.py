"""The examples in README.md and API.md run as written against the real server."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

import pytest

from tests.conftest import ROOT, service_environment

FENCE = re.compile(r"```(bash|python|javascript)\n(.*?)```", re.S)


def _blocks(document: str, language: str) -> list[str]:
    """The fenced code blocks of one language, in order."""
    text = (ROOT / document).read_text()
    return [body for lang, body in FENCE.findall(text) if lang == language]


@pytest.fixture
def seeded_server(live_server, clean_db):
    """The quick-start server: schema, demo data, gunicorn."""
    env = {**os.environ, **service_environment(clean_db)}
    seeded = subprocess.run(
        [sys.executable, "scripts/seed.py"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert seeded.returncode == 0, seeded.stderr
    return live_server()


def _run_bash(script: str, api: str, tmp_path) -> str:
    """Run a shell script with API pointing at the server; fail on any failed command."""
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        env={**os.environ, "API": api},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    assert "internal_error" not in result.stdout
    return result.stdout


def test_api_md_shell_examples_run(seeded_server, tmp_path):
    output = _run_bash("\n".join(_blocks("API.md", "bash")), seeded_server, tmp_path)
    assert '"refinedText"' in output
    assert '"code":"provider_not_configured"' in output
    assert '"maskedKey":"sk-…cdef"' in output
    assert output.count("204") >= 2  # both DELETE examples succeeded
    assert '"status":"ok"' in output


@pytest.mark.parametrize("index", range(len(_blocks("API.md", "python"))))
def test_api_md_python_examples_run(seeded_server, index):
    code = _blocks("API.md", "python")[index]
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "API": seeded_server},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip()


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
@pytest.mark.parametrize("index", range(len(_blocks("API.md", "javascript"))))
def test_api_md_javascript_examples_run(seeded_server, index):
    code = _blocks("API.md", "javascript")[index]
    result = subprocess.run(
        ["node", "--input-type=module"],
        input=code,
        env={**os.environ, "API": seeded_server},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    if index:  # the batch example: each result line is an item of the batch it made
        assert lines and all("customId" in line for line in lines), lines
        return
    assert lines[0].startswith("registered engines-") and lines[0].endswith(" as admin")
    assert any(re.fullmatch(r"\d+ tokens saved \([\d.]+%\)", line) for line in lines)
    assert "quota left this month: 999" in lines
    assert any(" completed " in line and " saved: " in line for line in lines)


def test_readme_walkthrough_runs(seeded_server, tmp_path):
    (walkthrough,) = [b for b in _blocks("README.md", "bash") if "api/auth/register" in b]
    # The walkthrough sets API itself, as a reader would; point it at this server.
    script = walkthrough.replace("API=http://127.0.0.1:5000", f"API={seeded_server}")
    output = _run_bash(script, seeded_server, tmp_path)
    assert '"code":"refresh_token_reused"' in output
    assert '"code":"token_revoked"' in output
    assert "\n401\n" in output and "\n204\n" in output
