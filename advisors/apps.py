from __future__ import annotations

from django.apps import AppConfig


class AdvisorsConfig(AppConfig):
    name = "advisors"
    verbose_name = "Advisors and firms"

    def ready(self) -> None:
        # Sessions follow credentials: advisors/sessions.py (secauth).
        from advisors import sessions

        sessions.connect_device_signals()
