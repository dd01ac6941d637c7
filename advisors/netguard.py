"""Outbound requests that cannot reach inside: webhook deliveries go only to public addresses.

Every delivery resolves the host name once, refuses it unless every address it resolves to is
public (no loopback, private, link-local, multicast, reserved, unspecified or shared address,
nor one of those embedded in an IPv6-mapped, 6to4, Teredo or NAT64 address), then connects to
that very address (the TLS handshake still names the host: SNI and certificate check, and the
``Host`` header carries it), so a DNS answer that changes between the check and the connection
(DNS rebinding) changes nothing. Redirects are never followed.

Tests may allow loopback receivers with the test-only setting ``WEBHOOKS_TEST_ALLOWED_NETWORKS``
(a list of CIDR networks, empty by default) and plain http with ``WEBHOOKS_ALLOW_HTTP`` (only
towards those networks).
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Ranges not covered (or not fully) by the ipaddress module's is_global.
_EXTRA_BLOCKED = [
    ipaddress.ip_network(n)
    for n in (
        "0.0.0.0/8",
        "100.64.0.0/10",  # carrier-grade NAT
        "192.0.0.0/24",
        "198.18.0.0/15",
        "240.0.0.0/4",
        "64:ff9b:1::/48",  # local-use NAT64
        "fc00::/7",
        "fe80::/10",
        "fec0::/10",
    )
]
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class UnsafeDestination(Exception):
    """The URL may not be called (the reason is for the server log, never for the user)."""


def _embedded(address: IPAddress) -> list[IPAddress]:
    """IPv4 addresses carried inside an IPv6 one (mapped, 6to4, Teredo, NAT64, compatible)."""
    if not isinstance(address, ipaddress.IPv6Address):
        return []
    found: list[IPAddress] = []
    if address.ipv4_mapped:
        found.append(address.ipv4_mapped)
    if address.sixtofour:
        found.append(address.sixtofour)
    if address.teredo:
        found.extend(address.teredo)
    if address in _NAT64:
        found.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    if int(address) >> 32 == 0 and int(address) > 1:  # deprecated IPv4-compatible ::a.b.c.d
        found.append(ipaddress.IPv4Address(int(address)))
    return found


def _allowed_for_tests(address: IPAddress) -> bool:
    networks = getattr(settings, "WEBHOOKS_TEST_ALLOWED_NETWORKS", [])
    return any(address in ipaddress.ip_network(n) for n in networks)


def address_is_public(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.scope_id:
        return False
    if (
        not address.is_global
        or address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or any(address in network for network in _EXTRA_BLOCKED)
    ):
        return False
    return all(address_is_public(inner) for inner in _embedded(address))


def address_allowed(address: IPAddress) -> bool:
    return address_is_public(address) or _allowed_for_tests(address)


def _scheme_allowed(scheme: str, address: IPAddress | None) -> bool:
    if scheme == "https":
        return True
    return (
        scheme == "http"
        and getattr(settings, "WEBHOOKS_ALLOW_HTTP", False)
        and address is not None
        and _allowed_for_tests(address)
    )


def _literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return None


def url_validate(url: str) -> None:
    """What can be said of a URL when it is saved (form, admin, API): https, a host, and, when
    the host is an address or ``localhost``, a public one. Names are checked again at send."""
    parts = urlsplit(url)
    host = (parts.hostname or "").rstrip(".").lower()
    literal = _literal(host)
    if not _scheme_allowed(parts.scheme.lower(), literal):
        raise ValidationError("Use an https:// URL.", code="https")
    if not host:
        raise ValidationError("The URL has no host.", code="host")
    if parts.username or parts.password:
        raise ValidationError("The URL may not carry a user name or password.", code="userinfo")
    if host == "localhost" or host.endswith((".localhost", ".internal", ".local")):
        raise ValidationError("Use a public address.", code="public")
    if literal is not None and not address_allowed(literal):
        raise ValidationError("Use a public address.", code="public")
    try:
        parts.port  # noqa: B018  (raises on a port out of range)
    except ValueError as exc:
        raise ValidationError("The URL's port is not valid.", code="port") from exc


@dataclass(frozen=True)
class Destination:
    scheme: str
    host: str
    port: int
    path: str
    address: IPAddress


def resolve(url: str) -> Destination:
    """Resolve ``url``'s host once; every address must be allowed. Raises UnsafeDestination."""
    try:
        url_validate(url)
    except ValidationError as exc:
        raise UnsafeDestination(f"{url!r}: {' '.join(exc.messages)}") from exc
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = parts.hostname or ""
    port = parts.port or (443 if scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise UnsafeDestination(f"{host!r} does not resolve: {exc}") from exc
    addresses = [_literal(str(info[4][0])) for info in infos]
    if not addresses or any(a is None or not address_allowed(a) for a in addresses):
        raise UnsafeDestination(f"{host!r} resolves to a non-public address: {addresses}")
    first = addresses[0]
    assert first is not None
    if not _scheme_allowed(scheme, first):
        raise UnsafeDestination(f"plain http to {first} is not allowed")
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return Destination(scheme=scheme, host=host, port=port, path=path, address=first)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """Connects to a fixed address, while TLS (SNI, certificate) names the host."""

    def __init__(self, destination: Destination, timeout: float) -> None:
        super().__init__(
            destination.host,
            destination.port,
            timeout=timeout,
            context=ssl.create_default_context(),
        )
        self._address = str(destination.address)

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, destination: Destination, timeout: float) -> None:
        super().__init__(destination.host, destination.port, timeout=timeout)
        self._address = str(destination.address)

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


def post(
    destination: Destination, body: bytes, headers: dict[str, str], *, timeout: float
) -> tuple[int, bytes]:
    """POST to the pinned address; (status, the first 500 bytes). Redirects are not followed
    (the caller sees a 3xx); connection errors propagate as OSError/HTTPException."""
    cls = _PinnedHTTPSConnection if destination.scheme == "https" else _PinnedHTTPConnection
    connection = cls(destination, timeout)
    try:
        connection.request("POST", destination.path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.read(500)
    finally:
        connection.close()
