"""The light half of the data layer: whose data a request touches, its partition keys, and page sizes.

Kept apart from `shared.store.tenant_scoped` so code that only names a tenant (the auth dependency, pagination
parameters, the health and OpenAPI routes behind them) does not import PynamoDB and botocore at cold start.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

TENANT_ID_PATTERN = r"^[a-z0-9]{8,40}$"
_TENANT_ID_PATTERN = re.compile(TENANT_ID_PATTERN)
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


@dataclass(frozen=True)
class TenantContext:
    """The tenant a request acts for; repositories take it and nothing else decides whose data they touch."""

    tenant_id: str

    def __post_init__(self) -> None:
        if not _TENANT_ID_PATTERN.match(self.tenant_id):
            raise ValueError(f"not a tenant id: {self.tenant_id!r}")


def tenant_partition(tenant_id: str, collection: str = "") -> str:
    """The partition key of one of a tenant's collections: `TENANT#<id>` or `TENANT#<id>#<collection>`."""
    return f"TENANT#{tenant_id}" + (f"#{collection}" if collection else "")
