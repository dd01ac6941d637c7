"""Rate limits per API client (DRF throttling, counted in the default cache: Redis when
REDIS_URL is set). Kept apart from advisors/api.py: DRF imports it while defining APIView."""

from __future__ import annotations

from typing import Any

from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from advisors.models import ApiClient


class ApiRateThrottle(SimpleRateThrottle):
    """One budget per API client (and per signed-in advisor), ``anon`` for the rest, counted
    in the default cache (Redis when REDIS_URL is set). Rates: REST_FRAMEWORK's
    DEFAULT_THROTTLE_RATES, read per request so that they can change without a restart."""

    def __init__(self) -> None:  # the rate depends on who asks, so it is chosen per request
        self.scope = "anon"

    def allow_request(self, request: Request, view: Any) -> bool:
        user = request.user
        if isinstance(user, ApiClient):
            self.scope, self.ident = "api", f"client:{user.public_id}"
        elif user is not None and user.is_authenticated:
            self.scope, self.ident = "api", f"advisor:{user.public_id}"
        else:
            self.scope, self.ident = "anon", self.get_ident(request)
        self.rate = api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_cache_key(self, request: Request, view: Any) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.ident}
