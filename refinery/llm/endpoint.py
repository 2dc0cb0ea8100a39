"""Check a custom provider base URL before any key is sent to it (SSRF guard)."""

import ipaddress
import socket
from urllib.parse import urlsplit, urlunsplit


def validate_endpoint(url: str, allow_private: bool) -> str:
    """Return the normalized base URL, or raise ValueError saying what is wrong with it.

    It must be https (http only when ``allow_private``), carry no credentials, query or
    fragment, and every address its host resolves to must be public unless
    ``allow_private``. Check again right before use if names may be re-pointed: DNS can
    change between this check and the call.
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
    if parts.username or parts.password:
        raise ValueError("The endpoint must not contain a user name or password.")
    if parts.query or parts.fragment:
        raise ValueError("The endpoint must not contain a query string or fragment.")
    if not allow_private:
        _require_public(parts.hostname, port or 443)
    return urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))


def _require_public(host: str, port: int) -> None:
    """Raise ValueError unless every address of host is a public one."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise ValueError(f"The endpoint host {host!r} does not resolve.") from None
    for *_, sockaddr in infos:
        address = ipaddress.ip_address(sockaddr[0].split("%", 1)[0])
        if _is_private(address):
            raise ValueError(
                f"The endpoint host {host!r} resolves to {address}, a private, loopback, "
                "link-local or otherwise non-public address, which is not allowed."
            )


def _is_private(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """True for any address that is not plainly on the public internet."""
    mapped = getattr(address, "ipv4_mapped", None)  # ::ffff:127.0.0.1 is 127.0.0.1
    if mapped is not None:
        address = mapped
    return (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or not address.is_global  # also catches 100.64.0.0/10 and other special ranges
    )
