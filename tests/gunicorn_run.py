"""Start the real service under gunicorn with its stderr kept in a file (logs, metrics tests)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import requests

from tests.conftest import ROOT, _free_port, service_environment


@contextmanager
def gunicorn(database_url: str, log_path: Path, **overrides: str):
    """Yield the URL of gunicorn serving wsgi:app; its stderr goes to log_path."""
    port = _free_port()
    env = {
        **os.environ,
        **service_environment(database_url, **{"BIND": f"127.0.0.1:{port}", **overrides}),
    }
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except requests.RequestException:
                if time.monotonic() > deadline:
                    raise RuntimeError(log_path.read_text()[-2000:]) from None
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)
