from __future__ import annotations

from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm

from advisors.models import Advisor


class AdvisorCreationForm(AdminUserCreationForm):
    class Meta(AdminUserCreationForm.Meta):
        model = Advisor
        fields = ("username",)


class AdvisorChangeForm(UserChangeForm):
    class Meta(UserChangeForm.Meta):
        model = Advisor
        fields = "__all__"
