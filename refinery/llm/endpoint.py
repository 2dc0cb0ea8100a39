"""Check a custom provider base URL and pick the one address it may be called at (SSRF guard).

The host is resolved once, every address it resolves to must be public, and the call then
connects to the address that was checked (``Endpoint.address``, pinned by the transport),
so a DNS answer that changes between the check and the connection changes nothing.
"""

import ipaddress
import re
import socket
from typing import NamedTuple
from urllib.parse import urlsplit, urlunsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
# An ASCII DNS name (punycode for others), up to 253 characters, an optional final dot.
_HOST_NAME = re.compile(rf"^(?=.{{1,253}}$)(?:{_LABEL}\.)*{_LABEL}\.?$")
# A last label that resolvers read as a number (0x7f.1, 2130706433, 0177.0.0.1, 127.1):
# such a host is an IPv4 address in disguise, refused unless written as a plain dotted quad.
_NUMERIC_LABEL = re.compile(r"^(?:0x[0-9a-f]*|[0-9]+)$", re.IGNORECASE)
# What a path may hold (RFC 3986 pchar, slashes, percent-escapes): no spaces or controls.
_PATH = re.compile(r"^(?:/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*)?$")

_V4_NON_PUBLIC = tuple(
    ipaddress.IPv4Network(net)
    for net in (
        "0.0.0.0/8",  # "this network"; 0.0.0.0 reaches the local host
        "10.0.0.0/8",
        "100.64.0.0/10",  # carrier-grade NAT
        "127.0.0.0/8",
        "169.254.0.0/16",  # link-local, cloud metadata
        "172.16.0.0/12",
        "192.0.0.0/24",  # IETF protocol assignments
        "192.0.2.0/24",  # documentation
        "192.88.99.0/24",  # 6to4 relay anycast
        "192.168.0.0/16",
        "198.18.0.0/15",  # benchmarking
        "198.51.100.0/24",
        "203.0.113.0/24",
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved, and 255.255.255.255
    )
)
_V6_GLOBAL_UNICAST = ipaddress.IPv6Network("2000::/3")
_V6_NON_PUBLIC = tuple(
    ipaddress.IPv6Network(net)
    for net in (
        "2001::/23",  # IETF protocol assignments, Teredo (2001::/32) among them
        "2001:db8::/32",  # documentation
        "3fff::/20",  # documentation
    )
)
# Prefixes whose addresses carry an IPv4 address that a host, relay or translator delivers to.
_V4_MAPPED = ipaddress.IPv6Network("::ffff:0:0/96")
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


class Endpoint(NamedTuple):
    """A checked base URL and the address to connect to (None: the resolver may choose)."""

    url: str
    address: str | None


def validate_endpoint(url: str, allow_private: bool) -> str:
    """Return the normalized base URL, or raise ValueError saying what is wrong with it."""
    return vet_endpoint(url, allow_private).url


def vet_endpoint(url: str, allow_private: bool) -> Endpoint:
    """Check url and resolve its host once; raise ValueError saying what is wrong.

    It must be https (http only when ``allow_private``), name a valid port other than 0,
    carry no credentials, query or fragment, and its host must be a DNS name or an IP
    address written plainly. Unless ``allow_private``, every address the host resolves to
    must be public, and the caller must connect to the returned ``address``.
    """
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"The endpoint {url!r} is not a valid URL: {exc}.") from None
    allowed = ("https", "http") if allow_private else ("https",)
    if parts.scheme not in allowed:
        raise ValueError("The endpoint must use https.")
    if not parts.hostname:
        raise ValueError("The endpoint has no host name.")
    if "@" in parts.netloc:
        raise ValueError("The endpoint must not contain a user name or password.")
    if "?" in url or "#" in url:
        raise ValueError("The endpoint must not contain a query string or fragment.")
    if port == 0:
        raise ValueError("The endpoint's port must be 1 to 65535.")
    if not _PATH.match(parts.path):
        raise ValueError("The endpoint's path may hold only URL characters (no spaces).")
    host = parts.hostname
    literal = _ip_literal(host)
    if literal is None:
        _check_name(host)
    normalized = urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))
    if allow_private:
        return Endpoint(normalized, None)
    default_port = 443 if parts.scheme == "https" else 80
    if literal is not None:
        _require_public(host, literal)
        return Endpoint(normalized, str(literal))
    return Endpoint(normalized, _public_address(host, port or default_port))


def _ip_literal(host: str) -> IPAddress | None:
    """The address when host is an IP address written plainly (dotted quad or IPv6), else None."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        if ":" in host:  # urlsplit gave it from brackets: an IPv6 address or nothing
            raise ValueError(f"The endpoint host [{host}] is not an IPv6 address.") from None
        return None


def _check_name(host: str) -> None:
    """Raise ValueError unless host is an ASCII DNS name whose last label is not a number."""
    if not _HOST_NAME.match(host):
        raise ValueError(
            f"The endpoint host {host!r} is not a valid host name (write other scripts in "
            "their xn-- form)."
        )
    if _NUMERIC_LABEL.match(host.rstrip(".").rsplit(".", 1)[-1]):
        raise ValueError(
            f"The endpoint host {host!r} is a number: write an IPv4 address as four "
            "decimal numbers (like 203.0.113.7), or use a host name."
        )


def _public_address(host: str, port: int) -> str:
    """Resolve host once; every address must be public; return the first one to connect to."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise ValueError(f"The endpoint host {host!r} does not resolve.") from None
    addresses = [ipaddress.ip_address(sockaddr[0].split("%", 1)[0]) for *_, sockaddr in infos]
    if not addresses:
        raise ValueError(f"The endpoint host {host!r} does not resolve.")
    for address in addresses:
        _require_public(host, address)
    return str(addresses[0])


def _require_public(host: str, address: IPAddress) -> None:
    """Raise ValueError unless address is a public one."""
    if not is_public(address):
        raise ValueError(
            f"The endpoint host {host!r} resolves to {address}, a private, loopback, "
            "link-local or otherwise non-public address, which is not allowed."
        )


def is_public(address: IPAddress) -> bool:
    """True only for an address plainly on the public internet, whatever form it takes.

    IPv6 forms that deliver to an IPv4 address (IPv4-mapped, NAT64 64:ff9b::/96, 6to4
    2002::/16) are judged by that IPv4 address; other IPv6 must be global unicast
    (2000::/3) outside the special ranges, which refuses ::/96 (IPv4-compatible), Teredo,
    64:ff9b:1::/48, unique-local, link- and site-local and multicast.
    """
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            return is_public(embedded)
        if address not in _V6_GLOBAL_UNICAST or any(address in net for net in _V6_NON_PUBLIC):
            return False
    elif any(address in net for net in _V4_NON_PUBLIC):
        return False
    return address.is_global and not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv4-mapped, NAT64 or 6to4 address delivers to, else None."""
    if address in _V4_MAPPED or address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address.sixtofour
