"""The daily digest goes once per advisor and day: a doubled or restarted beat, a retried task
and two workers at the same moment send one mail; a mail that fails is sent by the retry."""

from __future__ import annotations

import threading
import time
from unittest import mock

import pytest
from celery.exceptions import Retry
from django.core import mail
from django.db import connection, transaction
from django.utils import timezone

from advisors.models import Advisor
from clients.models import Household
from taxlogic import digest, tasks
from taxlogic.models import DigestSent
from tests.plans.conftest import add_loss, review


@pytest.fixture
def ready(households: dict[str, Household], advisor: Advisor, teammate: Advisor) -> list[str]:
    """Two advisors with something in their day; their addresses."""
    for user, key in ((advisor, "advisor"), (teammate, "teammate")):
        user.email = f"{key}@example.com"
        user.save()
        add_loss(households[key])
        review(households[key])
    return ["advisor@example.com", "teammate@example.com"]


def _mails_to(address: str) -> int:
    return sum(1 for m in mail.outbox if m.to == [address])


@pytest.mark.django_db
def test_two_beats_send_one_mail_per_advisor(ready: list[str]) -> None:
    assert digest.digests_send() == 2
    assert digest.digests_send() == 0  # the second beat (or a restarted one): nothing
    tasks.digests_send()  # and the Celery task, as the beat runs it
    assert [_mails_to(a) for a in ready] == [1, 1]
    assert DigestSent.objects.filter(sent__isnull=False).count() == 2


@pytest.mark.django_db
def test_a_failed_mail_is_released_and_the_retry_sends_it_once(ready: list[str]) -> None:
    real = digest.send_mail

    def flaky(*args: object, **kwargs: object) -> int:
        if kwargs["recipient_list"] == ["teammate@example.com"]:
            raise ConnectionRefusedError("SMTP down")
        return real(*args, **kwargs)

    with mock.patch.object(digest, "send_mail", flaky), pytest.raises(digest.DigestsNotSent) as e:
        digest.digests_send()
    assert "teammate" in e.value.failures
    assert [_mails_to(a) for a in ready] == [1, 0]
    assert list(DigestSent.objects.values_list("advisor__username", flat=True)) == ["advisor"]
    assert digest.digests_send() == 1  # the retry: only the one that failed
    assert digest.digests_send() == 0
    assert [_mails_to(a) for a in ready] == [1, 1]


@pytest.mark.django_db
def test_the_task_is_retried_when_a_mail_fails(ready: list[str]) -> None:
    with (
        mock.patch.object(digest, "send_mail", side_effect=OSError("down")),
        pytest.raises(Retry) as retry,
    ):
        tasks.digests_send.apply(throw=True)
    assert isinstance(retry.value.exc, digest.DigestsNotSent)  # Celery retries it, backing off
    assert not DigestSent.objects.exists()
    tasks.digests_send()
    assert [_mails_to(a) for a in ready] == [1, 1]


@pytest.mark.django_db(transaction=True)
def test_a_second_worker_at_the_same_moment_sends_nothing(
    ready: list[str], advisor: Advisor
) -> None:
    """Another worker holds the claim of ``advisor``'s digest in an open transaction: this one
    waits on the unique constraint, then leaves that digest to it (and sends the other)."""
    claimed, go = threading.Event(), threading.Event()

    def other_worker() -> None:
        try:
            with transaction.atomic():
                DigestSent.objects.create(advisor=advisor, day=timezone.localdate())
                claimed.set()
                go.wait(10)
        finally:
            connection.close()

    result: dict[str, object] = {}

    def this_worker() -> None:
        try:
            result["sent"] = digest.digests_send()
        finally:
            connection.close()

    holder = threading.Thread(target=other_worker)
    holder.start()
    assert claimed.wait(10)
    sender = threading.Thread(target=this_worker)
    sender.start()
    time.sleep(1.0)
    go.set()
    sender.join(20)
    holder.join(20)
    assert result["sent"] == 1
    assert [_mails_to(a) for a in ready] == [0, 1]  # advisor's is the other worker's to send


@pytest.mark.django_db(transaction=True)
def test_two_workers_racing_send_one_mail_per_advisor(ready: list[str]) -> None:
    barrier = threading.Barrier(2)
    counts: list[int] = []

    def worker() -> None:
        try:
            barrier.wait(10)
            counts.append(digest.digests_send())
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(counts) in ([0, 2], [1, 1])
    assert [_mails_to(a) for a in ready] == [1, 1]
