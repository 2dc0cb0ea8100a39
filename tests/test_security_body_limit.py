"""Issue 15 item 3: MAX_BODY_BYTES holds whatever the framing of the body.

A chunked body (no Content-Length) used to be cut at the limit and the cut body parsed
(200, stored, charged), or a huge one answered 400 invalid_json. At most limit + 1 bytes
are read now, and that byte arriving is 413 body_too_large, nothing stored or charged.
"""

from __future__ import annotations

import json
import socket
from urllib.parse import urlsplit

import psycopg2
import pytest
import requests

from refinery import create_app
from tests.conftest import Auth, make_config

LIMIT = 4096
SMALL = json.dumps({"text": "Please write a short poem about the sea."}).encode()
# Every endpoint that reads a JSON body (the body is refused before any field is read).
BODY_ENDPOINTS = [
    ("POST", "/api/auth/register"),
    ("POST", "/api/auth/login"),
    ("POST", "/api/auth/refresh"),
    ("POST", "/api/auth/password"),
    ("POST", "/api/optimize"),
    ("PUT", "/api/providers/openai"),
    ("POST", "/api/invitations"),
    ("POST", "/api/invitations/accept"),
    ("PATCH", "/api/organization"),
    ("POST", "/api/keys"),
]


def _charged(database_url: str) -> tuple[int, int]:
    """Quota used and optimizations recorded."""
    conn = psycopg2.connect(database_url)
    with conn, conn.cursor() as cur:
        cur.execute(
            "SELECT (SELECT coalesce(sum(used_requests), 0) FROM subscriptions),"
            " (SELECT count(*) FROM optimizations)"
        )
        row = cur.fetchone()
    conn.close()
    return row


@pytest.fixture
def small_app(clean_db):
    """The app with MAX_BODY_BYTES=4096, an admin's header and the database."""
    app = create_app(make_config(clean_db, MAX_BODY_BYTES=str(LIMIT)))
    client = app.test_client()
    admin = Auth.header(Auth(client).register("acme")["accessToken"])
    return client, admin, clean_db


def _streamed(client, method, path, body: bytes, headers):
    """A body as a chunk-decoding server hands it over: no Content-Length, input ended."""
    return client.open(
        path,
        method=method,
        data=body,
        headers={**headers, "Content-Type": "application/json", "Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )


@pytest.mark.parametrize(("method", "path"), BODY_ENDPOINTS)
def test_a_streamed_body_over_the_limit_is_413_on_every_endpoint(small_app, method, path):
    client, admin, database_url = small_app
    for body in (SMALL + b" " * LIMIT, SMALL + b" " * (LIMIT + 1 - len(SMALL)), b"[" * 100_000):
        response = _streamed(client, method, path, body, admin)
        assert response.status_code == 413, response.get_data(as_text=True)
        assert response.get_json()["code"] == "body_too_large"
    assert _charged(database_url) == (0, 0)


def test_a_streamed_body_of_exactly_the_limit_is_read_whole(small_app):
    client, admin, database_url = small_app
    body = SMALL + b" " * (LIMIT - len(SMALL))
    response = _streamed(client, "POST", "/api/optimize", body, admin)
    assert response.status_code == 200, response.get_json()
    assert _charged(database_url) == (1, 1)


def test_content_length_framing_is_unchanged(small_app):
    client, admin, _ = small_app
    too_big = SMALL + b" " * LIMIT
    response = client.post(
        "/api/optimize", data=too_big, headers={**admin, "Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert response.get_json()["code"] == "body_too_large"


def _chunks(*parts: bytes):
    """A generator body: requests sends it with Transfer-Encoding: chunked."""
    yield from parts


def _raw_chunked(url: str, path: str, headers: dict, body: bytes, chunk: int = 65536) -> str:
    """Send a chunked POST over a plain socket; return the status line and the body."""
    parts = urlsplit(url)
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {parts.netloc}\r\nContent-Type: application/json\r\n"
        "Transfer-Encoding: chunked\r\nConnection: close\r\n"
        + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        + "\r\n"
    ).encode()
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as sock:
        sock.sendall(head)
        try:
            for start in range(0, len(body), chunk):
                piece = body[start : start + chunk]
                sock.sendall(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
            sock.sendall(b"0\r\n\r\n")
        except OSError:
            pass  # the server may answer and close before the whole body is sent
        answer = b""
        while data := sock.recv(65536):
            answer += data
    return answer.decode("latin-1")


def test_chunked_bodies_against_gunicorn(live_server, clean_db):
    url = live_server(WEB_CONCURRENCY="1", MAX_BODY_BYTES="1048576")
    admin = Auth.header(
        requests.post(
            f"{url}/api/auth/register",
            json={
                "email": "admin@acme.example.com",
                "password": "correct horse battery",
                "fullName": "A",
                "organizationName": "Acme",
                "organizationSlug": "acme",
            },
            timeout=10,
        ).json()["accessToken"]
    )
    post = f"{url}/api/optimize"
    headers = {**admin, "Content-Type": "application/json"}

    small = requests.post(post, data=_chunks(SMALL), headers=headers, timeout=30)
    assert small.status_code == 200, small.text
    # The case: a small object, then 2 MiB of spaces.
    padded = requests.post(post, data=_chunks(SMALL, b" " * (2 << 20)), headers=headers, timeout=30)
    assert padded.status_code == 413, padded.text
    assert padded.json()["code"] == "body_too_large"
    # 10 MB of JSON: 413, not 400 invalid_json.
    huge = b'{"text": "' + b"a" * 10_000_000 + b'"}'
    assert requests.post(post, data=_chunks(huge), headers=headers, timeout=60).status_code == 413
    exact = SMALL + b" " * (1048576 - len(SMALL))
    assert requests.post(post, data=_chunks(exact), headers=headers, timeout=30).status_code == 200
    over = exact + b" "
    answer = _raw_chunked(url, "/api/optimize", admin, over)
    assert answer.startswith("HTTP/1.1 413"), answer[:200]
    assert '"code":"body_too_large"' in answer
    assert _charged(clean_db) == (2, 2), "only the two bodies within the limit were charged"
