"""Sign-in pages: Django's auth views with our templates.

Logout is POST only (Django 5); sessions end after SESSION_COOKIE_AGE idle seconds and with
the browser (config/settings.py).
"""

from __future__ import annotations

from django.contrib.auth import views as auth_views

login = auth_views.LoginView.as_view(
    template_name="registration/login.html", redirect_authenticated_user=True
)
logout = auth_views.LogoutView.as_view()
password_change = auth_views.PasswordChangeView.as_view(
    template_name="registration/password_change_form.html"
)
password_change_done = auth_views.PasswordChangeDoneView.as_view(
    template_name="registration/password_change_done.html"
)
