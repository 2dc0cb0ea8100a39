"""The deploy files agree with what the suite runs: the Dockerfile's command, environment
and health check, the compose file, the Procfile and the systemd unit."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys

import pytest
import yaml

from refinery.config import ConfigError, load_config
from tests.conftest import ENCRYPTION_KEY, GUNICORN_COMMAND, JWT_SECRET, ROOT, _free_port


def _instructions(path) -> list[tuple[str, str]]:
    """A Dockerfile's (INSTRUCTION, arguments) pairs, continuation lines joined."""
    text = re.sub(r"\\\n", " ", path.read_text())
    pairs = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            pairs.append((word.upper(), rest.strip()))
    return pairs


def _stages() -> list[list[tuple[str, str]]]:
    """The Dockerfile's build stages, each a list of instructions from its FROM on."""
    stages: list[list[tuple[str, str]]] = []
    for word, rest in _instructions(ROOT / "Dockerfile"):
        if word == "FROM":
            stages.append([])
        if stages:
            stages[-1].append((word, rest))
    return stages


def _runtime(word: str) -> list[str]:
    """The arguments of every `word` instruction of the final (runtime) stage."""
    return [rest for w, rest in _stages()[-1] if w == word]


def _image_env() -> dict[str, str]:
    """The runtime stage's ENV settings."""
    env = {}
    for rest in _runtime("ENV"):
        for item in shlex.split(rest):
            name, _, value = item.partition("=")
            env[name] = value
    return env


def _healthcheck() -> list[str]:
    """The HEALTHCHECK's exec-form command."""
    (rest,) = _runtime("HEALTHCHECK")
    return json.loads(rest[rest.index("CMD") + 3 :])


def test_cmd_is_the_gunicorn_command_the_suite_runs():
    (cmd,) = _runtime("CMD")
    assert json.loads(cmd) == list(GUNICORN_COMMAND)
    procfile = dict(line.split(": ", 1) for line in (ROOT / "Procfile").read_text().splitlines())
    assert shlex.split(procfile["web"]) == list(GUNICORN_COMMAND)
    unit = (ROOT / "deploy" / "refinery.service").read_text()
    (exec_start,) = re.findall(r"^ExecStart=(.*)$", unit, re.M)
    assert shlex.split(exec_start)[1:] == list(GUNICORN_COMMAND[1:])
    assert shlex.split(exec_start)[0].endswith("/.venv/bin/gunicorn")


def test_image_is_multi_stage_from_one_base_and_runs_as_a_user():
    stages = _stages()
    assert len(stages) == 2
    assert [rest.split()[0] for _, rest in (s[0] for s in stages)] == ["${BASE_IMAGE}"] * 2
    (default,) = re.findall(r"^ARG BASE_IMAGE=(\S+)$", (ROOT / "Dockerfile").read_text(), re.M)
    assert re.fullmatch(r"python:3\.\d+-slim(-\w+)?", default)  # an official slim Python
    runtime = stages[-1]
    assert any(w == "COPY" and rest.startswith("--from=builder") for w, rest in runtime)
    # The runtime stage installs no packages (so no compiler), and ends as a non-root user.
    assert not any(w == "RUN" and re.search(r"apt-get|apk |pip ", r) for w, r in runtime)
    (user,) = _runtime("USER")
    assert user not in ("root", "0")
    assert _runtime("EXPOSE") == [_image_env()["PORT"]]


def test_image_environment_is_production_and_fails_closed(tmp_path):
    env = _image_env()
    assert env["REFINERY_ENV"] == "production"
    assert env["PATH"].startswith("/opt/venv/bin:")
    secrets = {"JWT_SECRET": JWT_SECRET, "ENCRYPTION_KEY": ENCRYPTION_KEY}
    base = {**env, "DATABASE_URL": "postgresql://refinery@postgres:5432/refinery"}
    config = load_config({**base, **secrets}, tmp_path)
    assert (config.env, config.port) == ("production", int(env["PORT"]))
    with pytest.raises(ConfigError, match="JWT_SECRET"):
        load_config(base, tmp_path)  # the image carries no secret of its own


def test_healthcheck_passes_against_the_served_app_and_fails_without_it(live_server):
    env = {k: v for k, v in _image_env().items() if k != "PATH"}
    url = live_server(**env)
    command = [sys.executable if word == "python" else word for word in _healthcheck()]
    assert "/health" in command[-1] and "curl" not in command
    port = url.rsplit(":", 1)[1]
    run = {"capture_output": True, "text": True, "timeout": 20}
    ok = subprocess.run(command, env={**os.environ, "PORT": port}, **run)
    assert ok.returncode == 0, ok.stderr
    down = subprocess.run(command, env={**os.environ, "PORT": str(_free_port())}, **run)
    assert down.returncode != 0


def test_compose_runs_migrations_once_before_the_api():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert services["postgres"]["image"].startswith("postgres:")
    assert services["redis"]["image"].startswith("redis:")
    procfile = dict(line.split(": ", 1) for line in (ROOT / "Procfile").read_text().splitlines())
    assert services["migrate"]["command"] == shlex.split(procfile["release"])
    assert services["migrate"]["image"] == services["api"]["image"]
    depends = services["api"]["depends_on"]
    assert depends["migrate"]["condition"] == "service_completed_successfully"
    assert depends["postgres"]["condition"] == depends["redis"]["condition"] == "service_healthy"
    for name in ("postgres", "redis"):
        assert services[name]["healthcheck"]["test"][0] == "CMD"
    # Secrets come from the env file, never from the compose file itself.
    for name in ("migrate", "api"):
        assert "env_file" in services[name]
        assert not {"JWT_SECRET", "ENCRYPTION_KEY"} & set(services[name].get("environment", {}))
    assert "compose.env" in (ROOT / ".gitignore").read_text().split()
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".env", "compose.env", ".venv", "instance", "tests", ".git"} <= set(ignored)


def test_platform_spec_and_docs_match_the_image():
    spec = yaml.safe_load((ROOT / "deploy" / "digitalocean-app.yaml").read_text())
    (api,) = spec["services"]
    (migrate,) = spec["jobs"]
    assert api["dockerfile_path"] == migrate["dockerfile_path"] == "Dockerfile"
    assert [str(api["http_port"])] == _runtime("EXPOSE")
    assert "'http://127.0.0.1:%s" + api["health_check"]["http_path"] + "'" in _healthcheck()[-1]
    procfile = dict(line.split(": ", 1) for line in (ROOT / "Procfile").read_text().splitlines())
    assert (migrate["kind"], migrate["run_command"]) == ("PRE_DEPLOY", procfile["release"])
    secret = {e["key"] for e in api["envs"] if e.get("type") == "SECRET"}
    assert {"JWT_SECRET", "ENCRYPTION_KEY", "APP_DATABASE_PASSWORD"} <= secret
    # One Python version everywhere: the buildpack's, the image's default base.
    version = (ROOT / ".python-version").read_text().strip()
    assert f"ARG BASE_IMAGE=python:{version}-slim" in (ROOT / "Dockerfile").read_text()
    # DEPLOYMENT.md shows the systemd unit as it is in deploy/.
    deployment = (ROOT / "DEPLOYMENT.md").read_text()
    (shown,) = re.findall(r"```ini\n(.*?)```", deployment, re.S)
    assert shown == (ROOT / "deploy" / "refinery.service").read_text()
