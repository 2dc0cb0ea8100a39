"""validate_endpoint: custom base URLs may not reach private networks unless allowed."""

import pytest

from refinery.llm import validate_endpoint


def test_https_public_address_is_accepted_and_normalized():
    """A literal public IP resolves without any network; the trailing slash goes."""
    assert validate_endpoint("https://8.8.8.8/v1/", allow_private=False) == "https://8.8.8.8/v1"
    assert validate_endpoint("https://8.8.8.8:8443", allow_private=False) == "https://8.8.8.8:8443"


def test_http_is_rejected_unless_private_is_allowed():
    """Keys travel only over TLS to the outside world."""
    with pytest.raises(ValueError, match="https"):
        validate_endpoint("http://8.8.8.8", allow_private=False)
    assert validate_endpoint("http://127.0.0.1:8080", allow_private=True) == "http://127.0.0.1:8080"


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1",
        "https://10.0.0.1",
        "https://172.16.5.4",
        "https://192.168.1.1",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]",
        "https://[::ffff:127.0.0.1]",
        "https://[fe80::1]",
        "https://0.0.0.0",
        "https://224.0.0.1",
        "https://100.64.0.1",
        "https://localhost",
    ],
)
def test_non_public_addresses_are_rejected(url):
    """Loopback, private, link-local (cloud metadata), multicast, unspecified, CGNAT."""
    with pytest.raises(ValueError, match="not allowed"):
        validate_endpoint(url, allow_private=False)


@pytest.mark.parametrize(
    "url", ["https://127.0.0.1", "https://10.0.0.1", "https://169.254.169.254", "https://[::1]"]
)
def test_non_public_addresses_are_allowed_when_configured(url):
    """Self-hosted gateways on a private network can be enabled explicitly."""
    assert validate_endpoint(url, allow_private=True) == url


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("ftp://8.8.8.8", "https"),
        ("https://", "no host"),
        ("https://user:secret@8.8.8.8", "user name or password"),
        ("https://8.8.8.8/?x=1", "query"),
        ("https://8.8.8.8/#frag", "query string or fragment"),
        ("https://8.8.8.8:99999", "not a valid URL"),
    ],
)
def test_malformed_endpoints_are_rejected_with_a_clear_message(url, problem):
    """Each rejection says what is wrong."""
    with pytest.raises(ValueError, match=problem):
        validate_endpoint(url, allow_private=False)
