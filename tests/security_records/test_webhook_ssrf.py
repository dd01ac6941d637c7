"""Webhooks cannot reach inside: https only (form, admin, model), every delivery's resolved
address public (each address class refused before any connection), DNS rebinding defeated by
connecting to the checked address, redirects refused, and the user sees only a generic error.

No test here sends traffic anywhere but loopback: refused destinations are refused before a
socket is opened (asserted by making ``socket.create_connection`` fail the test)."""

from __future__ import annotations

import ipaddress
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.exceptions import ValidationError

from advisors import netguard, webhooks
from advisors.forms import WebhookEndpointForm
from advisors.models import WebhookDelivery, WebhookEndpoint

REFUSED = {
    "loopback v4": "127.0.0.1",
    "loopback v4 other": "127.3.4.5",
    "loopback v6": "::1",
    "private 10": "10.0.0.1",
    "private 172": "172.16.5.4",
    "private 192": "192.168.1.1",
    "cloud metadata (link-local)": "169.254.169.254",
    "link-local v6": "fe80::1",
    "unique local v6": "fd00::1",
    "multicast v4": "224.0.0.1",
    "multicast v6": "ff02::1",
    "reserved": "240.0.0.1",
    "broadcast": "255.255.255.255",
    "unspecified v4": "0.0.0.0",
    "unspecified v6": "::",
    "this network": "0.1.2.3",
    "carrier-grade NAT": "100.64.0.1",
    "benchmarking": "198.18.0.1",
    "documentation": "192.0.2.1",
    "IPv6-mapped loopback": "::ffff:127.0.0.1",
    "IPv6-mapped private": "::ffff:10.0.0.1",
    "IPv6-mapped metadata": "::ffff:169.254.169.254",
    "IPv4-compatible loopback": "::127.0.0.1",
    "6to4 private": "2002:0a00:0001::1",
    "6to4 loopback": "2002:7f00:0001::1",
    "NAT64 loopback": "64:ff9b::7f00:1",
    "NAT64 private": "64:ff9b::a00:1",
    "NAT64 local-use": "64:ff9b:1::1",
    "Teredo": "2001:0:4136:e378:8000:63bf:3fff:fdd2",
}


@pytest.fixture
def no_connections(monkeypatch: pytest.MonkeyPatch) -> list[tuple]:
    """Any connection attempt fails the test (and is recorded)."""
    tried: list[tuple] = []

    def refuse(address: tuple, *args: object, **kwargs: object) -> None:
        tried.append(address)
        raise AssertionError(f"a connection was attempted to {address}")

    monkeypatch.setattr(socket, "create_connection", refuse)
    return tried


def _resolving_to(monkeypatch: pytest.MonkeyPatch, address: str) -> None:
    family = socket.AF_INET6 if ":" in address else socket.AF_INET

    def fake_getaddrinfo(host: str, port: int, *args: object, **kwargs: object) -> list:
        sockaddr = (address, port, 0, 0) if family == socket.AF_INET6 else (address, port)
        return [(family, socket.SOCK_STREAM, 6, "", sockaddr)]

    monkeypatch.setattr(socket, "getaddrinfo", fake_getaddrinfo)


@pytest.mark.parametrize("address", REFUSED.values(), ids=REFUSED.keys())
def test_every_non_public_address_class_is_refused(address: str) -> None:
    assert not netguard.address_is_public(ipaddress.ip_address(address))
    host = f"[{address}]" if ":" in address else address
    with pytest.raises(ValidationError):
        netguard.url_validate(f"https://{host}:6379/")


@pytest.mark.parametrize("address", ["8.8.8.8", "93.184.216.34", "2606:4700:4700::1111"])
def test_public_addresses_pass(address: str) -> None:
    assert netguard.address_is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", REFUSED.values(), ids=REFUSED.keys())
def test_a_name_resolving_to_an_inside_address_is_refused_at_send_time(
    address: str,
    monkeypatch: pytest.MonkeyPatch,
    no_connections: list,
    firm_a: object,
    firm_admin: object,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Saved while the name looked public; it resolves inside at delivery (DNS rebinding).
    endpoint = webhooks.webhook_endpoint_create(
        firm=firm_a, url="https://hooks.example.com/in", events=[], created_by=firm_admin
    )
    _resolving_to(monkeypatch, address)
    delivery = WebhookDelivery.objects.create(endpoint=endpoint, event="ping", payload={})
    webhooks.webhook_delivery_attempt(delivery_id=delivery.pk)
    attempt = delivery.attempts.get()
    assert no_connections == []
    assert attempt.status_code is None and attempt.error == "Could not deliver."
    assert attempt.response_excerpt == ""
    assert "non-public address" in caplog.text  # the reason, for the server log only


def test_one_inside_address_among_public_ones_is_refused(
    monkeypatch: pytest.MonkeyPatch, no_connections: list
) -> None:
    answers = [
        (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("8.8.8.8", 443)),
        (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.7", 443)),
    ]
    monkeypatch.setattr(socket, "getaddrinfo", lambda *a, **k: answers)
    with pytest.raises(netguard.UnsafeDestination):
        netguard.resolve("https://mixed.example.com/")


def test_the_connection_goes_to_the_checked_address_not_a_second_lookup(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Resolved once: the socket connects to the address that was checked, and TLS still names
    the host (SNI / certificate)."""
    lookups: list[str] = []
    connected: list[tuple] = []

    def getaddrinfo(host: str, port: int, *args: object, **kwargs: object) -> list:
        lookups.append(host)
        # A rebinding resolver: public first, loopback on any later lookup.
        address = "93.184.216.34" if len(lookups) == 1 else "127.0.0.1"
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    class Stop(Exception):
        pass

    def create_connection(address: tuple, *args: object, **kwargs: object) -> None:
        connected.append(address)
        raise Stop

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(socket, "create_connection", create_connection)
    destination = netguard.resolve("https://rebind.example.com/hook?x=1")
    assert destination.host == "rebind.example.com" and destination.path == "/hook?x=1"
    with pytest.raises(Stop):
        netguard.post(destination, b"{}", {}, timeout=1)
    assert lookups == ["rebind.example.com"]
    assert connected == [("93.184.216.34", 443)]


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/hook",
        "ftp://example.com/",
        "https://localhost/hook",
        "https://db.internal/",
        "https://user:pw@example.com/",
        "https://169.254.169.254/latest/meta-data/",
        "https://[::1]:5432/",
        "https://127.0.0.1:6379/",
        "https://10.0.0.1/",
    ],
)
def test_form_and_service_refuse_bad_urls(url: str, firm_a: object, firm_admin: object) -> None:
    form = WebhookEndpointForm({"url": url, "events": []})
    assert not form.is_valid() and "url" in form.errors
    with pytest.raises(ValidationError) as caught:
        webhooks.webhook_endpoint_create(firm=firm_a, url=url, events=[], created_by=firm_admin)
    assert "url" in caught.value.message_dict
    assert not WebhookEndpoint.objects.exists()


def test_plain_http_is_refused_even_with_the_http_setting_unless_allowlisted(
    settings: object, firm_a: object, firm_admin: object
) -> None:
    settings.WEBHOOKS_ALLOW_HTTP = True
    with pytest.raises(ValidationError):
        webhooks.webhook_endpoint_create(
            firm=firm_a, url="http://example.com/", events=[], created_by=firm_admin
        )


def test_the_admin_refuses_http_and_inside_urls(
    client_for: object, superuser: object, firm_a: object, firm_admin: object
) -> None:
    endpoint = webhooks.webhook_endpoint_create(
        firm=firm_a, url="https://hooks.example.com/x", events=[], created_by=firm_admin
    )
    browser = client_for(superuser)
    url = f"/admin/advisors/webhookendpoint/{endpoint.pk}/change/"
    page = browser.get(url)
    assert page.status_code == 200
    for bad in ("http://hooks.example.com/x", "https://127.0.0.1:6379/"):
        response = browser.post(
            url,
            {
                "firm": firm_a.pk,
                "url": bad,
                "description": "",
                "events": "[]",
                "is_active": "on",
                "created_by": firm_admin.pk,
            },
        )
        assert response.status_code == 200  # the form again, with the error
        assert b"errorlist" in response.content
    endpoint.refresh_from_db()
    assert endpoint.url == "https://hooks.example.com/x"


class _Redirector:
    def __init__(self) -> None:
        self.hits: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                outer.hits.append(self.path)
                self.rfile.read(int(self.headers["Content-Length"]))
                if self.path == "/hook":
                    self.send_response(302)
                    self.send_header("Location", "/secret")
                    self.end_headers()
                    self.wfile.write(b"redirect body")
                else:
                    self.send_response(200)
                    self.end_headers()
                    self.wfile.write(b"internal secret")

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)


@pytest.fixture
def redirector(settings: object) -> Iterator[_Redirector]:
    settings.WEBHOOKS_ALLOW_HTTP = True
    settings.WEBHOOKS_TEST_ALLOWED_NETWORKS = ["127.0.0.1/32"]  # test-only loopback allowance
    server = _Redirector()
    thread = threading.Thread(target=server.server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.server.shutdown()
    server.server.server_close()


def test_a_redirect_is_refused_and_not_followed(
    redirector: _Redirector,
    firm_a: object,
    firm_admin: object,
    client_for: object,
    caplog: pytest.LogCaptureFixture,
) -> None:
    port = redirector.server.server_port
    endpoint = webhooks.webhook_endpoint_create(
        firm=firm_a, url=f"http://127.0.0.1:{port}/hook", events=[], created_by=firm_admin
    )
    delivery = WebhookDelivery.objects.create(endpoint=endpoint, event="ping", payload={})
    webhooks.webhook_delivery_attempt(delivery_id=delivery.pk)
    attempt = delivery.attempts.get()
    assert redirector.hits == ["/hook"]  # /secret never asked for
    assert not attempt.succeeded and attempt.error == "Could not deliver."
    assert attempt.response_excerpt == ""  # neither the redirect's body nor the target's
    assert "redirect" in caplog.text
    page = client_for(firm_admin).get(f"/accounts/integrations/webhooks/{endpoint.public_id}/")
    assert b"internal secret" not in page.content and b"redirect body" not in page.content


def test_the_user_sees_the_same_error_for_refused_and_closed_ports(
    settings: object, firm_a: object, firm_admin: object, client_for: object
) -> None:
    settings.WEBHOOKS_ALLOW_HTTP = True
    settings.WEBHOOKS_TEST_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    errors = set()
    for port in (9, 1):  # closed loopback ports (nothing listens there)
        endpoint = webhooks.webhook_endpoint_create(
            firm=firm_a, url=f"http://127.0.0.1:{port}/", events=[], created_by=firm_admin
        )
        delivery = WebhookDelivery.objects.create(endpoint=endpoint, event="ping", payload={})
        webhooks.webhook_delivery_attempt(delivery_id=delivery.pk)
        errors.add(delivery.attempts.get().error)
    settings.WEBHOOKS_TEST_ALLOWED_NETWORKS = []  # now loopback is refused before connecting
    delivery = WebhookDelivery.objects.create(endpoint=endpoint, event="ping", payload={})
    webhooks.webhook_delivery_attempt(delivery_id=delivery.pk)
    errors.add(delivery.attempts.get().error)
    assert errors == {"Could not deliver."}
    page = client_for(firm_admin).get(f"/accounts/integrations/webhooks/{endpoint.public_id}/")
    assert b"Could not deliver." in page.content and b"refused" not in page.content.lower()
