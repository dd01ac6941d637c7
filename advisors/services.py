"""Writes of advisors/: API clients for a firm's integrations."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from oauth2_provider.generators import generate_client_secret
from oauth2_provider.models import get_application_model

from advisors import scoping
from advisors.models import Advisor, ApiClient, ApiScope, Firm


def _check_firm_admin(user: Advisor, firm: Firm) -> None:
    if not scoping.writable(user, Firm).filter(pk=firm.pk).exists():
        raise PermissionDenied("Only the firm's admins manage its integrations.")


@transaction.atomic
def api_client_create(
    *, firm: Firm, name: str, scopes: list[str], created_by: Advisor
) -> tuple[ApiClient, str]:
    """A new API client and its OAuth2 application (client credentials). Returns the client and
    its secret, which is shown once: only its hash is kept."""
    _check_firm_admin(created_by, firm)
    name = name.strip()
    if not name:
        raise ValidationError({"name": "Name the integration (e.g. Redtail sync)."})
    if ApiClient.objects.filter(firm=firm, name=name, revoked__isnull=True).exists():
        raise ValidationError({"name": f"The firm already has an API client named {name}."})
    unknown = set(scopes) - set(ApiScope.values)
    if not scopes or unknown:
        raise ValidationError({"scopes": "Choose at least one of read, write and reviews."})
    secret = generate_client_secret()
    Application = get_application_model()
    application = Application.objects.create(
        name=f"{firm.slug}: {name}"[:255],
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
        client_secret=secret,
        hash_client_secret=True,
    )
    client = ApiClient.objects.create(
        firm=firm,
        name=name,
        scopes=" ".join(s for s in ApiScope.values if s in scopes),
        application=application,
        client_id=application.client_id,
        created_by=created_by,
    )
    return client, secret


@transaction.atomic
def api_client_revoke(*, client: ApiClient, revoked_by: Advisor) -> ApiClient:
    """Revoke at once: the application and every token it holds are deleted."""
    _check_firm_admin(revoked_by, client.firm)
    client = ApiClient.objects.select_for_update().get(pk=client.pk)
    if client.revoked is not None:
        return client
    application = client.application
    client.revoked, client.revoked_by, client.application = timezone.now(), revoked_by, None
    client.save(update_fields=["revoked", "revoked_by", "application"])
    if application is not None:
        application.delete()
    return client
