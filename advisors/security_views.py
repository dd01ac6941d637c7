"""Sign-in pages: password (with lockout), second factor, password reset, sessions, and the
firm admin's second-factor reset and security log."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from axes.models import AccessFailureLog, AccessLog
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from advisors import lockout, mfa, scoping, sessions
from advisors.models import Advisor, Role
from advisors.security_models import SecurityEvent, UserSession

LOG_SHOWN = 200


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("clients:household_list")


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    return response


class LoginView(auth_views.LoginView):
    """Django's sign-in page, refusing an address with too many failures and an account
    inside its progressive delay before the password is even looked at."""

    template_name = "registration/login.html"
    redirect_authenticated_user = True

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if lockout.ip_refused(lockout.client_ip(request)):
            return self._refused("Too many failed sign-ins from your network. Try again later.")
        wait = lockout.account_delay(request.POST.get("username", "").strip())
        if wait:
            return self._refused(
                f"Too many failed sign-ins for this account. Wait {wait} seconds and try again.",
                retry_after=wait,
            )
        return super().post(request, *args, **kwargs)

    def _refused(self, message: str, retry_after: int | None = None) -> HttpResponse:
        context = self.get_context_data(form=self.get_form_class()(self.request))
        context["refused"] = message
        response = self.render_to_response(context, status=429)
        if retry_after:
            response["Retry-After"] = str(retry_after)
        return response


login = LoginView.as_view()

password_reset = auth_views.PasswordResetView.as_view(
    template_name="registration/password_reset_form.html",
    email_template_name="registration/password_reset_email.txt",
    subject_template_name="registration/password_reset_subject.txt",
    success_url=reverse_lazy("password_reset_done"),
)
password_reset_done = auth_views.PasswordResetDoneView.as_view(
    template_name="registration/password_reset_done.html"
)
# No sign-in after the reset: the next sign-in asks for the password and the second factor.
password_reset_confirm = auth_views.PasswordResetConfirmView.as_view(
    template_name="registration/password_reset_confirm.html",
    success_url=reverse_lazy("password_reset_complete"),
    post_reset_login=False,
)
password_reset_complete = auth_views.PasswordResetCompleteView.as_view(
    template_name="registration/password_reset_complete.html"
)


@require_http_methods(["GET", "POST"])
def mfa_verify(request: HttpRequest) -> HttpResponse:
    """The second step of every sign-in: a code from the app, or a recovery code."""
    if not request.user.is_authenticated:
        return redirect(f"{reverse('login')}?{urlencode({'next': _next(request)})}")
    if mfa.is_verified(request):
        return redirect(_next(request))
    if not mfa.has_app(request.user):
        return redirect(f"{reverse('mfa_enrol')}?{urlencode({'next': _next(request)})}")
    error = None
    if request.method == "POST":
        if mfa.verify(request=request, code=request.POST.get("code", "")):
            return redirect(_next(request))
        error = "That code is not right (or was already used). Try the current one."
    context = {"next": _next(request), "error": error}
    status = 400 if error else 200
    return _no_store(render(request, "registration/mfa_verify.html", context, status=status))


@require_http_methods(["GET", "POST"])
def mfa_enrol(request: HttpRequest) -> HttpResponse:
    """Set up the authenticator app: on the first sign-in, or to replace it once verified."""
    if not request.user.is_authenticated:
        return redirect("login")
    if mfa.has_app(request.user) and not mfa.is_verified(request):
        return redirect(f"{reverse('mfa_verify')}?{urlencode({'next': _next(request)})}")
    device = mfa.pending_app(request.user)
    error = None
    if request.method == "POST":
        codes = mfa.enrol_confirm(request=request, device=device, code=request.POST.get("code", ""))
        if codes is not None:
            context = {"codes": codes, "next": _next(request)}
            return _no_store(render(request, "registration/mfa_codes.html", context))
        error = "That code is not right. Type the six digits your app shows now."
    context = {
        "secret": mfa.secret_base32(device),
        "qr": mfa.qr_svg(device),
        "next": _next(request),
        "error": error,
        "replacing": mfa.is_verified(request),
    }
    status = 400 if error else 200
    return _no_store(render(request, "registration/mfa_enrol.html", context, status=status))


@login_required
@require_POST
def recovery_codes(request: HttpRequest) -> HttpResponse:
    """Ten new recovery codes (the old ones stop working)."""
    codes = mfa.new_recovery_codes(request.user)
    sessions.end_sessions(request.user, keep=request.session.session_key, reason="codes")
    return _no_store(render(request, "registration/mfa_codes.html", {"codes": codes}))


@login_required
@require_http_methods(["GET", "POST"])
def session_list(request: HttpRequest) -> HttpResponse:
    """The user's signed-in sessions; end one, or all but this one."""
    current = request.session.session_key
    if request.method == "POST":
        if request.POST.get("all"):
            count = sessions.end_sessions(request.user, keep=current, reason="user")
            messages.success(request, f"Ended {count} other session(s).")
        elif sessions.end_one(request.user, request.POST.get("session", "")):
            messages.success(request, "Session ended.")
        return redirect("session_list")
    rows = UserSession.objects.filter(user=request.user)
    context = {"rows": rows, "current": current}
    return render(request, "registration/sessions.html", context)


def _firm_security_reader(request: HttpRequest) -> HttpResponse | None:
    user = request.user
    if user.firm_id is None or user.role not in (Role.FIRM_ADMIN, Role.COMPLIANCE):
        return HttpResponseForbidden("Only a firm admin or compliance reviewer sees this.")
    return None


@login_required
@require_GET
def security_log(request: HttpRequest) -> HttpResponse:
    """Sign-ins (successes and failures: user, address, UTC time) and security events of the
    firm's people, for its firm admins and compliance reviewers."""
    if (denied := _firm_security_reader(request)) is not None:
        return denied
    people = scoping.visible(request.user, Advisor)
    usernames = people.values("username")
    context = {
        "people": people.order_by("username") if request.user.role == Role.FIRM_ADMIN else None,
        "with_app": set(
            people.filter(totpdevice__confirmed=True).values_list("pk", flat=True).distinct()
        ),
        "successes": AccessLog.objects.filter(username__in=usernames).order_by("-attempt_time")[
            :LOG_SHOWN
        ],
        "failures": AccessFailureLog.objects.filter(username__in=usernames).order_by(
            "-attempt_time"
        )[:LOG_SHOWN],
        "events": scoping.visible(request.user, SecurityEvent).select_related("actor", "subject")[
            :LOG_SHOWN
        ],
    }
    return render(request, "registration/security_log.html", context)


@login_required
@require_POST
def mfa_reset(request: HttpRequest, advisor_id: UUID) -> HttpResponse:
    """A firm admin resets the lost second factor of one of the firm's people (logged)."""
    if request.user.role != Role.FIRM_ADMIN or request.user.firm_id is None:
        return HttpResponseForbidden("Only a firm admin resets a second factor.")
    subject, may_write = scoping.object_for_user(request.user, Advisor, public_id=advisor_id)
    if not may_write or subject.pk == request.user.pk:
        return HttpResponseForbidden("You may not reset this person's second factor.")
    mfa.reset_devices(request=request, subject=subject)
    messages.success(
        request, f"Reset the second factor of {subject}: they set up a new app at next sign-in."
    )
    return redirect("security_log")
