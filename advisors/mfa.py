"""The second factor: an authenticator app (TOTP, django-otp) and ten single-use recovery codes.

A session is *verified* once its user has typed a current code from their app (or a recovery
code) after the password: the device's id is kept in the session under django-otp's own key.
``advisors.security_middleware.SecondFactorMiddleware`` sends every unverified session to the
verify page (or, for a user with no app yet, to the enrolment page) whatever page it asks for.

A code works once: django-otp remembers the last time step a TOTP device accepted and refuses
that step and every earlier one; a recovery code is deleted when used. Verification locks the
device row, so two requests racing with one code cannot both win. Wrong codes slow down
(django-otp's throttling doubles the wait after each failure).
"""

from __future__ import annotations

import base64
import logging

import django_otp
import segno
from django.db import transaction
from django.http import HttpRequest
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from advisors import sessions
from advisors.models import Advisor
from advisors.security_models import SecurityEvent, SecurityEventKind

log = logging.getLogger(__name__)

SESSION_KEY = django_otp.DEVICE_ID_SESSION_KEY
APP_NAME = "Authenticator app"
RECOVERY_NAME = "Recovery codes"
RECOVERY_CODES = 10


def is_verified(request: HttpRequest) -> bool:
    """Whether this request's session passed the second factor (no query: the session only)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return False
    return bool(request.session.get(SESSION_KEY))


def has_app(user: Advisor) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def pending_app(user: Advisor) -> TOTPDevice:
    """The app being set up (a new secret the first time; the same one until confirmed)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=APP_NAME, confirmed=False)
    return device


def secret_base32(device: TOTPDevice) -> str:
    return base64.b32encode(device.bin_key).decode("ascii").rstrip("=")


def qr_svg(device: TOTPDevice) -> str:
    """The otpauth:// address as an inline SVG (no image request, nothing inline to run)."""
    return segno.make(device.config_url, error="m").svg_inline(scale=4, border=2)


def current_code(device: TOTPDevice) -> str:
    """The code the app shows now (for the demo and the tests: the real algorithm)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


def _mark_verified(request: HttpRequest, device: TOTPDevice | StaticDevice) -> None:
    # Django's login() already gave the session a new id after the password.
    django_otp.login(request, device)


def _event(request: HttpRequest, kind: str, subject: Advisor, detail: str = "") -> SecurityEvent:
    from advisors.lockout import client_ip

    actor = request.user if request.user.is_authenticated else None
    event = SecurityEvent.objects.create(
        kind=kind,
        firm_id=subject.firm_id,
        actor=actor,
        subject=subject,
        ip_address=client_ip(request),
        detail=detail,
    )
    log.info("security event %s: user %s by %s", kind, subject.pk, getattr(actor, "pk", None))
    return event


def new_recovery_codes(user: Advisor) -> list[str]:
    """Ten fresh recovery codes; the old ones stop working."""
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


@transaction.atomic
def enrol_confirm(*, request: HttpRequest, device: TOTPDevice, code: str) -> list[str] | None:
    """Confirm the app with a first code: the session is verified, any older app and codes
    are replaced, the user's other sessions end. The new recovery codes, or None if the code
    was wrong."""
    device = TOTPDevice.objects.select_for_update().get(pk=device.pk, user=request.user)
    if device.confirmed or not device.verify_token(code.strip().replace(" ", "")):
        return None
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user=request.user).exclude(pk=device.pk).delete()
    codes = new_recovery_codes(request.user)
    _mark_verified(request, device)
    sessions.end_sessions(request.user, keep=request.session.session_key, reason="mfa")
    _event(request, SecurityEventKind.MFA_ENROLLED, request.user)
    return codes


@transaction.atomic
def verify(*, request: HttpRequest, code: str) -> bool:
    """Check a code from the app, or a recovery code, and verify the session if it is right."""
    user = request.user
    code = code.strip().replace(" ", "").replace("-", "")
    if not code:
        return False
    if code.isdigit():
        for device in TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True):
            if device.verify_token(code):
                _mark_verified(request, device)
                return True
        return False
    for device in StaticDevice.objects.select_for_update().filter(user=user, confirmed=True):
        if device.verify_token(code.lower()):
            _mark_verified(request, device)
            _event(request, SecurityEventKind.RECOVERY_CODE_USED, user)
            return True
    return False


@transaction.atomic
def reset_devices(*, request: HttpRequest, subject: Advisor) -> None:
    """A firm admin resets a lost second factor: the advisor's app and recovery codes go, their
    sessions end; they set up a new app after their next password sign-in. Logged."""
    TOTPDevice.objects.filter(user=subject).delete()
    StaticDevice.objects.filter(user=subject).delete()
    sessions.end_sessions(subject, keep=request.session.session_key, reason="mfa reset")
    _event(request, SecurityEventKind.MFA_RESET, subject)
