"""Brute force: 5 failures lock a username+address for 15 minutes, an address is refused after
30 failures whatever the usernames, an account slows down (1 s, 2 s, 4 s … 30 s) but is never
locked out from elsewhere; a forged X-Forwarded-For changes nothing; every sign-in is logged."""

from __future__ import annotations

import datetime

import pytest
from axes.models import AccessFailureLog, AccessLog
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from advisors import lockout
from advisors.models import Advisor
from tests.factories import PASSWORD, AdvisorFactory
from tests.security.fixtures_helpers import age_failures, attempt


def test_the_figures_are_the_settings_the_issue_asks_for(settings) -> None:
    assert settings.AXES_FAILURE_LIMIT == 5
    assert datetime.timedelta(minutes=15) == settings.AXES_COOLOFF_TIME
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]
    assert settings.LOGIN_IP_FAILURE_LIMIT == 30
    assert (settings.LOGIN_ACCOUNT_DELAY_AFTER, settings.LOGIN_ACCOUNT_DELAY_MAX) == (3, 30)


def test_five_failures_lock_the_pair_for_fifteen_minutes_not_the_advisor_elsewhere(
    advisor: Advisor, address: str
) -> None:
    for _ in range(4):
        assert attempt(advisor.username, "wrong", address).status_code == 200
        age_failures(advisor.username, seconds=60)  # past the per-account delay
    assert attempt(advisor.username, "wrong", address).status_code == 429  # the fifth locks
    age_failures(advisor.username, seconds=60)
    locked = attempt(advisor.username, PASSWORD, address)  # the right password, too late
    assert locked.status_code == 429
    assert b"Too many failed sign-ins" in locked.content
    assert "_auth_user_id" not in locked.client.session

    # The advisor at another address signs in: the attempts refused while locked did not
    # lengthen the account's delay.
    elsewhere = attempt(advisor.username, PASSWORD, "203.0.113.9")
    assert elsewhere.status_code == 302

    # Fifteen minutes later the pair may try again.
    age_failures(advisor.username, seconds=15 * 60 + 1, attempts_too=True)
    assert attempt(advisor.username, PASSWORD, address).status_code == 302


def test_the_account_delay_grows_and_is_capped(advisor: Advisor, address: str) -> None:
    for _ in range(3):
        assert attempt(advisor.username, "wrong", address).status_code == 200
    assert lockout.account_delay(advisor.username) == 1
    refused = attempt(advisor.username, PASSWORD, "203.0.113.10")  # even the right password
    assert refused.status_code == 429 and refused["Retry-After"] == "1"
    assert AccessFailureLog.objects.filter(username=advisor.username).count() == 3  # not counted
    delays = []
    for n in range(6):  # a guesser moving from address to address
        age_failures(advisor.username, seconds=40)
        assert attempt(advisor.username, "wrong", f"192.0.2.{n + 1}").status_code == 200
        delays.append(lockout.account_delay(advisor.username))
    assert delays == [2, 4, 8, 16, 30, 30]
    age_failures(advisor.username, seconds=31)
    assert attempt(advisor.username, PASSWORD, "203.0.113.10").status_code == 302


def test_an_address_with_thirty_failures_is_refused_whatever_the_username(
    db: None, address: str
) -> None:
    users = [AdvisorFactory() for _ in range(31)]
    for user in users[:30]:
        assert attempt(user.username, "wrong", address).status_code == 200
    refused = attempt(users[30].username, PASSWORD, address)
    assert refused.status_code == 429 and b"from your network" in refused.content
    assert attempt(users[30].username, PASSWORD, "203.0.113.11").status_code == 302


def test_a_forged_forwarded_for_does_not_reset_the_counters(advisor: Advisor, address: str) -> None:
    for n in range(5):
        response = attempt(advisor.username, "wrong", address, HTTP_X_FORWARDED_FOR=f"10.9.9.{n}")
        assert response.status_code == (200 if n < 4 else 429)
        age_failures(advisor.username, seconds=60)
    assert set(AccessFailureLog.objects.values_list("ip_address", flat=True)) == {address}
    forged = attempt(advisor.username, PASSWORD, address, HTTP_X_FORWARDED_FOR="192.0.2.77")
    assert forged.status_code == 429


@pytest.mark.parametrize(
    ("remote", "forwarded", "seen"),
    [
        ("198.51.100.1", "192.0.2.1", "198.51.100.1"),  # not a proxy: the header is ignored
        ("10.0.0.5", "192.0.2.1", "192.0.2.1"),  # our proxy: its client
        ("10.0.0.5", "192.0.2.66, 192.0.2.1", "192.0.2.1"),  # a forged left part is skipped
        ("10.0.0.5", "192.0.2.1, 10.0.0.6", "192.0.2.1"),  # two proxies of ours
        ("10.0.0.5", "not-an-address", "10.0.0.5"),
        ("10.0.0.5", "", "10.0.0.5"),
    ],
)
def test_forwarded_for_is_read_only_from_trusted_proxies(
    rf, remote: str, forwarded: str, seen: str
) -> None:
    request = rf.get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)
    with override_settings(TRUSTED_PROXIES=["10.0.0.0/24"]):
        assert lockout.client_ip(request) == seen


def test_every_success_and_failure_is_logged_with_user_address_and_utc_time(
    advisor: Advisor, address: str
) -> None:
    before = timezone.now()
    attempt(advisor.username, "wrong", address)
    age_failures(advisor.username, seconds=60)
    attempt(advisor.username, PASSWORD, address)
    failure = AccessFailureLog.objects.get(username=advisor.username)
    success = AccessLog.objects.get(username=advisor.username)
    for row in (failure, success):
        assert row.ip_address == address
        assert row.attempt_time >= before - datetime.timedelta(seconds=61)
        assert row.attempt_time.utcoffset() == datetime.timedelta(0)


def test_the_admin_signs_in_through_the_site_page(db: None) -> None:
    response = Client().get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
