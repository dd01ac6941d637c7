"""Webhooks against a real HTTP server in a thread: signed deliveries, retries with back-off
through Celery (eager in tests, so retries run at once), the delivery log, and the pages."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from advisors import webhooks
from advisors.models import (
    ApiClient,
    DeliveryStatus,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)


class Receiver:
    """A local webhook receiver: answers ``fail_first`` requests with 500, then 200, and checks
    every signature with ``secret``."""

    def __init__(self) -> None:
        self.secret = ""
        self.fail_first = 0
        self.requests: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                header = self.headers.get(webhooks.SIGNATURE_HEADER, "")
                receiver.requests.append(
                    {
                        "body": json.loads(body),
                        "valid": webhooks.signature_verify(
                            secret=receiver.secret, header=header, body=body
                        ),
                        "event": self.headers.get(webhooks.EVENT_HEADER),
                        "delivery": self.headers.get(webhooks.DELIVERY_HEADER),
                    }
                )
                failing = len(receiver.requests) <= receiver.fail_first
                self.send_response(500 if failing else 200)
                self.end_headers()
                self.wfile.write(b"nope" if failing else b"ok")

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks"


@pytest.fixture
def receiver(settings: object) -> Iterator[Receiver]:
    # Test-only: the loopback receiver is allowed, over plain http (advisors/netguard.py).
    settings.WEBHOOKS_ALLOW_HTTP = True
    settings.WEBHOOKS_TEST_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    receiver = Receiver()
    thread = threading.Thread(target=receiver.server.serve_forever, daemon=True)
    thread.start()
    yield receiver
    receiver.server.shutdown()
    receiver.server.server_close()


@pytest.fixture
def endpoint(receiver: Receiver, firm_a: object, firm_admin: object) -> WebhookEndpoint:
    endpoint = webhooks.webhook_endpoint_create(
        firm=firm_a, url=receiver.url, events=[], created_by=firm_admin
    )
    receiver.secret = endpoint.secret
    return endpoint


def test_sign_and_verify() -> None:
    body = b'{"a":1}'
    header = webhooks.sign(secret="s3cret", body=body, timestamp=1_700_000_000)
    assert webhooks.signature_verify(secret="s3cret", header=header, body=body, now=1_700_000_010)
    assert not webhooks.signature_verify(
        secret="other", header=header, body=body, now=1_700_000_010
    )
    assert not webhooks.signature_verify(
        secret="s3cret", header=header, body=b'{"a":2}', now=1_700_000_010
    )
    # A replay long after it was signed is refused.
    assert not webhooks.signature_verify(
        secret="s3cret", header=header, body=body, now=1_800_000_000
    )
    assert not webhooks.signature_verify(secret="s3cret", header="garbage", body=body)


def test_back_off_doubles_up_to_a_cap() -> None:
    waits = [webhooks.retry_delay(n) for n in range(1, 12)]
    assert waits[:4] == [timedelta(minutes=m) for m in (1, 2, 4, 8)]
    assert max(waits) == webhooks.LONGEST_WAIT


def test_an_event_is_delivered_signed_after_commit(
    endpoint: WebhookEndpoint, receiver: Receiver, django_capture_on_commit_callbacks: object
) -> None:
    payload = {"household": "h-1", "tax_saved": "1234.50"}
    with django_capture_on_commit_callbacks(execute=True):
        (delivery,) = webhooks.webhooks_emit(
            firm_id=endpoint.firm_id, event=WebhookEvent.ACTION_PLAN_READY, payload=payload
        )
        assert receiver.requests == []  # nothing leaves before the commit
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SUCCEEDED and delivery.attempt_count == 1
    (request,) = receiver.requests
    assert request["valid"] is True
    assert request["event"] == "action_plan.ready"
    assert request["delivery"] == str(delivery.public_id)
    assert request["body"]["data"] == payload
    assert request["body"]["firm"] == str(endpoint.firm.public_id)


def test_a_failing_receiver_is_retried_until_it_answers(
    endpoint: WebhookEndpoint, receiver: Receiver, django_capture_on_commit_callbacks: object
) -> None:
    receiver.fail_first = 2
    with django_capture_on_commit_callbacks(execute=True):
        (delivery,) = webhooks.webhooks_emit(
            firm_id=endpoint.firm_id, event=WebhookEvent.REVIEW_FAILED, payload={"x": "1"}
        )
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SUCCEEDED
    attempts = list(delivery.attempts.values_list("number", "status_code"))
    assert attempts == [(1, 500), (2, 500), (3, 200)]
    assert len({r["delivery"] for r in receiver.requests}) == 1  # same id on every retry
    assert all(r["valid"] for r in receiver.requests)


def test_a_receiver_that_never_answers_fails_after_the_last_attempt(
    endpoint: WebhookEndpoint, receiver: Receiver, django_capture_on_commit_callbacks: object
) -> None:
    receiver.fail_first = 100
    with django_capture_on_commit_callbacks(execute=True):
        (delivery,) = webhooks.webhooks_emit(
            firm_id=endpoint.firm_id, event=WebhookEvent.REVIEW_FAILED, payload={}
        )
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.attempt_count == webhooks.MAX_ATTEMPTS == len(receiver.requests)


def test_the_wait_before_a_retry_follows_the_back_off(
    endpoint: WebhookEndpoint, receiver: Receiver
) -> None:
    receiver.fail_first = 1
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint, event=WebhookEvent.PING, payload={}
    )
    wait = webhooks.webhook_delivery_attempt(delivery_id=delivery.pk)
    assert wait == webhooks.retry_delay(1)
    delivery.refresh_from_db()
    attempt = delivery.attempts.get()
    assert delivery.status == DeliveryStatus.PENDING and attempt.status_code == 500
    assert attempt.response_excerpt == "nope"
    assert delivery.next_attempt_at - attempt.at == pytest.approx(wait, abs=timedelta(seconds=5))
    assert webhooks.webhook_delivery_attempt(delivery_id=delivery.pk) is None
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SUCCEEDED


def test_an_unreachable_url_is_logged(
    firm_a: object, firm_admin: object, settings: object, caplog: pytest.LogCaptureFixture
) -> None:
    settings.WEBHOOKS_ALLOW_HTTP = True
    settings.WEBHOOKS_TEST_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    endpoint = webhooks.webhook_endpoint_create(
        firm=firm_a, url="http://127.0.0.1:9/x", events=["review.failed"], created_by=firm_admin
    )
    delivery = WebhookDelivery.objects.create(endpoint=endpoint, event="review.failed", payload={})
    assert webhooks.webhook_delivery_attempt(delivery_id=delivery.pk) is not None
    attempt = delivery.attempts.get()
    # The user sees a generic error; the reason is in the server log only.
    assert attempt.status_code is None and attempt.error == webhooks.GENERIC_ERROR
    assert "Connection refused" in caplog.text


def test_only_subscribed_endpoints_get_an_event(
    endpoint: WebhookEndpoint, firm_a: object, firm_admin: object, receiver: Receiver
) -> None:
    webhooks.webhook_endpoint_create(
        firm=firm_a, url=receiver.url, events=["review.failed"], created_by=firm_admin
    )
    deliveries = webhooks.webhooks_emit(
        firm_id=firm_a.pk, event=WebhookEvent.RECOMMENDATION_DECIDED, payload={}
    )
    assert [d.endpoint for d in deliveries] == [endpoint]


def test_urls_must_be_https(firm_a: object, firm_admin: object, settings: object) -> None:
    from django.core.exceptions import ValidationError

    settings.WEBHOOKS_ALLOW_HTTP = False
    with pytest.raises(ValidationError):
        webhooks.webhook_endpoint_create(
            firm=firm_a, url="http://example.com/", events=[], created_by=firm_admin
        )


# --- The pages ------------------------------------------------------------------------------


def test_firm_admin_creates_and_revokes_an_api_client(
    client_for: object, firm_admin: object
) -> None:
    browser = client_for(firm_admin)
    response = browser.post(
        "/accounts/integrations/api-clients/", {"name": "Redtail sync", "scopes": ["read", "write"]}
    )
    assert response.status_code == 200
    client = ApiClient.objects.get(name="Redtail sync")
    assert client.scopes == "read write" and client.firm == firm_admin.firm
    assert client.client_id.encode() in response.content
    assert b"shown only this once" in response.content
    assert response["Cache-Control"] == "no-store"
    listing = browser.get("/accounts/integrations/api-clients/")
    assert b"Redtail sync" in listing.content and b"shown only this once" not in listing.content

    revoke = browser.post(f"/accounts/integrations/api-clients/{client.public_id}/revoke/")
    assert revoke.status_code == 302
    client.refresh_from_db()
    assert client.revoked is not None


def test_other_roles_and_firms_cannot_manage_integrations(
    client_for: object, advisor: object, compliance: object, outsider: object, firm_admin: object
) -> None:
    for user in (advisor, compliance):
        assert client_for(user).get("/accounts/integrations/api-clients/").status_code == 403
        assert client_for(user).get("/accounts/integrations/webhooks/").status_code == 403
    from advisors import services

    client, _ = services.api_client_create(
        firm=firm_admin.firm, name="x", scopes=["read"], created_by=firm_admin
    )
    other_admin = type(firm_admin).objects.create(
        username="b-admin", firm=outsider.firm, role="firm_admin"
    )
    url = f"/accounts/integrations/api-clients/{client.public_id}/revoke/"
    assert client_for(other_admin).post(url).status_code == 404
    client.refresh_from_db()
    assert client.revoked is None


def test_webhook_pages(
    client_for: object,
    firm_admin: object,
    receiver: Receiver,
    django_capture_on_commit_callbacks: object,
) -> None:
    browser = client_for(firm_admin)
    response = browser.post(
        "/accounts/integrations/webhooks/",
        {"url": receiver.url, "description": "CRM", "events": ["action_plan.ready"]},
    )
    assert response.status_code == 200
    endpoint = WebhookEndpoint.objects.get(url=receiver.url)
    assert endpoint.secret.encode() in response.content
    receiver.secret = endpoint.secret
    detail = f"/accounts/integrations/webhooks/{endpoint.public_id}/"
    with django_capture_on_commit_callbacks(execute=True):
        assert browser.post(detail, {"do": "ping"}).status_code == 302
    assert receiver.requests[0]["valid"] and receiver.requests[0]["event"] == "ping"
    log = browser.get(detail)
    assert b"HTTP 200" in log.content and endpoint.secret.encode() not in log.content
    rotated = browser.post(detail, {"do": "rotate"})
    endpoint.refresh_from_db()
    assert endpoint.secret.encode() in rotated.content and endpoint.secret != receiver.secret
    assert browser.post(detail, {"do": "disable"}).status_code == 302
    endpoint.refresh_from_db()
    assert endpoint.is_active is False


def test_a_worker_retries_through_celery_with_the_back_off(
    endpoint: WebhookEndpoint, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    from celery.exceptions import Retry

    from advisors.tasks import webhook_deliver

    receiver.fail_first = 1
    delivery = WebhookDelivery.objects.create(endpoint=endpoint, event="ping", payload={})
    countdowns: list[float] = []

    def retry(countdown: float) -> Retry:
        countdowns.append(countdown)
        return Retry(when=countdown)

    monkeypatch.setattr(webhook_deliver, "retry", retry)
    with pytest.raises(Retry):
        webhook_deliver.run(delivery.pk)  # as a worker runs it: not eager
    assert countdowns == [webhooks.retry_delay(1).total_seconds()]
    webhook_deliver.run(delivery.pk)  # the retry, when the countdown is over
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SUCCEEDED and delivery.attempt_count == 2
