"""Logs: LOG_FORMAT=json gives one JSON object per line; client input never forges a line.

The class: every control character (C0, DEL, C1, U+2028/2029) that a client can put in a
value (path, header, body field) comes out escaped, in both formats, through the formatter.
"""

from __future__ import annotations

import json
import logging
import socket
import sys
from urllib.parse import urlsplit

import pytest
import requests

from refinery import logs
from refinery.config import load_config
from tests.conftest import PASSWORD, service_environment
from tests.gunicorn_run import gunicorn

CONTROL = [chr(c) for c in (*range(0x20), *range(0x7F, 0xA0), 0x2028, 0x2029)]
FORGED = "2026-12-02 10:00:00,000 INFO refinery.request: POST /api/auth/login 200 1.0ms x"


def _record(message: str, *args, exc_info=None) -> logging.LogRecord:
    """A record as a logger would make it."""
    return logging.LogRecord("refinery.test", logging.INFO, __file__, 1, message, args, exc_info)


@pytest.mark.parametrize("log_format", ["text", "json"])
@pytest.mark.parametrize("char", CONTROL, ids=[f"U+{ord(c):04X}" for c in CONTROL])
def test_every_control_character_is_escaped(log_format, char):
    formatter = logs.formatter(log_format)
    value = f"/health{char}{FORGED}"
    line = formatter.format(_record("GET %s 200", value))
    assert char not in line
    assert "\n" not in line
    if log_format == "json":
        assert json.loads(line)["message"] == f"GET {value} 200"  # escaped, not lost
    else:
        assert len(line.splitlines()) == 1
        assert f"/health{logs.escape(char)}2026-12-02" in line


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_a_traceback_carrying_client_input_cannot_start_a_record(log_format):
    try:
        raise ValueError(f"bad value x\n{FORGED}\x00\x1b[2J")
    except ValueError:
        record = _record("failed", exc_info=sys.exc_info())
    output = logs.formatter(log_format).format(record)
    assert "\x00" not in output and "\x1b" not in output
    if log_format == "json":
        assert "\n" not in output
        assert "ValueError" in json.loads(output)["exception"]
    else:
        _first, *rest = output.split("\n")
        assert rest and all(line.startswith("    ") for line in rest)


def test_log_format_defaults_to_json_in_production_and_text_elsewhere():
    base = service_environment("postgresql://localhost/x")
    assert load_config({**base, "REFINERY_ENV": "production"}).log_format == "json"
    assert load_config({**base, "REFINERY_ENV": "test"}).log_format == "text"
    assert load_config({**base, "REFINERY_ENV": "production", "LOG_FORMAT": "text"}).log_format == (
        "text"
    )


def _raw_get(url: str, target: str, header: str = "") -> bytes:
    """Send a GET with the target exactly as given (percent escapes and all); the reply."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=5) as sock:
        sock.sendall(
            f"GET {target} HTTP/1.1\r\nHost: x\r\n{header}Connection: close\r\n\r\n".encode()
        )
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
    return reply


INJECTIONS = [
    "/health%0A" + FORGED.replace(" ", "%20"),
    "/health%0D%0A" + FORGED.replace(" ", "%20"),
    "/health%00%00%00",
    "/health%1B%5B2J%E2%80%A8" + FORGED.replace(" ", "%20"),
    "/api/nothing%0A" + FORGED.replace(" ", "%20"),
]


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_client_input_cannot_forge_a_line_in_the_live_log(clean_db, tmp_path, log_format):
    log_path = tmp_path / "gunicorn.log"
    with gunicorn(
        clean_db, log_path, LOG_LEVEL="INFO", LOG_FORMAT=log_format, WEB_CONCURRENCY="1"
    ) as url:
        for target in INJECTIONS:
            assert _raw_get(url, target).startswith(b"HTTP/1.1 404")
        # A body field a client controls, logged by the failed-login path or not: same rule.
        requests.post(
            f"{url}/api/auth/login",
            json={"email": f"x@example.com\n{FORGED}", "password": "p"},
            timeout=5,
        )
    raw = log_path.read_bytes()
    assert b"\x00" not in raw and b"\x1b" not in raw and "\u2028".encode() not in raw
    lines = raw.decode().splitlines()
    assert not [line for line in lines if line.startswith("2026-12-02")]
    if log_format == "json":
        ours = [json.loads(line) for line in lines if line.startswith("{")]
        request_lines = [e for e in ours if e["logger"] == "refinery.request"]
        injected = [e for e in request_lines if e["status"] == 404]
        assert len(injected) == len(INJECTIONS)
        assert "\n2026-12-02" in injected[0]["message"]  # kept, as data
        assert {e["route"] for e in injected} == {"unmatched"}
    else:
        request_lines = [line for line in lines if " refinery.request: " in line]
        injected = [line for line in request_lines if " 404 " in line]
        assert len(injected) == len(INJECTIONS)
        assert "/health\\n2026-12-02" in injected[0]


def test_json_lines_carry_the_request_and_the_caller(clean_db, tmp_path):
    log_path = tmp_path / "gunicorn.log"
    with gunicorn(
        clean_db, log_path, LOG_LEVEL="INFO", LOG_FORMAT="json", WEB_CONCURRENCY="1"
    ) as url:
        registered = requests.post(
            f"{url}/api/auth/register",
            json={
                "email": "admin@logs.example.com",
                "password": PASSWORD,
                "fullName": "A",
                "organizationName": "Logs",
                "organizationSlug": "logs",
            },
            timeout=10,
        )
        assert registered.status_code == 201, registered.text
        registered = registered.json()
        token = registered["accessToken"]
        organization_id = registered["organization"]["id"]
        user_id = registered["user"]["id"]
        answer = requests.post(
            f"{url}/api/optimize",
            json={"text": "Please could you kindly summarize this text for me?"},
            headers={"Authorization": f"Bearer {token}", "X-Request-ID": "trace-42"},
            timeout=10,
        )
        assert answer.status_code == 200
    entries = [json.loads(line) for line in log_path.read_text().splitlines() if line[:1] == "{"]
    (entry,) = [e for e in entries if e.get("request_id") == "trace-42"]
    assert entry["logger"] == "refinery.request"
    assert entry["level"] == "INFO"
    assert entry["timestamp"].endswith("+00:00")
    assert entry["method"] == "POST"
    assert entry["route"] == "/api/optimize"
    assert entry["status"] == 200
    assert isinstance(entry["duration_ms"], float)
    assert entry["organization_id"] == organization_id
    assert entry["user_id"] == user_id
    assert "api_key_id" not in entry
