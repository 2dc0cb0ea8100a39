"""A provider endpoint that redirects is refused: the key must never follow it elsewhere."""

import threading

import pytest
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from refinery.llm import PROVIDERS, ProviderError, refine_remote


@pytest.fixture
def redirecting():
    """A server that answers every request with 307 to another path, recording what it saw."""
    seen: list[str] = []

    def app(environ, start_response):
        request = Request(environ)
        seen.append(request.path)
        response = Response("", status=307, headers={"Location": "/stolen"})
        return response(environ, start_response)

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", seen
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("provider", PROVIDERS)
def test_redirects_are_refused_and_not_followed(redirecting, provider):
    url, seen = redirecting
    with pytest.raises(ProviderError, match="redirect"):
        refine_remote(
            provider,
            "Please summarize this.",
            strategy="UNIVERSAL",
            level="medium",
            output_format="default",
            api_key="sk-test-redirect-key-123456",
            base_url=url,
            timeout=2.0,
            backoff=0.01,
        )
    assert seen and "/stolen" not in seen
