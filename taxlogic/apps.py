from __future__ import annotations

from django.apps import AppConfig


class TaxlogicConfig(AppConfig):
    name = "taxlogic"
    verbose_name = "Tax logic"
