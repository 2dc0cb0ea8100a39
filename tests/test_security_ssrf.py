"""SSRF: every address form that reaches a non-public host is refused, and a provider call
connects to the address that was checked (a DNS answer that changes afterwards is not used).

Only the resolver is replaced (socket.getaddrinfo, which the check and urllib3's connect
both call); everything else is the real code, the real app and real sockets.
"""

from __future__ import annotations

import datetime
import ipaddress
import json
import socket
import ssl
import threading

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from werkzeug.serving import make_server
from werkzeug.wrappers import Request as WsgiRequest
from werkzeug.wrappers import Response

from refinery import create_app
from refinery.llm import ProviderError, new_session, validate_endpoint, vet_endpoint
from refinery.llm.transport import send_once
from refinery.llm.wire import Failure, Request
from tests.conftest import Auth, make_config

PUBLIC_V4 = "203.0.114.7"  # outside every special range: a plain public address

# Every form below reaches (or may reach) a host that is not on the public internet.
NON_PUBLIC_HOSTS = [
    # IPv4: loopback, private, link-local (cloud metadata), CGNAT, special and reserved
    "127.0.0.1",
    "127.255.255.254",
    "10.0.0.1",
    "172.16.5.4",
    "172.31.255.255",
    "192.168.1.1",
    "169.254.169.254",
    "100.64.0.1",
    "0.0.0.0",  # noqa: S104 - an address to refuse, not to bind
    "0.1.2.3",
    "192.0.0.8",
    "192.0.2.1",
    "192.88.99.1",
    "198.18.0.1",
    "198.51.100.1",
    "203.0.113.1",
    "224.0.0.1",
    "239.255.255.250",
    "240.0.0.1",
    "255.255.255.255",
    # IPv4 spelled as decimal, octal, hex or shortened (resolvers read them as 127.0.0.1 …)
    "2130706433",
    "017700000001",
    "0x7f000001",
    "0x7f.0.0.1",
    "0177.0.0.1",
    "127.1",
    "127.0.1",
    "0",
    "0x0",
    "0xa9.0xfe.0xa9.0xfe",
    "127.0.0.1.",
    # IPv6: loopback, unspecified, link-, site- and unique-local, multicast, documentation
    "[::1]",
    "[::]",
    "[fe80::1]",
    "[fec0::1]",
    "[fc00::1]",
    "[fd12:3456::1]",
    "[ff02::1]",
    "[2001:db8::1]",
    "[100::1]",
    "[3fff::1]",
    # IPv4-mapped ::ffff:0:0/96 and IPv4-compatible ::/96
    "[::ffff:127.0.0.1]",
    "[::ffff:7f00:1]",
    "[::ffff:169.254.169.254]",
    "[::ffff:10.0.0.1]",
    "[::127.0.0.1]",
    "[::7f00:1]",
    "[::8.8.8.8]",
    # 6to4 2002::/16 embedding a non-public IPv4
    "[2002:7f00:1::]",
    "[2002:a9fe:a9fe::]",
    "[2002:0a00:0001::1]",
    "[2002:c0a8:0101::]",
    "[2002::]",
    # NAT64 64:ff9b::/96 embedding a non-public IPv4, and the local-use 64:ff9b:1::/48
    "[64:ff9b::127.0.0.1]",
    "[64:ff9b::a9fe:a9fe]",
    "[64:ff9b::10.0.0.1]",
    "[64:ff9b:1::1]",
    "[64:ff9b:1::808:808]",
    # Teredo 2001::/32 (a tunnel to wherever its embedded addresses say)
    "[2001::1]",
    "[2001:0:4136:e378:8000:63bf:3fff:fdd2]",
]

PUBLIC_HOSTS = [
    "8.8.8.8",
    PUBLIC_V4,
    "[2606:4700:4700::1111]",
    "[2002:808:808::1]",  # 6to4 of 8.8.8.8
    "[64:ff9b::8.8.8.8]",  # NAT64 of 8.8.8.8
    "[::ffff:8.8.8.8]",
]


class FakeResolver:
    """A DNS of the test's own: names it was told, one answer at a time; records lookups."""

    def __init__(self, answers: dict[str, list[str]]) -> None:
        self.answers = {name: list(values) for name, values in answers.items()}
        self.lookups: list[str] = []

    def __call__(self, host, port, family=0, type=0, proto=0, flags=0):
        """Answer like socket.getaddrinfo; a name's answers are used in turn, the last repeats."""
        name = host.decode() if isinstance(host, bytes) else str(host)
        self.lookups.append(name)
        values = self.answers.get(name)
        if not values:
            raise socket.gaierror(socket.EAI_NONAME, f"{name} is not in this test's DNS")
        address = values.pop(0) if len(values) > 1 else values[0]
        if ipaddress.ip_address(address).version == 6:
            return [(socket.AF_INET6, socket.SOCK_STREAM, 6, "", (address, port or 0, 0, 0))]
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port or 0))]


@pytest.mark.parametrize("host", NON_PUBLIC_HOSTS)
def test_every_non_public_address_form_is_refused(host):
    """Written into the URL, each form is refused (and never reaches a connection)."""
    with pytest.raises(ValueError, match=r"not allowed|is a number"):
        vet_endpoint(f"https://{host}/v1", allow_private=False)


@pytest.mark.parametrize("host", [h for h in NON_PUBLIC_HOSTS if not h[0].isdigit()])
def test_a_name_resolving_to_a_non_public_form_is_refused(monkeypatch, host):
    """A DNS name whose answer is any of the forms is refused the same way."""
    address = host.strip("[]")
    monkeypatch.setattr(socket, "getaddrinfo", FakeResolver({"api.provider.example": [address]}))
    with pytest.raises(ValueError, match="not allowed"):
        vet_endpoint("https://api.provider.example/v1", allow_private=False)


def test_one_non_public_answer_among_public_ones_refuses_the_name(monkeypatch):
    """A name is judged by every address it resolves to, not the first."""
    resolver = FakeResolver({"mixed.example": ["8.8.8.8"]})
    loopback = (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", 443))
    answers = [*resolver("mixed.example", 443), loopback]
    monkeypatch.setattr(socket, "getaddrinfo", lambda *args, **kwargs: answers)
    with pytest.raises(ValueError, match="not allowed"):
        vet_endpoint("https://mixed.example", allow_private=False)


@pytest.mark.parametrize("host", PUBLIC_HOSTS)
def test_public_addresses_in_any_form_are_accepted_and_pinned(host):
    """Public addresses (also 6to4, NAT64 and mapped forms of one) pass; that address is used."""
    endpoint = vet_endpoint(f"https://{host}/v1/", allow_private=False)
    assert endpoint.url == f"https://{host}/v1"
    assert ipaddress.ip_address(endpoint.address) == ipaddress.ip_address(host.strip("[]"))


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("https://8.8.8.8:0", "port"),
        ("https://8.8.8.8:00", "port"),
        ("https://8.8.8.8:65536", "not a valid URL"),
        ("https://exa mple.com", "not a valid host name"),
        ("https://exämple.com", "xn--"),
        ("https://[not-v6]", "not a valid URL|not an IPv6"),
        ("https://8.8.8.8/a b", "path"),
        ("https://8.8.8.8/?", "query"),
        ("https://8.8.8.8/#", "fragment"),
    ],
)
def test_malformed_hosts_ports_and_paths_are_refused(url, problem):
    """Port 0, hosts that are not names or plain addresses, and odd paths are refused."""
    with pytest.raises(ValueError, match=problem):
        validate_endpoint(url, allow_private=False)


@pytest.mark.parametrize("url", ["http://2130706433:8080", "https://0x7f.1"])
def test_numeric_spellings_are_refused_even_where_private_hosts_are_allowed(url):
    """Such a host means different things to different resolvers: never accepted."""
    with pytest.raises(ValueError, match="is a number"):
        validate_endpoint(url, allow_private=True)


@pytest.fixture
def listener():
    """A TCP listener on 127.0.0.1 that only counts the connections it gets."""
    server = socket.create_server(("127.0.0.1", 0))
    accepted: list[tuple] = []
    server.settimeout(0.2)
    stop = threading.Event()

    def serve():
        while not stop.is_set():
            try:
                conn, peer = server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            accepted.append(peer)
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1], accepted
    stop.set()
    thread.join()
    server.close()


def test_dns_rebinding_cannot_move_the_connection(monkeypatch, clean_db, listener):
    """Public at check time, 127.0.0.1 afterwards: the call still goes to the checked address.

    The endpoint is saved and checked while the name answers a public address; every later
    lookup of the name would answer 127.0.0.1, where a listener waits. The provider call
    must never look the name up again: its connections go to the public address (which this
    test's DNS cannot reach, so the call fails and is not charged), and the listener on
    loopback sees nothing.
    """
    port, accepted = listener
    name = "rebind.example"
    # The PUT's check and the call's check get the public answer; later lookups 127.0.0.1.
    resolver = FakeResolver({name: [PUBLIC_V4, PUBLIC_V4, "127.0.0.1"]})
    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    app = create_app(make_config(clean_db, PROVIDER_RETRY_BACKOFF="0.01", PROVIDER_TIMEOUT="2"))
    auth = Auth(app.test_client())
    header = auth.header(auth.register("rebind")["accessToken"])
    saved = auth.client.put(
        "/api/providers/openai",
        json={"apiKey": "sk-rebinding-test-key-1234", "endpoint": f"https://{name}:{port}"},
        headers=header,
    )
    assert saved.status_code == 201, saved.get_json()

    answer = auth.client.post(
        "/api/optimize",
        json={"text": "Please summarize this.", "provider": "openai"},
        headers=header,
    )

    assert answer.status_code == 502, answer.get_json()
    assert answer.get_json()["code"] == "provider_error"
    assert accepted == []  # nothing reached loopback
    # The name was looked up twice (save, call), then only the checked address, per attempt.
    assert resolver.lookups[:2] == [name, name]
    assert set(resolver.lookups[2:]) == {PUBLIC_V4}
    usage = auth.client.get("/api/usage", headers=header).get_json()
    assert usage["used"] == 0 and usage["totals"]["failed"] == 1


def _certificate(name: str, path) -> tuple[str, str]:
    """A self-signed certificate for name (its own CA), and its key, as PEM files."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = path / f"{name}.pem", path / f"{name}.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return str(cert_file), str(key_file)


@pytest.fixture
def tls_provider(tmp_path, monkeypatch):
    """An HTTPS server on 127.0.0.1 for provider.test, recording SNI and the Host header."""
    cert_file, key_file = _certificate("provider.test", tmp_path)
    for variable in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):  # they would beat session.verify
        monkeypatch.delenv(variable, raising=False)
    seen: dict[str, list] = {"sni": [], "host": []}
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    context.sni_callback = lambda sock, server_name, ctx: seen["sni"].append(server_name)

    def app(environ, start_response):
        seen["host"].append(WsgiRequest(environ).host)
        return Response(json.dumps({"ok": True}), mimetype="application/json")(
            environ, start_response
        )

    server = make_server("127.0.0.1", 0, app, threaded=True, ssl_context=context)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_port, cert_file, seen, tmp_path
    server.shutdown()
    server.server_close()


def _request(url: str) -> Request:
    """A bare provider request to url."""
    return Request(
        provider="Test",
        url=url,
        headers={"Authorization": "Bearer sk-test"},
        body={"q": 1},
        api_key="sk-test",
        read_failure=lambda status, body: Failure(),
    )


def test_a_pinned_call_keeps_the_host_name_for_host_sni_and_the_certificate(
    monkeypatch, tls_provider
):
    """Connected to the pinned address; Host, SNI and certificate check use the name."""
    port, cert_file, seen, _ = tls_provider
    resolver = FakeResolver({"127.0.0.1": ["127.0.0.1"]})  # provider.test is not in this DNS
    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    session = new_session()
    session.verify = cert_file
    url = f"https://provider.test:{port}/v1/chat"

    status, _, raw = send_once(_request(url), session, (2.0, 2.0), address="127.0.0.1")

    assert (status, json.loads(raw)) == (200, {"ok": True})
    assert seen["sni"] == ["provider.test"]
    assert seen["host"] == [f"provider.test:{port}"]
    assert resolver.lookups == ["127.0.0.1"]  # the name itself was never resolved


def test_a_pinned_call_still_verifies_the_certificate_against_the_name(monkeypatch, tls_provider):
    """At the right address, a certificate that does not name the URL's host fails."""
    port, cert_file, _, _ = tls_provider
    monkeypatch.setattr(socket, "getaddrinfo", FakeResolver({"127.0.0.1": ["127.0.0.1"]}))
    session = new_session()
    session.verify = cert_file  # trusted, but issued to provider.test
    url = f"https://elsewhere.test:{port}/v1/chat"
    with pytest.raises(ProviderError, match="TLS"):
        send_once(_request(url), session, (2.0, 2.0), address="127.0.0.1")
