from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm

from advisors import netguard
from advisors.models import Advisor, ApiScope, WebhookEvent


class AdvisorCreationForm(AdminUserCreationForm):
    class Meta(AdminUserCreationForm.Meta):
        model = Advisor
        fields = ("username",)


class AdvisorChangeForm(UserChangeForm):
    class Meta(UserChangeForm.Meta):
        model = Advisor
        fields = "__all__"


class ApiClientForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="What it is, e.g. Redtail sync.")
    scopes = forms.MultipleChoiceField(
        choices=ApiScope.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=[ApiScope.READ],
    )


class WebhookEndpointForm(forms.Form):
    url = forms.URLField(
        max_length=500, label="URL", assume_scheme="https", validators=[netguard.url_validate]
    )
    description = forms.CharField(max_length=200, required=False)
    events = forms.MultipleChoiceField(
        choices=[c for c in WebhookEvent.choices if c[0] != WebhookEvent.PING],
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="None chosen: every event.",
    )
