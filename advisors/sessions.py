"""Signed-in sessions: their limits, their list, and ending them.

- Idle: ``SESSION_COOKIE_AGE`` (30 minutes) from the session's last save, which a request
  makes at most every ``SESSION_REFRESH_EVERY`` seconds (``refresh``): a page costs no session
  write, and the idle limit is kept to within that many seconds.
- Absolute: ``SESSION_ABSOLUTE_AGE`` (12 hours) after the password sign-in, however active.
- Each session has a ``UserSession`` row (listed on /accounts/security/sessions/); its
  last-seen time is refreshed at most every ``SEEN_EVERY`` seconds, so a page costs no
  extra query.
- Disabling a user, changing their password or second factor ends their other sessions and
  their OAuth2 tokens (``end_sessions``).
"""

from __future__ import annotations

import contextvars
import logging
import time
from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils import timezone

from advisors.security_models import UserSession

log = logging.getLogger(__name__)

LOGIN_AT = "hd_login_at"
REFRESHED_AT = "hd_refreshed_at"
TRACKED = "hd_session_key"
SEEN_AT = "hd_seen_at"
SEEN_EVERY = 300

# The session key of the request being served, so that a user's own change keeps the
# session that made it.
current_session_key: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "current_session_key", default=None
)


def _store() -> Any:
    return import_module(settings.SESSION_ENGINE).SessionStore


def _ip(request: HttpRequest) -> str | None:
    from advisors.lockout import client_ip

    return client_ip(request)


def end_sessions(user: Any, *, keep: str | None = None, reason: str = "") -> int:
    """End every session of ``user`` but ``keep``, and revoke the user's OAuth2 tokens."""
    from oauth2_provider.models import get_access_token_model, get_refresh_token_model

    rows = UserSession.objects.filter(user=user)
    if keep:
        rows = rows.exclude(session_key=keep)
    store = _store()
    keys = list(rows.values_list("session_key", flat=True))
    for key in keys:
        store(session_key=key).delete()
    rows.delete()
    get_refresh_token_model().objects.filter(user=user).delete()
    get_access_token_model().objects.filter(user=user).delete()
    if keys:
        log.info("ended %d session(s) of user %s (%s)", len(keys), user.pk, reason)
    return len(keys)


def end_one(user: Any, public_key: str) -> bool:
    """The user ends one of their own sessions (never someone else's)."""
    row = UserSession.objects.filter(user=user, session_key=public_key).first()
    if row is None:
        return False
    _store()(session_key=row.session_key).delete()
    row.delete()
    return True


def start(request: HttpRequest, user: Any) -> None:
    """A password sign-in: the session's clock starts and it gets its row."""
    session = request.session
    if session.session_key is None:
        session.save()
    now = int(time.time())
    session[LOGIN_AT] = now
    session[SEEN_AT] = now
    session[TRACKED] = session.session_key
    UserSession.objects.update_or_create(
        session_key=session.session_key,
        defaults={
            "user": user,
            "ip_address": _ip(request),
            "user_agent": request.META.get("HTTP_USER_AGENT", "")[:200],
        },
    )


def expired(request: HttpRequest) -> bool:
    started = request.session.get(LOGIN_AT)
    if started is None:
        request.session[LOGIN_AT] = int(time.time())  # a session from before this rule
        return False
    return time.time() - started > settings.SESSION_ABSOLUTE_AGE


def refresh(request: HttpRequest) -> None:
    """After a response: restart the idle clock (save the session) if it was last saved more
    than ``SESSION_REFRESH_EVERY`` seconds ago; a session changed by the request is saved
    anyway (Django's SessionMiddleware)."""
    session = request.session
    if session.session_key is None or session.is_empty():
        return
    now = int(time.time())
    if session.modified or now - session.get(REFRESHED_AT, 0) >= settings.SESSION_REFRESH_EVERY:
        session[REFRESHED_AT] = now


def track(request: HttpRequest) -> None:
    """After a response: follow a changed session key; refresh last-seen now and then."""
    session = request.session
    key = session.session_key
    if key is None or not request.user.is_authenticated:
        return
    tracked = session.get(TRACKED)
    now = int(time.time())
    if tracked != key:
        updated = UserSession.objects.filter(session_key=tracked, user=request.user).update(
            session_key=key, last_seen=timezone.now()
        )
        if not updated:
            UserSession.objects.update_or_create(
                session_key=key,
                defaults={
                    "user": request.user,
                    "ip_address": _ip(request),
                    "user_agent": request.META.get("HTTP_USER_AGENT", "")[:200],
                },
            )
        session[TRACKED] = key
        session[SEEN_AT] = now
    elif now - session.get(SEEN_AT, 0) > SEEN_EVERY:
        UserSession.objects.filter(session_key=key).update(last_seen=timezone.now())
        session[SEEN_AT] = now


@receiver(user_logged_in, dispatch_uid="hd_session_start")
def _on_login(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        start(request, user)


@receiver(user_logged_out, dispatch_uid="hd_session_end")
def _on_logout(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if request is not None and request.session.session_key:
        UserSession.objects.filter(session_key=request.session.session_key).delete()


@receiver(pre_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="hd_user_credentials")
def _credentials_changing(sender: Any, instance: Any, update_fields: Any = None, **kw: Any) -> None:
    if instance.pk is None or kw.get("raw"):
        return
    if update_fields is not None and not {"password", "is_active"} & set(update_fields):
        return
    old = sender.objects.filter(pk=instance.pk).values("password", "is_active").first()
    if old is None:
        return
    if old["password"] != instance.password:
        instance._hd_end_sessions = "password changed"
    elif old["is_active"] and not instance.is_active:
        instance._hd_end_sessions = "user disabled"


@receiver(post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="hd_user_credentials_saved")
def _credentials_changed(sender: Any, instance: Any, **kwargs: Any) -> None:
    reason = instance.__dict__.pop("_hd_end_sessions", None)
    if reason:
        from advisors.security_models import SecurityEvent, SecurityEventKind

        # At once, not on commit: ending a session too many is harmless, one too few is not.
        end_sessions(instance, keep=current_session_key.get(), reason=reason)
        kind = (
            SecurityEventKind.PASSWORD_CHANGED
            if reason == "password changed"
            else SecurityEventKind.USER_DISABLED
        )
        SecurityEvent.objects.create(kind=kind, firm_id=instance.firm_id, subject=instance)


def _device_removed(sender: Any, instance: Any, **kwargs: Any) -> None:
    """A second factor removed (also from the admin): the user's other sessions end."""
    if getattr(instance, "confirmed", False) and instance.user_id:
        end_sessions(instance.user, keep=current_session_key.get(), reason="second factor")


def connect_device_signals() -> None:
    from django.db.models.signals import post_delete
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice

    for model in (TOTPDevice, StaticDevice):
        post_delete.connect(_device_removed, sender=model, dispatch_uid=f"hd_{model.__name__}")
