"""Tenant credentials that `http_request` nodes name, in the workflows table, one partition per tenant.

The secret is one ciphertext (`shared.crypto.secret_box`) bound to the tenant and the credential's name and
version; everything else on the item is metadata that the API may show.
"""

from __future__ import annotations

from pynamodb.attributes import ListAttribute, NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute

from shared.resources import WORKFLOWS_TABLE
from shared.store.tables import model_table_name
from shared.store.tenant_scoped import TenantScopedItem, TenantScopedRepository

_TABLE = model_table_name(WORKFLOWS_TABLE)


class CredentialItem(TenantScopedItem):
    class Meta:
        table_name = _TABLE

    name = UnicodeAttribute()
    kind = UnicodeAttribute()
    description = UnicodeAttribute(null=True)
    # The names of the headers the credential sets (not secret: shown in its metadata).
    header_names: ListAttribute[str] = ListAttribute()
    ciphertext = UnicodeAttribute()
    # Increases with every rotation; part of the ciphertext's encryption context.
    version = NumberAttribute(default=1)
    created_at = UTCDateTimeAttribute()
    created_by = UnicodeAttribute()
    rotated_at = UTCDateTimeAttribute(null=True)
    rotated_by = UnicodeAttribute(null=True)


class Credentials(TenantScopedRepository[CredentialItem]):
    """The tenant's credentials by name (the sort key), in name order."""

    model = CredentialItem
    collection = "CREDENTIAL"
